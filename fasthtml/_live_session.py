"""An isolated session's process: the zygote that forks them, the runtime that runs one session's live components.

PROCESSES. Each server worker starts one zygote (`python -c '...zygote()'`) the first time it needs one. The zygote
imports the libraries the worker has loaded (so forking gives a process that has them already), freezes its objects
for the garbage collector (so children share those pages), keeps `prefork` children forked and waiting, and forks
more on demand. A waiting child imports the app's component modules, then waits for a session. Once given one (the
listening socket the worker bound for it, and the slot it holds under the machine's cap), it runs that session until
it stops. Lifelines: the zygote dies with the worker thread that started it and each child with the zygote
(PR_SET_PDEATHSIG on Linux), and each also exits when the socket from its parent reaches end of file.

THE RUNTIME is an ordinary `LocalRunner` with a stand-in hub (`SessionHub`: the app's key, grace, debug, base path),
so components behave exactly as in the server process. Each worker connection (`link`) carries frames for the
pages it serves; a page is a `LinkConn`, a `Connection` whose messages go straight onto the link, in order, before
the reply that ends the interaction that produced them.

LIMITS. An interaction (a page's first render, a join, an event, a widget message) arms a real-time timer for
`timeout_interaction`; when it fires, faulthandler writes every thread's stack to the session's `.death` file and
the process dies of SIGALRM (no Python code needs to run: a handler stuck in C is stopped too). A crash (segfault,
abort) also leaves its stack there. `timeout_inactivity` stops the process after that long without interactions
(pushes do not count); a process with no instances left for `grace` seconds stops by itself; `memory_limit` caps its
address space above its size at start (RLIMIT_AS), and a MemoryError stops it. The zygote reaps children and writes
how each ended (`.end`: exit code or signal) for the workers to tell the pages.

WIRE. Worker <-> session: frames of `>II` (header length, payload length), a JSON header, a raw payload (a page
message, already JSON). Worker <-> zygote <-> child: SOCK_SEQPACKET messages of JSON, with file descriptors attached.
"""
from __future__ import annotations

import asyncio
import contextlib
import ctypes
import faulthandler
import gc
import importlib
import json
import logging
import os
import selectors
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from starlette.requests import HTTPConnection

from . import live
from ._live_runner import LocalRunner
from .live import _HUBS, Connection, _Ctx, _HubBase

__all__ = ['pack', 'read_frame', 'ctl_send', 'ctl_recv', 'export_scope', 'import_scope', 'zygote', 'SessionHub',
           'LinkConn', 'EXIT_MEMORY']

log = logging.getLogger('fasthtml.live')

HEAD = struct.Struct('>II')
MAX_FRAME = 256 * 1024 * 1024
MAX_CTL = 1 << 20
EXIT_MEMORY = 86    # a session process that ran out of memory (after telling its links)
EXIT_BUG = 70       # the runtime itself failed
PR_SET_PDEATHSIG = 1
M_ARENA_MAX = -8


# ---------------------------------------------------------------------------------------------------------------
# Wire

def pack(hdr: dict, payload: bytes = b'') -> bytes:
    "One frame: lengths, JSON header, raw payload."
    h = json.dumps(hdr, separators=(',', ':')).encode()
    return HEAD.pack(len(h), len(payload)) + h + payload


async def read_frame(reader: asyncio.StreamReader) -> tuple[dict, bytes] | None:
    "The next frame, or None at end of file (or on a broken frame)."
    try:
        n, m = HEAD.unpack(await reader.readexactly(HEAD.size))
        if n + m > MAX_FRAME:
            return None
        data = await reader.readexactly(n + m)
        return json.loads(data[:n]), data[n:]
    except (asyncio.IncompleteReadError, ConnectionError, OSError, ValueError):
        return None


def ctl_send(sock: socket.socket, msg: dict, fds: Any = ()) -> None:
    "One control message (with file descriptors) on a SOCK_SEQPACKET socket."
    data = json.dumps(msg, separators=(',', ':')).encode()
    if fds:
        socket.send_fds(sock, [data], list(fds))
    else:
        sock.send(data)


