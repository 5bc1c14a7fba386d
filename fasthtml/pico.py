"""Pico CSS components (Card, Grid, DialogX, ...) and the stylesheet links that make them look right."""
from __future__ import annotations

from typing import Any

from .components import FT, Link, ft_hx
from .xtend import Form, HtmxOn, Style

__all__ = [
    'Card', 'Container', 'DialogX', 'Grid', 'Group', 'PicoBusy', 'Search', 'picocondcss', 'picocondlink', 'picocss',
    'picolink', 'set_pico_cls',
]

picocss = 'https://cdn.jsdelivr.net/npm/@anyblades/pico@latest/css/pico.min.css'
picocondcss = 'https://cdn.jsdelivr.net/npm/@anyblades/pico@latest/css/pico.conditional.min.css'
# Pico scales its font size with the viewport by default; pinning it to 100% keeps text a predictable size.
_font_size = ':root { --pico-font-size: 100%; }'
picolink = (Link(rel='stylesheet', href=picocss), Style(_font_size))
picocondlink = (Link(rel='stylesheet', href=picocondcss), Style(_font_size))

# Jupyter output areas (JupyterLab/Notebook 7, classic Notebook, VS Code) that `set_pico_cls` marks with `pico`.
_PICO_CLS_JS = """(() => {
    if (window._fh_pico_cls) return;
    window._fh_pico_cls = true;
    const sel = '.jp-OutputArea-output, .output_subarea, .cell-output-ipywidget-background';
    const mark = el => {
        if (el.nodeType !== 1) return;
        if (el.matches(sel)) el.classList.add('pico');
        el.querySelectorAll(sel).forEach(e => e.classList.add('pico'));
    };
    mark(document.body);
    new MutationObserver(ms => ms.forEach(m => m.addedNodes.forEach(mark)))
        .observe(document.body, {childList: true, subtree: true});
})();"""


def set_pico_cls() -> None:
    "In Jupyter, add the `pico` class to output cells, so `picocondlink` styles them and nothing else."
    from IPython.display import Javascript, display  # pyright: ignore[reportPrivateImportUsage]
    display(Javascript(_PICO_CLS_JS))


def Card(*c: Any, header: Any = None, footer: Any = None, **kwargs: Any) -> FT:
    "A PicoCSS Card, implemented as an Article with optional Header and Footer."
    if header is not None:
        c = (ft_hx('header', header), *c)
    if footer is not None:
        c = (*c, ft_hx('footer', footer))
    return ft_hx('article', *c, **kwargs)


def Group(*c: Any, **kwargs: Any) -> FT:
    "A PicoCSS Group, implemented as a Fieldset with role 'group'."
    return ft_hx('fieldset', *c, role='group', **kwargs)


def Search(*c: Any, **kwargs: Any) -> FT:
    "A PicoCSS Search, implemented as a Form with role 'search'."
    return Form(*c, role='search', **kwargs)


def Grid(*c: Any, cls: Any = 'grid', **kwargs: Any) -> FT:
    "A PicoCSS Grid, implemented as child Divs in a Div with class 'grid'."
    return ft_hx('div', *[ft_hx('div', o) for o in c], cls=cls, **kwargs)


def DialogX(*c: Any, open: bool | None = None, header: Any = None, footer: Any = None, id: Any = None,
            **kwargs: Any) -> FT:
    "A PicoCSS Dialog, with children inside a Card."
    card = Card(*c, header=header, footer=footer, **kwargs)
    return ft_hx('dialog', card, open=open, id=id)


def Container(*args: Any, cls: Any = None, **kwargs: Any) -> FT:
    "A PicoCSS Container, implemented as a Main with class 'container' (plus any `cls` given)."
    return ft_hx('main', *args, cls='container' if cls is None else ['container', cls], **kwargs)


def PicoBusy() -> tuple[FT, FT]:
    "Scripts that set `aria-busy` on an element while its HTMX request runs, so Pico shows a spinner on it."
    elt = '(event.detail.ctx?.sourceElement || event.detail.elt)'
    return (HtmxOn('beforeRequest', elt + ".setAttribute('aria-busy', 'true' )"),
            HtmxOn('afterRequest', elt + ".setAttribute('aria-busy', 'false')"))
