"""FT components: `ft_html`/`ft_hx`, a function for every HTML element, custom tags on demand, and form helpers."""
from __future__ import annotations

import inspect
import os
import re
import sys
import uuid
from base64 import urlsafe_b64encode
from types import GeneratorType
from typing import Any, Callable, Literal, Optional, Union  # noqa: UP035 (components.Callable stays typing's)

from fastcore.basics import AttrDict, NotStr
from fastcore.xml import Safe

from ._render import FT, VOIDS, collection_value, new_ft, to_xml

# The optional C accelerator for the tag functions (fasthtml/_cbuild.c); FASTHTML_PURE_PYTHON=1 keeps the Python ones.
if os.environ.get('FASTHTML_PURE_PYTHON') == '1':
    _cbuild = None
else:
    try:
        from . import _cbuild
    except ImportError:  # not built (no compiler at install time): the Python functions give the same results
        _cbuild = None

__all__ = [
    'FT', 'Safe', 'NotStr', 'to_xml', 'ft', 'ft_html', 'ft_hx', 'attrmap_x', 'valmap_x', 'extend_ft', 'named', 'voids',
    'fh_cfg',
    'html_attrs', 'hx_attrs', 'hx_attrs_4only', 'hx_attrs_annotations', 'hx_evts', 'hx_evts_4only', 'js_evts',
    'hx_evt_attrs', 'js_evt_attrs', 'evt_attrs', 'tag_names',
    'Html', 'File', 'show', 'fill_form', 'fill_dataclass', 'find_inputs', 'html2ft', 'sse_message',
    'A', 'Abbr', 'Address', 'Area', 'Article', 'Aside', 'Audio', 'B', 'Base', 'Bdi', 'Bdo', 'Blockquote', 'Body',
    'Br', 'Button', 'Canvas', 'Caption', 'Cite', 'Code', 'Col', 'Colgroup', 'Data', 'Datalist', 'Dd', 'Del',
    'Details', 'Dfn', 'Dialog', 'Div', 'Dl', 'Dt', 'Em', 'Embed', 'Fencedframe', 'Fieldset', 'Figcaption', 'Figure',
    'Footer', 'Form', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'Head', 'Header', 'Hgroup', 'Hr', 'HxPartial', 'I',
    'Iframe', 'Img', 'Input', 'Ins', 'Kbd', 'Label', 'Legend', 'Li', 'Link', 'Main', 'Map', 'Mark', 'Math', 'Menu',
    'Meta', 'Meter', 'Nav', 'Noscript', 'Object', 'Ol', 'Optgroup', 'Option', 'Output', 'P', 'Param', 'Picture',
    'PortalExperimental', 'Pre', 'Progress', 'Q', 'Rp', 'Rt', 'Ruby', 'S', 'Samp', 'Script', 'Search', 'Section',
    'Select', 'Slot', 'Small', 'Source', 'Span', 'Strike', 'Strong', 'Style', 'Sub', 'Summary', 'Sup', 'Table',
    'Tbody', 'Td', 'Template', 'Textarea', 'Tfoot', 'Th', 'Thead', 'Time', 'Title', 'Tr', 'Track', 'U', 'Ul', 'Var',
    'Video', 'Wbr',
]

voids = set(VOIDS)  # FastHTML's is a set: tags added to it are void for tag functions made afterwards
# Elements that take a `name` attribute: giving one an `id` fills `name` too, so forms post what they show.
named = {'a', 'button', 'form', 'frame', 'iframe', 'img', 'input', 'map', 'meta', 'object', 'param', 'select',
         'textarea'}

html_attrs = ['id', 'cls', 'title', 'style', 'accesskey', 'contenteditable', 'dir', 'draggable', 'enterkeyhint',
              'hidden', 'inert', 'inputmode', 'lang', 'popover', 'spellcheck', 'tabindex', 'translate']
_hx = ['get', 'post', 'put', 'delete', 'patch', 'trigger', 'target', 'swap', 'swap_oob', 'include', 'select',
       'select_oob', 'indicator', 'push_url', 'confirm', 'disable', 'replace_url', 'vals', 'disabled_elt', 'ext',
       'headers', 'history', 'history_elt', 'inherit', 'params', 'preserve', 'prompt', 'request', 'sync', 'validate']