def ctl_recv(sock: socket.socket) -> tuple[dict, list[int]] | None:
    "The next control message and its file descriptors; None at end of file."
    try:
        data, fds, _, _ = socket.recv_fds(sock, MAX_CTL, 8)
    except (ConnectionError, OSError):
        return None
    if not data:
        for fd in fds:
            os.close(fd)
        return None
    return json.loads(data), fds


def _jsonable(v: Any) -> bool:
    try:
        json.dumps(v)
        return True
    except (TypeError, ValueError):
        return False


def export_scope(scope: dict) -> dict:
    "What a session process needs of a request's or socket's scope, as JSON (headers, session, auth...)."
    d: dict = {k: scope[k] for k in ('path', 'root_path', 'scheme', 'http_version') if k in scope}
    d['query_string'] = scope.get('query_string', b'').decode('latin-1')
    d['headers'] = [[k.decode('latin-1'), v.decode('latin-1')] for k, v in scope.get('headers') or ()]
    for k in ('client', 'server'):
        d[k] = list(scope[k]) if scope.get(k) else None
    sess = scope.get('session')
    d['session'] = dict(sess) if sess is not None else None
    auth = scope.get('auth')
    if auth is not None and not _jsonable(auth):
        log.warning('live: the `auth` value (%s) is not a JSON value, so isolated components receive None for it',
                    type(auth).__name__)
        auth = None
    d['auth'] = auth
    return d


def import_scope(d: dict, kind: str, app: Any = None) -> dict:
    "The scope rebuilt in a session process (`kind`: 'http' for a page's render, 'websocket' for a page's socket)."
    s = dict(d)
    s['type'] = kind
    s['headers'] = [(k.encode('latin-1'), v.encode('latin-1')) for k, v in d.get('headers') or ()]
    s['query_string'] = (d.get('query_string') or '').encode('latin-1')
    for k in ('client', 'server'):
        s[k] = tuple(d[k]) if d.get(k) else None
    if s.get('session') is None:
        s.pop('session', None)
    s['app'] = app
    s.setdefault('path_params', {})
    return s


# ---------------------------------------------------------------------------------------------------------------
# Lifelines

def _die_with_parent(ppid: int) -> None:
    "SIGKILL when the parent goes (Linux); exit now if it went already."
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != ppid:
        os._exit(0)


