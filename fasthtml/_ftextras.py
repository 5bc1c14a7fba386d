"""Helpers over FT trees: filling and searching forms, HTML -> FT source, SSE messages, raw files, notebook display."""
from __future__ import annotations

import copy
import dataclasses
import enum
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from fastcore.basics import NotStr

from ._render import FT, BaseFT, copy_ft, to_xml

__all__ = ['File', 'show', 'fill_form', 'fill_dataclass', 'find_inputs', 'html2ft', 'sse_message']

_new = object.__new__


def File(fname: str | Path) -> NotStr:
    "Use the unescaped text in file `fname` directly"
    return NotStr(Path(fname).read_text(encoding='utf-8'))


def show(ft: Any, *rest: Any, iframe: bool = False, height: str = 'auto', style: str | None = None) -> Any:
    """Renders FT Components into HTML within a Jupyter notebook: displays it (each call, wherever it is in a cell)
    and returns None, as FastHTML does. Without IPython it returns the HTML as `Safe` text (FastHTML fails there).
    `iframe=True` isolates the HTML (its scripts and styles) in an iframe."""
    html = to_xml(ft, *rest)
    if iframe:
        css = 'width: 100%; border: none;' + ('' if height == 'auto' else f' height: {height};')
        resize = "this.style.height = this.contentWindow.document.body.scrollHeight + 'px'"
        html = to_xml(_el('iframe', srcdoc=str(html), style=css + (' ' + style if style else ''),
                          onload=resize if height == 'auto' else None))
    try:
        from IPython.display import HTML, display
    except ImportError:
        return html
    display(HTML(html))
    return None


def _el(tag: str, *c: Any, **kw: Any) -> FT:
    "An element built with the tag functions' rules (imported late: components imports this module)."
    from .components import ft_html
    return ft_html(tag, *c, **kw)


# ---------------------------------------------------------------------------------------------------------------
# Forms

_MISSING = object()
# Input types whose value is not data to fill: buttons show their value as a label, files cannot be preset,
# and a stored password must never be written back into a page.
_NO_FILL = frozenset(('submit', 'button', 'reset', 'image', 'file', 'password'))


def _getter(obj: Any) -> Callable[[str], Any]:
    "A lookup `name -> value or _MISSING` over a dict, form data (multi-valued), dataclass, namedtuple or object."
    if isinstance(obj, Mapping):
        getlist = getattr(obj, 'getlist', None)
        if getlist is not None:  # starlette FormData / MultiDict: several values for one name
            def get_multi(k: str) -> Any:
                vals = getlist(k)
                return _MISSING if not vals else vals[0] if len(vals) == 1 else list(vals)
            return get_multi
        return lambda k: obj.get(k, _MISSING)
    if hasattr(obj, '_asdict'):  # namedtuple
        d = obj._asdict()
        return lambda k: d.get(k, _MISSING)
    return lambda k: getattr(obj, k, _MISSING) if k.isidentifier() else _MISSING


def _text(v: Any) -> str:
    "The form text for a value: enums by value, everything else by `str`."
    if isinstance(v, enum.Enum):
        v = v.value
    return v if isinstance(v, str) else str(v)


def _copy_node(e: BaseFT, children: tuple, attrs: dict) -> BaseFT:
    "A new node like `e` (same class and fields) with its own `children` and `attrs`, and no listeners."
    n = copy_ft(e)
    object.__setattr__(n, 'children', children)
    object.__setattr__(n, 'attrs', attrs)
    d = n.__dict__
    d.pop('listeners_', None)
    if type(e) is not FT:
        d['listeners_'] = []
    return n


def _option_value(o: BaseFT) -> str:
    v = o.attrs.get('value')
    if v is not None:
        return _text(v)
    return ''.join(c for c in o.children if isinstance(c, str)).strip()


def _fill_options(children: tuple, chosen: set[str]) -> tuple:
    "Copy a select's options (inside optgroups too), selecting exactly those whose value is in `chosen`."
    out = []
    for c in children:
        if isinstance(c, BaseFT):
            attrs = dict(c.attrs)
            if c.tag == 'option':
                _set_flag(attrs, 'selected', _option_value(c) in chosen)
                c = _copy_node(c, c.children, attrs)
            else:
                c = _copy_node(c, _fill_options(c.children, chosen), attrs)
        out.append(c)
    return tuple(out)


def _set_flag(attrs: dict, k: str, on: bool) -> None:
    "`checked`/`selected` as FastHTML's fill_form sets them: the value '1' when on, no attribute when off."
    if on:
        attrs[k] = '1'
    else:
        attrs.pop(k, None)


