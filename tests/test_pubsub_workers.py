"""The broadcast proof: one app under `uvicorn --workers 2` (real processes, one port) with the Redis backend.

At least 20 subscribers (websockets and event streams) spread over both workers; 500 messages published from both
workers at once; every subscriber receives every message exactly once, in order per publisher. A second test runs
the in-memory backend under 2 workers and checks the startup warning that broadcast is then per-process.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import time
from collections import defaultdict
from pathlib import Path

import httpx2
import pytest
import websockets
from redis_server import free_port, kill_group, start_redis

REPO = Path(__file__).resolve().parents[1]

APP = '''
import os
from fasthtml.core import FastHTML, EventStream
from fasthtml.components import P
from fasthtml.pubsub import PubSub
from fasthtml._ftextras import sse_message

app = FastHTML(secret_key='proof-secret')
hub = PubSub(app)                 # the backend comes from FASTHTML_PUBSUB_URL
PID = str(os.getpid())

async def joined(ws, send):
    await hub.join(ws, 'proof')
    await send('ready ' + PID)

@app.ws('/sub', conn=joined)
async def sub(pub: str, n: int, send):
    "A message on the socket makes this worker publish `n` messages as publisher `pub`."
    last = None
    for i in range(n):
        last = hub.publish('proof', P(f'{pub}:{i}', id='m'))     # not awaited: still sent, in order
    await last
    await send('published ' + pub + ' ' + PID)

@app.route('/events')
async def events():
    s = await hub.subscribe('proof')
    async def gen():
        yield sse_message('ready ' + PID, event='ready')
        async for m in hub.stream(sub=s):
            yield m
    return EventStream(gen())

@app.route('/backend')
def backend(): return hub.backend + ' ' + PID
'''

N_WS, N_SSE = 24, 8             # subscribers (at least 20, both kinds, on both workers)
N_PUBLISHERS, PER_PUB = 20, 25  # 20 publishers x 25 = 500 messages, half from each worker
MSG = re.compile(r'>(P\d+):(\d+)<')


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError('uvicorn exited early')
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError('uvicorn did not start listening')


def _serve(tmp_path: Path, env: dict) -> tuple[subprocess.Popen, int, Path]:
    (tmp_path / 'proof_app.py').write_text(textwrap.dedent(APP))
    port = free_port()
    log = tmp_path / 'uvicorn.log'
    full_env = {**os.environ, 'PYTHONPATH': str(REPO), 'PYTHONUNBUFFERED': '1', **env}
    with open(log, 'wb') as out:
        proc = subprocess.Popen([sys.executable, '-m', 'uvicorn', 'proof_app:app', '--app-dir', str(tmp_path),
                                 '--host', '127.0.0.1', '--port', str(port), '--workers', '2',
                                 '--timeout-graceful-shutdown', '2', '--log-level', 'warning'],
                                cwd=tmp_path, env=full_env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_port(port, proc)
    except RuntimeError:
        kill_group(proc)
        raise RuntimeError(log.read_text(errors='replace')[-3000:]) from None
    return proc, port, log


def _wait_both_workers(port: int, timeout: float = 20.0) -> str:
    """Wait until both uvicorn workers answer (the port opens with the first); return the backend they report.
    New connections land on either worker, so asking until two pids have answered proves both have started."""
    pids: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while len(pids) < 2 and time.monotonic() < deadline:
        r = httpx2.get(f'http://127.0.0.1:{port}/backend', headers={'connection': 'close'}, timeout=5)
        backend, pid = r.text.split()
        pids[pid] = backend
    assert len(pids) == 2, f'only worker(s) {sorted(pids)} answered within {timeout}s'
    (backend,) = set(pids.values())
    return backend


@pytest.fixture
def redis_url(tmp_path):
    server = start_redis(tmp_path)
    yield server.url
    server.stop()


async def _ws_subscriber(port: int) -> tuple[str, object]:
    ws = await websockets.connect(f'ws://127.0.0.1:{port}/sub', open_timeout=10, max_queue=None)
    first = await asyncio.wait_for(ws.recv(), 10)
    assert first.startswith('ready '), first
    return first.split()[1], ws


class _SSESubscriber:
    "An event-stream subscriber on its own connection, collecting `message` events in a task."

    def __init__(self, port: int):
        self.port, self.pid, self.msgs = port, None, []
        self.ready = asyncio.get_running_loop().create_future()

    async def run(self) -> None:
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(30.0)) as cli:
            async with cli.stream('GET', f'http://127.0.0.1:{self.port}/events') as r:
                event = 'message'
                async for line in r.aiter_lines():
                    if line.startswith('event: '):
                        event = line[7:]
                    elif line.startswith('data: '):
                        if event == 'ready':
                            self.pid = line[6:].split()[1]
                            self.ready.set_result(self.pid)
                        else:
                            self.msgs.append(line[6:])
                    elif line == '':
                        event = 'message'
                    if len(self.msgs) >= N_PUBLISHERS * PER_PUB:
                        return


async def _collect_ws(ws: object, want: int, timeout: float) -> list[str]:
    msgs: list[str] = []
    deadline = time.monotonic() + timeout
    while len(msgs) < want:
        m = await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic()))
        if MSG.search(m):
            msgs.append(m)
    return msgs


def _check(label: str, msgs: list[str], expected: dict[str, int]) -> None:
    "Every message exactly once, and each publisher's messages in the order it published them."
    seen: dict[str, list[int]] = defaultdict(list)
    for m in msgs:
        pub, i = MSG.search(m).groups()
        seen[pub].append(int(i))
    assert set(seen) == set(expected), f'{label}: publishers {sorted(seen)}'
    for pub, seq in seen.items():
        assert seq == list(range(expected[pub])), f'{label}: {pub} got {seq[:10]}... ({len(seq)} messages)'


async def _proof(port: int) -> dict:
    # Subscribers: open websockets until both workers hold at least 8 (bounded), then the event streams.
    by_pid: dict[str, list] = defaultdict(list)
    wss = []
    for _ in range(80):
        pid, ws = await _ws_subscriber(port)
        by_pid[pid].append(ws)
        wss.append((pid, ws))
        if len(wss) >= N_WS and len(by_pid) == 2 and min(len(v) for v in by_pid.values()) >= 8:
            break
    assert len(by_pid) == 2, f'all websockets landed on one worker: {list(by_pid)}'
    sses = [_SSESubscriber(port) for _ in range(N_SSE)]
    sse_tasks = [asyncio.create_task(s.run()) for s in sses]
    await asyncio.wait_for(asyncio.gather(*[s.ready for s in sses]), 15)
    subs_per_worker = {pid: len(v) for pid, v in by_pid.items()}
    for s in sses:
        subs_per_worker[s.pid] = subs_per_worker.get(s.pid, 0) + 1

    # Publishers: half of them on each worker, all at once, each on a socket we know the worker of.
    pids = sorted(by_pid)
    expected = {}
    t0 = time.monotonic()
    for k in range(N_PUBLISHERS):
        pub = f'P{k}'
        expected[pub] = PER_PUB
        await by_pid[pids[k % 2]][k // 2 % len(by_pid[pids[k % 2]])].send(json.dumps({'pub': pub, 'n': PER_PUB}))
    total = N_PUBLISHERS * PER_PUB

    results = await asyncio.gather(*[_collect_ws(ws, total, 30) for _, ws in wss])
    await asyncio.wait_for(asyncio.gather(*sse_tasks), 30)
    elapsed = time.monotonic() - t0
    for (pid, _), msgs in zip(wss, results, strict=True):
        _check(f'websocket on {pid}', msgs, expected)
        assert len(msgs) == total
    for s in sses:
        _check(f'event stream on {s.pid}', s.msgs, expected)
        assert len(s.msgs) == total
    for _, ws in wss:
        await ws.close()
    n_subs = len(wss) + len(sses)
    return {'subscribers': n_subs, 'per_worker': subs_per_worker, 'messages': total,
            'publishers_per_worker': N_PUBLISHERS // 2, 'deliveries': n_subs * total, 'seconds': round(elapsed, 3),
            'deliveries_per_s': round(n_subs * total / elapsed)}


def test_redis_broadcast_across_two_workers(tmp_path, redis_url):
    proc, port, log = _serve(tmp_path, {'FASTHTML_PUBSUB_URL': redis_url})
    try:
        assert _wait_both_workers(port) == 'redis'
        stats = asyncio.run(asyncio.wait_for(_proof(port), 90))
    except BaseException:
        print(log.read_text(errors='replace')[-4000:])
        raise
    finally:
        kill_group(proc)
    assert stats['subscribers'] >= 20 and len(stats['per_worker']) == 2
    print('\nPROOF', json.dumps(stats))
    out = log.read_text(errors='replace')
    assert 'Traceback' not in out, out[-3000:]
    assert 'in-memory backend' not in out


def test_memory_backend_warns_under_two_workers(tmp_path):
    proc, port, log = _serve(tmp_path, {'FASTHTML_PUBSUB_URL': 'memory://'})
    try:
        assert _wait_both_workers(port) == 'memory'  # both workers started, so both have warned
        deadline = time.monotonic() + 20
        text = ''
        while time.monotonic() < deadline and text.count('in-memory backend') < 2:
            text = log.read_text(errors='replace')
            time.sleep(0.05)
    finally:
        kill_group(proc)
    assert text.count('in-memory backend under 2 worker processes') == 2, text[-2000:]
    assert 'FASTHTML_PUBSUB_URL=redis://' in text
