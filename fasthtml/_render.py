"""RENDER stage: turn an FT tree into an HTML string in one pass, escaping by default, never mutating the tree."""
from __future__ import annotations

import json
import os
import re
from types import GeneratorType
from typing import Any, Callable

from fastcore.basics import NotStr
from fastcore.foundation import L
from fastcore.xml import FT as BaseFT
from fastcore.xml import Safe

__all__ = ['FT', 'BaseFT', 'Safe', 'to_xml', 'new_ft', 'copy_ft', 'escape', 'escape_attr', 'render_attrs', 'attr_value',
           'collection_value', 'VOIDS',
           'RAW_TAGS']

VOIDS = frozenset('area base br col command embed hr img input keygen link meta param source track wbr !doctype'
                  .split())
# Elements whose text children are emitted verbatim (the browser never decodes entities inside them).
RAW_TAGS = frozenset(('script', 'style'))
# Elements whose whitespace is significant: the indented form leaves their content alone.
_KEEP_WS = frozenset(('pre', 'textarea', 'script', 'style'))
# Phrasing elements: the indented form keeps them on their parent's line.
_INLINE = frozenset('a abbr b bdi bdo br cite code data del dfn em i img input ins kbd label mark q s samp select '
                    'small span strike strong sub sup time u var wbr'.split())
_SEQS = (list, tuple, GeneratorType, map, filter, range, L)
# Closing tags by tag name; void elements map to '' (no closing tag). Filled on first sight of each tag.
_CLOSE: dict[str, str] = {t: '' for t in VOIDS}


_COMPONENTS: Any = None


def _components() -> Any:
    """The `components` module (which imports this one, so it is resolved on first use): node methods call its
    construction helpers. Cached, because a `from ... import` inside a method costs ~4 µs per call."""
    global _COMPONENTS
    if _COMPONENTS is None:
        from . import components
        _COMPONENTS = components
    return _COMPONENTS


class FT(BaseFT):
    """An HTML element: a `fastcore.xml.FT` (so `.tag`, `.attrs`, `.children` and fastcore's methods work) whose
    `str()` is its id when it has one (for `hx_target=f'#{elem}'`) and its HTML otherwise."""
    # The three fields live in slots: reading them is about twice as fast as from the instance `__dict__`, and a node
    # whose `__dict__` is never touched has no dict object at all (one object for the garbage collector to track
    # instead of two). The `__dict__` fastcore's class has still holds anything else (`void_` when True, listeners).
    __slots__ = ('tag', 'children', 'attrs')
    # Class-level defaults, so a node only stores what differs (construction writes tag/children/attrs only).
    void_ = False
    listeners_: Any = ()

    def __str__(self) -> str:
        i = self.attrs.get('id')
        return str(i) if i is not None else to_xml(self)

    def __html__(self) -> str:
        return to_xml(self)

    __repr__ = __html__
    _repr_html_ = __html__

    def __add__(self, b: Any) -> str:
        return str(self) + str(b)

    def __radd__(self, b: Any) -> str:
        return str(b) + str(self)

    def __call__(self, *c: Any, **kw: Any) -> FT:
        "Append children `c` and set attributes `kw` (with the tag functions' rules); returns the node."
        return _components().extend_ft(self, c, kw, replace=False)

    def set(self, *c: Any, **kw: Any) -> FT:
        "Replace the children with `c` (if any) and the attributes, except `id` and `name`, with `kw` (if any)."
        return _components().extend_ft(self, c, kw, replace=True)

    def __setattr__(self, k: str, v: Any) -> None:
        "`e.hx_get = '/x'` sets an attribute (named as a tag function keyword would be); node fields set normally."
        if k in ('tag', 'children', 'attrs', 'void_') or k[-1] == '_' or k.startswith('__'):
            object.__setattr__(self, k, v)
            return
        m = _components()
        a = m.attrmap_x(k)
        self.attrs[a] = m.valmap_x(v, a)
        self.changed()

    def get(self, k: str, default: Any = None) -> Any:
        "The value of attribute `k` (a Python-style name such as `hx_get` or `cls` is mapped first)."
        return self.attrs.get(_components().attrmap_x(k), default)

    def on(self, f: Callable[[Any], Any]) -> None:
        "Register `f(node)` to be called when the node changes through `__call__`, `set` or attribute assignment."
        d = self.__dict__
        if 'listeners_' not in d:
            d['listeners_'] = []
        d['listeners_'].append(f)


