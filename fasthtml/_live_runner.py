"""Where live component instances live and how events reach them: `LocalRunner`, this process.

The protocol layer (fasthtml.live) verifies tokens, parses the page's messages and owns the socket; it calls a
runner with plain data and a `Connection` (whose `post(msg)` queues a message for the page, from any thread):

    await runner.join(conn, [(lid, token, version), ...])  components found on the page (document order)
    await runner.join_widgets(conn, [token, ...])         widget views found on the page
    await runner.event(conn, lid, handler_name, fields)   a browser event
    await runner.widget_message(conn, key, msg, buffers)  a widget's front-end model sent state or a custom message
    runner.leave(conn, lids, widget_keys)                  elements gone from the page
    await runner.disconnect(conn)                          the socket closed
    runner.register(comp) / runner.adopt(conn, comp)       a component rendered into a page / by a live update

LocalRunner keeps instances in this process: those rendered into a page (waiting for its socket) and those whose page
is gone (waiting for a reconnect) sit in `waiting` with a deadline `grace` seconds ahead; a sweeper frees the expired
ones (`unmount`, `mount` task cancelled, widgets they created closed). `fasthtml._live_isolated.IsolatingRunner`
extends it to run isolated components in their session's process, where another LocalRunner holds them.
"""
from __future__ import annotations

import asyncio
import functools
import importlib
import inspect
import logging
import threading
import time
import weakref
from typing import Any

from ._params import Body, ParamError
from ._workers import run_sync
from .live import _CLASSES, Connection, LiveComponent, _building, _close_owned

__all__ = ['LocalRunner']

log = logging.getLogger('fasthtml.live')


