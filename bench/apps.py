"""The benchmark scenarios, written with fasthtml's API, as hand-written raw Starlette, and as Jinja2 templates.

`ours_app()`, `raw_app()`, `jinja_app()` and `fastapi_app()` build the ASGI apps; `SCENARIOS` describes the requests
that drive them and what a correct response must contain. `bench/run.py` drives them in-process,
`bench/over_http.py` through uvicorn and wrk. Every app answers every scenario with the same bytes, apart from
whitespace between tags (tests/test_bench.py checks it).

Ours comes in two flavours, two apps with the same routes: `def` handlers (how FastHTML apps are usually written: each
runs in a worker thread) and `async def` handlers (no thread hop: the framework's own overhead). The raw Starlette app
is written as a careful developer would write it by hand: async handlers, f-strings with `html.escape`, the same page
head and the same signed-cookie SessionMiddleware.

The template-engine peers are what most Python sites (and numerous-apps) use: Jinja2 templates (autoescaping on,
compiled once at start-up, never reloaded), a page layout that the HTMX-partial layout replaces, rendered by async
handlers on raw Starlette (`jinja_app`) and on FastAPI (`fastapi_app`, typed parameters, form fields and a dict
returned as JSON, as FastAPI apps are written).
"""

import json
import re
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
    'fastapi_app',
    'fstring_table',
    'ft_api',
    'jinja_app',
    'jinja_env',
    'ours_app',
    'raw_app',
    'ws_available',
]

SECRET = 'bench-secret-key-not-for-production-0123456789abcdef'

# S5/S10 data: 1000 rows x 5 columns, mixing ints and text (one column needs escaping).
HEADERS = ('id', 'name', 'email', 'score', 'note')
# S8's answer, as every app returns it
DATA = {'id': 1, 'name': 'Widget', 'tags': ['a', 'b', 'c'], 'price': 9.99, 'stock': 42, 'active': True}
ROWS = [(i, f'User {i}', f'user{i}@example.com', (i * 37) % 101, 'a<b' if i % 10 == 0 else f'row {i}')
        for i in range(1000)]

# The default page head, written out by hand for the raw app (what a Starlette developer would paste in a template).
RAW_HEAD = ('<meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">'
            '<script src="https://cdn.jsdelivr.net/npm/htmx.org@2.0.7/dist/htmx.js"></script>'
            '<script src="https://cdn.jsdelivr.net/gh/answerdotai/fasthtml-js@1.0.12/fasthtml.js"></script>'
            '<script src="https://cdn.jsdelivr.net/gh/answerdotai/surreal@main/surreal.js"></script>'
            '<script src="https://cdn.jsdelivr.net/gh/gnat/css-scope-inline@main/script.js"></script>')


def canonical_link(scope: dict) -> str:
    "The page's canonical link, as FastHTML writes it: https, the Host header, the path and the query."
    host = next((v.decode('latin-1') for k, v in scope['headers'] if k == b'host'), '')
    qs = scope.get('query_string')
    url = 'https://' + host + scope['path'] + ('?' + qs.decode('latin-1') if qs else '')
    return f'<link rel="canonical" href="{escape(url)}">'


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
    """The fasthtml names the scenarios use, as an app gets them: `from fasthtml.common import *` (so the worker's
    memory and start-up include whatever that import loads), else from core and components."""
    import types
    try:
        ns: dict = {}
        exec('from fasthtml.common import *', ns)
        ns.pop('__builtins__', None)
        return types.SimpleNamespace(**ns)
    except ImportError:
        import fasthtml.components as c
        import fasthtml.core as k
        ns2 = types.SimpleNamespace(**{n: getattr(c, n) for n in c.__all__})
        ns2.FastHTML, ns2.to_xml = k.FastHTML, c.to_xml
        return ns2


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
        return DATA

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