hx_attrs_4only = 'action method config ignore'  # htmx 4 attributes
hx_attrs = html_attrs + ['hx_' + o for o in _hx + hx_attrs_4only.split()]
js_evts = ('blur change contextmenu focus input invalid reset select submit keydown keypress keyup click dblclick '
           'mousedown mouseenter mouseleave mousemove mouseout mouseover mouseup wheel')
hx_evts = ('abort afterOnLoad afterProcessNode afterRequest afterSettle afterSwap beforeCleanupElement beforeOnLoad '
           'beforeProcessNode beforeRequest beforeSwap beforeSend beforeTransition configRequest confirm '
           'historyCacheError historyCacheMiss historyCacheMissError historyCacheMissLoad historyRestore '
           'beforeHistorySave load noSSESourceError onLoadError oobAfterSwap oobBeforeSwap oobErrorNoTarget prompt '
           'pushedIntoHistory replacedInHistory responseError sendAbort sendError sseError sseOpen swapError '
           'targetError timeout validation:validate validation:failed validation:halted xhr:abort xhr:loadend '
           'xhr:loadstart xhr:progress')
hx_evts_4only = ('after:init before:cleanup before:history:update before:init before:process before:history:restore '
                 'after:history:push after:history:replace error')  # htmx 4 events


def _snake(s: str) -> str:
    """`afterOnLoad` -> `after_on_load`, `xhr:abort` -> `xhr_abort`, `noSSESourceError` -> `no_sse_source_error`: an
    underscore before a capital that follows a lower-case letter or digit, or that ends a run of capitals. (String
    tests, not regexes: run once per event name at import, where compiling two patterns cost more.)"""
    s = s.replace(':', '_')
    out = []
    for i, ch in enumerate(s):
        if ch.isupper() and i:
            prev, nxt = s[i - 1], s[i + 1:i + 2]
            if prev.islower() or prev.isdigit() or (prev.isupper() and nxt.islower()):
                out.append('_')
        out.append(ch)
    return ''.join(out).lower()


js_evt_attrs = ['hx_on_' + o for o in js_evts.split()]
hx_evt_attrs = ['hx_on__' + _snake(o) for o in (hx_evts + ' ' + hx_evts_4only).split()]
evt_attrs = js_evt_attrs + hx_evt_attrs

_Str = Optional[str]
hx_attrs_annotations: dict[str, Any] = {
    'hx_swap': Union[Literal['innerHTML', 'outerHTML', 'afterbegin', 'beforebegin', 'beforeend', 'afterend', 'delete',
                             'none'], str, None],
    'hx_swap_oob': Union[Literal['true', 'innerHTML', 'outerHTML', 'afterbegin', 'beforebegin', 'beforeend',
                                 'afterend', 'delete', 'none'], str, None],
    'hx_push_url': Union[Literal['true', 'false'], str, None],
    'hx_replace_url': Union[Literal['true', 'false'], str, None],
    'hx_disabled_elt': Union[Literal['this', 'next', 'previous'], str, None],
    'hx_history': Union[Literal['false'], str, None],
    'hx_params': Union[Literal['*', 'none'], str, None],
    'hx_validate': Optional[Literal['true', 'false']],
}
hx_attrs_annotations.update({o: _Str for o in hx_attrs if o.startswith('hx_') and o not in hx_attrs_annotations})

# ---------------------------------------------------------------------------------------------------------------
# Attribute names and values
#
# A keyword maps to (attribute name, rank). Rank orders the attributes the way FastHTML always has: plain
# keywords in call order, then hx-vals, hx-target, id, class, title, style (and an automatic `name` last).

_RANK = {'hx-vals': 1, 'hx-target': 2, 'id': 3, 'class': 4, 'title': 5, 'style': 6}
_ALIASES = {'cls': 'class', 'klass': 'class', '_class': 'class', 'htmlClass': 'class', '_for': 'for', 'fr': 'for',
            'htmlFor': 'for', 'target_id': 'hx-target'}
