"""(Named over_http.py, not http.py, which would shadow the standard library's `http` package.)

Over real HTTP: the same scenarios served by uvicorn on 127.0.0.1 and loaded with `wrk`, requests/s side by side.

The apps (ours with `def` handlers, ours with `async def` handlers, raw, Jinja2 on Starlette and on FastAPI) run at
once, each in its own uvicorn process (one worker, uvloop and httptools when installed); only one is loaded at a time,
in interleaved order. Every response is checked with a plain request before wrk runs. Servers are stopped by PID, and
every step has a time limit.

    python bench/over_http.py                # 2 s per run, 1 round
    python bench/over_http.py -d 5 -r 3      # longer, median of 3 rounds
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from apps import SCENARIOS, Scenario, scenario_checker  # noqa: E402 (found through the sys.path entry above)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Server:
    "A uvicorn subprocess serving `apps:<factory>` on 127.0.0.1."

    def __init__(self, factory: str, timeout: float = 20.0):
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            [sys.executable, '-m', 'uvicorn', f'apps:{factory}', '--factory', '--app-dir', str(HERE),
             '--host', '127.0.0.1', '--port', str(self.port), '--no-access-log', '--log-level', 'warning'],
            cwd=str(HERE.parent), stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                socket.create_connection(('127.0.0.1', self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.log.seek(0)
        out = self.log.read().decode(errors='replace')[-2000:]
        self.stop()
        raise SystemExit(f'uvicorn ({factory}) did not start:\n{out}')

    def stop(self) -> None:
        "Stop the server by its PID: SIGTERM, then SIGKILL after 5 s."
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()


def get(url: str, sc: Scenario, cookie: str | None = None) -> tuple[int, dict, bytes]:
    headers = dict(sc.headers)
    if sc.body:
        headers['content-type'] = sc.extra['content-type']
    if cookie:
        headers['cookie'] = cookie
    req = urllib.request.Request(url + ('?' + sc.query if sc.query else ''), data=sc.body or None,
                                 headers=headers, method=sc.method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()


def wrk(url: str, sc: Scenario, seconds: float, conns: int, cookie: str | None) -> float:
    "Requests per second that wrk measured for `sc` at `url`."
    args = ['wrk', '-t1', f'-c{conns}', f'-d{seconds:g}s', '--timeout', '5s']
    for k, v in sc.headers:
        args += ['-H', f'{k}: {v}']
    if cookie:
        args += ['-H', f'Cookie: {cookie}']
    script = None
    if sc.body:
        with tempfile.NamedTemporaryFile('w', suffix='.lua', delete=False) as script:
            script.write(f'wrk.method = "{sc.method}"\nwrk.body = "{sc.body.decode()}"\n'
                         f'wrk.headers["Content-Type"] = "{sc.extra["content-type"]}"\n')
        args += ['-s', script.name]
    args.append(url + ('?' + sc.query if sc.query else ''))
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 30, check=False)
    finally:
        if script:
            os.unlink(script.name)
    if 'Non-2xx' in p.stdout:
        raise SystemExit(f'{sc.key}: wrk saw error responses from {url}:\n{p.stdout}')
    m = re.search(r'Requests/sec:\s+([\d.]+)', p.stdout)
    if not m:
        raise SystemExit(f'{sc.key}: could not read wrk output:\n{p.stdout}\n{p.stderr}')
    return float(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('-d', '--duration', type=float, default=2.0, help='seconds of load per run (default 2)')
    ap.add_argument('-r', '--rounds', type=int, default=1)
    ap.add_argument('-c', '--connections', type=int, default=16)
    ap.add_argument('--only', default='')
    args = ap.parse_args()
    if not shutil.which('wrk'):
        raise SystemExit('wrk is not installed (Debian: apt-get install wrk; `make bench-http` installs it)')
    only = {k.strip() for k in args.only.split(',') if k.strip()}
    scenarios = [s for s in SCENARIOS if s.kind == 'http' and (not only or s.key in only)]
    servers = {}
    try:
        servers['def'] = Server('ours_app')
        servers['async'] = Server('ours_async_app')
        servers['raw'] = Server('raw_app')
        servers['jinja'] = Server('jinja_app')
        servers['fastapi'] = Server('fastapi_app')
        rows = []
        for sc in scenarios:
            targets = {v: servers[v].url + sc.path for v in sc.variants}
            for peer in ('raw', 'jinja', 'fastapi'):
                targets[peer] = servers[peer].url + sc.path
            cookies: dict = {}
            chk = scenario_checker(sc)
            for v, url in targets.items():
                status, headers, body = get(url, sc)
                err = chk(status, headers, body)
                if err:
                    raise SystemExit(f'{sc.key} ({v}): incorrect response: {err}')
                if sc.session:
                    cookies[v] = headers.get('set-cookie', '').split(';', 1)[0]
            rps: dict = {v: [] for v in targets}
            order = list(targets)
            for i in range(args.rounds):
                k = i % len(order)
                for v in order[k:] + order[:k]:
                    rps[v].append(wrk(targets[v], sc, args.duration, args.connections, cookies.get(v)))
            med = {v: statistics.median(x) for v, x in rps.items()}
            rows.append((sc, med))
            print(f"{sc.key:4} {sc.title:32} " + '  '.join(f'{v} {x:,.0f}/s' for v, x in med.items()), flush=True)
    finally:
        for s in servers.values():
            s.stop()
    print()
    print(f'wrk -t1 -c{args.connections} -d{args.duration:g}s, {args.rounds} round(s); one uvicorn worker per app; '
          f'{os.cpu_count()} CPUs shared by wrk and the server.')
    print()
    print('| scenario | raw req/s | Jinja2 req/s | FastAPI req/s | ours def req/s | ours async req/s | def ÷ raw '
          '| async ÷ raw | def ÷ Jinja2 | async ÷ Jinja2 |')
    print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    for sc, med in rows:
        raw, jinja = med['raw'], med['jinja']
        d, a = med.get('def'), med.get('async')
        cells = [f'{sc.key} {sc.title}', f'{raw:,.0f}', f'{jinja:,.0f}', f"{med['fastapi']:,.0f}",
                 f'{d:,.0f}' if d else '', f'{a:,.0f}' if a else '', f'{d / raw:.2f}' if d else '',
                 f'{a / raw:.2f}' if a else '', f'{d / jinja:.2f}' if d else '', f'{a / jinja:.2f}' if a else '']
        print('| ' + ' | '.join(cells) + ' |')


if __name__ == '__main__':
    main()
