"""In-process benchmark: fasthtml against hand-written raw Starlette, scenario by scenario, in the same run.

Each app is called directly as an ASGI callable (a prebuilt scope, a one-message `receive`, a list-appending
`send`): no network, no client library. Every response is checked before anything is timed. Rounds interleave the
variants (ours with `def` handlers, ours with `async def`, raw Starlette) in a rotating order; each round runs a
batch of requests per variant and the reported figure is the median over rounds of the time per request.
The ratio is ours/raw in throughput (raw time / our time): 1.0 means as fast as raw Starlette.

    python bench/run.py                 # the table, memory and import time
    python bench/run.py --rounds 5      # quicker, noisier
    python bench/run.py --only S3,S6    # some scenarios
    python bench/run.py --write         # also update the generated table in bench/RESULTS.md
    python bench/run.py --profile S3    # cProfile one variant of one scenario (--variant def|async|raw)
"""
from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import apps  # noqa: E402 (found through the sys.path entry above, also when imported from tests/)
from apps import SCENARIOS, Scenario, scenario_checker  # noqa: E402

# The clock batches are timed with: wall time by default; `--clock cpu` times the process's CPU (all its threads),
# which on a process pinned to one CPU equals wall time on an idle machine but leaves out time taken by other
# processes when the machine is shared.
clock = time.perf_counter
VARIANT_NAMES = {'def': 'ours def', 'async': 'ours async', 'raw': 'raw', 'render': 'ours'}
_DISCONNECT = {'type': 'http.disconnect'}


# ---------------------------------------------------------------------------------------------------------------
# A minimal ASGI driver

def http_scope(sc: Scenario, path: str) -> dict:
    "The scope of one scenario request; copied (shallowly) per request, since apps add keys to it."
    headers = [(b'host', b'testserver'), (b'user-agent', b'fasthtml-bench'), (b'accept', b'*/*')]
    headers += [(k.encode(), v.encode()) for k, v in sc.headers]
    if sc.body:
        headers += [(b'content-type', sc.extra['content-type'].encode()),
                    (b'content-length', str(len(sc.body)).encode())]
    return {'type': 'http', 'asgi': {'version': '3.0', 'spec_version': '2.4'}, 'http_version': '1.1',
            'method': sc.method, 'scheme': 'http', 'path': path, 'raw_path': path.encode(), 'root_path': '',
            'query_string': sc.query.encode(), 'headers': headers, 'client': ('127.0.0.1', 50000),
            'server': ('testserver', 80), 'extensions': {}}


async def call(app: Any, scope: dict, body: bytes) -> list:
    "Call `app` once; returns the messages it sent."
    msgs: list = []
    pending = [{'type': 'http.request', 'body': body, 'more_body': False}]

    async def receive() -> dict:
        return pending.pop() if pending else _DISCONNECT

    async def send(m: dict) -> None:
        msgs.append(m)
    await app(scope, receive, send)
    return msgs


def parse(msgs: list) -> tuple[int, dict, bytes]:
    start = msgs[0]
    headers: dict = {}
    for k, v in start.get('headers', []):
        headers.setdefault(k.decode().lower(), v.decode())
    return start['status'], headers, b''.join(m.get('body', b'') for m in msgs[1:])


def set_cookie(msgs: list) -> bytes | None:
    for k, v in msgs[0].get('headers', []):
        if k.lower() == b'set-cookie':
            return v.split(b';', 1)[0]
    return None


class HttpRunner:
    "Runs batches of one scenario request against one app, sending back the session cookie when asked."

    def __init__(self, app: Any, sc: Scenario, path: str):
        self.app, self.sc, self.body = app, sc, sc.body
        self.tpl = http_scope(sc, path)
        self.base_headers = self.tpl['headers']
        self.cookie: bytes | None = None

    def _scope(self) -> dict:
        s = dict(self.tpl)
        if self.cookie is not None:
            s['headers'] = self.base_headers + [(b'cookie', self.cookie)]
        return s

    async def once(self) -> tuple[int, dict, bytes]:
        msgs = await call(self.app, self._scope(), self.body)
        if self.sc.session:
            self.cookie = set_cookie(msgs) or self.cookie
        return parse(msgs)

    async def check(self) -> str | None:
        chk = scenario_checker(self.sc)
        for i in range(2):
            status, headers, body = await self.once()
            err = chk(status, headers, body)
            if err:
                return err
            if self.sc.session and f'Count: {i + 1}<'.encode() not in body:
                return f'session counter: expected Count: {i + 1}, got {body[:200]!r}'
        return None

    async def batch(self, n: int) -> float:
        app, body, tpl = self.app, self.body, self.tpl
        if self.sc.session:
            t0 = clock()
            for _ in range(n):
                msgs = await call(app, self._scope(), body)
                self.cookie = set_cookie(msgs) or self.cookie
            return clock() - t0
        t0 = clock()
        for _ in range(n):
            await call(app, dict(tpl), body)
        return clock() - t0

    async def close(self) -> None:
        pass


