"""The `FastHTML` app (a Starlette subclass): routing by function name, Beforeware, sessions, and the request path.

REGISTER  app.route(f) -> path and methods from the name -> _params.build_plan(f) -> endpoint
REQUEST   match -> Beforeware -> plan.resolve(conn) -> handler -> after -> _respond.to_response -> send
"""
from __future__ import annotations

import contextlib
import dataclasses
import gc
import inspect
import json
import os
import re
import secrets
import sys
import tempfile
import time
import uuid
import warnings
from base64 import b64encode, urlsafe_b64encode
from collections.abc import AsyncIterator
from pathlib import Path as _PPath
from typing import Any, Callable, Iterable, Sequence  # noqa: F401, UP035 (typing's, see below)
from urllib.parse import quote, urlencode

from fastcore.basics import str2bool  # noqa: F401 (FastHTML's core carries fastcore's, outside __all__)
from starlette._exception_handler import wrap_app_handling_exceptions
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute  # noqa: F401 (Mount, see below)

from . import _deploy, _shutdown
from ._errors import ErrorPages, client_error, htmx_error_swap_scr, log_param_error, not_found
from ._handlers import ApiReturn, add_sig_param, cancel_on_disconnect, into, until_disconnect
from ._params import (
    Body,
    HtmxHeaders,
    ParamError,
    Plan,
    build_plan,
    check_query,
    form2dict,
    htmx_hdrs,
    parse_form,
    parsed_date,
    read_body,
    snake2hyphens,
)
from ._render import FT, to_xml  # noqa: F401 (see below)
from ._respond import (
    EventStream,
    FtResponse,
    HtmxResponseHeaders,
    HttpHeader,
    JSONResponse,
    Page,
    Redirect,
    cookie,
    flat_tuple,
    flat_xt,
    htmx_resps,
    is_full_page,
    noop_body,
    respond,
    to_response,
)
from ._session import SessionMiddleware  # Starlette's, subclassed for a cheaper request path
from ._setup import DEF_MAXPART, HostRoute, Lifespan, cors_allow, devtools_loc, htmx4src
from ._shutdown import shutdown_event, signal_shutdown  # set when the server starts shutting down
from ._static import StaticImmutable, StaticNoCache, vurl
from ._workers import run_sync
from .components import Link, Meta, Script, Style, fh_cfg  # noqa: F401 (Link, Style, see below)
from .csrf import CSRFMiddleware, trusted_origin_set
from .limits import DEFAULT_LIMITS, BodyLimitMiddleware, Limits

# The imports marked "see below" keep names that FastHTML 0.14.14's fasthtml.core also has (typing's Callable, Iterable
# and Sequence; FT, to_xml, Mount, Link, Style) although this module does not use them all: add-ons import them from
# here (faststrap: `from fasthtml.core import FT`).

__all__ = ['FastHTML', 'Beforeware', 'APIRouter', 'RouteFuncs', 'RouteFunc', 'Client', 'MiddlewareBase', 'serve',
           'def_hdrs', 'htmx_exts', 'htmxsrc', 'fhjsscr', 'surrsrc', 'scopesrc', 'viewport', 'charset', 'iframe_scr',
           'all_meths', 'reg_re_param', 'nested_name', 'qp', 'uri', 'decode_uri', 'unqid', 'get_key',
           'signal_shutdown', 'parsed_date', 'snake2hyphens', 'HtmxHeaders', 'HttpHeader',
           'HtmxResponseHeaders', 'htmx_resps', 'htmx_hdrs', 'form2dict', 'parse_form', 'flat_xt', 'flat_tuple',
           'noop_body', 'respond', 'is_full_page', 'Redirect', 'FtResponse', 'EventStream', 'cookie', 'ParamError',
           'empty', 'shutdown_event',
           # FastHTML's other core names (fasthtml/_handlers.py, _setup.py, _static.py; JSONResponse in _respond.py)
           'ApiReturn', 'add_sig_param', 'into', 'until_disconnect', 'cancel_on_disconnect', 'HostRoute', 'Lifespan',
           'cors_allow', 'devtools_loc', 'htmx4src', 'DEF_MAXPART', 'StaticNoCache', 'StaticImmutable', 'vurl',
           'JSONResponse', 'fh_cfg', 'htmx_ws']

empty = inspect.Parameter.empty
all_meths = ['get', 'post', 'put', 'delete', 'patch', 'head', 'trace', 'options']

htmxsrc = Script(src='https://cdn.jsdelivr.net/npm/htmx.org@2.0.7/dist/htmx.js')
fhjsscr = Script(src='https://cdn.jsdelivr.net/gh/answerdotai/fasthtml-js@1.0.12/fasthtml.js')
surrsrc = Script(src='https://cdn.jsdelivr.net/gh/answerdotai/surreal@main/surreal.js')
scopesrc = Script(src='https://cdn.jsdelivr.net/gh/gnat/css-scope-inline@main/script.js')
viewport = Meta(name='viewport', content='width=device-width, initial-scale=1, viewport-fit=cover')
charset = Meta(charset='utf-8')
# htmx 4 reads `hx-on--x` attributes only with this meta character, which FastHTML's hx_on__x keywords produce
_htmx4_cfg = Meta(name='htmx-config', content='{"metaCharacter": "-"}')
iframe_scr = Script('''
    function sendmsg() {
        window.parent.postMessage({height: document.documentElement.offsetHeight}, '*');
    }
    window.onload = function() {
        sendmsg();
        document.body.addEventListener('htmx:afterSettle',    sendmsg);
        document.body.addEventListener('htmx:wsAfterMessage', sendmsg);
    };''')

htmx_exts = {
    'morph': 'https://cdn.jsdelivr.net/npm/idiomorph@0.7.3/dist/idiomorph-ext.min.js',
    'head-support': 'https://cdn.jsdelivr.net/npm/htmx-ext-head-support@2.0.4/head-support.js',
    'preload': 'https://cdn.jsdelivr.net/npm/htmx-ext-preload@2.1.1/preload.js',
    'class-tools': 'https://cdn.jsdelivr.net/npm/htmx-ext-class-tools@2.0.1/class-tools.js',
    'loading-states': 'https://cdn.jsdelivr.net/npm/htmx-ext-loading-states@2.0.1/loading-states.js',
    'multi-swap': 'https://cdn.jsdelivr.net/npm/htmx-ext-multi-swap@2.0.0/multi-swap.js',
    'path-deps': 'https://cdn.jsdelivr.net/npm/htmx-ext-path-deps@2.0.0/path-deps.js',
    'remove-me': 'https://cdn.jsdelivr.net/npm/htmx-ext-remove-me@2.0.0/remove-me.js',
    'response-targets': 'https://cdn.jsdelivr.net/npm/htmx-ext-response-targets@2.0.3/response-targets.js',
    'json-enc': 'https://cdn.jsdelivr.net/npm/htmx-ext-json-enc@2.0.2/json-enc.js',
    'ws': 'https://cdn.jsdelivr.net/npm/htmx-ext-ws@2.0.3/ws.js',
    'sse': 'https://cdn.jsdelivr.net/npm/htmx-ext-sse@2.2.3/sse.js',
    # The rest of FastHTML's list (htmx 4's extensions are for apps that load htmx 4).
    'debug': 'https://unpkg.com/htmx.org@1.9.12/dist/ext/debug.js',
    'ws4': 'https://cdn.jsdelivr.net/npm/htmx.org@4.0.0/dist/ext/hx-ws.min.js',
    'chunked-transfer': 'https://cdn.jsdelivr.net/npm/htmx-ext-transfer-encoding-chunked@0.4.0/transfer-encoding-chunked.js',
    'sse4': 'https://cdn.jsdelivr.net/npm/htmx.org@4.0.0/dist/ext/hx-sse.min.js',
    'live': 'https://cdn.jsdelivr.net/npm/htmx.org@4.0.0/dist/ext/hx-live.min.js',
    'multipart': 'https://cdn.jsdelivr.net/npm/htmx.org@4.0.0/dist/ext/hx-multipart.min.js',
}
# An earlier FastHTML name the docs' websocket example still loads in its headers (`hdrs=(..., htmx_ws)`)
htmx_ws = Script(src=htmx_exts['ws'])


