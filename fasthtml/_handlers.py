"""Helpers that wrap or extend handlers, exported from `fasthtml.core`: `add_sig_param`, `into` (pass a handler's
result through a layout), `ApiReturn` (one handler for browsers and API clients), and `until_disconnect` /
`cancel_on_disconnect` (stop work nobody will receive).

Wrappers keep the handler's name (routing derives paths and methods from it) and publish the combined signature, so
the parameter plan is built from it at registration like any other handler's."""
from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from ._workers import run_sync

__all__ = ['add_sig_param', 'into', 'ApiReturn', 'until_disconnect', 'cancel_on_disconnect']

_P = inspect.Parameter
_VAR = (_P.VAR_POSITIONAL, _P.VAR_KEYWORD)


def _with_param(sig: inspect.Signature, p: inspect.Parameter) -> inspect.Signature:
    "`sig` with `p` added in the place its kind allows (keyword-only parameters go before `**kwargs`)."
    ps = list(sig.parameters.values())
    i = len(ps)
    while i and ps[i - 1].kind > p.kind:
        i -= 1
    return sig.replace(parameters=ps[:i] + [p] + ps[i:])


_NoneType = type(None)


def add_sig_param(f: Callable, name: str, typ: Any = _NoneType, kind: Any = _P.KEYWORD_ONLY,
                  default: Any = _P.empty) -> Callable:
    """Add parameter `name` (annotated `typ`) to the signature `f` publishes, in place, and return `f`; a parameter
    of that name already there is left as it is. The function itself must accept it (e.g. through `**kwargs`)."""
    sig = inspect.signature(f)
    if name in sig.parameters:
        return f
    try:
        f.__signature__ = _with_param(sig, _P(name, kind, default=default, annotation=typ))  # type: ignore[attr-defined]
    except AttributeError:
        raise TypeError(f'add_sig_param: cannot set the signature of {f!r}; wrap it in a function first') from None
    return f


def _split(params: list[inspect.Parameter]) -> tuple[list[str], bool]:
    "Names of the parameters a function takes by name, and whether it takes **kwargs."
    return [p.name for p in params if p.kind not in _VAR], any(p.kind == _P.VAR_KEYWORD for p in params)


def into(func: Callable) -> Callable[[Callable], Callable]:
    """Decorator passing a handler's return value to `func(result, ...)`, e.g. a page layout, or to `func(*result,
    ...)` when `func` takes `*c` (a tuple result spread, None as nothing); `func`'s other parameters join the
    handler's signature as keyword-only parameters, so they are filled from the request like the handler's own
    (a name both use gets the same value)."""
    fps = list(inspect.signature(func).parameters.values())
    if not fps or fps[0].kind == _P.VAR_KEYWORD:
        raise TypeError(f'into: {getattr(func, "__qualname__", func)} must take the handler\'s result as its first '
                        f'parameter (or as `*c`)')
    # `def layout(*c, title: str = ...)`, as FastHTML's layouts are written: a tuple result is spread into `c`.
    star = fps[0].kind == _P.VAR_POSITIONAL
    func_names, _ = _split(fps[1:])
    func_async = inspect.iscoroutinefunction(func)

    def apply(r: Any, fk: dict) -> Any:
        if not star:
            return func(r, **fk)
        return func(*(r if isinstance(r, tuple) else () if r is None else (r,)), **fk)

    def deco(f: Callable) -> Callable:
        sig = inspect.signature(f)
        hps = list(sig.parameters.values())
        h_names, h_varkw = _split(hps)
        for p in fps[1:]:
            if p.kind not in _VAR and p.name not in sig.parameters:
                sig = _with_param(sig, p.replace(kind=_P.KEYWORD_ONLY))
        h_async = inspect.iscoroutinefunction(f)
        only_func = set(func_names) - set(h_names)

        def split(kw: dict) -> tuple[dict, dict]:
            hk = {k: v for k, v in kw.items() if k not in only_func and (h_varkw or k in h_names)}
            return hk, {k: kw[k] for k in func_names if k in kw}

        if h_async or func_async:
            async def wrapper(*args: Any, **kw: Any) -> Any:
                hk, fk = split(kw)
                if h_async:
                    r = await f(*args, **hk)
                else:  # a sync handler still runs in a worker thread
                    r = await run_sync(functools.partial(f, *args, **hk))
                out = apply(r, fk)
                return await out if inspect.isawaitable(out) else out
        else:
            def wrapper(*args: Any, **kw: Any) -> Any:  # type: ignore[misc]
                hk, fk = split(kw)
                return apply(f(*args, **hk), fk)
        w = functools.wraps(f)(wrapper)
        w.__signature__ = sig  # type: ignore[attr-defined]
        return w
    return deco


# ---------------------------------------------------------------------------------------------------------------
# One handler for browsers and API clients

def _q(params: str) -> float:
    for p in params.split(';'):
        k, _, v = p.strip().partition('=')
        if k.strip().lower() == 'q':
            try:
                return max(0.0, min(1.0, float(v)))
            except ValueError:
                return 0.0
    return 1.0


