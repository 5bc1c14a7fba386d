"""WEBSOCKET stage: `app.ws(path)` routes whose handlers get their parameters planned once, like HTTP handlers.

CONNECT   Beforeware (a non-None result refuses the socket) -> accept -> conn(...)
MESSAGE   parse_message -> plan.resolve(ws, body, fields + specials) -> handler -> send(return value)
CLOSE     disconn(...), always, however the connection ended

Handlers (and `conn`/`disconn`) may ask for `ws` (the socket), `send` (a function that renders FT and sends one
message per call), `data` (the decoded message), `session`, `scope`, `app`, `htmx` (the HTMX headers the ws
extension sends in `HEADERS`), path parameters, and message fields by name, cast by annotation. A message is
either a JSON object (the htmx ws extension sends the form's values plus a `HEADERS` object) or anything else:
plain text arrives as `data` and as the field `msg`; a binary frame arrives as `data` (bytes). As in FastHTML, a
parameter named like a header (`hx_trigger`, `hx_target`, `user_agent`...) takes the value of that header in the
message's `HEADERS`, ahead of a message field of the same name.

A message whose fields do not fit the handler's parameters is answered, as FastHTML answers it, with one text
message saying what was wrong (`Missing required field: n`, or the conversion's error), logged as a warning, and
the connection stays open. A message that holds text that is not UTF-8 (a lone surrogate, as a JSON escape) is
dropped with a logged warning. A handler that raises closes the socket with code 1011 (logged with its traceback).
Either way the server carries on, and `disconn` runs.
"""
from __future__ import annotations

import asyncio
import inspect
import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastcore.xml import FT as BaseFT
from starlette.routing import WebSocketRoute, compile_path
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ._params import Body, HtmxHeaders, ParamError, Plan, build_plan, htmx_hdrs, lone_surrogate_at, snake2hyphens
from ._render import to_xml
from ._respond import HttpHeader, flat_all
from ._workers import run_sync

__all__ = ['WS_EXTRAS', 'FastWebSocket', 'WsSender', 'parse_message', 'refusal_text', 'ws_payload', 'ws_route']

log = logging.getLogger('fasthtml.ws')

# Names every websocket plan fills from the connection itself rather than from the message.
WS_EXTRAS = ('ws', 'send', 'data', 'htmx')
_HTMX_HEADER_OF = {v.lower(): k for k, v in htmx_hdrs.items()}

_CONNECTED = WebSocketState.CONNECTED
_DISCONNECTED = WebSocketState.DISCONNECTED

# Close codes (RFC 6455): policy violation for a refused socket, internal error for a handler that raised.
CLOSE_REFUSED = 1008
CLOSE_ERROR = 1011


class FastWebSocket(WebSocket):
    "Starlette's WebSocket; `method` is 'GET' (the handshake's method), so Beforeware written for requests works."
    method = 'GET'


def ws_payload(content: tuple) -> str | bytes | None:
    """What one `send(*content)` puts on the wire: FT (and `__ft__` objects) rendered to HTML, `str` as is,
    `bytes` as a binary frame, a dict (or a list of plain data) as JSON; several items make one message."""
    if len(content) == 1:
        o = content[0]
        if isinstance(o, BaseFT):  # the common case: one FT node, nothing to flatten or filter
            return to_xml(o)
        if isinstance(o, str):
            return o
        if isinstance(o, (bytes, bytearray, memoryview)):
            return bytes(o)
        if isinstance(o, dict) or (isinstance(o, list) and not any(_is_ft(x) for x in flat_all(o))):
            return json.dumps(o)
    items = [o for o in flat_all(content) if o is not None and not isinstance(o, HttpHeader)]
    return to_xml(*items) if items else None


def _is_ft(o: Any) -> bool:
    return isinstance(o, BaseFT) or hasattr(o, '__ft__') or hasattr(o, '__html__')


