"""RESPONSE stage: one function, `to_response`, turns whatever a handler returned into a Starlette Response.

The table, checked in this order (first match wins):

| returned value                          | response                                                         |
|-----------------------------------------|------------------------------------------------------------------|
| a Starlette `Response`                  | sent as is (a `FileResponse` for a missing file: 404)            |
| an object with `__response__(req)`      | its result, converted again (`Redirect`, `FtResponse`, ...)       |
| `None`                                  | empty 200 `text/html`                                            |
| `str`                                   | 200 `text/html` with that (unescaped) HTML                       |
| `HttpHeader` / `BackgroundTask(s)`      | as a 1-tuple                                                     |
| a tuple or list                         | headers and tasks pulled out; one non-FT item converted alone,  |
|                                         | else the items (or none) as content, as below                    |
| FT or `__ft__` objects                  | a full HTML page, or a fragment for HTMX requests                |
| `dict`                                  | JSON                                                             |
| `bytes`                                 | `application/octet-stream`                                       |
| anything with `__html__`                | 200 `text/html`                                                  |
| a number                                | its text                                                         |
| a path, date/time, UUID, Decimal, Enum  | its `str()`, escaped, as `text/html`                             |
| a coroutine or generator                | `TypeError` naming the handler (a missing `await`)               |
| anything else                           | its `str()` as `text/html`, as FastHTML sends it                 |
"""
from __future__ import annotations

import copy
import dataclasses
import inspect
import json
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import Enum
from http.cookies import CookieError, Morsel, SimpleCookie
from http.cookies import _unquote as _cookie_unquote  # the reading Starlette gives every cookie
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit
from uuid import UUID

from fastcore.xml import FT as BaseFT
from starlette.background import BackgroundTask, BackgroundTasks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.responses import JSONResponse as _StarletteJSONResponse
from starlette.routing import NoMatchFound
from starlette.types import Scope

from ._render import FT, ROUTE_KEYS, escape, escape_attr, render_attrs, render_marked, to_xml

__all__ = ['HttpHeader', 'HtmxResponseHeaders', 'htmx_resps', 'cookie', 'Redirect', 'FtResponse', 'EventStream',
           'respond', 'to_response', 'is_full_page', 'flat_xt', 'flat_tuple', 'noop_body', 'Page', 'HEAD_TAGS',
           'check_header_value', 'JSONResponse', 'render_html', 'flat_all', 'HeaderValueError', 'header_value',
           'url_for_header', 'cookie_text']

def _json_default(o: Any) -> Any:
    "The JSON form of values `json` has none for: dates as ISO 8601, collections as lists, the rest as `str`."
    if isinstance(o, (date, time)):
        return o.isoformat()
    if isinstance(o, Enum):
        return o.value
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if isinstance(o, (bytes, bytearray)):
        return bytes(o).decode('utf-8', 'replace')
    return str(o)


