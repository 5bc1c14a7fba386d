"""Accounts at scale: the same flows on SQLite and PostgreSQL, and rate limits shared by every worker.

Two `Accounts` objects on one database (or one Redis) stand for two worker processes: they share nothing in memory,
so whatever limit holds across them holds across processes. Parallel attempts from many threads check that counting
is atomic (an attempt is counted before it runs, so N parallel requests cannot all slip under the limit).
"""
import logging
import threading

import pytest
from redis_server import start_redis

from fasthtml.accounts import Accounts, User
from fasthtml.components import P
from fasthtml.core import Client, FastHTML
from fasthtml.db import database, is_url

PW = 'correct horse battery'
FAST = 2**10


def make(db, **kw):
    app = FastHTML(secret_key='accounts-scale-key-' * 3)
    acc = Accounts(app, db, scrypt_n=FAST, **kw)

    @app.get('/')
    def index(user: User):
        return P(f'home {user.username}')

    @app.get('/admin')
    @acc.require('admin')
    def admin(user: User):
        return P('admin area')
    return app, acc


def login(c, username='ann', password=PW):
    return c.post('/login', data=dict(username=username, password=password), follow_redirects=False)


@pytest.fixture(scope='module')
def redis_srv(tmp_path_factory):
    srv = start_redis(tmp_path_factory.mktemp('redis'))
    yield srv
    srv.stop()


def test_accounts_run_unchanged_on_both_backends(db_target):
    app, acc = make(db_target)
    c = Client(app)
    assert c.get('/', follow_redirects=False).status_code == 303
    r = c.post('/register', data=dict(username='Ann', password=PW, password2=PW), follow_redirects=False)
    assert r.status_code == 303 and 'home Ann' in c.get('/').text
    assert c.get('/admin').status_code == 403
    c.get('/logout')
    assert c.get('/', follow_redirects=False).status_code == 303
    assert login(c, 'ann', 'wrong password').status_code == 401
    assert login(c, 'ANN', PW).status_code == 303 and 'home Ann' in c.get('/').text
    root = acc.create_user('root', PW, roles=['ops'], is_admin=True)
    assert (root.is_admin, root.roles) == (True, ('ops',))
    assert [u.username for u in acc.users()] == ['Ann', 'root']
    acc.set_roles('Ann', ['editor'])
    assert acc.get_user('ann').roles == ('editor',)
    other = Client(app)
    assert login(other, 'ann', PW).status_code == 303
    assert acc.logout_everywhere('ann') == 2
    assert c.get('/', follow_redirects=False).status_code == 303
    assert other.get('/', follow_redirects=False).status_code == 303
    acc.delete_user('root')
    assert acc.get_user('root') is None
    if is_url(db_target):
        acc.db.close()


def test_state_survives_a_restart(db_target):
    "A second app object on the same database (a restart, or another worker) sees the users and sessions."
    app, acc = make(db_target)
    acc.create_user('ann', PW)
    c = Client(app)
    assert login(c, 'ann', PW).status_code == 303
    app2, acc2 = make(db_target)
    c2 = Client(app2)
    cookie = '; '.join(f'{k}={v}' for k, v in c.cookies.items())
    assert 'home ann' in c2.get('/', headers={'Cookie': cookie}).text


def test_failed_logins_are_limited_across_workers(db_target):
    "Two workers on one database share the counters: failures on either count against the same limit."
    app1, acc1 = make(db_target, max_failures_per_account=3, max_failures_per_address=100)
    app2, _ = make(db_target, max_failures_per_account=3, max_failures_per_address=100)
    acc1.create_user('ann', PW)
    w1, w2 = Client(app1), Client(app2)
    assert login(w1, 'ann', 'wrong password').status_code == 401
    assert login(w2, 'ann', 'wrong password').status_code == 401
    assert login(w1, 'ann', 'wrong password').status_code == 401
    assert login(w2, 'ann', PW).status_code == 429
    assert login(w1, 'ann', PW).status_code == 429