# Node construction without any `__init__`: object creation plus three slot stores (`FT.tag.__set__` and co. are
# the slots' own C setters, bypassing the Python-level `__setattr__`).
_new = object.__new__
set_tag = FT.tag.__set__  # type: ignore[attr-defined]
set_children = FT.children.__set__  # type: ignore[attr-defined]
set_attrs = FT.attrs.__set__  # type: ignore[attr-defined]


def new_ft(tag: str, children: tuple, attrs: dict, cls: type = FT) -> FT:
    "A node of class `cls` (FT or a subclass) with these fields, built without calling any `__init__`."
    o = _new(cls)
    set_tag(o, tag)
    set_children(o, children)
    set_attrs(o, attrs)
    return o


def copy_ft(e: BaseFT, cls: type | None = None) -> FT:
    "A shallow copy of node `e` (its fields and anything in its `__dict__`), as class `cls` (default: e's class)."
    o = _new(cls or type(e))
    if isinstance(o, FT):
        set_tag(o, e.tag)
        set_children(o, e.children)
        set_attrs(o, e.attrs)
    else:
        o.__dict__.update(tag=e.tag, children=e.children, attrs=e.attrs)
    d = getattr(e, '__dict__', None)
    if d:
        o.__dict__.update({k: v for k, v in d.items() if k not in ('tag', 'children', 'attrs')})
    return o


# ---------------------------------------------------------------------------------------------------------------
# Escaping

def escape(s: str) -> str:
    "Escape `&`, `<` and `>` in text content."
    if '&' in s:
        s = s.replace('&', '&amp;')
    if '<' in s:
        s = s.replace('<', '&lt;')
    if '>' in s:
        s = s.replace('>', '&gt;')
    return s


def escape_attr(v: str) -> str:
    "Quote an attribute value: double quotes unless the value holds one, escaping whatever could end it."
    if '&' in v or '<' in v or '>' in v:
        v = escape(v)
    if '"' not in v:
        return '"' + v + '"'
    if "'" in v:
        v = v.replace("'", '&#39;')
    return "'" + v + "'"


_COLLECTIONS = frozenset((dict, list, tuple, set, frozenset))


def collection_value(v: Any, k: str = '') -> Any:
    """A dict or collection attribute value as text: a dict as CSS for `style` and JSON otherwise, a list, tuple or
    set joined with spaces (None and False left out), an empty one None (the attribute is left out). Any other value
    is returned unchanged."""
    t = type(v)
    if t is dict:
        if not v:
            return None
        if k == 'style':
            return '; '.join(f'{a}:{b}' for a, b in v.items())
        return json.dumps(v)
    if t is list or t is tuple or t is set or t is frozenset:
        return ' '.join(str(o) for o in v if o is not None and o is not False) if v else None
    return v


def attr_value(v: Any, k: str = '') -> str | None:
    "Stringify a non-string attribute value (third-party code may store any type after construction)."
    if v is None or v is False:
        return None
    if v is True:
        return ''
    t = type(v)
    if t is int or t is float:
        return str(v)
    if t in _COLLECTIONS:
        return collection_value(v, k)
    if isinstance(v, BaseFT):
        return str(v)  # an element used as a value means its id (`hx_target=elem`)
    html = getattr(v, '__html__', None)
    if html is not None:
        return html()
    return str(v)


def render_attrs(attrs: dict) -> str:
    "Render an attribute dict as ` k=\"v\"...`; `True` is a bare attribute, `False`/`None` are left out."
    s = ''
    for k, v in attrs.items():
        if k not in _OK_ATTRS:
            check_attr_name(k)
        if type(v) is not str:
            if v is True:
                s += ' ' + k
                continue
            v = attr_value(v, k)
            if v is None:
                continue
        if '&' in v or '<' in v or '>' in v:
            v = escape(v)
        if '"' in v:
            if "'" in v:
                v = v.replace("'", '&#39;')
            s += ' ' + k + "='" + v + "'"
        else:
            s += ' ' + k + '="' + v + '"'
    return s


def _raw_text(tag: str, s: str) -> str:
    "Text inside script/style is not escaped, but it can never close its own element early."
    low = s.lower()
    end = '</' + tag
    if end not in low:
        return s
    out, i = [], 0
    while (j := low.find(end, i)) >= 0:
        out.append(s[i:j] + '<\\/')
        i = j + 2
    out.append(s[i:])
    return ''.join(out)


# ---------------------------------------------------------------------------------------------------------------
# The compact form: one pass appending strings to a list.

# What the HTML tokenizer accepts as one tag or attribute name: anything else in a name (a space, quote, `>`, `=`,
# `/`) would end the name early and let the rest be read as markup, so such names are refused, never emitted.
_TAG_NAME = re.compile(r'!?[A-Za-z][^\s/>"\'<=\x00-\x1f\x7f]*')
_ATTR_NAME = re.compile(r'[^\s"\'<>/=\x00-\x1f\x7f]+')
_OK_ATTRS: set[str] = set()


