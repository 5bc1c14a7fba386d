"""Rendering benchmark: build and render the hot-path table (1000 rows x 5 cells) and compare with an f-string version.

Not a test: it prints timings and asserts nothing about them. It does check that every variant produces the same
HTML before timing. Rounds interleave the variants; each figure is the best (minimum) round, per operation.

    python bench/render.py              # the table
    python bench/render.py --rounds 5   # quicker, noisier
    python bench/render.py --profile    # cProfile the build and the render
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fasthtml.components import Table, Td, Tr, to_xml

ROWS, COLS = 1000, 5


def build() -> Any:
    "The hot path from the issue: a 1000 x 5 table, every cell with a class."
    return Table(*[Tr(*[Td(f'{i}-{j}', cls='c') for j in range(COLS)]) for i in range(ROWS)])


def fstring() -> str:
    "The same HTML written by hand: f-strings and html.escape, the floor a template-free approach can reach."
    rows = ''.join('<tr>' + ''.join(f'<td class="c">{escape(f"{i}-{j}", quote=False)}</td>' for j in range(COLS))
                   + '</tr>' for i in range(ROWS))
    return '<table>' + rows + '</table>'


def one_td() -> Any:
    return Td('a', cls='x')


def best(f: Callable[[], Any], number: int, rounds: int) -> float:
    "Best time per call over `rounds` batches of `number` calls, in seconds."
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(number):
            f()
        times.append((time.perf_counter() - t) / number)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--rounds', type=int, default=15)
    ap.add_argument('--profile', action='store_true')
    args = ap.parse_args()

    table = build()
    html = to_xml(table)
    assert html == fstring(), 'the FT render and the f-string version must produce the same HTML'

    if args.profile:
        for label, stmt in (('build', build), ('render', lambda: to_xml(table))):
            print(f'--- {label}')
            prof = cProfile.Profile()
            prof.runcall(lambda stmt=stmt: [stmt() for _ in range(20)])
            pstats.Stats(prof).sort_stats('tottime').print_stats(8)
        return

    variants: dict[str, tuple[Callable[[], Any], int]] = {
        'Td("a", cls="x") construction': (one_td, 20000),
        f'build {ROWS}x{COLS} table': (build, 3),
        f'render {ROWS}x{COLS} table (to_xml)': (lambda: to_xml(table), 3),
        f'render {ROWS}x{COLS} table (indent=True)': (lambda: to_xml(table, indent=True), 3),
        'build + render': (lambda: to_xml(build()), 3),
        'f-string + html.escape, same HTML': (fstring, 3),
    }
    results: dict[str, float] = {k: float('inf') for k in variants}
    for _ in range(args.rounds):  # interleave, so machine noise hits every variant alike
        for name, (f, number) in variants.items():
            results[name] = min(results[name], best(f, number, 1))
    print(f'Python {sys.version.split()[0]}, best of {args.rounds} rounds, {len(html):,} bytes of HTML')
    for name, t in results.items():
        unit, scale = ('us', 1e6) if t < 1e-3 else ('ms', 1e3)
        print(f'  {name:42s} {t * scale:8.2f} {unit}')


if __name__ == '__main__':
    main()
