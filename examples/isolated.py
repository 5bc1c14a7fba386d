"""Isolated sessions: each browser session's live components run in a process of their own.

Run `python examples/isolated.py` and open http://127.0.0.1:5001 in two browsers (or a normal and a private window):
each session gets its own process, whose id the counter shows. Then misbehave in one of them: a handler that runs
too long is stopped after `timeout_interaction` seconds, `os._exit`, a segfault or a memory blow-up ends only that
session's process. Its components say what happened and offer to start again; the other session never notices, and
neither does the server.

It shows: `Live(app, isolate=True, ...)` with its limits, components written exactly as without isolation (event
handlers, `update()` pushes from `mount()`), and a component kept in the server process (`isolate=False`).
The limits can be set from the environment: ISOLATED_TIMEOUT (seconds, default 5), ISOLATED_IDLE (seconds without
events before a session's process stops, default 600), ISOLATED_MAX (processes at once, default 50).
"""
import asyncio
import ctypes
import os
import time
from datetime import datetime

from fasthtml.common import *
from fasthtml.live import Live, LiveComponent

TIMEOUT = float(os.environ.get('ISOLATED_TIMEOUT', 5))

app, rt = fast_app()
live = Live(app, isolate=True, timeout_interaction=TIMEOUT,
            timeout_inactivity=float(os.environ.get('ISOLATED_IDLE', 600)),
            max_processes=int(os.environ.get('ISOLATED_MAX', 50)), memory_limit='256M')


class Counter(LiveComponent):
    "A counter, and buttons that misbehave: each one only ever hurts this session's process."
    def __init__(self, start: int = 0):
        self.n = start

    def render(self):
        return Article(H3(f'Count: {self.n}', cls='count'), P(f'Running in process {os.getpid()}', cls='pid'),
                       Button('+1', live_click=self.inc, cls='plus'),
                       Button(f'Sleep past {TIMEOUT:g} s', live_click=self.nap, cls='slow secondary'),
                       Button('os._exit(1)', live_click=self.leave, cls='exit secondary'),
                       Button('Segfault', live_click=self.segfault, cls='segv secondary'),
                       Button('Allocate 1 GB', live_click=self.hog, cls='hog secondary'))

    def inc(self):
        self.n += 1

    def nap(self):
        time.sleep(TIMEOUT + 600)

    def leave(self):
        os._exit(1)

    def segfault(self):
        ctypes.string_at(0)

    def hog(self):
        self.blob = bytearray(1 << 30)


class Clock(LiveComponent):
    "Pushes the time every second from its session's process (pushes do not count as activity)."
    def __init__(self):
        self.now = datetime.now().strftime('%H:%M:%S')

    def render(self):
        return P(f'Session clock: {self.now}', cls='clock')

    async def mount(self):
        while True:
            await asyncio.sleep(1)
            self.now = datetime.now().strftime('%H:%M:%S')
            await self.update()


class ServerInfo(LiveComponent, isolate=False):
    "Kept in the server process, even in an isolating app."
    def render(self):
        return P(f'The server runs in process {os.getpid()}.', cls='server-pid')


@rt
def index():
    return Titled('Isolated sessions', ServerInfo(), Counter(), Clock())


serve()
