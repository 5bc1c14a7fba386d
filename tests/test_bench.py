"""The benchmark suite still runs: every scenario's responses pass their correctness checks (nothing is timed here)."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_bench_runs_and_checks_every_scenario():
    p = subprocess.run([sys.executable, str(REPO / 'bench' / 'run.py'), '--rounds', '1', '--batch', '0.0005',
                        '--no-extras', '--no-pin'], capture_output=True, text=True, timeout=300, cwd=REPO, check=False)
    assert p.returncode == 0, p.stderr[-3000:]
    table = [ln for ln in p.stdout.splitlines() if ln.startswith('| S')]
    keys = [ln.split()[1] for ln in table]
    assert keys == ['S1', 'S1a', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S8', 'S9', 'S10']
    assert 'incorrect response' not in p.stdout + p.stderr


def test_live_bench_runs_small():
    "bench/live.py's two parts on a small scale (its own checks assert every reply; nothing is timed here)."
    p = subprocess.run([sys.executable, str(REPO / 'bench' / 'live.py'), '--rounds', '1', '--batch', '3',
                        '--clients', '20'], capture_output=True, text=True, timeout=300, cwd=REPO, check=False)
    assert p.returncode == 0, p.stderr[-3000:]
    assert '| live def |' in p.stdout and '| hx_post async |' in p.stdout
    assert '20 live components on one uvicorn worker' in p.stdout and 'p99' in p.stdout


def test_isolated_bench_runs_small():
    "bench/isolated.py's three parts on a small scale (it asserts every reply and process count; nothing is timed)."
    p = subprocess.run([sys.executable, str(REPO / 'bench' / 'isolated.py'), '--rounds', '1', '--batch', '3',
                        '--start-rounds', '1', '--per-round', '2', '--sessions', '4'], capture_output=True, text=True,
                       timeout=300, cwd=REPO, check=False)
    assert p.returncode == 0, p.stderr[-3000:]
    assert '| isolated def |' in p.stdout and '| fork on demand (prefork=0) |' in p.stdout
    assert '4 isolated sessions on one server process' in p.stdout and 'p99' in p.stdout
