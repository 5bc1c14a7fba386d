"""CSRF protection (fasthtml.csrf): on by default, invisible to same-site browsers and to non-browser clients."""
import pytest

from fasthtml.core import Client, FastHTML
from fasthtml.csrf import CSRFMiddleware, csrf_exempt, is_csrf_exempt, trusted_origin_set

UNSAFE = ['post', 'put', 'patch', 'delete']


def make_app(**kw):
    app = FastHTML(secret_key='k' * 32, **kw)

    @app.route('/item', methods=UNSAFE + ['get'])
    def item():
        return 'changed'

    @app.post('/hook')
    @csrf_exempt
    def hook():
        return 'hooked'

    @csrf_exempt
    @app.post('/hook2')
    def hook2():
        return 'hooked2'

    @app.post('/htmx')
    def htmx_route(htmx):
        return 'htmx ok' if htmx else 'plain'
    return app


@pytest.fixture
def cli():
    return Client(make_app(), url='http://testserver')


def req(cli, method, url, **headers):
    return cli.request(method.upper(), url, headers=headers)


@pytest.mark.parametrize('method', UNSAFE)
def test_no_browser_headers_pass(cli, method):
    "curl, tests and server-to-server calls send neither Sec-Fetch-Site nor Origin."
    r = req(cli, method, '/item')
    assert r.status_code == 200 and r.text == 'changed'


@pytest.mark.parametrize('method', UNSAFE)
@pytest.mark.parametrize('site', ['same-origin', 'none', 'Same-Origin'])
def test_same_origin_fetch_site_passes(cli, method, site):
    assert req(cli, method, '/item', **{'sec-fetch-site': site}).status_code == 200


@pytest.mark.parametrize('method', UNSAFE)
@pytest.mark.parametrize('site', ['cross-site', 'same-site'])
def test_cross_site_fetch_site_refused(cli, method, site):
    r = req(cli, method, '/item', **{'sec-fetch-site': site, 'origin': 'https://evil.example'})
    assert r.status_code == 403
    assert 'CSRF' in r.text and 'trusted_origins' in r.text
    assert r.headers['content-type'].startswith('text/plain')


def test_cross_site_without_origin_refused(cli):
    "Sec-Fetch-Site decides even when the browser sent no Origin."
    assert req(cli, 'post', '/item', **{'sec-fetch-site': 'cross-site'}).status_code == 403


@pytest.mark.parametrize('method', ['get', 'head', 'options'])
def test_safe_methods_always_pass(method):
    app = make_app()

    @app.route('/safe', methods=['get', 'head', 'options'])
    def safe():
        return 'ok'
    r = req(Client(app), method, '/safe', **{'sec-fetch-site': 'cross-site', 'origin': 'https://evil.example'})
    assert r.status_code == 200


@pytest.mark.parametrize('origin', ['http://testserver', 'HTTP://TESTSERVER', 'https://testserver'])
def test_origin_matching_host_passes(cli, origin):
    "Older browsers send only Origin: it must name this host."
    assert req(cli, 'post', '/item', origin=origin).status_code == 200


@pytest.mark.parametrize('origin', ['https://evil.example', 'http://testserver.evil.example', 'http://testserver:81',
                                    'null', 'garbage', 'http://[::1', ''])
def test_origin_not_matching_host_refused(cli, origin):
    assert req(cli, 'post', '/item', origin=origin).status_code == 403


def test_origin_with_port_matches_host_with_port():
    c = Client(make_app(), url='http://127.0.0.1:5001')
    assert req(c, 'post', '/item', origin='http://127.0.0.1:5001').status_code == 200
    assert req(c, 'post', '/item', origin='http://127.0.0.1:5002').status_code == 403


def test_trusted_origins():
    c = Client(make_app(trusted_origins=['https://admin.example.com', 'http://localhost:3000/']))
    ok = {'sec-fetch-site': 'cross-site', 'origin': 'https://admin.example.com'}
    assert req(c, 'post', '/item', **ok).status_code == 200
    assert req(c, 'post', '/item', **{**ok, 'origin': 'https://admin.example.com:443'}).status_code == 200
    assert req(c, 'post', '/item', **{'sec-fetch-site': 'same-site', 'origin': 'http://localhost:3000'}).status_code \
        == 200
    assert req(c, 'post', '/item', origin='http://localhost:3000').status_code == 200
    assert req(c, 'post', '/item', **{**ok, 'origin': 'http://admin.example.com'}).status_code == 403
    assert req(c, 'post', '/item', **{**ok, 'origin': 'https://other.example.com'}).status_code == 403


