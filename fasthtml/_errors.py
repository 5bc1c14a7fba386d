"""Error pages for unhandled exceptions: a traceback page in debug mode; in production FastHTML's plain 500.

htmx ignores error responses by default, so a failing `hx-get` would otherwise change nothing on screen. In debug
mode the traceback comes back as a 500 fragment with `HX-Retarget: body` / `HX-Reswap: innerHTML` and an
`X-FastHTML-Debug` header, and `htmx_error_swap_scr` (added to the default head of debug apps) tells htmx to swap
exactly those responses. In production the answer is `Internal Server Error` as plain text: nothing about the exception.
"""
from __future__ import annotations

import html
import logging
import traceback
from typing import Any

from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .components import Script

__all__ = ['DEBUG_HEADER', 'ErrorPages', 'debug_response', 'error_response', 'htmx_error_swap_scr', 'client_error',
           'not_found', 'log_param_error']

log = logging.getLogger('fasthtml.params')

DEBUG_HEADER = 'X-FastHTML-Debug'

htmx_error_swap_scr = Script('''
document.addEventListener('htmx:beforeSwap', function(e) {
    var x = e.detail.xhr;
    if (x && x.status >= 500 && x.getResponseHeader('X-FastHTML-Debug')) e.detail.shouldSwap = true;
});''')

_STYLE = ('.fh-error{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}'
          '.fh-error h1{color:#b00020;font-size:1.5rem}.fh-error .fh-req{color:#555}'
          '.fh-error pre{background:#f6f6f6;border:1px solid #ddd;padding:1rem;overflow:auto;font-size:.85rem}'
          '.fh-error .fh-frame{margin:0}.fh-error .fh-loc{color:#555}')


def _is_htmx(req: Request) -> bool:
    return 'hx-request' in req.headers and 'hx-history-restore-request' not in req.headers


_CAUSE = 'The above exception was the direct cause of the following exception:'
_CONTEXT = 'During handling of the above exception, another exception occurred:'


def _chain(te: traceback.TracebackException) -> list[tuple[traceback.TracebackException, str | None]]:
    "(exception, label printed before it) pairs, oldest first, the order Python prints a chained traceback in."
    out: list = []
    cur: Any = te
    while cur is not None:
        if cur.__cause__ is not None:
            out.append((cur, _CAUSE))
            cur = cur.__cause__
        elif cur.__context__ is not None and not cur.__suppress_context__:
            out.append((cur, _CONTEXT))
            cur = cur.__context__
        else:
            out.append((cur, None))
            cur = None
    out.reverse()
    return out


def _frames_html(exc: BaseException) -> str:
    "The traceback, innermost call last (as Python prints it), every piece of text escaped."
    parts = []
    for te, label in _chain(traceback.TracebackException.from_exception(exc)):
        if label:
            parts.append(f'<p>{html.escape(label)}</p>')
        rows = []
        for fs in te.stack:
            loc = f'{fs.filename}, line {fs.lineno}, in {fs.name}'
            rows.append(f'<div class="fh-frame"><span class="fh-loc">{html.escape(loc)}</span>\n'
                        f'    {html.escape((fs.line or "").strip())}</div>')
        head = html.escape(''.join(te.format_exception_only()).strip())
        parts.append('<pre>' + '\n'.join(rows) + f'\n<strong>{head}</strong></pre>')
    return ''.join(parts)


def _debug_fragment(req: Request, exc: BaseException) -> str:
    name = html.escape(type(exc).__name__)
    msg = html.escape(str(exc))
    where = html.escape(f'{req.method} {req.url.path}')
    return (f'<div id="fh-error" class="fh-error"><style>{_STYLE}</style>'
            f'<h1>500 Internal Server Error: {name}</h1><p class="fh-msg">{msg}</p>'
            f'<p class="fh-req">while handling <code>{where}</code> (shown because the app runs with debug=True)</p>'
            f'{_frames_html(exc)}</div>')


def _document(title: str, body: str) -> str:
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
            f'<body>{body}</body></html>')


def debug_response(req: Request, exc: BaseException) -> Response:
    """The debug page for `exc`: a 500 fragment that htmx swaps into `<body>` for HTMX requests, a full page for
    browsers, plain text for clients that do not accept HTML."""
    if _is_htmx(req):
        return HTMLResponse(_debug_fragment(req, exc), status_code=500,
                            headers={'HX-Retarget': 'body', 'HX-Reswap': 'innerHTML', DEBUG_HEADER: 'traceback'})
    if 'text/html' not in req.headers.get('accept', ''):
        text = ''.join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return PlainTextResponse(f'{req.method} {req.url.path}\n\n{text}', status_code=500,
                                 headers={DEBUG_HEADER: 'traceback'})
    return HTMLResponse(_document(f'500 {type(exc).__name__}', _debug_fragment(req, exc)), status_code=500,
                        headers={DEBUG_HEADER: 'traceback'})