# Names holding one of these are taken literally (lower-cased): `@click`, `x-on:click.prevent`, `:class`.
_SPECIALS = frozenset('@.-!~:[](){}$%^&*+=|/?<>,`')
# The keywords that are the tag functions' own parameters: only these take their ranked place at the end and fill
# `name` from `id`. Other spellings of the same attribute (`_id`, `klass`, `_title`...) stay in call order, as in
# FastHTML, where they arrive through `**kwargs`; `_key_spec` gives them rank -1. So do the attribute names themselves
# when they are not parameter names (`**{'class': 'k'}`, `**{'hx-target': 't'}`).
_RANKED_KEYS = frozenset(('hx_vals', 'hx_target', 'target_id', 'id', 'cls', 'title', 'style'))
_KEYS: dict[str, tuple[str, int]] = {}
_KEYS_MAX = 4096  # keys come from source code, but `**{...}` could carry arbitrary ones: keep the cache bounded


def _key_spec(k: str) -> tuple[str, int]:
    a = _ALIASES.get(k)
    if a is None:
        a = k.lower()
        if a.startswith('_at_'):  # Alpine.js shorthand: `_at_click` is `@click` (the rest kept as written, lower-cased)
            a = '@' + a[4:]
        elif _SPECIALS.isdisjoint(a) and a != '_':
            # Leading underscores go, a trailing one stays as `-` (`for_` is `for-`, as in FastHTML: add-ons read
            # `attrs['for-']`)
            a = a.lstrip('_').replace('_', '-') or a
            a = _ALIASES.get(a, a)
    r = _RANK.get(a, 0)
    if r and k not in _RANKED_KEYS:
        r = -1
    spec = (sys.intern(a), r)  # interned: the C tag functions compare names by identity first
    if len(_KEYS) < _KEYS_MAX:
        _KEYS[k] = spec
    return spec


def attrmap_x(o: str) -> str:
    """Map a Python keyword to an HTML attribute name: `cls`->`class`, `_for`->`for`, `hx_get`->`hx-get`,
    `_at_click`->`@click`."""
    if o == 'target_id':  # (hx-target="#id" only as the tag functions' own parameter; plain here, as in FastHTML)
        return 'target-id'
    spec = _KEYS.get(o)
    return (spec or _key_spec(o))[0]


def _ft_attrmap(k: str) -> str:
    """`ft`'s default attribute names (and those of `e(...)`/`e.set(...)`): `attrmap_x`'s, except that `_at_click`
    is `at-click` (fastcore's `attrmap`)."""
    if k[:4].lower() == '_at_':
        return attrmap_x(k[1:]) if _SPECIALS.isdisjoint(k) else k.lower()
    return attrmap_x(k)


def valmap_x(v: Any, k: str = '') -> Any:
    """Normalise an attribute value for attribute `k`: sequences join with spaces, dicts become CSS for `style` and
    JSON otherwise, empty collections become None (left out); strings, numbers and booleans pass through."""
    t = type(v)
    if t is str or t is bool or t is int or t is float or v is None:
        return v
    return collection_value(v, k)  # (any other type passes through)


_TAIL = ('hx-vals', 'hx-target', 'id', 'class', 'title', 'style')


def _kw_attrs(kw: dict, is_named: bool) -> dict:
    "The attribute dict for keyword arguments `kw`, in FastHTML's order; `None` values are left out."
    attrs: dict = {}
    top = 0  # highest rank seen: while ranks never go down, call order is already the right order
    unsorted = False
    tid = False
    for k, v in kw.items():
        if v is None:
            continue
        try:
            a, r = _KEYS[k]
        except KeyError:
            a, r = _key_spec(k)
        if r < 0:  # another spelling of a ranked attribute (`_id`, `klass`): the general way
            return _kw_attrs_aliased(kw, is_named)
        if r:
            if r <= 2 and not v:  # a falsy hx_vals, hx_target or target_id is left out, as FastHTML does
                continue
            if r == 3 and v is True:  # id=True: a generated unique id, as FastHTML gives
                v = _auto_id()
            if r < top:
                unsorted = True
            else:
                top = r
            if r == 2:  # target_id='x' means hx-target='#x', and wins over hx_target
                if k == 'target_id':
                    v = '#' + str(v)
                    tid = True
                elif tid:
                    continue
        elif top:
            unsorted = True
        t = type(v)
        if t is not str and t is not bool and t is not int and t is not float:
            v = valmap_x(v, a)
            if v is None:
                continue
        attrs[a] = v
    if unsorted:  # move the ranked attributes to the end, in rank order
        for a in _TAIL:
            if a in attrs:
                attrs[a] = attrs.pop(a)
    if is_named and attrs.get('id') and 'name' not in attrs:
        attrs['name'] = attrs['id']
    return attrs


