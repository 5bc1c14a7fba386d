"""Pieces an app is assembled from, exported from `fasthtml.core`: `HostRoute` (a route bound to a host name),
`Lifespan` (startup/shutdown callbacks and a lifespan generator as one lifespan), `cors_allow`, and constants."""
from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Match, Route, compile_path
from starlette.types import Scope

from .components import Script
from .limits import DEFAULT_LIMITS

__all__ = ['HostRoute', 'Lifespan', 'cors_allow', 'devtools_loc', 'htmx4src', 'DEF_MAXPART']

# FastHTML's "allow every origin" CORS middleware, exactly: it echoes the request's Origin with credentials allowed, so
# any website can call the app with the user's cookies and read the answers. Only for apps that mean that (an API
# whose callers are trusted, local tools); otherwise list the origins:
# `Middleware(CORSMiddleware, allow_origins=['https://app.example.com'], allow_credentials=True, ...)`.
cors_allow = Middleware(CORSMiddleware, allow_credentials=True, allow_origins=['*'], allow_methods=['*'],
                        allow_headers=['*'])

# Where Chrome's DevTools asks for a workspace description (apps may serve JSON there during development).
devtools_loc = '/.well-known/appspecific/com.chrome.devtools.json'

# htmx 4, for apps that opt in (`hdrs=[htmx4src]` with `htmx=False`); the default headers load htmx 2.
htmx4src = Script(src='https://cdn.jsdelivr.net/npm/htmx.org@4.0.0/dist/htmx.min.js')

# The default size limit for one non-file part of a form (see fasthtml.limits.Limits.max_part_size). FastHTML's is
# 100 MiB; ours is 1 MiB, as large values belong in file uploads, which are not held in memory.
DEF_MAXPART = DEFAULT_LIMITS.max_part_size


def _host_name(scope: Scope) -> str | None:
    "The request's host name, lower-cased and without the port (an IPv6 literal keeps its brackets)."
    h = Headers(scope=scope).get('host')
    if not h:
        return None
    h = h.strip().lower()
    if h.startswith('['):
        end = h.find(']')
        return h[:end + 1] if end > 0 else None
    return h.split(':', 1)[0]


class HostRoute(Route):
    """A route that also requires the `Host` header to match `host`, in Starlette's `{param}` syntax
    (`'{sub}.example.com'`; ports and letter case are ignored). Host parameters join the path parameters, as with
    Starlette's `Host`; a path parameter of the same name wins. Without `host` it is a plain `Route`."""

    def __init__(self, path: str, endpoint: Callable, *, host: str | None = None, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        if host is not None and (not host or host.startswith('/')):
            raise ValueError(f'HostRoute: host must be a host name pattern such as "{{sub}}.example.com", got {host!r}')
        self.host = host
        if host is None:
            self.host_regex = None
            self.host_convertors: dict = {}
        else:
            self.host_regex, _, self.host_convertors = compile_path(host.lower())

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        host_params: dict = {}
        if self.host_regex is not None and scope['type'] == 'http':
            name = _host_name(scope)
            m = self.host_regex.match(name) if name is not None else None
            if m is None:
                return Match.NONE, {}
            host_params = {k: self.host_convertors[k].convert(v) for k, v in m.groupdict().items()}
        match, child = super().matches(scope)
        if match is not Match.NONE and host_params:
            child['path_params'] = {**host_params, **child['path_params']}
        return match, child

    def __repr__(self) -> str:
        return f'{type(self).__name__}(path={self.path!r}, host={self.host!r}, name={self.name!r}, ' \
               f'methods={sorted(self.methods or [])!r})'


def _callables(fs: Any) -> list:
    if fs is None:
        return []
    fs = list(fs) if isinstance(fs, (list, tuple)) else [fs]
    for f in fs:
        if not callable(f):
            raise TypeError(f'Lifespan: startup and shutdown take callables, got {f!r}')
    return fs


async def _run_all(fs: Iterable[Callable]) -> None:
    for f in fs:
        r = f()
        if inspect.isawaitable(r):
            await r


class Lifespan:
    """Startup and shutdown callbacks (sync or async, no arguments) and an optional lifespan `ls` as one lifespan
    for `FastHTML(lifespan=...)` or Starlette. Startup callbacks run first, in order; then `ls(app)` is entered
    (an async or sync generator function, or anything returning a context manager) and whatever it yields becomes
    the app state; on exit `ls` finishes, then the shutdown callbacks run, even if it failed."""

    def __init__(self, startup: Any = None, shutdown: Any = None, ls: Callable | None = None) -> None:
        if ls is not None and not callable(ls):
            raise TypeError(f'Lifespan: ls must be a generator function or context manager factory, got {ls!r}')
        self.startup = _callables(startup)
        self.shutdown = _callables(shutdown)
        self.ls = ls

    def on_event(self, event_type: str) -> Callable[[Callable], Callable]:
        "Decorator adding a `'startup'` or `'shutdown'` callback; returns the function unchanged."
        if event_type not in ('startup', 'shutdown'):
            raise ValueError(f"Lifespan.on_event: event_type must be 'startup' or 'shutdown', got {event_type!r}")

        def deco(f: Callable) -> Callable:
            (self.startup if event_type == 'startup' else self.shutdown).extend(_callables(f))
            return f
        return deco

    def _ls_cm(self, app: Any) -> Any:
        ls = self.ls
        if ls is None:
            return None
        if inspect.isasyncgenfunction(ls):
            return contextlib.asynccontextmanager(ls)(app)
        if inspect.isgeneratorfunction(ls):
            return contextlib.contextmanager(ls)(app)
        cm = ls(app)
        if not (hasattr(cm, '__aenter__') or hasattr(cm, '__enter__')):
            raise TypeError(f'Lifespan: ls(app) must give a context manager, got {cm!r}')
        return cm

    @contextlib.asynccontextmanager
    async def __call__(self, app: Any) -> AsyncIterator[Any]:
        await _run_all(self.startup)
        try:
            cm = self._ls_cm(app)
            if cm is None:
                yield None
            elif hasattr(cm, '__aenter__'):
                async with cm as state:
                    yield state
            else:
                with cm as state:
                    yield state
        finally:
            await _run_all(self.shutdown)
