"""Isolated sessions across hosts: a worker reaches a session's process on another host through Redis.

Each worker listens on a channel of its own. The key `fhl:<app>:s:<session>` names the worker that started the
session's process (refreshed while it runs, deleted when it ends). A worker that finds no socket for a session on its
host but finds that key sends its frames to that worker ('up'), which forwards them to the process over a connection
of its own and sends back what the process says ('down'), then why it ended ('dead'). Envelopes are signed with a
key derived from the app's, so writing to Redis is not enough to talk to a session. When Redis cannot be reached,
each host serves its own sessions (see `_Sessions._soft` in fasthtml._live_isolated).
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import socket
import weakref

from ._live_isolated import NO_REDIS, Stopped, _Link, _Sessions
from ._live_session import HEAD, pack, read_frame
from .live import LiveError

__all__ = ['Relay', 'TTL_MS']

log = logging.getLogger('fasthtml.live')


TTL_MS = 30_000   # how long a session's "started by worker W" key lives unless W refreshes it

def _text(v: bytes | str) -> str:
    return v.decode() if isinstance(v, bytes) else v


_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class Relay:
    """Sessions whose process runs on another host, reached through the worker that started it, over Redis.

    Each worker listens on a channel of its own. The key `fhl:<app>:s:<session>` names the worker that started the
    session's process (refreshed while it runs, deleted when it ends). A worker that finds no socket for a session
    on its host but finds that key sends its frames to that worker ('up'), which forwards them to the process over a
    connection of its own and sends back what the process says ('down'), then why it ended ('dead'). Envelopes are
    signed with a key derived from the app's, so writing to Redis is not enough to talk to a session."""

    def __init__(self, sessions: _Sessions):
        self.sessions = sessions
        self.url: str = sessions.s.redis_url or ''
        self.key = hashlib.sha256(b'fasthtml.live.relay' + sessions.key).digest()
        self.loops: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._wid: tuple[int, str] | None = None

    @property
    def wid(self) -> str:
        "This worker's id on the relay (host, pid, a random part; made again in a forked worker)."
        if self._wid is None or self._wid[0] != os.getpid():
            self._wid = (os.getpid(), f'{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}')
        return self._wid[1]

    def chan(self, wid: str) -> str:
        return f'fhl:{self.sessions.tag}:w:{wid}'

    def skey(self, h: str) -> str:
        return f'fhl:{self.sessions.tag}:s:{h}'

    def sign(self, body: bytes) -> bytes:
        return hmac.new(self.key, body, hashlib.sha256).hexdigest()[:32].encode()

    async def on_loop(self) -> _RelayLoop:
        loop = asyncio.get_running_loop()
        rl = self.loops.get(loop)
        if rl is not None and rl.start_task.done() and rl.start_task.exception() is not None:
            rl = None  # Redis was down when it started: try again
        if rl is None:
            rl = self.loops[loop] = _RelayLoop(self)
        await rl.start_task
        return rl

    async def claim(self, h: str) -> bool:
        "Become the worker that starts session `h`'s process (False: another one is)."
        rl = await self.on_loop()
        return bool(await rl.r.set(self.skey(h), self.wid, nx=True, px=TTL_MS))

    async def release(self, h: str, wid: str | None = None) -> None:
        "Forget that `wid` (default: this worker) runs session `h`'s process."
        rl = await self.on_loop()
        with contextlib.suppress(Exception):
            await rl.r.eval(_RELEASE, 1, self.skey(h), wid or self.wid)

    def released(self, h: str) -> None:
        "From any thread: the process of session `h` ended here."
        for loop, rl in list(self.loops.items()):
            started = rl.start_task.done() and not rl.start_task.cancelled() and rl.start_task.exception() is None
            if not loop.is_closed() and started:  # (else Redis is not reachable there: the key expires by itself)
                with contextlib.suppress(RuntimeError):
                    asyncio.run_coroutine_threadsafe(self.release(h), loop)
                return

    async def remote_link(self, h: str) -> _RelayLink | None:
        "A link to session `h`'s process through the worker that runs it, if another one does and answers."
        rl = await self.on_loop()
        raw = await rl.r.get(self.skey(h))
        if raw is None:
            return None
        home = _text(raw)
        if home == self.wid:  # ours, yet no socket here: it ended, the key is stale
            await self.release(h)
            return None
        lk = _RelayLink(self.sessions, h, rl, home)
        try:
            await lk.request({'o': 'ping'}, interaction=False, limit=10)
        except Stopped:
            lk.dead = 'gone'
            lk.close()
            await self.release(h, home)
            return None
        return lk


