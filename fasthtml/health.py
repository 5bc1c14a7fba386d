"""Health endpoints for load balancers and orchestrators: `/health` (liveness) and `/ready` (readiness).

    HealthChecks(app)                              # GET /health and GET /ready (combine() adds them to a site)
    add_ready_check(app, 'search', ping_search)    # any sync or async callable; raising or returning False fails

`/health` answers 200 `{"status": "ok"}` as long as the process serves requests. `/ready` runs every readiness check
of the app (and of the apps mounted in it with fasthtml.compose) concurrently, each within `timeout` seconds, and
answers 200 when all pass, else 503 naming the ones that failed; it also answers 503 once the server is shutting
down, so a load balancer stops sending work. Registered for you: the app's database (`app.db`, as `fast_app(db_file)`
sets it), the `Accounts` database, and Redis when `PubSub` uses it.

Both answer before everything else in the app: no Beforeware, login redirects, basic auth, sessions or CSRF checks
run for them, so polling every second costs next to nothing. An app with its own route at one of these paths keeps
it. They are not added to an app unless asked for: `HealthChecks(app)`, or `combine(...)` (pass `health=False` to
leave them out); pass `live=None` or `ready=None` to leave one out, or other paths.
"""
from __future__ import annotations

import asyncio
import inspect
import json
import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from starlette.middleware import Middleware
from starlette.routing import Route

from ._shutdown import shutdown_event

__all__ = ['HealthChecks', 'add_ready_check', 'remove_ready_check', 'ready_checks', 'database_check']

log = logging.getLogger('fasthtml.health')

# app -> {name: check}; apps are weakly held so a discarded app (a test, a notebook cell) takes its checks with it
_CHECKS: weakref.WeakKeyDictionary[Any, dict[str, Callable]] = weakref.WeakKeyDictionary()
_INSTANCES: weakref.WeakKeyDictionary[Any, HealthChecks] = weakref.WeakKeyDictionary()


