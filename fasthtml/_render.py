"""RENDER stage: turn an FT tree into an HTML string in one pass, escaping by default, never mutating the tree."""
from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from types import GeneratorType
from typing import Any, TypeVar, overload

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
# What FastHTML's indented layout (the original's default output) does, reproduced by `to_xml(indent=True)`:
# these elements go on lines of their own, indented; every other element stays on its parent's line.
_OWN_LINE = frozenset('!doctype article aside blockquote body div footer h1 h2 h3 h4 h5 h6 head header html input li '
                      'link meta nav ol p section style table tbody td tfoot th thead title tr ul'.split())
# ... and the content of these is left exactly as written (no whitespace added inside, at any depth).
_FLAT = frozenset(('pre', 'code', 'textarea'))
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
        return str(i) if i is not None else render_compact((self,), True, False)

    def __html__(self) -> str:
        return render_compact((self,), True, False)

    __repr__ = __html__
    _repr_html_ = __html__

    def __add__(self, b: Any) -> str:
        return str(self) + str(b)

    def __radd__(self, b: Any) -> str:
        return str(b) + str(self)

    # `e.hx_get = '/x'`, `e.get('hx_get')` and `e.cls` are fastcore's own (the original's node class): the name loses
    # leading underscores and turns `_` into `-`, with no aliases (`e.cls = 'x'` sets an attribute named `cls`), and the
    # value is stored as given.

    def __call__(self, *c: Any, **kw: Any) -> FT:
        "Append children `c` and set attributes `kw` (with the tag functions' rules); returns the node."
        return _components().extend_ft(self, c, kw, replace=False)

    def set(self, *c: Any, **kw: Any) -> FT:
        "Replace the children with `c` (if any) and the attributes, except `id` and `name`, with `kw` (if any)."
        return _components().extend_ft(self, c, kw, replace=True)

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


_F = TypeVar('_F', bound=BaseFT)


@overload
def copy_ft(e: _F, cls: None = None) -> _F: ...
@overload
def copy_ft(e: BaseFT, cls: type[_F]) -> _F: ...
def copy_ft(e: BaseFT, cls: type | None = None) -> Any:
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


def _emit_ft(e: BaseFT, app: Callable[[str], None], esc: bool, sp: int = 0) -> None:
    """Append the HTML of element `e`: the hot loop, with the common shapes handled inline. `sp` is the spacing
    level (see `render_compact`): 0 none, 1 an `<input>` gets whitespace on each side, 2 only after it (top level)."""
    tag = e.tag
    attrs = e.attrs
    if attrs:
        close = _CLOSE.get(tag)
        if close is None:
            if not tag:
                return _emit_frag(e, app, esc, sp)
            close = _close(tag)
        s = '<' + tag + render_attrs(attrs) + '>'
    else:
        s = _OPEN.get(tag)
        if s is None:
            if not tag:
                return _emit_frag(e, app, esc, sp)
            s = _open(tag)
        close = _CLOSE[tag]
    cs = e.children
    if not close and sp and tag == 'input':
        return _emit_input(e, s, cs, app, esc, sp)
    if not cs:
        app(s if not close or e.void_ else s + close)
        return
    if sp:  # what the children get: no added whitespace inside pre/code/textarea, at any depth
        sp = 0 if tag in _FLAT else 1
    # (children of a void element, which browsers place after it, are kept: close is '' for void tags)
    if tag in RAW_TAGS:
        app(s)
        for c in cs:
            if isinstance(c, BaseFT):
                _emit_ft(c, app, esc, sp)
            else:  # text, NotStr, __html__ objects...: verbatim, but never closing the element early
                buf: list = []
                _emit(c, buf.append, False, sp)
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
            _emit_ft(c, app, esc, sp)
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
            _emit_ft(c, app, esc, sp)
        else:
            _emit(c, app, esc, sp)
    app(close)