def zygote() -> None:
    "Entry point of a worker's zygote: `python -c '...zygote()' FD PARENT_PID`."
    fd, ppid = int(sys.argv[1]), int(sys.argv[2])
    _die_with_parent(ppid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C stops the server, which stops us
    ctl = socket.socket(fileno=fd)
    got = ctl_recv(ctl)
    if got is None:
        os._exit(0)
    cfg = got[0]
    sys.path[:] = cfg['path']
    with contextlib.suppress(OSError):
        os.chdir(cfg['cwd'])
    live._SESSION_PROCESS = True
    for m in cfg['preload']:
        try:
            importlib.import_module(m)
        except BaseException:  # noqa: BLE001, S110 (a library that does not import here: its users import it)
            pass
    _Zygote(ctl, cfg).run()


class _Kid:
    __slots__ = ('pid', 'sock', 'h', 'dir', 'sid')

    def __init__(self, pid: int, sock: socket.socket):
        self.pid, self.sock = pid, sock
        self.h = self.dir = self.sid = ''


class _Zygote:
    "Forks session processes on request, keeps `prefork` waiting, reaps them and records how they ended."

    def __init__(self, ctl: socket.socket, cfg: dict):
        self.ctl = ctl
        self.prefork = int(cfg['prefork'])
        self.modules: list[str] = list(cfg['modules'])
        self.path: list[str] = list(cfg['path'])
        self.idle: list[_Kid] = []
        self.kids: dict[int, _Kid] = {}
        self.sel = selectors.DefaultSelector()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *a: None)  # a handler, so that the wakeup fd is written
        self.sel.register(ctl, selectors.EVENT_READ, 'ctl')
        self.sel.register(self.wake_r, selectors.EVENT_READ, 'chld')

    def run(self) -> None:
        gc.collect()
        gc.freeze()  # what is loaded now stays shared with the children (the collector never writes to it)
        self.fill()
        ctl_send(self.ctl, {'o': 'ready', 'pid': os.getpid()})
        while True:
            for key, _ in self.sel.select():
                if key.data == 'ctl':
                    if not self.on_ctl():
                        self.stop()
                elif key.data == 'chld':
                    with contextlib.suppress(OSError):
                        while os.read(self.wake_r, 512):
                            pass
                    self.reap()

    def on_ctl(self) -> bool:
        got = ctl_recv(self.ctl)
        if got is None:
            return False
        msg, fds = got
        o = msg.get('o')
        if o == 'spawn':
            self.spawn(msg, fds)
        else:
            _close(fds)
        return o != 'stop'

    def spawn(self, msg: dict, fds: list[int]) -> None:
        for m in msg.get('modules') or ():
            if m not in self.modules:
                self.modules.append(m)
        kid = None
        try:
            for _ in range(3):
                kid = self.idle.pop(0) if self.idle else self.fork(fds)
                try:
                    ctl_send(kid.sock, msg, fds)
                    break
                except OSError:  # it died waiting: another
                    kid = None
        finally:
            _close(fds)  # before forking the next waiting child: it must not hold this session's socket or slot
        if kid is None:
            ctl_send(self.ctl, {'o': 'spawned', 'r': msg['r'], 'pid': 0})
            return
        kid.h, kid.dir, kid.sid = msg['h'], msg['dir'], msg['sid']
        ctl_send(self.ctl, {'o': 'spawned', 'r': msg['r'], 'pid': kid.pid})
        self.fill()

    def fill(self) -> None:
        while len(self.idle) < self.prefork:
            self.idle.append(self.fork())

    def fork(self, foreign: list[int] = ()) -> _Kid:  # type: ignore[assignment]
        "A new child; `foreign`: descriptors it must not keep (another session's, being handed over)."
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        me = os.getpid()
        pid = os.fork()
        if pid == 0:
            code = EXIT_BUG
            try:
                a.close()
                _close(foreign)
                self.forget_in_child()
                _kid(b, me, self.path, self.modules)
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 0
            except BaseException:  # noqa: BLE001 (a forked child: whatever ends it is printed, then os._exit)
                traceback.print_exc()
            finally:
                os._exit(code)
        b.close()
        kid = _Kid(pid, a)
        self.kids[pid] = kid
        return kid

    def forget_in_child(self) -> None:
        "In a new child: close what belongs to the zygote (its sockets to the worker and to the other children)."
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        self.sel.close()
        self.ctl.close()
        for k in self.kids.values():
            k.sock.close()
        os.close(self.wake_r)
        os.close(self.wake_w)

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            kid = self.kids.pop(pid, None)
            if kid is None:
                continue
            if kid in self.idle:
                self.idle.remove(kid)
            kid.sock.close()
            if not kid.h:
                continue
            code = os.waitstatus_to_exitcode(status)
            end = {'pid': pid, 'code': code}
            with contextlib.suppress(OSError):
                tmp = Path(kid.dir) / f'{kid.h}.end.{pid}'
                tmp.write_text(json.dumps(end))
                os.replace(tmp, Path(kid.dir) / f'{kid.h}.end')
            with contextlib.suppress(OSError):
                ctl_send(self.ctl, {'o': 'exit', 'h': kid.h, 'dir': kid.dir, 'sid': kid.sid, **end})
        self.fill()

    def stop(self) -> None:
        for pid in list(self.kids):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while self.kids and time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            self.kids.pop(pid, None)
        os._exit(0)


def _close(fds: Any) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def _kid(sock: socket.socket, zpid: int, path: list[str], modules: list[str]) -> None:
    "A forked child: import the app's modules, wait for a session, run it."
    _die_with_parent(zpid)
    sys.path[:] = path
    for m in modules:
        with contextlib.suppress(BaseException):
            importlib.import_module(m)
    got = ctl_recv(sock)
    if got is None:
        return
    msg, fds = got
    _run_session(msg, fds, sock)


# ---------------------------------------------------------------------------------------------------------------
# The session

