"""OAuth2 login: provider clients built on oauthlib's `WebApplicationClient`, and `OAuth`, which adds login to an app.

    client = GitHubAppClient(os.getenv('AUTH_CLIENT_ID'), os.getenv('AUTH_CLIENT_SECRET'))
    class Auth(OAuth):
        def get_auth(self, info, ident, session, state): return RedirectResponse('/', status_code=303)
    oauth = Auth(app, client)   # adds /redirect and /logout, and Beforeware that sends anonymous users to /login

Safer than the original in four ways: every login link carries a fresh random `state` that the callback checks
(so a forged callback cannot log a victim in as the attacker) and a PKCE challenge (RFC 7636, S256) whose secret
verifier only the token exchange sends (so a stolen authorization code is useless; providers without PKCE ignore
both parameters, as OAuth 2 requires; a client whose `login_link` cannot take them, as clients written for
FastHTML, gets FastHTML's call); the page a user is sent back to after login is always a path inside the app; and a
failed token exchange (provider down, bad code) leads to the error page instead of a 500. Clients never keep one
user's token where another user's login could read it: `retr_info` passes the token it fetched straight to `get_info`.

Talking to a provider over plain `http://` (a local test provider) needs `OAUTHLIB_INSECURE_TRANSPORT=1`.
"""
from __future__ import annotations

import base64
import hashlib
import inspect
import json
import logging
import re
import secrets
import time
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, TypeGuard  # noqa: UP035 (oauth.Iterable: typing's, as FastHTML's)
from urllib.parse import urlencode, urlsplit

from fastcore.basics import AttrDictDefault
from oauthlib.oauth2 import WebApplicationClient
from oauthlib.oauth2.rfc6749.parameters import parse_token_response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response

from ._respond import safe_next  # (defined there so fasthtml.accounts needs neither oauthlib nor this module)


class _Lazy:
    "A module imported on first attribute access (httpx2 costs ~40 ms at import; only OAuth's HTTP calls need it)."

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, k: str) -> Any:
        import importlib
        m = importlib.import_module(self._name)
        globals()[self._name] = m
        return getattr(m, k)


httpx2: Any = _Lazy('httpx2')  # FastHTML's HTTP client (httpx's successor), as in the original
if TYPE_CHECKING:
    from httpx2 import Response as HttpResponse

__all__ = ['GoogleAppClient', 'GitHubAppClient', 'HuggingFaceClient', 'DiscordAppClient', 'Auth0AppClient',
           'AppleAppClient', 'OAuth',
           'OAuthError', 'redir_url', 'get_host', 'url_match', 'http_patterns', 'safe_next', 'load_creds', 'log']

log = logging.getLogger('fasthtml.oauth')

# Hosts for which the redirect URL stays on http even when `OAuth(https=True)`: local development.
http_patterns = (r'^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$',)

_HOST_RE = re.compile(r'^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$')


# PKCE: the verifier of the login being completed, read by `_token_request`. A context variable rather than a
# parameter, so `retr_info(code, redirect_uri)` and overrides of it keep their signatures; it follows the callback
# into worker threads (run_in_threadpool copies the context).
_pkce_verifier: ContextVar[str | None] = ContextVar('fasthtml_oauth_pkce_verifier', default=None)


def pkce_pair() -> tuple[str, str]:
    "A fresh PKCE `(code_verifier, code_challenge)`: 64 random URL-safe characters and their S256 challenge."
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode('ascii')).digest()).rstrip(b'=').decode()
    return verifier, challenge


def _with_verifier(data: dict) -> dict:
    v = _pkce_verifier.get()
    if v:
        data['code_verifier'] = v
    return data


class OAuthError(Exception):
    "The provider refused or failed a request (token exchange or user info); `code` is a short machine-readable reason."

    def __init__(self, code: str, msg: str = ''):
        super().__init__(f'{code}: {msg}' if msg else code)
        self.code = code


# ---------------------------------------------------------------------------------------------------------------
# URLs

def url_match(request: Any, patterns: Iterable[str] = http_patterns) -> bool:
    "Does the host of `request` (see `get_host`; or a host string itself) match any of the regexes in `patterns`?"
    host = request if isinstance(request, str) else get_host(request)
    return any(re.match(p, host) for p in patterns)


def _first(v: str) -> str:
    "The first entry of a comma-separated forwarded header (the client-facing proxy's value)."
    return v.split(',')[0].strip()