class _RelayLoop:
    "The relay on one event loop: a Redis client, the subscription to this worker's channel, links and upstreams."

    def __init__(self, relay: Relay):
        try:
            import redis.asyncio as aredis
        except ImportError:
            raise LiveError(NO_REDIS) from None
        self.relay = relay
        self.r = aredis.Redis.from_url(relay.url)
        self.ps = self.r.pubsub(ignore_subscribe_messages=True)
        self.links: dict[str, _RelayLink] = {}
        self.ups: dict[tuple[str, str], _Upstream] = {}
        self.q: asyncio.Queue = asyncio.Queue()
        self.tasks: list[asyncio.Task] = []
        self.start_task = asyncio.get_running_loop().create_task(self._start())

    async def _start(self) -> None:
        await self.ps.subscribe(self.relay.chan(self.relay.wid))
        loop = asyncio.get_running_loop()
        self.tasks = [loop.create_task(self._pub(), name='fasthtml-live-relay-pub'),
                      loop.create_task(self._sub(), name='fasthtml-live-relay-sub'),
                      loop.create_task(self._refresh(), name='fasthtml-live-relay-refresh')]

    def publish(self, wid: str, env: dict, frame: bytes = b'') -> None:
        body = json.dumps(env, separators=(',', ':')).encode() + b'\n' + frame
        self.q.put_nowait((self.relay.chan(wid), self.relay.sign(body) + b'\n' + body))

    async def _pub(self) -> None:
        while True:
            ch, data = await self.q.get()
            try:
                await self.r.publish(ch, data)
            except Exception:
                log.exception('live: publishing to the relay failed')

    async def _sub(self) -> None:
        while True:
            try:
                async for msg in self.ps.listen():
                    if msg.get('type') == 'message':
                        await self._on(msg['data'])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception('live: the relay subscription failed; resubscribing')
                await asyncio.sleep(1)
                with contextlib.suppress(Exception):
                    await self.ps.subscribe(self.relay.chan(self.relay.wid))

    async def _refresh(self) -> None:
        "Keep the keys of the sessions whose process runs here."
        while True:
            await asyncio.sleep(TTL_MS / 3000)
            for h in list(self.relay.sessions.spawned):
                with contextlib.suppress(Exception):
                    await self.r.set(self.relay.skey(h), self.relay.wid, px=TTL_MS)

    async def _on(self, data: bytes) -> None:
        sig, _, body = data.partition(b'\n')
        if not hmac.compare_digest(sig, self.relay.sign(body)):
            log.warning('live: dropped a relay message with a bad signature')
            return
        head, _, frame = body.partition(b'\n')
        e = json.loads(head)
        k = e.get('k')
        if k == 'up':       # for a process that runs here
            key = (e['from'], e['l'])
            up = self.ups.get(key)
            if up is None:
                up = self.ups[key] = _Upstream(self, e['from'], e['l'], e['h'])
            up.write(frame)
        elif k == 'close':
            up = self.ups.pop((e['from'], e['l']), None)
            if up is not None:
                up.close()
        elif k == 'kill':
            sessions = self.relay.sessions
            sessions.kill(sessions.spawned.get(e['h']), e.get('why') or 'timeout')
        elif k == 'down':   # from a process that runs elsewhere
            lk = self.links.get(e['l'])
            if lk is not None and len(frame) >= HEAD.size:
                n, _ = HEAD.unpack(frame[:HEAD.size])
                await lk.frame(json.loads(frame[HEAD.size:HEAD.size + n]), frame[HEAD.size + n:])
        elif k == 'dead':
            lk = self.links.get(e['l'])
            if lk is not None:
                await lk.ended(e.get('why') or 'gone')


class _Upstream:
    "This worker's connection to a local session process on behalf of a worker elsewhere (one per remote link)."

    def __init__(self, rl: _RelayLoop, origin: str, lid: str, h: str):
        self.rl, self.origin, self.l, self.h = rl, origin, lid, h
        self.writer: asyncio.StreamWriter | None = None
        self.buf: list[bytes] = []
        self.closed = False
        self.task = asyncio.get_running_loop().create_task(self._run())

    def write(self, frame: bytes) -> None:
        if self.writer is not None:
            self.writer.write(frame)
        else:
            self.buf.append(frame)

    async def _run(self) -> None:
        sessions = self.rl.relay.sessions
        bye = None
        try:
            reader, writer = await asyncio.open_unix_connection(str(sessions.dir / f'{self.h}.sock'), limit=1 << 20)
        except OSError:
            reader = writer = None
        if reader is not None and writer is not None:
            self.writer = writer
            for f in self.buf:
                writer.write(f)
            self.buf.clear()
            while True:
                fr = await read_frame(reader)
                if fr is None:
                    break
                m, payload = fr
                if m.get('o') == 'bye':
                    bye = m.get('why')
                self.rl.publish(self.origin, {'k': 'down', 'l': self.l}, pack(m, payload))
            writer.close()
        why = bye or (await sessions.end_reason(self.h, None) if reader is not None else 'gone')
        if not self.closed:
            self.rl.publish(self.origin, {'k': 'dead', 'l': self.l, 'why': why})
        self.rl.ups.pop((self.origin, self.l), None)

    def close(self) -> None:
        self.closed = True
        if self.writer is not None:
            self.writer.close()
        else:
            self.task.cancel()


class _RelayLink(_Link):
    "A link to a session's process on another host, through the worker that started it."

    def __init__(self, sessions: _Sessions, h: str, rl: _RelayLoop, home: str):
        super().__init__(sessions, h)
        self.rl, self.home = rl, home
        self.l = secrets.token_hex(8)
        rl.links[self.l] = self
        self.watch = self.loop.create_task(self._watch())

    def _write(self, data: bytes) -> None:
        self.rl.publish(self.home, {'k': 'up', 'h': self.h, 'from': self.rl.relay.wid, 'l': self.l}, data)

    def _kill(self, why: str) -> None:
        self.killed = self.killed or why
        self.rl.publish(self.home, {'k': 'kill', 'h': self.h, 'why': why})

    async def _watch(self) -> None:
        "The worker that runs the process may vanish with it, saying nothing: its key then expires."
        while self.dead is None:
            await asyncio.sleep(5)
            try:
                home = await self.rl.r.get(self.rl.relay.skey(self.h))
            except Exception:  # noqa: BLE001 (Redis unreachable this round: ask again in 5 s)
                continue
            if home is None or _text(home) != self.home:
                await self.ended('gone')

    def close(self) -> None:
        if self.rl.links.pop(self.l, None) is not None:
            self.rl.publish(self.home, {'k': 'close', 'from': self.rl.relay.wid, 'l': self.l})
        if asyncio.current_task() is not self.watch:
            self.watch.cancel()
