"""HTTP Basic auth: BasicAuthMiddleware and user_pwd_auth."""
import base64

import pytest
from asgi_call import call
from starlette.middleware import Middleware

from fasthtml.authmw import BasicAuthMiddleware, user_pwd_auth
from fasthtml.core import Client, FastHTML


def make(mw):
    app = FastHTML(secret_key='k' * 32, middleware=[mw])

    @app.get('/')
    def home(auth):
        return f'hi {auth}'

    @app.get('/open')
    def open_(auth):
        return f'open {auth}'

    @app.get('/static/{f:path}')
    def static(f: str):
        return f
    return app


def basic(u, p):
    return {'authorization': 'Basic ' + base64.b64encode(f'{u}:{p}'.encode()).decode()}


@pytest.fixture
def cli():
    return Client(make(user_pwd_auth({'jph': 'pw1'}, skip=['/open', r'/static/.*'], ann='pw:2')))


def test_no_credentials_is_401_with_challenge(cli):
    r = cli.get('/')
    assert r.status_code == 401
    # the original's refusal exactly (compared black-box): its body, its challenge, no content type
    assert r.headers['www-authenticate'] == 'Basic realm="login"'
    assert r.text == 'not authenticated' and 'content-type' not in r.headers


@pytest.mark.parametrize('user,pwd', [('jph', 'pw1'), ('ann', 'pw:2')])
def test_valid_credentials_set_auth(cli, user, pwd):
    r = cli.get('/', headers=basic(user, pwd))
    assert (r.status_code, r.text) == (200, f'hi {user}')


@pytest.mark.parametrize('user,pwd', [('jph', 'bad'), ('jph', ''), ('', 'pw1'), ('nobody', 'pw1'), ('JPH', 'pw1'),
                                      ('logout', 'x'), ('ann', 'pw')])
def test_wrong_credentials_are_401(cli, user, pwd):
    assert cli.get('/', headers=basic(user, pwd)).status_code == 401


@pytest.mark.parametrize('header', ['Basic', 'Basic ', 'Basic !!!', 'Basic ' + base64.b64encode(b'nocolon').decode(),
                                    'Basic ' + base64.b64encode(b'\xff\xfe:\xff').decode(), 'Bearer abc',
                                    'basic' + 'a' * 5000, 'Digest user="jph"', 'Basic =====', 'Basic YQ'])
def test_malformed_headers_are_401_not_500(cli, header):
    assert cli.get('/', headers={'authorization': header}).status_code == 401


def test_scheme_is_case_insensitive(cli):
    h = basic('jph', 'pw1')
    assert cli.get('/', headers={'authorization': h['authorization'].replace('Basic', 'bAsIc')}).status_code == 200


def test_skip_paths_exact_and_regex(cli):
    assert cli.get('/open').text == 'open None'
    assert cli.get('/static/css/a.css').text == 'css/a.css'
    assert cli.get('/openx').status_code == 401


def test_callable_lookup():
    seen = []

    def check(u, p):
        seen.append(u)
        return p == u[::-1]
    c = Client(make(user_pwd_auth(check)))
    assert c.get('/', headers=basic('abc', 'cba')).text == 'hi abc'
    assert c.get('/', headers=basic('abc', 'abc')).status_code == 401
    assert c.get('/', headers=basic('logout', 'tuogol')).status_code == 401
    assert seen == ['abc', 'abc']


def test_bad_lookup_type():
    with pytest.raises(TypeError, match='dict or a callable'):
        user_pwd_auth(['jph'])


def test_middleware_class_directly():
    c = Client(make(Middleware(BasicAuthMiddleware, cb=lambda u, p: (u, p) == ('a', 'b'), skip=['/open'])))
    assert c.get('/', headers=basic('a', 'b')).text == 'hi a'
    assert c.get('/').status_code == 401
    assert c.get('/open').status_code == 200


def test_non_callable_cb_fails_at_construction():
    with pytest.raises(TypeError, match='cb must be callable'):
        BasicAuthMiddleware(None, cb='nope')


def test_authenticate_method():
    from starlette.requests import HTTPConnection
    mw = BasicAuthMiddleware(None, cb=lambda u, p: p == 'ok')
    conn = HTTPConnection({'type': 'http', 'headers': [(b'authorization', basic('x', 'ok')['authorization'].encode())]})
    assert mw.authenticate(conn) == 'x'
    conn = HTTPConnection({'type': 'http', 'headers': []})
    assert mw.authenticate(conn) is None


async def test_websocket_without_credentials_is_closed():
    sent = []
    reached = []

    async def inner(scope, receive, send):
        reached.append(scope)
    mw = BasicAuthMiddleware(inner, cb=lambda u, p: True)

    async def send(m):
        sent.append(m)
    await mw({'type': 'websocket', 'path': '/ws', 'headers': []}, None, send)
    assert reached == [] and sent[0]['type'] == 'websocket.close'
    await mw({'type': 'websocket', 'path': '/ws', 'headers': [(b'authorization', basic('u', 'p')['authorization']
                                                                .encode())]}, None, send)
    assert reached[0]['auth'] == 'u'


async def test_raw_header_bytes():
    "Non-ASCII bytes in the header value (latin-1 on the wire) are refused, not crashed on."
    app = make(user_pwd_auth({'jph': 'pw1'}))
    r = await call(app, 'GET', '/', headers=[(b'authorization', b'Basic \xff\xfe\xfd')])
    assert r.status == 401