class WsSender:
    """`send` for one connection: renders its arguments (see `ws_payload`) and sends them as one message.

    Called on the event loop (`await send(ft)`) it returns an awaitable; called from another thread (a sync
    handler, or a thread of your own) it blocks until the message is written. Either way the result is True when
    the message was sent and False once the socket has closed, so broadcasting to a departed client never raises.
    The same object can be stored by a sync `conn` callback and awaited later by async code."""
    __slots__ = ('closed', 'loop', 'raw_send', 'thread', 'ws')

    def __init__(self, ws: WebSocket, raw_send: Callable | None = None):
        "`raw_send`: the connection's ASGI `send`, to skip Starlette's per-message dispatch (default `ws.send`)."
        self.ws = ws
        self.raw_send = raw_send if raw_send is not None else ws.send
        self.closed = False
        self.loop = asyncio.get_running_loop()
        self.thread = threading.get_ident()

    def __call__(self, *content: Any) -> Any:
        if threading.get_ident() == self.thread:
            return self.send(*content)
        if self.closed or self.loop.is_closed():
            return False
        return asyncio.run_coroutine_threadsafe(self.send(*content), self.loop).result()

    async def send(self, *content: Any) -> bool:
        "Send one message; True if it was written, False if the socket is closed."
        payload = ws_payload(content)
        if payload is None or self.closed:
            return False
        ws = self.ws
        if ws.application_state is not _CONNECTED or ws.client_state is _DISCONNECTED:
            self.closed = True
            return False
        try:
            if isinstance(payload, str):
                await self.raw_send({'type': 'websocket.send', 'text': payload})
            else:
                await self.raw_send({'type': 'websocket.send', 'bytes': payload})
        except OSError as e:
            # What Starlette's `send` does when the server reports the client gone.
            log.debug('send on a closed websocket: %s', e)
            ws.application_state = _DISCONNECTED
            self.closed = True
            return False
        except (WebSocketDisconnect, RuntimeError) as e:
            # The client went away between our check and the write; any later send is a no-op too.
            log.debug('send on a closed websocket: %s', e)
            self.closed = True
            return False
        return True


def parse_message(msg: Mapping[str, Any]) -> tuple[dict, Any, dict]:
    """Split one ASGI websocket message into (fields, data, headers).

    A JSON object gives its keys as fields (without `HEADERS`, which becomes headers when it is an object);
    other text gives the field `msg` and `data` (the parsed JSON value, else the text); bytes give only `data`."""
    fields, data, hdrs = _parse(msg)
    headers = {str(k).lower(): str(v) for k, v in hdrs.items()} if isinstance(hdrs, dict) else {}
    return fields, data, headers


def _parse(msg: Mapping[str, Any]) -> tuple[dict, Any, Any]:
    "`parse_message` without normalising the headers: (fields, data, the raw `HEADERS` value or None)."
    text = msg.get('text')
    if text is None:
        raw = msg.get('bytes')
        return {}, (raw if raw is not None else b''), None
    c = text[:1]
    if c == '{' or c in _JSON_START or (c.isspace() and _json_like(text.lstrip())):
        try:
            obj = json.loads(text)
        except ValueError:
            obj = _NOT_JSON
        if isinstance(obj, dict):
            return obj, obj, obj.pop('HEADERS', None)
        if obj is not _NOT_JSON:
            return {'msg': text}, obj, None
    elif c in 'tfn' and text in ('true', 'false', 'null'):
        return {'msg': text}, json.loads(text), None
    return {'msg': text}, text, None


_JSON_START = frozenset('["-0123456789')


def _json_like(s: str) -> bool:
    c = s[:1]
    return c == '{' or c in _JSON_START or s in ('true', 'false', 'null')


_NOT_JSON = object()


def _not_text_at(msg: Mapping[str, Any], fields: dict, data: Any, hdrs: Any) -> str | None:
    "The field of a text message holding a lone surrogate (raw, or as a JSON escape), or None (see the docstring)."
    text = msg.get('text')
    if text is None or (text.isascii() and '\\' not in text):
        return None  # no surrogate can be in it
    for o, what in ((fields, ''), (data, 'data'), (hdrs, 'HEADERS')):
        where = lone_surrogate_at(o) if isinstance(o, (str, dict, list)) else None
        if where is not None:
            return what + ('' if not what or not where or where[0] == '[' else '.') + where
    return None


def _htmx_of(ws: WebSocket, headers: Any) -> HtmxHeaders:
    "HTMX headers from the message's HEADERS (a dict, else ignored), falling back to the handshake's headers."
    vals: dict[str, str | None] = dict.fromkeys(htmx_hdrs)
    for name, v in ws.headers.items():
        k = _HTMX_HEADER_OF.get(name)
        if k is not None:
            vals[k] = v
    if isinstance(headers, dict):
        for name, v in headers.items():
            k = _HTMX_HEADER_OF.get(str(name).lower())
            if k is not None:
                vals[k] = str(v)
    return HtmxHeaders(**vals)


