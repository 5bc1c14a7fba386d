"""Several workers: serve(workers=N), how a worker learns N, one session key for all of them (refused otherwise),
the key file created once by workers starting together, and live reload off under several workers."""
import os
import runpy
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis_server import free_port, kill_group

from fasthtml import _deploy
from fasthtml.core import get_key

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('TMPDIR', str(tmp_path))  # the key-check folder goes here, away from other tests
    # serve(workers=N) sets FASTHTML_WORKERS in os.environ itself: setting it here first makes monkeypatch put
    # back what was there before (nothing), so no later test runs as if under several workers.
    monkeypatch.setenv(_deploy.WORKERS_ENV, '')
    monkeypatch.delenv(_deploy.WORKERS_ENV)
    monkeypatch.setenv('WEB_CONCURRENCY', '')
    monkeypatch.delenv('WEB_CONCURRENCY')
    return tmp_path


def test_workers_configured(in_tmp, monkeypatch):
    monkeypatch.setattr(sys, 'argv', ['app.py'])
    assert _deploy.workers_configured() == 1
    monkeypatch.setenv('WEB_CONCURRENCY', '3')
    assert _deploy.workers_configured() == 3
    monkeypatch.setattr(sys, 'argv', ['uvicorn', 'app:app', '--workers', '4'])
    assert _deploy.workers_configured() == 4
    monkeypatch.setattr(sys, 'argv', ['gunicorn', '-w=5', 'app:app'])
    assert _deploy.workers_configured() == 5
    monkeypatch.setenv(_deploy.WORKERS_ENV, '2')
    assert _deploy.workers_configured() == 2


SERVE_APP = '''
from fasthtml.common import *
app, rt = fast_app(secret_key='k')
serve(workers={workers})
'''


@pytest.mark.parametrize('workers', [2, 1])
def test_serve_with_workers(in_tmp, monkeypatch, workers):
    import uvicorn
    calls = []
    monkeypatch.setattr(uvicorn, 'run', lambda *a, **kw: calls.append((a, kw)))
    (in_tmp / 'multi.py').write_text(SERVE_APP.format(workers=workers))
    runpy.run_path(str(in_tmp / 'multi.py'), run_name='__main__')
    (args, kw), = calls
    assert args == ('multi:app',) and kw['workers'] == workers and kw['timeout_graceful_shutdown'] == 30
    assert kw.get('reload', False) is (workers == 1)  # uvicorn reloads a single process only
    assert os.environ[_deploy.WORKERS_ENV] == str(workers)  # inherited by the worker processes


@pytest.mark.parametrize('bad', [0, -1, 2.0, '2'])
def test_serve_refuses_bad_worker_counts(in_tmp, monkeypatch, bad):
    import uvicorn
    monkeypatch.setattr(uvicorn, 'run', lambda *a, **kw: None)
    (in_tmp / 'bad.py').write_text(SERVE_APP.format(workers=repr(bad)))
    with pytest.raises(ValueError, match='positive int'):
        runpy.run_path(str(in_tmp / 'bad.py'), run_name='__main__')


RACE = '''
import sys, time
from fasthtml.core import get_key
t = float(sys.argv[1])
while time.time() < t: pass
print(get_key(None, 'race.key'))
'''


def test_workers_starting_together_share_the_key_file(in_tmp):
    "Eight processes create the key file at the same instant: one writes it, all read the same complete key."
    (in_tmp / 'race.py').write_text(RACE)
    for round_ in range(3):
        (in_tmp / 'race.key').unlink(missing_ok=True)
        go = time.time() + 1.5
        procs = [subprocess.Popen([sys.executable, 'race.py', str(go)], cwd=in_tmp, stdout=subprocess.PIPE, text=True)
                 for _ in range(8)]
        keys = {p.communicate(timeout=120)[0].strip() for p in procs}
        assert len(keys) == 1 and len(keys.pop()) >= 32, round_
        assert oct((in_tmp / 'race.key').stat().st_mode & 0o777) == '0o600'
    assert [p.name for p in in_tmp.iterdir() if p.name.startswith('.sesskey-')] == []  # no temp files left