def _run_session(cfg: dict, fds: list[int], ctl: socket.socket) -> None:
    listen_fd, _slot_fd = fds[0], fds[1]  # the slot stays open (and locked) until this process ends
    d = Path(cfg['dir'])
    _setup_logging(cfg['sid'])
    extra = int(cfg.get('mem') or 0)
    if extra:
        _limit_memory(extra)
    death = os.open(d / f'{cfg["h"]}.death', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    faulthandler.enable(file=death, all_threads=True)
    # The interaction timer: every thread's stack to the .death file, then the default action (the process ends).
    faulthandler.register(signal.SIGALRM, file=death, all_threads=True, chain=True)
    sys.path[:] = cfg['path']
    with contextlib.suppress(OSError):
        os.chdir(cfg['cwd'])
    for m in cfg.get('modules') or ():
        with contextlib.suppress(BaseException):
            importlib.import_module(m)
    try:
        import uvloop
        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    sess = _Session(cfg, listen_fd, ctl)
    code = loop.run_until_complete(sess.run())
    if code == 0:
        with contextlib.suppress(OSError):
            os.unlink(d / f'{cfg["h"]}.death')
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _setup_logging(sid: str) -> None:
    "Log lines of this process name its session (unless the app configured logging itself)."
    root = logging.getLogger()
    if root.handlers:
        return
    h = logging.StreamHandler()
    h.setFormatter(logging.Formatter(f'%(levelname)s: [live session {sid} pid {os.getpid()}] %(name)s: %(message)s'))
    root.addHandler(h)
    root.setLevel(logging.WARNING)


def _limit_memory(extra: int) -> None:
    "Address space: the size now plus `extra` (one malloc arena, smaller thread stacks: threads do not eat the room)."
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, 1)
    threading.stack_size(2 * 1024 * 1024)
    import resource
    with open('/proc/self/statm') as f:
        size = int(f.read().split()[0]) * resource.getpagesize()
    limit = size + extra
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _find_app(cfg: dict) -> Any:
    "The app whose `Live` has this path and key, when the imported modules made it (for the `app` parameter)."
    for hub in list(_HUBS):
        key = getattr(hub.app, 'secret_key', None)
        if isinstance(key, bytes):
            key = key.decode('latin-1')
        if hub.path == cfg['live_path'] and key == cfg['secret']:
            return hub.app
    return None


class SessionHub(_HubBase):
    "The stand-in for the app's `Live` in a session process: same key, grace, debug and base path."
    in_session = True

    def __init__(self, cfg: dict):
        self._keys(cfg['secret'].encode('latin-1') if cfg.get('secret_bytes') else cfg['secret'])
        self.grace = float(cfg['grace'])
        self.max_queue = int(cfg['max_queue'])
        self.path = cfg['live_path']
        self._debug = bool(cfg['debug'])
        self._base = cfg['base']
        self.app: Any = _find_app(cfg)
        self.runner = LocalRunner(self)

    @property
    def debug(self) -> bool:
        return self._debug

    @property
    def base(self) -> str:
        return self._base