def _kw_attrs_aliased(kw: dict, is_named: bool) -> dict:
    """`_kw_attrs` for calls with another spelling of a ranked attribute: those stay in call order (and do not fill
    `name`), while the tag function's own parameters come last in rank order, as FastHTML does."""
    attrs: dict = {}
    ranked: dict[int, tuple[str, Any]] = {}
    tid = False
    for k, v in kw.items():
        if v is None:
            continue
        a, r = _KEYS.get(k) or _key_spec(k)
        if 0 < r <= 2 and not v:  # a falsy hx_vals, hx_target or target_id is left out, as FastHTML does
            continue
        if r == 3 and v is True:  # id=True: a generated unique id
            v = _auto_id()
        if r == 2:
            if k == 'target_id':
                v = '#' + str(v)
                tid = True
            elif tid:
                continue
        t = type(v)
        if t is not str and t is not bool and t is not int and t is not float:
            v = valmap_x(v, a)
            if v is None:
                continue
        if r > 0:
            ranked[r] = (a, v)
        else:
            attrs[a] = v
    for r in sorted(ranked):
        a, v = ranked[r]
        attrs[a] = v
    if is_named and 3 in ranked and ranked[3][1] and 'name' not in attrs:
        attrs['name'] = ranked[3][1]
    return attrs


def _custom_attrs(kw: dict, attrmap: Callable[[str], str], valmap: Callable[[Any], Any] | None) -> dict:
    "Attributes through a caller's `attrmap`/`valmap` (fastcore's one-argument conventions), in call order."
    attrs = {}
    for k, v in kw.items():
        if v is None:
            continue
        a = attrmap(k)
        v = valmap_x(v, a) if valmap is None else valmap(v)
        if v is not None:
            attrs[a] = v
    return attrs


# ---------------------------------------------------------------------------------------------------------------
# Construction: nodes are FT (a `fastcore.xml.FT` subclass) instances built without fastcore's `__init__`, which
# sets each field through a Python-level `__setattr__`.

# Child types that need work before they are stored: flattened, merged into the attributes, or dropped.
_PREP = frozenset((list, tuple, GeneratorType, map, filter, range, dict, type(None)))
if _cbuild is not None:
    _cbuild.init(FT, _KEYS, _key_spec, _PREP)


def _node(tag: str, children: tuple, attrs: dict, void: bool = False) -> FT:
    "Make an FT node directly; fastcore's methods (`__call__`, `.id`, `[i]`, `str()`) all work on it."
    o = new_ft(tag, children, attrs)
    if void:
        o.__dict__['void_'] = True
    return o


def _flatten_into(items: Any, out: list, extra: dict) -> None:
    for o in items:
        t = type(o)
        if t is dict:
            extra.update(o)
        elif t in _PREP:
            if o is not None:
                _flatten_into(o, out, extra)
        else:
            out.append(o)


def _prep(c: tuple) -> tuple[tuple, dict]:
    "Flatten nested lists/tuples/generators, drop `None`, and collect dict children as extra attributes."
    out: list = []
    extra: dict = {}
    _flatten_into(c, out, extra)
    return tuple(out), extra


def _prepped(c: tuple, kw: dict) -> tuple[tuple, dict]:
    "Children and keywords ready to store: `_prep`'s work, done only when some child needs it."
    for o in c:
        if type(o) in _PREP:
            c, extra = _prep(c)
            return c, ({**kw, **extra} if extra else kw)
    return c, kw


def _build(tag: str, c: tuple, kw: dict, void: bool = False) -> FT:
    "The general construction path: the Python tag functions' body (the C ones call it for unusual calls)."
    if _CFG:
        return _configured(tag, c, kw, void)
    c, kw = _prepped(c, kw)
    return _node(tag, c, _kw_attrs(kw, tag in named) if kw else {}, void or tag in voids)