class JSONResponse(_StarletteJSONResponse):
    """Starlette's JSONResponse as FastHTML sends it: compact and UTF-8, with dates, UUIDs, paths, decimals, enums,
    sets and dataclasses written in their JSON form (see `_json_default`) instead of failing. NaN and infinities
    are still refused: they are not JSON. `JSONResponseOrig` is Starlette's own."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(',', ':'), default=_json_default)
        try:
            return text.encode('utf-8')
        except UnicodeEncodeError:  # a lone surrogate (which UTF-8 cannot hold) is still JSON as a \u escape
            return json.dumps(content, allow_nan=False, separators=(',', ':'), default=_json_default).encode('ascii')


# Elements a handler may return at the top level that belong in `<head>` on a full page.
HEAD_TAGS = frozenset(('title', 'meta', 'link', 'style', 'base'))


def check_header_value(v: str, what: str) -> str:
    "Refuse CR/LF in a header value: they would let a value inject headers of its own."
    if '\r' in v or '\n' in v or '\x00' in v:
        raise ValueError(f'{what} must not contain CR, LF or NUL characters: {v[:60]!r}')
    return v


# ---------------------------------------------------------------------------------------------------------------
# Header values. Whatever the original sends (ASCII, and latin-1 outside URLs) goes out byte for byte; what it could
# not send (a 500 there) is encoded so that it works: URLs as browsers write them, JSON with \u escapes, the rest
# percent-encoded. What no header can carry is an error naming the header: control characters outside a URL
# (HeaderValueError, a 400 unless handled) and a lone surrogate (a ValueError: no client can send one, since the
# parameter stage refuses it, so the program made it).

class HeaderValueError(HTTPException, ValueError):
    """CR, LF, NUL or another control character (tab aside) in a (non-URL) header value, which HTTP cannot carry:
    a ValueError at the call, and a 400 if it goes unhandled, since such a value most likely echoes the client's
    input (it never reaches the wire, so it cannot inject headers nor make the server drop the connection)."""

    def __init__(self, detail: str):
        HTTPException.__init__(self, 400, detail)


# Headers whose value is a URL (HX-Location may also be a JSON object); htmx's event and selector headers.
_URL_HEADERS = frozenset(('location', 'content-location', 'hx-location', 'hx-redirect', 'hx-push-url',
                          'hx-replace-url'))
_JSON_HEADERS = frozenset(('hx-location', 'hx-trigger', 'hx-trigger-after-settle', 'hx-trigger-after-swap'))
_SELECTOR_HEADERS = frozenset(('hx-retarget', 'hx-reselect'))
# What a header value cannot carry: CR and LF would end it, NUL and the other controls (tab aside) servers refuse
# (uvicorn drops the connection).
_CONTROL = re.compile('[\x00-\x08\x0a-\x1f\x7f]')
_NON_ASCII = re.compile('[^\x00-\x7f]+')
_URL_ESCAPE = re.compile('[\x00-\x08\x0a-\x1f\x7f]|[^\x00-\x7f]+')
_SURROGATE = re.compile('[\ud800-\udfff]')
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a header name (RFC 9110 token)
_URL_HOST = re.compile(r'(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//(?:[^/?#@]*@)?([^/?#:]*)')


def _pct(m: re.Match) -> str:
    return quote(m.group(), safe='')


def _no_surrogates(v: str, what: str) -> None:
    "A lone surrogate is not text in any encoding: only a program can have made one, so it is that program's error."
    m = _SURROGATE.search(v)
    if m is not None:
        raise ValueError(f'{what} cannot be sent: it holds a lone surrogate (U+{ord(m.group()):04X}) at position '
                         f'{m.start()}, which is not text in any encoding: {v[:60]!r}')


def _is_latin1(v: str) -> bool:
    try:
        v.encode('latin-1')
    except UnicodeEncodeError:
        return False
    return True


def url_for_header(url: str, what: str = 'Location') -> str:
    """`url` as a browser writes it into a request: control characters (tab aside, as the original sends it) and
    non-ASCII characters percent-encoded (UTF-8), a non-ASCII host name in its IDNA (`xn--`) form; everything else
    (ASCII, reserved characters, existing %-escapes) unchanged, so `unquote` gives back the text. `what` names the
    header in the error a lone surrogate raises."""
    if url.isascii() and _CONTROL.search(url) is None:
        return url
    if not url.isascii():
        _no_surrogates(url, what)
        m = _URL_HOST.match(url)
        if m is not None and not m.group(1).isascii():
            try:
                url = url[:m.start(1)] + m.group(1).encode('idna').decode('ascii') + url[m.end(1):]
            except UnicodeError:  # not a name IDNA can write: percent-encoded below, as the WHATWG URL parser reads
                pass
    return _URL_ESCAPE.sub(_pct, url)


def _css_escape(m: re.Match) -> str:
    return ''.join(f'\\{ord(c):x} ' for c in m.group())


def _json_escape(m: re.Match) -> str:
    return json.dumps(m.group())[1:-1]


def header_value(name: str, value: str) -> str:
    """`value` ready to be sent as header `name`. Values the original sends unchanged are unchanged; otherwise
    URL headers (`Location`, `HX-Redirect`, `HX-Location`, `HX-Push-Url`, ...) go through `url_for_header`; JSON
    in `HX-Trigger*`/`HX-Location` gets \\u escapes; non-latin-1 text becomes JSON event names (`HX-Trigger*`), CSS
    escapes (`HX-Retarget`, `HX-Reselect`) or UTF-8 percent-escapes (any other header). Control characters (CR,
    LF, NUL...; tab aside) outside a URL raise `HeaderValueError` (a 400 unless handled), a lone surrogate
    `ValueError`, both naming the header."""
    if value.isascii() and _CONTROL.search(value) is None:
        return value
    n = name.lower()
    is_json = n in _JSON_HEADERS and value.lstrip().startswith('{')
    if n in _URL_HEADERS and not is_json:
        return url_for_header(value, f'Header {name!r}')
    if _CONTROL.search(value) is not None:
        raise HeaderValueError(f'Header {name!r} must not contain CR, LF or NUL characters (nor any control '
                               f'character but tab): {value[:60]!r}')
    _no_surrogates(value, f'Header {name!r}')
    if is_json:
        return _NON_ASCII.sub(_json_escape, value)
    if _is_latin1(value):
        return value
    if n in _JSON_HEADERS:  # a list of event names: the same events as a JSON object, which htmx also reads
        return json.dumps({e.strip(): {} for e in value.split(',') if e.strip()})
    if n in _SELECTOR_HEADERS:
        return _NON_ASCII.sub(_css_escape, value)
    return _NON_ASCII.sub(_pct, value)


@dataclass
class HttpHeader:
    "A response header, returned from a handler (alone or in a tuple); see `header_value` for how values are sent."
    k: str
    v: str

    def __post_init__(self) -> None:
        check_header_value(self.k, 'A header name')
        if _TOKEN.fullmatch(self.k) is None:
            raise ValueError(f'Header name {self.k!r} cannot be sent: a name is letters, digits and '
                             f"!#$%&'*+-.^_`|~ only (no spaces, no other punctuation, nothing beyond ASCII)")
        self.v = header_value(self.k, str(self.v))


htmx_resps = dict(location=None, push_url=None, redirect=None, refresh=None, replace_url=None, reswap=None,
                  retarget=None, reselect=None, trigger=None, trigger_after_settle=None, trigger_after_swap=None)


_HX_RESP_KEYS = ('location', 'push_url', 'redirect', 'refresh', 'replace_url', 'reswap', 'retarget', 'reselect',
                 'trigger', 'trigger_after_settle', 'trigger_after_swap')


def HtmxResponseHeaders(**kw: Any) -> HttpHeader | tuple[HttpHeader, ...]:
    """HTMX response headers (`HX-Location`, `HX-Trigger`, ...) in the order the keywords are given, as FastHTML
    sends them; dict values are sent as JSON."""
    for k in kw:
        if k not in _HX_RESP_KEYS:
            raise TypeError(f'HtmxResponseHeaders() got an unexpected keyword argument {k!r}')
    res = tuple(HttpHeader('HX-' + '-'.join(w.capitalize() for w in k.split('_')),
                           json.dumps(v) if isinstance(v, (dict, list)) else str(v).lower() if isinstance(v, bool)
                           else str(v))
                for k, v in kw.items() if v is not None)
    return res[0] if len(res) == 1 else res


HtmxResponseHeaders.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Any) for k in _HX_RESP_KEYS],
    return_annotation='HttpHeader | tuple[HttpHeader, ...]')


# ---------------------------------------------------------------------------------------------------------------
# Cookies. `cookie` formats a value as the original does (Python's SimpleCookie: bare when it is a token, else
# quoted with octal escapes) whenever that can be sent, which is any latin-1 text; other text (a 500 there) is sent
# as a quoted token with UTF-8 percent-escapes, a form SimpleCookie never writes (it quotes only values that are not
# tokens), so `cookie_text` tells the two apart on the way back in. Non-ASCII name characters are percent-escaped.

_COOKIE_TOKEN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~:"
_COOKIE_SAFE = "!#$&'*+^`|:"  # what `quote` must keep besides letters, digits and _.-~: the token set without %
_COOKIE_ENCODED = re.compile('"[' + re.escape(_COOKIE_TOKEN) + ']*%[' + re.escape(_COOKIE_TOKEN) + ']*"')


def cookie_name(key: str) -> str:
    "The name `cookie` sends for `key`: non-ASCII characters percent-encoded (UTF-8), the rest unchanged."
    if key.isascii():
        return key
    _no_surrogates(key, 'A cookie name')
    return _NON_ASCII.sub(_pct, key)


def _cookie_value(name: str, value: str) -> str:
    "The quoted, percent-encoded form of a value SimpleCookie cannot send (it holds characters beyond latin-1)."
    _no_surrogates(value, f'The value of cookie {name!r}')
    return '"' + quote(value, safe=_COOKIE_SAFE) + '"'


def cookie_text(raw: str) -> str:
    """The text a cookie value stands for, given the value as it arrived (the header read as latin-1, as Starlette
    reads it): raw bytes outside ASCII as UTF-8 (browsers send JavaScript's cookies that way), `cookie`'s quoted
    percent-encoded form decoded, anything else unquoted as the original reads it. Raises UnicodeDecodeError when the
    bytes or escapes are not UTF-8."""
    if not raw.isascii():
        raw = raw.encode('latin-1').decode('utf-8')
    if _COOKIE_ENCODED.fullmatch(raw) is not None:
        return unquote(raw[1:-1], errors='strict')
    return _cookie_unquote(raw)


def cookie(key: str, value: Any = '', max_age: int | None = None, expires: Any = None, path: str = '/',
           domain: str | None = None, secure: bool = False, httponly: bool = False,
           samesite: str | None = 'lax') -> HttpHeader:
    """A `set-cookie` HttpHeader, formatted as Starlette formats cookies; datetimes are stored as text. Any text
    round-trips into a `str` parameter of the same name (see the comment above on how it is encoded)."""
    from datetime import datetime
    c: SimpleCookie = SimpleCookie()
    name, sval = cookie_name(key), str(value)
    try:
        if _is_latin1(sval):
            c[name] = sval
        else:
            morsel: Morsel = Morsel()
            morsel.set(name, sval, _cookie_value(name, sval))
            c[name] = morsel
    except CookieError:
        raise CookieError(f'Cookie name {key!r} cannot be sent: a name is made of letters, digits and '
                          f"!#$%&'*+-.^_`|~: (no spaces, quotes or ()<>@,;=?/[]{{}}\\), and is not a cookie attribute "
                          f'such as path or expires') from None
    m = c[name]
    if max_age is not None:
        m['max-age'] = max_age
    if expires is not None:
        m['expires'] = expires.strftime('%a, %d %b %Y %H:%M:%S GMT') if isinstance(expires, datetime) else expires
    if path is not None:
        m['path'] = url_for_header(path, 'A cookie path').replace(';', '%3B')  # a ';' would end it
    if domain is not None:
        m['domain'] = domain if domain.isascii() else _idna(domain)
    if secure:
        m['secure'] = True
    if httponly:
        m['httponly'] = True
    if samesite is not None:
        if samesite.lower() not in ('strict', 'lax', 'none'):
            raise ValueError("samesite must be 'strict', 'lax' or 'none'")
        m['samesite'] = samesite
    return HttpHeader('set-cookie', c.output(header='').strip())


def _idna(domain: str) -> str:
    _no_surrogates(domain, 'A cookie domain')
    try:
        return domain.encode('idna').decode('ascii')
    except UnicodeError:
        raise ValueError(f'Cookie domain {domain!r} is not a host name') from None


_CTRL = re.compile(r'[\x00-\x1f\x7f]')


class Redirect:
    """Redirect to `loc`: an `HX-Redirect` header for HTMX requests, otherwise a 303 See Other.

    Control characters in `loc` (CR/LF could inject headers; a location often carries user input such as a `next`
    parameter) are percent-encoded, so a hostile value is a harmless URL instead of an injection or a 500; so are
    non-ASCII characters, as browsers write them (see `url_for_header`)."""

    def __init__(self, loc: Any):
        self.loc = _CTRL.sub(lambda m: f'%{ord(m.group()):02X}', str(loc))
        if not self.loc.isascii():
            _no_surrogates(self.loc, 'A Redirect location')

    def __response__(self, req: Request) -> Response:
        loc = url_for_header(self.loc, 'A Redirect location')
        if req.headers.get('hx-request'):
            return HTMLResponse('', headers={'vary': _VARY, 'HX-Redirect': loc})  # FastHTML's headers, in its order
        return RedirectResponse(loc, status_code=303)


class FtResponse:
    "Wrap FT content in any Starlette Response class, with a status code and headers."

    def __init__(self, content: Any, status_code: int = 200, headers: dict | None = None, cls: type = HTMLResponse,
                 media_type: str | None = None, background: BackgroundTask | None = None):
        self.content, self.status_code, self.headers = content, status_code, headers
        self.cls, self.media_type, self.background = cls, media_type, background

    def __response__(self, req: Request) -> Response:
        return self.respond(req, noop_body)

    def respond(self, req: Request, body_wrap: Callable) -> Response:
        "Render the content with the app's page layout (or as a fragment) into `cls`."
        page = _page_of(req)
        items = _as_items(self.content)
        hdrs = [o for o in items if isinstance(o, HttpHeader)]
        if hdrs:  # headers among the content set headers, as in a returned tuple
            items = tuple(o for o in items if not isinstance(o, HttpHeader))
        body = page.render(req, items, body_wrap) if page is not None else render_html(req, items)
        headers = {k: header_value(k, str(v)) for k, v in (self.headers or {}).items()}
        # FastHTML's vary after the caller's headers (joined to a vary of theirs), before content-type
        vk = next((k for k in headers if k.lower() == 'vary'), None)
        if vk is None:
            headers['vary'] = _VARY
        else:
            headers[vk] = headers[vk] + ', ' + _VARY
        kw: dict = dict(status_code=self.status_code, headers=headers or None, background=self.background)
        if self.media_type is not None:
            kw['media_type'] = self.media_type
        r = self.cls(body, **kw)
        for h in hdrs:
            r.headers.append(h.k, h.v)
        return r


def EventStream(s: Any) -> StreamingResponse:
    """A `text/event-stream` response streaming what the sync or async iterable `s` yields: `str` as is (format it
    with `sse_message`), FT through `sse_message`. Ends on client disconnect and server shutdown (see _sse)."""
    from ._sse import EventStreamResponse
    return EventStreamResponse(s)


def flat_xt(lst: Any) -> tuple:
    """Flatten lists and tuples one level into a tuple, as FastHTML's `flat_xt`: `(a, [b, (c,)])` -> `(a, b, (c,))`;
    an FT node or a string is a 1-tuple."""
    if lst is None:
        return ()
    if isinstance(lst, (BaseFT, str)) or not hasattr(lst, '__iter__'):
        return (lst,)
    out: list = []
    for o in lst:
        if isinstance(o, (list, tuple)) and not isinstance(o, BaseFT):
            out.extend(o)
        else:
            out.append(o)
    return tuple(out)


def flat_all(lst: Any) -> tuple:
    "Flatten nested lists and tuples (but not FT nodes) at any depth into one tuple (what responses are made of)."
    out: list = []
    _flat(lst, out)
    return tuple(out)


def _flat(o: Any, out: list) -> None:
    if isinstance(o, (list, tuple)) and not isinstance(o, BaseFT):
        for x in o:
            _flat(x, out)
    else:
        out.append(o)


def flat_tuple(o: Any) -> tuple:
    "A list or tuple with the lists and tuples directly inside it spliced in (one level, as FastHTML); else `(o,)`."
    if not isinstance(o, (list, tuple)):
        return (o,)
    res: list = []
    for x in o:
        if isinstance(x, (list, tuple)):
            res.extend(x)
        else:
            res.append(x)
    return tuple(res)


def noop_body(c: Any, req: Request) -> Any:
    "Default `body_wrap`: returns the content unchanged."
    return c


def is_full_page(req: Request, resp: Any = None) -> bool:
    "Does this request get a full page (not an HTMX fragment)?"
    # One pass over the raw (lower-case, per ASGI) header names, instead of building a Headers object for two lookups.
    hx = False
    for k, _ in req.scope['headers']:
        if k == b'hx-history-restore-request':
            return True
        if k == b'hx-request':
            hx = True
    return not hx


def respond(req: Request, heads: Iterable, bdy: Iterable) -> tuple:
    "Build the full-page FT for `heads` and body content `bdy` (the shape `to_response` renders)."
    from .components import Body, Head, Html
    return Html(Head(*heads), Body(*bdy))


def _as_items(content: Any) -> tuple:
    if isinstance(content, tuple) and not isinstance(content, BaseFT):
        return flat_all(content)
    if isinstance(content, list):
        return flat_all(content)
    return (content,)


class Page:
    """The app's page layout: the static head (rendered once, re-rendered only when `hdrs` changes), `htmlkw`,
    `bodykw` and footers; `render` wraps a handler's content in it, or returns a fragment for HTMX."""

    def __init__(self, app: Any):
        self.app = app
        self._key: Any = None
        self._head = self._open = self._close = self._body = ''

    def _statics(self) -> tuple[str, str, str]:
        app = self.app
        key = (id(app.hdrs), len(app.hdrs), id(app.ftrs), len(app.ftrs), id(app.htmlkw), id(app.bodykw))
        if key != self._key:
            self._head = to_xml(list(app.hdrs))
            self._open = '<!doctype html><html' + render_attrs(_attrs(app.htmlkw)) + '>'
            self._body = '<body' + render_attrs(_attrs(app.bodykw)) + '>'
            self._close = to_xml(list(app.ftrs)) + '</body></html>'
            self._key = key
        return self._head, self._open, self._close

    def render(self, req: Request, items: tuple, body_wrap: Callable) -> str:
        "Render handler content as a full page, or as a fragment for an HTMX request."
        if items and _is_document(items):
            return render_html(req, items)
        if not is_full_page(req):
            return render_html(req, items)
        head, open_, close = self._statics()
        title = None
        heads: list = []
        body: list = []
        for o in items:
            tag = getattr(o, 'tag', None) if isinstance(o, BaseFT) else None
            if tag == 'title' and title is None:
                title = o
            elif tag in HEAD_TAGS:
                heads.append(o)
            else:
                body.append(o)
        # A returned Body goes inside the page's body like any content, as FastHTML renders it (a browser merges its
        # attributes into the page's body, the page's own winning).
        body_open = self._body
        wrapped = body_wrap(tuple(body), req) if body_wrap is not noop_body else body
        title_html = to_xml(title) if title is not None else '<title>' + escape(str(self.app.title)) + '</title>'
        canon = _canonical_link(req.scope) if self.app.canonical else ''
        return ''.join((open_, '<head>', title_html, render_html(req, heads) if heads else '', canon, head, '</head>',
                        body_open, render_html(req, wrapped), close))


def _canonical_link(scope: Scope) -> str:
    """FastHTML's canonical link: `https://` + the request's host, path and query, read straight from the scope (it
    is on every page). Escaped, since the Host header and the query come from the client."""
    host = None
    for k, v in scope['headers']:
        if k == b'host':
            host = v.decode('latin-1')
            break
    if host is None:
        server = scope.get('server')
        host = (server[0] if server[1] in (80, 443, None) else f'{server[0]}:{server[1]}') if server else ''
    url = 'https://' + host + scope.get('root_path', '') + scope['path']
    qs = scope.get('query_string')
    if qs:
        url += '?' + qs.decode('latin-1')
    return '<link rel="canonical" href=' + escape_attr(url) + '>'


# Attributes that name a route, as FastHTML allows (`link=uri('gday', nm='Al')`, `get='name'`, `post=route_func`),
# and the attribute each becomes once the route's URL is known.
_ROUTE_ATTRS = {'get': 'hx-get', 'post': 'hx-post', 'put': 'hx-put', 'delete': 'hx-delete', 'patch': 'hx-patch',
                'link': 'href'}
_ROUTE_KEYS = ROUTE_KEYS
assert frozenset(_ROUTE_ATTRS) == ROUTE_KEYS
# One regex pass over rendered HTML finds their names, where the renderer could not rule them out.
_ROUTE_MARK = re.compile(' (?:' + '|'.join(_ROUTE_ATTRS) + ')=')


def render_html(req: Request, items: Any) -> str:
    """Render `items`, resolving route-naming attributes (`link=`, `get=`, ...) against the request's app.

    Such attributes are rare, so the tree is rendered first and walked again only when one may be there: the C
    renderer notes their names as it writes attributes; where it cannot (parts left to the Python code, or no C
    renderer), a regex pass over the HTML decides."""
    html, maybe_routes = render_marked((items,), True, True)
    if not maybe_routes or _ROUTE_MARK.search(html) is None:
        return html
    resolved = _resolve_routes(req, items)
    return html if resolved is items else to_xml(resolved)


def _route_url(req: Request, k: str, v: Any) -> str:
    "The URL for route reference `v`: a route function or path as is, else a route name (`uri()` encoded)."
    s = str(v)
    if s.startswith(('/', '#', '?', '.')) or '://' in s:
        return s
    ref, sep, query = s.partition('?')
    name, _, kws = ref.partition('/')
    kw = {a: b[0] for a, b in parse_qs(unquote(kws)).items()} if kws else {}
    app: Any = req.scope.get('app')
    try:
        path = app.url_path_for(unquote(name), **kw)
    except NoMatchFound:
        raise ValueError(f'Attribute {k}={s!r} names no route: no route is named {unquote(name)!r} with '
                         f'parameters {sorted(kw)}') from None
    return req.scope.get('root_path', '') + str(path) + sep + query


def _resolve_routes(req: Request, o: Any) -> Any:
    "A copy of `o` with route-naming attributes resolved; `o` itself (never modified) when there are none."
    if isinstance(o, BaseFT):
        attrs, kids = o.attrs, o.children
        new_attrs = None
        if attrs and not _ROUTE_KEYS.isdisjoint(attrs):
            new_attrs = {k: v for k, v in attrs.items() if k not in _ROUTE_KEYS}
            for k, v in attrs.items():
                if k in _ROUTE_KEYS and v is not None and v is not False:
                    new_attrs[_ROUTE_ATTRS[k]] = _route_url(req, k, v)
        new_kids = _resolve_seq(req, kids)
        if new_attrs is None and new_kids is kids:
            return o
        n = copy.copy(o)
        n.attrs = new_attrs if new_attrs is not None else dict(attrs)
        n.children = new_kids
        return n
    if isinstance(o, (list, tuple)):
        return _resolve_seq(req, o)
    if hasattr(o, '__ft__') and not isinstance(o, type):
        ft = o.__ft__()
        r = _resolve_routes(req, ft)
        return o if r is ft else r
    return o


def _resolve_seq(req: Request, seq: Any) -> Any:
    out = None
    for i, c in enumerate(seq):
        if type(c) is str:
            continue
        r = _resolve_routes(req, c)
        if r is not c:
            if out is None:
                out = list(seq)
            out[i] = r
    if out is None:
        return seq
    return tuple(out) if isinstance(seq, tuple) else out


def _attrs(kw: dict | None) -> dict:
    "Map Python-style keyword names (`cls`, `hx_get`) to attribute names, as tag functions do."
    if not kw:
        return {}
    from .components import attrmap_x, valmap_x
    out = {}
    for k, v in kw.items():
        a = attrmap_x(k)
        out[a] = valmap_x(v, a)
    return out


def _is_document(items: tuple) -> bool:
    first = items[0]
    return isinstance(first, BaseFT) and first.tag in ('!doctype', 'html')


def _is_ft_like(o: Any) -> bool:
    return isinstance(o, BaseFT) or hasattr(o, '__ft__')


def _page_of(req: Request) -> Page | None:
    return getattr(req.scope.get('app'), 'page', None)


_VARY = 'HX-Request, HX-History-Restore-Request'
_VARY_RAW = (b'vary', _VARY.encode('latin-1'))
_HTML_TYPE_RAW = (b'content-type', b'text/html; charset=utf-8')


def _html(body: str) -> HTMLResponse:
    """`HTMLResponse(body, headers={'vary': _VARY})`, with the same attributes and raw headers in the same order,
    built directly: Starlette's general header handling (a dict to lower-case and encode) is most of the cost of a
    small response."""
    r = object.__new__(HTMLResponse)
    r.status_code = 200
    r.background = None
    b = r.body = body.encode('utf-8')
    r.raw_headers = [_VARY_RAW, (b'content-length', str(len(b)).encode('latin-1')), _HTML_TYPE_RAW]
    return r


_JSON_TYPE_RAW = (b'content-type', b'application/json')


def _json(content: Any) -> JSONResponse:
    "`JSONResponse(content, headers={'vary': _VARY})` as FastHTML sends a returned dict, built as `_html` is."
    r = object.__new__(JSONResponse)
    r.status_code = 200
    r.background = None
    b = r.body = r.render(content)
    r.raw_headers = [_VARY_RAW, (b'content-length', str(len(b)).encode('latin-1')), _JSON_TYPE_RAW]
    return r


_PLAIN_VALUES = (os.PathLike, date, time, timedelta, UUID, Enum)


def _is_decimal(o: Any) -> bool:
    "Is `o` a Decimal? Asked without importing `decimal` (~1 ms): a Decimal exists only once its module is loaded."
    dec = sys.modules.get('decimal')
    return dec is not None and isinstance(o, dec.Decimal)


def to_response(req: Request, resp: Any, body_wrap: Callable = noop_body, handler: str = 'handler') -> Response:
    "Convert a handler's return value to a Response, following the table in this module's docstring."
    if type(resp) is FT:  # the common case first; an FT matches none of the rows above its own
        return _ft_response(req, (resp,), body_wrap)
    if isinstance(resp, Response):
        if isinstance(resp, FileResponse) and resp.stat_result is None and not os.path.isfile(resp.path):
            raise HTTPException(404)  # as FastHTML answers it, instead of failing while sending
        return resp
    if isinstance(resp, FtResponse):
        return resp.respond(req, body_wrap)
    if hasattr(resp, '__response__'):
        return to_response(req, resp.__response__(req), body_wrap, handler)
    if resp is None:
        return _html('')
    if isinstance(resp, str):
        return _html(resp)
    headers: list[HttpHeader] = []
    tasks: list = []
    if isinstance(resp, (HttpHeader, BackgroundTask)):
        resp = (resp,)
    if isinstance(resp, (tuple, list)) and not isinstance(resp, BaseFT):
        items = []
        for o in flat_all(resp):
            if isinstance(o, HttpHeader):
                headers.append(o)
            elif isinstance(o, BackgroundTask):
                tasks.append(o)
            elif o is not None:
                items.append(o)
        if len(items) == 1 and not _is_ft_like(items[0]):
            r = to_response(req, items[0], body_wrap, handler)
        else:
            # Content, or none at all (`[]`, headers alone): the page, or for htmx the fragment (empty).
            r = _ft_response(req, tuple(items), body_wrap)
        return _decorate(r, headers, tasks)
    if _is_ft_like(resp):
        return _ft_response(req, (resp,), body_wrap)
    if isinstance(resp, dict):
        return _json(resp)
    if isinstance(resp, (bytes, bytearray)):
        return Response(bytes(resp), media_type='application/octet-stream')
    if hasattr(resp, '__html__'):
        return HTMLResponse(resp.__html__())  # pyright: ignore[reportOptionalCall] (FT's __html__ is @patch-ed in)
    if isinstance(resp, (int, float)):
        return _html(str(resp))
    if isinstance(resp, _PLAIN_VALUES) or _is_decimal(resp):
        # Values the spec's handlers return as text (a `Path`, a parsed date): shown as escaped text, not markup.
        return HTMLResponse(escape(str(resp)), headers={'vary': _VARY})
    if inspect.isawaitable(resp) or inspect.isgenerator(resp):
        raise TypeError(f'{handler} returned {type(resp).__name__!r}, which fasthtml cannot turn into a response '
                        f'(a missing `await`?). Return FT components, a str, a dict, a Response, or an object with '
                        f'__ft__/__response__.')
    return _html(str(resp))  # anything else is its text, as FastHTML sends it


def _ft_response(req: Request, items: tuple, body_wrap: Callable) -> Response:
    page = _page_of(req)
    if page is None:
        return HTMLResponse(render_html(req, items))
    return _html(page.render(req, items, body_wrap))


def _decorate(r: Response, headers: list[HttpHeader], tasks: list) -> Response:
    if headers:
        n = len(r.raw_headers)
        for h in headers:
            r.headers.append(h.k, h.v)
        raw = r.raw_headers
        if raw and raw[0] is _VARY_RAW:  # a page or fragment: FastHTML sends the handler's headers right after vary
            raw[1:] = raw[n:] + raw[1:n]
    if tasks:
        if r.background is None and len(tasks) == 1:
            r.background = tasks[0]
        else:
            bt = BackgroundTasks()
            if r.background is not None:
                bt.tasks.append(r.background)
            for t in tasks:
                if isinstance(t, BackgroundTasks):
                    bt.tasks.extend(t.tasks)
                else:
                    bt.tasks.append(t)
            r.background = bt
    return r


def safe_next(url: Any, default: str = '/') -> str:
    """`url` if it is a path inside this app (`/page?x=1`), else `default`: never another site, so a login link
    cannot be turned into an open redirect (`//evil.example`, `/\\evil.example`, `https://...`, CR/LF...). Non-ASCII
    characters come back percent-encoded (UTF-8), ready for a Location or HX-Redirect header."""
    if not isinstance(url, str) or not url.startswith('/') or len(url) > 2000:
        return default
    if url.startswith(('//', '/\\')) or any(c in url for c in '\r\n\t\x00\\'):
        return default
    try:
        parts = urlsplit(url)
    except ValueError:
        return default
    if parts.scheme or parts.netloc:
        return default
    if not url.isascii():
        if _SURROGATE.search(url) is not None:
            return default
        url = url_for_header(url)  # ready for Location/HX-Redirect, as a browser would write it
    return url
