"""Password accounts (fasthtml.accounts): register, login, logout, roles, sessions, rate limits, secrecy."""
import logging
import threading
import time

import pytest

import fasthtml.accounts as accounts_mod
from fasthtml.accounts import Accounts, User, hash_password, require_login, verify_password
from fasthtml.components import Div, P
from fasthtml.core import APIRouter, Client, FastHTML

PW = 'correct horse battery'
FAST = 2**10  # scrypt cost for tests; the default is checked separately


def make(**kw):
    app = FastHTML(secret_key='accounts-test-key-' * 3)
    acc = Accounts(app, ':memory:', scrypt_n=FAST, **kw)

    @app.get('/')
    def index(user: User, auth):
        return P(f'home {user.username} {auth.username}')

    @app.get('/page')
    def page(user: User, x: str = ''):
        return P(f'page {user} {x}')

    @app.get('/about')
    def about(user: User):
        return P(f'about {user.username if user else "anonymous"}')

    @app.get('/admin')
    @acc.require('admin')
    def admin(user: User):
        return P('admin area')

    @acc.require('editor', 'writer')
    @app.get('/edit')
    def edit(user: User):
        return P('editing')

    @app.post('/save')
    def save(user: User, text: str):
        return P(f'saved {text} by {user}')

    @app.get('/style.css')
    def css():
        return 'body{}'
    return app, acc


@pytest.fixture
def env():
    app, acc = make(public=['/about'])
    return app, acc, Client(app)


def register(c, username='ann', password=PW, password2=None, **kw):
    return c.post('/register', data=dict(username=username, password=password,
                                         password2=password if password2 is None else password2), **kw,
                  follow_redirects=False)


def login(c, username='ann', password=PW, **kw):
    return c.post('/login', data=dict(username=username, password=password, **kw), follow_redirects=False)


# ---------------------------------------------------------------------------------------------------------------
# Passwords

def test_hash_and_verify():
    h = hash_password('s3cret!')
    assert h.startswith('scrypt$16384$8$1$') and 's3cret' not in h
    assert verify_password('s3cret!', h) and not verify_password('s3cret', h)
    assert hash_password('s3cret!') != h  # salted
    assert verify_password('ünïcödé', hash_password('ünïcödé', n=FAST))


@pytest.mark.parametrize('stored', ['', 'plain', 'scrypt$x$8$1$aa$bb', 'bcrypt$1$2$3$4$5', 'scrypt$3$8$1$AA$BB',
                                    None, 'scrypt$1024$8$1$!!$!!'])
def test_malformed_hash_never_matches(stored):
    assert verify_password('x', stored) is False


# ---------------------------------------------------------------------------------------------------------------
# Registration

def test_register_logs_in_and_redirects(env):
    app, acc, c = env
    r = register(c)
    assert (r.status_code, r.headers['location']) == (303, '/')
    assert c.get('/').text.count('home ann ann') == 1
    assert acc.get_user('ANN').username == 'ann'


@pytest.mark.parametrize('username,password,password2,msg', [
    ('ann', 'short', None, 'at least 8'),
    ('an', PW, None, '3 to 64'),
    ('a' * 65, PW, None, '3 to 64'),
    ('bad name', PW, None, '3 to 64'),
    ('<script>', PW, None, '3 to 64'),
    ('_ann', PW, None, '3 to 64'),
    ('ann', PW, PW + 'x', 'differ'),
    ('ann', 'x' * 1025, None, 'at most 1024'),
    ('', '', None, '3 to 64'),
])
def test_register_validation(env, username, password, password2, msg):
    _, acc, c = env
    r = register(c, username, password, password2)
    assert r.status_code == 400 and msg in r.text
    assert acc.get_user(username) is None or username == ''
    assert password not in r.text or password == ''


def test_register_duplicate_is_case_insensitive(env):
    _, acc, c = env
    assert register(c).status_code == 303
    r = register(Client(c.app), 'ANN')
    assert r.status_code == 400 and 'taken' in r.text
    assert len(acc.users()) == 1


