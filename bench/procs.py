"""Benchmarks that need processes of their own: worker memory, import time and start-up to the first answered request.

Each figure comes from fresh interpreters, ours next to the original (python-fasthtml 0.14.14 in its own venv) and,
for memory, raw Starlette and the Jinja2 peers:

- `worker_memory`: one uvicorn worker per app (the bench apps of bench/apps.py; the original runs the same
  `ours_app` code on its own package), every HTTP scenario served over loopback, then the worker's VmRSS.
- `import_times`: seconds to `import fasthtml.common` (and `from fasthtml.common import *`) in a fresh process with
  the bytecode cached, best of N interleaved runs, by CPU time (load-independent) and wall time.
- `startup_times`: `python app.py` for the to-do example (ours: examples/todo_app.py; the original:
  bench/todo_original.py, the same app on its API) until GET /login is answered with a 200, medians of interleaved
  runs: wall time, and the CPU time the process tree used until then.

Every server is bound to 127.0.0.1 on a free port, bounded in time, and stopped by its PID.
"""
from __future__ import annotations

import http.client
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from apps import SCENARIOS, scenario_checker

__all__ = ['find_original', 'free_port', 'import_times', 'startup_times', 'worker_memory']

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
_TICKS = os.sysconf('SC_CLK_TCK')


def find_original(path: str | None = None) -> str | None:
    """The original's Python: `path`, else $FASTHTML_ORIGINAL_VENV/bin/python, else /tmp/fasthtml-original (where
    `make bench` and the vs-original tool build it); None when it is not there."""
    venv = path or os.environ.get('FASTHTML_ORIGINAL_VENV') or '/tmp/fasthtml-original'
    py = venv if venv.endswith('python') else os.path.join(venv, 'bin', 'python')
    return py if os.access(py, os.X_OK) else None


def free_port() -> int:
    "A free TCP port on 127.0.0.1."
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _clean_env(**extra: str) -> dict:
    "The environment for a measured process: bytecode caching allowed, no stray PORT/HOST, plus `extra`."
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONDONTWRITEBYTECODE', 'PORT', 'HOST', 'PYTHONPATH')}
    env.update(extra)
    return env


def _stop(proc: subprocess.Popen) -> None:
    "SIGTERM to the process we started, SIGKILL to its process group after 10 s."
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: only what it started
            proc.wait(10)


def _rss_kb(pid: int) -> int:
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def _tree(pid: int) -> list[int]:
    "`pid` and its descendants, read from /proc."
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f'/proc/{p}/task'):
                with open(f'/proc/{p}/task/{task}/children') as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def _cpu_seconds(pids: list[int]) -> float:
    "User + system CPU time of these processes (all their threads)."
    total = 0
    for p in pids:
        try:
            with open(f'/proc/{p}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total / _TICKS


def _wait_port(proc: subprocess.Popen, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f'server exited with {proc.returncode}')
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f'server did not listen on {port} within {timeout:.0f} s')


# ---------------------------------------------------------------------------------------------------------------
# Worker memory

def _serve_scenarios(port: int, n: int) -> None:
    "Send every HTTP scenario `n` times on one keep-alive connection; the first answer of each is checked."
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    try:
        for sc in SCENARIOS:
            if sc.kind != 'http' or sc.key == 'S1a':  # S1a sends the same request as S1
                continue
            chk, cookie = scenario_checker(sc), None
            url = sc.path + ('?' + sc.query if sc.query else '')
            for i in range(n):
                headers = dict(sc.headers)
                if sc.body:
                    headers['content-type'] = sc.extra['content-type']
                if cookie:
                    headers['cookie'] = cookie
                conn.request(sc.method, url, body=sc.body or None, headers=headers)
                r = conn.getresponse()
                body = r.read()
                if i == 0:
                    err = chk(r.status, {k.lower(): v for k, v in r.getheaders()}, body)
                    if err:
                        raise RuntimeError(f'{sc.key}: incorrect response: {err}')
                if sc.session:
                    cookie = (r.getheader('set-cookie') or '').split(';', 1)[0] or cookie
    finally:
        conn.close()


