"""API tokens for clients that are not browsers: short-lived access tokens and rotating refresh tokens for the users
of `Accounts`, accepted as `Authorization: Bearer` wherever the cookie session is.

    accounts = Accounts(app, 'data/users.db')
    tokens = ApiTokens(accounts)          # POST /auth/token, /auth/token/refresh, /auth/token/revoke

    $ curl -d username=ann -d password=... https://example.com/auth/token
    {"access_token": "eyJ...", "token_type": "Bearer", "expires_in": 900, "refresh_token": "...", ...}
    $ curl -H 'Authorization: Bearer eyJ...' https://example.com/notes

Handlers get the user through the same `auth` / `user: User` parameters, and `@accounts.require(...)`,
`require_paths` and `protect` apply as for cookie sessions. A token request carries no cookies, so it needs no
CSRF protection and gets none (fasthtml.csrf lets `Bearer` requests without cookies through; with cookies they are
checked as usual).

Access tokens are JWTs (HS256, signed with a key derived from the app's secret key, so every worker accepts them)
naming the user and the login ("family") they belong to. Every request also looks the login up, as it does for a
cookie session: revoking takes effect at once, and role changes, disabled or deleted users too. Refresh tokens are
random strings stored only as hashes; each works once (a refresh returns a new pair). Presenting one that was already
used means two parties hold it, so that whole login is revoked (reuse detection). `revoke_all(username)` (also done by
`accounts.logout_everywhere` and `set_password`) ends every login of a user. Failed token requests count against the
same per-account and per-address limits as the login form.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .accounts import MAX_PASSWORD, Accounts, User

__all__ = ['ApiTokens', 'TokenError']

log = logging.getLogger('fasthtml.tokens')

_ALG = 'HS256'
_NO_STORE = {'Cache-Control': 'no-store', 'Pragma': 'no-cache'}
_MAX_TOKEN = 4096  # longer Authorization values are refused before any parsing
_LEEWAY = 10  # seconds of clock difference tolerated between the hosts of several workers


class TokenError(Exception):
    "A token or grant that is not accepted: `code` is the OAuth 2 error code, `detail` says why (safe to show)."

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code, self.detail = code, detail


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _quoted(s: str) -> str:
    return '"' + re.sub(r'["\\\r\n]', '', s) + '"'


class ApiTokens:
    """Access and refresh tokens for the users of `accounts` (see the module docstring).

    `access_ttl`/`refresh_ttl`: lifetimes in seconds (15 minutes, 30 days); `max_age`: how long one login may be
    kept alive by refreshing (90 days). `path`: where clients get tokens (`refresh_path`, `revoke_path` default to
    `path + '/refresh'` and `'/revoke'`). `api_paths`: regexes of paths where a request without credentials gets a
    401 instead of the redirect to the login page (any request that asks for JSON and not HTML gets one anyway).
    `secret`: the signing key (default: derived from the app's secret key). `realm`: named in `WWW-Authenticate`."""

    def __init__(self, accounts: Accounts, *, access_ttl: int = 15 * 60, refresh_ttl: int = 30 * 24 * 3600,
                 max_age: int = 90 * 24 * 3600, path: str = '/auth/token', refresh_path: str | None = None,
                 revoke_path: str | None = None, api_paths: tuple[str, ...] | list[str] = (),
                 secret: str | None = None, realm: str = 'api') -> None:
        import jwt  # PyJWT, imported when tokens are used
        self._jwt = jwt
        if not isinstance(accounts, Accounts):
            raise TypeError(f'ApiTokens needs an Accounts object, got {type(accounts).__name__}')
        if getattr(accounts, 'tokens', None) is not None:
            raise ValueError('ApiTokens: these accounts already have API tokens')
        for name, v in (('access_ttl', access_ttl), ('refresh_ttl', refresh_ttl), ('max_age', max_age)):
            if type(v) is not int or v < 1:
                raise ValueError(f'ApiTokens: {name} must be a positive number of seconds, got {v!r}')
        refresh_path = refresh_path or path.rstrip('/') + '/refresh'
        revoke_path = revoke_path or path.rstrip('/') + '/revoke'
        for name, p in (('path', path), ('refresh_path', refresh_path), ('revoke_path', revoke_path)):
            if not isinstance(p, str) or not p.startswith('/'):
                raise ValueError(f'ApiTokens: {name} must be a path starting with "/", got {p!r}')
        key = secret or getattr(accounts.app, 'secret_key', None)
        if not key:
            raise ValueError('ApiTokens needs a signing secret: an app with a secret key, or secret=')
        self.accounts, self.app = accounts, accounts.app
        self.access_ttl, self.refresh_ttl, self.max_age = access_ttl, refresh_ttl, max_age
        self.path, self.refresh_path, self.revoke_path, self.realm = path, refresh_path, revoke_path, realm
        # A key of its own, so a token can never be replayed as a session cookie signature or the reverse.
        self._key = hmac.new(key.encode(), b'fasthtml.tokens.v1', hashlib.sha256).digest()
        self._api_re = re.compile('|'.join(f'(?:{p})' for p in api_paths)) if api_paths else None
        prefix = accounts.t_users[:-len('users')]
        self.t_families, self.t_refresh = f'{prefix}token_families', f'{prefix}refresh_tokens'
        self._create_tables()
        accounts.tokens = self
        accounts.add_public(re.escape(path), re.escape(refresh_path), re.escape(revoke_path))
        self.app.route(path, methods=['post'], name='tokens_issue')(self._issue)
        self.app.route(refresh_path, methods=['post'], name='tokens_refresh')(self._refresh)
        self.app.route(revoke_path, methods=['post'], name='tokens_revoke')(self._revoke)

    def __repr__(self) -> str:
        return f'<ApiTokens {self.path}>'

    def _create_tables(self) -> None:
        a = self.accounts
        with a._lock:
            a.db.t[self.t_families].create(dict(id=str, user_id=int, created=float, expires=float, revoked=float),
                                           pk='id', if_not_exists=True)
            a.db.execute(f'CREATE INDEX IF NOT EXISTS {self.t_families}_user ON {self.t_families}(user_id)')
            a.db.t[self.t_refresh].create(dict(id=str, family=str, user_id=int, created=float, expires=float,
                                               used=float, replaced_by=str), pk='id', if_not_exists=True)
            a.db.execute(f'CREATE INDEX IF NOT EXISTS {self.t_refresh}_family ON {self.t_refresh}(family)')

    # -- the Python API
    def issue(self, user: User) -> dict:
        "Start a new login for `user`: the token response a client gets (access and refresh token, lifetimes)."
        now = time.time()
        fam = secrets.token_urlsafe(16)
        self._expire_old(now)
        self.accounts._x(f'INSERT INTO {self.t_families} (id, user_id, created, expires, revoked) '
                         f'VALUES (?, ?, ?, ?, 0)', (fam, user.id, now, now + self.max_age))
        return self._pair(user.id, fam, now, now + self.max_age)

    def _pair(self, user_id: int, fam: str, now: float, fam_expires: float) -> dict:
        refresh = secrets.token_urlsafe(32)
        expires = min(now + self.refresh_ttl, fam_expires)
        self.accounts._x(f'INSERT INTO {self.t_refresh} (id, family, user_id, created, expires, used, replaced_by) '
                         f'VALUES (?, ?, ?, ?, ?, 0, ?)', (_hash(refresh), fam, user_id, now, expires, ''))
        return {'access_token': self.access_token(user_id, fam, now), 'token_type': 'Bearer',
                'expires_in': self.access_ttl, 'refresh_token': refresh,
                'refresh_expires_in': max(0, int(expires - now))}

    def access_token(self, user_id: int, fam: str, now: float | None = None) -> str:
        "A signed access token for login `fam` of user `user_id` (normally made by `issue` and `refresh`)."
        now = time.time() if now is None else now
        claims = {'sub': str(user_id), 'fam': fam, 'iat': int(now), 'exp': int(now) + self.access_ttl,
                  'jti': secrets.token_urlsafe(8)}
        return self._jwt.encode(claims, self._key, algorithm=_ALG)

    def _claims(self, token: str, verify_exp: bool = True) -> dict:
        jwt = self._jwt
        try:
            claims = jwt.decode(token, self._key, algorithms=[_ALG], leeway=_LEEWAY, options={
                'require': ['sub', 'fam', 'exp', 'iat'], 'verify_exp': verify_exp})
        except jwt.ExpiredSignatureError:
            raise TokenError('invalid_token', 'The access token expired') from None
        except jwt.InvalidTokenError:
            raise TokenError('invalid_token', 'The access token is not valid') from None
        if not isinstance(claims.get('fam'), str) or not str(claims.get('sub', '')).isdigit():
            raise TokenError('invalid_token', 'The access token is not valid')
        return claims

    def verify(self, token: str) -> User:
        "The user an access token stands for; `TokenError` if it is forged, expired, revoked or the user is gone."
        if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN:
            raise TokenError('invalid_token', 'The access token is not valid')
        claims = self._claims(token)
        a = self.accounts
        rows = a._q(f'SELECT u.* FROM {self.t_families} f JOIN {a.t_users} u ON u.id = f.user_id '
                    f'WHERE f.id = ? AND f.user_id = ? AND f.revoked = 0 AND u.disabled = 0',
                    (claims['fam'], int(claims['sub'])))
        if not rows:
            raise TokenError('invalid_token', 'The access token was revoked')
        return a._user(rows[0])

    def refresh(self, refresh_token: str) -> dict:
        """Trade a refresh token for a new pair; the old one stops working. A refresh token used a second time
        revokes its whole login (someone else has a copy) and raises `TokenError`, as does an unknown or expired
        one."""
        if not isinstance(refresh_token, str) or not refresh_token or len(refresh_token) > _MAX_TOKEN:
            raise TokenError('invalid_grant', 'The refresh token is not valid')
        a, key, now = self.accounts, _hash(refresh_token), time.time()
        rows = a._q(f'SELECT t.family, t.user_id, t.expires, t.used, f.revoked, f.expires AS fam_expires '
                    f'FROM {self.t_refresh} t JOIN {self.t_families} f ON f.id = t.family WHERE t.id = ?', (key,))
        if not rows:
            raise TokenError('invalid_grant', 'The refresh token is not valid')
        row = rows[0]
        if row['revoked']:
            raise TokenError('invalid_grant', 'This login was revoked')
        if row['used']:
            self._reused(row['family'], row['user_id'])
        if row['expires'] <= now:
            raise TokenError('invalid_grant', 'The refresh token expired')
        users = a._q(f'SELECT id FROM {a.t_users} WHERE id = ? AND disabled = 0', (row['user_id'],))
        if not users:
            raise TokenError('invalid_grant', 'The refresh token is not valid')
        # Claim the token atomically (in SQLite and PostgreSQL alike): of two concurrent refreshes, one sees its own
        # mark afterwards; the other has met a reused token.
        mark = secrets.token_urlsafe(16)
        a._x(f'UPDATE {self.t_refresh} SET used = ?, replaced_by = ? WHERE id = ? AND used = 0', (now, mark, key))
        won = a._q(f'SELECT replaced_by FROM {self.t_refresh} WHERE id = ?', (key,))
        if not won or won[0]['replaced_by'] != mark:
            self._reused(row['family'], row['user_id'])
        return self._pair(row['user_id'], row['family'], now, row['fam_expires'])

    def _reused(self, fam: str, user_id: int) -> None:
        self._revoke_family(fam)
        log.warning('tokens: a used refresh token came back (user id %s): that login is revoked', user_id)
        raise TokenError('invalid_grant', 'The refresh token was already used; this login is revoked')

    def _revoke_family(self, fam: str) -> None:
        self.accounts._x(f'UPDATE {self.t_families} SET revoked = ? WHERE id = ? AND revoked = 0', (time.time(), fam))

    def revoke(self, token: str) -> bool:
        """End the login a refresh token or an access token (even an expired one) belongs to. False when the token
        is not one of ours."""
        if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN:
            return False
        rows = self.accounts._q(f'SELECT family FROM {self.t_refresh} WHERE id = ?', (_hash(token),))
        if rows:
            self._revoke_family(rows[0]['family'])
            return True
        try:
            claims = self._claims(token, verify_exp=False)
        except TokenError:
            return False
        self._revoke_family(claims['fam'])
        return True

    def revoke_all(self, username: str) -> int:
        "End every token login of `username`; returns how many were live."
        user = self.accounts._row(username)
        if user is None:
            return 0
        a = self.accounts
        n = a._q(f'SELECT count(*) AS n FROM {self.t_families} WHERE user_id = ? AND revoked = 0 AND expires > ?',
                 (user['id'], time.time()))[0]['n']
        a._x(f'UPDATE {self.t_families} SET revoked = ? WHERE user_id = ? AND revoked = 0', (time.time(), user['id']))
        return n

    def _expire_old(self, now: float) -> None:
        "Drop logins (and their refresh tokens) that can no longer be refreshed."
        a = self.accounts
        a._x(f'DELETE FROM {self.t_refresh} WHERE family IN (SELECT id FROM {self.t_families} WHERE expires < ?)',
             (now,))
        a._x(f'DELETE FROM {self.t_families} WHERE expires < ?', (now,))

    # -- requests (called by Accounts for every request with an Authorization: Bearer header)
    def authenticate(self, req: Request, authorization: str) -> Response | User | None:
        """The user a `Bearer` header stands for, a 401 response when the token is not accepted, or None when the
        header is another scheme (basic auth, say), left to others."""
        scheme, _, token = authorization.partition(' ')
        if scheme.lower() != 'bearer':
            return None
        try:
            return self.verify(token.strip())
        except TokenError as e:
            return self.unauthorized(e.code, e.detail)

    def wants_401(self, req: Request) -> bool:
        "Should an anonymous request here get a 401 rather than the login page? (API paths, or JSON wanted.)"
        if self._api_re is not None and self._api_re.fullmatch(req.url.path):
            return True
        accept = req.headers.get('accept', '')
        return 'application/json' in accept and 'text/html' not in accept and not req.headers.get('hx-request')

    def unauthorized(self, code: str | None = None, detail: str | None = None) -> Response:
        "A 401 with `WWW-Authenticate: Bearer ...` (RFC 6750) and a JSON body saying why."
        challenge = f'Bearer realm={_quoted(self.realm)}'
        if code:
            challenge += f', error={_quoted(code)}, error_description={_quoted(detail or "")}'
        body = {'error': code or 'unauthorized',
                'error_description': detail or 'Log in, or send an access token: Authorization: Bearer <token>'}
        return JSONResponse(body, 401, headers={'WWW-Authenticate': challenge, **_NO_STORE})

    def forbidden(self, roles: tuple[str, ...]) -> Response:
        "A 403 for a token whose user lacks the role a route needs."
        detail = f'This needs the role {" or ".join(roles)}'
        return JSONResponse({'error': 'insufficient_scope', 'error_description': detail}, 403, headers={
            'WWW-Authenticate': f'Bearer realm={_quoted(self.realm)}, error="insufficient_scope", '
                                f'error_description={_quoted(detail)}', **_NO_STORE})

    # -- the endpoints
    def _error(self, status: int, code: str, detail: str, headers: dict | None = None) -> Response:
        hdrs = {**_NO_STORE, **(headers or {})}
        if status == 401:
            hdrs['WWW-Authenticate'] = f'Bearer realm={_quoted(self.realm)}'
        return JSONResponse({'error': code, 'error_description': detail}, status, headers=hdrs)

    def _throttled(self, keys: list) -> Response | None:
        wait = self.accounts._throttled(keys)
        if not wait:
            return None
        return self._error(429, 'slow_down', f'Too many failed attempts; try again in {wait} seconds',
                           {'Retry-After': str(wait)})

    def _issue(self, req: Request, data: dict) -> Response:
        grant = _field(data, 'grant_type') or 'password'
        if grant == 'refresh_token':
            return self._refresh(req, data)
        if grant != 'password':
            return self._error(400, 'unsupported_grant_type', 'grant_type must be password or refresh_token')
        username, password = _field(data, 'username', 256).strip(), _field(data, 'password', MAX_PASSWORD)
        if not username or not password:
            return self._error(400, 'invalid_request', 'Send username and password (a form or JSON)')
        a = self.accounts
        addr = req.client.host if req.client else 'unknown'
        keys = a._throttle_keys(username, addr)
        refused = self._throttled(keys)
        if refused is not None:
            log.warning('token request throttled for %r from %s', username, addr)
            return refused
        user = a.authenticate(username, password)
        if user is None:
            a._record_failure(keys)
            log.info('failed token request for %r from %s', username, addr)
            return self._error(401, 'invalid_grant', 'Wrong username or password')
        a._clear_failures(keys[0][0])
        log.info('tokens issued: %r from %s', user.username, addr)
        return JSONResponse(self.issue(user), headers=_NO_STORE)

    def _refresh(self, req: Request, data: dict) -> Response:
        token = _field(data, 'refresh_token', _MAX_TOKEN)
        if not token:
            return self._error(400, 'invalid_request', 'Send refresh_token (a form or JSON)')
        addr = req.client.host if req.client else 'unknown'
        keys = [(f'token:{addr}', self.accounts.max_fail_address)]
        refused = self._throttled(keys)
        if refused is not None:
            return refused
        try:
            body = self.refresh(token)
        except TokenError as e:
            self.accounts._record_failure(keys)
            return self._error(401, e.code, e.detail)
        return JSONResponse(body, headers=_NO_STORE)

    def _revoke(self, req: Request, data: dict, session: Any) -> Response:
        token = _field(data, 'token', _MAX_TOKEN)
        everything = _field(data, 'all').lower() in ('1', 'true', 'yes', 'on')
        user = req.scope.get('user')
        if everything:
            if user is None:
                user = self.accounts.current_user(session)
            if user is None:
                return self.unauthorized()
            return JSONResponse({'revoked': self.revoke_all(user.username)}, headers=_NO_STORE)
        if not token:
            authz = req.headers.get('authorization', '')
            if authz[:7].lower() == 'bearer ' and user is not None:
                token = authz[7:].strip()  # no token named: the one this request came with
            else:
                return self._error(400, 'invalid_request', 'Send token (a refresh or access token), or all=true')
        # RFC 7009: the answer does not tell whether the token was valid.
        self.revoke(token)
        return JSONResponse({'revoked': True}, headers=_NO_STORE)


def _field(data: dict, name: str, max_len: int = 256) -> str:
    v = data.get(name, '')
    return v if isinstance(v, str) and len(v) <= max_len else ''
