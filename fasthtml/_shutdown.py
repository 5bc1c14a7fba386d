"""SHUTDOWN signalling: one process-wide event, set when the server starts shutting down, so open streams end.

uvicorn waits for open connections to finish before it runs the app's lifespan shutdown, so an endless
event stream would hang every reload and every Ctrl-C. At lifespan startup, `install()` chains a handler in
front of the server's SIGINT/SIGTERM handlers that sets `shutdown_event` first; streams watching it (EventStream
does, and generators can poll `shutdown_event.is_set()`) then end and the server's own shutdown proceeds.
"""
from __future__ import annotations

import asyncio
import signal
import threading
from typing import Any

__all__ = ['ShutdownEvent', 'install', 'shutdown_event', 'signal_shutdown', 'uninstall']


class ShutdownEvent:
    """Like `asyncio.Event`, but usable from any thread and any event loop: `is_set()`, `set()`, `clear()` and
    `await wait()`. (An `asyncio.Event` belongs to one loop; this one is created at import time and shared by the
    server, test clients and worker threads alike.)"""

    def __init__(self) -> None:
        self._flag = False
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = set()

    def is_set(self) -> bool:
        "True once shutdown has begun (until the next server startup clears it)."
        return self._flag

    def set(self) -> None:
        "Mark shutdown and wake every `wait()`, whatever loop or thread it runs in."
        self._flag = True
        with self._lock:
            waiters = list(self._waiters)
            self._waiters.clear()
        for loop, fut in waiters:
            try:
                loop.call_soon_threadsafe(_wake, fut)
            except RuntimeError:  # that loop has closed: nobody is waiting any more
                pass

    def clear(self) -> None:
        "Unset the event (done at every server startup, so a restarted server in the same process streams again)."
        self._flag = False

    async def wait(self) -> bool:
        "Wait until the event is set."
        if self._flag:
            return True
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        item = (loop, fut)
        with self._lock:
            self._waiters.add(item)
        if self._flag:  # set between the check and the registration
            _wake(fut)
        try:
            await fut
        finally:
            with self._lock:
                self._waiters.discard(item)
        return True

    def __repr__(self) -> str:
        return f'<ShutdownEvent {"set" if self._flag else "clear"}>'


def _wake(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_result(True)


shutdown_event = ShutdownEvent()


def signal_shutdown() -> ShutdownEvent:
    "The event set when the server shuts down, so open streams (SSE, long polls) can end instead of hanging."
    return shutdown_event


_HANDLED = (signal.SIGINT, signal.SIGTERM)
_previous: dict[int, Any] = {}
_loop: asyncio.AbstractEventLoop | None = None


def _on_signal(sig: int, frame: Any) -> None:
    # A signal handler runs between bytecodes of the main thread: set the flag (an atomic store), wake waiters
    # through the loop's thread-safe queue, then let the server's own handler start its graceful shutdown.
    shutdown_event._flag = True
    loop = _loop
    if loop is not None and not loop.is_closed():
        try:
            loop.call_soon_threadsafe(shutdown_event.set)
        except RuntimeError:
            pass
    prev = _previous.get(sig)
    if callable(prev):
        prev(sig, frame)
    elif prev == signal.SIG_DFL:
        signal.signal(sig, signal.SIG_DFL)
        signal.raise_signal(sig)


def install() -> None:
    "At server startup: clear the event and, in the main thread, put `_on_signal` in front of the current handlers."
    global _loop
    shutdown_event.clear()
    try:
        _loop = asyncio.get_running_loop()
    except RuntimeError:
        _loop = None
    if threading.current_thread() is not threading.main_thread():
        return  # signals are only delivered to the main thread (test clients run the app elsewhere)
    for sig in _HANDLED:
        cur = signal.getsignal(sig)
        if cur is _on_signal:
            continue
        _previous[sig] = cur
        signal.signal(sig, _on_signal)


def uninstall() -> None:
    """At lifespan shutdown: give the signals back to the handlers we chained in front of. The event is left as it
    is: open connections have ended by now, and setting it here would stop the streams of any later app in this
    process (a test client without lifespan, say) until its next startup."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig, prev in list(_previous.items()):
        if signal.getsignal(sig) is _on_signal:
            signal.signal(sig, prev if prev is not None else signal.SIG_DFL)
        del _previous[sig]