def def_hdrs(htmx: bool = True, htmx4: bool = False, surreal: bool = True) -> list:
    """Default headers for a FastHTML app: charset, viewport, htmx (2, or 4 with its config whenever `htmx4=True`,
    as FastHTML does), fasthtml.js, and surreal with css-scope-inline."""
    if htmx4:
        hdrs: list = [charset, viewport, _htmx4_cfg, htmx4src, fhjsscr]
    else:
        hdrs = [charset, viewport, htmxsrc, fhjsscr] if htmx else [charset, viewport]
    if surreal:
        hdrs += [surrsrc, scopesrc]
    return hdrs


def unqid(seeded: bool = False) -> str:
    "A unique id that is also a valid HTML id and Python identifier (starts with `_`)."
    b = uuid.uuid4().bytes
    return '_' + urlsafe_b64encode(b).decode().rstrip('=').replace('-', '_')


def get_key(key: str | None = None, fname: str = '.sesskey') -> str:
    """The session signing key: `key` if given, else read from `fname`, creating it (mode 0600) when missing.
    The file appears complete or not at all (written aside, then linked into place), so worker processes starting
    together all read the one key the first of them made."""
    if key:
        return key
    p = _PPath(fname)
    for _ in range(100):  # a file still empty was made by a writer that creates it in place: give it a moment
        if not p.exists():
            break
        found = p.read_text().strip()
        if found:
            return found
        time.sleep(0.01)
    key = secrets.token_urlsafe(48)
    try:
        fd, tmp = tempfile.mkstemp(dir=p.resolve().parent, prefix='.sesskey-')  # mode 0600
    except OSError:
        fd, tmp = -1, None
    if tmp is not None:
        try:
            with os.fdopen(fd, 'w') as f:
                f.write(key)
            os.link(tmp, fname)
            return key
        except FileExistsError:
            return p.read_text().strip()
        except OSError:  # a file system without hard links: create the file in place below
            pass
        finally:
            os.unlink(tmp)
    try:
        fd = os.open(fname, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return p.read_text().strip()
    with os.fdopen(fd, 'w') as f:
        f.write(key)
    return key


def nested_name(f: Callable) -> str:
    """The name of `f`, with the names of enclosing functions joined by '_' (`outer.<locals>.inner` -> `outer_inner`);
    a class's dot stays (`K.make.<locals>.index` -> `K.make_index`), as in FastHTML."""
    return f.__qualname__.replace('.<locals>.', '_')


class _ReConvertor(StringConvertor):
    "A path-parameter type given by a regex; building a URL accepts any value that matches it (slashes too)."
    def to_string(self, value: Any) -> str:
        s = str(value)
        if re.fullmatch(self.regex, s) is None:
            raise ValueError(f'{s!r} does not match the path parameter pattern {self.regex!r}')
        return s


def reg_re_param(m: str, s: str) -> None:
    "Register a path-parameter type `m` matching regex `s`, usable as `{name:m}` in route paths."
    cls = type(f'_{m}Convertor', (_ReConvertor,), {'regex': s})
    register_url_convertor(m, cls())


reg_re_param('path', '.*?')
reg_re_param('static', 'ico|gif|jpg|jpeg|webm|css|js|woff|png|svg|mp4|webp|ttf|otf|eot|woff2|txt|html|map|pdf')

_PATH_PARAM = re.compile(r'{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-zA-Z_][a-zA-Z0-9_]*)?}')


def _qp_value(v: Any) -> Any:
    "FastHTML's URL value: None, False, 0 and '' are empty; lists stay lists (one `k=v` each)."
    return '' if not v and not isinstance(v, (list, tuple, set, frozenset, dict)) else v


def qp(p: str, **kw: Any) -> str:
    """Fill `{name}` path parameters of `p` from `kw` (as text, unquoted, so a `{x:path}` value keeps its slashes)
    and add the rest as a query string, as FastHTML does: `qp('/a/{x}', x=1, b=None)` -> '/a/1?b='."""
    kw = {k: _qp_value(v) for k, v in kw.items()}

    def fill(m: re.Match) -> str:
        k = m.group(1)
        return str(kw.pop(k)) if k in kw else m.group(0)
    p = _PATH_PARAM.sub(fill, p)
    qs = urlencode(kw, doseq=True)
    if not qs:
        return p
    return p + ('&' if '?' in p else '?') + qs


def uri(_arg: Any, **kwargs: Any) -> str:
    "Encode `_arg` and `kwargs` as a path segment followed by a query-like string: `uri('a', b=1)` -> 'a/b=1'."
    return f"{quote(str(_arg))}/{urlencode(kwargs, doseq=True)}"


def decode_uri(s: str) -> tuple[str, dict]:
    "The inverse of `uri`."
    from urllib.parse import parse_qs, unquote
    arg, _, kw = s.partition('/')
    return unquote(arg), {k: v[0] for k, v in parse_qs(unquote(kw)).items()}


# ---------------------------------------------------------------------------------------------------------------
# Route functions: what `@rt` returns, usable as a link.

class RouteFunc:
    "A route handler as returned by `@rt`: still callable, and `str()` is its path, so `hx_post=add_todo` works."

    def __init__(self, fn: Callable, path: str, name: str):
        self.fn, self.path, self.name = fn, path, name
        self.__name__ = getattr(fn, '__name__', name)
        self.__qualname__ = getattr(fn, '__qualname__', name)
        self.__doc__ = getattr(fn, '__doc__', None)
        self.__module__ = getattr(fn, '__module__', None)  # pyright: ignore[reportAttributeAccessIssue] (None too)
        self.__wrapped__ = fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        "Call the handler itself, as if undecorated."
        return self.fn(*args, **kwargs)

    def to(self, **kw: Any) -> str:
        "The URL of this route with `kw` filled in as path parameters or query parameters."
        return qp(self.path, **kw)

    def __str__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        return f'<route {self.name} {self.path}>'

    def __html__(self) -> str:
        return self.path

    def __fspath__(self) -> str:
        return self.path

    def __eq__(self, o: object) -> bool:
        return o is self or (isinstance(o, str) and o == self.path)

    def __hash__(self) -> int:
        return hash(self.path)


class RouteClass(RouteFunc):
    """A class route as returned by `@rt` on a class: `str()` and `.to()` give its URL as for a function, calling it
    makes an instance, and other attributes are the class's own (`CardMethods.get`)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith('__'):
            raise AttributeError(name)
        return getattr(self.__dict__['fn'], name)

    def __dir__(self) -> list[str]:
        return sorted({*(n for n in dir(self.fn) if not n.startswith('__')), 'to'})


class RouteFuncs:
    "A namespace of route functions by name (`app.rt_funcs.index`)."

    def __init__(self) -> None:
        super().__setattr__('_funcs', {})

    def __setattr__(self, name: str, value: Any) -> None:
        self._funcs[name] = value

    def __getattr__(self, name: str) -> Any:
        if name.startswith('__'):
            raise AttributeError(name)
        try:
            return self._funcs[name]
        except KeyError:
            raise AttributeError(f'No route named {name} found in route functions') from None

    def __dir__(self) -> list[str]:
        return list(self._funcs)


def _class_route_name(cls: type) -> str:
    "A class route's name and default path, as FastHTML makes them: the class name with a lower-case first letter."
    n = cls.__name__
    return n[:1].lower() + n[1:]


def _class_verbs(cls: type) -> list[tuple[str, Callable]]:
    "The HTTP verb methods (`get`, `post`, ...) a class route serves, in `all_meths` order."
    return [(v, getattr(cls, v)) for v in all_meths if callable(getattr(cls, v, None))]


def _route_path_and_methods(f: Callable, path: str | None, methods: Any) -> tuple[str, list[str] | None]:
    if isinstance(f, type):
        return (path if path is not None else '/' + _class_route_name(f)), None
    name = nested_name(f)  # (a nested `index` or `get` is not the root or a verb: `make_index`, `make_get`)
    if path is None:
        path = '/' if name == 'index' else '/' + name
    if methods is None:
        methods = [name] if name.lower() in all_meths else ['get', 'post']
    elif isinstance(methods, str):
        methods = [methods]
    return path, [m.upper() for m in methods]


# ---------------------------------------------------------------------------------------------------------------
# Beforeware and the endpoint

class Beforeware:
    "A function run before every handler (except paths matching a `skip` regex); a non-None result short-circuits."

    def __init__(self, f: Callable, skip: Sequence[str] | None = None):
        self.f = f
        # One pattern given as a plain string is one pattern, not a list of single characters.
        self.skip = [skip] if isinstance(skip, str) else list(skip or [])
        self._skip_re = re.compile('|'.join(f'(?:{s})' for s in self.skip)) if self.skip else None

    def skips(self, path: str) -> bool:
        "Does `path` match one of the `skip` patterns (the whole path)?"
        return self._skip_re is not None and self._skip_re.fullmatch(path) is not None


# Paths whose `req.url.path` differs from the scope's path (URL building escapes or drops these characters).
_URL_ODD = re.compile(r'[?#\\\t\r\n]|^//')


def _skip_path(req: HTTPConnection) -> str:
    "The path Beforeware `skip` patterns match, `req.url.path`, read from the scope without building a URL."
    p = req.scope['path']
    return req.url.path if _URL_ODD.search(p) else p


class _Step:
    "A Beforeware or after function with its parameter plan."
    __slots__ = ('plan', 'skip', 'is_async')

    def __init__(self, f: Callable, skip: Any, ws: bool = False, extra: tuple = ()):
        self.plan = build_plan(f, extra_names=extra)
        self.skip = skip
        self.is_async = self.plan.is_async


def _listed(items: Any) -> list:
    return list(items) if isinstance(items, (list, tuple)) else [items] if items is not None else []


def _steps(items: Any, extra: tuple = ()) -> list[_Step]:
    out = []
    for b in (items if isinstance(items, (list, tuple)) else [items] if items is not None else []):
        if isinstance(b, Beforeware):
            out.append(_Step(b.f, b if b.skip else None, extra=extra))
        else:
            out.append(_Step(b, None, extra=extra))
    return out


class _Hooks:
    "The app's Beforeware and after functions with their plans; rebuilt only when `app.before`/`app.after` change."
    __slots__ = ('key', 'befores', 'afters', 'sync')

    def __init__(self) -> None:
        self.key: Any = None
        self.befores: list[_Step] = []
        self.afters: list[_Step] = []
        self.sync = True

    def current(self, app: FastHTML) -> _Hooks:
        key = (id(app.before), len(app.before), id(app.after), len(app.after))
        outer = app._outer  # the sites this app is mounted in by fasthtml.compose (their Beforeware runs first)
        if outer:
            key += tuple((id(o.before), len(o.before)) for o in outer)
        if key != self.key:
            self.befores = _steps([b for o in outer for b in _listed(o.before)] + _listed(app.before)) if outer \
                else _steps(app.before)
            self.afters = _steps(app.after, ('resp',))
            self.sync = not any(s.is_async for s in self.befores + self.afters)
            self.key = key
        return self


def _two_arg_wrap(f: Callable) -> Callable:
    "`body_wrap` may take `(content)` or `(content, req)`: decide once, at registration, how to call it."
    if f is noop_body:
        return f
    try:
        ps = [p for p in inspect.signature(f).parameters.values() if p.kind in (p.POSITIONAL_ONLY,
                                                                                 p.POSITIONAL_OR_KEYWORD)]
        var = any(p.kind == p.VAR_POSITIONAL for p in inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        return f
    if len(ps) == 1 and not var:
        return lambda c, req: f(c)
    return f


class _Endpoint:
    "Everything one route needs at request time, decided at registration."
    __slots__ = ('plan', 'app', 'body_wrap', 'name', 'hooks', 'befores', 'befores_async')

    def __init__(self, app: FastHTML, plan: Plan, body_wrap: Callable | None, before: Any = None):
        self.app, self.plan, self.hooks = app, plan, app._hooks
        self.body_wrap = _two_arg_wrap(body_wrap or app.body_wrap)
        self.name = plan.name
        # The route's own Beforeware (`@rt('/x', before=f)`): run after the app's, before the handler.
        self.befores = _steps(before)
        self.befores_async = any(s.is_async for s in self.befores)

    def _run_befores_sync(self, req: Request, body: Body | None, befores: list) -> Any:
        path = None
        for s in befores:
            if s.skip is not None:
                path = path or _skip_path(req)
                if s.skip.skips(path):
                    continue
            r = s.plan.fn(**s.plan.resolve(req, body))
            if r is not None:
                return r
        return None

    def _after_sync(self, req: Request, body: Body | None, resp: Any, afters: list) -> Any:
        for s in afters:
            r = s.plan.fn(**s.plan.resolve(req, body, {'resp': resp}))
            if r is not None:
                resp = r
        return resp

    def _sync_chain(self, req: Request, body: Body | None, hooks: _Hooks) -> Response:
        "Beforeware, handler, after and rendering in one worker-thread hop (all sync)."
        r = self._run_befores_sync(req, body, hooks.befores) if hooks.befores else None
        if r is None and self.befores:
            r = self._run_befores_sync(req, body, self.befores)
        if r is None:
            r = self.plan.fn(**self.plan.resolve(req, body))
            if hooks.afters:
                r = self._after_sync(req, body, r, hooks.afters)
        return to_response(req, r, self.body_wrap, self.name)

    async def __call__(self, req: Request) -> Response:
        check_query(req)
        body = await read_body(req) if self.plan.needs_body else None
        hooks = self.hooks.current(self.app)
        if hooks.sync and not self.plan.is_async and not self.befores_async:
            if self.app.sync_inline:
                return self._sync_chain(req, body, hooks)
            return await run_sync(self._sync_chain, req, body, hooks)
        path = None
        for s in (hooks.befores + self.befores if self.befores else hooks.befores):
            if s.skip is not None:
                path = path or _skip_path(req)
                if s.skip.skips(path):
                    continue
            r = await _call(s.plan, s.plan.resolve(req, body))
            if r is not None:
                return to_response(req, r, self.body_wrap, self.name)
        r = await _call(self.plan, self.plan.resolve(req, body))
        for s in hooks.afters:
            a = await _call(s.plan, s.plan.resolve(req, body, {'resp': r}))
            if a is not None:
                r = a
        if self.plan.is_async:
            return to_response(req, r, self.body_wrap, self.name)
        return await run_sync(to_response, req, r, self.body_wrap, self.name)


async def _call(plan: Plan, kw: dict) -> Any:
    if plan.is_async:
        return await plan.fn(**kw)
    r = await run_sync(lambda: plan.fn(**kw))
    if inspect.isawaitable(r):
        r = await r
    return r


def _endpoint_fn(ep: _Endpoint) -> Callable:
    async def endpoint(request: Request) -> Response:
        return await ep(request)
    endpoint.__name__ = ep.name
    endpoint.handler = ep.plan.fn  # type: ignore[attr-defined]  # route options on the handler (csrf_exempt)
    return endpoint


class _EndpointRoute(Route):
    """A Route whose ASGI app runs its `_Endpoint` directly: the steps of Starlette's `request_response` wrapper
    without its two closures and wrapped `send` per request. An exception raised before the response starts goes to
    the app's exception handlers with the endpoint's own Request (its parsed body and form), as it would there."""

    def __init__(self, path: str, ep: _Endpoint, **kw: Any):
        super().__init__(path, _endpoint_fn(ep), **kw)
        self._ep = ep
        self.app = self._asgi

    async def _asgi(self, scope: dict, receive: Callable, send: Callable) -> None:
        req = Request(scope, receive, send)
        try:
            resp = await self._ep(req)
        except Exception as exc:  # noqa: BLE001 (handed to Starlette's exception handling, as any route's)
            await wrap_app_handling_exceptions(_raiser(exc), req)(scope, receive, send)
            return
        await resp(scope, receive, send)


class _HostEndpointRoute(_EndpointRoute, HostRoute):
    "An endpoint route that also requires the request's host to match (`@rt('/', host='example.org')`)."


def _raiser(exc: Exception) -> Callable:
    async def app(scope: dict, receive: Callable, send: Callable) -> None:
        raise exc
    return app


# ---------------------------------------------------------------------------------------------------------------
# Lifespan

# The collector's young-generation threshold as this process had it when fasthtml was imported (700 by default).
_GC_THRESHOLD0_AT_IMPORT = gc.get_threshold()[0]


def _tune_gc(threshold: int | None) -> tuple | None:
    """At server start: a larger young generation for the cyclic garbage collector, unless the app opted out
    (`gc_threshold=None`) or the process changed the threshold itself. Pages build thousands of short-lived
    element objects per request; with the default threshold of 700 the collector runs many times per page and
    promotes trees still being built to the old generations, whose full collections then walk the whole heap (over
    uvicorn, the 1000-row table page served 2-3x more requests per second with 20,000). Nothing is freed later
    than it would be otherwise, except objects in reference cycles, which wait for at most `threshold` allocations.
    Returns the thresholds to restore at shutdown (None when nothing was changed)."""
    if not threshold:
        return None
    old = gc.get_threshold()
    if old[0] != _GC_THRESHOLD0_AT_IMPORT or old[0] >= threshold or old[0] == 0:
        return None
    gc.set_threshold(threshold, *old[1:])
    return old


def _restore_gc(old: tuple | None, threshold: int | None) -> None:
    "At shutdown: put back what `_tune_gc` changed, unless something else changed it since."
    if old is not None and gc.get_threshold()[0] == threshold:
        gc.set_threshold(*old)


def _lifespan(on_startup: Any, on_shutdown: Any, lifespan: Any) -> Callable:
    "Combine `on_startup`/`on_shutdown` lists with a lifespan (async context manager or async generator)."
    # The app's own lists (not copies): `app.on_event` adds to them after the app is made.
    starts = on_startup if isinstance(on_startup, list) else list(on_startup or [])
    stops = on_shutdown if isinstance(on_shutdown, list) else list(on_shutdown or [])
    if lifespan is not None and inspect.isasyncgenfunction(lifespan):
        lifespan = contextlib.asynccontextmanager(lifespan)

    @contextlib.asynccontextmanager
    async def combined(app: Any) -> AsyncIterator[Any]:
        _shutdown.install()  # a signal sets shutdown_event before the server waits for open streams
        _deploy.startup(app)  # under several workers: refuse to start if they hold different session keys
        threshold = getattr(app, 'gc_threshold', None)
        gc_old = _tune_gc(threshold)
        for f in starts:
            r = f()
            if inspect.isawaitable(r):
                await r
        try:
            if lifespan is not None:
                async with lifespan(app) as state:
                    yield state
            else:
                yield None
        finally:
            _shutdown.uninstall()  # gives the signals back to the server
            _restore_gc(gc_old, threshold)
            for f in stops:
                r = f()
                if inspect.isawaitable(r):
                    await r
    return combined


def _in_ipython() -> bool:
    "Is this code running under IPython (a notebook kernel, or the IPython shell)?"
    ip = sys.modules.get('IPython')
    try:
        return ip is not None and ip.get_ipython() is not None
    except Exception:  # noqa: BLE001 (an IPython that cannot say: not a notebook)
        return False


def _in_notebook() -> bool:
    ip = sys.modules.get('IPython')
    if ip is None:
        return False
    try:
        return ip.get_ipython() is not None and 'IPKernelApp' in ip.get_ipython().config
    except Exception:  # noqa: BLE001 (an IPython that cannot say: not a notebook)
        return False


# ---------------------------------------------------------------------------------------------------------------
# The app

class _VerbRoutes:
    """`get`, `post`, ... written out once for `FastHTML` and `APIRouter` (so editors see them); each class supplies
    `_verb`. `host` restricts the route to a host name; `before` is Beforeware for this route alone."""

    _verb: Callable[..., Any]  # (verb, path, name, include_in_schema, body_wrap, host, before) -> decorator

    def get(self, path: Any = None, name: str | None = None, include_in_schema: bool = True,
            body_wrap: Callable | None = None, host: str | None = None, before: Any = None) -> Any:
        "Add a GET route."
        return self._verb('get', path, name, include_in_schema, body_wrap, host, before)

    def post(self, path: Any = None, name: str | None = None, include_in_schema: bool = True,
             body_wrap: Callable | None = None, host: str | None = None, before: Any = None) -> Any:
        "Add a POST route."
        return self._verb('post', path, name, include_in_schema, body_wrap, host, before)

    def put(self, path: Any = None, name: str | None = None, include_in_schema: bool = True,
            body_wrap: Callable | None = None, host: str | None = None, before: Any = None) -> Any:
        "Add a PUT route."
        return self._verb('put', path, name, include_in_schema, body_wrap, host, before)

    def delete(self, path: Any = None, name: str | None = None, include_in_schema: bool = True,
               body_wrap: Callable | None = None, host: str | None = None, before: Any = None) -> Any:
        "Add a DELETE route."
        return self._verb('delete', path, name, include_in_schema, body_wrap, host, before)

    def patch(self, path: Any = None, name: str | None = None, include_in_schema: bool = True,
              body_wrap: Callable | None = None, host: str | None = None, before: Any = None) -> Any:
        "Add a PATCH route."
        return self._verb('patch', path, name, include_in_schema, body_wrap, host, before)

    def head(self, path: Any = None, name: str | None = None, include_in_schema: bool = True,
             body_wrap: Callable | None = None, host: str | None = None, before: Any = None) -> Any:
        "Add a HEAD route."
        return self._verb('head', path, name, include_in_schema, body_wrap, host, before)

    def options(self, path: Any = None, name: str | None = None, include_in_schema: bool = True,
                body_wrap: Callable | None = None, host: str | None = None, before: Any = None) -> Any:
        "Add an OPTIONS route."
        return self._verb('options', path, name, include_in_schema, body_wrap, host, before)

    def trace(self, path: Any = None, name: str | None = None, include_in_schema: bool = True,
              body_wrap: Callable | None = None, host: str | None = None, before: Any = None) -> Any:
        "Add a TRACE route."
        return self._verb('trace', path, name, include_in_schema, body_wrap, host, before)


class FastHTML(_VerbRoutes, Starlette):
    "A Starlette app with routing by function name, parameter injection, FT rendering, sessions and Beforeware."

    def __init__(self, debug: bool = False, routes: Sequence[BaseRoute] | None = None,
                 middleware: Sequence[Middleware] | None = None, title: str = 'FastHTML page',
                 exception_handlers: dict | None = None, on_startup: Sequence[Callable] | None = None,
                 on_shutdown: Sequence[Callable] | None = None, lifespan: Callable | None = None,
                 hdrs: Sequence | None = None, ftrs: Sequence | None = None, exts: Any = None,
                 before: Any = None, after: Any = None, surreal: bool = True, htmx: bool = True,
                 htmx4: bool = False, default_hdrs: bool = True, sess_cls: type = SessionMiddleware,
                 secret_key: str | None = None, session_cookie: str = 'session_', max_age: int = 365 * 24 * 3600,
                 sess_path: str = '/', same_site: str = 'lax', sess_https_only: bool = False,
                 sess_domain: str | None = None, key_fname: str = '.sesskey', body_wrap: Callable = noop_body,
                 htmlkw: dict | None = None, nb_hdrs: bool = False, canonical: bool = True,
                 max_part_size: int | None = None, sync_inline: bool = False, csrf: bool = True,
                 trusted_origins: Sequence[str] | None = None, limits: Limits | None = None,
                 gc_threshold: int | None = 20_000, **bodykw: Any):
        # The parameters up to max_part_size are the original's, in its order (apps may pass them by position).

        self.title = title
        if gc_threshold is not None and (type(gc_threshold) is not int or gc_threshold < 1):
            raise ValueError(f'FastHTML(gc_threshold=...) takes a positive int or None, got {gc_threshold!r}')
        self.gc_threshold = gc_threshold
        if limits is not None and not isinstance(limits, Limits):
            raise TypeError(f'FastHTML(limits=...) takes a fasthtml.limits.Limits, got {type(limits).__name__}')
        self.limits = limits or DEFAULT_LIMITS
        if max_part_size is not None:  # the original's keyword for the same limit
            self.limits = dataclasses.replace(self.limits, max_part_size=max_part_size)
        self.canonical = canonical
        self.max_part_size = self.limits.max_part_size
        self.key_fname, self.session_cookie = key_fname, session_cookie
        self.body_wrap = body_wrap
        self.sync_inline = sync_inline
        self.htmlkw = dict(htmlkw or {})
        self.bodykw = dict(bodykw)
        hdrs = list(flat_xt(hdrs or ()))
        if isinstance(exts, str):
            exts = [exts]
        unknown = [e for e in (exts or []) if e not in htmx_exts]
        if unknown:
            raise ValueError(f'Unknown htmx extension(s) {unknown}; known: {sorted(htmx_exts)}')
        # once each, after the app's own headers; with htmx 4, an extension's htmx 4 build (`ws4` for `ws`) if any
        ext_scripts = [Script(src=htmx_exts[e + '4' if htmx4 and e + '4' in htmx_exts else e])
                       for e in dict.fromkeys(exts or [])]
        defaults = def_hdrs(htmx=htmx, surreal=surreal, htmx4=htmx4) if default_hdrs else []
        if nb_hdrs and _in_notebook():
            defaults.append(iframe_scr)
        if debug and htmx and default_hdrs:
            defaults.append(htmx_error_swap_scr)  # so htmx swaps the debug error page into the page
        self.hdrs: list = defaults + hdrs + ext_scripts
        self.ftrs: list = list(flat_xt(ftrs or ()))
        self.before = list(before) if isinstance(before, (list, tuple)) else [before] if before else []
        self.after = list(after) if isinstance(after, (list, tuple)) else [after] if after else []
        self.page = Page(self)
        self._hooks = _Hooks()
        self.rt_funcs = RouteFuncs()
        # Set when fasthtml.compose mounts this app in a site: the path prefix its route functions then carry (so
        # `hx_get=handler` and `handler.to()` keep working) and the enclosing sites, whose Beforeware runs first.
        # A plain Starlette `Mount` leaves both alone, as in FastHTML.
        self.url_prefix = ''
        self._outer: tuple = ()
        self._links: list[tuple[RouteFunc, str]] = []  # every route function handed out, with its unprefixed path
        self.secret_key = get_key(secret_key, key_fname)
        sess = Middleware(sess_cls, secret_key=self.secret_key, session_cookie=session_cookie, max_age=max_age,
                          path=sess_path, same_site=same_site, https_only=sess_https_only, domain=sess_domain)
        # Outermost of our own stack: unhandled exceptions become the debug or production error page (_errors).
        # Security (csrf.py, limits.py) sits right inside the error pages: refused requests never reach the app.
        guards = [Middleware(CSRFMiddleware, trusted_origins=trusted_origin_set(trusted_origins))] if csrf else []
        guards.append(Middleware(BodyLimitMiddleware, max_body=self.limits.max_body))
        middleware = [Middleware(ErrorPages, fh_app=self), *guards, sess] + list(middleware or [])
        handlers = {k: self._wrap_exc_handler(v) for k, v in (exception_handlers or {}).items()}
        handlers.setdefault(ParamError, client_error)
        handlers.setdefault(404, not_found)
        # `app.on_event` adds to these lists; `app.set_lifespan` replaces the whole lifespan, as in FastHTML.
        self._on_startup, self._on_shutdown = list(on_startup or []), list(on_shutdown or [])
        super().__init__(debug=debug, routes=list(routes or []), middleware=middleware, exception_handlers=handlers,
                         lifespan=_lifespan(self._on_startup, self._on_shutdown, lifespan))

    # -- lifespan
    def on_event(self, event_type: str) -> Callable[[Callable], Callable]:
        "Decorator adding a `'startup'` or `'shutdown'` callback (sync or async, no arguments)."
        if event_type not in ('startup', 'shutdown'):
            raise AttributeError(f"on_event: event_type must be 'startup' or 'shutdown', got {event_type!r}")
        hooks = self._on_startup if event_type == 'startup' else self._on_shutdown

        def deco(f: Callable) -> Callable:
            hooks.append(f)
            return f
        return deco

    def set_lifespan(self, value: Callable) -> None:
        """Replace the app's lifespan with `value` (an async generator function or an async context manager factory
        taking the app); startup and shutdown callbacks given before are no longer run, as in FastHTML."""
        self._on_startup, self._on_shutdown = [], []  # kept by on_event from now on, but not run (as in FastHTML)
        self.router.lifespan_context = _lifespan([], [], value)

    def devtools_json(self, path: str | None = None, uuid: str | None = None) -> None:
        """Serve the workspace description Chrome's DevTools asks for at `devtools_loc`, so DevTools can map the
        app's files to `path` (default: the working directory) and edit them in place."""
        import uuid as _uuid
        root = path if path is not None else str(_PPath('.').absolute())
        body = {'workspace': {'root': root, 'uuid': uuid or str(_uuid.uuid5(_uuid.NAMESPACE_URL, root))}}

        def devtools() -> Response:
            return JSONResponse(body)
        self.route(devtools_loc, methods=['get', 'post'], name='devtools_json_devtools')(devtools)

    # -- clients for tests
    def _session_cookie(self, data: dict) -> str:
        "A session cookie holding `data`, signed as the session middleware signs it."
        import itsdangerous
        raw = b64encode(json.dumps(data).encode())
        return itsdangerous.TimestampSigner(str(self.secret_key)).sign(raw).decode()

    def decode_session(self, cookie: str) -> dict:
        "The data in a session cookie made by this app (raises itsdangerous.BadSignature for a forged one)."
        import base64

        import itsdangerous
        return json.loads(base64.b64decode(itsdangerous.TimestampSigner(str(self.secret_key)).unsign(cookie)))

    def get_testclient(self, **kw: Any) -> Any:
        """A Starlette `TestClient` for this app whose session already holds `kw`
        (`app.get_testclient(auth='alice')` is a signed-in user for Beforeware that reads `session['auth']`)."""
        cli = _test_client_cls()(self)
        if kw:
            cli.cookies.set(self.session_cookie, self._session_cookie(kw))
        return cli

    def get_client(self, asink: bool = False, **kw: Any) -> Any:
        "An httpx client (`AsyncClient` with `asink=True`) whose cookies hold a session with `kw`."
        import httpx
        cookies = {self.session_cookie: self._session_cookie(kw)} if kw else None
        return httpx.AsyncClient(cookies=cookies) if asink else httpx.Client(cookies=cookies)

    # -- exception handlers may return FT, which gets the same page wrapping as handlers
    def _wrap_exc_handler(self, f: Callable) -> Callable:
        is_async = inspect.iscoroutinefunction(f)
        name = getattr(f, '__qualname__', repr(f))
        body_wrap = _two_arg_wrap(self.body_wrap)

        async def handler(req: Request, exc: Exception) -> Response:
            if isinstance(exc, ParamError):
                log_param_error(req, exc)
            r = await f(req, exc) if is_async else await run_in_threadpool(f, req, exc)
            resp = to_response(req, r, body_wrap, name)
            if resp.status_code == 200 and not isinstance(r, Response):
                # an error page keeps the error's status: the HTTPException's, else 500
                resp.status_code = exc.status_code if isinstance(exc, HTTPException) else 500
            return resp
        return handler

    def add_exception_handler(self, exc_class_or_status_code: int | type[Exception], handler: Callable) -> None:
        "Add an exception handler after construction; like those given to the constructor, it may return FT."
        super().add_exception_handler(exc_class_or_status_code, self._wrap_exc_handler(handler))

    def exception_handler(self, exc_class_or_status_code: int | type[Exception]) -> Callable:
        "Decorator form of `add_exception_handler`."
        def deco(f: Callable) -> Callable:
            self.add_exception_handler(exc_class_or_status_code, f)
            return f
        return deco

    # -- registration
    def add_route(self, route: BaseRoute) -> None:  # pyright: ignore[reportIncompatibleMethodOverride] (FastHTML's)
        """Add a Starlette route, replacing an existing one with the same path, methods, name and host. A route
        restricted to a host goes before the unrestricted ones, so it wins where both match."""
        methods = getattr(route, 'methods', None)
        path = getattr(route, 'path', None)
        host = getattr(route, 'host', None)
        routes = self.router.routes
        for i, r in enumerate(routes):
            if getattr(r, 'path', None) == path and getattr(r, 'methods', None) == methods \
                    and getattr(r, 'name', None) == getattr(route, 'name', None) and path is not None \
                    and getattr(r, 'host', None) == host:
                routes[i] = route
                return
        if host is not None:
            at = next((i for i, r in enumerate(routes) if getattr(r, 'host', None) is None), len(routes))
            routes.insert(at, route)
            return
        routes.append(route)

    def _add_route(self, f: Callable, path: str | None, methods: Any, name: str | None, include_in_schema: bool,
                   body_wrap: Callable | None, host: str | None = None, before: Any = None) -> RouteFunc:
        if isinstance(f, RouteFunc):
            f = f.fn
        if not callable(f):
            raise TypeError(f'Route handler for {path!r} must be callable, got {type(f).__name__}')
        path, meths = _route_path_and_methods(f, path, methods)
        if not path.startswith('/'):
            raise ValueError(f'Route path {path!r} for {f.__qualname__} must start with "/"')
        pparams = frozenset(m.group(1) for m in _PATH_PARAM.finditer(path))
        if isinstance(f, type):
            # A class route: each HTTP verb method (`get`, `post`, ...) serves that verb at the class's path.
            rname = name or _class_route_name(f)
            verbs = _class_verbs(f)
            if not verbs:
                raise TypeError(f'Class route {f.__qualname__} has no HTTP verb methods ({", ".join(all_meths)})')
            for verb, m in verbs:
                self._add_endpoint(m, path, pparams, [verb.upper()], rname, include_in_schema, body_wrap, host, before)
            rf: RouteFunc = self._link(RouteClass(f, path, rname))
        else:
            rname = name or nested_name(f)
            self._add_endpoint(f, path, pparams, meths, rname, include_in_schema, body_wrap, host, before)
            rf = self._link(RouteFunc(f, path, rname))
        setattr(self.rt_funcs, rname, rf)
        return rf

    def _add_endpoint(self, f: Callable, path: str, pparams: frozenset, meths: list | None, rname: str,
                      include_in_schema: bool, body_wrap: Callable | None, host: str | None, before: Any) -> None:
        plan = build_plan(f, path, pparams, app_cls=type(self))
        ep = _Endpoint(self, plan, body_wrap, before)
        if host is None:
            route: Route = _EndpointRoute(path, ep, methods=meths, name=rname, include_in_schema=include_in_schema)
        else:
            route = _HostEndpointRoute(path, ep, methods=meths, name=rname, include_in_schema=include_in_schema,
                                       host=host)
        self.add_route(route)

    def _link(self, rf: RouteFunc) -> RouteFunc:
        "Keep `rf` so that mounting this app (fasthtml.compose) prefixes its path; prefixed now if already mounted."
        self._links.append((rf, rf.path))
        if self.url_prefix:
            rf.path = self.url_prefix + rf.path
        return rf

    def route(self, path: Any = None, methods: Any = None, name: str | None = None, include_in_schema: bool = True,
              body_wrap: Callable | None = None, host: str | None = None, before: Any = None) -> Any:
        """Add a route at `path` (default: from the function name); methods from the name when it is an HTTP verb.
        Decorating a class adds a route for each of its verb methods (`get`, `post`, ...). `host` restricts the
        route to requests for that host name; `before` is Beforeware for this route alone (a function or a list)."""
        if callable(path) and not isinstance(path, str):
            return self._add_route(path, None, methods, name, include_in_schema, body_wrap, host, before)

        def deco(f: Callable) -> RouteFunc:
            return self._add_route(f, path, methods, name, include_in_schema, body_wrap, host, before)
        return deco

    def _verb(self, verb: str, path: Any, name: str | None, include_in_schema: bool, body_wrap: Callable | None,
              host: str | None = None, before: Any = None) -> Any:
        if callable(path) and not isinstance(path, str):
            return self._add_route(path, None, [verb], name, include_in_schema, body_wrap, host, before)
        return self.route(path, methods=[verb], name=name, include_in_schema=include_in_schema, body_wrap=body_wrap,
                          host=host, before=before)

    def ws(self, path: Any = None, conn: Callable | None = None, disconn: Callable | None = None,
           name: str | None = None, middleware: Sequence | None = None) -> Any:
        """Add a websocket route at `path` (default: from the function name, as `@app.ws` without arguments).
        The handler, `conn` and `disconn` get `ws`, `send`, `data`, `session`, `htmx`, ... and message fields by
        name (see fasthtml._ws). Returns a RouteFunc, so `ws_connect=handler` links to the route."""
        from ._ws import ws_route

        def deco(f: Callable) -> RouteFunc:
            if isinstance(f, RouteFunc):
                f = f.fn
            p = path if isinstance(path, str) else '/' + nested_name(f)
            rname = name or nested_name(f)
            route = ws_route(self, p, f, conn, disconn, rname, middleware)
            # Registering the same path again (a notebook cell re-run) replaces the old handler.
            for i, r in enumerate(self.router.routes):
                if isinstance(r, WebSocketRoute) and r.path == p:
                    self.router.routes[i] = route
                    break
            else:
                self.router.routes.append(route)
            rf = self._link(RouteFunc(f, p, rname))
            setattr(self.rt_funcs, rname, rf)
            return rf
        if callable(path) and not isinstance(path, str):
            f, path = path, None
            return deco(f)
        return deco

    # -- static files
    def static_route_exts(self, prefix: str = '/', static_path: str = '.', exts: str = 'static') -> None:
        "Serve files from `static_path` at URL `prefix` for the extensions registered as `exts` by `reg_re_param`."
        root = _PPath(static_path).resolve()

        async def static_file(fname: str, ext: str) -> Response:
            return _safe_file(root, f'{fname}.{ext}')
        self.route(f"{prefix.rstrip('/')}/{{fname:path}}.{{ext:{exts}}}", methods=['get'],
                   name='static_route_exts_get')(static_file)

    def static_route(self, ext: str = '', prefix: str = '/', static_path: str = '.') -> None:
        "Serve files ending in `ext` (including the '.') from `static_path` at URL `prefix`."
        root = _PPath(static_path).resolve()

        async def static_file(fname: str) -> Response:
            return _safe_file(root, f'{fname}{ext}')
        self.route(f"{prefix.rstrip('/')}/{{fname:path}}{ext}", methods=['get'],
                   name=f'static_route_{ext.strip(".")}_get')(static_file)

    def setup_ws(self, app: Any = None) -> Any:
        "Compatibility hook; websocket routes are added with `app.ws`."
        return self


