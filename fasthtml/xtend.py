"""Everyday extensions of the plain HTML components: sensible defaults, unescaped scripts, surreal.js helpers, head
tags, fragments, and (from fasthtml/_site.py) robots.txt, sitemap.xml, JSON-LD and per-tab session ids."""
from __future__ import annotations

import json
import mimetypes
import re
import string
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import components as _components
from ._render import set_attrs as _set_attrs
from ._render import set_children as _set_children
from ._render import set_tag as _set_tag
from .components import _PREP, FT, Label, Link, Main, Meta, NotStr, Safe, Title, _prep, ft_html, ft_hx, valmap_x
from .components import A as _A
from .components import Form as _Form
from .components import Input as _Input

__all__ = [
    'AX', 'A', 'AnyNow', 'CheckboxX', 'Favicon', 'Form', 'Fragment', 'Hidden', 'HtmxOn', 'Nbsp', 'Now', 'On', 'Prev',
    'Script', 'ScriptX', 'Socials', 'Style', 'StyleX', 'Surreal', 'Titled', 'YouTubeEmbed', 'clear', 'double_braces',
    'jsd', 'loose_format', 'replace_css_vars', 'run_js', 'undouble_braces',
    # site-level helpers (fasthtml/_site.py)
    'robots_txt', 'sitemap_url', 'sitemap_xml', 'LdJson', 'LdContactPoint', 'LdOrg', 'LdWebsite', 'LdCourseInstance',
    'LdCourse', 'sid_scr', 'with_sid', 'upload_pb_attrs',
]


# ---------------------------------------------------------------------------------------------------------------
# Tags with better defaults

def A(*c: Any, hx_get: Any = None, target_id: str | None = None, hx_swap: str | None = None, href: str | None = '#',
      **kwargs: Any) -> FT:
    "An A tag; `href` defaults to '#' for more concise use with HTMX."
    # Pages often hold hundreds of links: when only this function's own keywords and the plain ranked ones (id,
    # cls, title, style) are given, the attributes are laid out here in the tag functions' order (plain keywords,
    # then id, class, title, style, then the automatic `name`). Anything else takes the tag function's general path.
    if target_id is None and not _components._CFG and (not kwargs or _A_FAST.issuperset(kwargs)):
        for o in c:
            if type(o) in _PREP:
                break
        else:
            attrs: dict = {}
            if href is not None and (type(href) is str or (href := valmap_x(href, 'href')) is not None):
                attrs['href'] = href
            if hx_get is not None and (type(hx_get) is str or (hx_get := valmap_x(hx_get, 'hx-get')) is not None):
                attrs['hx-get'] = hx_get
            if hx_swap is not None and (type(hx_swap) is str or (hx_swap := valmap_x(hx_swap, 'hx-swap')) is not None):
                attrs['hx-swap'] = hx_swap
            if kwargs:
                for k, a in _A_TAIL:
                    v = kwargs.get(k)
                    if v is not None and (type(v) is str or (v := valmap_x(v, a)) is not None):
                        attrs[a] = v
                if attrs.get('id'):  # a non-empty `id` also fills `name`
                    attrs['name'] = attrs['id']
            e = _new(FT)
            _set_tag(e, 'a')
            _set_children(e, c)
            _set_attrs(e, attrs)
            return e
    return _A_py(*c, href=href, hx_get=hx_get, target_id=target_id, hx_swap=hx_swap, **kwargs)


_new = object.__new__
_A_TAIL = (('id', 'id'), ('cls', 'class'), ('title', 'title'), ('style', 'style'))
_A_FAST = frozenset(k for k, _ in _A_TAIL)
_A_py = getattr(_A, '_pure', _A)  # the Python `components.A`: this module's Python `A` stays all Python
if _components._cbuild is not None:
    # The C tag function for `<a>` with this function's own keywords as leading defaults, in the order its general
    # path passes them on (href, hx_get, target_id, hx_swap, then the caller's others); it calls the Python `A`
    # above for anything it does not handle itself.
    A = _components._accelerated(A, 'a', (('href', '#'), ('hx_get', None), ('target_id', None), ('hx_swap', None)))


def AX(txt: Any, hx_get: Any = None, target_id: str | None = None, hx_swap: str | None = None, href: str | None = '#',
       **kwargs: Any) -> FT:
    "An A tag with just one text child, allowing hx_get, target_id, and hx_swap to be positional params."
    return _A(txt, href=href, hx_get=hx_get, target_id=target_id, hx_swap=hx_swap, **kwargs)


