"""HTML -> FT source: `html2ft` (fasthtml._ftextras.html2ft loads this module on first use)."""
from __future__ import annotations

import keyword
from html.parser import HTMLParser
from typing import Any

from ._render import _INLINE, VOIDS

__all__ = ['html2ft']

_KEEP_WS = frozenset(('pre', 'textarea', 'script', 'style'))
# Start tags that close a still-open element of these kinds (the HTML parser's implied end tags).
_P_CLOSERS = frozenset('address article aside blockquote details dialog div dl fieldset figcaption figure footer form '
                       'h1 h2 h3 h4 h5 h6 header hgroup hr main menu nav ol p pre section table ul'.split())
_IMPLIED: dict[str, frozenset] = {
    'li': frozenset(('li',)), 'dt': frozenset(('dt', 'dd')), 'dd': frozenset(('dt', 'dd')),
    'option': frozenset(('option',)), 'optgroup': frozenset(('option', 'optgroup')),
    'tr': frozenset(('tr', 'td', 'th')), 'td': frozenset(('td', 'th')), 'th': frozenset(('td', 'th')),
    'thead': frozenset(('tbody', 'tfoot', 'tr', 'td', 'th')), 'tbody': frozenset(('thead', 'tfoot', 'tr', 'td', 'th')),
    'tfoot': frozenset(('thead', 'tbody', 'tr', 'td', 'th')),
}


class _Node:
    __slots__ = ('tag', 'attrs', 'children')

    def __init__(self, tag: str, attrs: list) -> None:
        self.tag, self.attrs, self.children = tag, attrs, []


class _TreeBuilder(HTMLParser):
    "Builds a light tree of `_Node`s and strings; comments and declarations are dropped."

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node('', [])
        self.stack = [self.root]
        self.doctype = False

    def _implied_close(self, tag: str) -> None:
        closes = frozenset(('p',)) if tag in _P_CLOSERS else frozenset()
        closes |= _IMPLIED.get(tag, frozenset())
        while len(self.stack) > 1 and self.stack[-1].tag in closes:
            self.stack.pop()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._implied_close(tag)
        n = _Node(tag, attrs)
        self.stack[-1].children.append(n)
        if tag not in VOIDS:
            self.stack.append(n)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self._implied_close(tag)
        self.stack[-1].children.append(_Node(tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def handle_decl(self, decl: str) -> None:
        if decl.lower().startswith('doctype'):
            self.doctype = True


def _inline(c: Any) -> bool:
    return isinstance(c, _Node) and c.tag in _INLINE


def _clean_text(n: _Node, keep_ws: bool) -> list:
    """Merge adjacent text and drop whitespace that only formats the HTML: text loses leading/trailing newlines,
    and whitespace-only text goes unless it separates two inline elements (`<b>a</b> <i>b</i>`)."""
    out: list = []
    for c in n.children:
        if isinstance(c, str) and out and isinstance(out[-1], str):
            out[-1] += c
        else:
            out.append(c)
    if keep_ws:
        return out
    res = []
    for i, c in enumerate(out):
        if isinstance(c, str):
            if c.isspace():
                if '\n' in c or not (0 < i < len(out) - 1 and _inline(out[i - 1]) and _inline(out[i + 1])):
                    continue
            else:
                c = c.strip('\n')
        res.append(c)
    return res


# Names in fasthtml.components that are not tag functions.
_NON_TAGS = frozenset(('File', 'Safe', 'NotStr', 'FT'))


def _func(tag: str) -> str | None:
    "The tag function name for `tag` (`uk-select` -> `Uk_select`), or None when `ft('tag', ...)` is needed."
    name = tag[:1].upper() + tag[1:].replace('-', '_')
    if not name.isidentifier() or keyword.iskeyword(name) or name in _NON_TAGS or not name[0].isalpha():
        return None
    return name


def _kwargs(attrs: list) -> list[str]:
    "Keyword arguments reproducing `attrs`: class last (as `cls`), unusual names in a trailing `**{...}`."
    plain, lit, cls = [], {}, None
    for k, v in attrs:
        v = True if v is None else v
        if k == 'class':
            cls = v
        elif k == 'for':
            plain.append(f'fr={v!r}')
        elif k == '_':
            plain.append(f'_={v!r}')
        elif '_' in k or not k.replace('-', '_').isidentifier():
            lit[k] = v  # an underscore in the name would turn into a hyphen, and some names are not identifiers
        elif keyword.iskeyword(k.replace('-', '_')):
            plain.append(f'{k}_={v!r}')  # `async_=True`: the trailing underscore is dropped again
        else:
            plain.append(f'{k.replace("-", "_")}={v!r}')
    if cls is not None:
        plain.append(f'cls={cls!r}')
    if lit:
        plain.append('**' + repr(lit))
    return plain


def _src(n: Any, lvl: int, attr1st: bool, keep_ws: bool, doctype: bool) -> str:
    if isinstance(n, str):
        return repr(n)
    keep_ws = keep_ws or n.tag in _KEEP_WS
    kids = [_src(c, lvl + 1, attr1st, keep_ws, doctype) for c in _clean_text(n, keep_ws)]
    kws = _kwargs(n.attrs)
    if n.tag == 'html' and not doctype:
        kws.append('doctype=False')
    one_line = len(kids) <= 1 and not any(isinstance(c, _Node) for c in n.children)
    name = _func(n.tag)
    if name is None:
        name = 'ft'
        (kws if attr1st else kids).insert(0, repr(n.tag))
    if one_line:
        if attr1st:
            return f'{name}({", ".join(kws)})({"".join(kids)})'
        return f'{name}({", ".join(kids + kws)})'
    ind, end = '    ' * (lvl + 1), '\n' + '    ' * lvl + ')'
    if attr1st:
        head = f'{name}({", ".join(kws)})(\n' if kws else f'{name}(\n'
        return head + ',\n'.join(ind + k for k in kids) + end
    return f'{name}(\n' + ',\n'.join(ind + k for k in kids + kws) + end


def html2ft(html: str, attr1st: bool = False) -> str:
    """Convert HTML to an `ft` expression: Python source using the tag functions (`Div('hi', cls='a')`), or with
    `attr1st` the attributes-first form (`Div(cls='a')('hi')`). Several top-level elements give several lines;
    comments are dropped, and so is whitespace that only formats the HTML."""
    p = _TreeBuilder()
    p.feed(html)
    p.close()
    return '\n'.join(_src(c, 0, attr1st, False, p.doctype) for c in _clean_text(p.root, False))
