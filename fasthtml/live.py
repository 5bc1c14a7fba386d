"""Live components: Python objects that render FT, run their methods on browser events and push themselves to the page.

    app, rt = fast_app()
    live = Live(app)                                   # the live socket, the client script, session write-back

    class Counter(LiveComponent):
        def __init__(self, n: int = 0): self.n = n
        def render(self): return Div(P(f'Count: {self.n}'), Button('+1', live_click=self.inc))
        def inc(self, by: int = 1): self.n += by       # public methods are event handlers

    @rt
    def index(): return Titled('Counters', Counter(), Counter(10))

THE MODEL. A component holds its state as plain attributes; `render()` returns FT. Public methods (not starting with
`_`, other than `render`, `mount`, `unmount`, `update`) are event handlers: `live_click=self.inc` (or `'inc'`) on any
element inside the component sends a click there; also `live_input`, `live_change`, `live_submit`, `live_dblclick`,
`live_keydown`. Handler parameters are filled by name and annotation exactly like a route's (fasthtml._params): the
element's `value`, its `name`, the fields of the enclosing form, `live_vals={...}`, and the specials `session`,
`auth`, `req`/`ws`, `htmx`, `app`, `scope`. After a handler runs the component re-renders and the page receives only
that component's HTML, swapped in place (focus and widgets kept; child components render their own current state).
`await self.update()` pushes a re-render at any time (from `mount()`, a background task, a pub/sub subscription); from
another thread `self.update()` schedules it and returns a concurrent future. `async def mount(self)` runs as a task
while the instance lives (a clock's loop); `unmount()` runs when it is freed. A handler or render that raises shows an
error inside that component only (the traceback in debug mode) and is logged; the rest of the page keeps working.

WHERE INSTANCES LIVE (decided for `uvicorn --workers N` without sticky sessions). Rendering a component in a page
embeds its HTML plus a token signed with the app's key: the component's class, its constructor arguments (JSON) and
an id bound to the browser's session. The instance made by the page handler waits in this process for `grace`
seconds; when the page's websocket lands on the same worker it adopts that very instance, and when it lands on
another worker that worker recreates it from the token (the class called with the same arguments; children created
in `__init__` get the same ids, so nested components line up). So the state that must survive a worker switch lives
in constructor arguments, the session, or a database, as with any stateless web handler; instance attributes
changed by events survive a dropped socket as long as the reconnect lands on the same worker within `grace`. Server
push across workers is pub/sub: a component subscribes to a `PubSub` topic in `mount()` (Redis backend under several
workers) and updates itself on each message; see examples/live_clock.py.

The instance stays in its process while the tab shows it, and `grace` seconds after the tab is gone (socket closed
and not back, or the element removed from the page), then it is freed (`unmount`, `mount` task cancelled, widgets
it created closed), so memory does not grow with visits. A reload renders the page again: fresh instances, unless
the component reads its state from the session. Session changes made by a handler are saved: the client posts the
changed keys, signed, to `{path}/session`, which applies them to the cookie session as it is then (a websocket
cannot set a cookie; a session ended meanwhile, by a logout, stays ended).

SECURITY. The live socket is an ordinary `app.ws` route: Beforeware runs on its handshake (auth applies, `auth` is
injected), CSRF protection refuses cross-site handshakes, the session comes from the signed cookie. Tokens are signed
(a client cannot name a class or arguments of its own), bound to the session that rendered them (a token from another
session is refused), and events reach only components this connection joined with such a token.

ISOLATION. `Live(app, isolate=True)` (or `class X(LiveComponent, isolate=True)`) runs each browser session's
components in a process of their own, with `timeout_interaction`, `timeout_inactivity`, `memory_limit` and a cap
on processes (`max_processes`); the component code is the same. See fasthtml._live_isolated.

THE SEAM. `fasthtml._live_runner.LocalRunner` is where instances live and how events reach them (join, event,
widget message, leave, disconnect, all plain data plus a connection that can `post` messages); this module is the
protocol to the browser. The default runner, `fasthtml._live_isolated.IsolatingRunner`, is a LocalRunner that
sends isolated components' traffic to their session's process (which runs a LocalRunner of its own); another runner
is passed as `Live(app, runner=Cls)`.

Widgets: `Widget(w)` shows any `anywidget.AnyWidget` (see fasthtml._live_widgets); anywidget is an optional extra,
`pip install python-fasthtml[widgets]`.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import hashlib
import json
import logging
import secrets
import sys
import threading
import traceback
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastcore.xml import FT as BaseFT
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from starlette.responses import Response

from ._params import Plan, build_plan
from ._render import copy_ft, to_xml

__all__ = ['Live', 'LiveComponent', 'Widget', 'LiveError']

log = logging.getLogger('fasthtml.live')

CLIENT_JS = Path(__file__).with_name('live.js')
SESSION_KEY = '_live'           # the session's live id: tokens rendered for one session are refused in another
RESERVED = frozenset({'render', 'mount', 'unmount', 'update'})
CLOSE_TRY_AGAIN = 1013


class LiveError(RuntimeError):
    "A live component used where it cannot work (rendered outside any app with `Live(app)`, an unknown token...)."


# ---------------------------------------------------------------------------------------------------------------
# Context: which hub, request scope and live connection the current render or handler belongs to.

class _Ctx:
    __slots__ = ('hub', 'scope', 'conn', 'pending')

    def __init__(self, hub: Any, scope: dict | None, conn: Any = None):
        self.hub, self.scope, self.conn = hub, scope, conn
        self.pending: list | None = None  # isolated components rendered into this response, made after it


_ctx: contextvars.ContextVar[_Ctx | None] = contextvars.ContextVar('fasthtml_live_ctx', default=None)
# The component whose __init__ or event handler is running: components created meanwhile are its children.
_building: contextvars.ContextVar[Any] = contextvars.ContextVar('fasthtml_live_building', default=None)
# The component whose render() is running: widgets shown meanwhile are looked up among its attributes.
_rendering: contextvars.ContextVar[Any] = contextvars.ContextVar('fasthtml_live_rendering', default=None)

_HUBS: weakref.WeakSet = weakref.WeakSet()
_CLASSES: dict[str, type] = {}   # 'module:qualname' -> component class, for recreation from a token
_ISOLATED_CLASSES: set[str] = set()   # classes declared with `isolate=True`
# True in an isolated session's process: every component there is an ordinary in-process one.
_SESSION_PROCESS = False
_warned_unsupported: list = []


def _current() -> _Ctx:
    ctx = _ctx.get()
    if ctx is not None:
        return ctx
    hubs = list(_HUBS)
    if len(hubs) == 1:  # a notebook or script rendering outside a request: the one app there is
        return _Ctx(hubs[0], None, None)
    raise LiveError('A live component was rendered outside a request of an app with `Live(app)`'
                    + (' (several apps have one here: render it while serving a request)' if hubs else
                       ': add `live = Live(app)` after creating the app'))


def _new_lid() -> str:
    return 'l' + secrets.token_urlsafe(9).replace('-', 'A').replace('_', 'B')


# ---------------------------------------------------------------------------------------------------------------
# Widget ownership: widgets made while a component is being built or handles an event are closed with it.
# (Here rather than in _live_widgets, which needs anywidget's dependencies: these run for every component.)

_hook_lock = threading.Lock()
_hooked = False


def _track_ownership() -> bool:
    "Before a component's `__init__`: record the widgets it makes. False when ipywidgets is not loaded yet."
    if 'ipywidgets' not in sys.modules:
        return False
    _hook()
    return True


def _hook() -> None:
    global _hooked
    if _hooked:
        return
    with _hook_lock:
        if not _hooked:
            import ipywidgets  # public hook: called for every widget constructed
            ipywidgets.Widget.on_widget_constructed(_constructed)
            _hooked = True


def _constructed(w: Any) -> None:
    parent = _building.get()
    if parent is not None:
        parent._live.owned.append(w)


def _adopt_attribute_widgets(comp: Any) -> None:
    "ipywidgets was first loaded during `comp.__init__`: every widget among its attributes was made by it."
    if 'ipywidgets' not in sys.modules:
        return
    _hook()
    import ipywidgets
    owned = comp._live.owned
    for v in vars(comp).values():
        for x in (v if isinstance(v, (list, tuple)) else v.values() if isinstance(v, dict) else (v,)):
            if isinstance(x, ipywidgets.Widget) and not any(x is o for o in owned):
                owned.append(x)


def _close_owned(widgets: list) -> None:
    "Close the widgets a freed component made (ipywidgets keeps every open widget alive until closed)."
    for w in widgets:
        try:
            w.close()
        except Exception:
            log.exception('live: closing a widget failed')


# ---------------------------------------------------------------------------------------------------------------
# Event handlers: public methods, wrapped so that `live_click=self.inc` renders as the handler's name.

class _Handler:
    "A component method that the page may call; its parameter plan is built once, when the class is defined."
    __slots__ = ('fn', 'name', 'plan')

    def __init__(self, fn: Callable, name: str, plan: Plan):
        self.fn, self.name, self.plan = fn, name, plan

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self if obj is None else _BoundHandler(self, obj)

    def __call__(self, *args: Any, **kw: Any) -> Any:
        return self.fn(*args, **kw)

    def __str__(self) -> str:
        return self.name


class _BoundHandler:
    "`self.inc`: calls the method; `str()` is its name, so it can be an attribute value (`live_click=self.inc`)."
    __slots__ = ('h', 'obj')

    def __init__(self, h: _Handler, obj: Any):
        self.h, self.obj = h, obj

    def __call__(self, *args: Any, **kw: Any) -> Any:
        return self.h.fn(self.obj, *args, **kw)

    def __str__(self) -> str:
        return self.h.name

    def __repr__(self) -> str:
        return f'<live handler {type(self.obj).__name__}.{self.h.name}>'

    @property
    def __name__(self) -> str:
        return self.h.name

    @property
    def __wrapped__(self) -> Callable:
        return self.h.fn


def _wrap_init(init: Callable) -> Callable:
    "Run `__init__` with the component as the parent of components it creates (deterministic child ids)."
    def __init__(self: Any, *args: Any, **kw: Any) -> None:
        if self._live.remote:  # isolated: __init__ runs in the session's process
            return
        if _building.get() is self:  # a super().__init__ inside the outer one
            init(self, *args, **kw)
            return
        had = _track_ownership()
        tok = _building.set(self)
        try:
            init(self, *args, **kw)
        finally:
            _building.reset(tok)
        if not had:
            _adopt_attribute_widgets(self)
    __init__.__wrapped__ = init  # type: ignore[attr-defined]
    __init__.__doc__ = init.__doc__
    __init__.__qualname__ = getattr(init, '__qualname__', '__init__')
    return __init__


class _State:
    "The live bookkeeping of one component instance (one object, so user attributes stay the user's)."
    __slots__ = ('lid', 'args', 'kwargs', 'kids', 'nkids', 'ver', 'conn', 'token', 'lock', 'task', 'owned', 'freed',
                 'mounted', 'remote', '__weakref__')

    def __init__(self, lid: str, args: tuple, kwargs: dict, remote: bool = False):
        self.lid, self.args, self.kwargs = lid, args, kwargs
        self.remote = remote  # a handle here: the instance lives in its session's process (isolation)
        self.kids: list = []
        self.nkids = 0
        self.ver = 0
        self.conn: Any = None
        self.token: str | None = None
        self.lock: asyncio.Lock | None = None
        self.task: asyncio.Task | None = None
        self.owned: list = []
        self.freed = self.mounted = False


class LiveComponent:
    """Base class of live components: state in attributes, `render()` returning FT, public methods as event handlers.

    Put an instance anywhere in an FT page (`Titled('x', Counter())`); see the module docstring for the details."""
    _live: _State
    _live_handlers: dict[str, _Handler] = {}
    _live_warned = False
    _live_isolate: bool | None = None

    def __init_subclass__(cls, isolate: bool | None = None, **kw: Any) -> None:
        """`class Sandbox(LiveComponent, isolate=True)`: its instances run in their browser session's own process
        (`isolate=False`: never, even in an app made with `Live(app, isolate=True)`). Subclasses inherit it."""
        super().__init_subclass__(**kw)
        if isolate is not None:
            if not isinstance(isolate, bool):
                raise TypeError(f'{cls.__qualname__}: isolate= takes True or False, got {isolate!r}')
            cls._live_isolate = isolate
        handlers = dict(getattr(cls, '_live_handlers', {}))
        for name, fn in list(cls.__dict__.items()):
            if name.startswith('_') or name in RESERVED or not _is_plain_function(fn):
                continue
            path = f'live:{cls.__qualname__}.{name}'
            plan = build_plan(fn, path, ws=True, extra_names=('self',))
            h = _Handler(fn, name, plan)
            setattr(cls, name, h)
            handlers[name] = h
        cls._live_handlers = handlers
        cpath = f'{cls.__module__}:{cls.__qualname__}'
        _CLASSES[cpath] = cls  # the latest definition wins (a re-run cell)
        if cls._live_isolate:
            _ISOLATED_CLASSES.add(cpath)
        if '__init__' in cls.__dict__:
            cls.__init__ = _wrap_init(cls.__dict__['__init__'])  # type: ignore[method-assign]

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        "Make the component; it joins its parent's session (and process) when built inside one."
        self = super().__new__(cls)
        parent = _building.get()
        remote = False
        if isinstance(parent, LiveComponent):  # a child lives where its parent lives
            ps = parent._live
            lid = f'{ps.lid}-{ps.nkids}'
            ps.nkids += 1
            ps.kids.append(weakref.ref(self))
        else:
            lid = _new_lid()
            if not _SESSION_PROCESS and cls._live_isolate is not False:
                # Made while serving a page (not by a live update): isolated if the class or the app says so.
                ctx = _ctx.get()
                remote = ctx is not None and ctx.conn is None and ctx.scope is not None and ctx.hub.isolates(cls)
        self._live = _State(lid, args, kwargs, remote)
        return self

    # -- what users write or call
    def render(self) -> Any:
        "The component's content as FT (override it)."
        return ()

    async def mount(self) -> None:
        "Runs as a task once the component is live in a page, until it is freed (override for clocks, feeds...)."

    def unmount(self) -> None:
        "Called when the instance is freed (the tab is gone and the grace period over)."

    def update(self) -> Any:
        """Push a re-render to the page. On the event loop it returns an awaitable (`await self.update()`); from
        another thread it schedules the push and returns a `concurrent.futures.Future`. Without a live page
        (between a dropped socket and its reconnect) the next connection receives the current render."""
        st = self._live
        conn = st.conn
        if conn is None or conn.closed:
            st.ver += 1  # the page's copy is stale: a rejoin renders it again
            return _done_future()
        return conn.push(self)

    @property
    def lid(self) -> str:
        "The component's live id (its element's `data-lid`, and its `id` unless `render()` gives one)."
        return self._live.lid

    # -- rendering
    def __ft__(self) -> Any:
        ctx = _current()
        st = self._live
        if st.remote:  # isolated: its session's process renders it (see _LiveScope)
            return ctx.hub.runner.placeholder(self, ctx)
        if ctx.conn is None:
            if st.conn is None:
                ctx.hub.runner.register(self)  # rendered into a page: waits for that page's socket
        elif st.conn is not ctx.conn:
            ctx.conn.adopt(self)  # created by a handler and rendered by a live update: already on this page
        return self._live_node(ctx)

    def _live_node(self, ctx: _Ctx) -> Any:
        st = self._live
        tok = st.token
        if tok is None:
            tok = st.token = ctx.hub._sign_component(self, ctx)
        rt = _rendering.set(self)
        try:
            out = self.render()
        finally:
            _rendering.reset(rt)
        if hasattr(out, '__ft__') and not isinstance(out, BaseFT):
            out = out.__ft__()
        live_attrs = {'data-lid': st.lid, 'data-live': tok, 'data-lv': str(st.ver)}
        if isinstance(out, BaseFT):
            node = copy_ft(out)  # the user's node is left as it was (it may be shared)
            node.attrs = {'id': st.lid, **out.attrs, **live_attrs}
            return node
        from .components import Div
        kids = out if isinstance(out, (tuple, list)) else (out,)
        node = Div(*kids)
        node.attrs = {'id': st.lid, **node.attrs, **live_attrs}
        return node

    def _live_html(self, ctx: _Ctx) -> str:
        "This component's current HTML, rendered in `ctx` (a live connection)."
        tok = _ctx.set(ctx)
        try:
            return to_xml(self._live_node(ctx))
        finally:
            _ctx.reset(tok)


def _is_plain_function(fn: Any) -> bool:
    import inspect
    return inspect.isfunction(fn)


def _done_future() -> Any:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        f: concurrent.futures.Future = concurrent.futures.Future()
        f.set_result(False)
        return f
    fut = loop.create_future()
    fut.set_result(False)
    return fut


# ---------------------------------------------------------------------------------------------------------------
# The browser side of one page: a websocket connection and its outbound queue.

class Connection:
    """One page's live socket: the components and widgets it joined, and a queue of messages to send, in order.
    `post(msg)` is callable from any thread. (A runner talks to the page only through this object.)"""

    def __init__(self, hub: Live, ws: Any, send: Any, max_queue: int):
        self.hub, self.ws, self.scope = hub, ws, ws.scope
        self._send = send  # the route's WsSender (fasthtml._ws): `await send.send(text)` is False once closed
        self.loop = asyncio.get_running_loop()
        self.thread = threading.get_ident()
        self.comps: dict[str, LiveComponent] = {}
        self.widgets: dict[str, Any] = {}
        self.closed = False
        self.ctx = _Ctx(hub, ws.scope, self)
        self.max_queue = max_queue
        self.queue: asyncio.Queue = asyncio.Queue()
        self.writer = asyncio.create_task(self._write(), name='fasthtml-live-writer')
        self.inflight: set = set()
        self.slots = asyncio.Semaphore(8)
        self.iso: Any = None  # this page's isolated components (fasthtml._live_isolated), once it has some

    def post(self, msg: dict | str) -> None:
        "Queue one message for the page (any thread): a dict, or its JSON text already made."
        if self.closed:
            return
        if threading.get_ident() == self.thread:
            self._put(msg)
        else:
            try:
                self.loop.call_soon_threadsafe(self._put, msg)
            except RuntimeError:
                self.closed = True

    def _put(self, msg: Any) -> None:
        if self.closed:
            return
        if self.queue.qsize() >= self.max_queue:
            log.warning('live: closing a connection that fell %d messages behind', self.max_queue)
            self.closed = True
            self.queue.put_nowait(None)
            return
        self.queue.put_nowait(msg)

    async def _write(self) -> None:
        try:
            while True:
                msg = await self.queue.get()
                if msg is None:
                    try:
                        await self.ws.close(CLOSE_TRY_AGAIN)
                    except (RuntimeError, OSError):
                        pass
                    return
                try:
                    text = msg if isinstance(msg, str) else json.dumps(msg, separators=(',', ':'))
                except (TypeError, ValueError) as e:
                    log.error('live: dropped a message that is not JSON (%s): %.200r', e, msg)
                    continue
                if not await self._send.send(text):
                    self.closed = True
                    return
        except asyncio.CancelledError:
            pass

    def push(self, comp: LiveComponent) -> Any:
        "Render `comp` and send it (see `LiveComponent.update`)."
        if threading.get_ident() == self.thread:
            return self.loop.create_task(self._push(comp))
        return asyncio.run_coroutine_threadsafe(self._push(comp), self.loop)

    async def _push(self, comp: LiveComponent) -> bool:
        if self.closed or comp._live.conn is not self:
            comp._live.ver += 1
            return False
        self.send_render(comp)
        return True

    def send_render(self, comp: LiveComponent) -> None:
        "Render `comp` now and queue its HTML (an error box in its place when render raises)."
        st = comp._live
        st.ver += 1
        try:
            html = comp._live_html(self.ctx)
        except Exception as e:  # noqa: BLE001 (the user's render: an error box in its place)
            self.send_error(comp, e, 'render')
            return
        self.post({'t': 'h', 'l': st.lid, 'h': html})

    def send_error(self, comp: LiveComponent | str, e: BaseException, what: str) -> None:
        lid = comp if isinstance(comp, str) else comp._live.lid
        name = type(comp).__name__ if not isinstance(comp, str) else lid
        log.error('live component %s: %s raised', name, what, exc_info=(type(e), e, e.__traceback__))
        self.post({'t': 'x', 'l': lid, 'h': self.hub.error_html(e, what)})

    def adopt(self, comp: LiveComponent) -> None:
        "Attach a component created while this page was live (by a handler) to this connection."
        self.hub.runner.adopt(self, comp)

    async def close(self) -> None:
        self.closed = True
        self.writer.cancel()


# ---------------------------------------------------------------------------------------------------------------
# The hub: routes, tokens, client script

class _LiveScope:
    """ASGI middleware: makes the request's scope known to components rendered while serving it; when isolated
    components were rendered into an HTML response, their session's process makes and renders them before the body
    goes out (see fasthtml._live_isolated); lifespan startup and shutdown start and stop the isolated processes."""

    def __init__(self, app: Any, hub: Live):
        self.app, self.hub = app, hub

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        kind = scope['type']
        if kind != 'http':
            if kind == 'lifespan' and hasattr(self.hub.runner, 'startup'):
                send = self._lifespan(receive, send)
            await self.app(scope, receive, send)
            return
        ctx = _Ctx(self.hub, scope, None)
        tok = _ctx.set(ctx)
        try:
            if self.hub.may_isolate:
                await self.app(scope, receive, _FillSend(ctx, send))
            else:
                await self.app(scope, receive, send)
        finally:
            _ctx.reset(tok)

    def _lifespan(self, receive: Callable, send: Callable) -> Callable:
        runner = self.hub.runner

        async def send_(msg: dict) -> None:
            t = msg.get('type')
            if t == 'lifespan.startup.complete' and self.hub.isolate:  # isolated classes alone: at first use
                runner.startup()
            elif t == 'lifespan.shutdown.complete':
                await runner.shutdown()
            await send(msg)
        return send_


class _FillSend:
    "The `send` of a response that may carry isolated components: an HTML body is held until they are rendered."
    __slots__ = ('ctx', 'send', 'start', 'chunks', 'mode')

    def __init__(self, ctx: _Ctx, send: Callable):
        self.ctx, self.send = ctx, send
        self.start: dict | None = None
        self.chunks: list[bytes] = []
        self.mode = ''

    async def __call__(self, msg: dict) -> None:
        if self.mode == 'pass':
            await self.send(msg)
            return
        t = msg['type']
        if t == 'http.response.start':
            self.mode = 'hold' if self.ctx.pending and _plain_html(msg.get('headers') or ()) else 'pass'
            if self.mode == 'pass':
                await self.send(msg)
            else:
                self.start = msg
            return
        if t != 'http.response.body' or self.start is None:
            await self.send(msg)
            return
        self.chunks.append(msg.get('body', b''))
        if msg.get('more_body'):
            return
        held = b''.join(self.chunks)
        body = await self.ctx.hub.runner.fill(self.ctx, held)
        start = self.start
        if body is not held:
            headers = [(k, v) for k, v in start.get('headers') or () if k.lower() != b'content-length']
            headers.append((b'content-length', str(len(body)).encode()))
            start = {**start, 'headers': headers}
        self.mode = 'pass'
        await self.send(start)
        await self.send({'type': 'http.response.body', 'body': body})


def _plain_html(headers: Any) -> bool:
    html = False
    for k, v in headers:
        k = k.lower()
        if k == b'content-encoding':
            return False
        if k == b'content-type':
            html = v.startswith(b'text/html')
    return html


class _HubBase:
    """What a runner needs from its hub: tokens signed with the app's key, the error box, session write-back. The
    app's `Live` is one; an isolated session's process has a stand-in made from the same settings."""
    signer: URLSafeSerializer
    session_signer: URLSafeTimedSerializer
    grace: float
    max_queue: int
    runner: Any
    in_session = False  # True in an isolated session's process: every token it signs routes there

    def _keys(self, secret: Any) -> None:
        self.signer = URLSafeSerializer(secret, salt='fasthtml.live')
        self.session_signer = URLSafeTimedSerializer(secret, salt='fasthtml.live.session')
        self._warned: set = set()

    @property
    def debug(self) -> bool:
        return False

    @property
    def base(self) -> str:
        return '/_live'

    # -- tokens
    def _sign_component(self, comp: LiveComponent, ctx: _Ctx) -> str:
        st = comp._live
        cls = type(comp)
        iso = st.remote or self.in_session
        args: Any = [list(st.args), st.kwargs]
        try:
            json.dumps(args)
        except (TypeError, ValueError):
            if st.remote:
                raise LiveError(f'{cls.__qualname__} is isolated: its constructor arguments go to its session\'s '
                                f'process, so they must be JSON values (numbers, strings, lists, dicts...), got '
                                f'{_short(st.args, st.kwargs)}') from None
            args = None
            if cls not in self._warned:
                self._warned.add(cls)
                log.warning('%s: constructor arguments are not JSON values, so an instance cannot be recreated on '
                            'another worker process (it works where the page was rendered). Pass ids or plain values, '
                            'and keep other state in the session or a database.', cls.__qualname__)
        payload = [st.lid, f'{cls.__module__}:{cls.__qualname__}', args, _sid(ctx.scope)]
        if iso:
            payload.append(1)
        return self.signer.dumps(payload)

    def verify(self, token: Any, scope: dict) -> tuple[str, str, Any, bool] | None:
        "(lid, class path, args, isolated) of a component token valid for this session, or None."
        if not isinstance(token, str):
            return None
        try:
            lid, cpath, args, sid, *rest = self.signer.loads(token)
        except (BadSignature, ValueError, TypeError):
            return None
        if sid is not None and sid != _sid(scope, create=False):
            return None
        return lid, cpath, args, bool(rest and rest[0])

    def error_html(self, e: BaseException, what: str) -> str:
        "What a component shows in place when its handler or render raised."
        from .components import Details, Div, P, Pre, Summary
        if self.debug:
            tb = ''.join(traceback.format_exception(type(e), e, e.__traceback__))
            body = Div(P(f'{what} raised {type(e).__name__}: {e}'), Details(Summary('Traceback'), Pre(tb)))
        else:
            body = P('Something went wrong here. Please try again.')
        return to_xml(Div(body, cls='live-error', role='alert'))

    # -- session write-back
    def session_changed(self, conn: Connection, before: dict) -> None:
        """After a handler changed the session: send the page the changes, signed, to post back (the socket cannot
        set a cookie). Only the keys the handler set or removed travel, and they are applied to the session as it is
        then, so changes made meanwhile by other requests (a logout, say) are not undone."""
        sess = conn.scope.get('session')
        if sess is None:
            return
        changed = {k: v for k, v in sess.items() if k not in before or before[k] != v}
        removed = [k for k in before if k not in sess]
        conn.post({'t': 's', 'v': self.session_signer.dumps([sess.get(SESSION_KEY), changed, removed])})


def _short(args: tuple, kwargs: dict) -> str:
    r = ', '.join([*(repr(a) for a in args), *(f'{k}={v!r}' for k, v in kwargs.items())])
    return f'({r[:200]})'


class Live(_HubBase):
    """Live components and widgets for `app`: adds the live websocket, the client script (to `app.hdrs`), the
    widget asset route and the session write-back route under `path`.

    `grace`: seconds an instance is kept after its tab is gone (and a rendered one waits for its page's socket).
    `runner`: where instances live, a class (or factory) called with this hub (default: this process, with isolated
    components in their sessions' processes, `fasthtml._live_isolated.IsolatingRunner`; see fasthtml._live_runner for
    the interface).

    Isolation (see fasthtml._live_isolated): `isolate=True` runs every browser session's live components in a process
    of its own (or mark classes: `class Sandbox(LiveComponent, isolate=True)`). `timeout_interaction`: seconds an
    event handler (or a first render) may take before its process is stopped; `timeout_inactivity`: seconds without
    events after which a session's process is stopped (0: never; `update()` pushes do not count); `max_processes`:
    isolated sessions this machine runs at once (more get a "server busy" message); `memory_limit`: bytes (or '512M')
    a session's process may add to its size at start; `prefork`: processes kept started and waiting for a session;
    `run_dir`: where the session processes' sockets live (shared by the workers of one app on one host);
    `redis_url`: reach sessions whose process runs on another host through Redis (default: `FASTHTML_PUBSUB_URL`)."""

    def __init__(self, app: Any, *, path: str = '/_live', grace: float = 30.0, runner: Any = None,
                 max_queue: int = 1000, debug: bool | None = None, isolate: bool = False,
                 timeout_interaction: float = 60.0, timeout_inactivity: float = 0.0, max_processes: int | None = None,
                 memory_limit: int | str | None = None, prefork: int = 1, run_dir: str | None = None,
                 redis_url: str | None = None):
        if not hasattr(app, 'secret_key'):
            raise TypeError('Live(app) needs a FastHTML app')
        if grace < 0:
            raise ValueError(f'Live(grace=...) must be >= 0, got {grace!r}')
        if not isinstance(isolate, bool):
            raise TypeError(f'Live(isolate=...) takes True or False, got {isolate!r}')
        self.app, self.path, self.grace, self.max_queue = app, path.rstrip('/'), float(grace), max_queue
        self._debug = debug
        self._keys(app.secret_key)
        self.isolate = isolate
        from ._live_isolated import IsolationSettings
        self.isolation = IsolationSettings.make(timeout_interaction=timeout_interaction,
                                                timeout_inactivity=timeout_inactivity, max_processes=max_processes,
                                                memory_limit=memory_limit, prefork=prefork, run_dir=run_dir,
                                                redis_url=redis_url)
        if runner is None:
            from ._live_isolated import IsolatingRunner
            runner = IsolatingRunner
        self.runner = runner(self)
        self._js = CLIENT_JS.read_bytes()
        self._js_ver = hashlib.sha256(self._js).hexdigest()[:12]
        self.connections: weakref.WeakSet = weakref.WeakSet()
        self._add_routes(app)
        from .components import Script
        # The src is read when the page head is rendered, so an app mounted under a prefix (fasthtml.compose) links
        # its prefixed route; the client finds the socket and the other routes next to its own URL.
        self.script = Script(src=_ScriptSrc(self), defer=True)
        app.hdrs.append(self.script)
        app.add_middleware(_LiveScope, hub=self)
        _HUBS.add(self)

    @property
    def base(self) -> str:
        "The URL path of the live routes as the browser sees it (with the prefix of an app mounted in a site)."
        return str(self._js_route)[:-len('/live.js')]

    @property
    def debug(self) -> bool:
        "Show error details in components (the app's debug setting unless given)."
        return bool(self.app.debug if self._debug is None else self._debug)

    @property
    def may_isolate(self) -> bool:
        "Whether a component rendered here may be isolated (the app or some class asks for it)."
        return (self.isolate or bool(_ISOLATED_CLASSES)) and not _SESSION_PROCESS

    def isolates(self, cls: type) -> bool:
        "Whether instances of `cls` made while serving a page run in their session's process."
        flag = getattr(cls, '_live_isolate', None)
        iso = self.isolate if flag is None else flag
        if not iso:
            return False
        if not hasattr(self.runner, 'placeholder'):
            raise LiveError(f'{cls.__qualname__} is isolated, but this app\'s live runner '
                            f'({type(self.runner).__name__}) does not run isolated components')
        from ._live_isolated import SUPPORTED
        if not SUPPORTED:
            if not _warned_unsupported:
                _warned_unsupported.append(True)
                log.warning('live: process isolation needs Linux; on %s isolated components run in the server '
                            'process', sys.platform)
            return False
        return True

    def __repr__(self) -> str:
        return f'<Live {self.path} grace={self.grace:g}s{" isolate" if self.isolate else ""}>'

    # -- routes
    def _add_routes(self, app: Any) -> None:
        from ._params import ParamError

        async def live_js() -> Response:
            return Response(self._js, media_type='text/javascript',
                            headers={'cache-control': 'public, max-age=31536000, immutable'})

        async def live_asset(name: str, c: str = '') -> Response:
            from . import _live_widgets
            r = _live_widgets.asset(self, name, c)
            if r is None:
                raise ParamError(404, 'Not Found')
            body, media = r
            return Response(body, media_type=media, headers={'cache-control': 'public, max-age=31536000, immutable'})

        async def live_session(req: Any, v: str) -> Response:
            "Saves session changes made by a live handler (the socket cannot set a cookie)."
            try:
                data = self.session_signer.loads(v, max_age=120)
            except (BadSignature, ValueError):
                raise ParamError(400, 'Invalid live session token') from None
            sess = req.scope.get('session')
            if not isinstance(data, list) or len(data) != 3 or sess is None or data[0] is None \
                    or data[0] != sess.get(SESSION_KEY):
                # Another session, or this one ended meanwhile (a logout clears it): nothing is brought back.
                raise ParamError(403, 'Live session token for another session')
            _, changed, removed = data
            for k in removed:
                sess.pop(k, None)
            sess.update(changed)
            return Response(status_code=204)

        async def live_conn(ws: Any, send: Any) -> None:
            conn = ws.scope['fasthtml.live'] = Connection(self, ws, send, self.max_queue)
            self.connections.add(conn)

        async def live_disconn(ws: Any) -> None:
            conn = ws.scope.get('fasthtml.live')
            if conn is not None:
                await conn.close()
                await self.runner.disconnect(conn)

        async def live_msg(ws: Any, data: Any) -> None:
            conn = ws.scope.get('fasthtml.live')
            if conn is None or not isinstance(data, dict):
                return
            try:
                await self._dispatch(conn, data)
            except Exception:
                log.exception('live: handling a message failed')

        n = len(app.router.routes)
        self._js_route = app.route(f'{self.path}/live.js', methods=['get'], name='live_js')(live_js)
        app.route(f'{self.path}/a/{{name}}', methods=['get'], name='live_asset')(live_asset)
        app.route(f'{self.path}/session', methods=['post'], name='live_session')(live_session)
        app.ws(f'{self.path}/ws', conn=live_conn, disconn=live_disconn, name='live_ws')(live_msg)
        # First in the routing table: fast_app's static-file route would otherwise take the .js/.css paths.
        ours = app.router.routes[n:]
        del app.router.routes[n:]
        app.router.routes[:0] = ours

    async def _dispatch(self, conn: Connection, m: dict) -> None:
        """One message from the page: `j` join (components, widgets), `e` event, `w` widget message, `l` leave,
        `p` ping. The page gets `h` (new HTML), `x` (an error box), `g` (gone: refused or taken over), `w` (widget
        state, updates, custom messages), `wg` (unknown widget), `s` (a signed session to post back), `p` (pong)."""
        t = m.get('t')
        runner = self.runner
        if t == 'e':
            lid, name, fields = m.get('l'), m.get('h'), m.get('f')
            if not isinstance(lid, str) or not isinstance(name, str):
                return
            if not isinstance(fields, dict):
                fields = {}
            await conn.slots.acquire()  # at most a few events in flight per page; the rest wait their turn
            task = asyncio.create_task(self._event(conn, lid, name, fields))
            conn.inflight.add(task)
            task.add_done_callback(conn.inflight.discard)
        elif t == 'j':
            claims = []
            for c in m.get('c') or ():
                if isinstance(c, list) and len(c) == 3 and isinstance(c[0], str):
                    claims.append((c[0], c[1], c[2]))
            await runner.join(conn, claims)
            wtoks = [w for w in (m.get('w') or ()) if isinstance(w, str)]
            if wtoks:
                await runner.join_widgets(conn, wtoks)
        elif t == 'w':
            key, msg = m.get('k'), m.get('m')
            if isinstance(key, str) and isinstance(msg, dict):
                await runner.widget_message(conn, key, msg, m.get('b') or [])
        elif t == 'p':
            # A ping: answered once the events already received have been handled (a barrier for tests and clients).
            if conn.inflight:
                await asyncio.wait(list(conn.inflight))
            conn.post({'t': 'p'})
        elif t == 'l':
            lids = [x for x in (m.get('c') or ()) if isinstance(x, str)]
            keys = [x for x in (m.get('w') or ()) if isinstance(x, str)]
            runner.leave(conn, lids, keys)

    async def _event(self, conn: Connection, lid: str, name: str, fields: dict) -> None:
        try:
            await self.runner.event(conn, lid, name, fields)
        except Exception:
            log.exception('live: event %s on %s failed', name, lid)
        finally:
            conn.slots.release()

    async def close_all(self, code: int = 1012) -> int:
        """Close every live socket of this process (1012: the service restarts); pages reconnect by themselves and
        keep their instances if they come back within `grace`. Returns how many were closed."""
        conns = [c for c in list(self.connections) if not c.closed]
        for c in conns:
            try:
                await c.ws.close(code)
            except (RuntimeError, OSError):
                pass
        return len(conns)


class _ScriptSrc:
    "The client script's URL, read at render time (with a mount prefix, and the script's version for caching)."
    __slots__ = ('hub',)

    def __init__(self, hub: Live):
        self.hub = hub

    def __str__(self) -> str:
        return f'{self.hub.base}/live.js?v={self.hub._js_ver}'


def _sid(scope: dict | None, create: bool = True) -> str | None:
    "The session's live id (made and stored in the session on first use); None outside a request."
    if scope is None:
        return None
    sess = scope.get('session')
    if sess is None:
        return None
    sid = sess.get(SESSION_KEY)
    if sid is None and create:
        sid = sess[SESSION_KEY] = secrets.token_urlsafe(12)
    return sid


def Widget(w: Any, **attrs: Any) -> Any:
    """Show an anywidget (`anywidget.AnyWidget`) in an FT page, synced both ways over the live connection. Needs
    `Live(app)`. Extra keyword arguments become attributes of the widget's element (`style`, `cls`...)."""
    from ._live_widgets import WidgetView
    return WidgetView(w, attrs, _caller_globals())


def _caller_globals() -> dict:
    return sys._getframe(2).f_globals
