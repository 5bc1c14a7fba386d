"""Health endpoints (fasthtml.health): liveness, readiness checks, and staying out of the app's way."""
import asyncio
import logging
import threading
import time

import pytest
from redis_server import start_redis
from starlette.responses import RedirectResponse
from variants import variant

from fasthtml.accounts import Accounts
from fasthtml.authmw import user_pwd_auth
from fasthtml.core import Beforeware, Client, FastHTML
from fasthtml.fastapp import fast_app
from fasthtml.health import HealthChecks, add_ready_check, database_check, ready_checks, remove_ready_check
from fasthtml.pubsub import PubSub

ALL_METHODS_CROSS = {'Origin': 'https://evil.example', 'Sec-Fetch-Site': 'cross-site'}


def mkapp(**kw):
    return FastHTML(secret_key='health-test-' * 4, **kw)


def test_off_unless_asked_for_as_in_fasthtml():
    "An app that did not ask for them answers /health and /ready as before: 404 (pinned against FastHTML 0.14.14)."
    app, rt = fast_app(secret_key='k' * 40)
    c = Client(app)
    assert c.get('/health').status_code == 404 and c.get('/ready').status_code == 404


def test_liveness_and_readiness_answer_json():
    app = mkapp()
    HealthChecks(app)
    c = Client(app)
    r = c.get('/health')
    assert (r.status_code, r.json(), r.headers['content-type'], r.headers['cache-control']) == \
        (200, {'status': 'ok'}, 'application/json', 'no-store')
    assert 'set-cookie' not in r.headers and 'vary' not in r.headers
    r = c.head('/health')
    assert r.status_code == 200 and r.content == b'' and r.headers['content-length'] == '15'
    r = c.get('/ready')
    assert (r.status_code, r.json()) == (200, {'status': 'ready', 'checks': {}})
    # other methods are the app's business (here: no route, so 404)
    assert c.post('/health').status_code == 404


def test_outside_beforeware_login_basic_auth_and_csrf():
    seen = []

    def gate(req):
        seen.append(req.url.path)
        return RedirectResponse('/login', 303)
    app = mkapp(before=Beforeware(gate), middleware=[user_pwd_auth({'u': 'p'})])
    Accounts(app, ':memory:', scrypt_n=2**10)
    HealthChecks(app)
    c = Client(app)
    assert c.get('/anything', follow_redirects=False).status_code == 401  # basic auth guards the app
    for path in ('/health', '/ready'):
        r = c.get(path, headers=ALL_METHODS_CROSS, follow_redirects=False)
        assert r.status_code == 200, path
        assert 'set-cookie' not in r.headers
    assert seen == []


def test_an_app_with_its_own_health_route_keeps_it(caplog, kind):
    caplog.set_level(logging.WARNING, 'fasthtml.health')
    app = mkapp()

    def health():
        return 'mine'
    app.route('/health')(variant(kind, health))
    HealthChecks(app)
    c = Client(app)
    assert c.get('/health').text == 'mine'
    assert c.get('/health').text == 'mine'
    assert c.get('/ready').json()['status'] == 'ready'
    warnings = [r.getMessage() for r in caplog.records if r.name == 'fasthtml.health']
    assert len(warnings) == 1 and 'own route at /health' in warnings[0]


def test_a_catch_all_route_does_not_hide_them():
    app = mkapp()

    @app.get('/{page}')
    def page(page: str): return f'page {page}'
    HealthChecks(app)
    c = Client(app)
    assert c.get('/health').json() == {'status': 'ok'} and c.get('/about').text == 'page about'


def test_paths_are_configurable_and_each_can_be_left_out():
    app = mkapp()
    HealthChecks(app, live='/healthz', ready=None)
    c = Client(app)
    assert c.get('/healthz').json() == {'status': 'ok'}
    assert c.get('/health').status_code == 404 and c.get('/ready').status_code == 404
    app2 = mkapp()
    HealthChecks(app2, live=None, ready='/_ready')
    c2 = Client(app2)
    assert c2.get('/_ready').json()['status'] == 'ready' and c2.get('/health').status_code == 404


@pytest.mark.parametrize('kw, msg', [(dict(live='health'), 'live must be a path'), (dict(ready=3), 'ready must be'),
                                     (dict(live='/h', ready='/h'), 'different paths'),
                                     (dict(timeout=0), 'timeout'), (dict(timeout='1'), 'timeout')])
def test_setup_mistakes(kw, msg):
    with pytest.raises(ValueError, match=msg):
        HealthChecks(mkapp(), **kw)


def test_set_up_once_and_before_serving():
    app = mkapp()
    HealthChecks(app)
    with pytest.raises(ValueError, match='already has'):
        HealthChecks(app)
    served = mkapp()
    Client(served).get('/')
    with pytest.raises(RuntimeError, match='before the app serves'):
        HealthChecks(served)
    with pytest.raises(ValueError, match='non-empty str'):
        add_ready_check(app, '', lambda: None)
    with pytest.raises(TypeError, match='callable'):
        add_ready_check(app, 'x', 'not a function')


# ---------------------------------------------------------------------------------------------------------------
# Readiness checks