def extend_ft(e: FT, c: tuple, kw: dict, replace: bool = False) -> FT:
    """Add children `c` and attributes `kw` to `e` in place (fastcore's `e(...)`), or with `replace`, set them
    (fastcore's `e.set(...)`, which keeps `id` and `name`). Calls the node's listeners; returns `e`."""
    c, kw = _prepped(c, kw)
    if c:
        object.__setattr__(e, 'children', c if replace else tuple(e.children) + c)
    if kw:
        # As fastcore's: the new attributes in call order after the ones kept, named as `ft` names them (no
        # reordering, no `name` from `id`, no `target_id`/`hx_vals` rules of the tag functions)
        old = e.attrs
        if replace:
            old = {k: v for k, v in old.items() if k in ('id', 'name')}
        # in call order, as in FastHTML (no ranked place for `id`, `cls`...; an `id` given here does not fill `name`)
        object.__setattr__(e, 'attrs', {**old, **_custom_attrs(kw, _ft_attrmap, None)})
    e.changed()
    return e


def ft(tag: str, *c: Any, void_: bool = False, attrmap: Callable[[str], str] = _ft_attrmap,
       valmap: Callable[[Any], Any] | None = None, ft_cls: type = FT, **kw: Any) -> FT:
    """Create an element for any `tag`, as fastcore's `ft` does: attributes in call order, no automatic `name`;
    void elements are recognised by tag."""
    tag = tag.lower()
    c, kw = _prepped(c, kw)
    attrs = _custom_attrs(kw, attrmap, valmap)
    void = void_ or tag in VOIDS
    if ft_cls is FT:
        return _node(tag, c, attrs, void)
    return ft_cls(tag, c, attrs, void_=void)


def ft_html(tag: str, *c: Any, id: Any = None, cls: Any = None, title: Any = None, style: Any = None,
            attrmap: Callable[[str], str] | None = None, valmap: Callable[[Any], Any] | None = None,
            ft_cls: type | None = None, **kwargs: Any) -> FT:
    "Create an HTML element; `id` also fills `name` on form controls. `attrmap`/`valmap` take one argument."
    if id is not None:
        kwargs['id'] = id
    if cls is not None:
        kwargs['cls'] = cls
    if title is not None:
        kwargs['title'] = title
    if style is not None:
        kwargs['style'] = style
    if attrmap is None and valmap is None and (ft_cls is None or ft_cls is FT):
        return _build(tag, c, kwargs)
    if _CFG:
        return _configured(tag, c, kwargs, False, attrmap, valmap, ft_cls)
    c, kwargs = _prepped(c, kwargs)
    if attrmap is None and valmap is None:
        attrs = _kw_attrs(kwargs, tag in named)
    else:
        attrs = _custom_attrs(kwargs, attrmap or attrmap_x, valmap)
        if tag in named and attrs.get('id') and 'name' not in attrs:
            attrs['name'] = attrs['id']
    if ft_cls is None or ft_cls is FT:
        return _node(tag, c, attrs, tag in voids)
    return ft_cls(tag, c, attrs, void_=tag in voids)


def ft_hx(tag: str, *c: Any, target_id: Any = None, hx_vals: Any = None, hx_target: Any = None, id: Any = None,
          cls: Any = None, title: Any = None, style: Any = None, **kwargs: Any) -> FT:
    "Create an HTML element with HTMX conveniences: `target_id='x'` -> `hx-target='#x'`, `hx_vals` dicts as JSON."
    if hx_vals is not None:
        kwargs['hx_vals'] = hx_vals
    if hx_target is not None:
        kwargs['hx_target'] = hx_target
    if target_id is not None:
        kwargs['target_id'] = target_id
    if id is not None:
        kwargs['id'] = id
    if cls is not None:
        kwargs['cls'] = cls
    if title is not None:
        kwargs['title'] = title
    if style is not None:
        kwargs['style'] = style
    return _build(tag, c, kwargs)


# ---------------------------------------------------------------------------------------------------------------
# fh_cfg: construction settings apps may change (FastHTML's names). While every setting has its default, `_CFG` is
# False and construction takes the fast paths above; changing a setting flips it and construction goes through
# `_configured`, which honours them all.

