"""Server-sent events: EventStream's wire format, and streams that stop on disconnect and on server shutdown."""
from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import httpx
import pytest

with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    from starlette.testclient import TestClient

from fasthtml._ftextras import sse_message
from fasthtml._shutdown import ShutdownEvent
from fasthtml.components import Article, Div, P
from fasthtml.core import EventStream, FastHTML, shutdown_event, signal_shutdown

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _fresh_shutdown_event():
    "Each test starts with the process-wide event clear (a server's lifespan shutdown sets it)."
    shutdown_event.clear()
    yield
    shutdown_event.clear()


def mkapp() -> FastHTML:
    return FastHTML(secret_key='test-secret')


# ---------------------------------------------------------------------------------------------------------------
# Format

def test_sse_message_format():
    assert sse_message(Div('a\nb', P('c')), event='ev') == 'event: ev\ndata: <div>a\ndata: b<p>c</p></div>\n\n'
    assert sse_message('x') == 'data: x\n\n'
    assert sse_message(Article(3)) == 'data: <article>3</article>\n\n'


@pytest.mark.parametrize('kind', ['sync', 'async'])
def test_event_stream_from_generators(kind):
    app = mkapp()
    closed = []

    def sgen():
        try:
            yield sse_message(P('one'))
            yield P('two\nlines')               # FT is formatted with sse_message
            yield None                          # skipped
            yield sse_message('three', event='done')
        finally:
            closed.append('sync')

    async def agen():
        try:
            for x in sgen():
                yield x
                await asyncio.sleep(0)
        finally:
            closed.append('async')

    @app.route('/stream')
    def stream():
        return EventStream(sgen() if kind == 'sync' else agen())
    r = TestClient(app).get('/stream')
    assert r.status_code == 200
    assert r.headers['content-type'] == 'text/event-stream; charset=utf-8'
    assert r.headers['cache-control'] == 'no-cache' and r.headers['x-accel-buffering'] == 'no'
    assert r.text == 'data: <p>one</p>\n\ndata: <p>two\ndata: lines</p>\n\nevent: done\ndata: three\n\n'
    assert 'sync' in closed and (kind == 'sync' or 'async' in closed)


def test_event_stream_accepts_lists_and_strings():
    app = mkapp()

    @app.route('/l')
    def lst():
        return EventStream(['data: 1\n\n', b'data: 2\n\n'])
    assert TestClient(app).get('/l').text == 'data: 1\n\ndata: 2\n\n'


def test_spec_example_number_stream():
    "The documentation's example: a generator that loops until `signal_shutdown()`'s event is set."
    app = mkapp()
    ev = signal_shutdown()
    assert ev is shutdown_event
    sent = []

    async def number_generator():
        while not ev.is_set():
            sent.append(len(sent))
            yield sse_message(Article(len(sent)))
            if len(sent) == 3:
                ev.set()               # as a Ctrl-C would
            await asyncio.sleep(0)

    @app.route('/number-stream')
    async def get():
        return EventStream(number_generator())
    r = TestClient(app).get('/number-stream')
    assert r.text == ''.join(f'data: <article>{i}</article>\n\n' for i in (1, 2, 3))


# ---------------------------------------------------------------------------------------------------------------
# Stopping: driven through ASGI directly, so the test controls disconnects and shutdown.

async def _drive(resp, *, disconnect_after: float | None = None, shutdown_after: float | None = None,
                 timeout: float = 30.0) -> list[dict]:
    sent: list[dict] = []
    gone = asyncio.Event()

    async def receive():
        if disconnect_after is None:
            await asyncio.Event().wait()
        await asyncio.sleep(disconnect_after)
        gone.set()
        return {'type': 'http.disconnect'}

    async def send(msg):
        sent.append(msg)

    async def stopper():
        await asyncio.sleep(shutdown_after)
        shutdown_event.set()
    if shutdown_after is not None:
        asyncio.get_running_loop().create_task(stopper())
    scope = {'type': 'http', 'asgi': {'spec_version': '2.4'}, 'method': 'GET', 'path': '/', 'headers': []}
    await asyncio.wait_for(resp(scope, receive, send), timeout)
    return sent