def get_host(request: Any, trust_proxy: bool = True) -> str:
    """The host (and port) the client used: `X-Forwarded-Host` (what a hosting platform's proxy sets; its first
    value), else the `Host` header, else the request URL's. `request` is a Starlette request or any object with
    `url` and `headers`. `trust_proxy=False` ignores `X-Forwarded-Host` (an app that faces clients directly).
    A value that is not a host name (or address) and port is a 400."""
    hdrs = getattr(request, 'headers', None) or {}
    host = None
    if trust_proxy:
        fwd = hdrs.get('x-forwarded-host') or hdrs.get('X-Forwarded-Host')
        host = _first(fwd) if fwd else None
    if not host:
        host = hdrs.get('host') or hdrs.get('Host')
    if not host:
        url = getattr(request, 'url', None)
        host = (urlsplit(url) if isinstance(url, str) else url).netloc if url is not None else None
    if not host:
        server = (getattr(request, 'scope', None) or {}).get('server')
        if not server:
            raise HTTPException(400, 'Missing Host header')
        h, port = server
        host = h if port in (None, 80, 443) else f'{h}:{port}'
    host = host.strip()
    if not _HOST_RE.match(host):
        raise HTTPException(400, f'Invalid Host header: {host[:60]!r}')
    return host


def redir_url(request: Any, redir_path: str, scheme: str | None = None, trust_proxy: bool = True) -> str:
    """The absolute URL of `redir_path` on the host of `request` (see `get_host`): what the provider sends users
    back to. As in FastHTML it is https, so login works behind a hosting platform's TLS proxy, except for local
    hosts (`http_patterns`: localhost, 127.0.0.1, [::1]), which are http; FastHTML's `scheme` argument is accepted
    and, as there, does not change that (`OAuth(https=False)` gives http everywhere)."""
    return _url(request, redir_path, True, http_patterns, trust_proxy)


def _url(request: Any, path: str, https: bool, patterns: Iterable[str], trust_proxy: bool) -> str:
    host = get_host(request, trust_proxy)
    return f"{'https' if https and not url_match(host, patterns) else 'http'}://{host}{path}"


# ---------------------------------------------------------------------------------------------------------------
# Clients

_tls: Any = None


def _verify() -> Any:
    "One TLS context for every provider call (building one per call costs tens of milliseconds)."
    global _tls
    if _tls is None:
        _tls = httpx2.create_ssl_context()
    return _tls


def _access_token(token: Any) -> str:
    if isinstance(token, dict):
        tok = token.get('access_token')
    else:
        tok = token
    if not tok or not isinstance(tok, str):
        raise OAuthError('missing_token', 'no access token: call parse_response first')
    return tok


