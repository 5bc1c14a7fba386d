"""PubSub: rendering as OOB swaps, signed subscriptions, delivery over websockets and SSE, publishing from anywhere,
backpressure, the memory and Redis backends (a real redis-server), and the multi-worker warning."""
from __future__ import annotations

import asyncio
import logging
import re
import sys
import threading
import time
import warnings

import pytest
from starlette.websockets import WebSocketDisconnect

with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    from starlette.testclient import TestClient

from redis_server import start_redis

from fasthtml.components import Div, Li, P, Span
from fasthtml.core import EventStream, FastHTML
from fasthtml.pubsub import PUBSUB_URL_ENV, PubSub, render


@pytest.fixture(scope='module')
def redis_url(tmp_path_factory):
    server = start_redis(tmp_path_factory.mktemp('redis'))
    yield server.url
    server.stop()


@pytest.fixture(params=['memory', 'redis'])
def backend_url(request):
    return 'memory://' if request.param == 'memory' else request.getfixturevalue('redis_url')


def mkapp(**kw):
    return FastHTML(secret_key='test-secret', **kw)


def wait_for(cond, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError('condition not met in time')
        time.sleep(0.01)


# ---------------------------------------------------------------------------------------------------------------
# Rendering

def test_render_marks_top_level_ids_out_of_band_without_touching_the_tree():
    d = Div(Li('x'), id='log')
    assert render(d) == '<div id="log" hx-swap-oob="true"><li>x</li></div>'
    assert d.attrs == {'id': 'log'}                                     # the caller's tree is unchanged
    assert render(Div(Li('x'), id='log', hx_swap_oob='beforeend')) == \
        '<div hx-swap-oob="beforeend" id="log"><li>x</li></div>'
    assert render(P('a', id='a'), Span('no id')) == '<p id="a" hx-swap-oob="true">a</p>\n<span>no id</span>'
    assert render('<b>raw html</b>') == '<b>raw html</b>'
    assert render(P('<script>')) == '<p>&lt;script&gt;</p>'                  # text is escaped as usual


def test_subscription_elements_and_tokens():
    hub = PubSub(mkapp())
    ws = hub.ws_connect('news', 'chat')
    assert ws.attrs['hx-ext'] == 'ws' and ws.attrs['ws-connect'].startswith('/_pubsub/ws?t=')
    sse = hub.sse_connect('news', id='feed')
    assert (sse.attrs['hx-ext'], sse.attrs['sse-swap'], sse.attrs['hx-swap'], sse.attrs['id']) == \
        ('sse', 'message', 'none', 'feed')
    tok = ws.attrs['ws-connect'].split('t=')[1]
    assert hub.topics_of(tok) == ('news', 'chat')
    assert hub.topics_of(tok[:-2] + 'xx') is None
    assert hub.topics_of('garbage') is None
    assert PubSub(mkapp(), secret='other').topics_of(tok) is None   # signed with the app's key
    with pytest.raises(ValueError):
        hub.token('')


def test_constructor_errors():
    with pytest.raises(ValueError, match='expected memory:// or redis://'):
        PubSub(mkapp(), url='http://nope')
    with pytest.raises(ValueError, match='needs a secret'):
        PubSub()


def test_env_var_chooses_the_backend(monkeypatch, redis_url):
    monkeypatch.setenv(PUBSUB_URL_ENV, redis_url)
    assert PubSub(mkapp()).backend == 'redis'
    monkeypatch.delenv(PUBSUB_URL_ENV)
    assert PubSub(mkapp()).backend == 'memory'
    assert PubSub(mkapp(), url=redis_url).backend == 'redis'


@pytest.mark.parametrize('argv,env,warns', [
    (['uvicorn', 'app:app', '--workers', '2'], {}, True),
    (['gunicorn', '-w', '4', 'app:app'], {}, True),
    (['uvicorn', 'app:app', '--workers=3'], {}, True),
    (['uvicorn', 'app:app'], {'WEB_CONCURRENCY': '2'}, True),
    (['uvicorn', 'app:app'], {}, False),
    (['uvicorn', 'app:app', '--workers', '1'], {}, False),
])
def test_memory_backend_warns_when_several_workers_are_configured(monkeypatch, caplog, argv, env, warns):
    monkeypatch.setattr(sys, 'argv', argv)
    monkeypatch.delenv('WEB_CONCURRENCY', raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with caplog.at_level(logging.WARNING, logger='fasthtml.pubsub'):
        PubSub(mkapp(), url='memory://')
    found = [r.getMessage() for r in caplog.records if 'in-memory backend' in r.getMessage()]
    assert bool(found) == warns
    if warns:
        assert 'only the subscribers of the worker that published it' in found[0]


# ---------------------------------------------------------------------------------------------------------------
# Delivery through the hub's own routes

def _app_with_hub(url):
    app = mkapp(exts=('ws', 'sse'))
    hub = PubSub(app, url=url)

    @app.route('/')
    def index():
        return Div(id='log'), hub.ws_connect('news'), hub.sse_connect('news')

    @app.route('/say')
    async def say(msg: str):
        await hub.publish('news', Div(Li(msg), id='log', hx_swap_oob='beforeend'))
        return 'ok'

    @app.route('/say_sync')
    def say_sync(msg: str):
        hub.publish('news', P(msg, id='last'))       # from a worker thread: blocks until sent
        return 'ok'

    @app.route('/other')
    async def other():
        await hub.publish('sports', P('goal', id='score'))
        return 'ok'
    return app, hub


def test_websocket_subscriber_receives_oob_fragments(backend_url):
    app, hub = _app_with_hub(backend_url)
    with TestClient(app) as c:
        html = c.get('/').text
        url = re.search(r'ws-connect="([^"]+)"', html).group(1).replace('&amp;', '&')
        with c.websocket_connect(url) as ws:
            wait_for(lambda: hub.subscribers('news') == 1)
            assert c.get('/other').text == 'ok'                # another topic: not delivered
            assert c.get('/say?msg=hello').text == 'ok'
            assert ws.receive_text() == '<div hx-swap-oob="beforeend" id="log"><li>hello</li></div>'
            assert c.get('/say_sync?msg=sync').text == 'ok'
            assert ws.receive_text() == '<p id="last" hx-swap-oob="true">sync</p>'
            ws.send_text('{"anything": 1}')                    # clients cannot publish through it
            assert c.get('/say?msg=again').text == 'ok'
            assert ws.receive_text() == '<div hx-swap-oob="beforeend" id="log"><li>again</li></div>'
        wait_for(lambda: hub.subscribers('news') == 0)


def test_sse_subscriber_receives_message_events(backend_url):
    app, hub = _app_with_hub(backend_url)
    got = []
    with TestClient(app) as c:
        url = re.search(r'sse-connect="([^"]+)"', c.get('/').text).group(1)

        def read():
            with c.stream('GET', url) as r:
                assert r.headers['content-type'].startswith('text/event-stream')
                for line in r.iter_lines():
                    if line.startswith('data: '):
                        got.append(line[6:])
                    if len(got) == 2:
                        return
        t = threading.Thread(target=read)
        t.start()
        wait_for(lambda: hub.subscribers('news') == 1)
        c.get('/say?msg=one')
        c.get('/say_sync?msg=two')
        t.join(10)
    assert got == ['<div hx-swap-oob="beforeend" id="log"><li>one</li></div>',
                   '<p id="last" hx-swap-oob="true">two</p>']


def test_invalid_tokens_are_refused():
    app, _ = _app_with_hub('memory://')
    c = TestClient(app)
    r = c.get('/_pubsub/sse?t=forged')
    assert r.status_code == 403 and 'Invalid pubsub token' in r.text
    assert c.get('/_pubsub/sse').status_code == 400
    for url in ('/_pubsub/ws?t=forged', '/_pubsub/ws'):
        with c.websocket_connect(url) as ws:
            with pytest.raises(WebSocketDisconnect) as e:
                ws.receive_text()
            assert e.value.code == 1008


# ---------------------------------------------------------------------------------------------------------------
# join, stream, subscribe: the building blocks for your own routes

def test_join_in_your_own_websocket_route_and_cleanup_on_disconnect(backend_url):
    app = mkapp()
    hub = PubSub(app, url=backend_url)

    async def joined(ws, room: str):
        await hub.join(ws, room)
        return P('joined ' + room)

    @app.ws('/chat/{room}', conn=joined)
    async def chat(room: str, msg: str):
        await hub.publish(room, Div(Li(msg), id='log', hx_swap_oob='beforeend'))
    with TestClient(app) as c:
        with c.websocket_connect('/chat/a') as a1, c.websocket_connect('/chat/a') as a2, \
                c.websocket_connect('/chat/b') as b:
            assert [a1.receive_text(), a2.receive_text(), b.receive_text()] == \
                ['<p>joined a</p>', '<p>joined a</p>', '<p>joined b</p>']
            a1.send_text('{"msg": "hi a"}')
            b.send_text('{"msg": "hi b"}')
            want_a = '<div hx-swap-oob="beforeend" id="log"><li>hi a</li></div>'
            assert a1.receive_text() == a2.receive_text() == want_a
            assert b.receive_text() == '<div hx-swap-oob="beforeend" id="log"><li>hi b</li></div>'
            assert hub.subscribers('a') == 2
        wait_for(lambda: hub.subscribers('a') == 0 and hub.subscribers('b') == 0)


def test_subscribe_stream_and_publish_order_in_one_loop(backend_url):
    hub = PubSub(url=backend_url, secret='k')

    async def main():
        sub = await hub.subscribe('t1', 't2')
        for i in range(50):
            hub.publish('t1' if i % 2 else 't2', P(i))     # not awaited: still sent, in order
        await hub.publish('t1', 'end')
        got = []
        async for m in sub:
            got.append(m)
            if m == 'end':
                break
        await sub.close()
        stream = hub.stream('t1')
        first = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0)
        while hub.subscribers('t1') == 0:
            await asyncio.sleep(0.01)
        await hub.publish('t1', P('sse', id='x'))
        msg = await asyncio.wait_for(first, 5)
        await stream.aclose()
        await hub.aclose()
        return got, msg
    got, msg = asyncio.run(main())
    assert got == [f'<p>{i}</p>' for i in range(50)] + ['end']
    assert msg == 'data: <p id="x" hx-swap-oob="true">sse</p>\n\n'
    assert hub.subscribers('t1') == 0


def test_event_stream_of_hub_stream_in_your_own_route():
    app = mkapp()
    hub = PubSub(app)

    @app.route('/feed')
    async def feed():
        return EventStream(hub.stream('feed'))
    lines = []
    with TestClient(app) as c:
        def read():
            with c.stream('GET', '/feed') as r:
                for line in r.iter_lines():
                    if line.startswith('data: '):
                        lines.append(line)
                        return
        t = threading.Thread(target=read)
        t.start()
        wait_for(lambda: hub.subscribers('feed') == 1)
        hub.publish('feed', Span('tick', id='clock'))          # from this (non-server) thread
        t.join(10)
    assert lines == ['data: <span id="clock" hx-swap-oob="true">tick</span>']


def test_publish_from_a_thread_of_your_own_and_a_background_task():
    app = mkapp()
    hub = PubSub(app)

    async def joined(ws):
        await hub.join(ws, 'bg')
        return 'ready'

    @app.ws('/ws', conn=joined)
    async def ws(msg: str):
        return None

    @app.route('/kick')
    async def kick():
        async def later():
            await asyncio.sleep(0.01)
            await hub.publish('bg', P('from a task'))
        asyncio.get_running_loop().create_task(later())
        return 'ok'
    with TestClient(app) as c, c.websocket_connect('/ws') as w:
        assert w.receive_text() == 'ready'
        th = threading.Thread(target=lambda: hub.publish('bg', P('from a thread')))
        th.start()
        th.join(5)
        assert w.receive_text() == '<p>from a thread</p>'
        c.get('/kick')
        assert w.receive_text() == '<p>from a task</p>'


def test_a_subscriber_that_falls_behind_is_dropped_with_1013(caplog):
    app = mkapp()
    hub = PubSub(app, max_queue=5)
    with TestClient(app) as c, caplog.at_level(logging.WARNING, logger='fasthtml.pubsub'):
        with c.websocket_connect(hub.ws_url('flood')) as ws:
            wait_for(lambda: hub.subscribers('flood') == 1)

            async def flood():
                for i in range(50):        # all queued before the forwarding task can run
                    hub.publish('flood', P(i))
            c.portal.call(flood)
            got = []
            with pytest.raises(WebSocketDisconnect) as e:
                while True:
                    got.append(ws.receive_text())
            assert e.value.code == 1013
    assert got == [f'<p>{i}</p>' for i in range(5)]
    assert hub.subscribers('flood') == 0
    assert any('fell 5 messages behind' in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------------------------------------------------------
# Redis specifics

def test_redis_two_hubs_like_two_processes(redis_url):
    a, b = PubSub(url=redis_url, secret='k'), PubSub(url=redis_url, secret='k')

    async def main():
        sub = await b.subscribe('x')
        for i in range(20):
            a.publish('x', P(i))
        await a.publish('x', 'end')
        got = []
        async for m in sub:
            got.append(m)
            if m == 'end':
                break
        await sub.close()
        await a.aclose()
        await b.aclose()
        return got
    assert asyncio.run(asyncio.wait_for(main(), 10)) == [f'<p>{i}</p>' for i in range(20)] + ['end']


def test_subscribers_on_two_event_loops_get_one_copy_each(backend_url):
    "Test clients without `with` run each connection on its own loop: still exactly one delivery per subscriber."
    hub = PubSub(url=backend_url, secret='k')
    got: dict[int, list] = {0: [], 1: []}
    ready = [threading.Event(), threading.Event()]

    async def listen(k: int):
        sub = await hub.subscribe('two-loops')
        ready[k].set()
        async for m in sub:
            got[k].append(m)
            if m == 'end':
                break
        await sub.close()
        await hub.aclose()
    ts = [threading.Thread(target=lambda k=k: asyncio.run(asyncio.wait_for(listen(k), 10))) for k in (0, 1)]
    for t in ts:
        t.start()
    assert all(r.wait(10) for r in ready)

    async def publish():
        await hub.publish('two-loops', 'one')
        await hub.publish('two-loops', 'end')
        await hub.aclose()
    asyncio.run(publish())
    for t in ts:
        t.join(10)
    assert got == {0: ['one', 'end'], 1: ['one', 'end']}


def test_redis_publish_from_a_script_without_a_running_server(redis_url):
    hub = PubSub(url=redis_url, secret='k')
    got = []

    async def listen(ready: threading.Event):
        sub = await hub.subscribe('cron')
        ready.set()
        async for m in sub:
            got.append(m)
            break
        await sub.close()
        await hub.aclose()
    ready = threading.Event()
    t = threading.Thread(target=lambda: asyncio.run(asyncio.wait_for(listen(ready), 10)))
    t.start()
    assert ready.wait(10)
    script = PubSub(url=redis_url, secret='k')      # "another process": no event loop, a sync call
    script.publish('cron', P('nightly job done', id='status'))
    t.join(10)
    assert got == ['<p id="status" hx-swap-oob="true">nightly job done</p>']


def test_redis_unsubscribes_when_the_last_local_subscriber_leaves(redis_url):
    import redis
    hub = PubSub(url=redis_url, secret='k')
    r = redis.Redis.from_url(redis_url)

    def numsub() -> int:
        return dict(r.pubsub_numsub('fasthtml:lonely'))[b'fasthtml:lonely']

    async def main():
        s1 = await hub.subscribe('lonely')
        s2 = await hub.subscribe('lonely')
        counts = [numsub()]            # one Redis subscription per process, however many local subscribers
        await s1.close()
        await asyncio.sleep(0.1)
        counts.append(numsub())
        await s2.close()
        for _ in range(100):
            await asyncio.sleep(0.02)
            if numsub() == 0:
                break
        counts.append(numsub())
        await hub.aclose()
        return counts
    assert asyncio.run(main()) == [1, 1, 0]


def test_redis_subscriber_survives_a_redis_restart(tmp_path):
    server = start_redis(tmp_path)
    port = server.port
    hub = PubSub(url=server.url, secret='k')

    async def main():
        nonlocal server
        sub = await hub.subscribe('r')
        await hub.publish('r', 'before')
        assert await asyncio.wait_for(sub.__anext__(), 5) == 'before'
        server.stop()
        await asyncio.sleep(0.3)
        server = await asyncio.to_thread(_restart_on, tmp_path, port)
        deadline = time.monotonic() + 10
        while True:                          # publish until the reader has reconnected and resubscribed
            try:
                await hub.publish('r', 'after')
                return await asyncio.wait_for(sub.__anext__(), 0.5)
            except (TimeoutError, Exception):
                if time.monotonic() > deadline:
                    raise
    try:
        assert asyncio.run(main()) == 'after'
    finally:
        server.stop()


def _restart_on(tmp_path, port):
    import shutil
    import subprocess

    from redis_server import RedisServer, _ping
    log = tmp_path / 'redis-restart.log'
    with open(log, 'wb') as out:
        proc = subprocess.Popen([shutil.which('redis-server'), '--port', str(port), '--bind', '127.0.0.1', '--save',
                                 '', '--appendonly', 'no', '--dir', str(tmp_path)], stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 10
    while not _ping(port):
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError('redis did not restart')
        time.sleep(0.05)
    return RedisServer(proc, port, log)


# ---------------------------------------------------------------------------------------------------------------
# The game of life example

def test_life_example_broadcasts_cells_and_generations(tmp_path, monkeypatch):
    import runpy
    from pathlib import Path
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('LIFE_DB', str(tmp_path / 'life.db'))
    monkeypatch.setenv('LIFE_INTERVAL', '0.05')
    monkeypatch.delenv(PUBSUB_URL_ENV, raising=False)
    g = runpy.run_path(str(Path(__file__).resolve().parents[1] / 'examples' / 'life.py'), run_name='example_life')
    hub = g['hub']
    with TestClient(g['app']) as c:
        page = c.get('/').text
        assert page.count('<td ') == 400 and 'generation 0' in page
        url = re.search(r'ws-connect="([^"]+)"', page).group(1)
        with c.websocket_connect(url) as w1, c.websocket_connect(url) as w2:
            wait_for(lambda: hub.subscribers('life') == 2)
            for i in (21, 22, 23):                  # a blinker
                assert c.put(f'/toggle/{i}').status_code == 200
                cell = f'<td hx-put="/toggle/{i}" hx-swap="none" id="c{i}" class="on" hx-swap-oob="true"></td>'
                assert w1.receive_text() == w2.receive_text() == cell
            assert c.put('/toggle/400').status_code == 404
            assert c.get('/run').status_code == 405    # state changes only by POST
            c.post('/step')
            board = w1.receive_text()
            assert w2.receive_text() == board
            on = sorted(int(m) for m in re.findall(r'id="c(\d+)" class="on"', board))
            assert on == [2, 22, 42]                 # the blinker turned vertical
            assert 'generation 1' in board
            c.post('/run')                           # the background ticker takes over
            assert 'Pause' in w1.receive_text()
            gens = set()
            while len(gens) < 2:
                m = w1.receive_text()
                gens.update(re.findall(r'generation (\d+)', m))
            c.post('/run')
        c.post('/clear')
        assert 'class="on"' not in c.get('/').text