def _starlette_app(hello: Callable, item: Callable, items: Callable, table: Callable, profile: Callable,
                   count: Callable, data: Callable, ws: Callable) -> Any:
    "A Starlette app serving the scenarios' handlers, with the session middleware and secret ours uses."
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.routing import Route, WebSocketRoute
    routes = [Route('/hello', hello), Route('/item/{idx:int}', item), Route('/items', items), Route('/table', table),
              Route('/profile', profile, methods=['POST']), Route('/count', count), Route('/data', data),
              WebSocketRoute('/ws', ws)]
    return Starlette(routes=routes, middleware=[Middleware(SessionMiddleware, secret_key=SECRET,
                                                           session_cookie='session_', max_age=365 * 24 * 3600)])


def raw_app() -> Any:
    "The same scenarios by hand on Starlette, with the same SessionMiddleware and secret."
    from starlette.responses import HTMLResponse, JSONResponse
    from starlette.websockets import WebSocketDisconnect

    vary = {'vary': 'HX-Request, HX-History-Restore-Request'}

    def page(req: Any, body: str, title: str = 'FastHTML page') -> str:
        return (f'<!doctype html><html><head><title>{escape(title)}</title>{canonical_link(req.scope)}{RAW_HEAD}'
                f'</head><body>{body}</body></html>')

    def is_htmx(req: Any) -> bool:
        h = req.headers
        return 'hx-request' in h and 'hx-history-restore-request' not in h

    async def hello(req: Any) -> Any:
        body = f'<p>{escape("Hello World", False)}</p>'
        return HTMLResponse(body if is_htmx(req) else page(req, body), headers=vary)

    async def item(req: Any) -> Any:
        idx: int = req.path_params['idx']
        q = req.query_params.get('q')
        flag = req.query_params.get('flag', '').lower() in ('1', 'true', 'on', 'yes')
        if q is None:
            return HTMLResponse('Missing q', status_code=400)
        body = (f'<div id="item-{idx}" class="item"><p>Item {idx}</p><span class="q">{escape(q, False)}</span>'
                f'<span class="flag">{"on" if flag else "off"}</span></div>')
        return HTMLResponse(body if is_htmx(req) else page(req, body), headers=vary)

    async def items(req: Any) -> Any:
        lis = ''.join(f'<li><a href="#" hx-get="/item/{i}" id="item-{i}" name="item-{i}">'
                      f'{escape(f"Item {i}", False)}</a></li>' for i in range(100))
        body = f'<main><h1>Items</h1><ul>{lis}</ul></main>'
        return HTMLResponse(body if is_htmx(req) else page(req, body), headers=vary)

    async def table(req: Any) -> Any:
        body = fstring_table(ROWS)
        return HTMLResponse(body if is_htmx(req) else page(req, body), headers=vary)

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
        return HTMLResponse(body if is_htmx(req) else page(req, body), headers=vary)

    async def count(req: Any) -> Any:
        s = req.session
        s['n'] = s.get('n', 0) + 1
        body = f'<p>Count: {s["n"]}</p>'
        return HTMLResponse(body if is_htmx(req) else page(req, body), headers=vary)

    async def data(req: Any) -> Any:
        return JSONResponse(DATA)

    async def ws(sock: Any) -> None:
        await sock.accept()
        try:
            while True:
                d = json.loads(await sock.receive_text())
                await sock.send_text(f'<p id="echo">{escape("Echo " + str(d["msg"]), False)}</p>')
        except WebSocketDisconnect:
            pass

    return _starlette_app(hello, item, items, table, profile, count, data, ws)



# ---------------------------------------------------------------------------------------------------------------
# Jinja2 templates, on raw Starlette and on FastAPI

