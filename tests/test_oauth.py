"""OAuth login end to end against a fake OAuth2 provider started on loopback (tests/fake_oauth_provider.py)."""
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from starlette.requests import Request
from starlette.responses import RedirectResponse

from fasthtml.components import A, Div, P
from fasthtml.core import Client, FastHTML
from fasthtml.oauth import (
    Auth0AppClient,
    DiscordAppClient,
    GitHubAppClient,
    GoogleAppClient,
    HuggingFaceClient,
    OAuth,
    OAuthError,
    get_host,
    redir_url,
    safe_next,
    url_match,
)

HERE = Path(__file__).parent
HTTP = httpx2.Client(timeout=5)  # the "browser" side of the flow, talking to the provider


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def provider():
    "The fake provider in its own process, stopped by PID; every call to it has a timeout."
    port = _free_port()
    proc = subprocess.Popen([sys.executable, str(HERE / 'fake_oauth_provider.py'), str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f'http://127.0.0.1:{port}'
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx2.post(f'{url}/_control', json={}, timeout=1)
            break
        except httpx2.HTTPError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f'fake provider did not start: {proc.stderr.read().decode()[-2000:]}') from None
            time.sleep(0.05)
    old = os.environ.get('OAUTHLIB_INSECURE_TRANSPORT')
    os.environ['OAUTHLIB_INSECURE_TRANSPORT'] = '1'  # the provider is plain http on loopback
    try:
        yield url
    finally:
        if old is None:
            os.environ.pop('OAUTHLIB_INSECURE_TRANSPORT', None)
        else:
            os.environ['OAUTHLIB_INSECURE_TRANSPORT'] = old
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def control(provider, **kw):
    return HTTP.post(f'{provider}/_control', json=kw).json()


@pytest.fixture(autouse=True)
def _reset(request):
    if 'provider' in request.fixturenames:
        prov = request.getfixturevalue('provider')
        control(prov, mode='ok', user={'sub': 'u-1', 'id': 1, 'email': 'ann@example.com', 'email_verified': True,
                                       'name': 'Ann', 'login': 'ann'}, clear_log=True)
    yield


def point(cli, provider):
    "Send a client's provider URLs to the fake provider."
    cli.base_url, cli.token_url, cli.info_url = f'{provider}/authorize', f'{provider}/token', f'{provider}/userinfo'
    return cli


def make_app(cli, auth_cls=OAuth, **kw):
    app = FastHTML(secret_key='oauth-test-key-' * 3)
    oauth = auth_cls(app, cli, **kw)

    @app.get('/')
    def home(auth):
        return P(f'home {auth}')

    @app.get('/page')
    def page(auth, x: str = ''):
        return P(f'page {auth} {x}')

    @app.get('/login')
    def login(req):
        return Div(A('Log in', href=oauth.login_link(req), id='go'))

    @app.get('/error')
    def error(session):
        return P(f"error {session.get('oauth_error')}")

    @app.get('/public')
    def public():
        return P('public')
    return app, oauth


def login_href(c) -> str:
    r = c.get('/login')
    assert r.status_code == 200
    return re.search(r'<a href="([^"]+)"', r.text).group(1).replace('&amp;', '&')


def provider_redirect(href) -> str:
    "Follow the login link at the provider (which consents at once) and return where it sends the browser."
    r = HTTP.get(href, follow_redirects=False)
    assert r.status_code == 302, r.text
    return r.headers['location']


def back_to_app(c, location, **kw):
    u = urlsplit(location)
    return c.get(u.path + ('?' + u.query if u.query else ''), follow_redirects=False, **kw)


@pytest.fixture
def gh(provider):
    return point(GitHubAppClient('cid', 'csecret'), provider)


def test_full_login_flow(provider, gh):
    app, oauth = make_app(gh)
    c = Client(app, url='http://localhost:5001')
    r = c.get('/', follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/login')
    href = login_href(c)
    q = parse_qs(urlsplit(href).query)
    assert q['client_id'] == ['cid'] and q['response_type'] == ['code']
    assert q['redirect_uri'] == ['http://localhost:5001/redirect']  # localhost stays http
    assert len(q['state'][0]) >= 32
    loc = provider_redirect(href)
    r = back_to_app(c, loc)
    assert (r.status_code, r.headers['location']) == (303, '/')
    assert c.get('/').text.count('home 1') == 1  # GitHub's id_key is 'id'
    # the token exchange sent the same redirect URI, and no client secret went through the browser
    log = control(provider)['log']
    assert [e[0] for e in log] == ['authorize', 'token', 'userinfo']
    assert log[1][1]['redirect_uri'] == 'http://localhost:5001/redirect'
    assert 'csecret' not in href and 'client_secret' not in href
    # logout
    r = c.get('/logout', follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/login')
    assert c.get('/', follow_redirects=False).status_code == 303


def test_next_url_returns_user_to_the_page(provider, gh):
    app, _ = make_app(gh)
    c = Client(app, url='http://localhost:5001')
    assert c.get('/page?x=42', follow_redirects=False).headers['location'] == '/login'
    r = back_to_app(c, provider_redirect(login_href(c)))
    assert r.headers['location'] == '/page?x=42'
    assert c.get('/page?x=42').text.count('page 1 42') == 1


def test_login_link_next_is_kept_inside_the_app(provider, gh):
    app, oauth = make_app(gh, skip=['/login2'])

    @app.get('/login2')
    def login2(req, nxt: str):
        return Div(A('Log in', href=oauth.login_link(req, next=nxt)))
    for nxt, expected in [('/page?x=1', '/page?x=1'), ('//evil.example/x', '/'), ('https://evil.example', '/'),
                          ('/\\evil.example', '/'), ('javascript:alert(1)', '/'), ('/ok\r\nX: y', '/')]:
        c = Client(app, url='http://localhost:5001')
        r = c.get('/login2', params={'nxt': nxt})
        href = re.search(r'<a href="([^"]+)"', r.text).group(1).replace('&amp;', '&')
        assert back_to_app(c, provider_redirect(href)).headers['location'] == expected, nxt


def test_bad_state_is_refused(provider, gh):
    app, _ = make_app(gh)
    c = Client(app, url='http://localhost:5001')
    loc = provider_redirect(login_href(c))
    forged = re.sub(r'state=[^&]+', 'state=forged', loc)
    r = back_to_app(c, forged)
    assert (r.status_code, r.headers['location']) == (303, '/error')
    assert c.get('/error').text.count('error invalid_state') == 1
    assert c.get('/', follow_redirects=False).status_code == 303  # not logged in


def test_missing_state_is_refused(provider, gh):
    app, _ = make_app(gh)
    c = Client(app, url='http://localhost:5001')
    loc = provider_redirect(login_href(c))
    r = back_to_app(c, re.sub(r'&?state=[^&]+', '', loc))
    assert r.headers['location'] == '/error' and 'invalid_state' in c.get('/error').text


def test_callback_from_another_browser_is_refused(provider, gh):
    "Login CSRF: an attacker's own callback URL, opened in the victim's browser, does not log the victim in."
    app, _ = make_app(gh)
    attacker, victim = Client(app, url='http://localhost:5001'), Client(app, url='http://localhost:5001')
    loc = provider_redirect(login_href(attacker))
    r = back_to_app(victim, loc)
    assert r.headers['location'] == '/error'
    assert victim.get('/', follow_redirects=False).status_code == 303


def test_state_is_single_use(provider, gh):
    app, _ = make_app(gh)
    c = Client(app, url='http://localhost:5001')
    loc = provider_redirect(login_href(c))
    assert back_to_app(c, loc).headers['location'] == '/'
    c.get('/logout')
    assert back_to_app(c, loc).headers['location'] == '/error'


def test_app_state_reaches_get_auth(provider, gh):
    seen = []

    class Auth(OAuth):
        def get_auth(self, info, ident, session, state):
            seen.append((info.email, info.missing, ident, state))
            return RedirectResponse('/page', status_code=303)
    app, oauth = make_app(gh, Auth, skip=['/login3'])

    @app.get('/login3')
    def login3(req):
        return Div(A('Log in', href=oauth.login_link(req, state='draft-42')))
    c = Client(app, url='http://localhost:5001')
    href = re.search(r'<a href="([^"]+)"', c.get('/login3').text).group(1).replace('&amp;', '&')
    assert 'draft-42' not in href  # the app's state stays in the session; the provider sees only the nonce
    r = back_to_app(c, provider_redirect(href))
    assert r.headers['location'] == '/page'
    assert seen == [('ann@example.com', None, 1, 'draft-42')]


def test_get_auth_refusal_sends_to_login(provider, gh):
    class Auth(OAuth):
        def get_auth(self, info, ident, session, state):
            return info.email.endswith('@answer.ai')
    app, _ = make_app(gh, Auth)
    c = Client(app, url='http://localhost:5001')
    r = back_to_app(c, provider_redirect(login_href(c)))
    assert r.headers['location'] == '/login'
    assert c.get('/', follow_redirects=False).status_code == 303


async def test_async_get_auth(provider, gh):
    class Auth(OAuth):
        async def get_auth(self, info, ident, session, state):
            session['name'] = info.name
            return True
    app, _ = make_app(gh, Auth)

    @app.get('/me')
    def me(session):
        return P(session.get('name'))
    c = Client(app, url='http://localhost:5001')
    assert back_to_app(c, provider_redirect(login_href(c))).headers['location'] == '/'
    assert 'Ann' in c.get('/me').text


@pytest.mark.parametrize('mode,code', [('token_500', 'token_exchange_failed'), ('token_error', 'invalid_grant'),
                                       ('token_garbage', 'token_exchange_failed'), ('info_500', 'user_info_failed'),
                                       ('info_list', 'user_info_failed'), ('no_id', 'missing_user_id')])
def test_provider_failures_go_to_the_error_page(provider, gh, mode, code):
    app, _ = make_app(gh)
    c = Client(app, url='http://localhost:5001')
    loc = provider_redirect(login_href(c))
    control(provider, mode=mode)
    r = back_to_app(c, loc)
    assert (r.status_code, r.headers['location']) == (303, '/error')
    text = c.get('/error').text
    assert f'error {code}' in text or (code == 'invalid_grant' and 'error token_exchange_failed' in text), text
    assert c.get('/', follow_redirects=False).status_code == 303


def test_user_denies_consent(provider, gh):
    app, _ = make_app(gh)
    c = Client(app, url='http://localhost:5001')
    control(provider, mode='deny')
    loc = provider_redirect(login_href(c))
    assert 'error=access_denied' in loc
    assert back_to_app(c, loc).headers['location'] == '/error'
    assert 'error access_denied' in c.get('/error').text


def test_provider_unreachable(gh):
    "Nothing listens on the token URL: the error page, not a 500."
    port = _free_port()
    gh2 = GitHubAppClient('cid', 'csecret')
    gh2.base_url, gh2.token_url, gh2.info_url = 'https://p.example/a', f'http://127.0.0.1:{port}/t', 'x'
    gh2.timeout = 2
    app, _ = make_app(gh2)
    c = Client(app, url='http://localhost:5001')
    state = parse_qs(urlsplit(login_href(c)).query)['state'][0]
    r = c.get('/redirect', params={'code': 'abc', 'state': state}, follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/error')


def test_missing_code(gh):
    app, _ = make_app(gh)
    c = Client(app, url='http://localhost:5001')
    r = c.get('/redirect', follow_redirects=False)
    assert r.headers['location'] == '/error' and 'missing_code' in c.get('/error').text


def test_error_param_is_sanitised(gh):
    app, _ = make_app(gh)
    c = Client(app, url='http://localhost:5001')
    c.get('/redirect', params={'error': '<script>x</script>' + 'a' * 500}, follow_redirects=False)
    t = c.get('/error').text
    assert '<script>x' not in t and 'scriptxscript' in t


def test_skip_and_beforeware(gh):
    app, _ = make_app(gh, skip=['/public'])
    c = Client(app)
    # an HTMX fragment (a page's canonical link names /public too)
    assert c.get('/public', headers={'HX-Request': '1'}).text.count('public') == 1
    assert c.get('/', follow_redirects=False).headers['location'] == '/login'
    assert c.get('/error').status_code == 200 and c.get('/login').status_code == 200


def test_htmx_request_gets_hx_redirect(gh):
    app, _ = make_app(gh)
    r = Client(app).get('/page', headers={'hx-request': 'true'}, follow_redirects=False)
    assert r.status_code == 200 and r.headers['hx-redirect'] == '/login'


def test_check_invalid_ends_session(provider, gh):
    banned = set()

    class Auth(OAuth):
        def check_invalid(self, req, session, auth):
            return auth in banned
    app, _ = make_app(gh, Auth)
    c = Client(app, url='http://localhost:5001')
    back_to_app(c, provider_redirect(login_href(c)))
    assert c.get('/').text.count('home 1') == 1
    banned.add(1)
    assert c.get('/', follow_redirects=False).headers['location'] == '/login'
    banned.clear()
    assert c.get('/', follow_redirects=False).status_code == 303  # logged out, not just refused once


def test_custom_logout_and_redir_login(gh):
    class Auth(OAuth):
        def redir_login(self, session):
            return RedirectResponse('/public', status_code=303)

        def logout(self, session):
            session.clear()
            return RedirectResponse('/bye', status_code=303)
    app, _ = make_app(gh, Auth, skip=['/logout'])
    c = Client(app)
    assert c.get('/', follow_redirects=False).headers['location'] == '/public'
    assert c.get('/logout', follow_redirects=False).headers['location'] == '/bye'


def test_pending_states_are_bounded(gh):
    app, _ = make_app(gh)
    c = Client(app, url='http://localhost:5001')
    states = [parse_qs(urlsplit(login_href(c)).query)['state'][0] for _ in range(20)]
    assert len(set(states)) == 20
    cookie = c.cookies['session_']
    assert len(cookie) < 1500  # eight pending logins at most, so the cookie stays small


# ---------------------------------------------------------------------------------------------------------------
# Redirect URLs and proxies

def _req(headers, scheme='http', server=('10.0.0.1', 8000)):
    return Request({'type': 'http', 'scheme': scheme, 'server': server, 'path': '/', 'query_string': b'',
                    'headers': [(k.encode(), v.encode()) for k, v in headers.items()]})


def test_redir_url_and_get_host_as_the_original():
    "Compared black-box: X-Forwarded-Host is the host; https except on local hosts; scheme and proto do not count."
    req = _req({'host': 'internal:8080', 'x-forwarded-host': 'app.example', 'x-forwarded-proto': 'http'})
    assert get_host(req) == 'app.example'
    assert redir_url(req, '/redirect') == 'https://app.example/redirect'
    assert redir_url(req, '/r', scheme='http') == 'https://app.example/r'
    assert url_match(req) is False and url_match(_req({'host': 'localhost:5001'})) is True
    assert redir_url(_req({'host': 'localhost:5001'}), '/redirect') == 'http://localhost:5001/redirect'
    assert redir_url(_req({'host': '127.0.0.1:8000'}), '/redirect') == 'http://127.0.0.1:8000/redirect'
    assert redir_url(_req({'host': 'example.com'}), '/redirect') == 'https://example.com/redirect'
    # (departures: the first of several forwarded hosts, where the original writes them all into the URL; [::1] is
    # local, where the original sends a local IPv6 login to https)
    req = _req({'host': 'app.example', 'x-forwarded-host': 'a.example, b.example'})
    assert redir_url(req, '/r') == 'https://a.example/r'
    assert redir_url(_req({'host': '[::1]:5001'}), '/r') == 'http://[::1]:5001/r'
    # an app facing clients directly can ignore the header
    req = _req({'host': 'app.example', 'x-forwarded-host': 'evil.example'})
    assert get_host(req, trust_proxy=False) == 'app.example'


def test_any_request_like_object_with_url_and_headers():
    from types import SimpleNamespace

    from starlette.datastructures import URL
    o = SimpleNamespace(url=URL('http://internal:9000/p'), headers={'x-forwarded-host': 'proxy.example.org'})
    assert get_host(o) == 'proxy.example.org' and redir_url(o, '/r') == 'https://proxy.example.org/r'
    assert url_match(o) is False
    o = SimpleNamespace(url='http://localhost:9000/p', headers={})
    assert get_host(o) == 'localhost:9000' and redir_url(o, '/r') == 'http://localhost:9000/r'
    assert url_match('localhost:9000') and not url_match('example.com')


def test_oauth_redir_url_https_and_local(gh):
    app = FastHTML(secret_key='k' * 40)
    o = OAuth(app, gh)
    assert o.redir_url(_req({'host': 'app.example'})) == 'https://app.example/redirect'
    assert o.redir_url(_req({'host': 'localhost:5001'})) == 'http://localhost:5001/redirect'
    assert o.redir_url(_req({'host': '127.0.0.1:8000'})) == 'http://127.0.0.1:8000/redirect'
    # behind a hosting platform's proxy, out of the box
    assert o.redir_url(_req({'host': 'internal:8000', 'x-forwarded-host': 'app.example'})) == \
        'https://app.example/redirect'
    app2 = FastHTML(secret_key='k' * 40)
    o2 = OAuth(app2, gh, https=False, trust_proxy=False, redir_path='/cb')
    assert o2.redir_url(_req({'host': 'internal:8000', 'x-forwarded-host': 'app.example'})) == \
        'http://internal:8000/cb'


@pytest.mark.parametrize('host', ['evil.example/x?', 'a b', 'x"y', 'h\\o', 'a@b'])
def test_invalid_host_is_400(host):
    from starlette.exceptions import HTTPException
    with pytest.raises(HTTPException) as e:
        get_host(_req({'host': host}))
    assert e.value.status_code == 400


def test_get_host_falls_back_to_server():
    assert get_host(_req({}, server=('10.0.0.1', 8000))) == '10.0.0.1:8000'
    assert get_host(_req({}, server=('10.0.0.1', 80))) == '10.0.0.1'


def test_url_match():
    assert url_match('localhost:5001') and url_match('127.0.0.1') and not url_match('example.com')
    assert url_match('dev.internal', [r'^dev\.'])


@pytest.mark.parametrize('url,ok', [('/', True), ('/a/b?c=1#x', True), ('//evil.example', False),
                                    ('/\\evil.example', False), ('https://evil.example/', False), ('evil', False),
                                    ('/a\r\nb', False), ('/a\x00', False), ('', False), (None, False), (42, False),
                                    ('/' + 'a' * 3000, False), ('/a\\b', False), ('\t/x', False)])
def test_safe_next(url, ok):
    assert safe_next(url, 'DEFAULT') == (url if ok else 'DEFAULT')


def test_bad_oauth_setup_fails_at_construction(gh):
    with pytest.raises(ValueError, match='redir_path'):
        OAuth(FastHTML(secret_key='k' * 40), gh, redir_path='redirect')
    with pytest.raises(ValueError, match='redir_method'):
        OAuth(FastHTML(secret_key='k' * 40), gh, redir_method='put')


# ---------------------------------------------------------------------------------------------------------------
# Provider clients

def test_client_links_match_the_original():
    "Login links as FastHTML's clients build them (checked against the reference implementation)."
    assert GitHubAppClient('id', 'sec').login_link('http://x/redirect') == \
        'https://github.com/login/oauth/authorize?response_type=code&client_id=id&redirect_uri=http%3A%2F%2Fx%2Fredirect'
    assert GitHubAppClient('id', 'sec').login_link('http://x/redirect', state='abc').endswith('&state=abc')
    assert GoogleAppClient('id', 'sec').login_link('http://x/r') == (
        'https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=id&redirect_uri=http%3A%2F%2Fx%2Fr'
        '&scope=openid+https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.email+'
        'https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.profile')
    hf = HuggingFaceClient('id', 'sec')
    assert hf.scope == ['openid', 'profile']
    q = parse_qs(urlsplit(hf.login_link('http://x/r')).query)
    assert q['scope'] == ['openid profile'] and q['state'][0]
    d = DiscordAppClient('id', 'sec')
    q = parse_qs(urlsplit(d.login_link('http://x/r')).query)
    assert q['integration_type'] == ['0'] and 'permissions' not in q
    assert q['scope'] == ['applications.commands applications.commands.permissions.update identify']
    q = parse_qs(urlsplit(DiscordAppClient('id', 'sec', is_user=True, perms=8).login_link('http://x/r')).query)
    assert q['integration_type'] == ['1'] and q['permissions'] == ['8']
    # the original's parameter order
    assert d.login_link('http://x/r', state='s') == (
        'https://discord.com/oauth2/authorize?response_type=code&client_id=id&integration_type=0&scope='
        'applications.commands+applications.commands.permissions.update+identify&state=s&redirect_uri=http%3A%2F%2Fx%2Fr')
    assert d.login_link(scope='a b') == ('https://discord.com/oauth2/authorize?response_type=code&client_id=id'
                                         '&integration_type=0&scope=a+b')


def test_client_id_keys():
    assert GitHubAppClient.id_key == 'id' and DiscordAppClient.id_key == 'id'
    assert GoogleAppClient.id_key == 'sub' and HuggingFaceClient.id_key == 'sub'


def test_google_from_file(tmp_path):
    f = tmp_path / 'client_secret.json'
    f.write_text(json.dumps({'web': {'client_id': 'gid', 'client_secret': 'gsec', 'project_id': 'proj-1'}}))
    g = GoogleAppClient.from_file(f)
    assert (g.client_id, g.client_secret, g.project_id) == ('gid', 'gsec', 'proj-1')
    assert g.consent_url().endswith('project=proj-1')
    f.write_text(json.dumps({'installed': {'client_id': 'x'}}))
    with pytest.raises(ValueError, match='client_secret'):
        GoogleAppClient.from_file(f)


def test_plain_http_provider_needs_explicit_opt_in(monkeypatch):
    from oauthlib.oauth2.rfc6749.errors import InsecureTransportError
    monkeypatch.delenv('OAUTHLIB_INSECURE_TRANSPORT', raising=False)
    c = GitHubAppClient('id', 'sec')
    c.base_url = 'http://127.0.0.1:1/authorize'
    with pytest.raises(InsecureTransportError):
        c.login_link('http://x/r')


@pytest.mark.parametrize('kind', ['google', 'github', 'hf', 'discord'])
def test_clients_against_provider_sync_and_async(provider, kind):
    cli = point({'google': GoogleAppClient, 'github': GitHubAppClient, 'hf': HuggingFaceClient,
                 'discord': DiscordAppClient}[kind]('cid', 'csecret'), provider)
    redirect = 'http://localhost:5001/redirect'
    loc = provider_redirect(cli.login_link(redirect, state='s1'))
    code = parse_qs(urlsplit(loc).query)['code'][0]
    info = cli.retr_info(code, redirect)
    assert info.email == 'ann@example.com' and info[cli.id_key] in ('u-1', 1)
    assert cli.token['access_token'] and cli.access_token == cli.token['access_token']
    code = parse_qs(urlsplit(provider_redirect(cli.login_link(redirect))).query)['code'][0]
    assert cli.retr_id(code, redirect) in ('u-1', 1)
    import asyncio
    code = parse_qs(urlsplit(provider_redirect(cli.login_link(redirect))).query)['code'][0]
    info = asyncio.run(cli.retr_info_async(code, redirect))
    assert info.name == 'Ann'


def test_token_is_not_shared_between_logins(provider):
    "retr_info uses the token it just fetched, even if another login replaced `client.token` meanwhile."
    cli = point(GitHubAppClient('cid', 'csecret'), provider)
    redirect = 'http://localhost:5001/redirect'
    code_a = parse_qs(urlsplit(provider_redirect(cli.login_link(redirect))).query)['code'][0]
    control(provider, user={'id': 2, 'email': 'bob@example.com'})
    code_b = parse_qs(urlsplit(provider_redirect(cli.login_link(redirect))).query)['code'][0]
    tok_a = cli.parse_response(code_a, redirect)
    tok_b = cli.parse_response(code_b, redirect)
    assert cli.token == tok_b
    assert cli.get_info(tok_a).id == 1 and cli.get_info(tok_b).id == 2 and cli.get_info().id == 2


def test_client_errors(provider):
    cli = point(GitHubAppClient('cid', 'wrong-secret'), provider)
    redirect = 'http://localhost:5001/redirect'
    code = parse_qs(urlsplit(provider_redirect(cli.login_link(redirect))).query)['code'][0]
    with pytest.raises(Exception) as e:
        cli.retr_info(code, redirect)
    assert 'invalid_client' in str(e.value) or isinstance(e.value, OAuthError)
    with pytest.raises(OAuthError, match='missing_token'):
        GitHubAppClient('a', 'b').get_info()


def test_auth0_discovery(provider):
    a0 = Auth0AppClient(provider, 'cid', 'csecret', redirect_uri='/cb')
    req = _req({'host': 'localhost:5001'})
    href = a0.login_link(req)
    q = parse_qs(urlsplit(href).query)
    assert href.startswith(f'{provider}/authorize?') and q['redirect_uri'] == ['http://localhost:5001/cb']
    assert q['scope'] == ['openid email profile']
    code = parse_qs(urlsplit(provider_redirect(href)).query)['code'][0]
    assert a0.retr_info(code, 'http://localhost:5001/cb').sub == 'u-1'
    assert Auth0AppClient('tenant.auth0.com', 'a', 'b').domain == 'https://tenant.auth0.com'


def test_auth0_with_oauth_class(provider):
    a0 = Auth0AppClient(provider, 'cid', 'csecret')
    app, _ = make_app(a0)
    c = Client(app, url='http://localhost:5001')
    r = back_to_app(c, provider_redirect(login_href(c)))
    assert r.headers['location'] == '/' and 'home u-1' in c.get('/').text


def test_sync_only_client_override_is_used(provider, gh):
    "A client subclass that overrides only the sync `retr_info` (as older apps do) is still honoured."
    calls = []

    class Mine(GitHubAppClient):
        def retr_info(self, code, redirect_uri):
            calls.append(code)
            return super().retr_info(code, redirect_uri)
    app, _ = make_app(point(Mine('cid', 'csecret'), provider))
    c = Client(app, url='http://localhost:5001')
    assert back_to_app(c, provider_redirect(login_href(c))).headers['location'] == '/'
    assert len(calls) == 1


def test_auth0_discovery_failure_is_named(provider):
    a0 = Auth0AppClient(provider + '/nothing-here', 'cid', 'csecret')
    with pytest.raises(OAuthError, match='discovery_failed'):
        a0.login_link('http://localhost:5001/redirect')


def test_form_post_callback_passes_csrf_and_checks_state(provider, gh):
    "With redir_method='post' the provider's page posts the code back cross-site: allowed, and `state` still checked."
    app, _ = make_app(gh, redir_method='post')
    c = Client(app, url='http://localhost:5001')
    q = parse_qs(urlsplit(provider_redirect(login_href(c))).query)
    cross = {'sec-fetch-site': 'cross-site', 'origin': provider}
    r = c.post('/redirect', data={'code': q['code'][0], 'state': 'forged'}, headers=cross, follow_redirects=False)
    assert r.headers['location'] == '/error'
    loc = provider_redirect(login_href(c))
    q = parse_qs(urlsplit(loc).query)
    r = c.post('/redirect', data={'code': q['code'][0], 'state': q['state'][0]}, headers=cross, follow_redirects=False)
    assert r.headers['location'] == '/' and 'home 1' in c.get('/').text
    # other POST routes of the app keep their protection
    assert c.post('/logout', headers=cross).status_code == 403


# ---------------------------------------------------------------------------------------------------------------
# PKCE (RFC 7636): every login link carries an S256 challenge; only the token exchange sends the verifier.

@pytest.mark.parametrize('kind', ['github', 'discord'])
def test_login_uses_pkce(provider, kind):
    import base64
    import hashlib
    cli = point({'github': GitHubAppClient, 'discord': DiscordAppClient}[kind]('cid', 'csecret'), provider)
    app, _ = make_app(cli)
    c = Client(app, url='http://localhost:5001')
    href = login_href(c)
    q = parse_qs(urlsplit(href).query)
    assert q['code_challenge_method'] == ['S256'] and len(q['code_challenge'][0]) == 43
    r = back_to_app(c, provider_redirect(href))
    assert (r.status_code, r.headers['location']) == (303, '/')
    sent = control(provider)['log'][1][1]
    verifier = sent['code_verifier']
    assert 43 <= len(verifier) <= 128 and verifier not in href
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b'=').decode()
    assert digest == q['code_challenge'][0]


def test_pkce_stops_an_injected_code(provider, gh):
    """An attacker who got hold of a victim's authorization code pastes it into their own callback (with their own
    valid state): the exchange carries the attacker's verifier, the provider refuses, nobody is logged in."""
    app, _ = make_app(gh)
    victim, attacker = Client(app, url='http://localhost:5001'), Client(app, url='http://localhost:5001')
    stolen = parse_qs(urlsplit(provider_redirect(login_href(victim))).query)['code'][0]
    own = urlsplit(provider_redirect(login_href(attacker)))
    state = parse_qs(own.query)['state'][0]
    r = attacker.get(f'/redirect?code={stolen}&state={state}', follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/error')
    assert attacker.get('/error').text.count('token_exchange_failed') == 1
    assert attacker.get('/', follow_redirects=False).status_code == 303  # still anonymous


def test_pkce_can_be_turned_off(provider, gh):
    app, _ = make_app(gh, pkce=False)
    c = Client(app, url='http://localhost:5001')
    href = login_href(c)
    assert 'code_challenge' not in href
    r = back_to_app(c, provider_redirect(href))
    assert (r.status_code, r.headers['location']) == (303, '/')
    assert 'code_verifier' not in control(provider)['log'][1][1]


def test_pending_logins_from_before_pkce_are_refused_cleanly(provider, gh):
    "A session holding a pending login in an older shape is treated as an unknown state, not a crash."
    app, oauth = make_app(gh, skip=['/downgrade'])
    c = Client(app, url='http://localhost:5001')
    loc = provider_redirect(login_href(c))
    q = parse_qs(urlsplit(loc).query)

    @app.get('/downgrade')
    def downgrade(session):
        session['_oauth_states'] = {k: v[:3] for k, v in session['_oauth_states'].items()}
        return 'ok'
    assert c.get('/downgrade').text == 'ok'
    r = c.get(f"/redirect?code={q['code'][0]}&state={q['state'][0]}", follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/error')
    assert 'invalid_state' in c.get('/error').text


# ---------------------------------------------------------------------------------------------------------------
# Clients written for the original: `login_link(redirect_uri, scope=None, state=None)` without **kwargs

class OriginalStyleClient(GitHubAppClient):
    "A custom client as apps write them for FastHTML: its own login_link, taking only what FastHTML passes."

    def login_link(self, redirect_uri, scope=None, state=None):
        return self.prepare_request_uri(self.base_url, redirect_uri, scope, state, allow_signup='false')


def test_a_client_written_for_the_original_logs_in_without_pkce(provider):
    cli = point(OriginalStyleClient('cid', 'csecret'), provider)
    app, oauth = make_app(cli)
    assert oauth.pkce is False  # its login_link cannot take the challenge
    c = Client(app, url='http://localhost:5001')
    href = login_href(c)
    q = parse_qs(urlsplit(href).query)
    assert 'code_challenge' not in q and q['allow_signup'] == ['false'] and len(q['state'][0]) >= 32
    r = back_to_app(c, provider_redirect(href))
    assert (r.status_code, r.headers['location']) == (303, '/')
    assert 'code_verifier' not in control(provider)['log'][1][1]
    assert c.get('/').text.count('home 1') == 1


def test_a_bare_oauthlib_client_gets_a_login_link(provider):
    "FastHTML gives every oauthlib WebApplicationClient a login_link; a client without one still works here."
    from oauthlib.oauth2 import WebApplicationClient

    class Bare(WebApplicationClient):
        base_url = f'{provider}/authorize'
    app = FastHTML(secret_key='oauth-test-key-' * 3)
    oauth = OAuth(app, Bare('cid'))
    assert oauth.pkce is True

    @app.get('/login')
    def login(req):
        return A('go', href=oauth.login_link(req))
    href = re.search(r'<a href="([^"]+)"', Client(app, url='http://localhost:5001').get('/login').text).group(1)
    q = parse_qs(urlsplit(href.replace('&amp;', '&')).query)
    assert q['redirect_uri'] == ['http://localhost:5001/redirect'] and q['code_challenge_method'] == ['S256']


# ---------------------------------------------------------------------------------------------------------------
# Google API credentials: GoogleAppClient.creds, Credentials.update/save, load_creds (google-auth, a dev requirement)

def test_google_creds_refresh_save_and_load(provider, tmp_path):
    pytest.importorskip('google.oauth2.credentials')
    import datetime

    import fasthtml.oauth as oauth
    g = point(GoogleAppClient('cid', 'csecret'), provider)
    app, _ = make_app(g)
    c = Client(app, url='http://localhost:5001')
    assert back_to_app(c, provider_redirect(login_href(c))).status_code == 303
    # a client that completed a login: its token (with a refresh token) becomes Google API credentials
    tok = g.token
    assert isinstance(tok, dict) and tok['refresh_token']
    creds = g.creds()
    assert isinstance(creds, oauth.Credentials) and creds.token == tok['access_token']
    assert creds.refresh_token == tok['refresh_token'] and creds.client_id == 'cid'
    assert creds.update() is creds and creds.token == tok['access_token']  # valid: not refreshed
    creds.expiry = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=5)
    old = creds.token
    assert creds.update() is creds and creds.token != old and not creds.expired  # refreshed at the token URL
    assert control(provider)['log'][-1][1]['grant_type'] == 'refresh_token'
    f = tmp_path / 'creds.json'
    creds.save(f)
    again = oauth.load_creds(f)
    assert isinstance(again, oauth.Credentials)
    assert (again.token, again.refresh_token, again.client_id) == (creds.token, creds.refresh_token, 'cid')


# ---------------------------------------------------------------------------------------------------------------
# Sign in with Apple: the client secret is an ES256 JWT; the user's info is the ID token (as the original)

def test_apple_client_secret_login_link_and_info():
    jwt = pytest.importorskip('jwt')
    ec = pytest.importorskip('cryptography.hazmat.primitives.asymmetric.ec')
    from cryptography.hazmat.primitives import serialization

    from fasthtml.oauth import AppleAppClient
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    a = AppleAppClient('com.example.app', 'KEY123', 'TEAM456', pem)
    assert a.login_link('https://x.com/redirect', state='s') == (
        'https://appleid.apple.com/auth/authorize?response_type=code&client_id=com.example.app'
        '&redirect_uri=https%3A%2F%2Fx.com%2Fredirect&scope=name+email&state=s')
    secret = a.client_secret
    assert jwt.get_unverified_header(secret) == {'alg': 'ES256', 'kid': 'KEY123', 'typ': 'JWT'}
    claims = jwt.decode(secret, key.public_key(), algorithms=['ES256'], audience='https://appleid.apple.com')
    assert (claims['iss'], claims['sub'], claims['exp'] - claims['iat']) == ('TEAM456', 'com.example.app', 15552000)
    assert 'client_secret=' + secret in a.prepare_request_body(code='c', redirect_uri='r', client_secret=secret)
    idt = jwt.encode({'sub': 'u1', 'email': 'a@b.c'}, 'k' * 32, algorithm='HS256')
    assert a.get_info({'id_token': idt, 'access_token': 'x'}) == {'sub': 'u1', 'email': 'a@b.c'}
    a.token = {'id_token': idt}
    assert a.get_info() == {'sub': 'u1', 'email': 'a@b.c'}
    with pytest.raises(OAuthError):
        a.get_info({'access_token': 'no id token'})