_CFG = False


class _FtConfig(AttrDict):
    """FT construction settings: `attrmap`/`valmap` (keyword -> attribute name, value -> attribute value, one
    argument each), `ft_cls` (the node class), `auto_id` (give every element a random id), `auto_name` (an `id` on a
    form control also fills `name`). Set them as items or attributes: `fh_cfg.auto_id = True`."""

    def __setitem__(self, k: str, v: Any) -> None:
        super().__setitem__(k, v)
        _cfg_changed()

    def __delitem__(self, k: str) -> None:
        super().__delitem__(k)
        _cfg_changed()

    def update(self, *a: Any, **kw: Any) -> None:  # type: ignore[override]
        super().update(*a, **kw)
        _cfg_changed()

    def setdefault(self, k: str, v: Any = None) -> Any:
        r = super().setdefault(k, v)
        _cfg_changed()
        return r

    def pop(self, k: str, *d: Any) -> Any:  # type: ignore[override]
        r = super().pop(k, *d)
        _cfg_changed()
        return r

    def popitem(self) -> tuple[str, Any]:
        r = super().popitem()
        _cfg_changed()
        return r

    def clear(self) -> None:
        super().clear()
        _cfg_changed()


fh_cfg = _FtConfig(indent=True, attrmap=attrmap_x, valmap=valmap_x, ft_cls=FT, auto_id=False, auto_name=True)


def _cfg_changed() -> None:
    global _CFG
    g = fh_cfg.get
    _CFG = (g('attrmap', attrmap_x) is not attrmap_x or g('valmap', valmap_x) is not valmap_x
            or g('ft_cls', FT) is not FT or bool(g('auto_id', False)) or not g('auto_name', True))
    if _cbuild is not None:
        _cbuild.set_cfg(_CFG)


def _auto_id() -> str:
    "A random element id that is a valid CSS identifier: `_` and 22 URL-safe characters."
    return '_' + urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip('=')


def _configured(tag: str, c: tuple, kw: dict, void: bool = False, attrmap: Any = None, valmap: Any = None,
                ft_cls: Any = None) -> FT:
    "Build an element honouring `fh_cfg` (explicit `attrmap`/`valmap`/`ft_cls` arguments win)."
    g = fh_cfg.get
    attrmap = attrmap or g('attrmap') or attrmap_x
    valmap = valmap or g('valmap') or valmap_x
    ft_cls = ft_cls or g('ft_cls') or FT
    c, kw = _prepped(c, kw)
    if g('auto_id', False) and kw.get('id') is None:
        kw = {**kw, 'id': _auto_id()}
    is_named = tag in named and g('auto_name', True)
    if attrmap is attrmap_x and valmap is valmap_x:
        attrs = _kw_attrs(kw, is_named)
    else:
        attrs = _custom_attrs(kw, attrmap, None if valmap is valmap_x else valmap)
        if is_named and attrs.get('id') and 'name' not in attrs:
            attrs['name'] = attrs['id']
    void = void or tag in voids
    if ft_cls is FT:
        return _node(tag, c, attrs, void)
    if isinstance(ft_cls, type) and issubclass(ft_cls, FT):
        o = new_ft(tag, c, attrs, ft_cls)
        if void:
            o.__dict__['void_'] = True
        return o
    return ft_cls(tag, c, attrs, void_=void)


# Signatures for help() and editors: every documented HTML/HTMX keyword (any other keyword works too).
_KW = inspect.Parameter.KEYWORD_ONLY
_hx_params = [inspect.Parameter(n, _KW, default=None, annotation=hx_attrs_annotations.get(n, Any))
              for n in ['target_id', 'hx_vals', 'hx_target'] + [o for o in hx_attrs + evt_attrs
                                                                 if o not in ('hx_vals', 'hx_target')]]
_c = inspect.Parameter('c', inspect.Parameter.VAR_POSITIONAL)
_kws = inspect.Parameter('kwargs', inspect.Parameter.VAR_KEYWORD)
_TAG_SIG = inspect.Signature([_c, *_hx_params, _kws], return_annotation=FT)
ft_hx.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [inspect.Parameter('tag', inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str), _c, *_hx_params, _kws],
    return_annotation=FT)


