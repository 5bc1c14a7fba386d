"""Password accounts in a few lines: register, log in and out, roles and admins, stored in SQLite through fastlite.

    app, rt = fast_app()
    accounts = Accounts(app, 'data/users.db')   # adds /login, /register, /logout; every other route needs a login

    @rt('/')
    def index(user: User): return P(f'Hello {user.username}')

    @rt('/admin')
    @accounts.require('admin')                  # a role (admins pass every role check)
    def admin(user: User): ...

What it does for you: passwords are hashed with scrypt (memory-hard, salted, compared in constant time) and never
logged, echoed or returned; a login replaces the whole session with a fresh random session id, stored server side, so
logging out (or changing the password) really ends it; failed logins are rate-limited per account and per client
address, and sign-ups per client address (each costs a scrypt hash and a row); unknown users take as long to refuse as
wrong passwords. Pages are plain forms you can replace.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response

from ._params import form2dict
from ._ratelimit import counters_for, redis_url_from_env
from ._respond import safe_next

__all__ = ['Accounts', 'User', 'hash_password', 'verify_password', 'require_login']

log = logging.getLogger('fasthtml.accounts')

# ---------------------------------------------------------------------------------------------------------------
# Password hashing

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1  # ~16 MiB and ~50 ms per hash on a small machine
MAX_PASSWORD = 1024  # longer inputs are refused before hashing, so nobody can make the server hash megabytes


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode().rstrip('=')


def _unb64(s: str) -> bytes:
    return base64.b64decode(s + '=' * (-len(s) % 4))


def hash_password(password: str, n: int = _SCRYPT_N, r: int = _SCRYPT_R, p: int = _SCRYPT_P) -> str:
    "A salted scrypt hash of `password`, as `scrypt$n$r$p$salt$hash` (the parameters travel with the hash)."
    if not isinstance(password, str):
        raise TypeError('password must be a str')
    salt = secrets.token_bytes(16)
    dk = hashlib.scrypt(password.encode('utf-8'), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 2**20, dklen=32)
    return f'scrypt${n}${r}${p}${_b64(salt)}${_b64(dk)}'


def verify_password(password: str, stored: str) -> bool:
    "Does `password` match the `stored` hash? Constant-time; a malformed hash never matches."
    try:
        kind, n, r, p, salt, dk = stored.split('$')
        if kind != 'scrypt':
            return False
        n_, r_, p_ = int(n), int(r), int(p)
        want = _unb64(dk)
        got = hashlib.scrypt(password.encode('utf-8'), salt=_unb64(salt), n=n_, r=r_, p=p_,
                             maxmem=256 * n_ * r_ + 2**20, dklen=len(want))
    except (ValueError, TypeError, AttributeError):
        return False
    return hmac.compare_digest(got, want)


def _needs_rehash(stored: str, n: int) -> bool:
    return not stored.startswith(f'scrypt${n}${_SCRYPT_R}${_SCRYPT_P}$')


# ---------------------------------------------------------------------------------------------------------------
# Users

@dataclass(frozen=True)
class User:
    """A logged-in user, as handlers receive it (`user: User`, or the `auth` parameter). Never holds the password
    hash. `has_role` is true for admins whatever the role."""
    id: int
    username: str
    roles: tuple[str, ...] = ()
    is_admin: bool = False
    created: float = 0.0
    extra: dict = field(default_factory=dict, compare=False)

    def has_role(self, *roles: str) -> bool:
        "Admin, or holding any of `roles` (with no roles given: any logged-in user)."
        return self.is_admin or not roles or any(r in self.roles for r in roles)

    def __str__(self) -> str:
        return self.username

    @classmethod
    def __from_request__(cls, req: HTTPConnection) -> User | None:
        "Handlers annotated `user: User` get the logged-in user (None on a public page with nobody logged in)."
        return req.scope.get('user')


_USERNAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.@+\-]{2,63}$')
_ROLE = re.compile(r'^[A-Za-z0-9_.:\-]{1,64}$')


def _roles(roles: Iterable[str] | str | None) -> tuple[str, ...]:
    if roles is None:
        return ()
    if isinstance(roles, str):
        roles = [roles]
    out = []
    for r in roles:
        if not isinstance(r, str) or not _ROLE.match(r):
            raise ValueError(f'Invalid role name {r!r}: use letters, digits and _ . : -')
        if r not in out:
            out.append(r)
    return tuple(out)


def require_login(f: Any) -> Any:
    "Mark a handler as needing a logged-in user (for apps built with `Accounts(protect=False)`)."
    return _mark(f, ())


def _mark(f: Any, roles: tuple[str, ...]) -> Any:
    target = getattr(f, 'fn', f)  # a RouteFunc from @rt wraps the registered function
    try:
        target.__fh_roles__ = roles
    except AttributeError:
        raise TypeError(f'Cannot mark {f!r} as requiring roles: apply the decorator to a function') from None
    return f


def _required_roles(endpoint: Any) -> tuple[str, ...] | None:
    "The roles the matched route's handler was marked with (None: unmarked)."
    h = getattr(endpoint, 'handler', None)
    while h is not None:
        roles = getattr(h, '__fh_roles__', None)
        if roles is not None:
            return roles
        h = getattr(h, '__wrapped__', None)
    return None


# ---------------------------------------------------------------------------------------------------------------
# Default pages (replace them with `Accounts(login_page=...)`, or by overriding the methods)

def _page(title: str, *body: Any) -> Any:
    from .components import H1, Main, Title
    return Title(title), Main(H1(title), *body, cls='container')


def default_login_page(req: Request, error: str | None, username: str, next: str, accounts: Accounts) -> Any:
    "The login form: username, password, and where to go afterwards."
    from .components import A, Button, Form, Input, Label, P
    return _page('Log in',
                 P(error, cls='error', role='alert', id='error') if error else '',
                 Form(Label('Username', Input(name='username', value=username, autocomplete='username',
                                              required=True, autofocus=not username)),
                      Label('Password', Input(name='password', type='password', autocomplete='current-password',
                                              required=True, autofocus=bool(username))),
                      Input(type='hidden', name='next', value=next),
                      Button('Log in', type='submit'), method='post', action=accounts.login_path, id='login-form'),
                 P(A('Create an account', href=accounts.register_path + (f'?next={next}' if next else '')))
                 if accounts.allow_register else '')


def default_register_page(req: Request, error: str | None, username: str, next: str, accounts: Accounts) -> Any:
    "The registration form: username, password twice."
    from .components import A, Button, Form, Input, Label, P
    return _page('Create an account',
                 P(error, cls='error', role='alert', id='error') if error else '',
                 Form(Label('Username', Input(name='username', value=username, autocomplete='username',
                                              required=True, minlength=3, maxlength=64)),
                      Label('Password', Input(name='password', type='password', autocomplete='new-password',
                                              required=True, minlength=accounts.min_password)),
                      Label('Repeat password', Input(name='password2', type='password', autocomplete='new-password',
                                                     required=True)),
                      Input(type='hidden', name='next', value=next),
                      Button('Create account', type='submit'), method='post', action=accounts.register_path,
                      id='register-form'),
                 P(A('I have an account', href=accounts.login_path)))


def default_forbidden_page(req: Request, user: User, accounts: Accounts) -> Any:
    "Shown (with status 403) to a logged-in user who lacks the role a page needs."
    from .components import A, P
    return _page('Forbidden', P(f'{user.username}, your account cannot open this page.'),
                 P(A('Home', href=accounts.home_path), ' · ', A('Log out', href=accounts.logout_path)))


# ---------------------------------------------------------------------------------------------------------------
# Accounts

_SESSION_KEY = '_acct'  # the session id in the (signed) session cookie
_STATIC_SKIP = (r'/favicon\.ico', r'.*\.(?:css|js|map|png|jpe?g|gif|svg|webp|ico|woff2?|ttf|otf|eot|mp4|webm)')


def _str_field(form: dict, name: str, max_len: int = 4096) -> str:
    "A text field from the parsed body: repeated fields, uploads and over-long values count as empty."
    v = form.get(name, '')
    return v if isinstance(v, str) and len(v) <= max_len else ''


class Accounts:
    """Password accounts for `app`, stored in `db` (a path to a SQLite file, or a fastlite database).

    Adds `login_path`, `register_path` (unless `allow_register=False`) and `logout_path`, and Beforeware that puts
    the logged-in `User` in `req.scope['user']` and `['auth']` for every request. With `protect=True` (the default),
    every route except `public` paths (regexes) needs a login; `@accounts.require(*roles)` or
    `accounts.require_paths(pattern, *roles)` add role checks to a route or a group of routes.

    `db` may also be a database URL (`'postgresql://...'`, see fasthtml.db). Attempt counters for the rate limits
    are shared by every worker: in Redis when `rate_limit_url` (or `FASTHTML_PUBSUB_URL`) names one, else in `db`;
    each attempt is counted atomically before it runs (fasthtml._ratelimit)."""

    def __init__(self, app: Any, db: Any = 'accounts.db', *, public: Iterable[str] = (), protect: bool = True,
                 login_path: str = '/login', register_path: str = '/register', logout_path: str = '/logout',
                 home_path: str = '/', allow_register: bool = True, min_password: int = 8,
                 session_max_age: int = 30 * 24 * 3600, max_failures_per_account: int = 5,
                 max_failures_per_address: int = 20, failure_window: int = 15 * 60,
                 max_registrations_per_address: int = 10, table_prefix: str = 'auth_',
                 login_page: Callable | None = None, register_page: Callable | None = None,
                 forbidden_page: Callable | None = None, scrypt_n: int = _SCRYPT_N,
                 rules: dict[str, Iterable[str] | str] | None = None, rate_limit_url: str | None = None) -> None:
        from .core import Beforeware
        for name, p in (('login_path', login_path), ('register_path', register_path),
                        ('logout_path', logout_path), ('home_path', home_path)):
            if not isinstance(p, str) or not p.startswith('/'):
                raise ValueError(f'Accounts: {name} must be a path starting with "/", got {p!r}')
        if not re.match(r'^[A-Za-z_][A-Za-z0-9_]*$', table_prefix or 'x'):
            raise ValueError(f'Accounts: table_prefix must be an identifier, got {table_prefix!r}')
        if scrypt_n < 2**10 or scrypt_n & (scrypt_n - 1):
            raise ValueError('Accounts: scrypt_n must be a power of two, at least 1024')
        self.app = app
        self.login_path, self.register_path, self.logout_path = login_path, register_path, logout_path
        self.home_path, self.allow_register, self.protect = home_path, allow_register, protect
        self.min_password, self.session_max_age = min_password, session_max_age
        self.max_fail_account, self.max_fail_address = max_failures_per_account, max_failures_per_address
        self.failure_window, self.scrypt_n = failure_window, scrypt_n
        self.max_register_address = max_registrations_per_address
        self._login_page = login_page or default_login_page
        self._register_page = register_page or default_register_page
        self._forbidden_page = forbidden_page or default_forbidden_page
        self.public = [re.escape(login_path), re.escape(logout_path), *public]
        if allow_register:
            self.public.append(re.escape(register_path))
        self._public_re = re.compile('|'.join(f'(?:{p})' for p in self.public))
        self._rules: list[tuple[re.Pattern, tuple[str, ...]]] = []
        for pat, roles in (rules or {}).items():
            self.require_paths(pat, *(_roles(roles)))
        self._lock = threading.RLock()
        self.tokens: Any = None  # an ApiTokens (fasthtml.tokens) when API clients may use Bearer tokens
        self._dummy = hash_password(secrets.token_urlsafe(12), n=scrypt_n)
        self._open(db, table_prefix)
        # Attempt counters shared by every worker: Redis when configured (FASTHTML_PUBSUB_URL), else the database.
        self._counters = counters_for(self.db, self.t_throttle, rate_limit_url or redis_url_from_env())
        if self.db is not getattr(app, 'db', None):  # the app's own database is checked already
            from .health import add_ready_check
            add_ready_check(app, 'accounts', lambda: self._q('SELECT 1'))
        app.before.append(Beforeware(self._before, skip=list(_STATIC_SKIP)))
        app.route(login_path, methods=['get', 'post'], name='accounts_login')(self._login)
        if allow_register:
            app.route(register_path, methods=['get', 'post'], name='accounts_register')(self._register)
        app.route(logout_path, methods=['get', 'post'], name='accounts_logout')(self._logout)

    # -- storage
    def _open(self, db: Any, prefix: str) -> None:
        if isinstance(db, (str, Path)):
            from .db import database
            db = database(db)  # a SQLite path (its folder made if missing) or a database URL
        self.db = db
        self.t_users, self.t_sessions, self.t_throttle = f'{prefix}users', f'{prefix}sessions', f'{prefix}throttle'
        with self._lock:
            self.db.t[self.t_users].create(
                dict(id=int, username=str, username_key=str, pwhash=str, roles=str, is_admin=bool, created=float,
                     disabled=bool), pk='id', if_not_exists=True)
            self.db.execute(f'CREATE UNIQUE INDEX IF NOT EXISTS {self.t_users}_key ON {self.t_users}(username_key)')
            self.db.t[self.t_sessions].create(dict(id=str, user_id=int, created=float, expires=float),
                                              pk='id', if_not_exists=True)
            self.db.execute(f'CREATE INDEX IF NOT EXISTS {self.t_sessions}_user ON {self.t_sessions}(user_id)')

    def _q(self, sql: str, params: tuple = ()) -> list[dict]:
        with self._lock:
            return list(self.db.q(sql, params))

    def _x(self, sql: str, params: tuple = ()) -> None:
        with self._lock:
            self.db.execute(sql, params)

    @staticmethod
    def _user(row: dict) -> User:
        return User(id=row['id'], username=row['username'], roles=tuple(json.loads(row['roles'] or '[]')),
                    is_admin=bool(row['is_admin']), created=row['created'] or 0.0)

    def _row(self, username: str) -> dict | None:
        if not isinstance(username, str):
            return None
        rows = self._q(f'SELECT * FROM {self.t_users} WHERE username_key = ?', (username.strip().lower(),))
        return rows[0] if rows else None

    # -- managing users
    def check_username(self, username: str) -> str | None:
        "Why `username` cannot be registered, or None if it can (format only; not whether it is taken)."
        if not isinstance(username, str) or not _USERNAME.match(username):
            return 'Usernames are 3 to 64 characters: letters, digits and _ . @ + - (starting with a letter or digit).'
        return None

    def check_password(self, password: str) -> str | None:
        "Why `password` is not acceptable, or None."
        if not isinstance(password, str) or len(password) < self.min_password:
            return f'Passwords need at least {self.min_password} characters.'
        if len(password) > MAX_PASSWORD:
            return f'Passwords can have at most {MAX_PASSWORD} characters.'
        return None

    def create_user(self, username: str, password: str, roles: Iterable[str] | str = (),
                    is_admin: bool = False) -> User:
        "Add a user; `ValueError` (with a message fit for the user) when the name or password is not acceptable."
        username = username.strip() if isinstance(username, str) else username
        problem = self.check_username(username) or self.check_password(password)
        if problem:
            raise ValueError(problem)
        rs = _roles(roles)
        pwhash = hash_password(password, n=self.scrypt_n)
        with self._lock:
            if self._row(username) is not None:
                raise ValueError('That username is taken.')
            self._x(f'INSERT INTO {self.t_users} (username, username_key, pwhash, roles, is_admin, created, disabled)'
                    f' VALUES (?, ?, ?, ?, ?, ?, 0)', (username, username.lower(), pwhash, json.dumps(list(rs)),
                                                       int(bool(is_admin)), time.time()))
            row = self._row(username)
        assert row is not None
        log.info('account created: %r', username)
        return self._user(row)

    def get_user(self, username: str) -> User | None:
        "The user called `username` (case-insensitive), or None."
        row = self._row(username)
        return self._user(row) if row and not row['disabled'] else None

    def users(self) -> list[User]:
        "Every (enabled) user, oldest first."
        return [self._user(r) for r in self._q(f'SELECT * FROM {self.t_users} WHERE disabled = 0 ORDER BY id')]

    def set_roles(self, username: str, roles: Iterable[str] | str, is_admin: bool | None = None) -> User:
        "Replace a user's roles (and admin flag, when given)."
        row = self._row(username)
        if row is None:
            raise KeyError(f'No user {username!r}')
        admin = row['is_admin'] if is_admin is None else int(bool(is_admin))
        self._x(f'UPDATE {self.t_users} SET roles = ?, is_admin = ? WHERE id = ?',
                (json.dumps(list(_roles(roles))), admin, row['id']))
        return self._user(self._row(username))  # type: ignore[arg-type]

    def set_password(self, username: str, password: str) -> None:
        "Change a user's password, ending all their sessions."
        problem = self.check_password(password)
        if problem:
            raise ValueError(problem)
        row = self._row(username)
        if row is None:
            raise KeyError(f'No user {username!r}')
        self._x(f'UPDATE {self.t_users} SET pwhash = ? WHERE id = ?', (hash_password(password, n=self.scrypt_n),
                                                                       row['id']))
        self.logout_everywhere(username)

    def delete_user(self, username: str) -> None:
        "Remove a user and their sessions."
        row = self._row(username)
        if row is None:
            raise KeyError(f'No user {username!r}')
        if self.tokens is not None:
            self.tokens.revoke_all(username)
        self._x(f'DELETE FROM {self.t_sessions} WHERE user_id = ?', (row['id'],))
        self._x(f'DELETE FROM {self.t_users} WHERE id = ?', (row['id'],))

    def logout_everywhere(self, username: str) -> int:
        "End every session of `username` (and their API tokens); returns how many sessions there were."
        row = self._row(username)
        if row is None:
            return 0
        if self.tokens is not None:
            self.tokens.revoke_all(username)
        n = self._q(f'SELECT count(*) AS n FROM {self.t_sessions} WHERE user_id = ?', (row['id'],))[0]['n']
        self._x(f'DELETE FROM {self.t_sessions} WHERE user_id = ?', (row['id'],))
        return n

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if `password` is theirs, else None. Takes as long for an unknown user as for a wrong password.
        (No rate limit here: the login route applies it.)"""
        if not isinstance(password, str) or not password or len(password) > MAX_PASSWORD:
            return None
        row = self._row(username)
        if row is None or row['disabled']:
            verify_password(password, self._dummy)
            return None
        if not verify_password(password, row['pwhash']):
            return None
        if _needs_rehash(row['pwhash'], self.scrypt_n):
            self._x(f'UPDATE {self.t_users} SET pwhash = ? WHERE id = ?',
                    (hash_password(password, n=self.scrypt_n), row['id']))
        return self._user(row)

    # -- sessions
    @staticmethod
    def _sid_key(token: str) -> str:
        "Sessions are stored by the hash of their id, so a leaked database does not hand out live sessions."
        return hashlib.sha256(token.encode()).hexdigest()

    def login_user(self, session: Any, user: User) -> None:
        "Log `user` in on this session: the old session is dropped and a fresh random session id issued."
        self._end_session(session)
        session.clear()
        token = secrets.token_urlsafe(32)
        now = time.time()
        self._x(f'INSERT INTO {self.t_sessions} (id, user_id, created, expires) VALUES (?, ?, ?, ?)',
                (self._sid_key(token), user.id, now, now + self.session_max_age))
        session[_SESSION_KEY] = token

    def logout_user(self, session: Any) -> None:
        "End this session (server side too, so a copy of the cookie is worthless)."
        self._end_session(session)
        session.clear()

    def _end_session(self, session: Any) -> None:
        token = session.get(_SESSION_KEY)
        if isinstance(token, str):
            self._x(f'DELETE FROM {self.t_sessions} WHERE id = ?', (self._sid_key(token),))

    def current_user(self, session: Any) -> User | None:
        "The user logged in on `session`, or None (expired, logged out, disabled or deleted: None)."
        token = session.get(_SESSION_KEY) if session is not None else None
        if not isinstance(token, str) or len(token) > 100:
            return None
        rows = self._q(f'SELECT u.* FROM {self.t_sessions} s JOIN {self.t_users} u ON u.id = s.user_id '
                       f'WHERE s.id = ? AND s.expires > ? AND u.disabled = 0', (self._sid_key(token), time.time()))
        return self._user(rows[0]) if rows else None

    # -- rate limiting
    def _throttle_keys(self, username: str, addr: str) -> list[tuple[str, int]]:
        return [(f'user:{username.strip().lower()[:64]}', self.max_fail_account),
                (f'addr:{addr}', self.max_fail_address)]

    def _throttled(self, keys: list[tuple[str, int]]) -> int:
        "Seconds until another attempt is allowed (0: allowed now), without counting one."
        wait = 0.0
        with self._lock:
            for key, limit in keys:
                n, left = self._counters.peek(key, self.failure_window)
                if n >= limit:
                    wait = max(wait, left)
        return int(wait) + 1 if wait else 0

    def _attempt(self, keys: list[tuple[str, int]]) -> int:
        """Count one attempt on every key, atomically across threads and workers; the seconds to wait if that puts
        any key over its limit (the attempt must not go ahead), else 0. Counting before trying, rather than after
        failing, keeps parallel requests from all slipping under the limit together."""
        wait = 0.0
        with self._lock:
            for key, limit in keys:
                n, left = self._counters.attempt(key, self.failure_window)
                if n > limit:
                    wait = max(wait, left)
        return int(wait) + 1 if wait else 0

    def _forgive(self, key: str) -> None:
        "Take back one counted attempt on `key` (the login succeeded)."
        with self._lock:
            self._counters.forgive(key)

    def _record_failure(self, keys: list[tuple[str, int]]) -> None:
        with self._lock:
            for key, _ in keys:
                self._counters.attempt(key, self.failure_window)

    def _clear_failures(self, key: str) -> None:
        with self._lock:
            self._counters.clear(key)

    # -- access rules
    def require(self, *roles: str) -> Callable[[Any], Any]:
        """Decorator: this route needs a logged-in user holding one of `roles` (any user when none are given;
        admins always pass). Works above or below `@rt`."""
        rs = _roles(roles)
        return lambda f: _mark(f, rs)

    def require_paths(self, pattern: str, *roles: str) -> None:
        "Every path matching the regex `pattern` needs a logged-in user with one of `roles` (any user if none)."
        self._rules.append((re.compile(pattern), _roles(roles)))

    def add_public(self, *patterns: str) -> None:
        "Let anonymous users reach paths matching these regexes."
        self.public.extend(patterns)
        self._public_re = re.compile('|'.join(f'(?:{p})' for p in self.public))

    def _roles_for(self, req: Request) -> tuple[str, ...] | None:
        "The roles this request needs: None for none at all (a public page), () for any logged-in user."
        marked = _required_roles(req.scope.get('endpoint'))
        path = req.url.path
        needed: tuple[str, ...] | None = marked
        for pat, rs in self._rules:
            if pat.fullmatch(path):
                needed = rs if needed is None else needed + rs
        if needed is None and self.protect and not self._public_re.fullmatch(path):
            needed = ()
        return needed

    def _before(self, req: Request, session: Any) -> Any:
        if self.tokens is not None:
            authorization = req.headers.get('authorization')
            if authorization is not None:
                bearer = self.tokens.authenticate(req, authorization)
                if bearer is not None:
                    return self._before_bearer(req, bearer)
        user = self.current_user(session)
        if user is None and _SESSION_KEY in session:
            session.pop(_SESSION_KEY, None)  # expired or ended elsewhere
        req.scope['user'] = user
        if user is not None:
            req.scope['auth'] = user
        needed = self._roles_for(req)
        if needed is None:
            return None
        if user is None:
            if self.tokens is not None and self.tokens.wants_401(req):
                return self.tokens.unauthorized()
            return self._to_login(req)
        if needed and not user.has_role(*needed):
            return self.forbidden(req, user)
        return None

    def _before_bearer(self, req: Request, bearer: Any) -> Any:
        "A request with an API token (fasthtml.tokens): its user, or its 401; role checks as for sessions."
        if not isinstance(bearer, User):
            return bearer  # the token was refused: a 401 saying why
        req.scope['user'] = req.scope['auth'] = bearer
        needed = self._roles_for(req)
        if needed and not bearer.has_role(*needed):
            return self.tokens.forbidden(needed)
        return None

    def _to_login(self, req: Request) -> Response:
        target = ''
        if req.method == 'GET':
            target = safe_next(req.url.path + (f'?{req.url.query}' if req.url.query else ''), '')
        from urllib.parse import quote
        loc = self.login_path + (f'?next={quote(target, safe="/")}' if target and target != self.home_path else '')
        if req.headers.get('hx-request'):
            return Response(status_code=200, headers={'HX-Redirect': loc})
        return RedirectResponse(loc, status_code=303)

    def forbidden(self, req: Request, user: User) -> Response:
        "The 403 response for a user without the needed role."
        return self._render(req, self._forbidden_page(req, user, self), 403)

    # -- pages
    def login_page(self, req: Request, error: str | None = None, username: str = '', next: str = '') -> Any:
        "The login page (override, or pass `login_page=` to replace it)."
        return self._login_page(req, error, username, next, self)

    def register_page(self, req: Request, error: str | None = None, username: str = '', next: str = '') -> Any:
        "The registration page (override, or pass `register_page=` to replace it)."
        return self._register_page(req, error, username, next, self)

    def _render(self, req: Request, content: Any, status: int) -> Response:
        from ._respond import to_response
        r = to_response(req, content, getattr(self.app, 'body_wrap', None) or (lambda c, r: c), 'accounts')
        r.status_code = status
        return r

    def _after_login(self, req: Request, session: Any, user: User, next_url: str) -> Response:
        self.login_user(session, user)
        loc = safe_next(next_url, self.home_path)
        if req.headers.get('hx-request'):
            return Response(status_code=200, headers={'HX-Redirect': loc})
        return RedirectResponse(loc, status_code=303)

    # -- routes
    def _login(self, req: Request, session: Any, form: FormData) -> Any:
        body = form2dict(form)  # the body only: credentials never come from the query string
        next_url = safe_next(_str_field(body, 'next') or req.query_params.get('next', ''), '')
        if req.method != 'POST':
            if self.current_user(session) is not None:
                return RedirectResponse(next_url or self.home_path, status_code=303)
            return self.login_page(req, None, '', next_url)
        username = _str_field(body, 'username', 256).strip()
        password = _str_field(body, 'password', MAX_PASSWORD)
        addr = req.client.host if req.client else 'unknown'
        keys = self._throttle_keys(username, addr)
        wait = self._attempt(keys)
        if wait:
            log.warning('login throttled for %r from %s', username, addr)
            mins = max(1, (wait + 59) // 60)
            r = self._render(req, self.login_page(req, f'Too many failed attempts. Try again in {mins} minute'
                                                       f'{"s" if mins > 1 else ""}.', username, next_url), 429)
            r.headers['Retry-After'] = str(wait)
            return r
        user = self.authenticate(username, password) if username and password else None
        if user is None:
            log.info('failed login for %r from %s', username, addr)
            return self._render(req, self.login_page(req, 'Wrong username or password.', username, next_url), 401)
        self._clear_failures(keys[0][0])
        self._forgive(keys[1][0])  # only failures count against the address
        log.info('login: %r from %s', user.username, addr)
        return self._after_login(req, session, user, next_url)

    def _register(self, req: Request, session: Any, form: FormData) -> Any:
        body = form2dict(form)  # the body only: credentials never come from the query string
        next_url = safe_next(_str_field(body, 'next') or req.query_params.get('next', ''), '')
        if req.method != 'POST':
            return self.register_page(req, None, '', next_url)
        username = _str_field(body, 'username', 256).strip()
        # Sign-up attempts count per client address within `failure_window` (successful or not: each costs a
        # scrypt hash, and refusals reveal taken usernames), so one client cannot mass-create accounts.
        addr = req.client.host if req.client else 'unknown'
        keys = [(f'register:{addr}', self.max_register_address)]
        wait = self._attempt(keys)
        if wait:
            log.warning('registration throttled from %s', addr)
            mins = max(1, (wait + 59) // 60)
            shown = username if len(username) <= 64 else ''
            r = self._render(req, self.register_page(req, f'Too many sign-ups from your address. Try again in {mins} '
                                                          f'minute{"s" if mins > 1 else ""}.', shown, next_url), 429)
            r.headers['Retry-After'] = str(wait)
            return r
        password = _str_field(body, 'password', MAX_PASSWORD + 1)
        password2 = body.get('password2', password)
        error = self.check_username(username) or self.check_password(password)
        if error is None and password2 != password:
            error = 'The two passwords differ.'
        user = None
        if error is None:
            try:
                user = self.create_user(username, password)
            except ValueError as e:
                error = str(e)
        if user is None:
            shown = username if len(username) <= 64 else ''
            return self._render(req, self.register_page(req, error, shown, next_url), 400)
        return self._after_login(req, session, user, next_url)

    def _logout(self, req: Request, session: Any) -> Any:
        self.logout_user(session)
        if req.headers.get('hx-request'):
            return Response(status_code=200, headers={'HX-Redirect': self.login_path})
        return RedirectResponse(self.login_path, status_code=303)