def test_register_form_is_shown_and_refills_username_only(env):
    _, _, c = env
    r = c.get('/register')
    assert r.status_code == 200 and 'name="password2"' in r.text and 'method="post"' in r.text
    r = register(c, 'ann', 'short-pw', 'other-pw')
    assert 'value="ann"' in r.text and 'short-pw' not in r.text and 'other-pw' not in r.text


def test_registration_can_be_disabled():
    app, acc = make(allow_register=False)
    c = Client(app)
    assert c.post('/register', data={'username': 'x', 'password': PW}, follow_redirects=False).status_code == 404
    assert 'Create an account' not in c.get('/login').text
    acc.create_user('admin1', PW, is_admin=True)
    assert login(c, 'admin1').status_code == 303


# ---------------------------------------------------------------------------------------------------------------
# Login, logout, protection

def test_anonymous_is_sent_to_login_with_next(env):
    _, _, c = env
    r = c.get('/page?x=1', follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/login?next=/page%3Fx%3D1')
    assert c.get('/', follow_redirects=False).headers['location'] == '/login'
    r = c.get('/login?next=/page%3Fx%3D1')
    assert 'name="next" value="/page?x=1"' in r.text


def test_login_goes_to_next(env):
    _, acc, c = env
    acc.create_user('ann', PW)
    r = login(c, next='/page?x=1')
    assert (r.status_code, r.headers['location']) == (303, '/page?x=1')
    assert 'page ann 1' in c.get('/page?x=1').text


@pytest.mark.parametrize('nxt', ['//evil.example', 'https://evil.example/', '/\\evil.example', 'javascript:x'])
def test_login_next_cannot_leave_the_app(env, nxt):
    _, acc, c = env
    acc.create_user('ann', PW)
    assert login(c, next=nxt).headers['location'] == '/'


def test_wrong_password_and_unknown_user_look_the_same(env):
    _, acc, c = env
    acc.create_user('ann', PW)
    r1, r2 = login(c, 'ann', 'wrong password'), login(c, 'nobody', 'wrong password')
    assert r1.status_code == r2.status_code == 401
    assert 'Wrong username or password.' in r1.text and 'Wrong username or password.' in r2.text
    assert c.get('/', follow_redirects=False).status_code == 303


def test_unknown_user_still_hashes(env, monkeypatch):
    "No shortcut for unknown users: the same scrypt work, so timing does not reveal which names exist."
    _, acc, c = env
    calls = []
    real = accounts_mod.hashlib.scrypt
    monkeypatch.setattr(accounts_mod.hashlib, 'scrypt', lambda *a, **k: calls.append(1) or real(*a, **k))
    login(c, 'nobody', 'some password')
    assert calls == [1]


def test_logged_in_user_on_login_page_is_redirected(env):
    _, acc, c = env
    register(c)
    assert c.get('/login', follow_redirects=False).headers['location'] == '/'


def test_public_paths_and_static_files(env):
    _, _, c = env
    assert c.get('/about').text.count('about anonymous') == 1
    assert c.get('/style.css').text == 'body{}'
    register(c)
    assert 'about ann' in c.get('/about').text


def test_logout_ends_the_session_server_side(env):
    _, _, c = env
    register(c)
    stolen = c.cookies['session_']
    r = c.get('/logout', follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/login')
    assert c.get('/', follow_redirects=False).status_code == 303
    # replaying the logged-in cookie no longer works
    c2 = Client(c.app)
    r = c2.get('/', headers={'cookie': f'session_={stolen}'}, follow_redirects=False)
    assert r.status_code == 303


def test_logout_by_post(env):
    _, _, c = env
    register(c)
    assert c.post('/logout', follow_redirects=False).status_code == 303
    assert c.get('/', follow_redirects=False).status_code == 303


def test_session_id_rotates_at_login(env):
    "Whatever the session held before login is dropped, and each login gets a new id."
    app, acc, c = env
    acc.create_user('ann', PW)

    @app.get('/plant')
    def plant(session):
        session['planted'] = 'by attacker'
        return 'ok'
    acc.add_public('/plant')
    c.get('/plant')
    before = c.cookies['session_']
    login(c)
    first = c.cookies['session_']
    assert first != before

    @app.get('/sess')
    def sess(session):
        return ','.join(sorted(session))
    assert c.get('/sess').text == '_acct'
    c.get('/logout')
    login(c)
    assert c.cookies['session_'] != first
    # the fixed pre-login cookie does not become a logged-in one
    r = Client(app).get('/', headers={'cookie': f'session_={before}'}, follow_redirects=False)
    assert r.status_code == 303


def test_two_browsers_are_independent(env):
    _, acc, c = env
    acc.create_user('ann', PW)
    acc.create_user('bob', PW)
    c2 = Client(c.app)
    login(c, 'ann')
    login(c2, 'bob')
    assert 'home ann' in c.get('/').text and 'home bob' in c2.get('/').text
    c.get('/logout')
    assert 'home bob' in c2.get('/').text


def test_logout_everywhere_and_password_change(env):
    _, acc, c = env
    acc.create_user('ann', PW)
    c2 = Client(c.app)
    login(c)
    login(c2)
    assert acc.logout_everywhere('ann') == 2
    assert c.get('/', follow_redirects=False).status_code == 303
    login(c)
    acc.set_password('ann', 'a brand new password')
    assert c.get('/', follow_redirects=False).status_code == 303
    assert login(c).status_code == 401
    assert login(c, password='a brand new password').status_code == 303


def test_deleted_user_is_logged_out(env):
    _, acc, c = env
    register(c)
    acc.delete_user('ann')
    assert c.get('/', follow_redirects=False).status_code == 303
    assert acc.get_user('ann') is None


def test_session_expires():
    app, acc = make(session_max_age=1)
    c = Client(app)
    register(c)
    assert c.get('/').status_code == 200
    time.sleep(1.1)
    assert c.get('/', follow_redirects=False).status_code == 303


def test_post_from_anonymous_is_redirected_not_run(env):
    _, _, c = env
    r = c.post('/save', data={'text': 'x'}, follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/login')


def test_htmx_requests_get_hx_redirect(env):
    _, acc, c = env
    r = c.get('/page', headers={'hx-request': 'true'}, follow_redirects=False)
    assert r.status_code == 200 and r.headers['hx-redirect'].startswith('/login')
    acc.create_user('ann', PW)
    r = c.post('/login', data={'username': 'ann', 'password': PW}, headers={'hx-request': 'true'})
    assert r.headers['hx-redirect'] == '/'
    assert c.post('/save', data={'text': 'hi'}, headers={'hx-request': 'true'}).text.count('saved hi by ann') == 1


def test_json_login_body(env):
    _, acc, c = env
    acc.create_user('ann', PW)
    r = c.post('/login', json={'username': 'ann', 'password': PW}, follow_redirects=False)
    assert r.status_code == 303 and 'home ann' in c.get('/').text


def test_password_in_query_string_is_ignored(env):
    "Credentials are read from the body only (query strings end up in logs)."
    _, acc, c = env
    acc.create_user('ann', PW)
    r = c.post('/login', params={'username': 'ann', 'password': PW}, follow_redirects=False)
    assert r.status_code == 401


@pytest.mark.parametrize('data', [{'username': ['a', 'b'], 'password': PW}, {'username': 'ann'}, {},
                                  {'username': 'ann', 'password': 'x' * 5000}])
def test_odd_login_bodies_are_refused_not_crashed(env, data):
    _, acc, c = env
    acc.create_user('ann', PW)
    assert c.post('/login', data=data, follow_redirects=False).status_code == 401


def test_cross_site_login_post_is_refused(env):
    "Login CSRF (logging a victim into the attacker's account) is stopped by the CSRF middleware."
    _, acc, c = env
    acc.create_user('ann', PW)
    r = c.post('/login', data={'username': 'ann', 'password': PW}, follow_redirects=False,
               headers={'sec-fetch-site': 'cross-site', 'origin': 'https://evil.example'})
    assert r.status_code == 403


# ---------------------------------------------------------------------------------------------------------------
# Roles

def test_roles_on_routes(env):
    _, acc, c = env
    acc.create_user('ann', PW)
    acc.create_user('eddie', PW, roles=['writer'])
    acc.create_user('root', PW, is_admin=True)
    login(c, 'ann')
    r = c.get('/admin')
    assert r.status_code == 403 and 'cannot open this page' in r.text
    assert c.get('/edit').status_code == 403
    c.get('/logout')
    login(c, 'eddie')
    assert c.get('/edit').text.count('editing') == 1 and c.get('/admin').status_code == 403
    c.get('/logout')
    login(c, 'root')
    assert c.get('/admin').status_code == 200 and c.get('/edit').status_code == 200


def test_role_route_for_anonymous_goes_to_login(env):
    _, _, c = env
    assert c.get('/admin', follow_redirects=False).headers['location'] == '/login?next=/admin'


def test_require_paths_for_a_group_and_rules():
    app, acc = make(rules={r'/ops/.*': 'ops'})
    router = APIRouter(prefix='/team')

    @router.get('/a')
    def team_a():
        return 'team a'

    @router.get('/b')
    def team_b():
        return 'team b'
    router.to_app(app)

    @app.get('/ops/x')
    def ops_x():
        return 'ops x'
    acc.require_paths(r'/team/.*', 'staff')
    acc.create_user('ann', PW, roles=['staff'])
    acc.create_user('bob', PW, roles=['ops'])
    c = Client(app)
    login(c, 'ann')
    assert c.get('/team/a').text == 'team a' and c.get('/team/b').text == 'team b'
    assert c.get('/ops/x').status_code == 403
    c2 = Client(app)
    login(c2, 'bob')
    assert c2.get('/team/a').status_code == 403 and c2.get('/ops/x').text == 'ops x'


def test_set_roles(env):
    _, acc, c = env
    acc.create_user('ann', PW)
    login(c)
    assert c.get('/admin').status_code == 403
    u = acc.set_roles('ann', ['editor'], is_admin=True)
    assert u.is_admin and u.roles == ('editor',) and u.has_role('anything')
    assert c.get('/admin').status_code == 200


@pytest.mark.parametrize('roles', [['has space'], ['<x>'], [''], [3]])
def test_bad_role_names(env, roles):
    _, acc, _ = env
    with pytest.raises(ValueError, match='role'):
        acc.create_user('ann', PW, roles=roles)


def test_unprotected_app_with_require_login():
    app = FastHTML(secret_key='k' * 40)
    acc = Accounts(app, ':memory:', scrypt_n=FAST, protect=False)

    @app.get('/')
    def index(user: User):
        return f'index {user}'

    @app.get('/mine')
    @require_login
    def mine(user: User):
        return f'mine {user}'
    c = Client(app)
    assert c.get('/').text == 'index None'
    assert c.get('/mine', follow_redirects=False).headers['location'] == '/login?next=/mine'
    acc.create_user('ann', PW)
    login(c)
    assert c.get('/mine').text == 'mine ann'


def test_async_handlers_get_the_user(env):
    app, acc, c = env

    @app.get('/async')
    @acc.require('admin')
    async def async_page(user: User, auth):
        return f'async {user.username} {auth.is_admin}'
    acc.create_user('root', PW, is_admin=True)
    login(c, 'root')
    assert c.get('/async').text == 'async root True'


# ---------------------------------------------------------------------------------------------------------------
# Rate limiting

def test_failed_logins_are_limited_per_account():
    app, acc = make(max_failures_per_account=3, max_failures_per_address=100)
    acc.create_user('ann', PW)
    acc.create_user('bob', PW)
    c = Client(app)
    for _ in range(3):
        assert login(c, 'ann', 'wrong password').status_code == 401
    r = login(c, 'ann', PW)  # even the right password waits
    assert r.status_code == 429 and 'Too many failed attempts' in r.text and int(r.headers['retry-after']) > 0
    assert login(c, 'ANN', PW).status_code == 429  # same account, other spelling
    assert login(Client(app), 'bob', PW).status_code == 303  # other accounts are unaffected


def test_failed_logins_are_limited_per_address():
    app, acc = make(max_failures_per_account=100, max_failures_per_address=5)
    acc.create_user('ann', PW)
    c = Client(app)
    for i in range(5):
        assert login(c, f'user{i}', 'wrong password').status_code == 401
    assert login(c, 'ann', PW).status_code == 429


def test_success_resets_the_account_count_but_not_the_address_count():
    app, acc = make(max_failures_per_account=3, max_failures_per_address=4)
    acc.create_user('ann', PW)
    c = Client(app)
    login(c, 'ann', 'wrong password')
    login(c, 'ann', 'wrong password')
    assert login(c, 'ann', PW).status_code == 303
    c.get('/logout')
    login(c, 'ann', 'wrong password')
    login(c, 'ann', 'wrong password')  # 2 since success for the account, 4 for the address
    assert login(c, 'ann', PW).status_code == 429


def test_limits_expire_after_the_window():
    app, acc = make(max_failures_per_account=2, failure_window=1)
    acc.create_user('ann', PW)
    c = Client(app)
    login(c, 'ann', 'x' * 8)
    login(c, 'ann', 'x' * 8)
    assert login(c, 'ann', PW).status_code == 429
    time.sleep(1.1)
    assert login(c, 'ann', PW).status_code == 303


# ---------------------------------------------------------------------------------------------------------------
# Secrecy

def test_passwords_never_logged_or_returned(env, caplog):
    _, acc, c = env
    caplog.set_level(logging.DEBUG)
    secret = 'Very-Secret-Passw0rd'
    responses = [register(c, 'ann', secret), c.get('/'), c.get('/logout'), login(c, 'ann', secret + 'x'),
                 login(c, 'ann', secret), register(Client(c.app), 'ann', secret), register(c, 'zed', secret, 'nope')]
    for r in responses:
        assert secret not in r.text and secret not in str(r.headers)
    assert secret not in caplog.text
    assert 'ann' in caplog.text  # logins are logged, by user name
    u = acc.get_user('ann')
    assert secret not in repr(u) and 'scrypt' not in repr(u) and not hasattr(u, 'pwhash')


def test_database_holds_only_hashes(tmp_path):
    app = FastHTML(secret_key='k' * 40)
    acc = Accounts(app, tmp_path / 'users.db', scrypt_n=FAST)
    acc.create_user('ann', 'Plain-Text-Marker')
    c = Client(app)
    login(c, 'ann', 'Plain-Text-Marker')
    raw = (tmp_path / 'users.db').read_bytes()
    assert b'Plain-Text-Marker' not in raw
    rows = acc._q(f'SELECT id FROM {acc.t_sessions}')
    assert len(rows) == 1 and len(rows[0]['id']) == 64  # the sha256 of the session id, not the id itself
    assert rows[0]['id'] != c.cookies['session_']


def test_persistence_across_restarts(tmp_path):
    db = tmp_path / 'sub' / 'users.db'
    app1 = FastHTML(secret_key='k' * 40)
    Accounts(app1, db, scrypt_n=FAST).create_user('ann', PW, roles=['x'])
    app2 = FastHTML(secret_key='k' * 40)
    acc2 = Accounts(app2, db, scrypt_n=FAST)
    assert acc2.get_user('ann').roles == ('x',)
    assert login(Client(app2), 'ann').status_code == 303


def test_default_cost_and_rehash_on_login(tmp_path):
    "Hashes made at a lower cost are upgraded when the user next logs in."
    db = tmp_path / 'u.db'
    Accounts(FastHTML(secret_key='k' * 40), db, scrypt_n=FAST).create_user('ann', PW)
    app = FastHTML(secret_key='k' * 40)
    acc = Accounts(app, db)
    assert acc._row('ann')['pwhash'].startswith('scrypt$1024$')
    assert login(Client(app)).status_code == 303
    assert acc._row('ann')['pwhash'].startswith('scrypt$16384$')


# ---------------------------------------------------------------------------------------------------------------
# Pages and setup

def test_replaceable_pages():
    def my_login(req, error, username, next, accounts):
        return Div(P(f'custom login {error or ""}'), id='mine')
    app, acc = make(login_page=my_login)
    c = Client(app)
    assert 'custom login' in c.get('/login').text
    assert 'custom login Wrong username or password.' in login(c, 'x', 'y' * 8).text


def test_subclass_pages():
    class MyAccounts(Accounts):
        def register_page(self, req, error=None, username='', next=''):
            return P(f'join us {error or ""}')
    app = FastHTML(secret_key='k' * 40)
    MyAccounts(app, ':memory:', scrypt_n=FAST)
    c = Client(app)
    assert 'join us' in c.get('/register').text
    assert register(c, 'an').text.count('join us Usernames are') == 1


@pytest.mark.parametrize('kw,msg', [(dict(login_path='login'), 'login_path'), (dict(table_prefix='x;'), 'prefix'),
                                    (dict(scrypt_n=1000), 'scrypt_n')])
def test_bad_setup_fails_at_construction(kw, msg):
    with pytest.raises(ValueError, match=msg):
        Accounts(FastHTML(secret_key='k' * 40), ':memory:', **kw)


def test_create_user_errors(env):
    _, acc, _ = env
    acc.create_user('ann', PW)
    with pytest.raises(ValueError, match='taken'):
        acc.create_user('Ann', PW)
    with pytest.raises(ValueError, match='at least'):
        acc.create_user('bob', 'x')
    with pytest.raises(KeyError):
        acc.set_roles('nobody', [])
    with pytest.raises(KeyError):
        acc.delete_user('nobody')


def test_concurrent_registrations(env):
    _, acc, _ = env
    errors = []

    def reg(i):
        try:
            acc.create_user(f'user{i}', PW)
        except Exception as e:  # noqa: BLE001 (any failure is collected and asserted absent below)
            errors.append(e)
    ts = [threading.Thread(target=reg, args=(i,)) for i in range(12)]
    [t.start() for t in ts]
    [t.join(30) for t in ts]
    assert errors == [] and len(acc.users()) == 12


def test_user_helpers():
    u = User(1, 'ann', ('a', 'b'))
    assert str(u) == 'ann' and u.has_role('b') and not u.has_role('c') and u.has_role()
    assert User(2, 'root', is_admin=True).has_role('anything')


def test_registrations_are_rate_limited_per_address():
    "Sign-ups count per client address (made or refused); over the limit: 429 with Retry-After, no account made."
    app, acc = make(max_registrations_per_address=3)
    assert register(Client(app), 'ann').status_code == 303
    assert register(Client(app), 'ann').status_code == 400  # taken: still counts
    assert register(Client(app), 'bob').status_code == 303
    r = register(Client(app), 'cyd')
    assert r.status_code == 429 and 'Too many sign-ups' in r.text and int(r.headers['retry-after']) > 0
    assert 'value="cyd"' in r.text
    assert acc.get_user('cyd') is None and acc.get_user('bob') is not None
    assert Client(app).get('/register').status_code == 200  # showing the form is not limited


def test_registration_limit_ends_with_the_window():
    app, acc = make(max_registrations_per_address=1, failure_window=1)
    assert register(Client(app), 'ann').status_code == 303
    assert register(Client(app), 'bob').status_code == 429
    time.sleep(1.1)
    assert register(Client(app), 'bob').status_code == 303