def test_checks_pass_and_fail_sync_and_async(kind, caplog):
    caplog.set_level(logging.WARNING, 'fasthtml.health')
    app = mkapp()
    health = HealthChecks(app)
    state = {'db': True}

    def db_ok():
        if not state['db']:
            raise ConnectionError('cannot reach db.internal:5432 as admin')

    def flag():
        return state['db']
    health.add('db', variant(kind, db_ok))
    add_ready_check(app, 'flag', variant(kind, flag))
    c = Client(app)
    assert c.get('/ready').json() == {'status': 'ready', 'checks': {'db': 'ok', 'flag': 'ok'}}
    state['db'] = False
    r = c.get('/ready')
    assert r.status_code == 503
    assert r.json() == {'status': 'unavailable', 'failed': ['db', 'flag'],
                        'checks': {'db': 'failed: ConnectionError', 'flag': 'failed'}}
    assert 'db.internal' not in r.text  # the reason stays in the log
    assert any('db.internal' in rec.getMessage() for rec in caplog.records)
    state['db'] = True
    assert c.get('/ready').status_code == 200
    assert any('passes again' in rec.getMessage() for rec in caplog.records)
    remove_ready_check(app, 'flag')
    remove_ready_check(app, 'nothing')
    assert c.get('/ready').json()['checks'] == {'db': 'ok'}


def test_a_slow_check_times_out_and_a_stuck_one_is_not_started_again():
    app = mkapp()
    HealthChecks(app, timeout=0.2)
    release = threading.Event()
    runs = []

    def stuck():
        runs.append(1)
        release.wait(30)

    async def slow():
        await asyncio.sleep(30)
    add_ready_check(app, 'stuck', stuck)
    add_ready_check(app, 'slow', slow)
    c = Client(app)
    try:
        r = c.get('/ready')
        assert r.status_code == 503
        assert r.json()['checks'] == {'stuck': 'timed out after 0.2s', 'slow': 'timed out after 0.2s'}
        r = c.get('/ready')
        assert r.json()['checks']['stuck'] == 'timed out (the previous check has not returned after 0.2s)'
        assert runs == [1]
    finally:
        release.set()
    deadline = time.monotonic() + 10
    while c.get('/ready').json()['checks']['stuck'] != 'ok':
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_concurrent_polls_share_one_run():
    app = mkapp()
    HealthChecks(app)
    runs = []

    async def check():
        runs.append(1)
        await asyncio.sleep(0.05)
    add_ready_check(app, 'x', check)

    async def main():
        health = HealthChecks.of(app)
        assert health is not None
        results = await asyncio.gather(*(health.readiness() for _ in range(5)))
        return results
    results = asyncio.run(main())
    assert runs == [1] and all(r == (True, {'x': 'ok'}) for r in results)


def test_shutting_down_is_not_ready():
    from fasthtml._shutdown import shutdown_event
    app = mkapp()
    HealthChecks(app)
    c = Client(app)
    shutdown_event.set()
    try:
        r = c.get('/ready')
        assert (r.status_code, r.json()) == (503, {'status': 'stopping'})
        assert c.get('/health').status_code == 200
    finally:
        shutdown_event.clear()


def test_databases_register_themselves(tmp_path):
    app, rt, todos, Todo = fast_app(str(tmp_path / 'app.db'), todos=dict(id=int, title=str, pk='id'),
                                    secret_key='k' * 40)
    Accounts(app, str(tmp_path / 'users.db'), scrypt_n=2**10)
    HealthChecks(app)
    assert set(ready_checks(app)) == {'database', 'accounts'}
    r = Client(app).get('/ready')
    assert r.json() == {'status': 'ready', 'checks': {'database': 'ok', 'accounts': 'ok'}}
    # Accounts sharing the app's database adds no second check
    app2, _, _, _ = fast_app(str(tmp_path / 'app2.db'), todos=dict(id=int, title=str, pk='id'), secret_key='k' * 40)
    Accounts(app2, app2.db, scrypt_n=2**10)
    assert set(ready_checks(app2)) == {'database'}


def test_database_check_fails_on_a_closed_database():
    import apsw
    from fastlite import database
    db = database(':memory:')
    check = database_check(db)
    check()
    db.conn.close()
    with pytest.raises(apsw.ConnectionClosedError):
        check()


def test_checks_of_mounted_apps_are_named_with_their_prefix():
    from fasthtml.compose import combine
    blog, shop = mkapp(), mkapp()
    add_ready_check(blog, 'search', lambda: None)
    add_ready_check(shop, 'payments', lambda: False)
    site = combine({'/blog': blog, '/shop': shop}, secret_key='k' * 40)
    add_ready_check(site, 'own', lambda: None)
    r = Client(site).get('/ready')
    assert r.status_code == 503
    assert r.json() == {'status': 'unavailable', 'failed': ['/shop:payments'],
                        'checks': {'own': 'ok', '/blog:search': 'ok', '/shop:payments': 'failed'}}


def test_redis_pubsub_registers_a_ping(tmp_path):
    server = start_redis(tmp_path)
    try:
        app = mkapp()
        PubSub(app, url=server.url)
        HealthChecks(app, timeout=2)
        c = Client(app)
        assert c.get('/ready').json() == {'status': 'ready', 'checks': {'redis': 'ok'}}
        server.stop()
        r = c.get('/ready')
        assert r.status_code == 503 and r.json()['failed'] == ['redis']
        assert r.json()['checks']['redis'].startswith(('failed: ', 'timed out'))
    finally:
        server.stop()


def test_memory_pubsub_adds_no_check():
    app = mkapp()
    PubSub(app, url='memory://')
    assert ready_checks(app) == {}


def test_serving_health_runs_no_session_or_app_code():
    "Polled every second: the layer answers before sessions, Beforeware and routing."
    from starlette.middleware import Middleware
    calls = []

    class Spy:
        def __init__(self, app): self.app = app

        async def __call__(self, scope, receive, send):
            calls.append(scope.get('path'))
            await self.app(scope, receive, send)
    app = mkapp(middleware=[Middleware(Spy)], before=lambda req: calls.append('before'))
    HealthChecks(app)
    c = Client(app)
    for _ in range(3):
        assert c.get('/health', headers={'cookie': 'session_=garbage'}).status_code == 200
    assert calls == []