# ---------------------------------------------------------------------------------------------------------------
# Tag functions

_CAMEL = re.compile(r'(?<=[a-z0-9])(?=[A-Z])')


def _tag_name(name: str) -> str:
    "The tag a function name stands for, as FastHTML names it: `Sl_button` -> sl-button, `BarBaz` -> bar-baz."
    return _CAMEL.sub('-', name).lower().replace('_', '-')


def _tag_fn(name: str, tag: str | None = None) -> Callable[..., FT]:
    """Make the function for one element: the C one from `fasthtml._cbuild` when it is available (it calls the
    Python one for anything it does not handle itself), else the Python one."""
    tag = tag or _tag_name(name)
    f = _py_tag_fn(name, tag)
    return f if _cbuild is None else _accelerated(f, tag)


def _accelerated(f: Callable[..., FT], tag: str | None, defaults: tuple = (), trailing: tuple = (),
                 reserved: tuple = ()) -> Callable[..., FT]:
    """The C twin of tag function `f` (which builds `tag` elements, or with `tag` None, elements of the tag given as
    its first argument). `defaults` are leading keyword defaults: ((name, value), ...) placed before the caller's
    other keywords, as `f(*c, name=value, ..., **kw)` would; `trailing` names are placed after them, in that order
    (`ft_hx` appends its explicit keywords to `**kwargs`); `reserved` names send the call to `f` whenever given."""
    assert _cbuild is not None  # (called only when the extension is built)
    if tag is None:  # looked up at each call, as `_build` does
        t = _cbuild.TagFn(None, named, voids, f, defaults, trailing, reserved)
    else:
        t = _cbuild.TagFn(tag, tag in named, tag in voids, f, defaults, trailing, reserved)
    t.__dict__.update(f.__dict__)  # __signature__
    return t


def _py_tag_fn(name: str, tag: str) -> Callable[..., FT]:
    "The Python function for one element: the reference for the C one, and what it calls for unusual calls."
    void = tag in voids

    def f(*c: Any, **kw: Any) -> FT:
        return _build(tag, c, kw, void)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f'An HTML `<{tag}>` element: positional arguments are children, keywords are attributes.'
    f.__module__ = __name__
    f.__signature__ = _TAG_SIG  # type: ignore[attr-defined]
    return f


if _cbuild is not None:  # ft_html and ft_hx in C too; the Python functions above take the calls the C code does not
    ft_html = _accelerated(ft_html, None, (), ('id', 'cls', 'title', 'style'), ('tag', 'attrmap', 'valmap', 'ft_cls'))
    ft_hx = _accelerated(ft_hx, None, (), ('hx_vals', 'hx_target', 'target_id', 'id', 'cls', 'title', 'style'),
                         ('tag',))