def add_ready_check(app: Any, name: str, check: Callable[[], Any]) -> None:
    """Make `/ready` of `app` (or of the site it is mounted in) depend on `check`: a sync or async callable taking
    no arguments that fails by raising, returning False or taking longer than the timeout. Replaces a check of the
    same name. Databases and services register their own (see the module docstring)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f'add_ready_check: the name must be a non-empty str, got {name!r}')
    if not callable(check):
        raise TypeError(f'add_ready_check: check {name!r} must be callable, got {type(check).__name__}')
    _CHECKS.setdefault(app, {})[name] = check


def remove_ready_check(app: Any, name: str) -> None:
    "Drop the readiness check called `name` (no error if there is none)."
    _CHECKS.get(app, {}).pop(name, None)


def database_check(db: Any) -> Callable[[], Any]:
    "A readiness check running `SELECT 1` on a MiniDataAPI database (fastlite for SQLite, or PostgreSQL)."
    def check() -> None:
        if hasattr(db, 'q'):
            db.q('SELECT 1')
        else:
            db.execute('SELECT 1')
    return check


def ready_checks(app: Any) -> dict[str, Callable]:
    """Every readiness check `/ready` of `app` runs: its own (with its database, when it has one and registered
    none), then those of the apps mounted in it with fasthtml.compose, named with their prefix ('/blog:database')."""
    out = dict(_CHECKS.get(app, {}))
    db = getattr(app, 'db', None)
    if db is not None and 'database' not in out and (hasattr(db, 'q') or hasattr(db, 'execute')):
        out = {'database': database_check(db), **out}
    from .compose import AppMount
    for r in getattr(getattr(app, 'router', None), 'routes', ()):
        if isinstance(r, AppMount):
            for name, check in ready_checks(r.sub).items():
                out[f'{r.prefix}:{name}'] = check
    return out


class HealthChecks:
    """`GET /health` (liveness) and `GET /ready` (readiness) for `app`, answered in front of the whole app.

    `live`/`ready`: the paths (None leaves that endpoint out). `timeout`: seconds each readiness check may take.
    Add checks with `add_ready_check` (or `health.add(name, check)`). Must be set up before the app serves."""

    def __init__(self, app: Any, live: str | None = '/health', ready: str | None = '/ready',
                 timeout: float = 2.0) -> None:
        for what, p in (('live', live), ('ready', ready)):
            if p is not None and (not isinstance(p, str) or not p.startswith('/')):
                raise ValueError(f'HealthChecks: {what} must be a path starting with "/" (or None), got {p!r}')
        if live is not None and live == ready:
            raise ValueError(f'HealthChecks: live and ready need different paths, both are {live!r}')
        if not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError(f'HealthChecks: timeout must be a positive number of seconds, got {timeout!r}')
        if HealthChecks.of(app) is not None:
            raise ValueError('HealthChecks: this app already has health checks')
        if getattr(app, 'middleware_stack', None) is not None:
            raise RuntimeError('HealthChecks: set them up before the app serves its first request')
        self.app, self.live, self.ready, self.timeout = app, live, ready, float(timeout)
        self._busy: dict[str, threading.Event] = {}  # sync check name -> set when its last run returned
        self._inflight: tuple | None = None  # (loop, task) of the readiness run concurrent requests share
        self._last: dict[str, str] = {}
        self._warned: set[str] = set()
        _INSTANCES[app] = self
        # Outermost of the app's own layers: before error pages, CSRF, body limits, sessions and user middleware.
        app.user_middleware.insert(0, Middleware(_HealthLayer, health=self))

    def __repr__(self) -> str:
        return f'<HealthChecks live={self.live!r} ready={self.ready!r}>'

    @staticmethod
    def of(app: Any) -> HealthChecks | None:
        "The health checks set up for `app`, if any."
        return _INSTANCES.get(app)

    def add(self, name: str, check: Callable[[], Any]) -> None:
        "Add a readiness check (see `add_ready_check`)."
        add_ready_check(self.app, name, check)

    # -- answering
    def _defined_by_app(self, path: str) -> bool:
        "Does the app have its own route at exactly this path? Then it keeps it."
        for r in getattr(self.app, 'routes', ()):
            if isinstance(r, Route) and r.path == path:
                if path not in self._warned:
                    self._warned.add(path)
                    log.warning('health: the app has its own route at %s, which answers instead of the built-in '
                                'check; pass another path to HealthChecks to have both', path)
                return True
        return False

    async def readiness(self) -> tuple[bool, dict[str, str]]:
        "Run every readiness check now: (all passed, {name: 'ok' or why it failed})."
        loop = asyncio.get_running_loop()
        if self._inflight is not None and self._inflight[0] is loop and not self._inflight[1].done():
            return await asyncio.shield(self._inflight[1])  # a poll already running: share its answer
        task = loop.create_task(self._run_all())
        self._inflight = (loop, task)
        return await asyncio.shield(task)

    async def _run_all(self) -> tuple[bool, dict[str, str]]:
        checks = ready_checks(self.app)
        names = list(checks)
        results = await asyncio.gather(*(self._run(n, checks[n]) for n in names))
        out = {}
        for name, (res, detail) in zip(names, results, strict=True):
            if self._last.get(name, 'ok') != res:  # logged when it changes, not at every poll
                if res == 'ok':
                    log.warning('health: readiness check %r passes again', name)
                else:
                    log.warning('health: readiness check %r %s', name, detail or res)
            self._last[name] = out[name] = res
        return all(r == 'ok' for r in out.values()), out

    async def _run(self, name: str, check: Callable) -> tuple[str, str | None]:
        "('ok' or why it failed, as shown; the exception's message for the log, if any)."
        busy = self._busy.get(name)
        if busy is not None and not busy.is_set():
            return f'timed out (the previous check has not returned after {self.timeout:g}s)', None
        loop = asyncio.get_running_loop()
        start = time.monotonic()
        try:
            if inspect.iscoroutinefunction(check):
                r = await asyncio.wait_for(check(), self.timeout)
            else:
                fut, self._busy[name] = _in_thread(loop, check)
                r = await asyncio.wait_for(asyncio.shield(fut), self.timeout)
                if inspect.isawaitable(r):
                    r = await asyncio.wait_for(r, max(0.01, self.timeout - (time.monotonic() - start)))
        except asyncio.TimeoutError:
            return f'timed out after {self.timeout:g}s', None
        except Exception as e:
            log.debug('health: readiness check %r raised', name, exc_info=True)
            # Shown: the class only (the message may name hosts or users); logged: the message too.
            return f'failed: {type(e).__name__}', f'raised {type(e).__name__}: {e}'
        return ('failed', 'returned False') if r is False else ('ok', None)


def _in_thread(loop: asyncio.AbstractEventLoop, fn: Callable) -> tuple[asyncio.Future, threading.Event]:
    """Run a sync check in a daemon thread of its own: one stuck on a dead database neither holds a request thread
    nor keeps the process from exiting, and `HealthChecks._run` starts no second one while it is stuck (the event
    is set when the call returns, whatever became of the loop that waited for it)."""
    fut = loop.create_future()
    finished = threading.Event()

    def settle(ok: bool, value: Any) -> None:
        if not fut.done():
            fut.set_result(value) if ok else fut.set_exception(value)

    def work() -> None:
        try:
            res: tuple[bool, Any] = (True, fn())
        except BaseException as e:  # noqa: BLE001 (handed to the waiting request, whatever it is)
            res = (False, e)
        finished.set()
        try:
            loop.call_soon_threadsafe(settle, *res)
        except RuntimeError:  # the loop closed meanwhile: nobody is waiting
            pass
    threading.Thread(target=work, name='fasthtml-health-check', daemon=True).start()
    return fut, finished


_JSON = [(b'content-type', b'application/json'), (b'cache-control', b'no-store')]


class _HealthLayer:
    "ASGI layer answering the health paths in front of the app; every other request passes straight through."

    def __init__(self, app: Callable, health: HealthChecks) -> None:
        self.app, self.health = app, health
        self.paths = frozenset(p for p in (health.live, health.ready) if p is not None)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope['type'] != 'http' or scope['path'] not in self.paths or scope['method'] not in ('GET', 'HEAD') \
                or self.health._defined_by_app(scope['path']):
            await self.app(scope, receive, send)
            return
        body: dict[str, Any]
        if scope['path'] == self.health.live:
            status, body = 200, {'status': 'ok'}
        elif shutdown_event.is_set():
            status, body = 503, {'status': 'stopping'}
        else:
            ok, results = await self.health.readiness()
            body = {'status': 'ready' if ok else 'unavailable'}
            if not ok:
                body['failed'] = [n for n, r in results.items() if r != 'ok']
            body['checks'] = results
            status = 200 if ok else 503
        data = json.dumps(body, separators=(',', ':')).encode()
        await send({'type': 'http.response.start', 'status': status,
                    'headers': [*_JSON, (b'content-length', str(len(data)).encode())]})
        await send({'type': 'http.response.body', 'body': b'' if scope['method'] == 'HEAD' else data})
