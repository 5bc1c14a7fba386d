"""The benchmark scenarios, each written twice: with fasthtml's API and as hand-written raw Starlette.

`ours_app()` and `raw_app()` build the two ASGI apps; `SCENARIOS` describes the requests that drive them and what a
correct response must contain. `bench/run.py` drives them in-process, `bench/http.py` through uvicorn and wrk.

Ours comes in two flavours, two apps with the same routes: `def` handlers (how FastHTML apps are usually written: each
runs in a worker thread) and `async def` handlers (no thread hop: the framework's own overhead). The raw Starlette app
is written as a careful developer would write it by hand: async handlers, f-strings with `html.escape`, the same page
head and the same signed-cookie SessionMiddleware.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any

__all__ = [
    'HEADERS',
    'ROWS',
    'SCENARIOS',
    'SECRET',
    'Scenario',
    'build_table',
    'fstring_table',
    'ft_api',
    'ours_app',
    'raw_app',
    'ws_available',
]

SECRET = 'bench-secret-key-not-for-production-0123456789abcdef'

# S5/S10 data: 1000 rows x 5 columns, mixing ints and text (one column needs escaping).
HEADERS = ('id', 'name', 'email', 'score', 'note')
ROWS = [(i, f'User {i}', f'user{i}@example.com', (i * 37) % 101, 'a<b' if i % 10 == 0 else f'row {i}')
        for i in range(1000)]

# The default page head, written out by hand for the raw app (what a Starlette developer would paste in a template).
RAW_HEAD = ('<meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">'
            '<script src="https://cdn.jsdelivr.net/npm/htmx.org@2.0.7/dist/htmx.js"></script>'
            '<script src="https://cdn.jsdelivr.net/gh/answerdotai/fasthtml-js@1.0.12/fasthtml.js"></script>'
            '<script src="https://cdn.jsdelivr.net/gh/answerdotai/surreal@main/surreal.js"></script>'
            '<script src="https://cdn.jsdelivr.net/gh/gnat/css-scope-inline@main/script.js"></script>')


@dataclass
class Profile:
    "S6: the form posted to `/profile`, bound to a dataclass parameter."
    name: str
    email: str
    age: int
    city: str
    newsletter: bool
    score: float


PROFILE_FORM = b'name=Ada+Lovelace&email=ada%40example.com&age=36&city=London&newsletter=on&score=9.5'
WS_MESSAGE = json.dumps({'msg': 'hello <ws>', 'HEADERS': {'HX-Request': 'true', 'HX-Trigger': 'form',
                                                         'HX-Trigger-Name': None, 'HX-Target': 'form',
                                                         'HX-Current-URL': 'http://testserver/'}})


def ft_api() -> Any:
    "The fasthtml names the scenarios use: from `fasthtml.common` when it imports, else from core and components."
    try:
        import fasthtml.common as m
        return m
    except ImportError:
        import types

        import fasthtml.components as c
        import fasthtml.core as k
        ns = types.SimpleNamespace(**{n: getattr(c, n) for n in c.__all__})
        ns.FastHTML, ns.to_xml = k.FastHTML, c.to_xml
        return ns


def build_table(rows: list, ft: Any) -> Any:
    "The S5/S10 table as an FT tree."
    Table, Thead, Tbody, Tr, Th, Td = ft.Table, ft.Thead, ft.Tbody, ft.Tr, ft.Th, ft.Td
    return Table(Thead(Tr(*[Th(h) for h in HEADERS])), Tbody(*[Tr(*[Td(c) for c in r]) for r in rows]), id='data')


def fstring_table(rows: list) -> str:
    "The S5/S10 table as a hand-written f-string render."
    head = ''.join(f'<th>{h}</th>' for h in HEADERS)
    body = ''.join('<tr>' + ''.join(f'<td>{escape(str(c), False)}</td>' for c in r) + '</tr>' for r in rows)
    return f'<table id="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def ws_available() -> bool:
    "Is `app.ws` implemented (the `fasthtml._ws` module exists)?"
    import importlib.util
    return importlib.util.find_spec('fasthtml._ws') is not None


# ---------------------------------------------------------------------------------------------------------------
# Ours

def ours_app(flavour: str = 'def') -> Any:
    """The fasthtml app, with `def` handlers (`flavour='def'`) or `async def` ones (`'async'`), at the same paths and
    in the same order as the raw app's routes (so both routers do the same matching work)."""
    ft = ft_api()
    P, Div, Span, Ul, Li, A, H1, Main = ft.P, ft.Div, ft.Span, ft.Ul, ft.Li, ft.A, ft.H1, ft.Main
    app = ft.FastHTML(secret_key=SECRET)

    def item_body(idx: int, q: str, flag: bool) -> Any:
        return Div(P(f'Item {idx}'), Span(q, cls='q'), Span('on' if flag else 'off', cls='flag'),
                   id=f'item-{idx}', cls='item')

    def items_body() -> Any:
        return Main(H1('Items'), Ul(*[Li(A(f'Item {i}', hx_get=f'/item/{i}', id=f'item-{i}')) for i in range(100)]))

    def profile_body(p: Profile) -> Any:
        return P(f'Saved {p.name} <{p.email}>, {p.age}, {p.city}, {p.newsletter}, {p.score}', id='saved')

    def count_body(session: dict) -> Any:
        session['n'] = session.get('n', 0) + 1
        return P(f"Count: {session['n']}")

    def data_body() -> dict:
        return {'id': 1, 'name': 'Widget', 'tags': ['a', 'b', 'c'], 'price': 9.99, 'stock': 42, 'active': True}

    if flavour == 'def':
        @app.get('/hello')  # S1, S2
        def hello():
            return P('Hello World')

        @app.get('/item/{idx}')  # S3
        def item(idx: int, q: str, flag: bool):
            return item_body(idx, q, flag)

        @app.get('/items')  # S4
        def items():
            return items_body()

        @app.get('/table')  # S5
        def table():
            return build_table(ROWS, ft)

        @app.post('/profile')  # S6
        def profile(p: Profile):
            return profile_body(p)

        @app.get('/count')  # S7
        def count(session):
            return count_body(session)

        @app.get('/data')  # S8
        def data():
            return data_body()
    else:
        @app.get('/hello')  # S1a, S2
        async def hello():
            return P('Hello World')

        @app.get('/item/{idx}')
        async def item(idx: int, q: str, flag: bool):
            return item_body(idx, q, flag)

        @app.get('/items')
        async def items():
            return items_body()

        @app.get('/table')
        async def table():
            return build_table(ROWS, ft)

        @app.post('/profile')
        async def profile(p: Profile):
            return profile_body(p)

        @app.get('/count')
        async def count(session):
            return count_body(session)

        @app.get('/data')
        async def data():
            return data_body()

    if ws_available():  # S9 (websocket handlers are async in both flavours)
        @app.ws('/ws')
        async def ws(msg: str):
            return P('Echo ' + msg, id='echo')
    return app


