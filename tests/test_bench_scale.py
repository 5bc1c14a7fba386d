"""The scale-out benchmark's apps still answer correctly on both databases (nothing is timed here)."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_scale_bench_apps_answer_correctly():
    p = subprocess.run([sys.executable, str(REPO / 'bench' / 'scale.py'), '--in-process', '--rounds', '1',
                        '--batch', '2'], capture_output=True, text=True, timeout=300, cwd=REPO, check=False)
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    rows = [ln.split('|')[1:3] for ln in p.stdout.splitlines() if ln.startswith('| sqlite') or ln.startswith('| post')]
    assert [(a.strip(), b.strip()) for a, b in rows] == [('sqlite', 'list'), ('sqlite', 'insert'),
                                                         ('postgres', 'list'), ('postgres', 'insert')]
