"""This worker's zygote, seen from the worker: started once per process, asked for session processes, told of exits.

The zygote itself (and the session processes it forks) is fasthtml._live_session; this is the worker's side of it:
`_manager.start(prefork)` launches it from a thread of its own (Linux's parent-death signal follows the thread that
forked, so the zygote dies with this process and no earlier), `await _manager.spawn(config, [socket, slot])` gets a
session process, and exit reports are handed to the app whose run dir the process used (for the log).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import logging
import os
import socket
import subprocess
import sys
import sysconfig
import threading
import time
import weakref
from pathlib import Path

from ._live_session import ctl_recv, ctl_send
from .live import _CLASSES

__all__ = ['Busy', 'Stopped', 'SUPPORTED', 'app_modules', 'manager']

SUPPORTED = sys.platform.startswith('linux')   # the parent-death signal, SOCK_SEQPACKET, /proc

log = logging.getLogger('fasthtml.live')


class Busy(Exception):
    "No process can be started for this session: `max_processes` are running."


class Stopped(Exception):
    "The session's process stopped (or could not start); `reason` says why ('timeout', 'crash:SIGSEGV', ...)."

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason



_DENY = frozenset({'pytest', '_pytest', 'pluggy', 'playwright', 'hypothesis', 'pip', 'setuptools', '_distutils_hack',
                   'pkg_resources', 'nbclient', 'nbformat', 'ipykernel', 'jupyter_client', 'zmq', 'tornado',
                   'debugpy', 'pydevd', 'coverage', 'py'})


def _preload() -> list[str]:
    "The library modules this process has loaded: the zygote imports them so that forked children have them."
    roots = {p for k in ('stdlib', 'platstdlib', 'purelib', 'platlib') if (p := sysconfig.get_paths().get(k))}
    here = str(Path(__file__).resolve().parent)
    out = []
    for name, m in list(sys.modules.items()):
        top = name.partition('.')[0]
        if top in _DENY or '__main__' in name or any(p.startswith('_') for p in name.split('.')[1:]):
            continue
        f = getattr(m, '__file__', None)
        if not isinstance(f, str):
            continue
        if top == 'fasthtml' or f.startswith(here) or any(f.startswith(r) for r in roots):
            out.append(name)
    # And what a session's process runs on, whatever this process has loaded.
    out += ['asyncio', 'faulthandler', 'uvloop', 'fasthtml._live_session', 'fasthtml._live_runner', 'fasthtml.common']
    return sorted(set(out), key=lambda n: (n.count('.'), n))


def app_modules() -> list[str]:
    "Modules that define live component classes (a waiting child imports them ahead of its session)."
    mods = set()
    for cpath, cls in list(_CLASSES.items()):
        mod = cpath.partition(':')[0]
        if mod.startswith('fasthtml.') or mod == '__main__' or '<locals>' in cls.__qualname__:
            continue
        m = sys.modules.get(mod)
        if m is not None and getattr(m, '__spec__', None) is not None:
            mods.add(mod)
    return sorted(mods)


class _Manager:
    """This worker's zygote: started by a thread of its own (Linux's parent-death signal follows the thread that
    forked, so this one lives as long as the zygote), which then reads the zygote's replies and exit reports."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.sock: socket.socket | None = None
        self.proc: subprocess.Popen | None = None
        self.ready = threading.Event()
        self.failed: str | None = None
        self.waiters: dict[int, concurrent.futures.Future] = {}
        self.rids = itertools.count(1)
        self.dirs: weakref.WeakValueDictionary = weakref.WeakValueDictionary()   # run dir -> _Sessions
        self.prefork = 0
        self._atexit = False
        self.stopping = False
        if hasattr(os, 'register_at_fork'):
            os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        "In a worker forked from this process (gunicorn --preload): the zygote is the parent's; start our own."
        sock = self.sock
        self.thread = self.sock = self.proc = None
        self.ready = threading.Event()
        self.lock = threading.Lock()
        self.waiters = {}
        self.failed = None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self, prefork: int) -> None:
        "Start the zygote if it is not running (returns at once; `spawn` waits for it to be ready)."
        with self.lock:
            if self.thread is not None and self.thread.is_alive():
                return
            self.ready.clear()
            self.failed = None
            self.stopping = False
            self.prefork = prefork
            self.thread = threading.Thread(target=self._run, args=(prefork, app_modules()),
                                           name='fasthtml-live-zygote', daemon=True)
            self.thread.start()
            if not self._atexit:
                import atexit
                atexit.register(self.stop)
                self._atexit = True

    def _run(self, prefork: int, modules: list[str]) -> None:
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pkg_root = str(Path(__file__).resolve().parents[1])
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(p for p in (pkg_root, env.get('PYTHONPATH', '')) if p)
        cmd = [sys.executable, '-c', 'from fasthtml._live_session import zygote; zygote()', str(b.fileno()),
               str(os.getpid())]
        try:
            proc = subprocess.Popen(cmd, pass_fds=(b.fileno(),), stdin=subprocess.DEVNULL, env=env)
        except OSError as e:
            self.failed = f'failed:{e}'
            self.ready.set()
            a.close()
            b.close()
            return
        b.close()
        self.proc, self.sock = proc, a
        try:
            ctl_send(a, {'path': [p for p in sys.path if isinstance(p, str)], 'cwd': os.getcwd(),
                         'preload': _preload(), 'modules': modules, 'prefork': prefork})
            while True:
                got = ctl_recv(a)
                if got is None:
                    break
                msg = got[0]
                o = msg.get('o')
                if o == 'ready':
                    self.ready.set()
                elif o == 'spawned':
                    fut = self.waiters.pop(msg['r'], None)
                    if fut is not None and not fut.done():
                        fut.set_result(msg['pid'])
                elif o == 'exit':
                    sessions = self.dirs.get(msg['dir'])
                    if sessions is not None:
                        sessions.exited(msg)
        except OSError:
            pass
        finally:
            if not self.stopping:
                log.error('live: the isolation zygote (pid %d) stopped unexpectedly (exit code %s); the next session '
                          'starts another', proc.pid, proc.poll())
            self.failed = self.failed or 'failed:the zygote stopped'
            self.sock = None
            for fut in list(self.waiters.values()):
                if not fut.done():
                    fut.set_exception(Stopped(self.failed))
            self.waiters.clear()
            a.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
            self.ready.set()

    async def spawn(self, msg: dict, fds: list[int]) -> int:
        "Ask the zygote for a session process (given its listening socket and slot); returns its pid."
        deadline = time.monotonic() + 120
        while not self.ready.is_set():
            if time.monotonic() > deadline:
                raise Stopped('failed:the zygote did not start within 120 s')
            await asyncio.sleep(0.02)
        sock = self.sock
        if self.failed or sock is None:
            raise Stopped(self.failed or 'failed:no zygote')
        r = next(self.rids)
        fut: concurrent.futures.Future = concurrent.futures.Future()
        self.waiters[r] = fut
        try:
            with self.lock:
                ctl_send(sock, {**msg, 'o': 'spawn', 'r': r}, fds)
            pid = await asyncio.wait_for(asyncio.wrap_future(fut), 120)
        except (OSError, asyncio.TimeoutError):
            raise Stopped('failed:the zygote did not answer') from None
        finally:
            self.waiters.pop(r, None)
        if not pid:
            raise Stopped('failed:could not fork')
        return pid

    def stop(self) -> None:
        "Stop the zygote and every session process it started (at exit; also safe to call twice)."
        self.stopping = True
        sock, proc = self.sock, self.proc
        if sock is not None:
            with contextlib.suppress(OSError):
                with self.lock:
                    ctl_send(sock, {'o': 'stop'})
        if proc is not None and proc.poll() is None:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(5)


manager = _Manager()