class _Session:
    "One browser session's live components, served to the workers' links."

    def __init__(self, cfg: dict, listen_fd: int, ctl: socket.socket):
        self.cfg = cfg
        self.hub = SessionHub(cfg)
        self.runner = self.hub.runner
        self.listen_fd, self.ctl = listen_fd, ctl
        self.timeout = float(cfg.get('ti') or 0)
        self.idle_after = float(cfg.get('tn') or 0)
        self.linger = max(1.0, self.hub.grace)
        self.links: set[_ChildLink] = set()
        self.active: dict[int, float] = {}
        self.n = 0
        self.last = self.empty_since = time.monotonic()
        self.done: asyncio.Future | None = None
        self.stopping = False

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        self.done = loop.create_future()
        sock = socket.socket(fileno=self.listen_fd)
        sock.setblocking(False)
        server = await asyncio.start_unix_server(self.serve, sock=sock)
        self.ctl.setblocking(False)
        loop.add_reader(self.ctl.fileno(), self._lifeline)
        checker = loop.create_task(self.check())
        code = await self.done
        checker.cancel()
        server.close()
        self._unlink_socket(sock)
        return code

    def _lifeline(self) -> None:
        try:
            data = self.ctl.recv(16)
        except BlockingIOError:
            return
        except OSError:
            data = b''
        if not data:  # the zygote is gone, so is the server
            os._exit(0)

    def _unlink_socket(self, sock: socket.socket) -> None:
        "Remove our socket file, unless another process of this session has bound the path since."
        path = Path(self.cfg['dir']) / f'{self.cfg["h"]}.sock'
        with contextlib.suppress(OSError):
            if os.stat(path).st_ino == os.fstat(sock.fileno()).st_ino:
                os.unlink(path)

    # -- interactions: timed, and the only thing that counts as activity
    async def interaction(self, coro: Any) -> Any:
        self.n += 1
        i = self.n
        self.last = now = time.monotonic()
        if self.timeout:
            self.active[i] = now + self.timeout
            self._arm()
        else:
            self.active[i] = float('inf')
        try:
            return await coro
        finally:
            del self.active[i]
            self.last = time.monotonic()
            if self.timeout:
                self._arm()

    def _arm(self) -> None:
        if not self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            return
        left = min(self.active.values()) - time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))

    async def check(self) -> None:
        tick = min(1.0, self.linger / 4, self.idle_after / 4 if self.idle_after else 1.0)
        tick = max(tick, 0.05)
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            self.runner.sweep(now)
            if self.idle_after and not self.active and now - self.last >= self.idle_after:
                await self.stop('inactive')
                return
            c = self.runner.counts()
            if c['live'] or c['waiting'] or self.active:
                self.empty_since = now
            elif now - self.empty_since >= self.linger:
                await self.stop('idle')
                return

    async def stop(self, why: str, code: int = 0) -> None:
        "Tell every link why, free the instances (on a graceful stop), end the process."
        if self.stopping:
            return
        self.stopping = True
        signal.setitimer(signal.ITIMER_REAL, 0)
        for link in list(self.links):
            link.send({'o': 'bye', 'why': why})
        if code == 0:
            with contextlib.suppress(Exception):
                self.runner.free_all()
        with contextlib.suppress(asyncio.TimeoutError, Exception):
            await asyncio.wait_for(asyncio.gather(*(link.flush() for link in list(self.links))), 2)
        if self.done is not None and not self.done.done():
            self.done.set_result(code)

    def out_of_memory(self) -> None:
        log.error('live: a session process ran out of memory (memory_limit); stopping it')
        asyncio.get_running_loop().create_task(self.stop('memory', EXIT_MEMORY))

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = _ChildLink(self, writer)
        self.links.add(link)
        link.send({'o': 'hi', 'pid': os.getpid()})
        try:
            while True:
                fr = await read_frame(reader)
                if fr is None:
                    break
                try:
                    link.dispatch(fr[0])
                except Exception:  # a frame this version does not understand: the link and the session go on
                    log.exception('live: a malformed frame from the server: %.200r', fr[0])
        finally:
            self.links.discard(link)
            await link.gone()


