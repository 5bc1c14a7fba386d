"""In-process benchmark: fasthtml against hand-written raw Starlette and Jinja2 templates, scenario by scenario.

Each app is called directly as an ASGI callable (a prebuilt scope, a one-message `receive`, a list-appending
`send`): no network, no client library. Every response is checked before anything is timed. Rounds interleave the
variants (ours with `def` handlers, ours with `async def`, raw Starlette, Jinja2 templates on Starlette and on
FastAPI) in a rotating order; each round runs a batch of requests per variant and the reported figure is the median
over rounds of the time per request. A ratio is ours/peer in throughput (peer time / our time): 1.0 means as fast
as the peer. Then, in processes of their own (bench/procs.py): the same table with `FASTHTML_PURE_PYTHON=1`, worker
memory, import time and the to-do example's start-up, ours next to the original. Every target gets a pass/fail line.

    python bench/run.py                 # everything
    python bench/run.py --rounds 5      # quicker, noisier
    python bench/run.py --only S3,S6    # some scenarios
    python bench/run.py --write         # also update the generated table in bench/RESULTS.md
    python bench/run.py --no-extras     # only the in-process table
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

import apps  # noqa: E402 (found through the sys.path entries above, also when imported from tests/)
import procs  # noqa: E402
from apps import SCENARIOS, Scenario, scenario_checker  # noqa: E402

# The clock batches are timed with: wall time by default; `--clock cpu` times the process's CPU (all its threads),
# which on a process pinned to one CPU equals wall time on an idle machine but leaves out time taken by other
# processes when the machine is shared.
clock = time.perf_counter
# The cyclic GC's young-generation threshold each app runs with: the interpreter's default, except where the app sets
# its own when its server starts (ours: FastHTML(gc_threshold=20_000) at lifespan start-up). Every app would run in a
# worker process of its own; here they share one, so each batch runs with its app's threshold (see `gc_threshold`).
GC_DEFAULT = gc.get_threshold()
VARIANT_NAMES = {'def': 'ours def', 'async': 'ours async', 'raw': 'raw', 'jinja': 'Jinja2', 'fastapi': 'FastAPI',
                 'render': 'ours'}
OURS = ('def', 'async', 'render')
PEERS = ('raw', 'jinja', 'fastapi')
PEER_TITLES = {'raw': 'raw Starlette', 'jinja': 'Jinja2 on Starlette', 'fastapi': 'Jinja2 on FastAPI'}
REPO = HERE.parent
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

def build_apps(peers: tuple = PEERS) -> dict[str, Any]:
    "The apps by variant name: ours in both flavours and each peer that can be built (Jinja2/FastAPI installed)."
    out: dict[str, Any] = {'def': apps.ours_app('def'), 'async': apps.ours_app('async')}
    makers = {'raw': apps.raw_app, 'jinja': apps.jinja_app, 'fastapi': apps.fastapi_app}
    for v in peers:
        try:
            out[v] = makers[v]()
        except ImportError as e:
            print(f'{VARIANT_NAMES[v]}: not measured ({e})', file=sys.stderr)
    return out


def make_runners(sc: Scenario, appmap: dict, ws_ok: bool) -> dict[str, Any] | str:
    "Runners by variant name (ours: the scenario's flavours; every peer in `appmap`), or why the scenario cannot run."
    if sc.kind == 'render':
        ft = apps.ft_api()
        tree = apps.build_table(apps.ROWS, ft)
        expected = apps.fstring_table(apps.ROWS)
        runners: dict[str, Any] = {'render': RenderRunner(lambda: ft.to_xml(tree), expected),
                                   'raw': RenderRunner(lambda: apps.fstring_table(apps.ROWS), None)}
        if 'jinja' in appmap:
            env = apps.jinja_env()
            tpl, partial = env.get_template('table.html'), env.get_template('partial.html')
            runners['jinja'] = RenderRunner(lambda: tpl.render(layout=partial, headers=apps.HEADERS, rows=apps.ROWS),
                                            expected)
        return runners
    cls = WsRunner if sc.kind == 'ws' else HttpRunner
    if sc.kind == 'ws' and not ws_ok:
        return 'n/a (app.ws not available)'
    runners = {v: cls(appmap[v], sc, sc.path) for v in sc.variants}
    runners.update({v: cls(appmap[v], sc, sc.path) for v in PEERS if v in appmap})
    return runners


def gc_threshold(r: Any) -> tuple:
    "The GC thresholds the server process of runner `r`'s app would run with (what its lifespan start-up sets)."
    t = getattr(getattr(r, 'app', None), 'gc_threshold', None)
    return (t, *GC_DEFAULT[1:]) if t and t > GC_DEFAULT[0] else GC_DEFAULT


async def calibrate(r: Any, budget: float) -> int:
    "How many calls make a batch of about `budget` seconds."
    n = 1
    while True:
        t = await r.batch(n)
        if t > budget / 4 or n >= 1 << 20:
            return max(1, int(n * budget / max(t, 1e-9)))
        n *= 2


async def run_scenario(sc: Scenario, appmap: dict, ws_ok: bool, rounds: int, budget: float) -> dict:
    runners = make_runners(sc, appmap, ws_ok)
    if isinstance(runners, str):
        return {'key': sc.key, 'title': sc.title, 'na': runners}
    try:
        for v, r in runners.items():
            err = await r.check()
            if err:
                raise SystemExit(f'{sc.key} ({VARIANT_NAMES[v]}): incorrect response: {err}')
        sizes = {}
        for v, r in runners.items():
            gc.set_threshold(*gc_threshold(r))
            sizes[v] = await calibrate(r, budget)
        times: dict[str, list[float]] = {v: [] for v in runners}
        order = list(runners)
        for i in range(rounds):
            k = i % len(order)
            for v in order[k:] + order[:k]:
                gc.collect()
                gc.set_threshold(*gc_threshold(runners[v]))
                t = await runners[v].batch(sizes[v])
                times[v].append(t / sizes[v])
    finally:
        gc.set_threshold(*GC_DEFAULT)
        for r in (runners.values() if isinstance(runners, dict) else ()):
            await r.close()
    med = {v: statistics.median(ts) for v, ts in times.items()}
    return {'key': sc.key, 'title': sc.title, 'med': med,
            'ratio': {f'{v}/{p}': med[p] / med[v] for v in med if v in OURS for p in med if p in PEERS},
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
# Measurements in processes of their own

def pure_python_run(args: argparse.Namespace) -> list[dict] | str:
    "The in-process table again in a child process with FASTHTML_PURE_PYTHON=1 (ours, raw and Jinja2)."
    cmd = [sys.executable, __file__, '--pure-child', '--rounds', str(args.rounds), '--batch', str(args.batch),
           '--clock', args.clock] + (['--only', args.only] if args.only else []) + (['--no-pin'] if args.no_pin else [])
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False,
                       env={**os.environ, 'FASTHTML_PURE_PYTHON': '1'})
    if p.returncode != 0:
        return 'error: ' + (p.stderr.strip().splitlines() or ['?'])[-1]
    return json.loads(p.stdout.strip().splitlines()[-1])


def clean_python(path: str | None) -> str | None:
    "The clean install's Python (`make bench` builds .bench-venv: a regular install of this checkout, no dev packages)."
    py = path or str(REPO / '.bench-venv' / 'bin' / 'python')
    return py if os.access(py, os.X_OK) else None


def measure_imports(original: str | None, clean: str | None, n: int) -> dict:
    "Import times: ours in this environment and in the clean install, the original, and Starlette alone."
    stmts = {'ours': (sys.executable, 'import fasthtml.common'),
             'ours *': (sys.executable, 'from fasthtml.common import *'),
             'starlette': (sys.executable, 'import starlette.applications')}
    if clean:
        stmts['ours clean'] = (clean, 'import fasthtml.common')
        stmts['ours clean *'] = (clean, 'from fasthtml.common import *')
    if original:
        stmts['original'] = (original, 'import fasthtml.common')
        stmts['original *'] = (original, 'from fasthtml.common import *')
    return procs.import_times(stmts, n)


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


def fmt_us(s: float | None) -> str:
    if s is None:
        return ''
    us = s * 1e6
    return f'{us:,.1f}' if us < 100 else f'{us:,.0f}'


def fmt_ratio(x: float | None) -> str:
    return '' if x is None else f'{x:.2f}'


def _ours(r: dict) -> tuple[str | None, str | None]:
    "The variant names of our two columns in a result: ('def' or 'render', 'async')."
    med = r.get('med', {})
    return ('def' if 'def' in med else 'render' if 'render' in med else None), ('async' if 'async' in med else None)


def table(results: list[dict], peers: tuple = PEERS) -> str:
    "Times per request and ratios ours/peer (throughput: 2.0 means twice the peer's requests per second)."
    peers = tuple(p for p in peers if any(p in r.get('med', {}) for r in results))
    head = ['scenario'] + [f'{VARIANT_NAMES[p]} µs' for p in peers] + ['ours def µs', 'ours async µs']
    head += [f'{f} ÷ {VARIANT_NAMES[p]}' for p in peers for f in ('def', 'async')]
    lines = ['| ' + ' | '.join(head) + ' |', '|---|' + '---:|' * (len(head) - 1)]
    for r in results:
        name = f"{r['key']} {r['title']}"
        if 'na' in r:
            lines.append(f"| {name} | {r['na']} |" + ' |' * (len(head) - 2))
            continue
        med, ratio = r['med'], r['ratio']
        sync, asy = _ours(r)
        cells = [name] + [fmt_us(med.get(p)) for p in peers] + [fmt_us(med.get(sync)) if sync else '',
                                                                fmt_us(med.get(asy)) if asy else '']
        cells += [fmt_ratio(ratio.get(f'{v}/{p}')) if v else '' for p in peers for v in (sync, asy)]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def targets(results: list[dict], mem: dict | None, imports: dict | None) -> list[tuple[str, str, bool | None]]:
    "(target, measured, met) for every target of the issue: scenarios, worker memory, import time."
    out: list[tuple[str, str, bool | None]] = []
    by_key = {r['key']: r for r in results}
    for sc in SCENARIOS:
        r = by_key.get(sc.key)
        if r is None:
            continue
        for (v, peer), t in sc.all_targets().items():
            flavour = '' if v == 'render' else f' {v}'
            label = f'{sc.key}{flavour} ≥ {t}x {PEER_TITLES[peer]}'
            x = r.get('ratio', {}).get(f'{v}/{peer}')
            out.append((label, 'n/a' if x is None else f'{x:.2f}x', None if x is None else x >= t))
    if mem:
        o, raw = mem.get('ours', {}), mem.get('raw', {})
        if 'served_kb' in o and 'served_kb' in raw:
            x = o['served_kb'] / raw['served_kb']
            out.append(('worker RSS after the bench run ≤ 1.2x raw Starlette', f'{x:.2f}x', x <= 1.2))
        else:
            out.append(('worker RSS after the bench run ≤ 1.2x raw Starlette', 'n/a', None))
    if imports:
        # judged on the clean install (a regular install, as the original's) where there is one: in the dev venv,
        # the editable install's finder imports pathlib, fnmatch and others at start-up, before the timing starts
        which = 'ours clean' if 'cpu' in imports.get('ours clean', {}) else 'ours'
        o, orig = imports.get(which, {}), imports.get('original', {})
        label = "`import fasthtml.common` ≤ 0.8x the original's" + (' (clean install)' if which == 'ours clean' else '')
        if 'cpu' in o and 'cpu' in orig:
            x = o['cpu'] / orig['cpu']
            out.append((label, f'{x:.2f}x', x <= 0.8))
        else:
            out.append((label, 'n/a', None))
    return out


def _mib(kb: int) -> str:
    return f'{kb / 1024:.1f} MiB'


def memory_table(mem: dict) -> list[str]:
    raw = mem.get('raw', {}).get('served_kb')
    rows = ['| worker (uvicorn, one process) | after start-up | after serving the scenarios | ÷ raw Starlette |',
            '|---|---:|---:|---:|']
    names = {'ours': 'ours', 'original': 'the original (0.14.14)', 'raw': 'raw Starlette',
             'jinja': 'Jinja2 on Starlette', 'fastapi': 'Jinja2 on FastAPI'}
    for k, m in mem.items():
        if 'error' in m:
            rows.append(f"| {names[k]} | {m['error'][:200]} | | |")
        else:
            ratio = f"{m['served_kb'] / raw:.2f}" if raw else ''
            rows.append(f"| {names[k]} | {_mib(m['started_kb'])} | {_mib(m['served_kb'])} | {ratio} |")
    return rows


def import_table(imports: dict) -> list[str]:
    labels = {'ours': 'ours, dev venv (editable): `import fasthtml.common`',
              'ours *': 'ours, dev venv: `from fasthtml.common import *`',
              'ours clean': 'ours, clean install (regular, no dev packages): `import fasthtml.common`',
              'ours clean *': 'ours, clean install: `from fasthtml.common import *`',
              'original': 'the original: `import fasthtml.common`',
              'original *': 'the original: `from fasthtml.common import *`',
              'starlette': 'Starlette alone: `import starlette.applications`'}
    orig = imports.get('original', {}).get('cpu')
    rows = ['| import | CPU ms (best) | wall ms (best) | ÷ the original (CPU) |', '|---|---:|---:|---:|']
    for k, label in labels.items():
        m = imports.get(k)
        if m is None:
            continue
        if 'error' in m:
            rows.append(f"| {label} | {m['error'][:200]} | | |")
        else:
            ratio = f"{m['cpu'] / orig:.2f}" if orig else ''
            rows.append(f"| {label} | {m['cpu'] * 1000:.0f} | {m['wall'] * 1000:.0f} | {ratio} |")
    return rows


def startup_table(st: dict, clean: bool) -> list[str]:
    rows = ['| to-do example: `python app.py` until GET /login answers 200 | wall (median) '
            '| CPU, all processes (median) |', '|---|---:|---:|']
    names = {'ours': 'ours, examples/todo_app.py' + (' (clean install)' if clean else ''),
             'original': 'the original, bench/todo_original.py'}
    for k, m in st.items():
        if 'error' in m:
            rows.append(f"| {names[k]} | {m['error'][:200]} | |")
        else:
            rows.append(f"| {names[k]} | {m['wall'] * 1000:.0f} ms | {m['cpu'] * 1000:.0f} ms |")
    o, g = st.get('ours', {}), st.get('original', {})
    if 'wall' in o and 'wall' in g:
        rows.append(f"| ours ÷ the original | {o['wall'] / g['wall']:.2f} | {o['cpu'] / g['cpu']:.2f} |")
    return rows


def report(results: list[dict], notes: str, overhead: float, rounds: int, pure: list[dict] | str | None = None,
           mem: dict | None = None, imports: dict | None = None, startup: dict | None = None,
           clean: bool = False) -> str:
    out = [f'Date: {datetime.date.today().isoformat()}  ',
           f'Machine: {notes}  ',
           (f'Method: in-process ASGI calls, {rounds} interleaved rounds, medians of time per request; '
            f'driver overhead {overhead * 1e6:.1f} µs/request (included in every figure). Ratios are throughput, '
            'ours ÷ peer (2.00: twice the peer\'s requests per second).'),
           '', table(results), '']
    if pure is not None:
        out += ['With `FASTHTML_PURE_PYTHON=1` (no C accelerators; same method, its own process):', '']
        out += [pure if isinstance(pure, str) else table(pure, ('raw', 'jinja')), '']
    if mem:
        out += ['Worker memory (VmRSS of one uvicorn worker; every HTTP scenario served 200 times over loopback):', '',
                *memory_table(mem), '']
    if imports:
        out += ['Import time (fresh interpreters, bytecode cached, best of 9 interleaved runs):', '',
                *import_table(imports), '']
    if startup:
        out += ['Start-up (fresh `python app.py` with uvicorn\'s reloader, as `serve()` runs it; the database exists; '
                'medians of 5 interleaved runs):', '', *startup_table(startup, clean), '']
    tg = targets(results, mem, imports)
    out += ['Targets:', '', '| target | measured | met |', '|---|---:|:---:|']
    out += [f"| {t} | {m} | {'n/a' if ok is None else 'yes' if ok else '**no**'} |" for t, m, ok in tg]
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
    runners = make_runners(sc, build_apps(), apps.ws_available())
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
    ap.add_argument('--no-extras', action='store_true',
                    help='only the in-process table (no pure-Python run, memory, import time or start-up)')
    ap.add_argument('--write', action='store_true', help='update the generated section of bench/RESULTS.md')
    ap.add_argument('--original', help="the original's venv or Python (default: $FASTHTML_ORIGINAL_VENV or "
                                       '/tmp/fasthtml-original)')
    ap.add_argument('--clean', help='the Python of a clean install of this package (default: .bench-venv)')
    ap.add_argument('--pure-child', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--profile', metavar='KEY', help='cProfile one scenario instead of benchmarking')
    ap.add_argument('--variant', default='def')
    ap.add_argument('--no-pin', action='store_true', help='do not pin the process to one CPU')
    ap.add_argument('--clock', choices=('wall', 'cpu'), default='wall',
                    help='time batches by wall clock (default) or by the process CPU time (for a busy machine)')
    args = ap.parse_args()
    global clock
    clock = time.process_time if args.clock == 'cpu' else time.perf_counter
    pinned = None if args.no_pin else pin_one_cpu()

    if args.profile:
        profile(args.profile, args.variant, 2.0)
        return

    only = {k.strip() for k in args.only.split(',') if k.strip()}
    scenarios = [s for s in SCENARIOS if not only or s.key in only]
    loop, loop_name = new_loop()
    appmap = build_apps(('raw', 'jinja') if args.pure_child else PEERS)
    ws_ok = apps.ws_available()
    t0 = time.perf_counter()
    results = []
    for sc in scenarios:
        r = loop.run_until_complete(run_scenario(sc, appmap, ws_ok, args.rounds, args.batch))
        results.append(r)
        if args.pure_child:
            continue
        if 'na' in r:
            print(f"{sc.key:4} {sc.title:32} {r['na']}", flush=True)
        else:
            ratios = '  '.join(f'{k} {x:.2f}' for k, x in r['ratio'].items() if not k.endswith('fastapi'))
            print(f"{sc.key:4} {sc.title:32} raw {fmt_us(r['med']['raw']):>8} µs   {ratios}", flush=True)
    if args.pure_child:
        print(json.dumps(results))
        return
    overhead = loop.run_until_complete(driver_overhead(args.rounds, args.batch))
    pure = mem = imports = startup = None
    clean = clean_python(args.clean)
    if not args.no_extras:
        original = procs.find_original(args.original)
        print('pure Python run ...', flush=True)
        pure = pure_python_run(args)
        print('worker memory ...', flush=True)
        mem = procs.worker_memory(sys.executable, original)
        print('import time ...', flush=True)
        imports = measure_imports(original, clean, 9)
        print('start-up ...', flush=True)
        startup = procs.startup_times(clean or sys.executable, original)
    pin = f'pinned to CPU {pinned}' if pinned is not None else 'not pinned'
    text = report(results, machine_notes(loop_name) + f'; {pin}; timed by {args.clock} clock', overhead, args.rounds,
                  pure, mem, imports, startup, clean is not None)
    print()
    print(text)
    print(f'(benchmark took {time.perf_counter() - t0:.0f} s)')
    if args.write:
        write_results(text)


if __name__ == '__main__':
    main()