def _header_params(plan: Plan) -> dict[str, str]:
    "The handler's parameters by the (lower-case) header name each would be read from: `hx_trigger` -> hx-trigger."
    return {snake2hyphens(name).lower(): name for name, _ in plan.extractors if name not in WS_EXTRAS}


def _with_headers(fields: dict, headers: dict, by_header: dict[str, str]) -> dict:
    """`fields` plus the parameters named like headers in the message's `HEADERS` (which win), as a new dict; `fields`
    itself when no header names a parameter (the usual case: a copy only when something is added)."""
    x = None
    for k, v in headers.items():
        name = by_header.get(k.lower() if type(k) is str else str(k).lower())
        if name is not None:
            if x is None:
                x = dict(fields)
            x[name] = v
    return fields if x is None else x


def refusal_text(e: ParamError) -> str:
    """What FastHTML answers to a message that cannot fill the handler: the conversion's own error message (`invalid
    literal for int() with base 10: 'x'`), else the first part of the detail (`Missing required field: n`)."""
    cause = e.__context__
    if isinstance(cause, (ValueError, TypeError, OverflowError, ArithmeticError)) and str(cause):
        return str(cause)
    return str(e.detail).split(' (looked in ', 1)[0]


def _extras_used(plan: Plan) -> frozenset:
    """The names of WS_EXTRAS that `plan` reads, decided at registration. A plan holding a nested plan (an
    `__from_request__` parameter) may look any name up in the extras, so it gets them all, as before."""
    used = set()
    for name, ex in plan.extractors:
        if any(isinstance(getattr(c, 'cell_contents', None), Plan) for c in (ex.__closure__ or ())):
            return frozenset(WS_EXTRAS)
        if name in WS_EXTRAS:
            used.add(name)
    return frozenset(used)


async def _call(plan: Plan, kw: dict) -> Any:
    if plan.is_async:
        return await plan.fn(**kw)
    r = await run_sync(lambda: plan.fn(**kw))
    if inspect.isawaitable(r):
        r = await r
    return r