@pytest.mark.parametrize('bad', ['admin.example.com', 'https://', '/path', 42])
def test_bad_trusted_origin_fails_at_startup(bad):
    with pytest.raises(ValueError, match='trusted_origins'):
        FastHTML(secret_key='k' * 32, trusted_origins=[bad])


def test_trusted_origin_set_normalises():
    assert trusted_origin_set('HTTPS://Example.COM:443/x') == frozenset({'https://example.com'})
    assert trusted_origin_set(['http://a.b:8080']) == frozenset({'http://a.b:8080'})
    assert trusted_origin_set(None) == frozenset()


@pytest.mark.parametrize('path,body', [('/hook', 'hooked'), ('/hook2', 'hooked2')])
def test_per_route_opt_out(cli, path, body):
    "csrf_exempt works above or below @rt."
    r = req(cli, 'post', path, **{'sec-fetch-site': 'cross-site', 'origin': 'https://evil.example'})
    assert r.status_code == 200 and r.text == body


def test_is_csrf_exempt():
    def f():
        pass
    assert not is_csrf_exempt(f)
    assert csrf_exempt(f) is f and is_csrf_exempt(f)


def test_exempt_lookup_does_not_leak_to_other_routes(cli):
    assert req(cli, 'put', '/item', **{'sec-fetch-site': 'cross-site'}).status_code == 403
    assert req(cli, 'post', '/missing', **{'sec-fetch-site': 'cross-site'}).status_code == 403


@pytest.mark.parametrize('site,status', [('same-origin', 200), ('cross-site', 403)])
def test_htmx_requests(cli, site, status):
    "HTMX posts are ordinary fetches: the browser adds Sec-Fetch-Site and Origin."
    origin = 'http://testserver' if site == 'same-origin' else 'https://evil.example'
    r = req(cli, 'post', '/htmx', **{'hx-request': 'true', 'sec-fetch-site': site, 'origin': origin})
    assert r.status_code == status
    if status == 200:
        assert r.text == 'htmx ok'


def test_csrf_off():
    c = Client(make_app(csrf=False))
    assert req(c, 'post', '/item', **{'sec-fetch-site': 'cross-site', 'origin': 'https://evil.example'}).text \
        == 'changed'


def test_refused_request_never_reaches_handler():
    calls = []
    app = FastHTML(secret_key='k' * 32)

    @app.post('/x')
    def x():
        calls.append(1)
    assert req(Client(app), 'post', '/x', **{'sec-fetch-site': 'cross-site'}).status_code == 403
    assert calls == []


def test_fast_app_passes_settings():
    from fasthtml.fastapp import fast_app
    app, rt = fast_app(secret_key='k' * 32, trusted_origins=['https://ok.example'])

    @rt('/p')
    def post():
        return 'ok'
    c = Client(app)
    assert req(c, 'post', '/p', **{'sec-fetch-site': 'cross-site', 'origin': 'https://ok.example'}).status_code == 200
    assert req(c, 'post', '/p', **{'sec-fetch-site': 'cross-site', 'origin': 'https://no.example'}).status_code == 403
    app2, rt2 = fast_app(secret_key='k' * 32, csrf=False)
    rt2('/p')(lambda: 'ok')
    assert req(Client(app2), 'post', '/p', **{'sec-fetch-site': 'cross-site'}).status_code == 200


async def _run_ws(mw, headers):
    sent = []
    inner_called = []

    async def inner(scope, receive, send):
        inner_called.append(scope['type'])

    async def receive():
        return {'type': 'websocket.connect'}

    async def send(m):
        sent.append(m)
    scope = {'type': 'websocket', 'path': '/ws', 'headers': [(k.encode(), v.encode()) for k, v in headers.items()]}
    await CSRFMiddleware(inner, **mw)(scope, receive, send)
    return inner_called, sent


