"""The benchmark suite still runs: every scenario's responses pass their correctness checks, and every app of the
benchmark answers with the same bytes (nothing is timed here)."""
import asyncio
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_bench_runs_and_checks_every_scenario():
    p = subprocess.run([sys.executable, str(REPO / 'bench' / 'run.py'), '--rounds', '1', '--batch', '0.0005',
                        '--no-extras', '--no-pin'], capture_output=True, text=True, timeout=300, cwd=REPO, check=False)
    assert p.returncode == 0, p.stderr[-3000:]
    tables = p.stdout.split('\n\n')
    table = next(t for t in tables if t.startswith('| scenario |')).splitlines()
    assert table[0].split(' | ')[1:4] == ['raw µs', 'Jinja2 µs', 'FastAPI µs']
    keys = [ln.split()[1] for ln in table[2:]]
    assert keys == ['S1', 'S1a', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S8', 'S9', 'S10']
    assert all(ln.count('|') == table[0].count('|') for ln in table)
    targets = next(t for t in tables if t.startswith('| target |')).splitlines()[2:]
    assert '| S4 async ≥ 0.6x raw Starlette |' in '\n'.join(targets)
    assert all(ln.endswith(('| yes |', '| **no** |')) for ln in targets)
    assert 'incorrect response' not in p.stdout + p.stderr


def test_live_bench_runs_small():
    "bench/live.py's two parts on a small scale (its own checks assert every reply; nothing is timed here)."
    p = subprocess.run([sys.executable, str(REPO / 'bench' / 'live.py'), '--rounds', '1', '--batch', '3',
                        '--clients', '20'], capture_output=True, text=True, timeout=300, cwd=REPO, check=False)
    assert p.returncode == 0, p.stderr[-3000:]
    assert '| live def |' in p.stdout and '| hx_post async |' in p.stdout
    assert '20 live components on one uvicorn worker' in p.stdout and 'p99' in p.stdout


def _bench_modules():
    "bench/run.py and bench/apps.py, imported from the bench folder as the runner does."
    sys.path[:0] = [str(REPO / 'bench')]
    try:
        import apps
        import run
    finally:
        del sys.path[0]
    return run, apps


def _squeeze(body: bytes) -> str:
    "The body with whitespace between tags taken out (the one difference allowed between the apps)."
    return re.sub(r'>\s+<', '><', body.decode()).strip()


def test_every_app_answers_every_scenario_with_the_same_bytes():
    """Raw Starlette, Jinja2 on Starlette and Jinja2 on FastAPI answer each HTTP and websocket scenario with our
    page's bytes (modulo whitespace between tags), status and content type; so the tables compare the same work."""
    run, apps = _bench_modules()
    appmap = run.build_apps()
    assert set(appmap) == {'def', 'async', 'raw', 'jinja', 'fastapi'}

    async def answers(sc):
        out = {}
        for v in ('def', 'async', 'raw', 'jinja', 'fastapi'):
            if sc.kind == 'ws':
                r = run.WsRunner(appmap[v], sc, sc.path)
                await r.open()
                m = await asyncio.wait_for(r.round_trip(), 10)
                await r.close()
                out[v] = (200, m['type'], m['text'].encode())
            else:
                r = run.HttpRunner(appmap[v], sc, sc.path)
                for _ in range(2):  # the session counter's second answer carries the cookie's state
                    status, headers, body = await r.once()
                out[v] = (status, headers.get('content-type'), body)
        return out

    checked = 0
    for sc in apps.SCENARIOS:
        if sc.kind == 'render':
            continue
        got = asyncio.run(answers(sc))
        ours = got['def']
        assert run.scenario_checker(sc)(ours[0], {'content-type': ours[1]}, ours[2]) is None
        for v, (status, ctype, body) in got.items():
            assert (status, ctype) == ours[:2], (sc.key, v)
            assert _squeeze(body) == _squeeze(ours[2]), (sc.key, v, body[:300])
        checked += 1
    assert checked == 10


def test_jinja_render_of_the_table_is_the_fstring_one():
    "S10's Jinja2 column renders the same 1000x5 table as our tree and the f-strings."
    _, apps = _bench_modules()
    env = apps.jinja_env()
    out = env.get_template('table.html').render(layout=env.get_template('partial.html'), headers=apps.HEADERS,
                                                rows=apps.ROWS)
    assert out == apps.fstring_table(apps.ROWS)
    assert apps.ft_api().to_xml(apps.build_table(apps.ROWS, apps.ft_api())) == out


def test_process_measurements_run_small():
    """bench/procs.py's measurements on a small scale (nothing is timed here): a uvicorn worker's memory after
    serving every scenario (each answer checked), an import in fresh interpreters, and the to-do example started
    with `python app.py` until its login page answers."""
    sys.path[:0] = [str(REPO / 'bench')]
    try:
        import procs
    finally:
        del sys.path[0]
    m = procs.worker_rss(sys.executable, 'ours_app', requests=2)
    assert 'error' not in m, m
    assert 10 * 1024 < m['started_kb'] <= m['served_kb'] + 1024
    t = procs.import_times({'ours': (sys.executable, 'import fasthtml.common')}, n=1)
    assert 'error' not in t['ours'] and 0 < t['ours']['cpu'] and 0 < t['ours']['wall']
    s = procs.startup_times(sys.executable, None, rounds=1)
    assert 'error' not in s['ours'], s
    assert 0 < s['ours']['wall'] and 0 < s['ours']['cpu']
    assert s['original'] == {'error': 'the original is not installed (make bench builds it)'}


def test_isolated_bench_runs_small():
    "bench/isolated.py's three parts on a small scale (it asserts every reply and process count; nothing is timed)."
    p = subprocess.run([sys.executable, str(REPO / 'bench' / 'isolated.py'), '--rounds', '1', '--batch', '3',
                        '--start-rounds', '1', '--per-round', '2', '--sessions', '4'], capture_output=True, text=True,
                       timeout=300, cwd=REPO, check=False)
    assert p.returncode == 0, p.stderr[-3000:]
    assert '| isolated def |' in p.stdout and '| fork on demand (prefork=0) |' in p.stdout
    assert '4 isolated sessions on one server process' in p.stdout and 'p99' in p.stdout