def Form(*c: Any, enctype: str | None = 'multipart/form-data', **kwargs: Any) -> FT:
    "A Form tag; identical to plain `ft_hx` version except default `enctype='multipart/form-data'`."
    return _Form(*c, enctype=enctype, **kwargs)


def Hidden(value: Any = '', id: Any = None, **kwargs: Any) -> FT:
    "An Input of type 'hidden'."
    return _Input(type='hidden', value=value, id=id, **kwargs)


def CheckboxX(checked: bool = False, label: Any = None, value: Any = '1', id: Any = None, name: Any = None,
              **kwargs: Any) -> tuple[FT, FT]:
    "A Checkbox optionally inside a Label, preceded by a `Hidden` with matching name."
    if id is not None and name is None:
        name = id
    # The hidden input posts an empty value when the box is unticked; `skip` tells `fill_form` to leave it alone.
    hidden = Hidden(name=name, skip=True)
    box = ft_hx('input', type='checkbox', name=name, checked=checked, value=value, id=id, **kwargs)
    if label is not None:
        box = Label(box, label)
    return hidden, box


def _raw(c: Any) -> Any:
    "Mark string content of a script or style as already safe; leave anything else as it is."
    return NotStr(c) if isinstance(c, str) else c


def Script(code: str = '', **kwargs: Any) -> FT:
    "A Script tag that doesn't escape its code."
    return ft_html('script', _raw(code), **kwargs)


def Style(*c: Any, **kwargs: Any) -> FT:
    "A Style tag that doesn't escape its code."
    return ft_html('style', *[_raw(o) for o in c], **kwargs)


# ---------------------------------------------------------------------------------------------------------------
# Templating JavaScript and CSS with `str.format` while leaving code braces alone

# A brace counts as code (not a format field) when it sits next to whitespace, a quote, `;`, `:` or the string's end.
_OPEN_CODE = re.compile(r'\{(?=[\s\'";:]|$)')
_CLOSE_CODE = re.compile(r'(?:(?<=[\s\'";:])|^)\}')
_OPEN_DOUBLE = re.compile(r'\{\{(?=[\s\'";:]|$)')
_CLOSE_DOUBLE = re.compile(r'(?:(?<=[\s\'";:])|^)\}\}')


def double_braces(s: str) -> str:
    "Convert single braces to double braces if next to special chars or newline."
    return _CLOSE_CODE.sub('}}', _OPEN_CODE.sub('{{', s))


def undouble_braces(s: str) -> str:
    "Convert double braces to single braces if next to special chars or newline."
    return _CLOSE_DOUBLE.sub('}', _OPEN_DOUBLE.sub('{', s))


class _LooseFormatter(string.Formatter):
    "A formatter that leaves `{name}` in place when `name` was not supplied."

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key not in kwargs:
            return '{' + key + '}'
        return super().get_value(key, args, kwargs)


_loose = _LooseFormatter()


def loose_format(s: str, **kw: Any) -> str:
    "String format `s` using `kw`, without being strict about braces outside of template params."
    return undouble_braces(_loose.vformat(double_braces(s), (), kw))


def replace_css_vars(css: str, pre: str = 'tpl', **kwargs: Any) -> str:
    "Replace `var(--)` CSS variables with `kwargs` if name prefix matches `pre`."
    if not kwargs or not css:
        return css

    def sub(m: re.Match) -> str:
        name = m.group(1).replace('-', '_')
        if name not in kwargs:
            return m.group(0)
        v = kwargs[name]
        return '' if v is None else str(v)
    return re.sub(r'var\(--' + re.escape(pre) + r'-([\w-]+)\)', sub, css)


def ScriptX(fname: str | Path, src: str | None = None, nomodule: bool | None = None, type: str | None = None,
            _async: bool | None = None, defer: bool | None = None, charset: str | None = None,
            crossorigin: str | None = None, integrity: str | None = None, **kw: Any) -> FT:
    """A `script` element with contents read from `fname`; keywords fill `{name}` fields in the code (other braces
    are left alone, see `loose_format`), as FastHTML's ScriptX does."""
    code = Path(fname).read_text()
    if kw:
        code = loose_format(code, **kw)
    return Script(code, src=src, nomodule=nomodule, type=type, _async=_async, defer=defer, charset=charset,
                  crossorigin=crossorigin, integrity=integrity)


