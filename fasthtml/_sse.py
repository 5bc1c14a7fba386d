"""SERVER-SENT EVENTS: the response behind `EventStream`, which ends cleanly however the stream has to stop.

A stream stops when its generator is exhausted, when the client disconnects (noticed at once, not at the next
write) and when the server shuts down (`shutdown_event`, see fasthtml._shutdown), so a reload or a Ctrl-C never
waits on an open stream. Either way the generator is closed, so its `finally` blocks run (an unsubscribe, say).
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from ._shutdown import shutdown_event

__all__ = ['EventStreamResponse', 'sse_encode']

SSE_HEADERS = {'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no'}
_END = object()


def sse_encode(item: Any) -> str | bytes:
    """One yielded item on the wire: `str` and `bytes` as they are (already in the SSE format, e.g. from
    `sse_message`); anything else (FT, `__ft__` objects, numbers) through `sse_message` as a `message` event."""
    if isinstance(item, (str, bytes)):
        return item
    from ._ftextras import sse_message
    return sse_message(item)


def _next(it: Any) -> Any:
    return next(it, _END)


async def _events(src: Any) -> AsyncIterator[str | bytes]:
    "Iterate a sync or async iterable (sync ones in a worker thread), stopping at shutdown; always close it."
    if isinstance(src, (str, bytes)):
        src = [src]
    aiter_ = src.__aiter__() if hasattr(src, '__aiter__') else None
    it = iter(src) if aiter_ is None else None
    try:
        while not shutdown_event.is_set():
            if aiter_ is not None:
                try:
                    item = await aiter_.__anext__()
                except StopAsyncIteration:
                    return
            else:
                item = await anyio.to_thread.run_sync(_next, it)
                if item is _END:
                    return
            if item is not None:
                yield sse_encode(item)
    finally:
        with anyio.CancelScope(shield=True):
            if aiter_ is not None and hasattr(aiter_, 'aclose'):
                await aiter_.aclose()
            elif it is not None and hasattr(it, 'close'):
                await anyio.to_thread.run_sync(it.close)


class EventStreamResponse(StreamingResponse):
    "A `text/event-stream` response that ends on generator exhaustion, client disconnect or server shutdown."
    media_type = 'text/event-stream'

    def __init__(self, content: Any, status_code: int = 200, headers: dict | None = None,
                 background: BackgroundTask | None = None):
        self.source = content
        super().__init__(_events(content), status_code=status_code, headers={**SSE_HEADERS, **(headers or {})},
                         media_type=self.media_type, background=background)
        self._started = self._finished = False

    async def stream_response(self, send: Send) -> None:
        await send({'type': 'http.response.start', 'status': self.status_code, 'headers': self.raw_headers})
        self._started = True
        async for chunk in self.body_iterator:
            if not isinstance(chunk, (bytes, memoryview)):
                chunk = chunk.encode(self.charset)
            await send({'type': 'http.response.body', 'body': chunk, 'more_body': True})
        await send({'type': 'http.response.body', 'body': b'', 'more_body': False})
        self._finished = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gone = False

        async with anyio.create_task_group() as tg:
            async def stream() -> None:
                nonlocal gone
                try:
                    await self.stream_response(send)
                except OSError:  # the client went away mid-write
                    gone = True
                tg.cancel_scope.cancel()

            async def disconnect() -> None:
                nonlocal gone
                await self.listen_for_disconnect(receive)
                gone = True
                tg.cancel_scope.cancel()

            async def shutdown() -> None:
                await shutdown_event.wait()
                tg.cancel_scope.cancel()

            tg.start_soon(stream)
            tg.start_soon(disconnect)
            tg.start_soon(shutdown)

        with anyio.CancelScope(shield=True):
            await self.body_iterator.aclose()  # type: ignore[attr-defined]
            if self._started and not self._finished and not gone:
                # Stopped by shutdown: end the chunked body properly so the server can close the connection.
                try:
                    await send({'type': 'http.response.body', 'body': b'', 'more_body': False})
                except (OSError, RuntimeError):
                    pass
            elif not self._started and not gone:
                await send({'type': 'http.response.start', 'status': self.status_code, 'headers': self.raw_headers})
                await send({'type': 'http.response.body', 'body': b'', 'more_body': False})
        if self.background is not None:
            await self.background()