class _AppClient(WebApplicationClient):
    "A `WebApplicationClient` that knows its provider's URLs and talks to it with httpx2 (sync and async)."
    base_url = ''
    token_url = ''
    info_url = ''
    id_key = 'sub'
    timeout = 15.0

    def __init__(self, client_id: str, client_secret: str, code: str | None = None, scope: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(client_id, code=code, scope=scope, **kwargs)
        self.client_secret = client_secret

    # -- the authorization link
    def login_link(self, redirect_uri: str | None = None, scope: Any = None, state: str | None = None,
                   **kwargs: Any) -> str:
        "The provider's login URL, which sends the user back to `redirect_uri` with a code (and `state`)."
        return self.prepare_request_uri(self.base_url, redirect_uri, scope, state, **kwargs)

    # -- the token exchange
    def _token_request(self, code: str, redirect_uri: str | None) -> dict:
        body = self.prepare_request_body(code=code, redirect_uri=redirect_uri, client_secret=self.client_secret,
                                         **_with_verifier({}))
        return dict(url=self.token_url, content=body,
                    headers={'Accept': 'application/json', 'Content-Type': 'application/x-www-form-urlencoded'})

    def _token_from(self, r: HttpResponse) -> dict:
        "Parse the provider's token response; an error response raises (oauthlib's error, or OAuthError)."
        try:
            token = dict(parse_token_response(r.text))
        except Exception as e:  # noqa: BLE001 (oauthlib has many error types for a bad response: one OAuthError)
            raise OAuthError('token_exchange_failed', f'HTTP {r.status_code}: {e}') from None
        if r.status_code >= 400:
            raise OAuthError('token_exchange_failed', f'HTTP {r.status_code}')
        # Kept for code that reads `client.token` after `retr_info` (as the docs show); never read back here.
        self.token = token
        self.access_token = token.get('access_token')
        return token

    def parse_response(self, code: str, redirect_uri: str | None = None) -> dict:
        "Exchange the authorization `code` for a token (a dict with `access_token`)."
        with httpx2.Client(timeout=self.timeout, verify=_verify()) as c:
            return self._token_from(c.post(**self._token_request(code, redirect_uri)))

    async def parse_response_async(self, code: str, redirect_uri: str | None = None) -> dict:
        "`parse_response`, without blocking the event loop."
        async with httpx2.AsyncClient(timeout=self.timeout, verify=_verify()) as c:
            return self._token_from(await c.post(**self._token_request(code, redirect_uri)))

    # -- the user's info
    def _info_request(self, token: Any) -> dict:
        return dict(url=self.info_url, headers={'Authorization': f'Bearer {_access_token(token)}',
                                                'Accept': 'application/json'})

    @staticmethod
    def _info_from(r: HttpResponse) -> AttrDictDefault:
        if r.status_code >= 400:
            raise OAuthError('user_info_failed', f'HTTP {r.status_code}')
        try:
            data = r.json()
        except ValueError:
            raise OAuthError('user_info_failed', 'the response is not JSON') from None
        if not isinstance(data, dict):
            raise OAuthError('user_info_failed', 'the response is not a JSON object')
        return AttrDictDefault(data)

    def get_info(self, token: Any = None) -> AttrDictDefault:
        "The authenticated user's info (attribute access; missing keys are None)."
        with httpx2.Client(timeout=self.timeout, verify=_verify()) as c:
            return self._info_from(c.get(**self._info_request(self.token if token is None else token)))

    async def get_info_async(self, token: Any = None) -> AttrDictDefault:
        "`get_info`, without blocking the event loop."
        async with httpx2.AsyncClient(timeout=self.timeout, verify=_verify()) as c:
            return self._info_from(await c.get(**self._info_request(self.token if token is None else token)))

    def retr_info(self, code: str, redirect_uri: str | None = None) -> AttrDictDefault:
        "Exchange `code` for a token and fetch the user's info with it."
        return self.get_info(self.parse_response(code, redirect_uri))

    async def retr_info_async(self, code: str, redirect_uri: str | None = None) -> AttrDictDefault:
        "`retr_info`, without blocking the event loop."
        return await self.get_info_async(await self.parse_response_async(code, redirect_uri))

    def retr_id(self, code: str, redirect_uri: str | None = None) -> Any:
        "The user's unique id (the `id_key` field of their info)."
        return self.retr_info(code, redirect_uri)[self.id_key]


class GoogleAppClient(_AppClient):
    "A `WebApplicationClient` for Google oauth2"
    base_url = 'https://accounts.google.com/o/oauth2/v2/auth'
    token_url = 'https://oauth2.googleapis.com/token'
    info_url = 'https://openidconnect.googleapis.com/v1/userinfo'
    id_key = 'sub'

    def __init__(self, client_id: str, client_secret: str, code: str | None = None, scope: Any = None,
                 project_id: str | None = None, **kwargs: Any) -> None:
        scope = scope or ['openid', 'https://www.googleapis.com/auth/userinfo.email',
                          'https://www.googleapis.com/auth/userinfo.profile']
        super().__init__(client_id, client_secret, code=code, scope=scope, **kwargs)
        self.project_id = project_id

    @classmethod
    def from_file(cls, fname: str | Path, code: str | None = None, scope: Any = None,
                  **kwargs: Any) -> GoogleAppClient:
        "A client from the credentials JSON file Google's console downloads (`web` or `installed` app)."
        data = json.loads(Path(fname).read_text())
        cred = data.get('web') or data.get('installed') or data
        try:
            cid, secret = cred['client_id'], cred['client_secret']
        except KeyError as e:
            raise ValueError(f'{fname}: no {e.args[0]} in the credentials file') from None
        return cls(cid, secret, code=code, scope=scope, project_id=cred.get('project_id'), **kwargs)

    def consent_url(self, proj: str | None = None) -> str:
        "The Google Cloud console page for this project's OAuth consent screen."
        return f'https://console.cloud.google.com/apis/credentials/consent?project={proj or self.project_id}'

    def creds(self) -> Any:
        """Create `Credentials` from the client, refreshing if needed: Google API credentials for the user whose login
        the client completed last (`parse_response`/`retr_info`), with its refresh token when Google sent one.
        Needs the google-auth package."""
        tok = self.token if isinstance(self.token, dict) else {}
        c = _google_credentials()(token=tok.get('access_token'), refresh_token=tok.get('refresh_token'),
                                  token_uri=self.token_url, client_id=self.client_id,
                                  client_secret=self.client_secret, scopes=self.scope)
        return c.update()


# ---------------------------------------------------------------------------------------------------------------
# Google API credentials (google-auth, imported on first use)

_CREDS: Any = None


def _google_credentials() -> Any:
    """`Credentials`: google-auth's user credentials plus FastHTML's `update()` (refresh when expired, over httpx2)
    and `save(fname)`. Built on first use, so apps that never call Google APIs need not install google-auth."""
    global _CREDS
    if _CREDS is not None:
        return _CREDS
    try:
        from google.auth import transport
        from google.oauth2.credentials import Credentials as _UserCredentials
    except ImportError as e:
        raise ImportError('Google API credentials need the google-auth package: pip install google-auth') from e

    class _Response(transport.Response):
        def __init__(self, r: Any) -> None:
            self._r = r

        @property
        def status(self) -> int:
            return self._r.status_code

        @property
        def headers(self) -> Any:
            return self._r.headers

        @property
        def data(self) -> bytes:
            return self._r.content

    class _Request(transport.Request):
        "google-auth's HTTP transport interface, over httpx2."

        def __call__(self, url: str, method: str = 'GET', body: Any = None, headers: Any = None,
                     timeout: Any = None, **kwargs: Any) -> Any:
            try:
                r = httpx2.request(method, url, content=body, headers=headers, timeout=timeout or 30,
                                   verify=_verify())
            except httpx2.HTTPError as e:
                from google.auth.exceptions import TransportError
                raise TransportError(e) from e
            return _Response(r)

    class Credentials(_UserCredentials):
        "Google API credentials (google-auth's) that can refresh themselves and be saved to a file."

        def update(self) -> Credentials:
            "Refresh the credentials if they are expired, and return them"
            if (self.expired or not self.token) and self.refresh_token:
                self.refresh(_Request())
            return self

        def save(self, fname: str | Path) -> None:
            "Save credentials to `fname`"
            Path(fname).write_text(self.to_json())

    Credentials.__module__, Credentials.__qualname__ = __name__, 'Credentials'
    _CREDS = Credentials
    return Credentials


def load_creds(fname: str | Path) -> Any:
    "Load credentials from `fname`"
    return _google_credentials().from_authorized_user_file(str(fname))


def __getattr__(name: str) -> Any:
    if name == 'Credentials':
        return _google_credentials()
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


class AppleAppClient(_AppClient):
    """A `WebApplicationClient` for Sign in with Apple: its client secret is a short-lived JWT signed (ES256) with the
    app's private key, and the user's info comes from the ID token of the token exchange. Needs PyJWT with its
    `crypto` extra (the `cryptography` package)."""
    base_url = 'https://appleid.apple.com/auth/authorize'
    token_url = 'https://appleid.apple.com/auth/token'
    id_key = 'sub'
    secret_ttl = 15552000  # 180 days, Apple's maximum

    def __init__(self, client_id: str, key_id: str, team_id: str, private_key: str, code: str | None = None,
                 scope: Any = None, **kwargs: Any) -> None:
        WebApplicationClient.__init__(self, client_id, code=code, scope=scope or ['name', 'email'], **kwargs)
        self.key_id, self.team_id, self.private_key = key_id, team_id, private_key

    @property
    def client_secret(self) -> str:  # type: ignore[override]
        "A fresh client secret: a JWT from the team to Apple about this client, signed with the private key."
        import jwt
        now = int(time.time())
        claims = {'iss': self.team_id, 'iat': now, 'exp': now + self.secret_ttl, 'aud': 'https://appleid.apple.com',
                  'sub': self.client_id}
        return jwt.encode(claims, self.private_key, algorithm='ES256', headers={'kid': self.key_id})

    def get_info(self, token: Any = None) -> dict:  # type: ignore[override]
        """Decode user info from the ID token (it came straight from Apple's token endpoint over TLS, which OpenID
        Connect accepts without checking its signature again): a dict, as FastHTML's."""
        import jwt
        tok = self.token if token is None else token
        idt = tok.get('id_token') if isinstance(tok, dict) else None
        if not idt:
            raise OAuthError('user_info_failed', 'no ID token: call parse_response first')
        try:
            info = jwt.decode(idt, options={'verify_signature': False})
        except jwt.PyJWTError as e:
            raise OAuthError('user_info_failed', f'the ID token is not a JWT: {e}') from None
        return info

    async def get_info_async(self, token: Any = None) -> dict:  # type: ignore[override]
        "`get_info` (no request is made)."
        return self.get_info(token)


class GitHubAppClient(_AppClient):
    "A `WebApplicationClient` for GitHub oauth2"
    prefix = 'https://github.com/login/oauth/'
    base_url = prefix + 'authorize'
    token_url = prefix + 'access_token'
    info_url = 'https://api.github.com/user'
    id_key = 'id'

    def __init__(self, client_id: str, client_secret: str, code: str | None = None, scope: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(client_id, client_secret, code=code, scope=scope, **kwargs)


class HuggingFaceClient(_AppClient):
    "A `WebApplicationClient` for HuggingFace oauth2"
    prefix = 'https://huggingface.co/oauth/'
    base_url = prefix + 'authorize'
    token_url = prefix + 'token'
    info_url = prefix + 'userinfo'
    id_key = 'sub'

    def __init__(self, client_id: str, client_secret: str, code: str | None = None, scope: Any = None,
                 state: str | None = None, **kwargs: Any) -> None:
        super().__init__(client_id, client_secret, code=code, scope=scope or ['openid', 'profile'], **kwargs)
        self.state = state

    def login_link(self, redirect_uri: str | None = None, scope: Any = None, state: str | None = None,
                   **kwargs: Any) -> str:
        "The login URL; Hugging Face requires a `state`, so one is made up when neither call nor client gives one."
        state = state or self.state or secrets.token_urlsafe(16)
        return super().login_link(redirect_uri, scope, state, **kwargs)


class DiscordAppClient(_AppClient):
    "A `WebApplicationClient` for Discord oauth2"
    base_url = 'https://discord.com/oauth2/authorize'
    token_url = 'https://discord.com/api/oauth2/token'
    revoke_url = 'https://discord.com/api/oauth2/token/revoke'
    info_url = 'https://discord.com/api/users/@me'
    id_key = 'id'

    def __init__(self, client_id: str, client_secret: str, is_user: bool = False, perms: int = 0, scope: Any = None,
                 **kwargs: Any) -> None:
        scope = scope or 'applications.commands applications.commands.permissions.update identify'
        super().__init__(client_id, client_secret, scope=scope, **kwargs)
        self.integration_type = 1 if is_user else 0
        self.perms = perms

    def login_link(self, redirect_uri: str | None = None, scope: Any = None, state: str | None = None,
                   **kwargs: Any) -> str:
        """The login URL, with Discord's `integration_type` (guild or user install) and `permissions`; its
        parameters in FastHTML's order (integration_type, scope, state, redirect_uri), any others after."""
        q = [('response_type', 'code'), ('client_id', self.client_id),
             ('integration_type', str(self.integration_type))]
        if self.perms:
            q.append(('permissions', str(self.perms)))
        sc = scope if scope is not None else self.scope
        q.append(('scope', ' '.join(map(str, sc)) if isinstance(sc, (list, tuple)) else str(sc)))
        if state:
            q.append(('state', state))
        if redirect_uri:
            q.append(('redirect_uri', redirect_uri))
        q += [(k, str(v)) for k, v in kwargs.items() if v is not None]
        return self.base_url + '?' + urlencode(q)

    def _token_request(self, code: str, redirect_uri: str | None) -> dict:
        "Discord authenticates the app with HTTP Basic credentials rather than form fields."
        data = _with_verifier(dict(grant_type='authorization_code', code=code))
        if redirect_uri:
            data['redirect_uri'] = redirect_uri
        return dict(url=self.token_url, data=data, auth=(self.client_id, self.client_secret),
                    headers={'Accept': 'application/json'})

    def parse_response(self, code: str, redirect_uri: str | None = None) -> dict:
        "Exchange the authorization `code` for a token."
        return super().parse_response(code, redirect_uri)


class Auth0AppClient(_AppClient):
    "A `WebApplicationClient` for Auth0 OAuth2"

    def __init__(self, domain: str, client_id: str, client_secret: str, code: str | None = None, scope: Any = None,
                 redirect_uri: str = '', **kwargs: Any) -> None:
        super().__init__(client_id, client_secret, code=code, scope=scope or 'openid email profile', **kwargs)
        self.domain = domain if domain.startswith(('https://', 'http://')) else f'https://{domain}'
        self.domain = self.domain.rstrip('/')
        self.redirect_uri = redirect_uri
        self._config: dict | None = None

    def _fetch_openid_config(self) -> dict:
        "The tenant's endpoints, from its OpenID discovery document (fetched once, on first use)."
        if self._config is not None:
            return self._config
        r = httpx2.get(f'{self.domain}/.well-known/openid-configuration', timeout=self.timeout, verify=_verify())
        if r.status_code >= 400:
            raise OAuthError('discovery_failed', f'HTTP {r.status_code} from {self.domain}')
        try:
            cfg = r.json()
            self.base_url = cfg['authorization_endpoint']
            self.token_url = cfg['token_endpoint']
            self.info_url = cfg['userinfo_endpoint']
        except (ValueError, KeyError, TypeError) as e:
            raise OAuthError('discovery_failed', f'bad discovery document from {self.domain}: {e!r}') from None
        self._config = cfg
        return cfg

    def login_link(self, req: Any = None, scope: Any = None, state: str | None = None,  # type: ignore[override]
                   **kwargs: Any) -> str:
        """The login URL. `req` is a request (the redirect URL is then built from this client's `redirect_uri`
        path on the request's host) or the redirect URL itself."""
        self._fetch_openid_config()
        if isinstance(req, HTTPConnection):
            ru = self.redirect_uri or '/redirect'
            redirect_uri = ru if '://' in ru else redir_url(req, ru)
        else:
            redirect_uri = req or self.redirect_uri or None
        return super().login_link(redirect_uri, scope, state, **kwargs)

    def parse_response(self, code: str, redirect_uri: str | None = None) -> dict:
        "Exchange `code` for the user info, reading the provider's OpenID configuration first."
        self._fetch_openid_config()
        return super().parse_response(code, redirect_uri)

    async def parse_response_async(self, code: str, redirect_uri: str | None = None) -> dict:
        "Exchange `code` for the user info without blocking the loop (configuration read off-loop)."
        if self._config is None:
            await run_in_threadpool(self._fetch_openid_config)
        return await super().parse_response_async(code, redirect_uri)


# ---------------------------------------------------------------------------------------------------------------
# Adding OAuth login to an app

_STATES = '_oauth_states'  # session key: pending logins, {nonce: [app state, next url, issued at, PKCE verifier]}
_NEXT = '_oauth_next'  # session key: where an anonymous user was going when sent to log in
_MAX_PENDING = 8
_STATE_TTL = 15 * 60


def _entry_ok(v: Any) -> TypeGuard[list]:
    "A pending login as stored by `login_link`: [app state, next url, issued at (int), PKCE verifier or None]."
    return isinstance(v, list) and len(v) == 4 and isinstance(v[2], int) and (v[3] is None or isinstance(v[3], str))


def _is_response(o: Any) -> bool:
    return isinstance(o, Response) or hasattr(o, '__response__')


def _takes_pkce(cli: Any) -> bool:
    "Can `cli.login_link` take the PKCE keywords (a `code_challenge` parameter or `**kwargs`)? Decided once."
    link = getattr(cli, 'login_link', None)
    if link is None:
        return True  # prepare_request_uri takes them
    try:
        ps = inspect.signature(link).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind is p.VAR_KEYWORD or p.name == 'code_challenge' for p in ps)


def _pkce_args(challenge: str | None) -> dict:
    return {'code_challenge': challenge, 'code_challenge_method': 'S256'} if challenge else {}


class OAuth:
    """Adds OAuth login to `app` with client `cli`: a callback route at `redir_path`, a logout route, and
    Beforeware that sends anonymous users to `login_path` (except on `skip` paths, the callback, login and error).

    Override `get_auth(info, ident, session, state)` to accept or refuse a user (return a response, True, or a
    falsy value to refuse); `check_invalid(req, session, auth)` to end a session early; `redir_login`, `logout`
    and `login_link` to change those steps."""

    def __init__(self, app: Any, cli: _AppClient, skip: Iterable[str] | None = None, redir_path: str = '/redirect',
                 error_path: str = '/error', logout_path: str = '/logout', login_path: str = '/login',
                 https: bool = True, http_patterns: Iterable[str] = http_patterns, redir_method: str = 'get',
                 trust_proxy: bool = True, home_path: str = '/', pkce: bool = True) -> None:
        from .core import Beforeware
        for name, p in (('redir_path', redir_path), ('error_path', error_path), ('logout_path', logout_path),
                        ('login_path', login_path), ('home_path', home_path)):
            if not isinstance(p, str) or not p.startswith('/'):
                raise ValueError(f'OAuth: {name} must be a path starting with "/", got {p!r}')
        if redir_method.lower() not in ('get', 'post'):
            raise ValueError(f"OAuth: redir_method must be 'get' or 'post', got {redir_method!r}")
        self.app, self.cli = app, cli
        self.redir_path, self.error_path, self.logout_path = redir_path, error_path, logout_path
        self.login_path, self.home_path = login_path, home_path
        self.https, self.http_patterns, self.redir_method = https, tuple(http_patterns), redir_method.lower()
        # PKCE rides the login link only when the client's login_link can take it: a client written for FastHTML
        # (`login_link(redirect_uri, scope, state)`) gets the call FastHTML makes.
        self.trust_proxy, self.pkce = trust_proxy, pkce and _takes_pkce(cli)
        self.skip = [re.escape(redir_path), re.escape(error_path), re.escape(login_path)] + list(skip or [])
        app.before.append(Beforeware(self._before, skip=self.skip))

        async def callback(req: Request, session: Any) -> Any:
            return await self._callback(req, session)
        if self.redir_method == 'post':
            # `response_mode=form_post`: the provider's page posts the code here cross-site; `state` guards it.
            from .csrf import csrf_exempt
            csrf_exempt(callback)
        app.route(redir_path, methods=[self.redir_method], name='oauth_redirect')(callback)
        app.route(logout_path, methods=['get', 'post'], name='oauth_logout')(self._logout)

    # -- extension points
    def redir_login(self, session: Any) -> Response:
        "Where an anonymous user is sent (the login page)."
        return RedirectResponse(self.login_path, status_code=303)

    def redir_url(self, req: HTTPConnection) -> str:
        "The callback URL the provider sends users back to: https unless the host is local (or `https=False`)."
        return _url(req, self.redir_path, self.https, self.http_patterns, self.trust_proxy)

    def login_link(self, req: HTTPConnection, scope: Any = None, state: str | None = None,
                   next: str | None = None) -> str:
        """A link that starts a login at the provider. `state` is the app's own value, handed back to `get_auth`;
        the link carries a fresh random nonce instead, checked on return. After login the user goes to `next`
        (a path in this app), or where they were going when sent to log in, or `home_path`."""
        session = req.scope.get('session')
        if session is None:
            raise RuntimeError('OAuth.login_link needs sessions (FastHTML sets up SessionMiddleware)')
        pending = dict(session.get(_STATES) or {})
        now = int(time.time())
        pending = {k: v for k, v in pending.items() if _entry_ok(v) and now - v[2] < _STATE_TTL}
        while len(pending) >= _MAX_PENDING:
            pending.pop(min(pending, key=lambda k: pending[k][2]))
        nonce = secrets.token_urlsafe(24)
        target = safe_next(next, '') or safe_next(session.get(_NEXT), '')
        verifier, challenge = pkce_pair() if self.pkce else (None, None)
        pending[nonce] = [state, target, now, verifier]
        session[_STATES] = pending
        link = getattr(self.cli, 'login_link', None)
        if link is None:  # a bare oauthlib client (FastHTML gives every WebApplicationClient a login_link)
            return self.cli.prepare_request_uri(self.cli.base_url, self.redir_url(req), scope, nonce,
                                                **_pkce_args(challenge))
        if verifier is None:
            return link(self.redir_url(req), scope, nonce)
        return link(self.redir_url(req), scope, nonce, **_pkce_args(challenge))

    def check_invalid(self, req: HTTPConnection, session: Any, auth: Any) -> Any:
        "Return a response (or True) to end this user's session early (a banned user, say); False to continue."
        return False

    def logout(self, session: Any) -> Any:
        "Forget the login. Return a response to send one other than the redirect to the login page."
        session.pop('auth', None)

    def get_auth(self, info: Any, ident: Any, session: Any, state: Any) -> Any:
        "Accept (a response, or True) or refuse (a falsy value) the user the provider vouched for."
        return True

    # -- the machinery
    def _before(self, req: Request, session: Any) -> Any:
        auth = session.get('auth')
        if not auth:
            if req.method == 'GET' and not req.headers.get('hx-request'):
                target = safe_next(req.url.path + (f'?{req.url.query}' if req.url.query else ''), '')
                if target:
                    session[_NEXT] = target
            return self._for_htmx(req, self.redir_login(session))
        res = self.check_invalid(req, session, auth)
        if res:
            if _is_response(res):
                return res
            self.logout(session)
            return self._for_htmx(req, self.redir_login(session))
        req.scope['auth'] = auth
        return None

    @staticmethod
    def _for_htmx(req: Request, r: Any) -> Any:
        "An HTMX request following a 303 would swap the login page into a fragment: tell htmx to navigate instead."
        if req.headers.get('hx-request') and isinstance(r, RedirectResponse):
            return Response(status_code=200, headers={'HX-Redirect': r.headers['location']})
        return r

    def _fail(self, session: Any, code: str) -> Response:
        session['oauth_error'] = re.sub(r'[^A-Za-z0-9_.\- ]', '', str(code))[:100] or 'error'
        session.pop(_NEXT, None)
        return RedirectResponse(self.error_path, status_code=303)

    def _take_state(self, session: Any, nonce: str | None) -> list | None:
        pending = dict(session.get(_STATES) or {})
        entry = pending.pop(nonce, None) if nonce else None
        session[_STATES] = pending
        if not pending:
            session.pop(_STATES, None)
        if not _entry_ok(entry) or time.time() - entry[2] >= _STATE_TTL:
            return None
        return entry

    async def _retr_info(self, code: str, redirect_uri: str) -> Any:
        cls = type(self.cli)
        sync_only = getattr(cls, 'retr_info', None) is not _AppClient.retr_info and \
            getattr(cls, 'retr_info_async', None) is _AppClient.retr_info_async
        if sync_only or not hasattr(self.cli, 'retr_info_async'):
            return await run_in_threadpool(self.cli.retr_info, code, redirect_uri)
        return await self.cli.retr_info_async(code, redirect_uri)

    async def _callback(self, req: Request, session: Any) -> Any:
        "The provider sends the user back here with `code` and `state` (or `error`)."
        params: Any = req.query_params
        if self.redir_method == 'post':
            from ._params import parse_form
            params = await parse_form(req)
        err, code, nonce = params.get('error'), params.get('code'), params.get('state')
        entry = self._take_state(session, nonce if isinstance(nonce, str) else None)
        if isinstance(err, str) and err:
            return self._fail(session, err)
        if not isinstance(code, str) or not code:
            return self._fail(session, 'missing_code')
        if entry is None:
            log.warning('OAuth callback with an unknown or expired state: refused')
            return self._fail(session, 'invalid_state')
        app_state, target, _, verifier = entry
        tok = _pkce_verifier.set(verifier)
        try:
            info = await self._retr_info(code, self.redir_url(req))
        except Exception as e:  # noqa: BLE001 (provider down, code refused, nonsense: the error page, not a 500)
            log.warning('OAuth token exchange failed: %s: %s', type(e).__name__, e)
            return self._fail(session, e.code if isinstance(e, OAuthError) else 'token_exchange_failed')
        finally:
            _pkce_verifier.reset(tok)
        ident = info.get(getattr(self.cli, 'id_key', 'sub')) if hasattr(info, 'get') else None
        if ident is None:
            return self._fail(session, 'missing_user_id')
        res = self.get_auth(info, ident, session, app_state)
        if hasattr(res, '__await__'):
            res = await res
        if not res:
            session.pop('auth', None)
            return self.redir_login(session)
        session['auth'] = ident
        session.pop(_NEXT, None)
        session.pop('oauth_error', None)
        if _is_response(res):
            return res
        return RedirectResponse(safe_next(target, self.home_path), status_code=303)

    def _logout(self, session: Any) -> Any:
        r = self.logout(session)
        return r if _is_response(r) else RedirectResponse(self.login_path, status_code=303)