class WsRunner:
    "One websocket connection kept open; each round trip sends a message and waits for the reply."

    def __init__(self, app: Any, sc: Scenario, path: str):
        self.app, self.sc, self.path = app, sc, path
        self.task: Any = None

    async def open(self) -> None:
        self.inq: asyncio.Queue = asyncio.Queue()
        self.outq: asyncio.Queue = asyncio.Queue()
        scope = {'type': 'websocket', 'asgi': {'version': '3.0', 'spec_version': '2.4'}, 'http_version': '1.1',
                 'scheme': 'ws', 'path': self.path, 'raw_path': self.path.encode(), 'root_path': '',
                 'query_string': b'', 'headers': [(b'host', b'testserver'), (b'connection', b'upgrade'),
                                                  (b'upgrade', b'websocket'), (b'sec-websocket-version', b'13')],
                 'client': ('127.0.0.1', 50001), 'server': ('testserver', 80), 'subprotocols': [], 'extensions': {}}
        self.inq.put_nowait({'type': 'websocket.connect'})
        self.task = asyncio.ensure_future(self.app(scope, self.inq.get, self.outq.put))
        m = await asyncio.wait_for(self.outq.get(), 5)
        if m['type'] != 'websocket.accept':
            raise RuntimeError(f'websocket not accepted: {m}')
        self.msg = {'type': 'websocket.receive', 'text': apps.WS_MESSAGE}

    async def round_trip(self) -> dict:
        self.inq.put_nowait(self.msg)
        return await self.outq.get()

    async def check(self) -> str | None:
        await self.open()
        m = await asyncio.wait_for(self.round_trip(), 5)
        if m['type'] != 'websocket.send':
            return f'expected websocket.send, got {m}'
        text = m.get('text') or (m.get('bytes') or b'').decode()
        for e in self.sc.expect:
            if e not in text:
                return f'missing {e!r} in {text[:300]!r}'
        return None

    async def batch(self, n: int) -> float:
        inq, outq, msg = self.inq, self.outq, self.msg
        t0 = clock()
        for _ in range(n):
            inq.put_nowait(msg)
            await outq.get()
        return clock() - t0

    async def close(self) -> None:
        if self.task is not None:
            self.inq.put_nowait({'type': 'websocket.disconnect', 'code': 1000})
            try:
                await asyncio.wait_for(self.task, 5)
            except (TimeoutError, OSError, RuntimeError):
                self.task.cancel()


class RenderRunner:
    "S10: render the prebuilt tree (ours) or the same rows with f-strings (raw); no HTTP."

    def __init__(self, fn: Callable[[], str], expected: str | None):
        self.fn, self.expected = fn, expected

    async def check(self) -> str | None:
        out = str(self.fn())
        if self.expected is not None and out != self.expected:
            i = next((i for i, (a, b) in enumerate(zip(out, self.expected, strict=False)) if a != b),
                     min(len(out), len(self.expected)))  # the first difference, or where the shorter one ends
            return f'render differs from the f-string at {i}: {out[max(0, i - 60):i + 60]!r} vs ' \
                   f'{self.expected[max(0, i - 60):i + 60]!r}'
        return None

    async def batch(self, n: int) -> float:
        fn = self.fn
        t0 = clock()
        for _ in range(n):
            fn()
        return clock() - t0

    async def close(self) -> None:
        pass


# ---------------------------------------------------------------------------------------------------------------
# Building runners and timing them

def make_runners(sc: Scenario, ours: dict, raw: Any, ws_ok: bool) -> dict[str, Any] | str:
    "Runners by variant name (`ours` maps the flavours 'def' and 'async' to apps), or why the scenario cannot run."
    if sc.kind == 'render':
        ft = apps.ft_api()
        tree = apps.build_table(apps.ROWS, ft)
        expected = apps.fstring_table(apps.ROWS)
        return {'render': RenderRunner(lambda: ft.to_xml(tree), expected),
                'raw': RenderRunner(lambda: apps.fstring_table(apps.ROWS), None)}
    if sc.kind == 'ws':
        if not ws_ok:
            return 'n/a (app.ws not available)'
        runners: dict[str, Any] = {v: WsRunner(ours[v], sc, sc.path) for v in sc.variants}
        runners['raw'] = WsRunner(raw, sc, sc.path)
        return runners
    runners = {v: HttpRunner(ours[v], sc, sc.path) for v in sc.variants}
    runners['raw'] = HttpRunner(raw, sc, sc.path)
    return runners