def _safe_file(root: _PPath, rel: str) -> Response:
    """A FileResponse for `rel` under `root`, or 404 when it escapes `root`, does not exist, or is a name the
    operating system refuses to look up (too long, a NUL, a symlink loop, not encodable...)."""
    if '\x00' in rel or rel.startswith(('/', '\\')) or '\\' in rel:
        raise HTTPException(404)
    try:
        p = (root / rel).resolve()
        if (p != root and root not in p.parents) or not p.is_file():
            raise HTTPException(404)
    except (OSError, ValueError, RuntimeError):  # (Path.resolve raises RuntimeError on a symlink loop before 3.13)
        raise HTTPException(404) from None
    return FileResponse(p)


_TEST_CLIENT: Any = None


def _test_client_cls() -> type:
    "FastHTML's test client class, defined on first use (importing Starlette's TestClient costs time and warns)."
    global _TEST_CLIENT
    if _TEST_CLIENT is None:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            from starlette.testclient import TestClient

        class FastHTMLTestClient(TestClient):
            "Starlette's TestClient, as `app.get_testclient()` returns it."
        _TEST_CLIENT = FastHTMLTestClient
    return _TEST_CLIENT


# ---------------------------------------------------------------------------------------------------------------
# APIRouter

class APIRouter(_VerbRoutes):
    """Collect routes (in another module, say) and add them to an app later with `to_app`, under a `prefix`
    (joined to each path as given, as in FastHTML: `APIRouter('/api')` and `'/items'` make `/api/items`)."""

    def __init__(self, prefix: str | None = None, body_wrap: Callable = noop_body):
        self.prefix = prefix if prefix else ''
        self.body_wrap = body_wrap
        self.routes: list = []
        self.wss: list = []
        self.rt_funcs = RouteFuncs()
        self._made: list[RouteFunc] = []  # linked to the app by to_app, so mounting the app prefixes them too

    def __call__(self, path: Any = None, methods: Any = None, name: str | None = None,
                 include_in_schema: bool = True, body_wrap: Callable | None = None, host: str | None = None,
                 before: Any = None) -> Any:
        "Add a route at `path` (prefixed); a class adds one route per verb method, as with `app.route`."
        if callable(path) and not isinstance(path, str):
            return self._add(path, None, methods, name, include_in_schema, body_wrap, host, before)
        return lambda f: self._add(f, path, methods, name, include_in_schema, body_wrap, host, before)

    def _add(self, f: Callable, path: str | None, methods: Any, name: str | None, include_in_schema: bool,
             body_wrap: Callable | None, host: str | None = None, before: Any = None) -> RouteFunc:
        if isinstance(f, RouteFunc):
            f = f.fn
        p, _ = _route_path_and_methods(f, path, methods)
        full = self.prefix + p
        self.routes.append((f, full, methods, name, include_in_schema, body_wrap or self.body_wrap, host, before))
        if isinstance(f, type):
            rname = name or _class_route_name(f)
            rf: RouteFunc = RouteClass(f, full, rname)
        else:
            rname = name or nested_name(f)
            rf = RouteFunc(f, full, rname)
        setattr(self.rt_funcs, rname, rf)
        self._made.append(rf)
        return rf

    def _verb(self, verb: str, path: Any, name: str | None, include_in_schema: bool,
              body_wrap: Callable | None, host: str | None = None, before: Any = None) -> Any:
        if callable(path) and not isinstance(path, str):
            return self._add(path, None, [verb], name, include_in_schema, body_wrap, host, before)
        return lambda f: self._add(f, path, [verb], name, include_in_schema, body_wrap, host, before)

    def __getattr__(self, name: str) -> Any:
        if name.startswith('__') or name in ('rt_funcs', 'routes', 'wss', 'prefix', 'body_wrap', '_made'):
            raise AttributeError(name)
        try:
            return getattr(self.__dict__['rt_funcs'], name)
        except AttributeError:
            raise AttributeError(f'APIRouter has no route or attribute {name!r}') from None

    def ws(self, path: Any = None, conn: Callable | None = None, disconn: Callable | None = None,
           name: str | None = None, middleware: Sequence | None = None) -> Any:
        "Add a websocket route at `path` (prefixed; default: from the function name)."
        def deco(f: Callable) -> RouteFunc:
            p = path if isinstance(path, str) else '/' + nested_name(f)
            self.wss.append((f, self.prefix + p, conn, disconn, name, middleware))
            rf = RouteFunc(f, self.prefix + p, name or nested_name(f))
            setattr(self.rt_funcs, name or nested_name(f), rf)
            self._made.append(rf)
            return rf
        if callable(path) and not isinstance(path, str):
            f, path = path, None
            return deco(f)
        return deco

    def to_app(self, app: FastHTML) -> None:
        "Add this router's routes to `app`."
        for f, path, methods, name, schema, bw, host, before in self.routes:
            app._add_route(f, path, methods, name, schema, bw, host, before)
        for f, path, conn, disconn, name, mw in self.wss:
            app.ws(path, conn, disconn, name, mw)(f)
        for rf in self._made:
            app._link(rf)