# Keyword arguments of `StyleX` that are attributes of the `<style>` element rather than CSS variables.
_STYLE_ATTRS = ('type', 'media', 'nonce', 'title', 'blocking', 'id', 'cls')


def StyleX(fname: str | Path, **kw: Any) -> FT:
    "A `style` element with contents read from `fname` and variables replaced from `kw`."
    attrs = {k: kw.pop(k) for k in _STYLE_ATTRS if k in kw}
    return Style(replace_css_vars(Path(fname).read_text(), **kw), **attrs)


class Fragment(FT):
    """A container with no tag of its own: it renders just its children, so a function can return several
    siblings as one node (`Fragment(Li('a'), Li('b'))` renders `<li>a</li><li>b</li>`)."""
    __slots__ = ()

    def __init__(self, *c: Any) -> None:
        c, extra = _prep(c)  # flatten lists and generators, drop None
        if extra:
            raise TypeError(f'Fragment takes children only: it has no tag to carry attributes {extra!r}')
        _set_tag(self, '')
        _set_children(self, c)
        _set_attrs(self, {})


def Nbsp() -> Safe:
    "A non-breaking space."
    return Safe('&nbsp;')


# ---------------------------------------------------------------------------------------------------------------
# surreal.js script blocks

def _js(s: str) -> str:
    "A double-quoted JavaScript string literal for `s`."
    return json.dumps(s, ensure_ascii=False)


def Surreal(code: str) -> FT:
    "Wrap `code` in `domReadyExecute` and set `m=me()` and `p=me('-')`."
    return Script('\n{\n'
                  '    const m=me();\n'
                  '    const _p = document.currentScript.previousElementSibling;\n'
                  '    const p = _p ? me(_p) : null;\n'
                  '    domReadyExecute(() => {\n'
                  '        ' + code + '\n'
                  '    });\n'
                  '}')


def On(code: str, event: str = 'click', sel: str = '', me: bool = True) -> FT:
    """An async surreal.js script block event handler for `event` on selector `sel,p`, making available parent `p`,
    event `ev`, and target `e`."""
    if sel == '-':
        target = 'p'
    elif not sel:
        target = 'm'
    else:
        target = ('me(' if me else 'any(') + _js(sel) + ', m)'
    return Surreal('\n' + target + '.on(' + _js(event) + ', async ev=>{\n    let e = me(ev);\n    ' + code + '\n});')


def Prev(code: str, event: str = 'click') -> FT:
    "An async surreal.js script block event handler for `event` on previous sibling, with same vars as `On`."
    return On(code, event=event, sel='-')


def Now(code: str, sel: str = '') -> FT:
    "An async surreal.js script block on selector `me(sel)`."
    target = 'me(' + (_js(sel) if sel else '') + ')'
    return Script('(async (ee = ' + target + ') => {\nlet e = me(ee);\n' + code + '\n})()\n')


def AnyNow(sel: str, code: str) -> FT:
    "An async surreal.js script block on selector `any(sel)`."
    return Script('(async (e = any(' + _js(sel) + ')) => {\n' + code + '\n})()\n')


def run_js(js: str, id: str | None = None, **kw: Any) -> FT:
    "Run `js` script, auto-generating `id` based on name of caller if needed, and js-escaping any `kw` params."
    if id is None:
        caller = sys._getframe(1).f_code.co_name
        # At module level the caller is `<module>`, which is no use as an element id.
        id = caller if caller.isidentifier() else 'run_js'
    code = loose_format(js, **{k: json.dumps(v) for k, v in kw.items()})
    return Script(code, id=id, hx_swap_oob='true')


def HtmxOn(eventname: str, code: str) -> FT:
    "Run `code` on htmx event `eventname`; both the v2 (`htmx:camelCase`) and v4 (`htmx-dash-case`) spellings."
    dashed = re.sub(r'(?<!^)(?=[A-Z])', '-', eventname).lower().replace(':', '-')
    names = _js('htmx:' + eventname) + ',' + _js('htmx-' + dashed)
    return Script('domReadyExecute(function() {\n[' + names + '].forEach(evt => '
                  'document.body.addEventListener(evt, function(event) { ' + code + ' }))\n})')