def ours_async_app() -> Any:
    "The `async def` flavour (a factory for uvicorn)."
    return ours_app('async')


# ---------------------------------------------------------------------------------------------------------------
# Raw Starlette

def raw_app() -> Any:
    "The same scenarios by hand on Starlette, with the same SessionMiddleware and secret."
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.responses import HTMLResponse, JSONResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocketDisconnect

    vary = {'vary': 'HX-Request, HX-History-Restore-Request'}

    def page(body: str, title: str = 'FastHTML page') -> str:
        return (f'<!doctype html><html><head><title>{escape(title)}</title>{RAW_HEAD}</head>'
                f'<body>{body}</body></html>')

    def is_htmx(req: Any) -> bool:
        h = req.headers
        return 'hx-request' in h and 'hx-history-restore-request' not in h

    async def hello(req: Any) -> Any:
        body = f'<p>{escape("Hello World", False)}</p>'
        return HTMLResponse(body if is_htmx(req) else page(body), headers=vary)

    async def item(req: Any) -> Any:
        idx: int = req.path_params['idx']
        q = req.query_params.get('q')
        flag = req.query_params.get('flag', '').lower() in ('1', 'true', 'on', 'yes')
        if q is None:
            return HTMLResponse('Missing q', status_code=400)
        body = (f'<div id="item-{idx}" class="item"><p>Item {idx}</p><span class="q">{escape(q, False)}</span>'
                f'<span class="flag">{"on" if flag else "off"}</span></div>')
        return HTMLResponse(body if is_htmx(req) else page(body), headers=vary)

    async def items(req: Any) -> Any:
        lis = ''.join(f'<li><a hx-get="/item/{i}" id="item-{i}">{escape(f"Item {i}", False)}</a></li>'
                      for i in range(100))
        body = f'<main><h1>Items</h1><ul>{lis}</ul></main>'
        return HTMLResponse(body if is_htmx(req) else page(body), headers=vary)

    async def table(req: Any) -> Any:
        body = fstring_table(ROWS)
        return HTMLResponse(body if is_htmx(req) else page(body), headers=vary)

    async def profile(req: Any) -> Any:
        form = await req.form()
        try:
            p = Profile(name=form['name'], email=form['email'], age=int(form['age']), city=form['city'],
                        newsletter=form.get('newsletter', '').lower() in ('1', 'true', 'on', 'yes'),
                        score=float(form['score']))
        except (KeyError, ValueError) as e:
            return HTMLResponse(f'Bad form: {escape(str(e))}', status_code=400)
        saved = f'Saved {p.name} <{p.email}>, {p.age}, {p.city}, {p.newsletter}, {p.score}'
        body = f'<p id="saved">{escape(saved, False)}</p>'
        return HTMLResponse(body if is_htmx(req) else page(body), headers=vary)

    async def count(req: Any) -> Any:
        s = req.session
        s['n'] = s.get('n', 0) + 1
        body = f'<p>Count: {s["n"]}</p>'
        return HTMLResponse(body if is_htmx(req) else page(body), headers=vary)

    async def data(req: Any) -> Any:
        return JSONResponse({'id': 1, 'name': 'Widget', 'tags': ['a', 'b', 'c'], 'price': 9.99, 'stock': 42,
                             'active': True})

    async def ws(sock: Any) -> None:
        await sock.accept()
        try:
            while True:
                d = json.loads(await sock.receive_text())
                await sock.send_text(f'<p id="echo">{escape("Echo " + str(d["msg"]), False)}</p>')
        except WebSocketDisconnect:
            pass

    routes = [Route('/hello', hello), Route('/item/{idx:int}', item), Route('/items', items), Route('/table', table),
              Route('/profile', profile, methods=['POST']), Route('/count', count), Route('/data', data),
              WebSocketRoute('/ws', ws)]
    return Starlette(routes=routes, middleware=[Middleware(SessionMiddleware, secret_key=SECRET,
                                                           session_cookie='session_', max_age=365 * 24 * 3600)])