def test_redis_counters_are_shared_by_workers_with_separate_databases(redis_srv, tmp_path, caplog):
    "With a Redis URL the counters live in Redis: workers share the limit even without a shared database."
    kw = dict(max_failures_per_account=100, max_failures_per_address=3, rate_limit_url=redis_srv.url)
    app1, acc1 = make(str(tmp_path / 'a.db'), table_prefix='r1_', **kw)
    app2, acc2 = make(str(tmp_path / 'b.db'), table_prefix='r1_', **kw)
    for acc in (acc1, acc2):
        acc.create_user('ann', PW)
    assert type(acc1._counters).__name__ == 'RedisCounters'
    w1, w2 = Client(app1), Client(app2)
    assert login(w1, 'x1', 'wrong password').status_code == 401
    assert login(w2, 'x2', 'wrong password').status_code == 401
    assert login(w1, 'x3', 'wrong password').status_code == 401
    r = login(w2, 'ann', PW)
    assert r.status_code == 429 and 0 < int(r.headers['retry-after']) <= 15 * 60 + 1
    # the database of neither worker holds the counters
    assert acc1.db.q('SELECT count(*) AS n FROM r1_throttle')[0]['n'] == 0


def test_redis_from_the_environment(redis_srv, tmp_path, monkeypatch):
    monkeypatch.setenv('FASTHTML_PUBSUB_URL', redis_srv.url)
    _, acc = make(str(tmp_path / 'a.db'))
    assert type(acc._counters).__name__ == 'RedisCounters'
    monkeypatch.setenv('FASTHTML_PUBSUB_URL', 'memory://')
    _, acc = make(str(tmp_path / 'b.db'))
    assert type(acc._counters).__name__ == 'DbCounters'


def test_redis_outage_falls_back_to_the_database(tmp_path, caplog):
    "A Redis that does not answer neither locks users out nor lifts the limit: the database counts instead."
    from redis_server import free_port
    app, acc = make(str(tmp_path / 'a.db'), max_failures_per_account=2, max_failures_per_address=100,
                    rate_limit_url=f'redis://127.0.0.1:{free_port()}/0')
    acc.create_user('ann', PW)
    c = Client(app)
    with caplog.at_level(logging.ERROR, logger='fasthtml.ratelimit'):
        assert login(c, 'ann', 'wrong password').status_code == 401
        assert login(c, 'ann', 'wrong password').status_code == 401
        assert login(c, 'ann', PW).status_code == 429
    assert 'Redis failed' in caplog.text


@pytest.mark.parametrize('store', ['database', 'redis'])
def test_parallel_attempts_cannot_exceed_the_limit(store, pg_url, redis_srv):
    "24 wrong passwords at once against a limit of 5: exactly 5 are tried (401), the rest refused (429)."
    kw = dict(max_failures_per_account=5, max_failures_per_address=1000, table_prefix='par_')
    if store == 'redis':
        kw['rate_limit_url'] = redis_srv.url
    app, acc = make(pg_url, **kw)
    acc.create_user('ann', PW)
    codes: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(24)

    def go() -> None:
        c = Client(app)
        start.wait(30)
        code = login(c, 'ann', 'wrong password').status_code
        with lock:
            codes.append(code)
    threads = [threading.Thread(target=go) for _ in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(codes) == [401] * 5 + [429] * 19
    acc.db.close()


def test_counters_on_postgres_directly(pg_url):
    from fasthtml._ratelimit import DbCounters
    db = database(pg_url)
    c = DbCounters(db, 'ctr')
    assert c.attempt('k', 60)[0] == 1 and c.attempt('k', 60)[0] == 2
    n, left = c.peek('k', 60)
    assert n == 2 and 59 <= left <= 60
    c.forgive('k')
    assert c.peek('k', 60)[0] == 1
    c.clear('k')
    assert c.peek('k', 60) == (0, 0.0)
    assert c.attempt('old', 0.0001)[0] == 1
    import time
    time.sleep(0.01)
    assert c.attempt('old', 0.0001)[0] == 1  # a new window starts over
    db.close()
