"""Isolated live components: each browser session's components run in a process of their own.

    live = Live(app, isolate=True, timeout_interaction=60, timeout_inactivity=0)   # or per class:
    class Sandbox(LiveComponent, isolate=True): ...

The component code is the same with or without isolation: events, re-renders, `update()` pushes, session write-back
and widget trait sync all go through the session's process. What changes is where the code runs, so a handler that
hangs, crashes the interpreter (`os._exit`, a segfault) or eats memory takes down that one session's process, never
the server or another session: its components show why, with a button to start again.

HOW A PAGE GETS THEM. A top-level isolated component made while serving a page is a handle here: its `__init__`
does not run in the server. Rendering it leaves a placeholder and notes it; when the HTML response is complete,
`_LiveScope` asks the session's process (`make`) to construct and render the components, and their HTML replaces
the placeholders before the body goes out (a compressed or streamed body keeps the placeholders: the page's socket
then makes them). Components made by an isolated component live with it, in its process. Tokens rendered for
isolated components are marked, so the page's socket messages for them are routed to the session's process.

WHERE THE PROCESS IS. One process per browser session (the session's live id), found by every worker of the app
on one host through a Unix socket named after it in `run_dir` (default: a private directory under the system's
temp dir, derived from the app's key). The first worker that needs it starts it, through its zygote (see
fasthtml._live_session), under a per-session file lock; the machine-wide cap `max_processes` is a set of slot files,
each held locked by a running session process (a crashed one releases its slot by dying), so a session beyond the
cap gets "server busy" at once. With Redis configured (`redis_url`, default `FASTHTML_PUBSUB_URL`), a worker on
another host reaches a session's process through the worker that started it (see fasthtml._live_relay).

THE RUNNER (`IsolatingRunner`, the default runner of `Live`) is the in-process `LocalRunner` plus this routing:
join, event, widget and leave messages for isolated components go to the session's process over a link (one per
session and event loop); replies and page messages come back on it.
"""
from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import hmac
import importlib.util
import itertools
import json
import logging
import os
import secrets
import signal
import socket
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastcore.basics import NotStr

from ._live_runner import LocalRunner
from ._live_session import EXIT_MEMORY, export_scope, pack, read_frame
from ._live_spawn import SUPPORTED, Busy, Stopped, app_modules, manager
from .live import Connection, LiveComponent, LiveError, _Ctx, _sid

__all__ = ['IsolatingRunner', 'IsolationSettings', 'Busy', 'Stopped', 'parse_size', 'SUPPORTED']

log = logging.getLogger('fasthtml.live')

NO_REDIS = 'Live(redis_url=...) needs the redis package: pip install "python-fasthtml[redis]"'
RESTART = '__restart'     # the event name of the "Start again" button
BACKSTOP = 30.0           # seconds a worker waits beyond timeout_interaction before it kills the process itself
_cids = itertools.count(1)


def parse_size(v: int | str | None) -> int | None:
    "Bytes from an int or a string such as '512M', '2G', '800K'."
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise TypeError(f'memory_limit takes bytes (an int) or a size such as "512M", got {v!r}')
    if isinstance(v, int):
        n = v
    else:
        s = v.strip().upper().removesuffix('B')
        mult = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40}.get(s[-1:], 1)
        try:
            n = int(float(s[:-1] if mult > 1 else s) * mult)
        except ValueError:
            raise ValueError(f'memory_limit: cannot read {v!r} as a size (say "512M" or a number of bytes)') from None
    if n <= 0:
        raise ValueError(f'memory_limit must be positive, got {v!r}')
    return n