def _endless(log: list):
    async def gen():
        try:
            i = 0
            while True:
                yield sse_message(P(i))
                i += 1
                await asyncio.sleep(0.01)
        finally:
            log.append('closed')
    return gen()


def test_client_disconnect_stops_an_endless_stream_and_closes_the_generator():
    log: list = []
    sent = asyncio.run(_drive(EventStream(_endless(log)), disconnect_after=0.1))
    assert log == ['closed']
    assert sent[0]['type'] == 'http.response.start' and sent[0]['status'] == 200
    assert len(sent) > 2


def test_disconnect_is_noticed_while_the_generator_waits():
    "A stream that is waiting for its next item (a quiet topic) still ends at once when the client leaves."
    log: list = []

    async def quiet():
        try:
            yield 'data: hello\n\n'
            await asyncio.sleep(3600)
            yield 'data: never\n\n'
        finally:
            log.append('closed')
    sent = asyncio.run(_drive(EventStream(quiet()), disconnect_after=0.1))   # else: a TimeoutError after 30 s
    assert log == ['closed']
    assert [m.get('body') for m in sent[1:]] == [b'data: hello\n\n']


def test_shutdown_ends_the_stream_and_completes_the_response():
    log: list = []
    sent = asyncio.run(_drive(EventStream(_endless(log)), shutdown_after=0.1))
    assert log == ['closed']
    assert sent[-1] == {'type': 'http.response.body', 'body': b'', 'more_body': False}


def test_shutdown_before_the_first_item_still_sends_a_complete_response():
    async def slow():
        await asyncio.sleep(3600)
        yield 'data: never\n\n'
    sent = asyncio.run(_drive(EventStream(slow()), shutdown_after=0.05))
    assert sent[0]['type'] == 'http.response.start'
    assert sent[-1] == {'type': 'http.response.body', 'body': b'', 'more_body': False}


def test_sync_generator_is_closed_on_disconnect():
    log: list = []

    def gen():
        try:
            while True:
                yield 'data: x\n\n'
                time.sleep(0.01)
        finally:
            log.append('closed')
    asyncio.run(_drive(EventStream(gen()), disconnect_after=0.1))
    assert log == ['closed']


# ---------------------------------------------------------------------------------------------------------------
# The shutdown event

def test_shutdown_event_wakes_waiters_on_other_loops_and_threads():
    ev = ShutdownEvent()
    woke = []

    def waiter(name):
        async def w():
            await ev.wait()
            woke.append(name)
        asyncio.run(asyncio.wait_for(w(), 5))
    ts = [threading.Thread(target=waiter, args=(i,)) for i in range(3)]
    for t in ts:
        t.start()
    time.sleep(0.1)
    assert not ev.is_set()
    ev.set()
    for t in ts:
        t.join(5)
    assert sorted(woke) == [0, 1, 2] and ev.is_set()
    ev.clear()
    assert not ev.is_set()


def test_lifespan_clears_the_event_and_leaves_it_clear():
    app = mkapp()
    shutdown_event.set()
    with TestClient(app):
        assert not shutdown_event.is_set()   # a (re)started server streams again
    assert not shutdown_event.is_set()       # so later streams in this process (a test client) still run

    @app.route('/s')
    def s():
        return EventStream(iter(['data: 1\n\n']))
    assert TestClient(app).get('/s').text == 'data: 1\n\n'


# ---------------------------------------------------------------------------------------------------------------
# A real server: Ctrl-C, SIGTERM and --reload do not hang on open streams.