class LocalRunner:
    """Live components in this process (see the module docstring). `hub` is the `Live` object (grace, tokens)."""

    def __init__(self, hub: Any):
        self.hub = hub
        self.lock = threading.Lock()
        self.waiting: dict[str, tuple[LiveComponent, float]] = {}
        self.live: dict[str, LiveComponent] = {}
        self._last_sweep = time.monotonic()
        self._sweepers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @property
    def grace(self) -> float:
        return self.hub.grace

    def counts(self) -> dict[str, int]:
        "How many instances are on a live page, and how many wait (for their page's socket, or a reconnect)."
        with self.lock:
            return {'live': len(self.live), 'waiting': len(self.waiting)}

    # -- instances rendered into pages
    def register(self, comp: LiveComponent) -> None:
        "A component rendered into a page: keep it `grace` seconds for that page's socket."
        now = time.monotonic()
        with self.lock:
            self.waiting[comp._live.lid] = (comp, now + self.grace)
        if now - self._last_sweep > self._interval():
            self.sweep(now)

    def adopt(self, conn: Connection, comp: LiveComponent) -> None:
        "A component first rendered by a live update of `conn` (created by a handler): it is on that page now."
        with self.lock:
            self.waiting.pop(comp._live.lid, None)
        self._attach(conn, comp)

    # -- the page's socket
    async def join(self, conn: Connection, claims: list[tuple[Any, Any, Any]]) -> None:
        "Attach the components a page shows (adopting, taking over or recreating them); render the stale ones."
        await self.join_verified(conn, self.verified(conn, claims))

    def verified(self, conn: Connection, claims: list[tuple[Any, Any, Any]]) -> list[tuple[str, str, Any, tuple]]:
        "The claims whose token is valid for this page's session, with what the token says; the others are refused."
        out = []
        for lid, token, ver in claims:
            v = self.hub.verify(token, conn.scope)
            if v is None or v[0] != lid:
                log.warning('live: refused a component token (%s)', 'bad signature or another session' if v is None
                            else 'id mismatch')
                conn.post({'t': 'g', 'l': str(lid)[:64]})
                continue
            out.append((lid, token, ver, v))
        return out

    async def join_verified(self, conn: Connection, claims: list[tuple[str, str, Any, tuple]]) -> None:
        "Join claims already checked by `verified`: (lid, token, version, (lid, class path, args, isolated))."
        for lid, token, ver, v in claims:
            comp = conn.comps.get(lid)
            if comp is None:
                comp = self._take(lid)
            if comp is None:
                try:
                    comp = await self._recreate(conn, lid, token, v[1], v[2])
                except Exception as e:  # noqa: BLE001 (the user's __init__: its error shown in the component's place)
                    conn.send_error(lid, e, 'recreating the component')
                    continue
            self._attach(conn, comp)
            if str(ver) != str(comp._live.ver):
                conn.send_render(comp)
            self._mount(conn, comp)

    def _take(self, lid: str) -> LiveComponent | None:
        "The instance for `lid` in this process: waiting, or on another page (a duplicated tab: it moves here)."
        with self.lock:
            e = self.waiting.pop(lid, None)
            if e is not None:
                return e[0]
            comp = self.live.get(lid)
        if comp is not None:
            old = comp._live.conn
            if old is not None:
                old.comps.pop(lid, None)
                old.post({'t': 'g', 'l': lid})
            return comp
        return None

    async def _recreate(self, conn: Connection, lid: str, token: str, cpath: str, args: Any) -> LiveComponent:
        "The component rebuilt from its token: class and constructor arguments (another worker rendered the page)."
        if args is None:
            raise RuntimeError('this component was rendered by another worker process and its constructor arguments '
                               'are not JSON values, so it cannot be recreated here')
        cls: Any = _CLASSES.get(cpath)
        if cls is None:  # not defined in this process yet: import its module
            mod, _, qual = cpath.partition(':')
            cls = importlib.import_module(mod)
            for part in qual.split('.'):
                cls = getattr(cls, part)
        if not (isinstance(cls, type) and issubclass(cls, LiveComponent)):
            raise TypeError(f'{cpath} is not a LiveComponent')
        a, kw = args

        def make() -> LiveComponent:
            comp = cls.__new__(cls, *a, **kw)
            comp._live.lid = lid  # before __init__, so that its children get the ids the page has
            comp._live.token = token
            comp.__init__(*a, **kw)
            return comp
        comp = await run_sync(make)
        log.debug('live: recreated %s %s', cpath, lid)
        return comp

    def _attach(self, conn: Connection, comp: LiveComponent) -> None:
        st = comp._live
        st.conn = conn
        conn.comps[st.lid] = comp
        with self.lock:
            self.live[st.lid] = comp
            self.waiting.pop(st.lid, None)
        for ref in st.kids:  # children made in __init__ are on the page too (a recreated parent made new ones)
            kid = ref()
            if kid is not None and not kid._live.freed and kid._live.lid not in conn.comps \
                    and kid._live.conn is None:
                self._attach(conn, kid)

    def _mount(self, conn: Connection, comp: LiveComponent) -> None:
        st = comp._live
        if st.mounted or type(comp).mount is LiveComponent.mount:
            return
        st.mounted = True
        st.task = asyncio.create_task(self._run_mount(comp), name=f'fasthtml-live-mount-{st.lid}')

    async def _run_mount(self, comp: LiveComponent) -> None:
        try:
            if inspect.iscoroutinefunction(comp.mount):
                await comp.mount()
            else:
                r = await run_sync(comp.mount)
                if inspect.isawaitable(r):
                    await r
        except asyncio.CancelledError:
            raise
        except Exception as e:
            conn = comp._live.conn
            if conn is not None:
                conn.send_error(comp, e, 'mount()')
            else:
                log.exception('live component %s: mount() raised', type(comp).__name__)

    async def event(self, conn: Connection, lid: str, name: str, fields: dict) -> None:
        "Run handler `name` of component `lid` (only one this page joined) with `fields`, then send its new HTML."
        comp = conn.comps.get(lid)
        if comp is None:
            log.warning('live: refused an event for component %r, which this page did not join', lid[:64])
            return
        h = type(comp)._live_handlers.get(name)
        if h is None:
            conn.send_error(comp, LookupError(f'{type(comp).__name__} has no event handler {name!r} (event handlers '
                                              f'are its public methods)'), f'event {name!r}')
            return
        plan = h.plan
        x = dict(fields)
        x['self'] = comp
        try:
            kw = plan.resolve(conn.ws, Body(json_=fields) if plan.needs_body else None, x)
        except ParamError as e:
            log.warning('live: %s.%s: %s', type(comp).__name__, name, e.detail)
            conn.post({'t': 'x', 'l': lid, 'h': self.hub.error_html(e, f'event {name!r}') if self.hub.debug else
                       self.hub.error_html(ValueError(e.detail), f'event {name!r}')})
            return
        st = comp._live
        if st.lock is None:
            st.lock = asyncio.Lock()
        sess = conn.scope.get('session')
        before = dict(sess) if sess is not None else None
        async with st.lock:
            tok = _building.set(comp)
            try:
                if plan.is_async:
                    await plan.fn(**kw)
                else:
                    r = await run_sync(functools.partial(plan.fn, **kw))
                    if inspect.isawaitable(r):
                        await r
            except Exception as e:  # noqa: BLE001 (the user's handler: its error shown in the component's place)
                conn.send_error(comp, e, f'{type(comp).__name__}.{name}')
                return
            finally:
                _building.reset(tok)
            if sess is not None and before is not None and dict(sess) != before:
                self.hub.session_changed(conn, before)
            if st.conn is conn:
                conn.send_render(comp)

    # -- widgets
    async def join_widgets(self, conn: Connection, tokens: list[str]) -> None:
        from . import _live_widgets
        for t in tokens:
            await _live_widgets.join(conn, t)

    async def widget_message(self, conn: Connection, key: str, msg: dict, buffers: list) -> None:
        from . import _live_widgets
        await _live_widgets.message(conn, key, msg, buffers)

    # -- leaving
    def leave(self, conn: Connection, lids: list[str], keys: list[str]) -> None:
        "Elements the page no longer shows: their components wait `grace` seconds (they may come back), widgets stop."
        for lid in lids:
            comp = conn.comps.pop(lid, None)
            if comp is not None:
                self._detach(conn, comp)
        if keys:
            from . import _live_widgets
            for k in keys:
                _live_widgets.leave(conn, k)

    async def disconnect(self, conn: Connection) -> None:
        "The page's socket closed: everything it showed waits `grace` seconds for a reconnect."
        for task in list(conn.inflight):
            task.cancel()
        for comp in list(conn.comps.values()):
            self._detach(conn, comp)
        conn.comps.clear()
        if conn.widgets:
            from . import _live_widgets
            _live_widgets.leave_all(conn)

    def _detach(self, conn: Connection, comp: LiveComponent) -> None:
        st = comp._live
        if st.conn is not conn:
            return
        st.conn = None
        with self.lock:
            self.live.pop(st.lid, None)
            self.waiting[st.lid] = (comp, time.monotonic() + self.grace)
        self._ensure_sweeper()

    # -- freeing
    def _interval(self) -> float:
        return max(0.05, min(self.grace / 4, 2.0))

    def _ensure_sweeper(self) -> None:
        loop = asyncio.get_running_loop()
        t = self._sweepers.get(loop)
        if t is None or t.done():
            self._sweepers[loop] = loop.create_task(self._sweep_loop(), name='fasthtml-live-sweeper')

    async def _sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval())
            self.sweep()
            with self.lock:
                if not self.waiting:
                    return

    def sweep(self, now: float | None = None) -> int:
        "Free the instances whose grace period is over; returns how many."
        now = time.monotonic() if now is None else now
        self._last_sweep = now
        with self.lock:
            gone = [c for c, deadline in self.waiting.values() if deadline <= now]
            for c in gone:
                del self.waiting[c._live.lid]
        for c in gone:
            self._free(c)
        return len(gone)

    def free_all(self) -> int:
        "Free every instance, live or waiting (an isolated session's process stopping); returns how many."
        with self.lock:
            comps = [*self.live.values(), *(c for c, _ in self.waiting.values())]
            self.live.clear()
            self.waiting.clear()
        for c in comps:
            conn = c._live.conn
            if conn is not None:
                conn.comps.pop(c._live.lid, None)
            c._live.conn = None
            self._free(c)
        return len(comps)

    def _free(self, comp: LiveComponent) -> None:
        st = comp._live
        if st.freed:
            return
        st.freed = True
        task = st.task
        loop = task.get_loop() if task is not None else None
        if task is not None and not task.done():
            if _on_loop(loop):
                task.cancel()
            elif loop is not None and not loop.is_closed():
                try:
                    loop.call_soon_threadsafe(task.cancel)
                except RuntimeError:  # the loop closed meanwhile: the task is gone with it
                    pass
        if st.mounted:
            try:
                r = comp.unmount()
                if inspect.isawaitable(r):
                    _run_soon(r, loop)
            except Exception:
                log.exception('live component %s: unmount() raised', type(comp).__name__)
        if st.owned:
            _close_owned(st.owned)
            st.owned = []
        for ref in st.kids:
            kid = ref()
            if kid is not None and kid._live.conn is None and kid._live.lid not in self.waiting:
                self._free(kid)
        log.debug('live: freed %s %s', type(comp).__name__, st.lid)


def _run_soon(coro: Any, loop: asyncio.AbstractEventLoop | None) -> None:
    "Run an async `unmount()`: on this loop, else on the component's loop, else (no loop left) right here."
    if _on_loop(loop) or loop is None:
        try:
            asyncio.get_running_loop().create_task(coro)
            return
        except RuntimeError:
            pass
    elif not loop.is_closed():
        try:
            asyncio.run_coroutine_threadsafe(coro, loop)
            return
        except RuntimeError:
            pass
    asyncio.run(coro)


def _on_loop(loop: asyncio.AbstractEventLoop | None) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