async def calibrate(r: Any, budget: float) -> int:
    "How many calls make a batch of about `budget` seconds."
    n = 1
    while True:
        t = await r.batch(n)
        if t > budget / 4 or n >= 1 << 20:
            return max(1, int(n * budget / max(t, 1e-9)))
        n *= 2


async def run_scenario(sc: Scenario, ours: dict, raw: Any, ws_ok: bool, rounds: int, budget: float) -> dict:
    runners = make_runners(sc, ours, raw, ws_ok)
    if isinstance(runners, str):
        return {'key': sc.key, 'title': sc.title, 'target': sc.target, 'na': runners}
    try:
        for v, r in runners.items():
            err = await r.check()
            if err:
                raise SystemExit(f'{sc.key} ({VARIANT_NAMES[v]}): incorrect response: {err}')
        sizes = {v: await calibrate(r, budget) for v, r in runners.items()}
        times: dict[str, list[float]] = {v: [] for v in runners}
        order = list(runners)
        for i in range(rounds):
            k = i % len(order)
            for v in order[k:] + order[:k]:
                gc.collect()
                t = await runners[v].batch(sizes[v])
                times[v].append(t / sizes[v])
    finally:
        for r in (runners.values() if isinstance(runners, dict) else ()):
            await r.close()
    med = {v: statistics.median(ts) for v, ts in times.items()}
    return {'key': sc.key, 'title': sc.title, 'target': sc.target, 'med': med,
            'ratio': {v: med['raw'] / m for v, m in med.items() if v != 'raw'},
            'spread': {v: (statistics.quantiles(ts, n=4)[2] - statistics.quantiles(ts, n=4)[0]) / med[v]
                       if len(ts) >= 4 else 0.0 for v, ts in times.items()}}


