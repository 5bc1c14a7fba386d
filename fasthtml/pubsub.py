"""Broadcast: publish FT fragments to a topic from anywhere; every page subscribed to the topic, over a websocket or
server-sent events, receives the rendered fragment as an HTMX out-of-band swap. Works across worker processes.

    app, rt = fast_app()
    hub = PubSub(app)                                  # in-memory; PubSub(app, url='redis://...') for Redis

    @rt
    def index(): return Ul(id='log'), hub.sse_connect('news')        # or hub.ws_connect('news')

    @rt
    async def post(msg: str):                          # a handler, a background task, a thread, another process
        await hub.publish('news', Div(Li(msg), id='log', hx_swap_oob='beforeend'))

A published top-level element with an `id` and no `hx_swap_oob` of its own replaces the element with that id on
every subscribed page (`hx-swap-oob="true"`); say `hx_swap_oob='beforeend'` (or any htmx swap) to do otherwise.

BACKENDS. The in-memory backend (the default) delivers within one process: under `uvicorn --workers N` each worker
only reaches its own subscribers, and PubSub logs a warning at startup when it sees several workers. The Redis
backend (`pip install redis`) delivers to every process connected to the same Redis: pass `url='redis://host:6379/0'`
or set the environment variable `FASTHTML_PUBSUB_URL`; the app code does not change. Messages published by one
process arrive in the order it published them; Redis pub/sub keeps no history, so a page receives what is published
while it is subscribed.

SUBSCRIBING. `hub.ws_connect(*topics)` and `hub.sse_connect(*topics)` return an element to put in a page; the URL it
carries holds the topics signed with the app's secret key, so a client cannot subscribe to a topic no page of yours
offered it (say `user-42`). The app's Beforeware runs on these routes too. In your own websocket route,
`await hub.join(ws, *topics)` forwards a topic into that socket until it closes; `hub.stream(*topics)` is an async
generator of SSE messages for your own `EventStream`; `await hub.subscribe(*topics)` gives the raw rendered strings.

A subscriber that falls `max_queue` messages behind is dropped (its websocket closes with code 1013, its event
stream ends) rather than letting memory grow; htmx reconnects it.
"""
from __future__ import annotations

import asyncio
import copy
import logging
import os
import threading
import weakref
from collections import deque
from collections.abc import AsyncIterator, Iterable
from typing import Any

from fastcore.xml import FT as BaseFT
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.websockets import WebSocket, WebSocketState

from ._deploy import workers_configured as _workers_configured
from ._render import to_xml
from ._respond import flat_all

__all__ = ['PUBSUB_URL_ENV', 'PubSub', 'Subscription']

log = logging.getLogger('fasthtml.pubsub')

PUBSUB_URL_ENV = 'FASTHTML_PUBSUB_URL'
_CLOSE = object()
_OVERFLOW = object()
CLOSE_TRY_AGAIN = 1013  # RFC 6455 "try again later": htmx's ws extension reconnects after a pause
SUBSCRIBE_TIMEOUT = 10.0


def _with_oob(o: Any) -> Any:
    "A copy of top-level element `o` with `hx-swap-oob=\"true\"` when it has an id and no swap of its own."
    if isinstance(o, BaseFT) and 'id' in o.attrs and 'hx-swap-oob' not in o.attrs and 'data-hx-swap-oob' not in o.attrs:
        c = copy.copy(o)
        c.attrs = {**o.attrs, 'hx-swap-oob': 'true'}
        return c
    return o


def render(*content: Any) -> str:
    "The HTML one `publish` sends: `str` as is (already HTML), FT rendered, top-level ids swapped out of band."
    if len(content) == 1 and isinstance(content[0], str):
        return content[0]
    items = [_with_oob(o.__ft__() if hasattr(o, '__ft__') and not isinstance(o, BaseFT) else o)
             for o in flat_all(content) if o is not None]
    return str(to_xml(*items))


# ---------------------------------------------------------------------------------------------------------------
# Subscriptions: a queue per subscriber, fed from any thread.