JINJA_TEMPLATES = {
    'page.html': ('<!doctype html><html><head><title>{{ title }}</title>'
                  '<link rel="canonical" href="{{ canonical }}">' + RAW_HEAD +
                  '</head><body>{% block body %}{% endblock %}</body></html>'),
    'partial.html': '{% block body %}{% endblock %}',
    'hello.html': '{% extends layout %}{% block body %}<p>{{ msg }}</p>{% endblock %}',
    'item.html': ('{% extends layout %}{% block body %}<div id="item-{{ idx }}" class="item"><p>Item {{ idx }}</p>'
                  '<span class="q">{{ q }}</span><span class="flag">{{ "on" if flag else "off" }}</span></div>'
                  '{% endblock %}'),
    'items.html': ('{% extends layout %}{% block body %}<main><h1>Items</h1><ul>{% for i in items %}'
                   '<li><a href="#" hx-get="/item/{{ i }}" id="item-{{ i }}" name="item-{{ i }}">Item {{ i }}</a></li>'
                   '{% endfor %}</ul></main>{% endblock %}'),
    'table.html': ('{% extends layout %}{% block body %}<table id="data"><thead><tr>{% for h in headers %}'
                   '<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>{% for r in rows %}<tr>{% for c in r %}'
                   '<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}</tbody></table>{% endblock %}'),
    'profile.html': ('{% extends layout %}{% block body %}<p id="saved">Saved {{ p.name }} &lt;{{ p.email }}&gt;, '
                     '{{ p.age }}, {{ p.city }}, {{ p.newsletter }}, {{ p.score }}</p>{% endblock %}'),
    'count.html': '{% extends layout %}{% block body %}<p>Count: {{ n }}</p>{% endblock %}',
    'echo.html': '<p id="echo">Echo {{ msg }}</p>',
}


def jinja_env() -> Any:
    "The Jinja2 environment: autoescaping, every template compiled once here (no reload checks per render)."
    import jinja2
    env = jinja2.Environment(loader=jinja2.DictLoader(JINJA_TEMPLATES), autoescape=True, auto_reload=False)
    for name in JINJA_TEMPLATES:
        env.get_template(name)
    return env


class _Jinja:
    "The templates and the one rendering helper both peers share (HTMX requests get the partial layout)."

    def __init__(self):
        env = jinja_env()
        self.t = {name.removesuffix('.html'): env.get_template(name) for name in JINJA_TEMPLATES}
        self.page, self.partial = self.t['page'], self.t['partial']

    def render(self, req: Any, name: str, **ctx: Any) -> Any:
        from starlette.responses import HTMLResponse
        h = req.headers
        if 'hx-request' in h and 'hx-history-restore-request' not in h:
            ctx['layout'] = self.partial
        else:
            ctx.update(layout=self.page, title='FastHTML page', canonical=_canonical_url(req.scope))
        return HTMLResponse(self.t[name].render(ctx), headers={'vary': 'HX-Request, HX-History-Restore-Request'})


def _canonical_url(scope: dict) -> str:
    host = next((v.decode('latin-1') for k, v in scope['headers'] if k == b'host'), '')
    qs = scope.get('query_string')
    return 'https://' + host + scope['path'] + ('?' + qs.decode('latin-1') if qs else '')


def _truthy(v: str) -> bool:
    return v.lower() in ('1', 'true', 'on', 'yes')