def check_attr_name(k: Any) -> None:
    "Refuse an attribute name that is not a string or would break out of its tag; valid names are cached."
    if type(k) is not str or _ATTR_NAME.fullmatch(k) is None:
        raise ValueError(f'Invalid HTML attribute name {k!r}: names cannot contain spaces, quotes, <, >, / or =')
    _OK_ATTRS.add(k)


def _close(tag: str) -> str:
    "The closing tag for `tag`, validating the name the first time it is seen (results are cached)."
    if type(tag) is not str or _TAG_NAME.fullmatch(tag) is None:
        raise ValueError(f'Invalid HTML tag name {tag!r}')
    c = _CLOSE[tag] = '</' + tag + '>'
    return c


# Opening tags of attribute-less elements by tag name, filled (with `_CLOSE`) on first sight of each valid tag.
_OPEN: dict[str, str] = {}


def _open(tag: str) -> str:
    "The opening tag `<tag>` for an element without attributes, validating the name once (results are cached)."
    if _CLOSE.get(tag) is None:
        _close(tag)
    elif type(tag) is not str or _TAG_NAME.fullmatch(tag) is None:  # a void tag: its name is still checked
        raise ValueError(f'Invalid HTML tag name {tag!r}')
    o = _OPEN[tag] = '<' + tag + '>'
    return o


def _emit_ft(e: BaseFT, app: Callable[[str], None], esc: bool) -> None:
    "Append the HTML of element `e`: the hot loop, with the common shapes handled inline."
    tag = e.tag
    attrs = e.attrs
    if attrs:
        close = _CLOSE.get(tag)
        if close is None:
            if not tag:
                return _emit_frag(e, app, esc)
            close = _close(tag)
        s = '<' + tag + render_attrs(attrs) + '>'
    else:
        s = _OPEN.get(tag)
        if s is None:
            if not tag:
                return _emit_frag(e, app, esc)
            s = _open(tag)
        close = _CLOSE[tag]
    cs = e.children
    if not cs:
        app(s if not close or e.void_ else s + close)
        return
    # (children of a void element, which browsers place after it, are kept: close is '' for void tags)
    if tag in RAW_TAGS:
        app(s)
        for c in cs:
            if isinstance(c, BaseFT):
                _emit_ft(c, app, esc)
            else:  # text, NotStr, __html__ objects...: verbatim, but never closing the element early
                buf: list = []
                _emit(c, buf.append, False)
                app(_raw_text(tag, ''.join(buf)))
        app(close)
        return
    if len(cs) == 1:  # the commonest shapes: one text or number child, emitted with its tags in one piece
        c = cs[0]
        t = type(c)
        if t is str:
            if esc and ('&' in c or '<' in c or '>' in c):
                c = escape(c)
            app(s + c + close)
            return
        if t is int:
            app(s + str(c) + close)
            return
        if t is FT:  # one element inside another (`Li(A(...))`)
            app(s)
            _emit_ft(c, app, esc)
            app(close)
            return
    app(s)
    for c in cs:
        t = type(c)
        if t is str:
            if esc and ('&' in c or '<' in c or '>' in c):
                c = escape(c)
            app(c)
        elif t is FT:
            _emit_ft(c, app, esc)
        else:
            _emit(c, app, esc)
    app(close)


def _emit_frag(e: BaseFT, app: Callable[[str], None], esc: bool) -> None:
    "A fragment (`Fragment(...)`, `ft('')`): no tags of its own, just its children."
    for c in e.children:
        _emit(c, app, esc)


def _from_ft(o: Any) -> Any:
    """`o.__ft__()`, where the documented `[tag, children, attrs]` triple (FastHTML's guide shows one) is an
    element (the original renders such a list as its repr)."""
    r = o.__ft__()
    if type(r) in (list, tuple) and len(r) == 3 and isinstance(r[0], str) and isinstance(r[1], (list, tuple)) \
            and isinstance(r[2], dict):
        return new_ft(r[0], tuple(r[1]), r[2])
    return r


