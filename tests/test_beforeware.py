"""Beforeware and after functions: short-circuits, skip patterns, `auth` in scope, sync and async variants."""

import pytest
from starlette.responses import RedirectResponse, Response
from variants import variant

from fasthtml.components import Div, P
from fasthtml.core import Beforeware, Client, FastHTML, Redirect

HX = {'HX-Request': '1'}


@pytest.fixture(params=['sync', 'async'])
def bkind(request):
    "Sync or async Beforeware / after function."
    return request.param


@pytest.fixture(params=['sync', 'async'])
def hkind(request):
    "Sync or async handler."
    return request.param


def auth_app(bkind, hkind, skip=None):
    "The spec's login Beforeware: `auth` from the session, a redirect to /login when missing."
    login_redir = RedirectResponse('/login', status_code=303)

    def user_auth_before(req, sess):
        auth = req.scope['auth'] = sess.get('auth', None)
        if not auth:
            return login_redir
    bw = Beforeware(variant(bkind, user_auth_before),
                    skip=skip if skip is not None else [r'/favicon\.ico', r'/static/.*', r'.*\.css', r'.*\.js',
                                                        '/login', '/'])
    app = FastHTML(secret_key='x', before=bw)

    def home():
        return P('home')

    def secret(auth):
        return P(f'secret for {auth}')

    def login_get():
        return P('login page')

    def login_post(sess, name: str):
        sess['auth'] = name
        return Redirect('/secret')

    def style():
        return Response('p{}', media_type='text/css')
    app.get('/')(variant(hkind, home))
    app.get('/secret')(variant(hkind, secret))
    app.get('/login')(variant(hkind, login_get))
    app.post('/login')(variant(hkind, login_post))
    app.get('/static/site.css')(variant(hkind, style))
    return app


def test_short_circuit_redirects_until_logged_in(bkind, hkind):
    cli = Client(auth_app(bkind, hkind))
    r = cli.get('/secret', follow_redirects=False)
    assert r.status_code == 303 and r.headers['location'] == '/login'
    r = cli.post('/login', data={'name': 'ann'}, follow_redirects=False)
    assert r.status_code == 303 and r.headers['location'] == '/secret'
    assert '<p>secret for ann</p>' in cli.get('/secret').text


def test_skip_patterns_match_the_whole_path(bkind, hkind):
    cli = Client(auth_app(bkind, hkind))
    assert '<p>home</p>' in cli.get('/').text
    assert '<p>login page</p>' in cli.get('/login').text
    assert cli.get('/static/site.css').text == 'p{}'
    # '/' and '/login' are skipped exactly, not as prefixes.
    assert cli.get('/secret', follow_redirects=False).status_code == 303
    assert cli.get('/login/../secret', follow_redirects=False).status_code in (303, 404)


def test_login_redirect_for_htmx_requests_uses_hx_redirect(bkind, hkind):
    def before(req, sess):
        if not sess.get('auth'):
            return Redirect('/login')
    app = FastHTML(secret_key='x', before=Beforeware(variant(bkind, before), skip=['/login']))
    app.get('/data')(variant(hkind, lambda: Div('data')))
    r = Client(app).get('/data', headers=HX)
    assert r.status_code == 200 and r.headers['hx-redirect'] == '/login' and r.text == ''


def test_beforeware_may_return_ft(bkind, hkind):
    def before(req):
        if req.query_params.get('blocked'):
            return P('blocked')
    app = FastHTML(secret_key='x', before=variant(bkind, before))
    app.get('/')(variant(hkind, lambda: P('ok')))
    cli = Client(app)
    assert cli.get('/?blocked=1', headers=HX).text == '<p>blocked</p>'
    assert '<body><p>blocked</p></body>' in cli.get('/?blocked=1').text
    assert cli.get('/', headers=HX).text == '<p>ok</p>'