def test_get_key_reads_what_exists(in_tmp):
    (in_tmp / 'k').write_text('given-key\n')
    assert get_key(None, 'k') == 'given-key' and get_key('explicit', 'k') == 'explicit'
    made = get_key(None, 'new.key')
    assert get_key(None, 'new.key') == made


CHECK = '''
import sys
from fasthtml._deploy import check_shared_key, KeyMismatchError
try:
    check_shared_key(sys.argv[1], workers=2)
    print('ok')
except KeyMismatchError as e:
    print('refused: ' + str(e))
'''


def test_sibling_workers_must_share_the_key(in_tmp):
    "Workers of one server (same parent process) compare key fingerprints: a different key is refused."
    (in_tmp / 'check.py').write_text(CHECK)
    env = {**os.environ, 'TMPDIR': str(in_tmp)}

    def run(key: str) -> str:
        return subprocess.run([sys.executable, 'check.py', key], cwd=in_tmp, env=env, capture_output=True,
                              text=True, timeout=120).stdout.strip()
    assert run('same-key') == 'ok'
    assert run('same-key') == 'ok'
    out = run('another-key')
    assert out.startswith('refused: The 2 worker processes of this server sign session cookies with different')
    assert 'secrets.token_hex()' in out and 'SESSION_SECRET' in out
    files = list((in_tmp / f'fasthtml-keys-{os.getuid()}').iterdir())
    assert len(files) == 1 and 'same-key' not in files[0].read_text()  # a fingerprint, never the key


def test_one_worker_is_never_checked(in_tmp):
    _deploy.check_shared_key('a', workers=1)
    _deploy.check_shared_key('b', workers=1)
    assert not (in_tmp / f'fasthtml-keys-{os.getuid()}').exists()


RANDOM_KEY_APP = '''
import secrets
from fasthtml.common import *
app, rt = fast_app(secret_key=secrets.token_hex(16))

@rt
def index(): return P('hi')
'''


def test_uvicorn_workers_with_random_keys_refuse_to_start(in_tmp):
    "The real thing: `uvicorn app:app --workers 2` on an app making its key at random stops with the message."
    (in_tmp / 'randkey.py').write_text(RANDOM_KEY_APP)
    port = free_port()
    env = {**os.environ, 'TMPDIR': str(in_tmp), 'PYTHONPATH': str(REPO)}
    log = in_tmp / 'uvicorn.log'
    with open(log, 'wb') as out:
        proc = subprocess.Popen([sys.executable, '-m', 'uvicorn', 'randkey:app', '--workers', '2', '--port', str(port),
                                 '--host', '127.0.0.1'], cwd=in_tmp, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        proc.wait(90)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        pytest.fail(f'uvicorn kept running:\n{log.read_text()[-3000:]}')
    text = log.read_text()  # (uvicorn's supervisor itself exits 0 after "Child process ... failed to start")
    assert 'failed to start, stopping the parent process' in text
    assert 'sign session cookies with different secret keys' in text, text[-3000:]


LIVE_APP = '''
from fasthtml.common import *
app, rt = fast_app(live=True, secret_key='k')
'''


def test_live_reload_is_off_under_several_workers(in_tmp, monkeypatch, caplog):
    from fasthtml.live_reload import FastHTMLWithLiveReload
    app = FastHTMLWithLiveReload(secret_key='k')
    assert any('live-reload' in str(h) for h in app.hdrs)
    monkeypatch.setenv(_deploy.WORKERS_ENV, '2')
    app = FastHTMLWithLiveReload(secret_key='k')
    assert not any('live-reload' in str(h) for h in app.hdrs)
    assert not any(getattr(r, 'path', '') == '/live-reload' for r in app.routes)
    assert 'live reload is off' in caplog.text


def test_single_worker_startup_is_unchanged(in_tmp):
    "The startup check costs nothing under one worker: an app with a random key starts as always."
    from fasthtml.common import fast_app
    from fasthtml.starlette import TestClient
    app, rt = fast_app(secret_key=os.urandom(8).hex())

    @rt('/')
    def index():
        return 'ok'
    with TestClient(app) as c:  # runs the lifespan
        assert c.get('/').text == 'ok'
    assert not (in_tmp / f'fasthtml-keys-{os.getuid()}').exists()
