"""Isolated live components benchmark: the figures of issue 15, written to bench/RESULTS.md with `--write`.

1. EVENT: server time of one live event with the component in the session's process vs in the server process, the
   same component class driven in-process as ASGI calls (as bench/live.py does: from putting the event into the
   socket's `receive` queue to its HTML message coming out of `send`). Variants interleave round by round; the
   figure is the median over rounds, and the difference is what isolation adds per event.
2. START: a new session's first page (its process started, its components made and rendered there) against the same
   page for a session whose process runs, with a pre-forked pool (`prefork=2`) and with fork-on-demand from the
   zygote (`prefork=0`). Each mode runs in its own server process; the modes alternate round by round.
3. SESSIONS: N sessions each with a page and its socket joined, on one server process: private memory (USS) and
   proportional share (PSS) per session process, the server's growth, and one event round trip on each session in
   turn with all of them alive (p50, p99).

    python bench/isolated.py                  # all parts
    python bench/isolated.py --only event     # one part
    python bench/isolated.py --sessions 50    # a smaller scale run
    python bench/isolated.py --write          # also update the isolated section of bench/RESULTS.md
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import importlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def _bench_live():
    "bench/live.py: its app's component, in-process ASGI helpers (loaded by path: its name would shadow fasthtml.live)."
    spec = importlib.util.spec_from_file_location('bench_live_helpers', HERE / 'live.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


bench_live = _bench_live()

APP_SRC = '''
import os
from fasthtml.common import *
from fasthtml.live import Live, LiveComponent

app = FastHTML(secret_key='bench-isolated')
live = Live(app, grace=600, isolate=True, prefork=int(os.environ.get('BENCH_PREFORK', '1')),
            max_processes=10_000, run_dir=os.environ['BENCH_RUN_DIR'])
''' + bench_live.COUNTER_SRC + '''

class Local(Counter, isolate=False):
    "The same component, kept in the server process."


@app.route('/')
def index():
    return Titled('Isolated', Counter())


@app.route('/local')
def local():
    return Titled('Local', Local())
'''


def load_app(tmp: Path, prefork: int = 1):
    "The benchmark app, importable by name (its session processes import it too)."
    (tmp / 'bench_isolated_app.py').write_text(textwrap.dedent(APP_SRC))
    os.environ['BENCH_RUN_DIR'] = str(tmp / 'run')
    os.environ['BENCH_PREFORK'] = str(prefork)
    if str(tmp) not in sys.path:
        sys.path.insert(0, str(tmp))
    sys.modules.pop('bench_isolated_app', None)
    return importlib.import_module('bench_isolated_app')


async def _lifespan(app) -> tuple:
    "Run the app's lifespan startup (the zygote and its pool start); returns what shuts it down."
    q: asyncio.Queue = asyncio.Queue()
    out: asyncio.Queue = asyncio.Queue()
    await q.put({'type': 'lifespan.startup'})
    task = asyncio.create_task(app({'type': 'lifespan', 'asgi': {'version': '3.0'}}, q.get, out.put))
    m = await out.get()
    assert m['type'] == 'lifespan.startup.complete', m

    async def stop():
        await q.put({'type': 'lifespan.shutdown'})
        await out.get()
        await task
    return stop


# ---------------------------------------------------------------------------------------------------------------
# Part 1: one event, isolated or not

async def event_bench(tmp: Path, rounds: int, batch: int) -> dict:
    app = load_app(tmp).app
    stop = await _lifespan(app)
    socks = {}
    for variant, path, handler in (('in-process def', '/local', 'inc'), ('isolated def', '/', 'inc'),
                                   ('in-process async', '/local', 'ainc'), ('isolated async', '/', 'ainc')):
        socks[variant] = await bench_live._event_socket(app, path, handler)
    results = await bench_live._interleaved({n: functools.partial(s.roundtrip, ev) for n, (s, ev) in socks.items()},
                                    rounds, batch)
    for s, _ in socks.values():
        await s.close()
    await stop()
    return results


# ---------------------------------------------------------------------------------------------------------------
# Part 2: starting a session's process (run in a server process of its own per mode)

async def start_worker(tmp: Path, prefork: int, n: int, pause: float) -> dict:
    app = load_app(tmp, prefork).app
    stop = await _lifespan(app)
    from fasthtml._live_spawn import manager as _manager
    t0 = time.perf_counter()
    while not _manager.ready.is_set():
        await asyncio.sleep(0.005)
    zygote_s = time.perf_counter() - t0
    cookie, _ = await bench_live._page(app, '/')                # warm: one session whose process runs
    new, again = [], []
    for _ in range(n):
        await asyncio.sleep(pause)                       # sessions arrive at a human pace: the pool refills
        t0 = time.perf_counter()
        await bench_live._page(app, '/')
        new.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        await bench_live._page(app, '/', cookie)
        again.append(time.perf_counter() - t0)
    await stop()
    return {'new': new, 'again': again, 'zygote_s': zygote_s}


def start_bench(tmp: Path, rounds: int, per_round: int) -> dict:
    "The two modes alternate, each round in a fresh server process (the zygote's pool size is fixed at its start)."
    res: dict = {0: {'new': [], 'again': []}, 2: {'new': [], 'again': []}}
    for r in range(rounds):
        for prefork in ((0, 2) if r % 2 == 0 else (2, 0)):
            d = tmp / f'start-{r}-{prefork}'
            d.mkdir()
            p = subprocess.run([sys.executable, __file__, '--start-worker', str(prefork), '--per-round',
                                str(per_round), '--tmp', str(d)], capture_output=True, text=True, timeout=600)
            if p.returncode:
                raise RuntimeError(p.stderr[-3000:])
            got = json.loads(p.stdout.strip().splitlines()[-1])
            res[prefork]['new'] += got['new']
            res[prefork]['again'] += got['again']
    out = {}
    for prefork, v in res.items():
        new, again = statistics.median(v['new']) * 1e3, statistics.median(v['again']) * 1e3
        out[prefork] = {'new_ms': new, 'again_ms': again, 'start_ms': new - again, 'n': len(v['new'])}
    return out


# ---------------------------------------------------------------------------------------------------------------
# Part 3: many sessions on one server process

def _mem(pid: int) -> tuple[float, float, float]:
    "(RSS, USS, PSS) in MiB."
    import psutil
    m = psutil.Process(pid).memory_full_info()
    return m.rss / 2**20, m.uss / 2**20, m.pss / 2**20


async def sessions_bench(tmp: Path, n: int) -> dict:
    import psutil
    mod = load_app(tmp)
    app = mod.app
    stop = await _lifespan(app)
    me = psutil.Process()
    rss0 = me.memory_info().rss
    socks = []
    t0 = time.perf_counter()
    for _ in range(n):
        s, lid, _ = await bench_live._joined(app, '/')
        socks.append((s, lid))
    open_s = time.perf_counter() - t0
    for s, lid in socks:                                 # every session has handled an event
        r = await s.roundtrip(json.dumps({'t': 'e', 'l': lid, 'h': 'inc', 'f': {}}))
        assert r['t'] == 'h', r
    gc.collect()
    pids = list(mod.live.runner.processes().values())
    assert len(pids) == n, (len(pids), n)
    mems = [_mem(p) for p in pids]
    from fasthtml._live_spawn import manager as _manager
    zyg = _mem(_manager.pid) if _manager.pid else (0, 0, 0)
    rtt = []
    for s, lid in socks:
        t1 = time.perf_counter()
        r = await s.roundtrip(json.dumps({'t': 'e', 'l': lid, 'h': 'inc', 'f': {}}))
        rtt.append((time.perf_counter() - t1) * 1e3)
        assert r['t'] == 'h', r
    rtt.sort()
    rss1 = me.memory_info().rss
    for s, _ in socks:
        await s.close()
    await stop()
    avail = psutil.virtual_memory().total / 2**20
    uss = statistics.mean(m[1] for m in mems)
    return {'n': n, 'open_s': open_s, 'rss': statistics.mean(m[0] for m in mems), 'uss': uss,
            'pss': statistics.mean(m[2] for m in mems), 'zygote_rss': zyg[0], 'server_kb': (rss1 - rss0) / n / 1024,
            'p50': rtt[len(rtt) // 2], 'p99': rtt[min(len(rtt) - 1, int(len(rtt) * 0.99))], 'max': rtt[-1],
            'total_mb': avail}


# ---------------------------------------------------------------------------------------------------------------

def report(ev: dict | None, st: dict | None, ss: dict | None) -> str:
    lines: list[str] = []
    if ev:
        lines += ['', '| one event, server time | µs | added by isolation |', '| --- | ---: | ---: |']
        for kind in ('def', 'async'):
            base = ev[f'in-process {kind}']
            lines.append(f'| in-process {kind} | {base:.0f} | |')
            lines.append(f'| isolated {kind} | {ev[f"isolated {kind}"]:.0f} | '
                         f'**+{(ev[f"isolated {kind}"] - base) / 1000:.2f} ms** |')
    if st:
        lines += ['', '| a new session\'s first page | new session, ms | running session, ms | start cost, ms |',
                  '| --- | ---: | ---: | ---: |']
        for prefork, label in ((2, 'pre-forked pool (prefork=2)'), (0, 'fork on demand (prefork=0)')):
            v = st[prefork]
            lines.append(f'| {label} | {v["new_ms"]:.1f} | {v["again_ms"]:.1f} | **{v["start_ms"]:.1f}** |')
    if ss:
        per_gb = 1024 / ss['uss']
        lines += ['', f'{ss["n"]} isolated sessions on one server process, each with a page, its socket and one '
                      f'event handled: per session process RSS {ss["rss"]:.1f} MiB, of which private (USS) '
                      f'**{ss["uss"]:.1f} MiB** (PSS {ss["pss"]:.1f} MiB; the rest is shared with the zygote, RSS '
                      f'{ss["zygote_rss"]:.0f} MiB); the server grew {ss["server_kb"]:.0f} KiB per session. Opened '
                      f'in {ss["open_s"]:.1f} s. One event on each session in turn with all alive: p50 '
                      f'{ss["p50"]:.1f} ms, **p99 {ss["p99"]:.1f} ms**, max {ss["max"]:.1f} ms. At '
                      f'{ss["uss"]:.1f} MiB each, a GiB of memory holds about {per_gb:.0f} sessions: a 2-core '
                      f'machine with 4 GiB free for them holds about {per_gb * 4:.0f} (idle sessions use no CPU; '
                      f'the CPU bounds how many are busy at once, not how many exist).']
    return bench_live.section('isolated', lines, ', a machine shared with other work (variants interleaved)')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--only', choices=['event', 'start', 'sessions'])
    ap.add_argument('--rounds', type=int, default=15)
    ap.add_argument('--batch', type=int, default=200)
    ap.add_argument('--start-rounds', type=int, default=6)
    ap.add_argument('--per-round', type=int, default=10)
    ap.add_argument('--sessions', type=int, default=200)
    ap.add_argument('--write', action='store_true')
    ap.add_argument('--start-worker', type=int, help=argparse.SUPPRESS)
    ap.add_argument('--tmp', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.start_worker is not None:
        got = asyncio.run(start_worker(Path(a.tmp), a.start_worker, a.per_round, 0.3))
        print(json.dumps(got))
        return
    ev = st = ss = None
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if a.only in (None, 'event'):
            (tmp / 'event').mkdir()
            ev = asyncio.run(event_bench(tmp / 'event', a.rounds, a.batch))
        if a.only in (None, 'start'):
            (tmp / 'start').mkdir()
            st = start_bench(tmp / 'start', a.start_rounds, a.per_round)
        if a.only in (None, 'sessions'):
            (tmp / 'sessions').mkdir()
            ss = asyncio.run(sessions_bench(tmp / 'sessions', a.sessions))
    text = report(ev, st, ss)
    print(text)
    if a.write:
        bench_live.write_results(text, 'isolated', 'Isolated live components (bench/isolated.py)')


if __name__ == '__main__':
    main()