A = _tag_fn('A'); Abbr = _tag_fn('Abbr'); Address = _tag_fn('Address'); Area = _tag_fn('Area')
Article = _tag_fn('Article'); Aside = _tag_fn('Aside'); Audio = _tag_fn('Audio'); B = _tag_fn('B')
Base = _tag_fn('Base'); Bdi = _tag_fn('Bdi'); Bdo = _tag_fn('Bdo'); Blockquote = _tag_fn('Blockquote')
Body = _tag_fn('Body'); Br = _tag_fn('Br'); Button = _tag_fn('Button'); Canvas = _tag_fn('Canvas')
Caption = _tag_fn('Caption'); Cite = _tag_fn('Cite'); Code = _tag_fn('Code'); Col = _tag_fn('Col')
Colgroup = _tag_fn('Colgroup'); Data = _tag_fn('Data'); Datalist = _tag_fn('Datalist'); Dd = _tag_fn('Dd')
Del = _tag_fn('Del'); Details = _tag_fn('Details'); Dfn = _tag_fn('Dfn'); Dialog = _tag_fn('Dialog')
Div = _tag_fn('Div'); Dl = _tag_fn('Dl'); Dt = _tag_fn('Dt'); Em = _tag_fn('Em'); Embed = _tag_fn('Embed')
Fencedframe = _tag_fn('Fencedframe'); Fieldset = _tag_fn('Fieldset'); Figcaption = _tag_fn('Figcaption')
Figure = _tag_fn('Figure'); Footer = _tag_fn('Footer'); Form = _tag_fn('Form'); H1 = _tag_fn('H1')
H2 = _tag_fn('H2'); H3 = _tag_fn('H3'); H4 = _tag_fn('H4'); H5 = _tag_fn('H5'); H6 = _tag_fn('H6')
Head = _tag_fn('Head'); Header = _tag_fn('Header'); Hgroup = _tag_fn('Hgroup'); Hr = _tag_fn('Hr')
HxPartial = _tag_fn('HxPartial', 'hx-partial')
I = _tag_fn('I'); Iframe = _tag_fn('Iframe'); Img = _tag_fn('Img'); Input = _tag_fn('Input')  # noqa: E741
Ins = _tag_fn('Ins'); Kbd = _tag_fn('Kbd'); Label = _tag_fn('Label'); Legend = _tag_fn('Legend')
Li = _tag_fn('Li'); Link = _tag_fn('Link'); Main = _tag_fn('Main'); Map = _tag_fn('Map'); Mark = _tag_fn('Mark')
Math = _tag_fn('Math'); Menu = _tag_fn('Menu'); Meta = _tag_fn('Meta'); Meter = _tag_fn('Meter')
Nav = _tag_fn('Nav'); Noscript = _tag_fn('Noscript'); Object = _tag_fn('Object'); Ol = _tag_fn('Ol')
Optgroup = _tag_fn('Optgroup'); Option = _tag_fn('Option'); Output = _tag_fn('Output'); P = _tag_fn('P')
Param = _tag_fn('Param'); Picture = _tag_fn('Picture'); Pre = _tag_fn('Pre'); Progress = _tag_fn('Progress')
PortalExperimental = _tag_fn('PortalExperimental', 'portalexperimental')
Q = _tag_fn('Q'); Rp = _tag_fn('Rp'); Rt = _tag_fn('Rt'); Ruby = _tag_fn('Ruby'); S = _tag_fn('S')
Samp = _tag_fn('Samp'); Script = _tag_fn('Script'); Search = _tag_fn('Search'); Section = _tag_fn('Section')
Select = _tag_fn('Select'); Slot = _tag_fn('Slot'); Small = _tag_fn('Small'); Source = _tag_fn('Source')
Span = _tag_fn('Span'); Strike = _tag_fn('Strike'); Strong = _tag_fn('Strong'); Style = _tag_fn('Style')
Sub = _tag_fn('Sub'); Summary = _tag_fn('Summary'); Sup = _tag_fn('Sup'); Table = _tag_fn('Table')
Tbody = _tag_fn('Tbody'); Td = _tag_fn('Td'); Template = _tag_fn('Template'); Textarea = _tag_fn('Textarea')
Tfoot = _tag_fn('Tfoot'); Th = _tag_fn('Th'); Thead = _tag_fn('Thead'); Time = _tag_fn('Time')
Title = _tag_fn('Title'); Tr = _tag_fn('Tr'); Track = _tag_fn('Track'); U = _tag_fn('U'); Ul = _tag_fn('Ul')
Var = _tag_fn('Var'); Video = _tag_fn('Video'); Wbr = _tag_fn('Wbr')

tag_names = [n for n in __all__ if n[0].isupper() and n not in ('FT', 'Safe', 'NotStr', 'Html', 'File')]


def Html(*c: Any, doctype: bool = True, **kwargs: Any) -> Any:
    "An `<html>` element; unless `doctype=False`, a `(<!doctype html>, <html>)` pair, as FastHTML returns."
    e = _build('html', c, kwargs)
    if not doctype:
        return e
    return (_node('!doctype', (), {'html': True}, True), e)


def __getattr__(name: str) -> Callable[..., FT]:
    "Create tag functions on demand: `Some_custom_tag()` renders `<some-custom-tag>`."
    if name.startswith('_') or not name[:1].isupper():
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    f = globals()[name] = _tag_fn(name)
    return f


# ---------------------------------------------------------------------------------------------------------------
# Helpers over trees (in their own module; re-exported here under the FastHTML names)

from ._ftextras import File, fill_dataclass, fill_form, find_inputs, html2ft, show, sse_message  # noqa: E402
