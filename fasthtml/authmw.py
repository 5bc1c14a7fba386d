"""HTTP Basic authentication as ASGI middleware: `BasicAuthMiddleware` and the `user_pwd_auth` shortcut."""
from __future__ import annotations

import base64
import binascii
import hmac
import re
from typing import Any, Callable, Iterable, Mapping  # noqa: UP035 (module names: typing's, as FastHTML's Mapping)

from starlette.middleware import Middleware
from starlette.requests import HTTPConnection
from starlette.responses import Response

__all__ = ['BasicAuthMiddleware', 'user_pwd_auth', 'auth_hdrs', 'basic_logout']

# The header of a 401 that asks the browser for Basic credentials (FastHTML's name).
auth_hdrs = {'WWW-Authenticate': 'Basic realm="login"'}


def _unauthorized(realm: str) -> Response:
    "The 401 that makes a browser show its login prompt: FastHTML's body and headers exactly (no content type)."
    return Response('not authenticated', status_code=401, headers={'WWW-Authenticate': f'Basic realm="{realm}"'})


def _compile_skip(skip: Iterable[str] | str | None) -> tuple[frozenset[str], list[re.Pattern]]:
    "Skip entries match a path exactly, or as a full-match regex (as Beforeware's skip list does)."
    if skip is None:
        return frozenset(), []
    if isinstance(skip, str):
        skip = [skip]
    skip = list(skip)
    pats = []
    for s in skip:
        try:
            pats.append(re.compile(s))
        except re.error:
            pass  # not a regex: exact match only
    return frozenset(skip), pats


class BasicAuthMiddleware:
    """Require HTTP Basic credentials on every HTTP and websocket request whose path is not in `skip`.

    `cb(username, password)` returns a truthy value to accept; the accepted user name is put in `scope['auth']`,
    so handlers receive it as their `auth` parameter. Malformed `Authorization` headers are a 401, never a 500."""

    def __init__(self, app: Callable, cb: Callable[[str, str], Any], skip: Iterable[str] | str | None = None,
                 realm: str = 'login') -> None:
        if not callable(cb):
            raise TypeError(f'BasicAuthMiddleware: cb must be callable, got {cb!r}')
        if '"' in realm or '\r' in realm or '\n' in realm:
            raise ValueError(f'BasicAuthMiddleware: invalid realm {realm!r}')
        self.app, self.cb, self.realm = app, cb, realm
        self.skip_exact, self.skip_pats = _compile_skip(skip)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        "The ASGI entry: checks the credentials of HTTP and websocket requests outside `skip`."
        if scope['type'] not in ('http', 'websocket') or self._skipped(scope.get('path', '')):
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        user = self.authenticate(conn)
        if not user:
            if scope['type'] == 'websocket':
                await send({'type': 'websocket.close', 'code': 1008})
            else:
                await _unauthorized(self.realm)(scope, receive, send)
            return
        scope['auth'] = user
        await self.app(scope, receive, send)

    def _skipped(self, path: str) -> bool:
        return path in self.skip_exact or any(p.fullmatch(path) for p in self.skip_pats)

    def authenticate(self, conn: HTTPConnection) -> str | None:
        "The user name if `conn` carries Basic credentials that `cb` accepts, else None (malformed headers included)."
        header = conn.headers.get('authorization')
        if not header:
            return None
        scheme, _, credentials = header.partition(' ')
        if scheme.lower() != 'basic' or not credentials.strip():
            return None
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode('utf-8')
        except (ValueError, UnicodeDecodeError, binascii.Error):
            return None
        username, sep, password = decoded.partition(':')
        if not sep:
            return None
        return username if self.cb(username, password) else None


def user_pwd_auth(lookup: Mapping[str, str] | Callable[[str, str], Any] | None = None,
                  skip: Iterable[str] | str | None = None, **kwargs: str) -> Middleware:
    """A `Middleware` for `FastHTML(middleware=[...])` accepting the users in `lookup` (a dict of user -> password,
    or a callable `(user, password) -> bool`) and in `kwargs`; the user name `logout` is always refused, so sending
    it makes the browser forget its credentials. Passwords are compared in constant time."""
    if isinstance(lookup, Mapping):
        users: dict[str, str] = {**lookup, **kwargs}
        check = None
    elif callable(lookup) or lookup is None:
        users, check = dict(kwargs), lookup
    else:
        raise TypeError(f'user_pwd_auth: lookup must be a dict or a callable, got {type(lookup).__name__}')

    def cb(user: str, pwd: str) -> Any:
        if not user or not pwd or user == 'logout':
            return False
        if check is not None:
            return check(user, pwd)
        expected = users.get(user)
        if expected is None:
            return False
        return hmac.compare_digest(expected.encode('utf-8'), pwd.encode('utf-8'))

    return Middleware(BasicAuthMiddleware, cb=cb, skip=skip)


def basic_logout(request: HTTPConnection) -> str:
    """A URL on this site carrying the credentials `logout:logout`: redirecting there makes the browser replace the
    Basic credentials it remembers with ones `user_pwd_auth` always refuses, so the user must sign in again."""
    u = request.url
    host = u.netloc.rpartition('@')[2]  # never carry over credentials that were in the URL
    return f'{u.scheme}://logout:logout@{host}/'