class Subscription:
    """The messages published to `topics` since it was made, as rendered HTML strings: `async for html in sub`.
    Close it (`await sub.close()`, or `async with`) to unsubscribe. Ends early when it falls `max_queue` behind
    (`overflowed` is then True)."""

    def __init__(self, hub: PubSub, topics: tuple[str, ...], max_queue: int):
        self.hub, self.topics, self.max_queue = hub, topics, max_queue
        self.loop = asyncio.get_running_loop()
        self.thread = threading.get_ident()
        self.queue: asyncio.Queue = asyncio.Queue()
        self.closed = self.overflowed = self.live = False

    def offer(self, payload: str) -> None:
        "Queue `payload` for this subscriber; callable from any thread."
        if self.closed:
            return
        if threading.get_ident() == self.thread:
            self._put(payload)
        else:
            try:
                self.loop.call_soon_threadsafe(self._put, payload)
            except RuntimeError:  # the subscriber's loop has closed
                self.closed = True

    def _put(self, payload: Any) -> None:
        if self.closed:
            return
        if self.queue.qsize() >= self.max_queue:
            self.overflowed = True
            self.closed = True
            self.queue.put_nowait(_OVERFLOW)
            self.hub._forget(self)
            log.warning('pubsub: dropped a subscriber to %s that fell %d messages behind', self.topics,
                        self.max_queue)
            return
        self.queue.put_nowait(payload)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> str:
        if self.closed and self.queue.empty():
            raise StopAsyncIteration
        item = await self.queue.get()
        if item is _CLOSE or item is _OVERFLOW:
            self.closed = True
            raise StopAsyncIteration
        return item

    async def close(self) -> None:
        "Unsubscribe; a pending `async for` ends."
        if not self.closed:
            self.closed = True
            self.queue.put_nowait(_CLOSE)
        self.hub._forget(self)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


# ---------------------------------------------------------------------------------------------------------------
# Backends. A backend instance serves one event loop (Redis connections belong to a loop).

class _MemoryBackend:
    "Delivery within this process: publishing hands the message straight to the local subscribers, in order."
    name = 'memory'

    def __init__(self, hub: PubSub):
        self.hub = hub

    async def subscribe(self, topics: Iterable[str]) -> None:
        return None

    def unsubscribe(self, topics: Iterable[str]) -> None:
        return None

    def publish(self, topic: str, payload: str) -> asyncio.Future:
        self.hub._deliver(topic, payload)
        fut = asyncio.get_running_loop().create_future()
        fut.set_result(None)
        return fut

    async def aclose(self) -> None:
        return None


