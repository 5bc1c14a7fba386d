"""Cross-site request forgery protection from the headers browsers send: `Sec-Fetch-Site`, then `Origin` vs `Host`.

On by default in `FastHTML(csrf=True)`, and invisible to correct apps: no tokens, no form fields. A request with an
unsafe method (POST, PUT, PATCH, DELETE, ...) is refused with 403 when the browser says it comes from another site:

1. `Sec-Fetch-Site: same-origin` or `none` (typed URL, bookmark) -> allowed.
2. Another `Sec-Fetch-Site` value (`cross-site`, `same-site`) -> refused, unless `Origin` is a trusted origin.
3. No `Sec-Fetch-Site` (older browsers): no `Origin` -> allowed (not a browser: curl, tests, server-to-server);
   `Origin` whose host equals the `Host` header -> allowed; a trusted origin -> allowed; anything else -> refused.

A request carrying `Authorization: Bearer ...` and no `Cookie` header passes too (an API client using a token from
fasthtml.tokens): a forged cross-site request cannot know the token, and without cookies it carries no ambient
authority. The same request with cookies is checked as any other.

GET, HEAD and OPTIONS always pass: they must not change state. Websocket handshakes are checked the same way, which
stops cross-site websocket hijacking (a page on another site opening a socket with the user's cookies).
Opt a route out with `@csrf_exempt` (webhooks posted by other servers carry no browser headers and pass anyway).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from starlette.routing import Match

from ._errors import refuse

__all__ = ['CSRFMiddleware', 'csrf_exempt', 'is_csrf_exempt', 'trusted_origin_set', 'SAFE_METHODS']

SAFE_METHODS = frozenset(('GET', 'HEAD', 'OPTIONS'))


def csrf_exempt(f: Any) -> Any:
    """Mark a route handler as exempt from CSRF checks (for example an endpoint that other sites may post to).
    Works above or below `@rt`."""
    target = getattr(f, 'fn', f)  # a RouteFunc returned by @rt wraps the registered function
    try:
        target.__csrf_exempt__ = True
    except AttributeError:
        raise TypeError(f'csrf_exempt: cannot mark {f!r}; apply it to a function') from None
    return f


def is_csrf_exempt(f: Any) -> bool:
    "Was `f` (a handler) marked with `csrf_exempt`?"
    return bool(getattr(getattr(f, 'fn', f), '__csrf_exempt__', False))


def _norm_origin(o: str) -> str:
    "`scheme://host[:port]`, lower-cased, with default ports dropped; '' if `o` is not an origin."
    try:
        u = urlsplit(o.strip())
        port = u.port
    except ValueError:
        return ''
    if not u.scheme or not u.hostname:
        return ''
    scheme = u.scheme.lower()
    host = u.hostname.lower()
    if ':' in host:
        host = f'[{host}]'
    if port is None or (scheme, port) in (('http', 80), ('https', 443), ('ws', 80), ('wss', 443)):
        return f'{scheme}://{host}'
    return f'{scheme}://{host}:{port}'


def trusted_origin_set(origins: Iterable[str] | str | None) -> frozenset[str]:
    "Normalise a list of trusted origins, failing at startup (not at the first request) on anything malformed."
    if isinstance(origins, str):
        origins = [origins]
    out = []
    for o in origins or ():
        n = _norm_origin(o) if isinstance(o, str) else ''
        if not n:
            raise ValueError(f'trusted_origins: {o!r} is not an origin like "https://example.com"')
        out.append(n)
    return frozenset(out)


def _origin_host(o: str) -> str:
    "The `host[:port]` of an origin header, as a browser would put it in `Host`; '' if unparseable."
    try:
        u = urlsplit(o.strip())
        return (u.netloc or '').lower()
    except ValueError:
        return ''


def _header(scope: dict, name: bytes) -> str | None:
    for k, v in scope.get('headers') or ():
        if k == name:
            return v.decode('latin-1')
    return None


def _token_only(scope: dict) -> bool:
    "Does the request carry `Authorization: Bearer <token>` and no cookies at all?"
    auth = None
    for k, v in scope.get('headers') or ():
        if k == b'cookie':
            return False
        if k == b'authorization':
            auth = v
    return auth is not None and len(auth) > 7 and auth[:7].lower() == b'bearer '


def _exempt_route(app: Any, scope: dict, depth: int = 0) -> bool:
    "Is the route `scope` reaches in `app` marked `csrf_exempt`? Looks inside mounted apps (their routes decide)."
    for route in getattr(getattr(app, 'router', app), 'routes', ()):
        try:
            match, child = route.matches(scope)
        except Exception:  # noqa: BLE001 (a mounted app's route that cannot match this scope: not this one)
            continue
        if match is not Match.FULL:
            continue
        endpoint = getattr(route, 'endpoint', None)
        if endpoint is not None:
            return is_csrf_exempt(getattr(endpoint, 'handler', None) or endpoint)
        sub = getattr(route, 'app', None)  # a Mount: the same question, one level down
        return depth < 8 and sub is not None and _exempt_route(sub, {**scope, **child}, depth + 1)
    return False


class CSRFMiddleware:
    """ASGI middleware refusing cross-site unsafe requests (see the module docstring for the rules).

    `trusted_origins`: origins (`https://admin.example.com`) allowed to post cross-site. A request about to be
    refused is matched against the app's routes, and let through when its handler is marked `csrf_exempt`."""

    def __init__(self, app: Callable, trusted_origins: Iterable[str] | None = None) -> None:
        self.app = app
        self.trusted = trusted_origin_set(trusted_origins)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        "The ASGI entry: refuses cross-site unsafe requests, lets every other scope through."
        typ = scope['type']
        if typ == 'http':
            if scope['method'] in SAFE_METHODS or self.allowed(scope):
                await self.app(scope, receive, send)
                return
            await self._refuse_http(scope, receive, send)
            return
        if typ == 'websocket' and not self.allowed(scope):
            await send({'type': 'websocket.close', 'code': 1008, 'reason': 'cross-site websocket refused'})
            return
        await self.app(scope, receive, send)

    def allowed(self, scope: dict) -> bool:
        "Does this (unsafe) request come from this site, a trusted origin, or a non-browser client?"
        site = _header(scope, b'sec-fetch-site')
        origin = _header(scope, b'origin')
        if site is not None:
            site = site.strip().lower()
            if site in ('same-origin', 'none'):
                return True
            return (origin is not None and _norm_origin(origin) in self.trusted) or self._last_chance(scope)
        if origin is None:
            return True
        if origin != 'null':
            host = _header(scope, b'host')
            if host is not None and _origin_host(origin) == host.strip().lower():
                return True
            if _norm_origin(origin) in self.trusted:
                return True
        return self._last_chance(scope)

    def _last_chance(self, scope: dict) -> bool:
        "For a request about to be refused: an API token without cookies, or an exempt route, still passes."
        return _token_only(scope) or self._exempt(scope)

    def _exempt(self, scope: dict) -> bool:
        "Is the route this request would reach marked `csrf_exempt`? (Only looked up for requests about to fail.)"
        return _exempt_route(scope.get('app'), scope)

    async def _refuse_http(self, scope: dict, receive: Callable, send: Callable) -> None:
        msg = (f'Forbidden: cross-site {scope["method"]} request refused (CSRF protection). The browser reported '
               f'that this request came from another site. If that site is yours, add its origin to '
               f'FastHTML(trusted_origins=[...]); to accept posts from anywhere, mark the route @csrf_exempt.')
        await refuse(scope, receive, send, 403, msg)  # the app's 403 page when it has one