class _WsEndpoint:
    "The ASGI app of one websocket route: every decision about the handler was made at registration."

    def __init__(self, app: Any, path: str, plan: Plan, conn: Plan | None, disconn: Plan | None):
        self.app, self.path, self.plan, self.conn, self.disconn = app, path, plan, conn, disconn
        # Which extras the handler reads (`ws`, `send`, `data`, `htmx`): per message, only those are built, and a
        # handler that reads none of them gets the message's fields as they were parsed.
        self.uses = _extras_used(plan)
        self.by_header = _header_params(plan)

    def _extras(self, plan: Plan, ws: WebSocket, sender: WsSender, data: Any, headers: Any) -> dict:
        x = {'ws': ws, 'send': sender, 'data': data}
        if any(n == 'htmx' for n, _ in plan.extractors):
            x['htmx'] = _htmx_of(ws, headers)
        return x

    async def _refused(self, ws: WebSocket) -> bool:
        "Run the app's Beforeware on the handshake; True when one of them returned something (a refusal)."
        hooks = getattr(self.app, '_hooks', None)
        if hooks is None:
            return False
        path = ws.url.path
        for s in hooks.current(self.app).befores:
            if s.skip is not None and s.skip.skips(path):
                continue
            r = await _call(s.plan, s.plan.resolve(ws, None))
            if r is not None:
                return True
        return False

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        ws = FastWebSocket(scope, receive, send)
        try:
            if await self._refused(ws):
                await ws.close(CLOSE_REFUSED)
                return
        except ParamError as e:
            log.warning('websocket %s refused: %s', self.path, e.detail)
            await ws.close(CLOSE_REFUSED)
            return
        except Exception:
            log.exception('Beforeware raised on websocket %s', self.path)
            await ws.close(CLOSE_ERROR)
            return
        await ws.accept()
        sender = WsSender(ws, send)
        scope.setdefault('fasthtml.ws_tasks', set())
        try:
            await self._session(ws, sender, receive)
        finally:
            sender.closed = True
            for t in list(scope.get('fasthtml.ws_tasks', ())):
                t.cancel()
            if self.disconn is not None:
                try:
                    await _call(self.disconn, self.disconn.resolve(ws, None, self._extras(self.disconn, ws, sender,
                                                                                          None, {})))
                except Exception:
                    log.exception('disconn handler of websocket %s raised', self.path)

    async def _session(self, ws: WebSocket, sender: WsSender, receive: Callable) -> None:
        try:
            if self.conn is not None:
                r = await _call(self.conn, self.conn.resolve(ws, None, self._extras(self.conn, ws, sender, None, {})))
                if r is not None:
                    await sender.send(r)
                if ws.application_state != WebSocketState.CONNECTED:
                    return  # conn closed the socket (refusing it, say)
            plan, uses, by_header = self.plan, self.uses, self.by_header
            resolve, fn, is_async, needs_body = plan.resolve, plan.fn, plan.is_async, plan.needs_body
            use_ws, use_send, use_data, use_htmx = ('ws' in uses, 'send' in uses, 'data' in uses, 'htmx' in uses)
            while True:
                # The raw ASGI receive, doing what Starlette's `ws.receive` does for a connected socket.
                if ws.client_state is _DISCONNECTED:
                    return  # the handler received the disconnect itself
                msg = await receive()
                t = msg['type']
                if t != 'websocket.receive':
                    if t == 'websocket.disconnect':
                        ws.client_state = _DISCONNECTED
                        return
                    raise RuntimeError(f'Expected ASGI message "websocket.receive" or "websocket.disconnect", '
                                       f'but got {t!r}')
                fields, data, headers = _parse(msg)
                bad = _not_text_at(msg, fields, data, headers)
                if bad is not None:
                    log.warning('websocket %s: dropped a message: %r is not valid UTF-8 text', self.path, bad)
                    continue
                body = Body(json_=fields, raw=(msg.get('bytes') or (msg.get('text') or '').encode())) \
                    if needs_body else None
                if headers and by_header and isinstance(headers, dict):
                    fields = _with_headers(fields, headers, by_header)
                if uses:
                    x = dict(fields)  # the extras win over message fields of the same name
                    if use_ws:
                        x['ws'] = ws
                    if use_send:
                        x['send'] = sender
                    if use_data:
                        x['data'] = data
                    if use_htmx:
                        x['htmx'] = _htmx_of(ws, headers)
                else:
                    x = fields
                try:
                    kw = resolve(ws, body, x)
                except ParamError as e:
                    # Answered as FastHTML answers it (a text message), so the page is not left waiting silently.
                    log.warning('websocket %s: a message that does not fit the handler: %s', self.path, e.detail)
                    await sender.send(refusal_text(e))
                    continue
                r = await fn(**kw) if is_async else await _call(plan, kw)
                if r is not None:
                    await sender.send(r)
        except WebSocketDisconnect:
            return
        except Exception:
            log.exception('websocket handler for %s raised; closing the connection', self.path)
            if ws.application_state == WebSocketState.CONNECTED and ws.client_state == WebSocketState.CONNECTED:
                try:
                    await ws.close(CLOSE_ERROR)
                except (RuntimeError, OSError):
                    pass


def _plan(f: Callable, path: str, pparams: frozenset, what: str) -> Plan:
    if not callable(f):
        raise TypeError(f'websocket {what} for {path!r} must be callable, got {type(f).__name__}')
    return build_plan(f, path, pparams, ws=True, extra_names=WS_EXTRAS)


def ws_route(app: Any, path: str, f: Callable, conn: Callable | None = None, disconn: Callable | None = None,
             name: str | None = None, middleware: Sequence | None = None) -> WebSocketRoute:
    "The Starlette WebSocketRoute for handler `f` (and optional `conn`/`disconn` callbacks) at `path`."
    if not isinstance(path, str) or not path.startswith('/'):
        raise ValueError(f'websocket path {path!r} for {getattr(f, "__qualname__", f)!r} must start with "/"')
    pparams = frozenset(compile_path(path)[2])
    ep = _WsEndpoint(app, path, _plan(f, path, pparams, 'handler'),
                     _plan(conn, path, pparams, 'conn') if conn is not None else None,
                     _plan(disconn, path, pparams, 'disconn') if disconn is not None else None)
    return WebSocketRoute(path, ep, name=name, middleware=middleware)