class _RedisBackend:
    """Delivery through Redis pub/sub: one connection publishes (in order, pipelined), one reads the channels
    this process has subscribers for and hands each message to them."""
    name = 'redis'

    def __init__(self, hub: PubSub, url: str):
        try:
            import redis.asyncio as aioredis
        except ImportError:
            raise RuntimeError('PubSub with a redis:// URL needs the `redis` package: pip install redis') from None
        self.hub, self.url = hub, url
        self.loop = asyncio.get_running_loop()
        self.client = aioredis.Redis.from_url(url)
        self.pubsub: Any = None
        self.refs: dict[str, int] = {}
        self.confirms: dict[str, deque] = {}
        self.outbox: deque = deque()
        self.wake = asyncio.Event()
        self.lock = asyncio.Lock()
        self.reader: asyncio.Task | None = None
        self.drainer: asyncio.Task | None = None
        self.closed = False

    def channel(self, topic: str) -> str:
        return self.hub.channel_prefix + topic

    async def subscribe(self, topics: Iterable[str]) -> None:
        "Count a subscriber to `topics`; returns once Redis has confirmed every new channel subscription."
        loop = asyncio.get_running_loop()
        waits = []
        new = []
        for t in topics:
            ch = self.channel(t)
            n = self.refs.get(ch, 0)
            self.refs[ch] = n + 1
            if n == 0:
                fut = loop.create_future()
                self.confirms.setdefault(ch, deque()).append(fut)
                waits.append(fut)
                new.append(ch)
            elif self.confirms.get(ch):
                waits.append(self.confirms[ch][-1])  # subscribed, but not yet confirmed: wait for the same reply
        if new:
            async with self.lock:  # one command at a time: concurrent first calls would each open a connection
                if self.pubsub is None:
                    self.pubsub = self.client.pubsub()
                await self.pubsub.subscribe(*new)
            if self.reader is None:
                self.reader = asyncio.create_task(self._read(), name='fasthtml-pubsub-reader')
        if waits:
            await asyncio.wait_for(asyncio.gather(*[asyncio.shield(w) for w in waits]), SUBSCRIBE_TIMEOUT)

    def unsubscribe(self, topics: Iterable[str]) -> None:
        gone = []
        for t in topics:
            ch = self.channel(t)
            n = self.refs.get(ch, 0) - 1
            if n <= 0:
                self.refs.pop(ch, None)
                gone.append(ch)
            else:
                self.refs[ch] = n
        if gone and self.pubsub is not None and not self.closed:
            asyncio.get_running_loop().create_task(self._unsubscribe(gone))

    async def _unsubscribe(self, channels: list[str]) -> None:
        try:
            async with self.lock:
                gone = [c for c in channels if c not in self.refs]
                if gone:
                    await self.pubsub.unsubscribe(*gone)
        except Exception as e:  # noqa: BLE001 (the reader reconnects and resubscribes only what is still wanted)
            log.debug('pubsub: unsubscribe failed: %s', e)

    async def _read(self) -> None:
        "Hand every message to the local subscribers; on a lost connection, reconnect and resubscribe."
        delay = 0.1
        while not self.closed:
            try:
                msg = await self.pubsub.get_message(timeout=None)
                delay = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 (any lost connection: logged, reconnected with backoff)
                if self.closed:
                    return
                log.warning('pubsub: lost the Redis connection (%s); reconnecting in %.1fs', e, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                await self._resubscribe()
                if getattr(self.pubsub, 'connection', None) is None and not self.refs:
                    self.reader = None  # nothing to listen to: the next subscribe starts a reader again
                    return
                continue
            if msg is None:
                continue
            kind = msg.get('type')
            ch = msg.get('channel')
            ch = ch.decode() if isinstance(ch, bytes) else ch
            if kind == 'message':
                data = msg['data']
                topic = ch[len(self.hub.channel_prefix):]
                # Each loop's backend receives its own copy from Redis: deliver to this loop's subscribers only.
                self.hub._deliver(topic, data.decode() if isinstance(data, bytes) else data, self.loop)
            elif kind == 'subscribe':
                q = self.confirms.get(ch)
                if q:
                    fut = q.popleft()
                    if not fut.done():
                        fut.set_result(None)
                    if not q:
                        del self.confirms[ch]

    async def _resubscribe(self) -> None:
        try:
            async with self.lock:
                old, self.pubsub = self.pubsub, self.client.pubsub()
                try:
                    await old.aclose()
                except Exception:  # noqa: BLE001, S110 (the old connection is broken: closing it is best effort)
                    pass
                if self.refs:
                    await self.pubsub.subscribe(*self.refs)
        except Exception as e:  # noqa: BLE001 (the reader reconnects and resubscribes)
            log.debug('pubsub: resubscribe failed: %s', e)

    def publish(self, topic: str, payload: str) -> asyncio.Future:
        "Queue a message; one task sends the queue in order, pipelining what has piled up."
        fut = asyncio.get_running_loop().create_future()
        self.outbox.append((self.channel(topic), payload, fut))
        self.wake.set()
        if self.drainer is None or self.drainer.done():
            self.drainer = asyncio.create_task(self._drain(), name='fasthtml-pubsub-publisher')
        return fut

    async def _drain(self) -> None:
        while not self.closed:
            if not self.outbox:
                self.wake.clear()
                await self.wake.wait()
                continue
            batch = [self.outbox.popleft() for _ in range(min(len(self.outbox), 500))]
            try:
                async with self.client.pipeline(transaction=False) as pipe:
                    for ch, payload, _ in batch:
                        pipe.publish(ch, payload)
                    await pipe.execute()
            except Exception as e:  # noqa: BLE001 (whatever Redis raises: logged, and each publish gets it)
                log.error('pubsub: publishing %d message(s) to Redis failed: %s', len(batch), e)
                for _, _, fut in batch:
                    if not fut.done():
                        fut.set_exception(e)
                continue
            for _, _, fut in batch:
                if not fut.done():
                    fut.set_result(None)

    async def aclose(self) -> None:
        self.closed = True
        for t in (self.reader, self.drainer):
            if t is not None and not t.done():
                t.cancel()
                try:
                    await t
                except (asyncio.CancelledError, Exception):  # noqa: BLE001, S110 (stopping: its last error is moot)
                    pass
        if self.pubsub is not None:
            try:
                await self.pubsub.aclose()
            except Exception:  # noqa: BLE001, S110 (closing at shutdown is best effort)
                pass
        await self.client.aclose()


# ---------------------------------------------------------------------------------------------------------------
# The hub

class PubSub:
    """Topic broadcast of FT fragments to pages, within one process (memory) or across processes (Redis).

    `PubSub(app)` adds two routes under `path` (a websocket and an event stream) that the elements from
    `ws_connect`/`sse_connect` connect to. `url`: None reads `FASTHTML_PUBSUB_URL`, then uses memory; 'memory://'
    forces it; 'redis://...' (or 'rediss://', 'unix://') uses Redis. `secret` signs topic tokens (default: the
    app's secret key). `max_queue` bounds each subscriber's backlog."""

    def __init__(self, app: Any = None, url: str | None = None, *, path: str = '/_pubsub', secret: str | None = None,
                 max_queue: int = 1000, channel_prefix: str = 'fasthtml:'):
        url = url if url is not None else os.environ.get(PUBSUB_URL_ENV) or 'memory://'
        scheme = url.split(':', 1)[0].lower()
        if scheme not in ('memory', 'redis', 'rediss', 'unix'):
            raise ValueError(f'PubSub url {url!r}: expected memory:// or redis://host:port/db')
        if scheme != 'memory':
            try:
                import redis  # noqa: F401
            except ImportError:
                raise RuntimeError(f'PubSub url {url!r} needs the `redis` package: pip install redis') from None
        self.url, self.backend = url, ('memory' if scheme == 'memory' else 'redis')
        self.app, self.path, self.max_queue, self.channel_prefix = app, path.rstrip('/'), max_queue, channel_prefix
        key = secret or getattr(app, 'secret_key', None)
        if key is None:
            raise ValueError('PubSub needs a secret to sign topic tokens: pass an app, or secret=')
        self._signer = URLSafeSerializer(key, salt='fasthtml.pubsub')
        self._lock = threading.Lock()
        self._local: dict[str, set[Subscription]] = {}
        self._backends: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._last_loop: asyncio.AbstractEventLoop | None = None
        if self.backend == 'memory' and _workers_configured() > 1:
            log.warning('PubSub uses the in-memory backend under %d worker processes: a message reaches only the '
                        'subscribers of the worker that published it. Set %s=redis://... to broadcast to all.',
                        _workers_configured(), PUBSUB_URL_ENV)
        self._sse_rf: Any = None
        self._ws_rf: Any = None
        if app is not None:
            self._add_routes(app)
            if self.backend == 'redis':
                from .health import add_ready_check
                add_ready_check(app, 'redis', self.ping)

    def __repr__(self) -> str:
        return f'<PubSub {self.backend} {self.url if self.backend != "memory" else ""}>'.replace(' >', '>')

    # -- backends, one per event loop
    def _backend(self) -> Any:
        loop = asyncio.get_running_loop()
        b = self._backends.get(loop)
        if b is None:
            b = _MemoryBackend(self) if self.backend == 'memory' else _RedisBackend(self, self.url)
            self._backends[loop] = b
        self._last_loop = loop
        return b

    # -- local delivery
    def _deliver(self, topic: str, payload: str, loop: asyncio.AbstractEventLoop | None = None) -> None:
        "Hand `payload` to the local subscribers of `topic` (only those on `loop`, when given)."
        with self._lock:
            subs = list(self._local.get(topic, ()))
        for s in subs:
            if loop is None or s.loop is loop:
                s.offer(payload)

    def _forget(self, sub: Subscription) -> None:
        with self._lock:
            present = False
            for t in sub.topics:
                s = self._local.get(t)
                if s is not None and sub in s:
                    present = True
                    s.discard(sub)
                    if not s:
                        del self._local[t]
        if present:
            b = self._backends.get(sub.loop)
            if b is not None:
                if threading.get_ident() == sub.thread:
                    b.unsubscribe(sub.topics)
                else:
                    sub.loop.call_soon_threadsafe(b.unsubscribe, sub.topics)

    def subscribers(self, topic: str) -> int:
        "How many subscribers to `topic` this process has (each worker counts its own)."
        with self._lock:
            return sum(1 for s in self._local.get(topic, ()) if s.live)

    # -- the API
    def publish(self, topic: str, *content: Any) -> Any:
        """Send `content` (FT, or an HTML string) to every page subscribed to `topic`.

        On an event loop it returns an awaitable: `await hub.publish(...)` waits until the backend has the message
        (not awaiting still sends it, in order). From a thread (a sync handler) it blocks until then. In a process
        with no running server (a script, a cron job) it publishes directly, through Redis when configured."""
        _check_topic(topic)
        payload = render(*content)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self._publish_from_thread(topic, payload)
        return self._backend().publish(topic, payload)

    def _publish_from_thread(self, topic: str, payload: str) -> None:
        loop = self._last_loop
        if loop is not None and loop.is_running() and not loop.is_closed():
            async def go() -> None:
                await self._backend().publish(topic, payload)
            asyncio.run_coroutine_threadsafe(go(), loop).result(30)
            return
        if self.backend == 'memory':
            self._deliver(topic, payload)  # subscribers live on loops of their own; delivery is thread-safe
            return

        async def once() -> None:
            b = _RedisBackend(self, self.url)
            try:
                await b.client.publish(b.channel(topic), payload)
            finally:
                await b.aclose()
        asyncio.run(once())

    async def subscribe(self, *topics: str) -> Subscription:
        "Subscribe to `topics`; returns once the subscription is live (so nothing published after is missed)."
        if not topics:
            raise ValueError('subscribe needs at least one topic')
        for t in topics:
            _check_topic(t)
        sub = Subscription(self, tuple(dict.fromkeys(topics)), self.max_queue)
        backend = self._backend()
        with self._lock:
            for t in sub.topics:
                self._local.setdefault(t, set()).add(sub)
        try:
            await backend.subscribe(sub.topics)
        except BaseException:
            await sub.close()
            raise
        sub.live = True
        return sub

    async def join(self, ws: WebSocket, *topics: str) -> Subscription:
        """Forward messages on `topics` into websocket `ws` until it closes (the forwarding task ends with the
        connection). Call it in an `app.ws` handler or its `conn` callback."""
        sub = await self.subscribe(*topics)
        task = asyncio.create_task(self._forward(sub, ws), name=f'fasthtml-pubsub-join-{topics}')
        tasks = ws.scope.get('fasthtml.ws_tasks')
        if tasks is not None:  # a fasthtml websocket route cancels these when the connection ends
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        return sub

    async def _forward(self, sub: Subscription, ws: WebSocket) -> None:
        try:
            async for payload in sub:
                if ws.application_state != WebSocketState.CONNECTED:
                    return
                await ws.send_text(payload)
            if sub.overflowed and ws.application_state == WebSocketState.CONNECTED:
                await ws.close(CLOSE_TRY_AGAIN)
        except (RuntimeError, OSError, asyncio.CancelledError):
            pass  # the socket closed under us
        except Exception as e:
            if type(e).__name__ not in ('WebSocketDisconnect', 'ClientDisconnected', 'ConnectionClosed'):
                log.exception('pubsub: forwarding to a websocket failed')
        finally:
            await sub.close()

    async def stream(self, *topics: str, sub: Subscription | None = None) -> AsyncIterator[str]:
        "Server-sent `message` events for `topics`, for `EventStream(hub.stream('news'))`."
        from ._ftextras import sse_message
        if sub is None:
            sub = await self.subscribe(*topics)
        try:
            async for payload in sub:
                yield sse_message(payload)
        finally:
            await sub.close()

    # -- signed topic tokens and the elements that subscribe a page
    def token(self, *topics: str) -> str:
        "The signed token naming `topics`, which the subscription routes accept."
        for t in topics:
            _check_topic(t)
        return self._signer.dumps(list(topics))

    def topics_of(self, token: str) -> tuple[str, ...] | None:
        "The topics a token names, or None if it is not one of ours."
        try:
            ts = self._signer.loads(token)
        except BadSignature:
            return None
        if not isinstance(ts, list) or not ts or not all(isinstance(t, str) and t for t in ts):
            return None
        return tuple(ts)

    def ws_url(self, *topics: str) -> str:
        "The websocket URL subscribing to `topics` (with the app's prefix when it is mounted in a site)."
        return f'{self._ws_rf or self.path + "/ws"}?t={self.token(*topics)}'

    def sse_url(self, *topics: str) -> str:
        "The event-stream URL subscribing to `topics` (with the app's prefix when it is mounted in a site)."
        return f'{self._sse_rf or self.path + "/sse"}?t={self.token(*topics)}'

    def ws_connect(self, *topics: str, **attrs: Any) -> Any:
        "An element that subscribes the page to `topics` over a websocket (needs `exts='ws'`)."
        from .components import Div
        return Div(hx_ext='ws', ws_connect=self.ws_url(*topics), **attrs)

    def sse_connect(self, *topics: str, **attrs: Any) -> Any:
        "An element that subscribes the page to `topics` with server-sent events (needs `exts='sse'`)."
        from .components import Div
        return Div(hx_ext='sse', sse_connect=self.sse_url(*topics), sse_swap='message', hx_swap='none', **attrs)

    def _add_routes(self, app: Any) -> None:
        from ._params import ParamError
        from ._respond import EventStream

        async def pubsub_sse(t: str) -> Any:
            topics = self.topics_of(t)
            if topics is None:
                raise ParamError(403, 'Invalid pubsub token in query parameter t')
            sub = await self.subscribe(*topics)
            return EventStream(self.stream(sub=sub))

        async def pubsub_ws_conn(ws: Any, t: str | None = None) -> None:
            topics = self.topics_of(t) if t else None
            if topics is None:
                await ws.close(1008, 'invalid pubsub token')
                return
            await self.join(ws, *topics)

        async def pubsub_ws(data: Any) -> None:
            return None  # the socket only receives; whatever a client sends is ignored

        # Their route functions are links: mounting the app in a site (fasthtml.compose) prefixes them.
        self._sse_rf = app.route(self.path + '/sse', methods=['get'], name='pubsub_sse')(pubsub_sse)
        self._ws_rf = app.ws(self.path + '/ws', conn=pubsub_ws_conn, name='pubsub_ws')(pubsub_ws)

    async def ping(self) -> bool:
        "Does the backend answer? (Redis: a PING on this event loop's connection; memory: always.) For /ready."
        if self.backend == 'memory':
            return True
        return bool(await self._backend().client.ping())

    async def aclose(self) -> None:
        "Close the connections of this loop's backend (at shutdown; later use opens them again)."
        loop = asyncio.get_running_loop()
        b = self._backends.pop(loop, None)
        if b is not None:
            await b.aclose()


def _check_topic(topic: Any) -> None:
    if not isinstance(topic, str) or not topic:
        raise ValueError(f'a topic is a non-empty string, got {topic!r}')
