"""The apps `bench/scale.py` serves: a to-do list page and an insert, on SQLite or PostgreSQL, ours and raw Starlette.

The database comes from BENCH_DB (a SQLite path or a postgresql:// URL); handlers are `async def` unless BENCH_FLAVOUR
is 'def'. Ours uses the MiniDataAPI (fastlite for SQLite, fasthtml.db's SQLDatabase for PostgreSQL) and FT
components; raw Starlette runs the same SQL with the same driver (apsw, psycopg 3) and writes the HTML as f-strings.
Both answer with the same bytes apart from whitespace-free differences in attribute order.
"""
from __future__ import annotations

import os
import threading
from html import escape
from typing import Any

__all__ = ['ours', 'raw', 'seed', 'N_ITEMS']

N_ITEMS = 20
SECRET = 'bench-secret-' * 4
RAW_HEAD = ('<meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">'
            '<script src="https://cdn.jsdelivr.net/npm/htmx.org@2.0.7/dist/htmx.min.js"></script>'
            '<script src="https://cdn.jsdelivr.net/gh/answerdotai/fasthtml-js@1.0.12/fasthtml.js"></script>'
            '<script src="https://cdn.jsdelivr.net/gh/answerdotai/surreal@main/surreal.js"></script>'
            '<script src="https://cdn.jsdelivr.net/gh/gnat/css-scope-inline@main/script.js"></script>')


def _target() -> str:
    return os.environ['BENCH_DB']


def _is_pg() -> bool:
    return '://' in _target()


def seed() -> None:
    "Create the table (fresh) with N_ITEMS to-dos for the list page and an index on the owner."
    from fasthtml.db import database
    db = database(_target())
    db.execute('DROP TABLE IF EXISTS todo')
    todos = db.t.todo
    todos.create(id=int, title=str, done=bool, owner=str, pk='id')
    db.execute('CREATE INDEX todo_owner ON todo(owner)')
    for i in range(N_ITEMS):
        todos.insert(title=f'Thing <{i}> to do', done=i % 3 == 0, owner='bench')
    if _is_pg():
        db.close()


def ours() -> Any:
    from fasthtml.common import H1, FastHTML, Li, Main, Title, Ul
    from fasthtml.db import database, table_dataclass
    flavour = os.environ.get('BENCH_FLAVOUR', 'async')
    app = FastHTML(secret_key=SECRET)
    db = database(_target())
    todos = db.t.todo
    Todo = table_dataclass(todos)  # the row class fast_app gives an app

    def li(t: Any) -> Any:
        return Li(t.title, id=f'todo-{t.id}', cls='done' if t.done else None)

    def page() -> Any:
        return Title('To-dos'), Main(H1('To-dos'), Ul(*[li(t) for t in todos(where='owner = ?', where_args=['bench'],
                                                                             order_by='id')], id='list'))

    def add(title: str) -> Any:
        return li(todos.insert(Todo(title=title, done=False, owner='ins')))

    if flavour == 'def':
        @app.get('/todos')
        def list_page():
            return page()

        @app.post('/add')
        def add_one(title: str):
            return add(title)
    else:
        @app.get('/todos')
        async def list_page():
            return page()

        @app.post('/add')
        async def add_one(title: str):
            return add(title)
    return app


def raw() -> Any:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.requests import Request
    from starlette.responses import HTMLResponse
    from starlette.routing import Route
    flavour = os.environ.get('BENCH_FLAVOUR', 'async')
    vary = {'vary': 'HX-Request, HX-History-Restore-Request'}
    if _is_pg():
        import psycopg
        url = _target().replace('postgresql+psycopg://', 'postgresql://')
        local = threading.local()

        def conn() -> Any:  # one autocommit connection per thread (the loop thread, or each threadpool thread)
            c = getattr(local, 'c', None)
            if c is None:
                c = local.c = psycopg.connect(url, autocommit=True)
            return c

        def rows(sql: str, params: tuple) -> list:
            return conn().execute(sql.replace('?', '%s'), params).fetchall()
    else:
        import apsw
        c = apsw.Connection(_target())
        c.execute('PRAGMA journal_mode=WAL')
        c.setbusytimeout(5000)

        def rows(sql: str, params: tuple) -> list:
            return list(c.execute(sql, params))

    def li(r: tuple) -> str:
        cls = ' class="done"' if r[2] else ''
        return f'<li id="todo-{r[0]}"{cls}>{escape(r[1], False)}</li>'

    def page(req: Request) -> HTMLResponse:
        items = ''.join(li(r) for r in rows('SELECT id, title, done, owner FROM todo WHERE owner = ? ORDER BY id',
                                            ('bench',)))
        body = f'<main><h1>To-dos</h1><ul id="list">{items}</ul></main>'
        if 'hx-request' in req.headers:
            return HTMLResponse(f'<title>To-dos</title>{body}', headers=vary)
        return HTMLResponse(f'<!doctype html><html><head><title>To-dos</title>{RAW_HEAD}</head><body>{body}'
                            f'</body></html>', headers=vary)

    def insert(title: str) -> HTMLResponse:
        r = rows('INSERT INTO todo (title, done, owner) VALUES (?, ?, ?) RETURNING id, title, done, owner',
                 (title, 0, 'ins'))[0]
        return HTMLResponse(li(r), headers=vary)

    if flavour == 'def':
        def list_page(req: Request) -> Any:
            return page(req)

        def add_one_sync(req: Request, form: Any) -> Any:
            return insert(form['title'])

        async def add_one(req: Request) -> Any:
            from starlette.concurrency import run_in_threadpool
            return await run_in_threadpool(add_one_sync, req, await req.form())
    else:
        async def list_page(req: Request) -> Any:
            return page(req)

        async def add_one(req: Request) -> Any:
            return insert((await req.form())['title'])
    return Starlette(routes=[Route('/todos', list_page), Route('/add', add_one, methods=['POST'])],
                     middleware=[Middleware(SessionMiddleware, secret_key=SECRET)])