# ---------------------------------------------------------------------------------------------------------------
# Scenarios

HX = (('hx-request', 'true'),)


@dataclass
class Scenario:
    "One benchmark scenario: the request, sent alike to ours (`def` and `async def` flavours) and to raw Starlette."
    key: str
    title: str
    target: float
    kind: str = 'http'                      # 'http', 'ws' or 'render'
    method: str = 'GET'
    path: str = '/'
    query: str = ''
    headers: tuple = ()
    body: bytes = b''
    expect: tuple = ()                      # substrings a correct body contains
    content_type: str = 'text/html'
    session: bool = False                   # send back the session cookie each request
    variants: tuple = ('def', 'async')      # which flavours of ours to run
    extra: dict = field(default_factory=dict)



SCENARIOS: list[Scenario] = [
    Scenario('S1', 'HTMX partial, sync def', 0.35, path='/hello', headers=HX, expect=('<p>Hello World</p>',),
             variants=('def',)),
    Scenario('S1a', 'HTMX partial, async def', 0.6, path='/hello', headers=HX, expect=('<p>Hello World</p>',),
             variants=('async',)),
    Scenario('S2', 'full page, default head', 0.4, path='/hello',
             expect=('<!doctype html>', '<title>FastHTML page</title>', 'htmx.js"', '<p>Hello World</p></body>')),
    Scenario('S3', 'typed path+query params', 0.4, path='/item/42', query='q=hello+%3Cworld%3E&flag=true',
             headers=HX, expect=('id="item-42"', 'Item 42', 'hello &lt;world&gt;', '>on<')),
    Scenario('S4', 'full page, 100 Li(A(hx_get))', 0.3, path='/items',
             expect=('<!doctype html>', 'htmx.js"', 'hx-get="/item/99"', 'id="item-99"', 'Item 99</a></li></ul>')),
    Scenario('S5', 'HTMX partial, 1000x5 table', 0.25, path='/table', headers=HX,
             expect=('<table id="data">', '<td>user999@example.com</td>', '<td>a&lt;b</td>', '</tbody></table>')),
    Scenario('S6', 'form POST -> dataclass', 0.5, method='POST', path='/profile', headers=HX, body=PROFILE_FORM,
             extra={'content-type': 'application/x-www-form-urlencoded'},
             expect=('id="saved"', 'Saved Ada Lovelace &lt;ada@example.com&gt;, 36, London, True, 9.5')),
    Scenario('S7', 'session counter', 0.5, path='/count', headers=HX, session=True, expect=('Count: ',)),
    Scenario('S8', 'dict -> JSON', 0.5, path='/data', content_type='application/json',
             expect=('"name":"Widget"', '"tags":["a","b","c"]')),
    Scenario('S9', 'websocket round trip (FT)', 0.5, kind='ws', path='/ws', variants=('async',),
             expect=('id="echo"', 'Echo hello &lt;ws&gt;')),
    Scenario('S10', 'render 1000x5 tree', 0.5, kind='render', variants=('render',)),
]


def scenario_checker(sc: Scenario) -> Callable[[int, dict, bytes], str | None]:
    "A function returning None for a correct response, else what was wrong."
    def check(status: int, headers: dict, body: bytes) -> str | None:
        if status != 200:
            return f'status {status}: {body[:200]!r}'
        ctype = headers.get('content-type', '')
        if sc.kind == 'http' and not ctype.startswith(sc.content_type):
            return f'content-type {ctype!r}, expected {sc.content_type}'
        text = body.decode('utf-8', 'replace')
        for e in sc.expect:
            if e not in text:
                return f'missing {e!r} in {text[:300]!r}'
        return None
    return check