@dataclass(frozen=True)
class IsolationSettings:
    "How isolated sessions run (see `Live`)."
    timeout_interaction: float | None = 60.0
    timeout_inactivity: float = 0.0
    max_processes: int = 100
    memory_limit: int | None = None
    prefork: int = 1
    run_dir: str | None = None
    redis_url: str | None = None

    @classmethod
    def make(cls, *, timeout_interaction: Any = 60.0, timeout_inactivity: Any = 0.0, max_processes: Any = None,
             memory_limit: Any = None, prefork: Any = 1, run_dir: Any = None, redis_url: Any = None
             ) -> IsolationSettings:
        "Checked settings: a mistake is reported when the app starts, naming the argument."
        def num(name: str, v: Any, allow_none: bool = False) -> Any:
            if v is None and allow_none:
                return None
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise ValueError(f'Live({name}=...) takes a number of seconds >= 0, got {v!r}')
            return float(v)
        ti = num('timeout_interaction', timeout_interaction, allow_none=True)
        tn = num('timeout_inactivity', timeout_inactivity)
        if max_processes is None:
            max_processes = 100
        if isinstance(max_processes, bool) or not isinstance(max_processes, int) or max_processes < 1:
            raise ValueError(f'Live(max_processes=...) takes a whole number >= 1, got {max_processes!r}')
        if isinstance(prefork, bool) or not isinstance(prefork, int) or not 0 <= prefork <= 64:
            raise ValueError(f'Live(prefork=...) takes a whole number from 0 to 64, got {prefork!r}')
        url = redis_url if redis_url is not None else os.environ.get('FASTHTML_PUBSUB_URL') or None
        if redis_url is not None and importlib.util.find_spec('redis') is None:
            raise LiveError(NO_REDIS)
        return cls(ti or None, tn, max_processes, parse_size(memory_limit), prefork,
                   None if run_dir is None else str(run_dir), url)


# ---------------------------------------------------------------------------------------------------------------
# What a page shows when its session's process is gone

def describe(reason: str, s: IsolationSettings) -> str:
    "The sentence a component shows for `reason`."
    kind = reason.partition(':')[0]
    if kind == 'timeout':
        return f'This took longer than {s.timeout_interaction:g} seconds, so it was stopped.'
    if kind == 'inactive':
        return f'This was stopped after {s.timeout_inactivity:g} seconds without activity.'
    if kind == 'memory':
        return 'This used more memory than it may, so it was stopped.'
    if kind == 'busy':
        return 'The server is busy right now (too many sessions are running). Please try again in a moment.'
    if kind == 'shutdown':
        return 'The server stopped this.'
    return 'This stopped unexpectedly.'


def stopped_html(reason: str, s: IsolationSettings, debug: bool) -> str:
    "The box shown in a component whose session's process stopped, with a button that starts it again."
    from ._render import to_xml
    from .components import Button, Div, P, Small
    kind = reason.partition(':')[0]
    detail = Small(f' ({reason})') if debug and kind not in ('busy', 'timeout', 'inactive', 'memory') else ''
    label = 'Try again' if kind == 'busy' else 'Start again'
    again = Button(label, live_click=RESTART, type='button', cls='live-restart')
    return to_xml(Div(P(describe(reason, s), detail), again, cls='live-error live-stopped', role='alert',
                      data_reason=kind))


def _root(lid: str, token: str, inner: str) -> str:
    return f'<div id="{lid}" data-lid="{lid}" data-live="{token}" data-lv="-1">{inner}</div>'


def _end_reason(code: int) -> str:
    "Why a session's process ended, from its exit code (negative: the signal)."
    if code < 0:
        sig = -code
        if sig == signal.SIGALRM:
            return 'timeout'
        if sig == signal.SIGKILL:
            return 'killed'
        try:
            return f'crash:{signal.Signals(sig).name}'
        except ValueError:
            return f'crash:signal {sig}'
    if code == EXIT_MEMORY:
        return 'memory'
    return f'exit:{code}'


# ---------------------------------------------------------------------------------------------------------------
# The sessions of one app: run dir, slots, links

def _private_dir(path: Path) -> Path:
    "Create `path` (mode 0700) or check that an existing one is ours and private."
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = os.lstat(path)
    if not os.path.isdir(path) or os.path.islink(path) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise LiveError(f'live isolation: {path} must be a directory of ours that only we can read (mode 0700)')
    return path