@pytest.mark.parametrize('headers,ok', [
    ({'host': 'app.example', 'origin': 'https://app.example'}, True),
    ({'host': 'app.example'}, True),
    ({'host': 'app.example', 'origin': 'https://evil.example'}, False),
    ({'host': 'app.example', 'origin': 'https://evil.example', 'sec-fetch-site': 'cross-site'}, False),
])
async def test_websocket_handshake_checked(headers, ok):
    "Cross-site websocket hijacking: a socket opened by another site's page is closed before it is accepted."
    called, sent = await _run_ws({}, headers)
    if ok:
        assert called == ['websocket'] and sent == []
    else:
        assert called == [] and sent[0]['type'] == 'websocket.close' and sent[0]['code'] == 1008


async def test_lifespan_passes_through():
    called = []

    async def inner(scope, receive, send):
        called.append(scope['type'])
    await CSRFMiddleware(inner)({'type': 'lifespan'}, None, None)
    assert called == ['lifespan']


@pytest.mark.parametrize('kind', ['def', 'async'])
@pytest.mark.parametrize('key', [403, 'HTTPException'])
def test_refusal_uses_the_apps_own_403_handler(kind, key):
    "A refused request gets the site's 403 page (an FT page, same status) like a 403 raised in a handler would."
    from starlette.exceptions import HTTPException

    from fasthtml.components import Div, P, Title

    def page(req, exc):
        return Title('Forbidden'), Div(P(f'No entry: {exc.status_code}'), id='forbidden')

    async def apage(req, exc):
        return page(req, exc)

    app = make_app(exception_handlers={403 if key == 403 else HTTPException: page if kind == 'def' else apage})
    r = req(Client(app, url='http://testserver'), 'post', '/item', **{'sec-fetch-site': 'cross-site'})
    assert r.status_code == 403
    assert '<div id="forbidden"><p>No entry: 403</p></div>' in r.text and '<title>Forbidden</title>' in r.text


def test_refusal_without_a_handler_is_plain_text(cli):
    r = req(cli, 'post', '/item', **{'sec-fetch-site': 'cross-site'})
    assert r.status_code == 403 and r.headers['content-type'].startswith('text/plain')
    assert 'csrf_exempt' in r.text


# ---------------------------------------------------------------------------------------------------------------
# API clients with bearer tokens (fasthtml.tokens)

@pytest.mark.parametrize('method', UNSAFE)
@pytest.mark.parametrize('site', ['cross-site', 'same-site'])
def test_bearer_token_without_cookies_passes(method, site):
    "A cross-site request that carries a token and no cookies has no ambient authority to abuse."
    c = Client(make_app())
    r = c.request(method.upper(), '/item', headers={'sec-fetch-site': site, 'origin': 'https://other.example',
                                                    'authorization': 'Bearer abc.def.ghi'})
    assert r.status_code == 200


@pytest.mark.parametrize('auth', ['Bearer abc', 'bearer abc', 'BEARER abc'])
def test_bearer_with_cookies_is_checked_like_any_request(auth):
    c = Client(make_app())
    r = c.post('/item', headers={'sec-fetch-site': 'cross-site', 'origin': 'https://evil.example',
                                 'authorization': auth, 'cookie': 'session_=x'})
    assert r.status_code == 403
    r = c.post('/item', headers={'origin': 'https://evil.example', 'authorization': auth, 'cookie': 'a=b'})
    assert r.status_code == 403


@pytest.mark.parametrize('auth', ['Bearer', 'Bearer ', 'Basic dTpw', 'Token abc', 'Bearerabc'])
def test_other_authorization_headers_do_not_pass(auth):
    c = Client(make_app())
    r = c.post('/item', headers={'sec-fetch-site': 'cross-site', 'origin': 'https://evil.example',
                                 'authorization': auth})
    assert r.status_code == 403


def test_bearer_does_not_open_cross_site_websockets():
    "Browsers cannot put Authorization on a websocket; a cookie-carrying cross-site handshake stays refused."
    app = make_app()

    @app.ws('/sock')
    async def sock(msg: str, send): await send(msg)
    c = Client(app)
    from starlette.websockets import WebSocketDisconnect
    with pytest.raises(WebSocketDisconnect):
        with c.cli.websocket_connect('/sock', headers={'origin': 'https://evil.example', 'cookie': 'session_=x',
                                                       'authorization': 'Bearer x'}) as ws:
            ws.receive_text()