def _fill_input(attrs: dict, v: Any) -> None:
    "Set an input's `value` or `checked` from `v`, by input type."
    kind = str(attrs.get('type', 'text')).lower()
    if kind in _NO_FILL:
        return
    many = isinstance(v, (list, tuple, set, frozenset))
    if kind == 'checkbox':
        own = attrs.get('value')
        if many:
            _set_flag(attrs, 'checked', _text(own if own is not None else 'on') in {_text(o) for o in v})
        elif own is not None and isinstance(v, str):
            # one value of a checkbox group (form data with one box ticked): that box, not every box of the group
            _set_flag(attrs, 'checked', v == _text(own))
        else:
            _set_flag(attrs, 'checked', bool(v))
    elif kind == 'radio':
        _set_flag(attrs, 'checked', _text(v) == _text(attrs.get('value', 'on')))
    elif many:
        attrs['value'] = ' '.join(_text(o) for o in v)
    elif kind == 'datetime-local' and isinstance(v, datetime):
        attrs['value'] = v.isoformat(timespec='minutes')
    else:
        attrs['value'] = _text(v)


def _fill(e: Any, get: Callable[[str], Any]) -> Any:
    if isinstance(e, (list, tuple)):
        return type(e)(_fill(c, get) for c in e) if type(e) in (list, tuple) else e
    if not isinstance(e, BaseFT):
        return e
    tag = e.tag
    attrs = dict(e.attrs)
    children = e.children
    name = attrs.get('name')
    # `skip` marks an element fill_form must leave alone: CheckboxX's hidden '' that posts when the box is unticked.
    skip = attrs.get('skip') not in (None, False)
    v = _MISSING if name is None or skip or tag not in ('input', 'textarea', 'select') else get(str(name))
    if v is _MISSING or v is None:
        children = tuple(_fill(c, get) for c in children)
    elif tag == 'input':
        _fill_input(attrs, v)
    elif tag == 'textarea':
        children = (_text(v),)
    else:
        many = isinstance(v, (list, tuple, set, frozenset))
        children = _fill_options(children, {_text(o) for o in v} if many else {_text(v)})
    return _copy_node(e, children, attrs)


def fill_form(form: Any, obj: Any) -> Any:
    """Fills named items in `form` using attributes in `obj`: input values, checkbox/radio `checked`, select
    options, textarea text, at any depth. `obj` is a dict, form data, dataclass, namedtuple or any object. Returns
    a new tree: `form` is left as it was. Names `obj` lacks (or holds as None) keep their current state."""
    return _fill(form, _getter(obj))


def fill_dataclass(src: Any, dest: Any) -> Any:
    """Modifies dataclass in-place and returns it: copies (deeply) each field of `src` (a dataclass or dict) onto
    `dest`; when `dest` is a dataclass, only the fields it declares."""
    items = src.items() if isinstance(src, Mapping) else ((f.name, getattr(src, f.name)) for f in
                                                           dataclasses.fields(src))
    keep = {f.name for f in dataclasses.fields(dest)} if dataclasses.is_dataclass(dest) else None
    for k, v in items:
        if keep is None or k in keep:
            setattr(dest, k, copy.deepcopy(v))
    return dest


def find_inputs(e: Any, tags: str | Any = 'input', **kw: Any) -> list:
    """Recursively find all elements in `e` with `tags` and attrs matching `kw` (keywords named as for the tag
    functions: `cls='x'`, `data_id=3`), in document order. Returns the nodes themselves."""
    from .components import attrmap_x
    want = set([tags] if isinstance(tags, str) else tags)
    match = [(attrmap_x(k), v) for k, v in kw.items()]
    found: list = []

    def walk(o: Any) -> None:
        if isinstance(o, BaseFT):
            if o.tag in want and all(o.attrs.get(k) == v for k, v in match):
                found.append(o)
            for c in o.children:
                walk(c)
        elif isinstance(o, (list, tuple)):
            for c in o:
                walk(c)
        elif hasattr(o, '__ft__'):
            walk(o.__ft__())
    walk(e)
    return found


# ---------------------------------------------------------------------------------------------------------------
# HTML -> FT source (fasthtml/_html2ft.py, imported on first use: html.parser and its regexes cost ~2 ms of import)

def html2ft(html: str, attr1st: bool = False) -> str:
    """Convert HTML to an `ft` expression: Python source using the tag functions (`Div('hi', cls='a')`), or with
    `attr1st` the attributes-first form (`Div(cls='a')('hi')`). Several top-level elements give several lines;
    comments are dropped, and so is whitespace that only formats the HTML."""
    from ._html2ft import html2ft as convert
    return convert(html, attr1st)


# ---------------------------------------------------------------------------------------------------------------
# Server-sent events

_LINES = re.compile(r'\r\n|\r|\n')


def sse_message(elm: Any, event: str = 'message') -> str:
    """Convert element `elm` into a format suitable for SSE streaming: one `data:` line per line of its HTML,
    preceded by `event: <event>` unless the event is the default `message`, and ended by a blank line. A plain
    string is taken as HTML already (as the original does); FT trees render with their text escaped."""
    html = elm if type(elm) is str else to_xml(elm)
    data = '\n'.join('data: ' + line for line in _LINES.split(html))
    if event != 'message':
        data = 'event: ' + _LINES.sub(' ', event) + '\n' + data
    return data + '\n\n'

