"""Scale-out speed: the to-do list page and an insert through uvicorn + wrk, on SQLite and on PostgreSQL, with 1 and 2
workers, ours (MiniDataAPI + FT) next to raw Starlette running the same SQL with the same driver (bench/db_apps.py).

PostgreSQL is a throwaway server started like the tests start it (tests/pg_server.py); SQLite is a file in a temp
folder. For each configuration both apps are served at once and loaded one at a time, alternating which goes first in
each round (A/B interleaved), because the machine is shared: compare ratios, not absolute figures.

    python bench/scale.py                 # 3 s runs, 3 rounds, 16 connections
    python bench/scale.py -d 5 -r 5 --only postgres
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / 'tests'))
sys.path.insert(0, str(HERE))

from over_http import free_port  # noqa: E402


class Server:
    "uvicorn serving `db_apps:<factory>` with `workers` processes on 127.0.0.1; stopped by PID."

    def __init__(self, factory: str, workers: int, env: dict, timeout: float = 60.0):
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            [sys.executable, '-m', 'uvicorn', f'db_apps:{factory}', '--factory', '--app-dir', str(HERE),
             '--host', '127.0.0.1', '--port', str(self.port), '--workers', str(workers), '--no-access-log',
             '--log-level', 'warning'],
            cwd=str(REPO), env={**os.environ, **env, 'PYTHONPATH': str(REPO)}, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with urllib.request.urlopen(self.url + '/todos', timeout=10) as r:
                    r.read()
                return
            except OSError:
                time.sleep(0.1)
        self.log.seek(0)
        out = self.log.read().decode(errors='replace')[-2000:]
        self.stop()
        raise SystemExit(f'uvicorn ({factory}) did not start:\n{out}')

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(10)
        self.log.close()


def check(url: str) -> None:
    "Both apps must answer correctly before they are timed."
    with urllib.request.urlopen(url + '/todos', timeout=10) as r:
        body = r.read().decode()
    assert body.count('<li ') == 20 and 'Thing &lt;0&gt; to do' in body, body[:500]
    req = urllib.request.Request(url + '/add', data=b'title=new+%3Cthing%3E', method='POST',
                                 headers={'HX-Request': 'true', 'Content-Type': 'application/x-www-form-urlencoded'})
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read().decode()
    assert body.startswith('<li id="todo-') and 'new &lt;thing&gt;' in body, body


LUA = 'wrk.method = "POST"\nwrk.body = "title=bench+item"\nwrk.headers["Content-Type"] = ' \
      '"application/x-www-form-urlencoded"\nwrk.headers["HX-Request"] = "true"\n'


def wrk(url: str, scenario: str, seconds: float, conns: int) -> float:
    import re
    args = ['wrk', '-t1', f'-c{conns}', f'-d{seconds:g}s', '--timeout', '10s']
    script = None
    if scenario == 'insert':
        with tempfile.NamedTemporaryFile('w', suffix='.lua', delete=False) as script:
            script.write(LUA)
        args += ['-s', script.name, url + '/add']
    else:
        args.append(url + '/todos')
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60, check=False)
    finally:
        if script:
            os.unlink(script.name)
    if 'Non-2xx' in p.stdout or 'Socket errors' in p.stdout:
        raise SystemExit(f'{scenario}: wrk saw errors from {url}:\n{p.stdout}')
    m = re.search(r'Requests/sec:\s+([\d.]+)', p.stdout)
    if not m:
        raise SystemExit(f'could not read wrk output:\n{p.stdout}\n{p.stderr}')
    return float(m.group(1))


def in_process(target: str, rounds: int, batch: int) -> list[tuple]:
    """CPU time per request of each app called in this process (no server, no network), ours and raw in interleaved
    batches: what each side itself costs, which the shared machine cannot blur. Returns (scenario, raw_us, ours_us)."""
    import asyncio

    os.environ['BENCH_DB'] = target
    os.environ['BENCH_FLAVOUR'] = 'async'
    import db_apps
    from run import call, parse
    db_apps.seed()
    apps = {'ours': db_apps.ours(), 'raw': db_apps.raw()}
    hdr = [(b'host', b'testserver'), (b'accept', b'*/*')]
    body = b'title=bench+item'
    scopes = {
        'list': ({'type': 'http', 'method': 'GET', 'path': '/todos', 'headers': hdr}, b''),
        'insert': ({'type': 'http', 'method': 'POST', 'path': '/add',
                    'headers': [*hdr, (b'hx-request', b'true'),
                                (b'content-type', b'application/x-www-form-urlencoded'),
                                (b'content-length', str(len(body)).encode())]}, body)}
    base = {'asgi': {'version': '3.0'}, 'http_version': '1.1', 'scheme': 'http', 'root_path': '', 'query_string': b'',
            'client': ('127.0.0.1', 50000), 'server': ('testserver', 80), 'extensions': {}}
    out = []

    async def go() -> None:
        for name, (sc, b) in scopes.items():
            sc = {**base, **sc, 'raw_path': sc['path'].encode()}
            for v, app in apps.items():
                status, _, resp = parse(await call(app, dict(sc), b))
                text = resp.decode()
                ok = (text.count('<li ') == db_apps.N_ITEMS and 'Thing &lt;0&gt; to do' in text) if name == 'list' \
                    else text.startswith('<li id="todo-') and 'bench item' in text
                if status != 200 or not ok:
                    raise SystemExit(f'{name} ({v}): incorrect response {status}: {text[:300]}')
            per: dict[str, list[float]] = {'ours': [], 'raw': []}
            for i in range(rounds):
                for v in (['ours', 'raw'] if i % 2 == 0 else ['raw', 'ours']):
                    app = apps[v]
                    t0 = time.process_time()
                    for _ in range(batch):
                        await call(app, dict(sc), b)
                    per[v].append((time.process_time() - t0) / batch * 1e6)
            out.append((name, statistics.median(per['raw']), statistics.median(per['ours'])))
    asyncio.run(go())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('-d', '--duration', type=float, default=3.0)
    ap.add_argument('-r', '--rounds', type=int, default=3, help='rounds (use 11 or more with --in-process)')
    ap.add_argument('-c', '--connections', type=int, default=16)
    ap.add_argument('--only', default='', help='sqlite or postgres')
    ap.add_argument('--in-process', action='store_true', help='CPU time per request, apps called in this process')
    ap.add_argument('--batch', type=int, default=200, help='requests per timed batch (--in-process)')
    args = ap.parse_args()
    if args.in_process:
        tmp = Path(tempfile.mkdtemp(prefix='fasthtml-bench-'))
        pg = None
        try:
            print('| database | scenario | raw µs CPU/request | ours µs CPU/request | ours/raw |')
            print('|---|---|---:|---:|---:|')
            for backend in [b for b in ('sqlite', 'postgres') if not args.only or b == args.only]:
                if backend == 'postgres':
                    from pg_server import start_postgres
                    pg = start_postgres()
                    target = pg.create_database('bench')
                else:
                    target = str(tmp / 'bench.db')
                for sc, raw, ours in in_process(target, args.rounds, args.batch):
                    print(f'| {backend} | {sc} | {raw:.0f} | {ours:.0f} | {ours / raw:.2f} |', flush=True)
        finally:
            if pg is not None:
                pg.stop()
            shutil.rmtree(tmp, ignore_errors=True)
        return
    if not shutil.which('wrk'):
        raise SystemExit('wrk is not installed (Debian: apt-get install wrk; `make bench-http` installs it)')
    tmp = Path(tempfile.mkdtemp(prefix='fasthtml-bench-'))
    pg = None
    results = []
    try:
        backends = [b for b in ('sqlite', 'postgres') if not args.only or b == args.only]
        for backend in backends:
            if backend == 'postgres':
                from pg_server import start_postgres
                pg = start_postgres()
                target = pg.create_database('bench')
            else:
                target = str(tmp / 'bench.db')
            flavours = ['async', 'def'] if backend == 'postgres' else ['async']
            for workers in (1, 2):
                for flavour in flavours:
                    env = {'BENCH_DB': target, 'BENCH_FLAVOUR': flavour}
                    subprocess.run([sys.executable, '-c', 'import db_apps; db_apps.seed()'], cwd=HERE, check=True,
                                   env={**os.environ, **env, 'PYTHONPATH': str(REPO)}, timeout=120)
                    servers = {'ours': Server('ours', workers, env), 'raw': Server('raw', workers, env)}
                    try:
                        for s in servers.values():
                            check(s.url)
                            wrk(s.url, 'list', 1, args.connections)  # warm up
                        for scenario in ('list', 'insert'):
                            rps: dict[str, list[float]] = {'ours': [], 'raw': []}
                            for i in range(args.rounds):
                                order = ['ours', 'raw'] if i % 2 == 0 else ['raw', 'ours']
                                for v in order:
                                    rps[v].append(wrk(servers[v].url, scenario, args.duration, args.connections))
                            med = {v: statistics.median(x) for v, x in rps.items()}
                            row = (backend, workers, flavour, scenario, med['raw'], med['ours'],
                                   med['ours'] / med['raw'])
                            results.append(row)
                            print(f'{backend:8} {workers} worker(s) {flavour:5} {scenario:6} raw {row[4]:8,.0f}/s  '
                                  f'ours {row[5]:8,.0f}/s  ratio {row[6]:.2f}', flush=True)
                    finally:
                        for s in servers.values():
                            s.stop()
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(f'wrk -t1 -c{args.connections} -d{args.duration:g}s, median of {args.rounds} interleaved rounds; '
          f'{os.cpu_count()} CPUs shared by wrk, uvicorn and the database server.')
    print()
    print('| database | workers | handlers | scenario | raw req/s | ours req/s | ours/raw |')
    print('|---|---:|---|---|---:|---:|---:|')
    for b, w, f, sc, raw, ours, ratio in results:
        name = 'list page (20 rows)' if sc == 'list' else 'insert + fragment'
        print(f'| {b} | {w} | {f} | {name} | {raw:,.0f} | {ours:,.0f} | {ratio:.2f} |')


if __name__ == '__main__':
    main()