def wants_json(accept: str) -> bool:
    """Whether an `Accept` header prefers JSON to HTML: `application/json` must be acceptable and rank above
    `text/html`; a tie goes to JSON only when HTML was matched by a wildcard alone (`application/json, */*`)."""
    json_q = html_q = 0.0
    html_exact = False
    best: dict[str, float] = {'text/html': -1, 'text/*': -1, '*/*': -1}
    for item in accept.split(','):
        mt, _, params = item.partition(';')
        mt = mt.strip().lower()
        if mt == 'application/json':
            json_q = max(json_q, _q(params))
        elif mt in best:
            best[mt] = max(best[mt], _q(params))
    for mt in ('text/html', 'text/*', '*/*'):  # the most specific range that is present decides
        if best[mt] >= 0:
            html_q, html_exact = best[mt], mt == 'text/html'
            break
    if json_q <= 0:
        return False
    return json_q > html_q or (json_q == html_q and not html_exact)


class ApiReturn:
    """A handler parameter: `api(page, **data)` returns `data` (sent as JSON) when the client prefers
    `application/json`, else `page`. `bool(api)` says which it is. Built from the request's `Accept` header."""

    def __init__(self, isapi: bool = False) -> None:
        self.isapi = isapi

    @classmethod
    def __from_request__(cls, req: Request) -> ApiReturn:
        return cls(wants_json(req.headers.get('accept', '')))

    def __call__(self, norm: Any = None, **kw: Any) -> Any:
        return kw if self.isapi else norm

    def __bool__(self) -> bool:
        return self.isapi

    def __repr__(self) -> str:
        return f'ApiReturn(isapi={self.isapi})'


# ---------------------------------------------------------------------------------------------------------------
# Stopping work when the client goes away

async def _disconnected(req: Request) -> None:
    "Return once the client has disconnected."
    try:
        # Read the body first (Starlette caches it on the request, so the handler still gets it): what follows on
        # the channel can then only be the disconnect. A body already streamed (form parsing) raises RuntimeError.
        await req.body()
    except ClientDisconnect:
        return
    except RuntimeError:
        pass
    while True:
        message = await req.receive()
        if message['type'] == 'http.disconnect':
            return


_UNSET = object()


async def until_disconnect(req: Request, coro: Awaitable) -> Any:
    """Await `coro` and return its result, unless the client disconnects first: then `coro` is cancelled and the
    result is an empty 204 response (nobody is there to read it)."""
    try:
        await req.body()  # before the race, so `coro` and the watcher never read the body at the same time
    except ClientDisconnect:
        if inspect.iscoroutine(coro):
            coro.close()
        return Response(status_code=204)
    except RuntimeError:
        pass  # already streamed by form parsing
    result: Any = _UNSET
    error: BaseException | None = None

    async with anyio.create_task_group() as tg:
        async def work() -> None:
            nonlocal result, error
            try:
                result = await coro
            except Exception as e:  # noqa: BLE001 (re-raised below, outside the task group, unwrapped)
                error = e
            tg.cancel_scope.cancel()

        async def watch() -> None:
            await _disconnected(req)
            tg.cancel_scope.cancel()
        tg.start_soon(work)
        tg.start_soon(watch)
    if error is not None:
        raise error
    if result is _UNSET:
        if inspect.iscoroutine(coro) and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:
            coro.close()  # cancelled before it started: close it so Python does not warn it was never awaited
        return Response(status_code=204)
    return result


async def _timed(coro: Awaitable, timeout: float, name: str) -> Any:
    try:
        with anyio.fail_after(timeout):
            return await coro
    except TimeoutError:
        raise HTTPException(503, f'{name} did not finish within {timeout:g} s') from None


def cancel_on_disconnect(f: Callable | None = None, *, timeout: float | None = None) -> Any:
    """Decorator for an `async def` handler: cancel it when the client disconnects (the response is then an empty
    204), and with `timeout` (seconds), when it runs longer (503). Use as `@cancel_on_disconnect` or
    `@cancel_on_disconnect(timeout=30)`, below the route decorator."""
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ValueError(f'cancel_on_disconnect: timeout must be a positive number of seconds, got {timeout!r}')

    def deco(f: Callable) -> Callable:
        name = getattr(f, '__qualname__', repr(f))
        if not inspect.iscoroutinefunction(f):
            raise TypeError(f'cancel_on_disconnect: {name} must be an async def handler (a sync handler runs in a '
                            f'worker thread, which cannot be cancelled)')
        sig = inspect.signature(f)
        own = next((p.name for p in sig.parameters.values()
                    if isinstance(p.annotation, type) and issubclass(p.annotation, Request)), None)
        req_name = own or '_fh_request'
        if own is None:
            sig = _with_param(sig, _P(req_name, _P.KEYWORD_ONLY, annotation=Request))

        @functools.wraps(f)
        async def wrapper(*args: Any, **kw: Any) -> Any:
            req = kw[req_name] if own else kw.pop(req_name)
            coro = f(*args, **kw)
            if timeout is not None:
                coro = _timed(coro, timeout, name)
            return await until_disconnect(req, coro)
        wrapper.__signature__ = sig  # type: ignore[attr-defined]
        return wrapper
    return deco(f) if f is not None else deco