class _ChildLink:
    "One worker's connection: the pages it serves here (`LinkConn`), their requests, replies and messages."

    def __init__(self, sess: _Session, writer: asyncio.StreamWriter):
        self.sess, self.writer = sess, writer
        self.conns: dict[str, Any] = {}
        self.tasks: set = set()

    def send(self, hdr: dict, payload: bytes = b'') -> None:
        if not self.writer.is_closing():
            self.writer.write(pack(hdr, payload))

    def out(self, cid: str, text: str) -> None:
        "A message for page `cid`."
        self.send({'o': 'out', 'c': cid}, text.encode())

    async def flush(self) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.drain()

    def dispatch(self, m: dict) -> None:
        o = m.get('o')
        runner = self.sess.runner
        if o == 'hello':
            cid = m['c']
            scope = import_scope(m['scope'], 'websocket', self.sess.hub.app)
            self.conns[cid] = LinkConn(self.sess.hub, self, cid, scope)
            return
        if o == 'make':
            self._task(m, self.make(m))
            return
        if o == 'ping':
            self.send({'o': 'rep', 'r': m['r']})
            return
        conn = self.conns.get(m.get('c', ''))
        if conn is None:
            if 'r' in m:
                self.send({'o': 'rep', 'r': m['r'], 'err': 'unknown page'})
            return
        if o == 'join':
            claims = [(c[0], c[1], c[2]) for c in m['claims']]
            self._task(m, runner.join(conn, claims))
        elif o == 'event':
            self._task(m, runner.event(conn, m['l'], m['h'], m['f']), conn)
        elif o == 'wjoin':
            self._task(m, runner.join_widgets(conn, m['toks']))
        elif o == 'wmsg':
            self._task(m, runner.widget_message(conn, m['k'], m['m'], m['b']))
        elif o == 'leave':
            runner.leave(conn, m.get('lids') or [], m.get('keys') or [])
        elif o == 'disc':
            self.conns.pop(conn.cid, None)
            conn.closed = True
            t = asyncio.get_running_loop().create_task(runner.disconnect(conn))
            self.tasks.add(t)
            t.add_done_callback(self.tasks.discard)

    def _task(self, m: dict, coro: Any, conn: Any = None) -> None:
        r = m.get('r')

        async def go() -> None:
            err = None
            try:
                res = await self.sess.interaction(coro)
            except Exception as e:  # the runner reports handler errors itself: this is a bug or a bad message
                log.exception('live: a request from the server failed')
                err, res = f'{type(e).__name__}: {e}', None
            if r is not None:
                rep = {'o': 'rep', 'r': r}
                if err:
                    rep['err'] = err
                if isinstance(res, dict):
                    rep.update(res)
                self.send(rep)
                await self.flush()
        t = asyncio.get_running_loop().create_task(go())
        self.tasks.add(t)
        t.add_done_callback(self.tasks.discard)
        if conn is not None:
            conn.inflight.add(t)
            t.add_done_callback(conn.inflight.discard)

    async def make(self, m: dict) -> dict:
        "A page's first render: make the components it shows (they wait for its socket) and render them."
        hub, runner = self.sess.hub, self.sess.runner
        scope = import_scope(m['scope'], 'http', hub.app)
        ctx = _Ctx(hub, scope, None)
        out: dict[str, str] = {}
        for lid, token, cpath, args in m['items']:
            try:
                comp = await runner._recreate(None, lid, token, cpath, args)  # type: ignore[arg-type]
                runner.register(comp)
                out[lid] = comp._live_html(ctx)
            except Exception as e:
                if isinstance(e, MemoryError):
                    self.sess.out_of_memory()
                log.error('live component %s: the first render raised', cpath, exc_info=(type(e), e, e.__traceback__))
                box = hub.error_html(e, 'the first render')
                out[lid] = (f'<div id="{lid}" data-lid="{lid}" data-live="{token}" data-lv="-1">{box}</div>')
        return {'html': out}

    async def gone(self) -> None:
        "The worker's connection closed: its pages are gone (their components wait `grace` for a reconnect)."
        for conn in list(self.conns.values()):
            conn.closed = True
            with contextlib.suppress(Exception):
                await self.sess.runner.disconnect(conn)
        self.conns.clear()
        with contextlib.suppress(Exception):
            self.writer.close()


class _ScopeWs(HTTPConnection):
    "The page's socket as handlers see it here: its scope (headers, cookies, query, session, auth)."

    def __init__(self, scope: dict, link: _ChildLink, cid: str):
        super().__init__(scope)
        self._link, self._cid = link, cid

    async def close(self, code: int = 1000) -> None:
        self._link.send({'o': 'close', 'c': self._cid, 'code': code})


class LinkConn(Connection):
    "A page, seen from its session's process: messages go onto the worker's link, in order."

    def __init__(self, hub: Any, link: _ChildLink, cid: str, scope: dict):  # no socket and no writer task here
        self.hub, self.scope = hub, scope
        self.ws = _ScopeWs(scope, link, cid)
        self.loop = asyncio.get_running_loop()
        self.thread = threading.get_ident()
        self.comps = {}
        self.widgets = {}
        self.closed = False
        self.ctx = _Ctx(hub, scope, self)
        self.max_queue = hub.max_queue
        self.inflight = set()
        self.slots = asyncio.Semaphore(8)
        self.iso = None
        self.link, self.cid = link, cid

    def _put(self, msg: Any) -> None:
        if self.closed:
            return
        try:
            text = msg if isinstance(msg, str) else json.dumps(msg, separators=(',', ':'))
        except (TypeError, ValueError) as e:
            log.error('live: dropped a message that is not JSON (%s): %.200r', e, msg)
            return
        self.link.out(self.cid, text)

    async def close(self) -> None:
        self.closed = True

    def send_error(self, comp: Any, e: BaseException, what: str) -> None:
        super().send_error(comp, e, what)
        if isinstance(e, MemoryError):
            self.link.sess.out_of_memory()