def jinja_app() -> Any:
    "The scenarios as Jinja2 templates on raw Starlette (async handlers, the same SessionMiddleware and secret)."
    from starlette.responses import HTMLResponse, JSONResponse
    from starlette.websockets import WebSocketDisconnect

    j = _Jinja()

    async def hello(req: Any) -> Any:
        return j.render(req, 'hello', msg='Hello World')

    async def item(req: Any) -> Any:
        q = req.query_params.get('q')
        if q is None:
            return HTMLResponse('Missing q', status_code=400)
        return j.render(req, 'item', idx=req.path_params['idx'], q=q, flag=_truthy(req.query_params.get('flag', '')))

    async def items(req: Any) -> Any:
        return j.render(req, 'items', items=range(100))

    async def table(req: Any) -> Any:
        return j.render(req, 'table', headers=HEADERS, rows=ROWS)

    async def profile(req: Any) -> Any:
        form = await req.form()
        try:
            p = Profile(name=form['name'], email=form['email'], age=int(form['age']), city=form['city'],
                        newsletter=_truthy(form.get('newsletter', '')), score=float(form['score']))
        except (KeyError, ValueError) as e:
            return HTMLResponse(f'Bad form: {escape(str(e))}', status_code=400)
        return j.render(req, 'profile', p=p)

    async def count(req: Any) -> Any:
        s = req.session
        s['n'] = s.get('n', 0) + 1
        return j.render(req, 'count', n=s['n'])

    async def data(req: Any) -> Any:
        return JSONResponse(DATA)

    echo = j.t['echo']

    async def ws(sock: Any) -> None:
        await sock.accept()
        try:
            while True:
                d = json.loads(await sock.receive_text())
                await sock.send_text(echo.render(msg=d['msg']))
        except WebSocketDisconnect:
            pass

    return _starlette_app(hello, item, items, table, profile, count, data, ws)


def fastapi_app() -> Any:
    """The scenarios as Jinja2 templates on FastAPI (bench/peer_fastapi.py: FastAPI reads the handlers' annotations,
    which this module's `from __future__ import annotations` would turn into strings it cannot resolve)."""
    import peer_fastapi
    return peer_fastapi.app(_Jinja())


# ---------------------------------------------------------------------------------------------------------------
# Scenarios

HX = (('hx-request', 'true'),)


@dataclass
class Scenario:
    """One benchmark scenario: the request, sent alike to ours (`def` and `async def` flavours), raw Starlette and
    the Jinja2 peers. `target` is the ratio to raw Starlette each flavour of ours must reach; `targets` adds or
    overrides targets by '<flavour>/<peer>' ('def/raw', 'async/jinja', ...)."""
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
    targets: dict = field(default_factory=dict)

    def all_targets(self) -> dict[tuple[str, str], float]:
        "Every target of this scenario: {(flavour of ours, peer): minimum ratio}."
        out = {(v, 'raw'): self.target for v in self.variants}
        out.update({tuple(k.split('/')): t for k, t in self.targets.items()})
        return out


SCENARIOS: list[Scenario] = [
    Scenario('S1', 'HTMX partial, sync def', 0.35, path='/hello', headers=HX, expect=('<p>Hello World</p>',),
             variants=('def',)),
    Scenario('S1a', 'HTMX partial, async def', 0.6, path='/hello', headers=HX, expect=('<p>Hello World</p>',),
             variants=('async',)),
    Scenario('S2', 'full page, default head', 0.4, path='/hello', targets={'async/jinja': 1.6},
             expect=('<!doctype html>', '<title>FastHTML page</title>', 'htmx.js"', '<p>Hello World</p></body>')),
    Scenario('S3', 'typed path+query params', 0.4, path='/item/42', query='q=hello+%3Cworld%3E&flag=true',
             headers=HX, expect=('id="item-42"', 'Item 42', 'hello &lt;world&gt;', '>on<')),
    Scenario('S4', 'full page, 100 Li(A(hx_get))', 0.35, path='/items',
             targets={'async/raw': 0.6, 'def/jinja': 1.5, 'async/jinja': 2.0},
             expect=('<!doctype html>', '<link rel="canonical" href="https://', 'htmx.js"',
                     'hx-get="/item/99"', 'id="item-99"', 'name="item-99">Item 99</a></li></ul>')),
    Scenario('S5', 'HTMX partial, 1000x5 table', 0.25, path='/table', headers=HX,
             targets={'def/jinja': 1.5, 'async/jinja': 2.0},
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
        text = re.sub(r'>\s+<', '><', body.decode('utf-8', 'replace'))  # the original indents its HTML
        for e in sc.expect:
            if e not in text:
                return f'missing {e!r} in {text[:300]!r}'
        return None
    return check