def test_plain_functions_and_order(bkind, hkind):
    seen = []

    def first(req):
        seen.append('first')

    def second(scope):
        seen.append('second')
        scope['auth'] = 'from-second'

    def app_beforeware():
        seen.append('no-args')
    app = FastHTML(secret_key='x', before=[variant(bkind, first), Beforeware(variant(bkind, second)),
                                           Beforeware(variant(bkind, app_beforeware))])
    app.get('/')(variant(hkind, lambda auth: f'auth={auth}'))
    assert Client(app).get('/').text == 'auth=from-second'
    assert seen == ['first', 'second', 'no-args']


def test_first_non_none_result_wins_and_later_ones_do_not_run(bkind, hkind):
    seen = []

    def stop(req):
        seen.append('stop')
        return Response('stopped', status_code=403)

    def never(req):
        seen.append('never')
    app = FastHTML(secret_key='x', before=[variant(bkind, stop), variant(bkind, never)])
    handled = []
    app.get('/')(variant(hkind, lambda: handled.append(1)))
    r = Client(app).get('/')
    assert (r.status_code, r.text) == (403, 'stopped')
    assert seen == ['stop'] and handled == []


def test_beforeware_parameters_are_injected_like_handlers(bkind, hkind):
    def before(req, sess, htmx, q: str = 'none'):
        req.scope['auth'] = f"{q}|{bool(htmx)}|{sess is req.scope['session']}"
    app = FastHTML(secret_key='x', before=Beforeware(variant(bkind, before)))
    app.get('/')(variant(hkind, lambda auth: auth))
    cli = Client(app)
    assert cli.get('/?q=hi', headers=HX).text == 'hi|True|True'
    assert cli.get('/').text == 'none|False|True'


def test_before_added_after_construction_is_picked_up(hkind):
    app = FastHTML(secret_key='x')
    app.get('/')(variant(hkind, lambda: 'open'))
    cli = Client(app)
    assert cli.get('/').text == 'open'
    app.before.append(Beforeware(lambda: Response('closed', status_code=401)))
    assert cli.get('/').status_code == 401


def test_after_functions_see_and_may_replace_the_result(bkind, hkind):
    seen = []

    def log(resp, req):
        seen.append((req.url.path, resp))

    def wrap(resp):
        if isinstance(resp, str):
            return resp.upper()
    app = FastHTML(secret_key='x', after=[variant(bkind, log), variant(bkind, wrap)])
    app.get('/s')(variant(hkind, lambda: 'text'))
    app.get('/d')(variant(hkind, lambda: {'k': 1}))
    cli = Client(app)
    assert cli.get('/s').text == 'TEXT'
    assert cli.get('/d').json() == {'k': 1}  # `wrap` returned None: the result stands
    assert seen == [('/s', 'text'), ('/d', {'k': 1})]


def test_after_does_not_run_when_beforeware_short_circuits(bkind):
    ran = []
    app = FastHTML(secret_key='x', before=lambda: Response('no', status_code=403),
                   after=variant(bkind, lambda resp: ran.append(resp)))
    app.get('/')(lambda: 'yes')
    assert Client(app).get('/').status_code == 403
    assert ran == []


def test_after_can_add_to_the_session(bkind, hkind):
    def count(resp, session):
        session['n'] = session.get('n', 0) + 1
    app = FastHTML(secret_key='x', after=variant(bkind, count))
    app.get('/')(variant(hkind, lambda session: str(session.get('n', 0))))
    cli = Client(app)
    assert [cli.get('/').text for _ in range(3)] == ['0', '1', '2']


def test_skip_list_is_compiled_regexes():
    bw = Beforeware(lambda: None, skip=[r'/static/.*', '/login'])
    assert bw.skips('/static/a/b.css') and bw.skips('/login')
    assert not bw.skips('/login2') and not bw.skips('/x/static/a')
    assert not Beforeware(lambda: None).skips('/anything')


def test_a_single_skip_pattern_may_be_a_string():
    bw = Beforeware(lambda: None, skip='/login')
    assert bw.skip == ['/login'] and bw.skips('/login') and not bw.skips('/')
