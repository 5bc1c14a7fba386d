"""Request size limits with safe defaults: body size, form fields, files, and the size of one multipart part.

`FastHTML(limits=Limits(max_body=100 * 2**20))` sets them per app. The body limit is enforced as the body arrives
(by `BodyLimitMiddleware`, so a handler reading `await req.body()` is protected too); the form limits when the
form is parsed. Exceeding a size gives 413, too many fields or files 400, each with a message naming the limit.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import anyio.lowlevel
from starlette.exceptions import HTTPException
from starlette.types import Scope

from ._errors import refuse

__all__ = ['Limits', 'DEFAULT_LIMITS', 'BodyLimitMiddleware', 'limits_of']

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    "Per-app request limits. Set a value to `None` to lift that limit (only behind a proxy that enforces its own)."
    max_body: int | None = 16 * MiB  # the whole request body, uploads included
    max_fields: int | None = 1000  # form fields (multipart or urlencoded)
    max_files: int | None = 100  # uploaded files in one multipart body
    max_part_size: int | None = 1 * MiB  # one non-file multipart part, or one urlencoded value

    def __post_init__(self) -> None:
        for name in ('max_body', 'max_fields', 'max_files', 'max_part_size'):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
                raise ValueError(f'Limits.{name} must be a non-negative int or None, got {v!r}')

    def form_kwargs(self) -> dict:
        "Keyword arguments for Starlette's `Request.form(...)`."
        inf = float('inf')
        return dict(max_files=inf if self.max_files is None else self.max_files,
                    max_fields=inf if self.max_fields is None else self.max_fields,
                    max_part_size=2**62 if self.max_part_size is None else self.max_part_size)


DEFAULT_LIMITS = Limits()


def limits_of(scope: Scope) -> Limits:
    "The limits of the app serving `scope` (the defaults when the app sets none)."
    return getattr(scope.get('app'), 'limits', None) or DEFAULT_LIMITS


def _too_large(n: int | str, limit: int) -> str:
    return f'Request body too large: {n} bytes; the limit is {limit} bytes (Limits.max_body)'


_NO_LENGTH_NO_BODY = frozenset(('1.0', '1.1'))


class BodyLimitMiddleware:
    """Refuse request bodies over `max_body` bytes with 413: at once when `Content-Length` says so, else as the
    (chunked) body streams in, which raises a 413 HTTPException in whatever is reading it."""

    def __init__(self, app: Callable, max_body: int | None = DEFAULT_LIMITS.max_body) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        "The ASGI entry: answers 413 when an HTTP request body grows past `max_body`."
        limit = self.max_body
        if scope['type'] != 'http' or limit is None:
            await self.app(scope, receive, send)
            return
        clen = None
        framed = False  # a Transfer-Encoding header: the body streams in without a declared length
        for k, v in scope.get('headers') or ():
            if k == b'content-length':
                clen = v
                break
            if k == b'transfer-encoding':
                framed = True
        if clen is None and not framed and scope.get('http_version') in _NO_LENGTH_NO_BODY:
            # HTTP/1.x: a request with neither Content-Length nor Transfer-Encoding has no body (RFC 9112 6.3),
            # and the server frames it so, so there is nothing to count. (HTTP/2 and 3 bodies need neither.)
            await self.app(scope, receive, send)
            return
        if clen is not None:
            try:
                n = int(clen)
                if n < 0:
                    raise ValueError
            except ValueError:
                await refuse(scope, receive, send, 400,
                             f'Invalid Content-Length header: {clen[:40].decode("latin-1")!r}', close=True)
                return
            if n > limit:
                await refuse(scope, receive, send, 413, _too_large(n, limit), close=True)
                return
            # The server enforces Content-Length framing, so the body cannot be longer than declared.
            await self.app(scope, receive, send)
            return
        seen = 0
        started = False

        async def counting_receive() -> dict:
            nonlocal seen
            msg = await receive()
            if msg['type'] == 'http.request':
                seen += len(msg.get('body', b''))
                if seen > limit and not started:
                    # A response may be on its way, its disconnect listener reading the body alongside (Starlette's
                    # FileResponse and StreamingResponse do): let it start first. Once it has, whoever still reads
                    # only drains the body; a 413 could no longer be sent, and raising would break the response.
                    await anyio.lowlevel.checkpoint()
                    if not started:
                        raise HTTPException(413, _too_large(f'more than {limit}', limit))
            return msg

        async def watching_send(msg: dict) -> None:
            nonlocal started
            if msg['type'] == 'http.response.start':
                started = True
            await send(msg)
        await self.app(scope, counting_receive, watching_send)


