"""Live components benchmark: the two figures of issue 13, written to bench/RESULTS.md with `--write`.

1. EVENT: server time for one live event (message in -> handler -> re-render -> message out), against an equivalent
   plain `hx_post` handler returning the same fragment. Both are driven in-process as ASGI calls (no network, no
   client library): the live socket through a queue-fed `receive` (time from putting the event in to the HTML message
   coming out), the POST as one request. Rounds interleave the variants; the figure is the median over rounds.
2. SCALE: 1,000 live components open at once on one uvicorn worker, one websocket client each (all in this process,
   over loopback). Reports the server's memory per live component (RSS growth / count, socket and instance together)
   and the round-trip time of one event on each of the 1,000 sockets in turn while the others idle (p50, p99, max).

    python bench/live.py                  # both parts
    python bench/live.py --only event     # one part
    python bench/live.py --clients 200    # a smaller scale run
    python bench/live.py --write          # also update the live section of bench/RESULTS.md
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import textwrap
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

CLAIM = re.compile(r'data-lid="([^"]+)" data-live="([^"]+)" data-lv="(-?\d+)"')

# The component both live benchmarks measure (bench/isolated.py's app has it too), and the fragment an equivalent
# hx_post handler returns.
COUNTER_SRC = '''
def fragment(n, link):
    return Div(H3(f'Count: {n}'), P('Some text about the counter, as a real component would have.'),
               Button('+1', **link), Ul(*[Li(f'item {i}') for i in range(5)]), id='counter')


class Counter(LiveComponent):
    def __init__(self, n: int = 0):
        self.n = n

    def render(self):
        return fragment(self.n, {'live_click': self.inc})

    def inc(self, by: int = 1):
        self.n += by

    async def ainc(self, by: int = 1):
        self.n += by
'''

APP_SRC = '''
from fasthtml.common import *
from fasthtml.live import Live, LiveComponent

app = FastHTML(secret_key='bench-live')
live = Live(app, grace=60)
''' + COUNTER_SRC + '''

class State:
    n = 0


@app.route('/')
def index():
    return Titled('Bench', Counter())


@app.route('/a')
def index_async():
    return Counter()


@app.post('/inc')
def inc(by: int = 1):
    State.n += by
    return fragment(State.n, {'hx_post': '/inc', 'hx_target': '#counter', 'hx_swap': 'outerHTML'})


@app.ws('/plain')
async def plain(data, send):
    await send('{"t":"p"}')


@app.post('/ainc')
async def ainc(by: int = 1):
    State.n += by
    return fragment(State.n, {'hx_post': '/ainc', 'hx_target': '#counter', 'hx_swap': 'outerHTML'})
'''


def load_app():
    ns: dict = {}
    exec(compile(textwrap.dedent(APP_SRC), 'bench_live_app', 'exec'), ns)
    return ns


# ---------------------------------------------------------------------------------------------------------------
# Part 1: one event, in-process

def _scope(path: str, method: str = 'GET', headers: list | None = None, typ: str = 'http') -> dict:
    hs = [(b'host', b'testserver'), (b'user-agent', b'bench')] + (headers or [])
    s = {'type': typ, 'asgi': {'version': '3.0'}, 'http_version': '1.1', 'path': path, 'raw_path': path.encode(),
         'root_path': '', 'query_string': b'', 'headers': hs, 'client': ('127.0.0.1', 5000),
         'server': ('testserver', 80), 'scheme': 'http' if typ == 'http' else 'ws', 'extensions': {}}
    if typ == 'http':
        s['method'] = method
    else:
        s['subprotocols'] = []
    return s


async def _http(app, scope: dict, body: bytes = b'') -> list:
    "The messages the app sends for one request (on a copy of `scope`: an app may change the one it gets)."
    msgs: list = []
    pending = [{'type': 'http.request', 'body': body, 'more_body': False}]

    async def receive():
        return pending.pop() if pending else {'type': 'http.disconnect'}

    async def send(m):
        msgs.append(m)
    await app(dict(scope), receive, send)
    return msgs


class LiveSocket:
    "A live socket driven in-process: put a message in, await the next text message out."

    def __init__(self, app, cookie: bytes):
        self.app, self.inq, self.outq = app, asyncio.Queue(), asyncio.Queue()
        self.scope = _scope('/_live/ws', headers=[(b'cookie', cookie)], typ='websocket')

    async def start(self):
        await self.inq.put({'type': 'websocket.connect'})

        async def send(m):
            await self.outq.put(m)
        self.task = asyncio.create_task(self.app(self.scope, self.inq.get, send))
        accept = await self.outq.get()
        assert accept['type'] == 'websocket.accept', accept

    async def roundtrip(self, msg: str) -> dict:
        await self.inq.put({'type': 'websocket.receive', 'text': msg})
        m = await self.outq.get()
        return json.loads(m['text'])

    async def close(self):
        await self.inq.put({'type': 'websocket.disconnect', 'code': 1000})
        await self.task


async def _page(app, path: str, cookie: bytes | None = None) -> tuple[bytes, str]:
    "The page at `path` for the session `cookie` (a new session without one): (the session cookie, the page)."
    headers = [(b'cookie', cookie)] if cookie else []
    msgs = await _http(app, _scope(path, headers=headers))
    assert msgs[0]['status'] == 200, msgs
    set_cookie = next((v for k, v in msgs[0]['headers'] if k == b'set-cookie'), None)
    if set_cookie is not None:
        cookie = set_cookie.split(b';')[0]
    return cookie or b'', b''.join(m.get('body', b'') for m in msgs[1:]).decode()


async def _joined(app, path: str) -> tuple:
    "A session with a page at `path` and its socket joined: (socket, component id, session cookie)."
    cookie, page = await _page(app, path)
    lid, tok, ver = CLAIM.findall(page)[0]
    s = LiveSocket(app, cookie)
    await s.start()
    await s.inq.put({'type': 'websocket.receive', 'text': json.dumps({'t': 'j', 'c': [[lid, tok, ver]]})})
    r = await s.roundtrip(json.dumps({'t': 'p'}))
    assert r == {'t': 'p'}, r
    return s, lid, cookie


async def _event_socket(app, path: str, handler: str) -> tuple:
    "A joined socket for the counter at `path`, and the event message running `handler` (sent once, checked)."
    s, lid, _ = await _joined(app, path)
    ev = json.dumps({'t': 'e', 'l': lid, 'h': handler, 'f': {'by': '1'}})
    r = await s.roundtrip(ev)
    assert r['t'] == 'h' and 'Count: 1<' in r['h'], r
    return s, ev


async def _interleaved(calls: dict[str, Callable[[], Awaitable]], rounds: int, batch: int) -> dict[str, float]:
    "Median µs per call of each variant: `batch` calls in a row, the variants in turn, the order rotating each round."
    names = list(calls)
    times: dict = {n: [] for n in names}
    gc.collect()
    for r in range(rounds):
        for n in names[r % len(names):] + names[:r % len(names)]:
            call = calls[n]
            t0 = time.perf_counter()
            for _ in range(batch):
                await call()
            times[n].append((time.perf_counter() - t0) / batch)
    return {n: statistics.median(v) * 1e6 for n, v in times.items()}


async def event_bench(rounds: int, batch: int) -> dict:
    app = load_app()['app']
    # Live: a page per variant (its session cookie and token), a socket joining it.
    socks = {'live def': await _event_socket(app, '/', 'inc'), 'live async': await _event_socket(app, '/a', 'ainc')}
    hx = [(b'hx-request', b'true'), (b'content-type', b'application/x-www-form-urlencoded'),
          (b'content-length', b'4')]
    posts = {'hx_post def': _scope('/inc', 'POST', hx), 'hx_post async': _scope('/ainc', 'POST', hx)}
    for scope in posts.values():
        msgs = await _http(app, scope, b'by=1')
        assert msgs[0]['status'] == 200 and b'Count: ' in msgs[1]['body'], msgs
    calls = {n: functools.partial(s.roundtrip, ev) for n, (s, ev) in socks.items()}
    calls |= {n: functools.partial(_http, app, scope, b'by=1') for n, scope in posts.items()}
    results = await _interleaved(calls, rounds, batch)
    for s, _ in socks.values():
        await s.close()
    return results


def instance_memory(n: int = 1000) -> float:
    "Bytes per component instance (its object, state, attributes and registry entry), measured with tracemalloc."
    ns = load_app()
    live, Counter = ns['live'], ns['Counter']
    from fasthtml.live import _Ctx, _ctx
    tok = _ctx.set(_Ctx(live, {'session': {}}, None))
    try:
        warm = [Counter(i) for i in range(10)]
        for c in warm:
            c.__ft__()
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        comps = [Counter(i) for i in range(n)]
        for c in comps:
            c.__ft__()  # renders once (signs its token) and registers it, as a page render does
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    finally:
        _ctx.reset(tok)
    assert len(comps) == n
    return (after - before) / n


# ---------------------------------------------------------------------------------------------------------------
# Part 2: 1,000 sockets on one uvicorn worker

def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _rss(pid: int) -> int:
    import psutil
    return psutil.Process(pid).memory_info().rss


def _serve(tmp: Path, port: int, log):
    env = {**os.environ, 'PYTHONPATH': str(HERE.parent)}
    return subprocess.Popen([sys.executable, '-m', 'uvicorn', 'bench_live_app:app', '--app-dir', str(tmp), '--port',
                             str(port), '--log-level', 'warning'], cwd=tmp, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


async def _wait_up(port: int) -> None:
    import httpx
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient(base_url=f'http://127.0.0.1:{port}') as cli:
        while True:
            try:
                await cli.get('/')
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)


@asynccontextmanager
async def _server(tmp: Path, log_name: str):
    """The app served by uvicorn on a free port (its output in `tmp / log_name`): `(port, pid, socks)`; on the way
    out the websockets put in `socks` are closed and the server stopped."""
    (tmp / 'bench_live_app.py').write_text(textwrap.dedent(APP_SRC))
    port = _free_port()
    socks: list = []
    with open(tmp / log_name, 'wb') as log:  # noqa: ASYNC230 (a local log file, opened once before the server starts)
        proc = _serve(tmp, port, log)
        try:
            await _wait_up(port)
            yield port, proc.pid, socks
        finally:
            for ws in socks:
                try:
                    await ws.close()
                except Exception:  # noqa: BLE001, S110 (closing what is left: a socket the server dropped is fine)
                    pass
            _stop(proc)


async def plain_socket_memory(clients: int, tmp: Path) -> float:
    "KiB of server RSS per plain websocket (an `app.ws` echo route, same server and client): the socket's own cost."
    import websockets
    async with _server(tmp, 'uvicorn-plain.log') as (port, pid, socks):
        async def connect():
            ws = await websockets.connect(f'ws://127.0.0.1:{port}/plain', open_timeout=30, max_queue=None)
            await ws.send('x')
            await ws.recv()
            return ws
        for ws in [await connect() for _ in range(20)]:
            await ws.close()
        await asyncio.sleep(0.5)
        rss0 = _rss(pid)
        for i in range(0, clients, 50):
            socks += await asyncio.gather(*[connect() for _ in range(min(50, clients - i))])
        await asyncio.sleep(1.0)
        return (_rss(pid) - rss0) / len(socks) / 1024


async def scale_bench(clients: int, tmp: Path) -> dict:
    import httpx
    import websockets
    async with _server(tmp, 'uvicorn.log') as (port, pid, socks):
        async with httpx.AsyncClient(base_url=f'http://127.0.0.1:{port}') as cli:
            await cli.get('/')
            cookie = '; '.join(f'{k}={v}' for k, v in cli.cookies.items())
            # Warm up: a few sockets opened and closed, so the baseline includes the first-use costs.
            pages = [(await cli.get('/')).text for _ in range(clients + 20)]
        claims = [CLAIM.findall(p)[0] for p in pages]
        url = f'ws://127.0.0.1:{port}/_live/ws'

        async def connect(claim):
            ws = await websockets.connect(url, additional_headers={'cookie': cookie}, open_timeout=30,
                                          max_queue=None)
            await ws.send(json.dumps({'t': 'j', 'c': [list(claim)]}))
            await ws.send(json.dumps({'t': 'p'}))
            assert json.loads(await ws.recv()) == {'t': 'p'}
            return ws
        warm = [await connect(c) for c in claims[:20]]
        for ws in warm:
            await ws.close()
        await asyncio.sleep(0.5)
        gc_rss0 = _rss(pid)
        t0 = time.perf_counter()
        for i in range(0, clients, 50):
            socks += await asyncio.gather(*[connect(c) for c in claims[20 + i:20 + min(i + 50, clients)]])
        open_s = time.perf_counter() - t0
        await asyncio.sleep(1.0)
        rss1 = _rss(pid)
        # One event per socket, one at a time: every other socket idles meanwhile.
        lat = []
        for ws, c in zip(socks, claims[20:], strict=False):
            ev = json.dumps({'t': 'e', 'l': c[0], 'h': 'inc', 'f': {}})
            t = time.perf_counter()
            await ws.send(ev)
            m = json.loads(await ws.recv())
            lat.append(time.perf_counter() - t)
            assert m['t'] == 'h' and 'Count: 1<' in m['h'], m
        lat.sort()
        return {'clients': len(socks), 'open_s': open_s, 'rss_before_mb': gc_rss0 / 2**20, 'rss_after_mb': rss1 / 2**20,
                'per_live_kb': (rss1 - gc_rss0) / len(socks) / 1024, 'p50_ms': lat[len(lat) // 2] * 1e3,
                'p99_ms': lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3, 'max_ms': lat[-1] * 1e3}


# ---------------------------------------------------------------------------------------------------------------

def section(key: str, lines: list[str], note: str = '') -> str:
    "bench/RESULTS.md's `key` section (made by bench/<key>.py): when and where it ran, `note`, then `lines`."
    return '\n'.join([f'<!-- {key}:begin (generated by bench/{key}.py --write) -->', '',
                      f'Generated {time.strftime("%Y-%m-%d %H:%M")} on {os.cpu_count()} CPUs, Python '
                      f'{sys.version.split()[0]}{note}.', *lines, '', f'<!-- {key}:end -->'])


def report(ev: dict | None, mem: float | None, sc: dict | None) -> str:
    lines: list[str] = []
    if ev:
        lines += ['', '| one event, server time | µs | vs hx_post (same kind) |', '| --- | ---: | ---: |']
        for n in ('live def', 'hx_post def', 'live async', 'hx_post async'):
            base = ev['hx_post ' + n.split()[1]]
            lines.append(f'| {n} | {ev[n]:.0f} | {ev[n] / base:.2f}x |')
    if mem is not None:
        lines += ['', f'Memory per component instance (object, state, token, registry entry; tracemalloc): '
                      f'{mem / 1024:.1f} KiB.']
    if sc:
        live_kb = sc['per_live_kb'] - sc['plain_kb']
        lines += ['', f'{sc["clients"]} live components on one uvicorn worker, one websocket each: server RSS '
                      f'{sc["rss_before_mb"]:.0f} -> {sc["rss_after_mb"]:.0f} MiB, **{sc["per_live_kb"]:.1f} KiB per '
                      f'live component** with its socket (a plain `app.ws` socket measured the same way costs '
                      f'{sc["plain_kb"]:.1f} KiB, so the live part is about {live_kb:.1f} KiB); opened in '
                      f'{sc["open_s"]:.1f} s. One event on each socket in turn while the others idle, round trip: '
                      f'p50 {sc["p50_ms"]:.1f} ms, **p99 {sc["p99_ms"]:.1f} ms**, max {sc["max_ms"]:.1f} ms.']
    return section('live', lines)


def write_results(text: str, key: str = 'live', heading: str = 'Live components (bench/live.py)') -> None:
    "Put `text` in place of bench/RESULTS.md's `key` section (a new section titled `heading` the first time)."
    p = HERE / 'RESULTS.md'
    cur = p.read_text()
    pat = re.compile(rf'<!-- {key}:begin.*?<!-- {key}:end -->', re.S)
    if pat.search(cur):
        cur = pat.sub(lambda m: text, cur)
    else:
        cur = cur.rstrip() + f'\n\n## {heading}\n\n' + text + '\n'
    p.write_text(cur)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--only', choices=['event', 'scale'])
    ap.add_argument('--rounds', type=int, default=15)
    ap.add_argument('--batch', type=int, default=200)
    ap.add_argument('--clients', type=int, default=1000)
    ap.add_argument('--write', action='store_true')
    a = ap.parse_args()
    ev = mem = sc = None
    if a.only in (None, 'event'):
        ev = asyncio.run(event_bench(a.rounds, a.batch))
        mem = instance_memory()
    if a.only in (None, 'scale'):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            sc = asyncio.run(scale_bench(a.clients, Path(d)))
            sc['plain_kb'] = asyncio.run(plain_socket_memory(a.clients, Path(d)))
    text = report(ev, mem, sc)
    print(text)
    if a.write:
        write_results(text)


if __name__ == '__main__':
    main()