def _emit_input(e: BaseFT, s: str, cs: Any, app: Callable[[str], None], esc: bool, sp: int) -> None:
    """An `<input>` in the spaced compact form. It is an inline element that the original's layout puts on a line of
    its own, and that whitespace shows in a browser (a gap between a label's text and its box, between a box and
    the button after it), so it keeps a space before it and a newline after it (at the top level only the newline), as
    the original's indentation and line end do."""
    app(' ' + s if sp == 1 else s)
    for c in cs or ():  # (an input has no children; any given are kept, as for other void elements)
        _emit(c, app, esc, 1)
    app('\n')


def _emit_frag(e: BaseFT, app: Callable[[str], None], esc: bool, sp: int = 0) -> None:
    "A fragment (`Fragment(...)`, `ft('')`): no tags of its own, just its children."
    for c in e.children:
        _emit(c, app, esc, sp)


def _from_ft(o: Any) -> Any:
    """`o.__ft__()`, where the documented `[tag, children, attrs]` triple (FastHTML's guide shows one) is an
    element (the original renders such a list as its repr)."""
    r = o.__ft__()
    if type(r) in (list, tuple) and len(r) == 3 and isinstance(r[0], str) and isinstance(r[1], (list, tuple)) \
            and isinstance(r[2], dict):
        return new_ft(r[0], tuple(r[1]), r[2])
    return r


def _emit(o: Any, app: Callable[[str], None], esc: bool, sp: int = 0) -> None:
    "Append the HTML for any child: elements, text, numbers, sequences, `__ft__`/`__html__` objects."
    t = type(o)
    if t is str:
        app(escape(o) if esc else o)
    elif isinstance(o, BaseFT):
        _emit_ft(o, app, esc, sp)
    elif o is None:
        return
    elif t is int or t is float:
        app(str(o))
    elif hasattr(o, '__ft__'):
        _emit(_from_ft(o), app, esc, sp)
    elif hasattr(o, '__html__'):
        app(o.__html__())
    elif t is NotStr:
        app(str(o))  # fastcore's marker for markup: "behaves like a str, but isn't one", so it is never escaped
    elif isinstance(o, str):
        app(escape(o) if esc else o)
    elif isinstance(o, _SEQS):
        for c in o:
            _emit(c, app, esc, sp)
    else:
        s = o.decode('utf-8', 'replace') if isinstance(o, (bytes, bytearray)) else str(o)
        app(escape(s) if esc else s)


# ---------------------------------------------------------------------------------------------------------------
# The indented form: the original's layout, for people reading HTML and for tests comparing strings with it.

def _single_line(cs: Any) -> bool:
    "Does an element with children `cs` fit on one line (no children, or one child that is not an element)?"
    if not cs:
        return True
    if len(cs) != 1:
        return False
    c = cs[0]
    if type(c) is not str and not isinstance(c, BaseFT) and hasattr(c, '__ft__'):
        c = _from_ft(c)
    return not isinstance(c, BaseFT)


def _emit_indented(o: Any, out: list, lvl: int, esc: bool) -> None:
    """Elements of `_OWN_LINE` start on a new line, indented by `lvl` spaces (children get lvl + 2), and end with a
    newline; their content starts on the next line unless it is empty or a single non-element. Everything else
    stays where it is; the content of pre/code/textarea is left exactly as written."""
    if isinstance(o, BaseFT):
        tag = o.tag
        if not tag:  # a fragment: its children at its own level
            for c in o.children:
                _emit_indented(c, out, lvl, esc)
            return
        own = tag in _OWN_LINE
        ind = ' ' * lvl if own else ''
        nl = '\n' if own else ''
        cs = o.children
        if tag in _FLAT or tag in RAW_TAGS or _single_line(cs):
            out.append(ind)
            _emit_ft(o, out.append, esc)
            out.append(nl)
            return
        close = _CLOSE.get(tag)
        if close is None:
            close = _close(tag)
        out.append(ind + '<' + tag + render_attrs(o.attrs) + '>' + nl)
        for c in cs:
            _emit_indented(c, out, lvl + 2, esc)
        out.append(ind + close + nl)
    elif isinstance(o, _SEQS):
        for c in o:
            _emit_indented(c, out, lvl, esc)
    elif o is None:
        return
    elif type(o) is not str and hasattr(o, '__ft__'):
        _emit_indented(_from_ft(o), out, lvl, esc)
    else:
        _emit(o, out.append, esc)


