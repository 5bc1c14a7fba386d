"""The scale-out benchmark's apps still answer correctly on both databases (nothing is timed here)."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_scale_bench_apps_answer_correctly():
    p = subprocess.run([sys.executable, str(REPO / 'bench' / 'scale.py'), '--in-process', '--rounds', '1',
                        '--batch', '2'], capture_output=True, text=True, timeout=300, cwd=REPO, check=False)
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    rows = [ln.split('|')[1:3] for ln in p.stdout.splitlines() if ln.startswith(('| sqlite', '| post'))]
    assert [(a.strip(), b.strip()) for a, b in rows] == [('sqlite', 'list'), ('sqlite', 'insert'),
                                                         ('postgres', 'list'), ('postgres', 'insert')]


def test_scale_bench_servers_answer_alike():
    "bench/scale.py's HTTP part starts real uvicorn servers (1 and 2 workers, both handler kinds, both databases) and "
    "checks that ours and raw Starlette give the same bytes, and finds each 2-worker server's two worker processes "
    "(whose CPU tells a round that ran on one of them); --smoke stops there (no wrk, nothing timed)."
    p = subprocess.run([sys.executable, str(REPO / 'bench' / 'scale.py'), '--smoke'], capture_output=True, text=True,
                       timeout=600, cwd=REPO, check=False)
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    lines = [ln for ln in p.stdout.splitlines() if ln.endswith('both apps answer, with the same bytes')]
    assert [ln.split(':')[0] for ln in lines] == [f'{b} {w} worker(s) {f}' for b in ('sqlite', 'postgres')
                                                  for w in (1, 2) for f in ('async', 'def')]