# ---------------------------------------------------------------------------------------------------------------
# Client, middleware base, serve

class Client:
    """A synchronous HTTP client that calls an ASGI `app` in-process (no server), keeping cookies between calls.
    Responses are httpx2's, as FastHTML's (Starlette's test client runs on httpx2, without deprecation warnings)."""

    def __init__(self, app: Any, url: str = 'http://testserver'):
        import httpx2
        from starlette.testclient import TestClient
        self.app = app
        # As FastHTML's client (httpx2's ASGI transport): redirects are answers, not followed; httpx2's user agent;
        # the client address httpx2 gives an ASGI app.
        self.cli = TestClient(app, base_url=url, follow_redirects=False, client=('127.0.0.1', 123),
                              headers={'user-agent': f'python-httpx2/{httpx2.__version__}'})

    def request(self, method: str, url: str, **kw: Any) -> Any:
        "Send a `method` request to `url` through the app (httpx keywords as in Starlette's TestClient)."
        return self.cli.request(method, url, **kw)

    def get(self, url: str, **kw: Any) -> Any:
        "GET `url`."
        return self.cli.get(url, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        "POST to `url`."
        return self.cli.post(url, **kw)

    def put(self, url: str, **kw: Any) -> Any:
        "PUT to `url`."
        return self.cli.put(url, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        "DELETE `url`."
        return self.cli.request('DELETE', url, **kw)

    def patch(self, url: str, **kw: Any) -> Any:
        "PATCH `url`."
        return self.cli.patch(url, **kw)

    def head(self, url: str, **kw: Any) -> Any:
        "HEAD `url`."
        return self.cli.head(url, **kw)

    def options(self, url: str, **kw: Any) -> Any:
        "OPTIONS `url`."
        return self.cli.options(url, **kw)

    @property
    def cookies(self) -> Any:
        "The cookies the client holds, sent with every following request."
        return self.cli.cookies


class MiddlewareBase:
    "Base for simple ASGI middleware: passes through everything but HTTP and websocket scopes."
    _app: Callable  # the wrapped app, set by the subclass

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> HTTPConnection | None:
        "The ASGI entry: other scopes go straight to `self._app`; HTTP and websocket ones return their connection."
        if scope['type'] not in ('http', 'websocket'):
            await self._app(scope, receive, send)
            return
        return HTTPConnection(scope)


def serve(appname: str | None = None, app: str = 'app', host: str | None = None, port: int | None = None,
          reload: bool = True, procs: int | None = None, reload_includes: list[str] | str | None = None,
          reload_excludes: list[str] | str | None = None, workers: int | None = None, **kwargs: Any) -> None:
    """Run the app with uvicorn, but only when the calling module is `__main__`, so importing an app never
    starts a server. Binds 127.0.0.1 unless `host` (or a `HOST` variable) is given, or a hosting platform sets `PORT`
    (then all interfaces). `workers=N` runs N processes on one port (without reload; see fasthtml._deploy).
    `procs` is accepted and unused, as in FastHTML."""
    glb = inspect.currentframe().f_back.f_globals  # type: ignore[union-attr]
    if glb.get('__name__') != '__main__':
        return
    # In a notebook or IPython kernel (and in `python -c`), there is no module to serve: do nothing, as FastHTML
    # does; serve from a notebook with `JupyUvi` / `nb_serve` (fasthtml.jupyter).
    if not glb.get('__file__') or _in_ipython():
        return
    import uvicorn
    if not appname:
        appname = _PPath(glb['__file__']).stem
    if port is None:
        port = int(os.environ.get('PORT', 5001))
    shown = host
    if host is None:
        host = os.environ.get('HOST') or ('0.0.0.0' if 'PORT' in os.environ else '127.0.0.1')
        shown = None if host in ('0.0.0.0', '127.0.0.1') else host
    shown = shown if shown and shown != '0.0.0.0' else 'localhost'
    print(f'Link: \033[91m\033[1mhttp://{shown}:{port}\033[22m\033[39m')  # FastHTML prints the app's link
    reload = _deploy.serve_options(workers, reload, kwargs)
    if reload:
        kwargs.update(reload=True, reload_includes=reload_includes, reload_excludes=reload_excludes)
        fname = glb.get('__file__')
        if fname and 'reload_dirs' not in kwargs:
            # Watch the app's own folder (run from anywhere, edits to the app still reload), and the working directory.
            dirs = [str(_PPath(fname).resolve().parent), os.getcwd()]
            kwargs['reload_dirs'] = list(dict.fromkeys(dirs))
    uvicorn.run(f'{appname}:{app}', host=host, port=port, **kwargs)
