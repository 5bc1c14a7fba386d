"""A game of life board shared by every visitor: click cells to bring them to life, press Run, and everyone watches
the same board evolve.

Run `python examples/life.py` and open http://127.0.0.1:5001 in two windows. It works unchanged across worker
processes: the board lives in SQLite (every worker reads and writes the same file) and updates reach the pages
through PubSub, so with Redis every visitor sees every change whichever worker serves them:

    FASTHTML_PUBSUB_URL=redis://127.0.0.1:6379/0 uvicorn examples.life:app --workers 4

It shows: `PubSub.ws_connect` subscribing a page, `publish` from a handler (one cell, swapped out of band) and from
a background task (the whole board), and `hx_swap='none'` buttons whose result arrives through the broadcast.
Several workers each run the ticker; the step is taken in a write transaction that checks the time of the last
step, so the board still advances once per interval. Set LIFE_DB to keep the board elsewhere.
"""
import asyncio
import os
import sqlite3
import time
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from fasthtml.common import *

W = H = 20
INTERVAL = float(os.environ.get('LIFE_INTERVAL', '0.5'))     # seconds per generation while running
DB = Path(os.environ.get('LIFE_DB') or Path(__file__).parent / 'data' / 'life.db')

css = Style('''
#board { border-collapse: collapse; margin: 1rem 0; }
#board td { width: 1.1rem; height: 1.1rem; padding: 0; border: 1px solid #ccc; cursor: pointer; }
#board td.on { background: #222; }
''')


@contextmanager
def board_tx():
    "A write transaction on the board (BEGIN IMMEDIATE: one writer at a time, across processes)."
    con = sqlite3.connect(DB, timeout=10, isolation_level=None)
    try:
        con.execute('BEGIN IMMEDIATE')
        yield con
        con.execute('COMMIT')
    except BaseException:
        con.execute('ROLLBACK')
        raise
    finally:
        con.close()


def init_db() -> None:
    DB.parent.mkdir(parents=True, exist_ok=True)
    with board_tx() as con:
        con.execute('CREATE TABLE IF NOT EXISTS board (id INTEGER PRIMARY KEY, cells TEXT, running INTEGER, '
                    'stepped REAL, generation INTEGER)')
        con.execute('INSERT OR IGNORE INTO board VALUES (1, ?, 0, 0, 0)', ('0' * (W * H),))


def read_board(con) -> tuple[str, bool, int]:
    cells, running, gen = con.execute('SELECT cells, running, generation FROM board WHERE id = 1').fetchone()
    return cells, bool(running), gen


def next_generation(cells: str) -> str:
    "Conway's rules on a torus."
    out = []
    for i in range(W * H):
        y, x = divmod(i, W)
        n = sum(cells[((y + dy) % H) * W + (x + dx) % W] == '1'
                for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx)
        out.append('1' if n == 3 or (n == 2 and cells[i] == '1') else '0')
    return ''.join(out)


def Cell(i: int, alive: bool):
    return Td(id=f'c{i}', cls='on' if alive else None, hx_put=f'/toggle/{i}', hx_swap='none')


def Board(cells: str):
    return Table(*[Tr(*[Cell(y * W + x, cells[y * W + x] == '1') for x in range(W)]) for y in range(H)], id='board')


def Controls(running: bool, gen: int):
    return Div(Button('Pause' if running else 'Run', hx_post='/run', hx_swap='none'),
               Button('Step', hx_post='/step', hx_swap='none', disabled=running),
               Button('Clear', hx_post='/clear', hx_swap='none'),
               Span(f' generation {gen}'), id='controls')


init_db()


async def ticker():
    "Advance the board while it is running; whichever worker gets there first after INTERVAL takes the step."
    while True:
        await asyncio.sleep(INTERVAL / 2)
        try:
            with board_tx() as con:
                cells, running, gen = read_board(con)
                (stepped,) = con.execute('SELECT stepped FROM board WHERE id = 1').fetchone()
                if not running or time.time() - stepped < INTERVAL:
                    continue
                cells, gen = next_generation(cells), gen + 1
                con.execute('UPDATE board SET cells = ?, stepped = ?, generation = ? WHERE id = 1',
                            (cells, time.time(), gen))
        except sqlite3.OperationalError:
            continue   # the database was busy: try again next tick
        await hub.publish('life', Board(cells), Controls(True, gen))


@asynccontextmanager
async def lifespan(app):
    task = asyncio.create_task(ticker())
    yield
    task.cancel()


app, rt = fast_app(exts='ws', hdrs=(css,), lifespan=lifespan)
hub = PubSub(app)


@rt
def index():
    with board_tx() as con:
        cells, running, gen = read_board(con)
    return Titled('Game of life, together',
                  P('Click cells to toggle them; everyone on this page sees the same board.'),
                  Controls(running, gen), Board(cells), hub.ws_connect('life'))


@rt('/toggle/{i}')
async def put(i: int):
    if not 0 <= i < W * H:
        return Response('No such cell', status_code=404)
    with board_tx() as con:
        cells, _, _ = read_board(con)
        alive = cells[i] != '1'
        con.execute('UPDATE board SET cells = ? WHERE id = 1', (cells[:i] + ('1' if alive else '0') + cells[i + 1:],))
    await hub.publish('life', Cell(i, alive))


@rt('/run', methods=['post'])
async def post_run():
    with board_tx() as con:
        _, running, gen = read_board(con)
        con.execute('UPDATE board SET running = ?, stepped = 0 WHERE id = 1', (0 if running else 1,))
    await hub.publish('life', Controls(not running, gen))


@rt('/step', methods=['post'])
async def post_step():
    with board_tx() as con:
        cells, running, gen = read_board(con)
        cells, gen = next_generation(cells), gen + 1
        con.execute('UPDATE board SET cells = ?, generation = ? WHERE id = 1', (cells, gen))
    await hub.publish('life', Board(cells), Controls(running, gen))


@rt('/clear', methods=['post'])
async def post_clear():
    with board_tx() as con:
        con.execute('UPDATE board SET cells = ?, running = 0, generation = 0 WHERE id = 1', ('0' * (W * H),))
    await hub.publish('life', Board('0' * (W * H)), Controls(False, 0))


serve()