def worker_rss(python: str, factory: str, requests: int = 200, timeout: float = 60.0) -> dict:
    "VmRSS (KiB) of one uvicorn worker serving `apps:<factory>`: after start-up, and after serving every scenario."
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryFile() as log:
        # cwd is an empty folder, so `python -m uvicorn` finds only the installed `fasthtml` of that interpreter
        proc = subprocess.Popen(
            [python, '-m', 'uvicorn', f'apps:{factory}', '--factory', '--app-dir', str(HERE), '--host', '127.0.0.1',
             '--port', str(port), '--no-access-log', '--log-level', 'warning'],
            cwd=tmp, env=_clean_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_port(proc, port, timeout)
            started = _rss_kb(proc.pid)
            _serve_scenarios(port, requests)
            time.sleep(0.2)
            served = _rss_kb(proc.pid)
        except (RuntimeError, OSError) as e:
            log.seek(0)
            tail = log.read().decode(errors='replace')[-1500:]
            return {'error': f'{e}; {tail}'.strip()}
        finally:
            _stop(proc)
    return {'started_kb': started, 'served_kb': served}


def worker_memory(ours_python: str, original_python: str | None, peers: bool = True) -> dict:
    "Worker RSS for ours (the `def` app), the original (same app code, its package), raw Starlette and the peers."
    out = {'ours': worker_rss(ours_python, 'ours_app')}
    out['original'] = (worker_rss(original_python, 'ours_app') if original_python
                       else {'error': 'the original is not installed (make bench builds it)'})
    out['raw'] = worker_rss(ours_python, 'raw_app')
    if peers:
        out['jinja'] = worker_rss(ours_python, 'jinja_app')
        out['fastapi'] = worker_rss(ours_python, 'fastapi_app')
    return out


# ---------------------------------------------------------------------------------------------------------------
# Import time

_IMPORT_CODE = 'import time; w = time.perf_counter(); c = time.process_time(); {s}; ' \
               'print(time.perf_counter() - w, time.process_time() - c)'


def import_times(stmts: dict[str, tuple[str, str]], n: int = 9) -> dict[str, Any]:
    """For each label, (python, statement) timed in `n` fresh interpreters, interleaved with the other labels after
    one untimed run that fills the bytecode caches. Returns {label: {'cpu': best, 'wall': best}} or an error."""
    res: dict[str, list] = {k: [] for k in stmts}
    errors: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n + 1):
            for label, (py, stmt) in stmts.items():
                if label in errors:
                    continue
                p = subprocess.run([py, '-c', _IMPORT_CODE.format(s=stmt)], capture_output=True, text=True,
                                   timeout=120, cwd=tmp, env=_clean_env(), check=False)
                if p.returncode != 0:
                    errors[label] = 'error: ' + (p.stderr.strip().splitlines() or ['?'])[-1]
                elif i:
                    res[label].append(tuple(float(x) for x in p.stdout.split()))
    return {k: ({'error': errors[k]} if k in errors else
                {'wall': min(w for w, _ in v), 'cpu': min(c for _, c in v),
                 'cpu_median': statistics.median(c for _, c in v)})
            for k, v in res.items()}


# ---------------------------------------------------------------------------------------------------------------
# Start-up: `python app.py` to the first answered request

def _first_request(python: str, script: Path, data: str, timeout: float = 120.0) -> tuple[float, float]:
    "(wall seconds, CPU seconds of the process tree) from starting `python script` to a 200 on GET /login."
    port = free_port()
    env = _clean_env(PORT=str(port), HOST='127.0.0.1', TODO_DATA=data)
    with tempfile.TemporaryFile() as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen([python, str(script)], cwd=data, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            deadline = t0 + timeout
            while True:
                if time.perf_counter() > deadline or proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f'{script.name} gave no answer: ' + log.read().decode(errors='replace')[-1500:])
                try:
                    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
                    conn.request('GET', '/login')
                    status = conn.getresponse().status
                    conn.close()
                except OSError:
                    time.sleep(0.005)
                    continue
                if status == 200:
                    wall = time.perf_counter() - t0
                    return wall, _cpu_seconds(_tree(proc.pid))
                time.sleep(0.005)
        finally:
            _stop(proc)


def startup_times(ours_python: str, original_python: str | None, rounds: int = 5) -> dict:
    """Medians over interleaved rounds (after one warm-up each, which also creates the database) of the to-do
    example's start-up: ours and the original, each with its own data folder kept across rounds."""
    apps_ = {'ours': (ours_python, REPO / 'examples' / 'todo_app.py')}
    if original_python:
        apps_['original'] = (original_python, HERE / 'todo_original.py')
    times: dict[str, list] = {k: [] for k in apps_}
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(rounds + 1):
            for k, (py, script) in apps_.items():
                if k in out:
                    continue
                data = os.path.join(tmp, k)
                os.makedirs(data, exist_ok=True)
                try:
                    r = _first_request(py, script, data)
                except RuntimeError as e:
                    out[k] = {'error': str(e)}
                    continue
                if i:
                    times[k].append(r)
    for k, v in times.items():
        if k not in out:
            out[k] = {'wall': statistics.median(w for w, _ in v), 'cpu': statistics.median(c for _, c in v)}
    if not original_python:
        out['original'] = {'error': 'the original is not installed (make bench builds it)'}
    return out