def _render_compact_py(elms: tuple, esc: bool, spaced: bool = False) -> str:
    "The compact form of `elms`, by the Python code: the reference the C renderer (`fasthtml._crender`) matches."
    out: list = []
    app = out.append
    sp = 2 if spaced else 0
    for i, e in enumerate(elms):
        if i:
            app('\n')  # top-level items are separated by a newline, as in the original
        if type(e) is str:
            app(e)  # a string given to to_xml itself is markup (the original returns it unchanged)
        elif type(e) is FT:
            _emit_ft(e, app, esc, sp)
        else:
            _emit(e, app, esc, sp)
    return ''.join(out)


def _pieces(o: Any, esc: bool, sp: int = 0) -> list:
    "The strings the Python code appends for `o`: the C renderer leaves to it whatever it does not handle itself."
    out: list = []
    _emit(o, out.append, esc, sp)
    return out


# Attribute names that name a route (`get='name'`, `post=route_func`, `link=uri(...)`): a response resolves them once
# the tree is rendered (fasthtml._respond.render_html); `render_marked` tells it when there can be none.
ROUTE_KEYS = frozenset(('get', 'post', 'put', 'delete', 'patch', 'link'))


def _render_marked_py(elms: tuple, esc: bool, spaced: bool = False) -> tuple[str, bool]:
    """The compact render, and False only when no element has an attribute named in ROUTE_KEYS. The Python code does
    not track attribute names (True: the caller looks); the C renderer notes them as it writes attributes."""
    return _render_compact_py(elms, esc, spaced), True


def _load_accelerator() -> Any:
    "The C renderer module, set up with this module's classes, caches and fallbacks; or None."
    if os.environ.get('FASTHTML_PURE_PYTHON') == '1':
        return None
    try:
        from . import _crender
    except ImportError:  # not built (no compiler): the Python code renders
        return None
    _crender.init(ft=FT, base_ft=BaseFT, close_cache=_CLOSE, open_cache=_OPEN, ok_attrs=_OK_ATTRS, raw_tags=RAW_TAGS,
                  close=_close, open=_open, check_attr_name=check_attr_name, attr_value=attr_value, escape=escape,
                  from_ft=_from_ft, pieces=_pieces, render_py=_render_compact_py, notstr=NotStr, seqs=_SEQS,
                  route_keys=ROUTE_KEYS)
    return _crender


# The compact renderer: the C one when built and not disabled by FASTHTML_PURE_PYTHON=1, else the Python code.
# `render_compact(elms, esc, spaced)`: `spaced` keeps the whitespace around `<input>` that shows in a browser (what
# pages and `to_xml` use); without it nothing is added between tags (`str(ft)`, as the original's `str`).
# `render_marked(elms, esc, spaced)` also returns whether route-naming attributes may need resolving.
_crender_mod = _load_accelerator()
_render_compact_c = _crender_mod.render if _crender_mod is not None else None
render_compact: Callable[[tuple, bool, bool], str] = _render_compact_c or _render_compact_py
render_marked: Callable[[tuple, bool, bool], tuple[str, bool]] = (
    _crender_mod.render_marked if _crender_mod is not None else _render_marked_py)


def to_xml(*elms: Any, lvl: int = 0, indent: bool = False, do_escape: bool = True) -> Safe:
    """Render FT trees (or strings, numbers, sequences, `__ft__`/`__html__` objects) to HTML: compact (it shows the
    same in a browser as the original's indented layout), or with `indent=True` in the original's layout exactly.
    Text in elements is escaped unless `do_escape=False`; a string given directly is markup and left as it is. The
    result is `Safe`: embedding it does not re-escape it."""
    if not indent:
        # (a do_escape that is not a bool keeps the Python code, which tests its truth only where it needs to)
        return Safe(render_compact(elms, do_escape, True) if type(do_escape) is bool
                    else _render_compact_py(elms, do_escape, True))
    out: list = []
    for i, e in enumerate(elms):
        if i:
            out.append('\n')
        if type(e) is str:
            out.append(e)
        else:
            _emit_indented(e, out, lvl, do_escape)
    return Safe(''.join(out))