def _emit(o: Any, app: Callable[[str], None], esc: bool) -> None:
    "Append the HTML for any child: elements, text, numbers, sequences, `__ft__`/`__html__` objects."
    t = type(o)
    if t is str:
        app(escape(o) if esc else o)
    elif isinstance(o, BaseFT):
        _emit_ft(o, app, esc)
    elif o is None:
        return
    elif t is int or t is float:
        app(str(o))
    elif hasattr(o, '__ft__'):
        _emit(_from_ft(o), app, esc)
    elif hasattr(o, '__html__'):
        app(o.__html__())
    elif t is NotStr:
        app(str(o))  # fastcore's marker for markup: "behaves like a str, but isn't one", so it is never escaped
    elif isinstance(o, str):
        app(escape(o) if esc else o)
    elif isinstance(o, _SEQS):
        for c in o:
            _emit(c, app, esc)
    else:
        s = o.decode('utf-8', 'replace') if isinstance(o, (bytes, bytearray)) else str(o)
        app(escape(s) if esc else s)


# ---------------------------------------------------------------------------------------------------------------
# The indented form, for people reading HTML.

def _is_block(c: Any) -> bool:
    if isinstance(c, BaseFT):
        if not c.tag:  # a fragment is as block-level as its children
            return any(_is_block(o) for o in c.children)
        return c.tag not in _INLINE
    return isinstance(c, _SEQS) or hasattr(c, '__ft__')


def _emit_indented(o: Any, out: list, lvl: int, esc: bool) -> None:
    "Elements holding block-level elements put each child on its own line; everything else stays on one line."
    if isinstance(o, BaseFT):
        tag = o.tag
        if not tag:  # a fragment: its children at its own level
            for c in o.children:
                _emit_indented(c, out, lvl, esc)
            return
        if tag in _KEEP_WS or not any(_is_block(c) for c in o.children):
            out.append('  ' * lvl)
            _emit_ft(o, out.append, esc)
            out.append('\n')
            return
        close = _CLOSE.get(tag) or _close(tag)
        out.append('  ' * lvl + '<' + tag + render_attrs(o.attrs) + '>\n')
        for c in o.children:
            _emit_indented(c, out, lvl + 1, esc)
        out.append('  ' * lvl + close + '\n')
    elif isinstance(o, _SEQS):
        for c in o:
            _emit_indented(c, out, lvl, esc)
    elif o is None:
        return
    elif type(o) is not str and hasattr(o, '__ft__'):
        _emit_indented(_from_ft(o), out, lvl, esc)
    else:
        buf: list = []
        _emit(o, buf.append, esc)
        s = ''.join(buf)
        if s:
            out.append('  ' * lvl + s + '\n')


def _render_compact_py(elms: tuple, esc: bool) -> str:
    "The compact form of `elms`, by the Python code: the reference the C renderer (`fasthtml._crender`) matches."
    out: list = []
    app = out.append
    for e in elms:
        if type(e) is FT:
            _emit_ft(e, app, esc)
        else:
            _emit(e, app, esc)
    return ''.join(out)


def _pieces(o: Any, esc: bool) -> list:
    "The strings the Python code appends for `o`: the C renderer leaves to it whatever it does not handle itself."
    out: list = []
    _emit(o, out.append, esc)
    return out


def _load_accelerator() -> Callable[[tuple, bool], str] | None:
    "The C renderer's `render(elms, esc)`, set up with this module's classes, caches and fallbacks; None without it."
    if os.environ.get('FASTHTML_PURE_PYTHON') == '1':
        return None
    try:
        from . import _crender  # type: ignore[attr-defined]
    except ImportError:  # not built (no compiler): the Python code renders
        return None
    _crender.init(ft=FT, base_ft=BaseFT, close_cache=_CLOSE, open_cache=_OPEN, ok_attrs=_OK_ATTRS, raw_tags=RAW_TAGS,
                  close=_close, open=_open, check_attr_name=check_attr_name, attr_value=attr_value, escape=escape,
                  from_ft=_from_ft, pieces=_pieces, render_py=_render_compact_py, notstr=NotStr, seqs=_SEQS)
    return _crender.render


# The compact renderer: the C one when built and not disabled by FASTHTML_PURE_PYTHON=1, else the Python code.
_render_compact_c = _load_accelerator()
render_compact: Callable[[tuple, bool], str] = _render_compact_c or _render_compact_py


def to_xml(*elms: Any, lvl: int = 0, indent: bool = False, do_escape: bool = True) -> Safe:
    """Render FT trees (or strings, numbers, sequences, `__ft__`/`__html__` objects) to HTML, compact unless
    `indent`. Text is escaped unless `do_escape=False`. The result is `Safe`: embedding it does not re-escape it."""
    if not indent:
        # (a do_escape that is not a bool keeps the Python code, which tests its truth only where it needs to)
        return Safe(render_compact(elms, do_escape) if type(do_escape) is bool else _render_compact_py(elms, do_escape))
    out: list = []
    for e in elms:
        _emit_indented(e, out, lvl, do_escape)
    return Safe(''.join(out))