class _Sessions:
    "The isolated sessions of one app (one `Live`): where their sockets are, the cap, the links to them."

    def __init__(self, hub: Any):
        self.hub = hub
        self.s: IsolationSettings = hub.isolation
        self._dir: Path | None = None
        self.links: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()   # loop -> {h: _Link}
        self.locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.swept = 0.0                    # when the janitor last ran
        self.redis_warned = -1e9
        self.spawned: dict[str, int] = {}   # session key -> pid, for processes this worker started
        self.stopping: dict[int, str] = {}  # pid -> why this worker stopped it
        self.key = hashlib.sha256(f'fasthtml.live.isolation:{hub.app.secret_key}'.encode()).digest()
        self.tag = hashlib.sha256(self.key + hub.path.encode()).hexdigest()[:16]   # the same on every host
        self.relay: Any = None
        if self.s.redis_url:
            from ._live_relay import Relay
            self.relay = Relay(self)

    @property
    def dir(self) -> Path:
        if self._dir is None:
            if self.s.run_dir:
                d = Path(self.s.run_dir)
            else:  # the same for every worker of this app on this host
                d = _private_dir(Path(tempfile.gettempdir()) / f'fasthtml-live-{os.getuid()}') / self.tag
            self._dir = _private_dir(d)
            _private_dir(d / 'slots')
            _private_dir(d / 'locks')
            manager.dirs[str(self._dir)] = self
        return self._dir

    def h_of(self, sid: str) -> str:
        "A session's key: names its socket and files, and identifies it in logs (never the session id itself)."
        return hmac.new(self.key, sid.encode(), hashlib.sha256).hexdigest()[:24]

    def prewarm(self) -> None:
        if SUPPORTED:
            _ = self.dir
            manager.start(self.s.prefork)

    # -- finding or starting a session's process
    async def link(self, h: str) -> _Link:
        "The link to session `h`'s process on this event loop: connected, or started (raises Busy or Stopped)."
        loop = asyncio.get_running_loop()
        links = self.links.setdefault(loop, {})
        lk = links.get(h)
        if lk is not None and lk.dead is None:
            return lk
        stripes = self.locks.get(loop)
        if stripes is None:  # a few locks per loop, shared by sessions: bounded whatever the number of sessions
            stripes = self.locks[loop] = [asyncio.Lock() for _ in range(64)]
        async with stripes[int(h[:8], 16) % 64]:
            lk = links.get(h)
            if lk is not None and lk.dead is None:
                return lk
            lk = await self._connect(h)
            if lk is None and self.relay is not None:
                lk = await self._soft(self.relay.remote_link(h), None)
            if lk is None:
                lk = await self._start(h)
            links[h] = lk
            return lk

    async def _soft(self, coro: Any, default: Any) -> Any:
        "A relay call; when Redis cannot be reached, sessions are served from this host alone (logged once a minute)."
        try:
            return await coro
        except (Stopped, LiveError):
            raise
        except Exception as e:  # noqa: BLE001 (whatever the Redis client raises: this host serves alone, logged)
            now = time.monotonic()
            if now - self.redis_warned > 60:
                self.redis_warned = now
                log.warning('live: Redis (%s) cannot be reached for isolated sessions (%s: %s); each host serves its '
                            'own sessions until it can', self.s.redis_url, type(e).__name__, e)
            return default

    def forget(self, lk: _Link) -> None:
        links = self.links.get(lk.loop)
        if links is not None and links.get(lk.h) is lk:
            del links[lk.h]

    async def _connect(self, h: str) -> _Link | None:
        path = self.dir / f'{h}.sock'
        try:
            reader, writer = await asyncio.open_unix_connection(str(path), limit=1 << 20)
        except (FileNotFoundError, ConnectionRefusedError):
            return None
        except OSError as e:
            if e.errno in (errno.ENOENT, errno.ECONNREFUSED):
                return None
            raise
        return _Link(self, h, reader, writer)

    async def _start(self, h: str) -> _Link:
        d = self.dir
        if time.monotonic() - self.swept > JANITOR_EVERY:
            self.swept = time.monotonic()
            asyncio.get_running_loop().run_in_executor(None, _janitor, d, JANITOR_EVERY)
        lockfd = os.open(d / 'locks' / str(int(h[:8], 16) % 64), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            await _flock(lockfd, 60)
            lk = await self._connect(h)  # another worker started it meanwhile
            if lk is not None:
                return lk
            if self.relay is not None:  # or one on another host
                for _ in range(3):
                    if await self._soft(self.relay.claim(h), True):
                        break
                    lk = await self._soft(self.relay.remote_link(h), None)
                    if lk is not None:
                        return lk
                else:
                    raise Stopped('failed:could not claim the session on Redis')
            slot = self._take_slot()
            if slot is None:
                if self.relay is not None:
                    await self._soft(self.relay.release(h), None)
                raise Busy()
            try:
                for suffix in ('.sock', '.end', '.death'):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(d / f'{h}{suffix}')
                ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    ls.bind(str(d / f'{h}.sock'))
                    ls.listen(128)
                    manager.start(self.s.prefork)
                    pid = await manager.spawn(self.config(h), [ls.fileno(), slot])
                except BaseException:
                    if self.relay is not None:
                        await self._soft(self.relay.release(h), None)
                    raise
                finally:
                    ls.close()
            finally:
                os.close(slot)
            self.spawned[h] = pid
            lk = await self._connect(h)
            if lk is None:
                raise Stopped('failed:the new process did not listen')
            lk.pid = pid
            return lk
        finally:
            with contextlib.suppress(OSError):
                _flock_now(lockfd, unlock=True)
            os.close(lockfd)

    def _take_slot(self) -> int | None:
        "A slot file locked for the new process (it keeps it locked while it runs), or None at the cap."
        slots = self.dir / 'slots'
        cap = self.s.max_processes
        first = secrets.randbelow(cap)  # from anywhere: a free one is found in a few tries while many run
        for j in range(cap):
            fd = os.open(slots / str((first + j) % cap), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                _flock_now(fd)
                return fd
            except OSError:
                os.close(fd)
        return None

    def config(self, h: str) -> dict:
        "What a session process is told when it starts."
        hub, s = self.hub, self.s
        secret = hub.app.secret_key
        return {'h': h, 'sid': h[:12], 'dir': str(self.dir), 'grace': hub.grace,
                'secret': secret.decode('latin-1') if isinstance(secret, bytes) else secret,
                'secret_bytes': isinstance(secret, bytes),
                'max_queue': hub.max_queue, 'debug': hub.debug, 'base': hub.base, 'live_path': hub.path,
                'ti': s.timeout_interaction or 0, 'tn': s.timeout_inactivity, 'mem': s.memory_limit or 0,
                'path': [p for p in sys.path if isinstance(p, str)], 'cwd': os.getcwd(), 'modules': app_modules()}

    # -- how processes ended
    def exited(self, msg: dict) -> None:
        "The zygote reaped a session process this worker started (called from the zygote's thread): log it."
        h, pid, code = msg['h'], msg['pid'], msg['code']
        if self.spawned.get(h) == pid:
            del self.spawned[h]
            if self.relay is not None:
                self.relay.released(h)
        why = self.stopping.pop(pid, None)
        if code == 0 or why == 'shutdown':
            log.info('live: isolated session %s: process %d ended', msg['sid'], pid)
            return
        reason = why or _end_reason(code)
        where = ''
        with contextlib.suppress(OSError):
            where = (self.dir / f'{h}.death').read_text(errors='replace')[:6000].strip()
        log.error('live: isolated session %s: process %d %s%s', msg['sid'], pid, _log_reason(reason, self.s),
                  f'\n{where}' if where else '')

    async def end_reason(self, h: str, pid: int | None) -> str:
        "Why session `h`'s process ended, from the file its zygote writes (waiting a little for it)."
        path = self.dir / f'{h}.end'
        deadline = time.monotonic() + 3
        while True:
            with contextlib.suppress(OSError, ValueError):
                end = json.loads(path.read_text())
                if pid is None or end.get('pid') == pid:
                    return _end_reason(int(end['code']))
            if time.monotonic() > deadline:
                return 'gone'
            await asyncio.sleep(0.05)

    def kill(self, pid: int | None, why: str) -> None:
        if pid:
            self.stopping[pid] = why
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    async def stop_all(self) -> None:
        "Stop the session processes this worker started (server shutdown)."
        for links in list(self.links.values()):
            for lk in list(links.values()):
                lk.killed = lk.killed or 'shutdown'
        pids = list(self.spawned.values())
        for pid in pids:
            self.kill(pid, 'shutdown')
        deadline = time.monotonic() + 5
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)


JANITOR_EVERY = 600.0


def _janitor(d: Path, older: float) -> int:
    "Remove the files of sessions whose process is gone (a crash, a killed server) once they are `older` seconds old."
    now = time.time()
    files: dict[str, list[Path]] = {}
    try:
        for p in d.iterdir():
            if p.suffix in ('.sock', '.end', '.death'):
                files.setdefault(p.stem, []).append(p)
    except OSError:
        return 0
    n = 0
    for h, paths in files.items():
        try:
            if any(now - p.lstat().st_mtime < older for p in paths):
                continue
        except OSError:
            continue
        sock = d / f'{h}.sock'
        if sock in paths:
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            probe.settimeout(2)
            try:
                probe.connect(str(sock))
                continue  # it answers: a running session
            except OSError:
                pass
            finally:
                probe.close()
        for p in paths:
            with contextlib.suppress(OSError):
                p.unlink()
                n += 1
    return n


def _log_reason(reason: str, s: IsolationSettings) -> str:
    kind, _, detail = reason.partition(':')
    return {'timeout': f'was stopped: an interaction took longer than timeout_interaction={s.timeout_interaction:g}s',
            'memory': 'was stopped: it ran out of memory (memory_limit)',
            'killed': 'was killed (SIGKILL)',
            'crash': f'crashed ({detail})',
            'exit': f'exited with code {detail}'}.get(kind, reason)


def _alive(pid: int) -> bool:
    "Whether `pid` runs (a zombie waiting to be reaped does not)."
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rpartition(')')[2].split()[0] != 'Z'
    except (OSError, IndexError):
        return False


def _flock_now(fd: int, unlock: bool = False) -> None:
    "Lock `fd` exclusively or raise BlockingIOError (POSIX: imported here so that Live works everywhere)."
    import fcntl
    fcntl.flock(fd, fcntl.LOCK_UN if unlock else fcntl.LOCK_EX | fcntl.LOCK_NB)


async def _flock(fd: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            _flock_now(fd)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise Stopped('failed:another worker kept the session lock') from None
            await asyncio.sleep(0.01)


# ---------------------------------------------------------------------------------------------------------------
# A link: this worker's connection to one session's process, on one event loop

class _Link:
    """Requests to a session's process and their replies; its messages for pages; what happens when it ends. This
    one speaks to the process's socket on this host; `_RelayLink` goes through the worker that started it."""

    def __init__(self, sessions: _Sessions, h: str, reader: Any = None, writer: Any = None):
        self.sessions, self.h = sessions, h
        self.reader, self.writer = reader, writer
        self.loop = asyncio.get_running_loop()
        self.pid: int | None = sessions.spawned.get(h)
        self.conns: dict[str, Connection] = {}
        self.waiters: dict[int, asyncio.Future] = {}
        self.rids = itertools.count(1)
        self.dead: str | None = None
        self.bye: str | None = None
        self.killed: str | None = None
        if reader is not None:
            self.task = self.loop.create_task(self._read(), name=f'fasthtml-live-link-{h[:8]}')

    def _write(self, data: bytes) -> None:
        self.writer.write(data)

    def send(self, hdr: dict) -> None:
        if self.dead is not None:
            raise Stopped(self.dead)
        self._write(pack(hdr))

    async def request(self, hdr: dict, interaction: bool = True, limit: float | None = None) -> dict:
        "Send a request and wait for its reply (raises Stopped when the process ends first)."
        if self.dead is not None:
            raise Stopped(self.dead)
        r = next(self.rids)
        fut = self.loop.create_future()
        self.waiters[r] = fut
        hdr['r'] = r
        ti = self.sessions.s.timeout_interaction
        if limit is None and interaction and ti:
            limit = ti + BACKSTOP
        try:
            self._write(pack(hdr))
            return await asyncio.wait_for(fut, limit)
        except asyncio.TimeoutError:
            if not interaction:
                raise Stopped('gone') from None
            # The process did not stop itself (its timer needs its own clock to run): stop it from here.
            self._kill('timeout')
            raise Stopped('timeout') from None
        finally:
            self.waiters.pop(r, None)

    def _kill(self, why: str) -> None:
        self.killed = self.killed or why
        self.sessions.kill(self.pid, why)

    async def _read(self) -> None:
        try:
            while True:
                fr = await read_frame(self.reader)
                if fr is None:
                    break
                await self.frame(*fr)
        except asyncio.CancelledError:
            self.writer.close()
            raise
        except Exception:
            log.exception('live: reading from an isolated session failed')
        await self.ended()

    async def frame(self, m: dict, payload: bytes) -> None:
        "One frame from the session's process."
        o = m.get('o')
        if o == 'out':
            conn = self.conns.get(m['c'])
            if conn is not None:
                conn.post(payload.decode())
        elif o == 'rep':
            fut = self.waiters.get(m['r'])
            if fut is not None and not fut.done():
                fut.set_result(m)
        elif o == 'hi':
            self.pid = m['pid']
        elif o == 'bye':
            self.bye = m.get('why') or 'gone'
        elif o == 'close':
            conn = self.conns.get(m['c'])
            if conn is not None:
                with contextlib.suppress(RuntimeError, OSError):
                    await conn.ws.close(int(m.get('code') or 1000))

    async def ended(self, reason: str | None = None) -> None:
        "The process is gone (or unreachable): fail what waits, show the pages why."
        if self.dead is not None:
            return
        reason = reason or self.bye or self.killed
        if reason is None:
            reason = await self.sessions.end_reason(self.h, self.pid)
        self.dead = reason
        self.sessions.forget(self)
        self.close()
        for fut in self.waiters.values():
            if not fut.done():
                fut.set_exception(Stopped(reason))
        if reason != 'idle':
            for conn in list(self.conns.values()):
                self.sessions.hub.runner.iso_stopped(conn, reason)
        self.conns.clear()

    def close(self) -> None:
        if self.writer is not None:
            with contextlib.suppress(Exception):
                self.writer.close()


# ---------------------------------------------------------------------------------------------------------------
# The runner

class _ConnIso:
    """A page's isolated components: its session's key, its id in that process, what it joined there. `joining` is
    held while the page joins its session's process (its components, its widgets, "Start again"): one join at a
    time, and the page's events and widget messages wait for it, so that they reach the process it joined, after
    its components are there."""
    __slots__ = ('h', 'cid', 'claims', 'wtoks', 'link', 'joining')

    def __init__(self, h: str):
        self.h = h
        self.cid = f'{os.getpid()}.{next(_cids)}'
        self.claims: dict[str, str] = {}   # lid -> token
        self.wtoks: dict[str, str] = {}    # widget key -> token
        self.link: _Link | None = None
        self.joining = asyncio.Lock()

    async def settled(self) -> None:
        "Return once no join of this page is in progress (at once when none is)."
        if self.joining.locked():
            async with self.joining:
                pass


class IsolatingRunner(LocalRunner):
    """The default runner: components in this process (LocalRunner), isolated ones in their session's process."""

    def __init__(self, hub: Any):
        super().__init__(hub)
        self._sessions: _Sessions | None = None

    @property
    def sessions(self) -> _Sessions:
        if self._sessions is None:
            self._sessions = _Sessions(self.hub)
        return self._sessions

    # -- server lifespan
    def startup(self) -> None:
        "Start the zygote (and its waiting processes) now, so the first session starts fast."
        if not SUPPORTED:
            return
        try:
            self.sessions.prewarm()
        except Exception:
            log.exception('live: starting the isolation process server failed')

    async def shutdown(self) -> None:
        "Stop the session processes this worker started."
        if self._sessions is not None:
            await self._sessions.stop_all()

    def processes(self) -> dict[str, int]:
        "Session key -> pid of the isolated processes this worker started and that still run."
        if self._sessions is None:
            return {}
        return {h: p for h, p in list(self._sessions.spawned.items()) if _alive(p)}

    # -- pages: placeholders, then the session's process makes and renders them
    def placeholder(self, comp: LiveComponent, ctx: _Ctx) -> NotStr:
        "What a page holds for an isolated component until its session's process renders it (see _LiveScope)."
        st = comp._live
        cls = type(comp)
        mod = sys.modules.get(cls.__module__)
        if cls.__module__ == '__main__' or '<locals>' in cls.__qualname__ or getattr(mod, '__spec__', None) is None:
            raise LiveError(f'{cls.__qualname__} is isolated, so its session\'s process must import it by name: define '
                            f'it at the top level of a module that can be imported (run the app with '
                            f'`uvicorn module:app` or `serve()`, not as __main__), not in a function or notebook')
        tok = st.token
        if tok is None:
            tok = st.token = self.hub._sign_component(comp, ctx)
        html = f'<div id="{st.lid}" data-lid="{st.lid}" data-live="{tok}" data-lv="-1" aria-busy="true"></div>'
        if ctx.pending is None:
            ctx.pending = []
        ctx.pending.append((st.lid, tok, f'{cls.__module__}:{cls.__qualname__}', [list(st.args), st.kwargs], html))
        return NotStr(html)

    async def fill(self, ctx: _Ctx, body: bytes) -> bytes:
        "The response body with the placeholders replaced by the components rendered in their session's process."
        items = [p for p in ctx.pending or () if p[4].encode() in body]
        ctx.pending = None
        if not items:
            return body
        sid = _sid(ctx.scope, create=False)
        if sid is None:
            return body
        h = self.sessions.h_of(sid)
        htmls = await self._make(h, ctx.scope or {}, items)
        for item, html in zip(items, htmls, strict=True):
            body = body.replace(item[4].encode(), html.encode())
        return body

    async def _make(self, h: str, scope: dict, items: list) -> list[str]:
        for attempt in range(2):
            try:
                lk = await self.sessions.link(h)
                rep = await lk.request({'o': 'make', 'scope': export_scope(scope),
                                        'items': [[lid, tok, cpath, args] for lid, tok, cpath, args, _ in items]})
                got = rep.get('html') or {}
                return [got.get(lid) or self._box(lid, tok, 'gone') for lid, tok, *_ in items]
            except Busy:
                return [self._box(lid, tok, 'busy') for lid, tok, *_ in items]
            except Stopped as e:
                if e.reason == 'idle' and attempt == 0:  # it had just stopped for want of components: a new one
                    continue
                return [self._box(lid, tok, e.reason) for lid, tok, *_ in items]
        return []

    def _box(self, lid: str, tok: str, reason: str) -> str:
        return _root(lid, tok, stopped_html(reason, self.sessions.s, self.hub.debug))

    def iso_stopped(self, conn: Connection, reason: str) -> None:
        "Show every isolated component of `conn` why its session's process is gone."
        st = conn.iso
        if st is None or conn.closed:
            return
        box = stopped_html(reason, self.sessions.s, self.hub.debug)
        for lid in st.claims:
            conn.post({'t': 'x', 'l': lid, 'h': box})

    # -- the page's socket
    async def join(self, conn: Connection, claims: list[tuple[Any, Any, Any]]) -> None:
        ok = self.verified(conn, claims)
        local = [c for c in ok if not c[3][3]]
        iso = [(lid, tok, ver) for lid, tok, ver, v in ok if v[3]]
        if local:
            await self.join_verified(conn, local)
        if iso:
            await self._iso_join(conn, iso)

    def _conn_iso(self, conn: Connection) -> _ConnIso | None:
        st = conn.iso
        if st is None:
            sid = _sid(conn.scope, create=False)
            if sid is None:
                return None
            st = conn.iso = _ConnIso(self.sessions.h_of(sid))
        return st

    async def _link_for(self, conn: Connection, st: _ConnIso) -> _Link:
        lk = st.link
        if lk is not None and lk.dead is None:
            return lk
        lk = await self.sessions.link(st.h)
        lk.conns[st.cid] = conn
        lk.send({'o': 'hello', 'c': st.cid, 'scope': export_scope(conn.scope)})
        st.link = lk
        return lk

    async def _iso_join(self, conn: Connection, claims: list[tuple[str, str, Any]]) -> None:
        st = self._conn_iso(conn)
        if st is None:
            return
        for lid, tok, _ in claims:
            st.claims[lid] = tok
        async with st.joining:
            await self._join_now(conn, st, claims)

    async def _join_now(self, conn: Connection, st: _ConnIso, claims: list[tuple[str, str, Any]]) -> None:
        "Join `claims` in the session's process, starting it when it is not running (`st.joining` is held)."
        for attempt in range(2):
            try:
                lk = await self._link_for(conn, st)
                await lk.request({'o': 'join', 'c': st.cid, 'claims': [list(c) for c in claims]})
                return
            except Busy:
                reason = 'busy'
            except Stopped as e:
                reason = e.reason
                if reason == 'idle' and attempt == 0:
                    continue
            box = stopped_html(reason, self.sessions.s, self.hub.debug)
            for lid, _, _ in claims:
                conn.post({'t': 'x', 'l': lid, 'h': box})
            return

    async def event(self, conn: Connection, lid: str, name: str, fields: dict) -> None:
        st = conn.iso
        if st is None or lid not in st.claims:
            await super().event(conn, lid, name, fields)
            return
        if name == RESTART:
            await self._restart(conn, st)
            return
        await st.settled()  # a "Start again" in progress: this event was sent after it, so it goes to the new process
        lk = st.link
        if lk is None or lk.dead is not None:
            reason = lk.dead if lk is not None else 'gone'
            conn.post({'t': 'x', 'l': lid, 'h': stopped_html(reason or 'gone', self.sessions.s, self.hub.debug)})
            return
        with contextlib.suppress(Stopped):  # the link showed why on every component of the page
            await lk.request({'o': 'event', 'c': st.cid, 'l': lid, 'h': name, 'f': fields})

    async def _restart(self, conn: Connection, st: _ConnIso) -> None:
        """Start again: every isolated component of the page joins again (a new process recreates them from tokens).
        One at a time: a second click waits for the first, then finds the process running and re-renders."""
        async with st.joining:
            if st.link is not None and st.link.dead is not None:
                st.link = None
            await self._join_now(conn, st, [(lid, tok, '-1') for lid, tok in st.claims.items()])
            if st.wtoks and st.link is not None and st.link.dead is None:
                with contextlib.suppress(Stopped):
                    await st.link.request({'o': 'wjoin', 'c': st.cid, 'toks': list(st.wtoks.values())})

    # -- widgets
    async def join_widgets(self, conn: Connection, tokens: list[str]) -> None:
        local, iso = [], []
        for t in tokens:
            try:
                kind, key, *rest = self.hub.signer.loads(t)
            except Exception:  # noqa: BLE001 (a token that does not verify or unpack)
                local.append(t)  # refused (and logged) there
                continue
            (iso if rest and isinstance(key, str) else local).append((key, t) if rest else t)
        if local:
            await super().join_widgets(conn, local)
        if not iso:
            return
        st = self._conn_iso(conn)
        if st is None:
            return
        for key, t in iso:
            st.wtoks[key] = t
        async with st.joining:
            with contextlib.suppress(Busy, Stopped):
                lk = await self._link_for(conn, st)
                await lk.request({'o': 'wjoin', 'c': st.cid, 'toks': [t for _, t in iso]})

    async def widget_message(self, conn: Connection, key: str, msg: dict, buffers: list) -> None:
        st = conn.iso
        if st is None or key not in st.wtoks:
            await super().widget_message(conn, key, msg, buffers)
            return
        await st.settled()
        lk = st.link
        if lk is None or lk.dead is not None:
            return
        with contextlib.suppress(Stopped):
            await lk.request({'o': 'wmsg', 'c': st.cid, 'k': key, 'm': msg, 'b': buffers})

    # -- leaving
    def leave(self, conn: Connection, lids: list[str], keys: list[str]) -> None:
        st = conn.iso
        if st is None:
            super().leave(conn, lids, keys)
            return
        ilids = [x for x in lids if x in st.claims]
        ikeys = [k for k in keys if k in st.wtoks]
        super().leave(conn, [x for x in lids if x not in st.claims], [k for k in keys if k not in st.wtoks])
        for x in ilids:
            del st.claims[x]
        for k in ikeys:
            del st.wtoks[k]
        lk = st.link
        if (ilids or ikeys) and lk is not None and lk.dead is None:
            lk.send({'o': 'leave', 'c': st.cid, 'lids': ilids, 'keys': ikeys})

    async def disconnect(self, conn: Connection) -> None:
        await super().disconnect(conn)
        st = conn.iso
        if st is None or st.link is None:
            return
        lk = st.link
        lk.conns.pop(st.cid, None)
        if lk.dead is None:
            with contextlib.suppress(Stopped, OSError, RuntimeError):
                lk.send({'o': 'disc', 'c': st.cid})