def jsd(org: str, repo: str, root: str, path: str, prov: str = 'gh', typ: str = 'script', ver: str | None = None,
        esm: bool = False, **kwargs: Any) -> FT | str:
    "jsdelivr `Script` or CSS `Link` tag, or URL."
    pkg = repo + ('@' + ver if ver else '')
    parts = [prov, org, pkg, root, path]
    url = 'https://cdn.jsdelivr.net/' + '/'.join(p for p in parts if p) + ('/+esm' if esm else '')
    if typ == 'url':
        return url
    if typ == 'script':
        return Script(src=url, **kwargs)
    if typ == 'css':
        return Link(rel='stylesheet', href=url, **kwargs)
    raise ValueError(f"jsd: typ must be 'script', 'css' or 'url', not {typ!r}")


# ---------------------------------------------------------------------------------------------------------------
# Page-level helpers

def Titled(title: str = 'FastHTML app', *args: Any, cls: Any = 'container', **kwargs: Any) -> tuple[FT, FT]:
    "An HTML partial containing a `Title`, and `H1`, and any provided children."
    return Title(title), Main(ft_hx('h1', title), *args, cls=cls, **kwargs)


def _image_type(url: str) -> str:
    "The MIME type of an image URL, from its extension (PNG when unknown)."
    t = mimetypes.guess_type(url.split('?', 1)[0])[0]
    return t if t and t.startswith('image/') else 'image/png'


def Socials(title: str, site_name: str, description: str, image: str, url: str | None = None, w: int = 1200,
            h: int = 630, twitter_site: str | None = None, creator: str | None = None,
            card: str = 'summary') -> tuple[FT, ...]:
    "OG and Twitter social card headers."
    if not url:
        url = 'https://' + site_name
    if not image.startswith('http'):
        # A relative image is served from the site: join with exactly one slash.
        image = url.rstrip('/') + '/' + image.lstrip('/')
    res = [Meta(property='og:image', content=image),
           Meta(property='og:site_name', content=site_name),
           Meta(property='og:image:type', content=_image_type(image)),
           Meta(property='og:image:width', content=w),
           Meta(property='og:image:height', content=h),
           Meta(property='og:type', content='website'),
           Meta(property='og:url', content=url),
           Meta(property='og:title', content=title),
           Meta(property='og:description', content=description),
           Meta(name='twitter:image', content=image),
           Meta(name='twitter:card', content=card),
           Meta(name='twitter:title', content=title),
           Meta(name='twitter:description', content=description)]
    if twitter_site is not None:
        res.append(Meta(name='twitter:site', content=twitter_site))
    if creator is not None:
        res.append(Meta(name='twitter:creator', content=creator))
    return tuple(res)


def _icon_type(href: str) -> str:
    "The MIME type of a favicon, from its extension (`.ico` when unknown)."
    t = mimetypes.guess_type(href.split('?', 1)[0])[0]
    if t in (None, 'image/vnd.microsoft.icon') or not t.startswith('image/'):
        return 'image/x-icon'
    return t


def Favicon(light_icon: str, dark_icon: str) -> tuple[FT, FT]:
    "Light and dark favicon headers."
    return (Link(rel='icon', type=_icon_type(light_icon), href=light_icon, media='(prefers-color-scheme: light)'),
            Link(rel='icon', type=_icon_type(dark_icon), href=dark_icon, media='(prefers-color-scheme: dark)'))


_YT_ALLOW = ('accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share')


def YouTubeEmbed(video_id: str, *, width: int = 560, height: int = 315, start_time: int = 0, no_controls: bool = False,
                 title: str = 'YouTube video player', cls: str = '', **kwargs: Any) -> FT:
    "Embed a YouTube video."
    params = []
    if start_time:
        params.append(f'start={start_time}')
    if no_controls:
        params.append('controls=0')
    src = 'https://www.youtube.com/embed/' + video_id + ('?' + '&'.join(params) if params else '')
    frame = ft_hx('iframe', width=width, height=height, src=src, frameborder='0', allow=_YT_ALLOW,
                  referrerpolicy='strict-origin-when-cross-origin', allowfullscreen='', title=title, **kwargs)
    return ft_hx('div', frame, cls=cls)


def clear(id: str) -> FT:
    "An empty out-of-band swap that clears the element with this `id`."
    return ft_hx('div', hx_swap_oob='innerHTML', id=id)


# Site-level helpers live in their own module; imported last because they build on `Script` above.
from ._site import (  # noqa: E402
    LdContactPoint,
    LdCourse,
    LdCourseInstance,
    LdJson,
    LdOrg,
    LdWebsite,
    robots_txt,
    sid_scr,
    sitemap_url,
    sitemap_xml,
    upload_pb_attrs,
    with_sid,
)