def error_response(req: Request, exc: BaseException) -> Response:
    "The production answer, as FastHTML's (Starlette's): status 500, `Internal Server Error` as plain text."
    return PlainTextResponse('Internal Server Error', status_code=500)


def _explained(req: Request, status: int, detail: str, reason: str) -> Response | None:
    """With `debug=True`, a browser's page load that went wrong in the parameter stage gets a page saying why (the
    parameter, where it was looked for, what was expected), still with the original's status. Other clients (test
    clients, htmx, APIs) get exactly the original's answer."""
    app = req.scope.get('app')
    if not getattr(app, 'debug', False) or _is_htmx(req) or 'text/html' not in req.headers.get('accept', ''):
        return None
    body = (f'<div id="fh-error" class="fh-error"><style>{_STYLE}</style><h1>{status} {html.escape(detail)}</h1>'
            f'<p class="fh-msg">{html.escape(reason)}</p><p class="fh-req">while handling <code>'
            f'{html.escape(req.method + " " + req.url.path)}</code> (shown because the app runs with debug=True)</p>'
            f'</div>')
    return HTMLResponse(_document(f'{status} {detail}', body), status_code=status, headers={DEBUG_HEADER: 'params'})


def log_param_error(req: Request, exc: Exception) -> str | None:
    "Log a parameter-stage error's `reason` at warning level (the response carries only the original's words)."
    reason = getattr(exc, 'reason', None)
    if reason is not None:
        log.warning('%s %s: %s', req.method, req.url.path, reason)
    return reason


async def client_error(req: Request, exc: HTTPException) -> Response:
    "The answer to a parameter-stage error (`Missing required field: x`, ...): its detail as plain text."
    reason = log_param_error(req, exc)
    detail = str(exc.detail)
    if reason is not None and reason != detail:
        page = _explained(req, exc.status_code, detail, reason)
        if page is not None:
            return page
    return PlainTextResponse(detail, status_code=exc.status_code, headers=exc.headers)


async def not_found(req: Request, exc: Exception) -> Response:
    "FastHTML's 404: the body `404 Not Found` (no content type), whatever the route or the parameter stage said."
    reason = log_param_error(req, exc)
    if reason is not None:
        page = _explained(req, 404, 'Not Found', reason)
        if page is not None:
            return page
    return Response('404 Not Found', status_code=404, headers=getattr(exc, 'headers', None))


class ErrorPages:
    """ASGI middleware, outermost in a FastHTML app's own stack: answers an unhandled exception with the debug or
    production page (read from `fh_app.debug` at the time of the error), then re-raises so the server logs it.
    In production an app's own `exception_handlers` entry for 500 or `Exception` takes precedence."""

    def __init__(self, app: ASGIApp, fh_app: Any):
        self.app = app
        self.fh_app = fh_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return
        started = False

        async def _send(message: Message) -> None:
            nonlocal started
            if message['type'] == 'http.response.start':
                started = True
            await send(message)

        try:
            await self.app(scope, receive, _send)
        except Exception as exc:
            if started:
                raise
            if not getattr(self.fh_app, 'debug', False):
                # Starlette's ServerErrorMiddleware answers: the app's own 500 handler, else FastHTML's plain-text
                # "Internal Server Error"
                raise
            req = Request(scope)
            resp = debug_response(req, exc)
            await resp(scope, receive, send)
            raise


async def refuse(scope: Scope, receive: Receive, send: Send, status: int, msg: str, close: bool = False) -> None:
    """Answer a request that a guard in front of the router refuses (CSRF 403, body limit 400/413) as the app would
    answer `raise HTTPException(status, msg)` in a handler: with the app's own handler for that status (or for
    HTTPException) when it has one, so the refusal looks like the rest of the site, else with `msg` as plain text.
    `close` adds `Connection: close` (the server should not read a body it was told to refuse)."""
    handlers = getattr(scope.get('app'), 'exception_handlers', None) or {}
    handler = handlers.get(status)
    if handler is None:
        for cls in HTTPException.__mro__:
            if cls is Exception:
                break
            handler = handlers.get(cls)
            if handler is not None:
                break
    resp: Response | None = None
    if handler is not None:
        req, exc = Request(scope, receive), HTTPException(status, msg)
        r = await handler(req, exc) if is_async_callable(handler) else await run_in_threadpool(handler, req, exc)
        resp = r if isinstance(r, Response) else None
    if resp is None:
        resp = PlainTextResponse(msg, status)
    if close:
        resp.headers['connection'] = 'close'
    await resp(scope, receive, send)
