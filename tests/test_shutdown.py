"""Graceful shutdown under load: SIGTERM to `uvicorn scale_app:app --workers 2` (PostgreSQL, Redis) while requests
are in flight. Requests already running finish and are answered; every write the server acknowledged is in the
database; websockets are closed with 1012 (service restart: htmx reconnects, to another server); event streams end;
the server exits by itself, within its graceful-shutdown bound, without cancelling anything."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from redis_server import free_port, kill_group, start_redis
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from fasthtml.db import database

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
PW = 'correct horse battery'
N_SLOW, SLOW_SECONDS, N_LOAD = 6, 2.0, 4


def _start(tmp_path: Path, env: dict) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    log = tmp_path / 'uvicorn.log'
    full_env = {**os.environ, 'PYTHONPATH': str(REPO), 'PYTHONUNBUFFERED': '1', **env}
    with open(log, 'wb') as out:
        proc = subprocess.Popen([sys.executable, '-m', 'uvicorn', 'scale_app:app', '--app-dir', str(TESTS),
                                 '--host', '127.0.0.1', '--port', str(port), '--workers', '2',
                                 '--timeout-graceful-shutdown', '20'],
                                cwd=tmp_path, env=full_env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    url = f'http://127.0.0.1:{port}'
    seen: set[str] = set()
    deadline = time.monotonic() + 90
    while len(seen) < 2 and time.monotonic() < deadline and proc.poll() is None:
        try:
            seen.add(httpx.get(url + '/pid', timeout=10, headers={'Connection': 'close'}).text)
        except httpx.HTTPError:
            time.sleep(0.2)
    assert len(seen) == 2, log.read_text()[-3000:]
    return proc, url, log


def test_sigterm_under_load_loses_no_acknowledged_write(pg_server, tmp_path):
    redis = start_redis(tmp_path)
    db_url = pg_server.create_database('shutdown')
    proc, url, log = _start(tmp_path, {'DATABASE_URL': db_url, 'FASTHTML_PUBSUB_URL': redis.url})
    try:
        _run(proc, url, log, db_url)
    finally:
        kill_group(proc)
        redis.stop()


def _run(proc: subprocess.Popen, url: str, log: Path, db_url: str) -> None:
    # A logged-in user for the websockets (the feed needs a login); event streams are public.
    r = httpx.post(url + '/register', data=dict(username='ann', password=PW, password2=PW), timeout=30)
    assert r.status_code == 303, r.text
    cookie = '; '.join(f'{k}={v}' for k, v in r.cookies.items())
    ws_results: list[object] = []
    sse_results: list[str] = []

    def websocket() -> None:
        with connect(url.replace('http', 'ws') + '/feed', additional_headers={'Cookie': cookie},
                     open_timeout=30) as ws:
            ws.recv(timeout=30)  # the worker's greeting: joined
            ws_results.append('open')
            try:
                while True:
                    ws.recv(timeout=60)
            except ConnectionClosed as e:
                ws_results.append(e.rcvd.code if e.rcvd else None)
            except TimeoutError:
                ws_results.append('timeout')

    def stream() -> None:
        try:
            with httpx.stream('GET', url + '/events', timeout=60) as resp:
                for _ in resp.iter_lines():
                    pass
            sse_results.append('ended')
        except httpx.HTTPError as e:
            sse_results.append(f'error {e!r}')

    side = [threading.Thread(target=websocket) for _ in range(2)] + [threading.Thread(target=stream) for _ in range(2)]
    for t in side:
        t.start()
    deadline = time.monotonic() + 60
    while (ws_results.count('open') < 2) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ws_results.count('open') == 2

    # Slow requests, certainly in flight when the signal comes: they have written `started` before it is sent.
    slow: dict[str, object] = {}

    def slow_write(i: int) -> None:
        try:
            r = httpx.post(url + '/write', params={'tag': f'slow-{i}', 'wait': SLOW_SECONDS}, timeout=60)
            slow[f'slow-{i}'] = r.status_code
        except httpx.HTTPError as e:
            slow[f'slow-{i}'] = repr(e)

    # Load: fresh connections, one write each, acknowledged by a 200 naming the write.
    acked: list[str] = []
    failed: list[str] = []
    stop = threading.Event()

    def load(n: int) -> None:
        i = 0
        errors_after_stop = 0
        while not stop.is_set() and errors_after_stop < 20:
            tag = f'load-{n}-{i}'
            i += 1
            try:
                r = httpx.post(url + '/write', params={'tag': tag}, timeout=30, headers={'Connection': 'close'})
                if r.status_code == 200 and r.text.split()[1] == tag:
                    acked.append(tag)
                else:
                    failed.append(f'{tag} {r.status_code}')
            except httpx.HTTPError:
                failed.append(tag)
                if sigterm_at:
                    errors_after_stop += 1
                    time.sleep(0.05)
    sigterm_at: list[float] = []
    workers = [threading.Thread(target=slow_write, args=(i,)) for i in range(N_SLOW)]
    workers += [threading.Thread(target=load, args=(n,)) for n in range(N_LOAD)]
    for t in workers:
        t.start()
    db = database(db_url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        started = db.q("SELECT count(*) AS n FROM writes WHERE tag LIKE 'slow-%'")[0]['n']
        if started == N_SLOW and len(acked) >= 10:
            break
        time.sleep(0.05)
    assert started == N_SLOW and len(acked) >= 10, (started, len(acked))

    sigterm_at.append(time.monotonic())
    proc.send_signal(signal.SIGTERM)  # the supervisor passes it on to both workers
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        raise AssertionError(f'the server did not exit within 60 s of SIGTERM:\n{log.read_text()[-3000:]}') from None
    stop.set()
    for t in workers + side:
        t.join(60)
    text = log.read_text()

    # In-flight requests finished and were answered.
    assert slow == {f'slow-{i}': 200 for i in range(N_SLOW)}, (slow, text[-3000:])
    rows = {r['tag']: r['state'] for r in db.q('SELECT tag, state FROM writes')}
    assert all(rows[f'slow-{i}'] == 'done' for i in range(N_SLOW))
    # Every acknowledged write is there, complete.
    missing = [t for t in acked if rows.get(t) != 'done']
    assert missing == [] and len(acked) >= 10
    # Websockets were closed by the server with 1012 (service restart); event streams ended.
    assert sorted(x for x in ws_results if x != 'open') == [1012, 1012], ws_results
    assert sse_results == ['ended', 'ended'], sse_results
    # Nothing had to be cancelled (the graceful bound was not reached), nothing failed.
    assert 'timeout graceful shutdown exceeded' not in text and 'Traceback' not in text, text[-3000:]
    db.close()