async def driver_overhead(rounds: int, budget: float) -> float:
    "Time per request of the driver itself, against an ASGI app that only sends a fixed response."
    async def null_app(scope: dict, receive: Any, send: Any) -> None:
        await receive()
        await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'content-length', b'2')]})
        await send({'type': 'http.response.body', 'body': b'ok'})
    r = HttpRunner(null_app, SCENARIOS[0], '/')
    n = await calibrate(r, budget)
    return statistics.median([await r.batch(n) / n for _ in range(max(3, rounds // 2))])


def pin_one_cpu() -> int | None:
    """Pin this process (and the worker threads it starts) to one CPU. A thread hop between two CPUs of a small VM
    costs anywhere from 50 to 250 µs depending on where the scheduler puts the threads; on one CPU the cost is
    stable, so rounds agree and figures compare across runs. `--no-pin` measures the unpinned case."""
    try:
        cpu = max(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return cpu
    except (AttributeError, OSError):
        return None


def new_loop() -> tuple[asyncio.AbstractEventLoop, str]:
    try:
        import uvloop
        return uvloop.new_event_loop(), f'uvloop {uvloop.__version__}'
    except ImportError:
        return asyncio.new_event_loop(), 'asyncio'


# ---------------------------------------------------------------------------------------------------------------
# Memory and import time (subprocesses)

def rss_kb() -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


async def serve_all(which: str) -> dict:
    "Build one app (ours: the `def` flavour), serve every scenario 300 times, return RSS figures (for `--mem`)."
    before = rss_kb()
    app = apps.ours_app('def') if which == 'ours' else apps.raw_app()
    built = rss_kb()
    ws_ok = apps.ws_available()
    for sc in SCENARIOS:
        if sc.kind == 'render' or (sc.kind == 'ws' and not ws_ok):
            continue
        if sc.key == 'S1a':  # the same requests as S1
            continue
        r = WsRunner(app, sc, sc.path) if sc.kind == 'ws' else HttpRunner(app, sc, sc.path)
        if sc.kind == 'ws':
            await r.open()
        await r.batch(300)
        await r.close()
    gc.collect()
    return {'imports_kb': before, 'built_kb': built, 'served_kb': rss_kb()}


def measure_memory() -> dict:
    out = {}
    for which in ('ours', 'raw'):
        p = subprocess.run([sys.executable, __file__, '--mem', which], capture_output=True, text=True, timeout=120,
                           check=False)
        if p.returncode != 0:
            out[which] = {'error': p.stderr.strip().splitlines()[-1:] or ['failed']}
        else:
            out[which] = json.loads(p.stdout.strip().splitlines()[-1])
    return out


_IMPORT_CODE = 'import time; t = time.perf_counter(); import {m}; print(time.perf_counter() - t)'


def import_time(module: str, n: int = 7) -> float | str:
    """Best of `n` fresh interpreters: seconds to import `module` (interpreter start-up excluded). Bytecode caching
    is allowed (and a first, untimed run fills the caches), as for any installed package, even where the calling
    environment sets PYTHONDONTWRITEBYTECODE: otherwise every run would time compiling the sources."""
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONDONTWRITEBYTECODE'}
    best = None
    for i in range(n + 1):
        p = subprocess.run([sys.executable, '-c', _IMPORT_CODE.format(m=module)], capture_output=True, text=True,
                           timeout=60, cwd=str(HERE.parent), check=False, env=env)
        if i == 0 and p.returncode == 0:
            continue
        if p.returncode != 0:
            return 'error: ' + (p.stderr.strip().splitlines() or ['?'])[-1]
        t = float(p.stdout.strip())
        best = t if best is None else min(best, t)
    return best  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------------------------
# Reporting

def machine_notes(loop_name: str) -> str:
    import starlette
    cpu = platform.processor() or '?'
    try:
        cpu = next((ln.split(':', 1)[1].strip() for ln in Path('/proc/cpuinfo').read_text().splitlines()
                    if ln.startswith('model name')), cpu)
        load = Path('/proc/loadavg').read_text().split()[0]
    except OSError:
        load = '?'
    return (f'{cpu}, {os.cpu_count()} CPUs (load average {load} at the end); {platform.system()} {platform.release()}; '
            f'Python {platform.python_version()}; Starlette {starlette.__version__}; event loop {loop_name}')


def fmt_us(s: float) -> str:
    us = s * 1e6
    return f'{us:,.1f}' if us < 100 else f'{us:,.0f}'


def table(results: list[dict]) -> str:
    "The results table; a target is checked on each column the scenario has (def, async, or the render)."
    lines = ['| scenario | raw µs | ours def µs | ours async µs | ratio def | ratio async | target | met def '
             '| met async |',
             '|---|---:|---:|---:|---:|---:|---:|:---:|:---:|']
    for r in results:
        name = f"{r['key']} {r['title']}"
        if 'na' in r:
            lines.append(f"| {name} | | | | {r['na']} | | ≥ {r['target']} | n/a | n/a |")
            continue
        med, ratio, target = r['med'], r['ratio'], r['target']
        sync = 'def' if 'def' in med else 'render' if 'render' in med else None

        def met(v: str | None, ratio: dict = ratio, target: float = target) -> str:
            return '' if v is None or v not in ratio else 'yes' if ratio[v] >= target else '**no**'
        cells = [name, fmt_us(med['raw']),
                 fmt_us(med[sync]) if sync else '', fmt_us(med['async']) if 'async' in med else '',
                 f'{ratio[sync]:.2f}' if sync else '', f"{ratio['async']:.2f}" if 'async' in ratio else '',
                 f'≥ {target}', met(sync), met('async')]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def report(results: list[dict], notes: str, overhead: float, mem: dict | None, imports: dict | None,
           rounds: int) -> str:
    out = [f'Date: {datetime.date.today().isoformat()}  ',
           f'Machine: {notes}  ',
           (f'Method: in-process ASGI calls, {rounds} interleaved rounds, medians of time per request; '
            f'driver overhead {overhead * 1e6:.1f} µs/request (included in every figure).'),
           '', table(results), '']
    if mem:
        rows = ['| process | interpreter and bench driver | + importing and building the app '
                '| after serving the scenarios |',
                '|---|---:|---:|---:|']
        for which, m in mem.items():
            if 'error' in m:
                rows.append(f"| {which} | error: {m['error']} | | |")
            else:
                rows.append(f"| {which} | {m['imports_kb'] / 1024:.1f} MiB | {m['built_kb'] / 1024:.1f} MiB | "
                            f"{m['served_kb'] / 1024:.1f} MiB |")
        out += ['Resident memory (VmRSS):', '', *rows, '']
    if imports:
        out += ['Import time (best of 7 fresh interpreters):', '']
        out += [f'- `import {m}`: ' + (f'{t * 1000:.0f} ms' if isinstance(t, float) else t)
                for m, t in imports.items()]
        out.append('')
    return '\n'.join(out)


def write_results(text: str) -> None:
    path = HERE / 'RESULTS.md'
    start, end = '<!-- bench:start -->', '<!-- bench:end -->'
    old = path.read_text() if path.exists() else f'# Benchmark results\n\n{start}\n{end}\n'
    if start not in old:
        old = old.rstrip() + f'\n\n{start}\n{end}\n'
    new = re.sub(re.escape(start) + '.*?' + re.escape(end), lambda m: f'{start}\n{text}\n{end}', old, flags=re.DOTALL)
    path.write_text(new)


# ---------------------------------------------------------------------------------------------------------------

def profile(key: str, variant: str, seconds: float) -> None:
    import cProfile
    import pstats
    sc = next(s for s in SCENARIOS if s.key == key)
    loop, _ = new_loop()
    runners = make_runners(sc, {'def': apps.ours_app('def'), 'async': apps.ours_app('async')}, apps.raw_app(),
                           apps.ws_available())
    if isinstance(runners, str):
        raise SystemExit(runners)
    r = runners[variant]

    async def go() -> None:
        await r.check()
        n = await calibrate(r, seconds)
        pr = cProfile.Profile()
        pr.enable()
        await r.batch(n)
        pr.disable()
        await r.close()
        pstats.Stats(pr).sort_stats('tottime').print_stats(30)
        pstats.Stats(pr).sort_stats('cumulative').print_stats(40)
    loop.run_until_complete(go())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--rounds', type=int, default=21)
    ap.add_argument('--batch', type=float, default=0.02, help='seconds per batch (default 0.02)')
    ap.add_argument('--only', default='', help='comma-separated scenario keys')
    ap.add_argument('--no-extras', action='store_true', help='skip the memory and import-time measurements')
    ap.add_argument('--write', action='store_true', help='update the generated section of bench/RESULTS.md')
    ap.add_argument('--mem', choices=('ours', 'raw'), help=argparse.SUPPRESS)
    ap.add_argument('--profile', metavar='KEY', help='cProfile one scenario instead of benchmarking')
    ap.add_argument('--variant', default='def')
    ap.add_argument('--no-pin', action='store_true', help='do not pin the process to one CPU')
    ap.add_argument('--clock', choices=('wall', 'cpu'), default='wall',
                    help='time batches by wall clock (default) or by the process CPU time (for a busy machine)')
    args = ap.parse_args()
    global clock
    clock = time.process_time if args.clock == 'cpu' else time.perf_counter
    pinned = None if args.no_pin else pin_one_cpu()

    if args.mem:
        loop, _ = new_loop()
        print(json.dumps(loop.run_until_complete(serve_all(args.mem))))
        return
    if args.profile:
        profile(args.profile, args.variant, 2.0)
        return

    only = {k.strip() for k in args.only.split(',') if k.strip()}
    scenarios = [s for s in SCENARIOS if not only or s.key in only]
    loop, loop_name = new_loop()
    ours, raw = {'def': apps.ours_app('def'), 'async': apps.ours_app('async')}, apps.raw_app()
    ws_ok = apps.ws_available()
    t0 = time.perf_counter()
    results = []
    for sc in scenarios:
        r = loop.run_until_complete(run_scenario(sc, ours, raw, ws_ok, args.rounds, args.batch))
        results.append(r)
        if 'na' in r:
            print(f"{sc.key:4} {sc.title:32} {r['na']}", flush=True)
        else:
            ratios = '  '.join(f'{VARIANT_NAMES[v]} {x:.2f}' for v, x in r['ratio'].items())
            print(f"{sc.key:4} {sc.title:32} raw {fmt_us(r['med']['raw']):>8} µs   {ratios}", flush=True)
    overhead = loop.run_until_complete(driver_overhead(args.rounds, args.batch))
    mem = imports = None
    if not args.no_extras:
        mem = measure_memory()
        try:
            import fasthtml.common  # noqa: F401
            common = 'fasthtml.common'
        except ImportError:
            common = 'fasthtml.common'  # reported as an error below, with the core import for reference
        imports = {common: import_time(common), 'fasthtml.core': import_time('fasthtml.core'),
                   'starlette.applications': import_time('starlette.applications')}
    pin = f'pinned to CPU {pinned}' if pinned is not None else 'not pinned'
    text = report(results, machine_notes(loop_name) + f'; {pin}; timed by {args.clock} clock', overhead, mem,
                  imports, args.rounds)
    print()
    print(text)
    print(f'(benchmark took {time.perf_counter() - t0:.0f} s)')
    if args.write:
        write_results(text)


if __name__ == '__main__':
    main()