SERVER_APP = '''
import asyncio, time
from fasthtml.core import FastHTML, EventStream, signal_shutdown
from fasthtml.components import P

app = FastHTML(secret_key='k')
ev = signal_shutdown()

async def forever():
    i = 0
    while True:                  # never checks the event: EventStream stops it
        yield P(i)
        i += 1
        await asyncio.sleep(0.1)

def sforever():
    i = 0
    while not ev.is_set():       # the documented pattern for sync generators
        yield f'data: {i}\\n\\n'
        i += 1
        time.sleep(0.1)

@app.route('/a')
async def a(): return EventStream(forever())

@app.route('/s')
def s(): return EventStream(sforever())
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, int]:
    (tmp_path / 'sse_app.py').write_text(textwrap.dedent(SERVER_APP))
    port = _free_port()
    proc = subprocess.Popen([sys.executable, '-m', 'uvicorn', 'sse_app:app', '--app-dir', str(tmp_path), '--host',
                             '127.0.0.1', '--port', str(port), *args], cwd=tmp_path,
                            env={**os.environ, 'PYTHONPATH': str(REPO)}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=0.5):
                return proc, port
        except OSError:
            time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError('server did not start')


class _Reader(threading.Thread):
    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.events, self.ended = url, 0, None

    def run(self) -> None:
        try:
            with httpx.stream('GET', self.url, timeout=20) as r:
                for line in r.iter_lines():
                    if line.startswith('data: '):
                        self.events += 1
            self.ended = 'cleanly'
        except httpx.HTTPError as e:
            self.ended = type(e).__name__


@pytest.mark.parametrize('sig', ['SIGINT', 'SIGTERM'])
def test_signal_stops_open_streams_and_the_server_exits(tmp_path, sig):
    proc, port = _start(tmp_path)
    try:
        readers = [_Reader(f'http://127.0.0.1:{port}{p}') for p in ('/a', '/s', '/a')]
        for r in readers:
            r.start()
        deadline = time.monotonic() + 30
        while min(r.events for r in readers) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(getattr(signal, sig))
        proc.wait(60)   # without the shutdown event, uvicorn would wait for the streams forever
        for r in readers:
            r.join(20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
    assert [r.ended for r in readers] == ['cleanly'] * 3
    out = proc.stdout.read().decode(errors='replace')
    assert 'Waiting for background tasks' not in out and 'Traceback' not in out, out


def test_reload_restarts_despite_an_open_stream(tmp_path):
    proc, port = _start(tmp_path, '--reload', '--reload-dir', str(tmp_path))
    try:
        reader = _Reader(f'http://127.0.0.1:{port}/a')
        reader.start()
        deadline = time.monotonic() + 30
        while reader.events < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reader.events >= 2
        src = tmp_path / 'sse_app.py'
        src.write_text(src.read_text() + "\n@app.route('/v')\ndef v(): return 'v2'\n")
        t0 = time.monotonic()
        reader.join(60)          # the old worker ended the stream when it was told to stop (else: never)
        assert reader.ended == 'cleanly'
        body = None
        while time.monotonic() - t0 < 60:
            try:
                r = httpx.get(f'http://127.0.0.1:{port}/v', timeout=5)
                if r.status_code == 200:
                    body = r.text
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        assert body == 'v2'
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


# ---------------------------------------------------------------------------------------------------------------
# The clock example

def test_sse_clock_example(tmp_path, monkeypatch):
    import runpy
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('JOB_STEP', '0')
    g = runpy.run_path(str(REPO / 'examples' / 'sse_clock.py'), run_name='example_sse_clock')
    c = TestClient(g['app'])
    page = c.get('/').text
    assert 'sse-connect="/ticks" sse-swap="tick"' in page and '<time datetime=' in page
    job = c.post('/job', headers={'HX-Request': 'true'}).text
    assert job.startswith('<div hx-ext="sse" sse-connect="/progress" sse-swap="progress" sse-close="done"')
    body = c.get('/progress').text
    events = [e for e in body.split('\n\n') if e]
    assert events[0] == 'event: progress\ndata: <progress value="10" max="100" id="bar"></progress>'
    assert events[9] == 'event: progress\ndata: <progress value="100" max="100" id="bar"></progress>'
    assert events[10:] == ['event: progress\ndata: <p id="job-done">Done!</p>', 'event: done\ndata: ']
    assert c.get('/job').status_code == 405

    async def first_tick():
        gen = g['ticks']()
        first = await gen.__anext__()
        await gen.aclose()
        return first
    assert re.fullmatch(r'event: tick\ndata: <time datetime="[0-9T:-]+" id="clock">\d\d:\d\d:\d\d</time>\n\n',
                        asyncio.run(first_tick()))
