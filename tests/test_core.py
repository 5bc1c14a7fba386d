"""The FastHTML app and fast_app: constructor keywords, lifespan, sessions and the key file, headers, exception
handlers, helpers, Client, serve, and the worker-thread rule for sync handlers."""
import contextlib
import inspect
import os
import runpy
import stat
import subprocess
import sys
import threading

import pytest
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from fasthtml.components import Div, Meta, P, Script, Style, to_xml
from fasthtml.core import (
    Client,
    FastHTML,
    MiddlewareBase,
    charset,
    def_hdrs,
    fhjsscr,
    htmx4src,
    htmx_exts,
    htmxsrc,
    scopesrc,
    serve,
    surrsrc,
    unqid,
    viewport,
)
from fasthtml.fastapp import fast_app
from fasthtml.xtend import Titled

HX = {'HX-Request': '1'}


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    "Apps without a secret_key write `.sesskey` to the current directory: keep it in a temp dir."
    monkeypatch.chdir(tmp_path)
    return tmp_path


def page(app, path='/', **kw):
    return Client(app).get(path, **kw).text


def head_of(html):
    return html[html.index('<head>'):html.index('</head>')]


def with_index(app, value=lambda: P('x')):
    app.route('/')(value)
    return app


# ---------------------------------------------------------------------------------------------------------------
# Signatures

SPEC_FASTHTML = ('debug routes middleware title exception_handlers on_startup on_shutdown lifespan hdrs ftrs exts '
                 'before after surreal htmx default_hdrs sess_cls secret_key session_cookie max_age sess_path '
                 'same_site sess_https_only sess_domain key_fname body_wrap htmlkw nb_hdrs').split()
SPEC_FAST_APP = ('db_file render hdrs ftrs tbls before middleware live debug routes exception_handlers on_startup '
                 'on_shutdown lifespan default_hdrs pico surreal htmx exts secret_key key_fname session_cookie '
                 'max_age '
                 'sess_path same_site sess_https_only sess_domain htmlkw bodykw reload_attempts reload_interval '
                 'static_path body_wrap nb_hdrs').split()


# FastHTML 0.14.14's parameters, in its order: ours come first, in this order (an app may pass them by position),
# and our own keywords follow them.
ORIG_FASTHTML = ('debug routes middleware title exception_handlers on_startup on_shutdown lifespan hdrs ftrs exts '
                 'before after surreal htmx htmx4 default_hdrs sess_cls secret_key session_cookie max_age sess_path '
                 'same_site sess_https_only sess_domain key_fname body_wrap htmlkw nb_hdrs canonical '
                 'max_part_size').split()
ORIG_FAST_APP = ('db_file render hdrs ftrs tbls before middleware live debug title routes exception_handlers '
                 'on_startup on_shutdown lifespan default_hdrs pico surreal htmx htmx4 exts canonical secret_key '
                 'key_fname session_cookie max_age sess_path same_site sess_https_only sess_domain htmlkw bodykw '
                 'reload_attempts reload_interval static_path body_wrap nb_hdrs').split()


def test_signatures_list_every_spec_parameter_in_order():
    ps = inspect.signature(FastHTML).parameters
    assert [p for p in ps if p in SPEC_FASTHTML] == SPEC_FASTHTML
    assert list(ps)[:len(ORIG_FASTHTML)] == ORIG_FASTHTML
    assert list(ps.values())[-1].kind == inspect.Parameter.VAR_KEYWORD  # **bodykw
    ps = inspect.signature(fast_app).parameters
    assert [p for p in ps if p in SPEC_FAST_APP] == SPEC_FAST_APP
    assert list(ps)[:len(ORIG_FAST_APP)] == ORIG_FAST_APP
    assert list(ps.values())[-1].kind == inspect.Parameter.VAR_KEYWORD
    assert list(inspect.signature(def_hdrs).parameters) == ['htmx', 'htmx4', 'surreal']


def test_def_hdrs_by_position_and_htmx4_config():
    assert def_hdrs(True, False, False) == [charset, viewport, htmxsrc, fhjsscr]
    cfg = '<meta name="htmx-config" content=\'{"metaCharacter": "-"}\'>'
    # htmx4=True loads htmx 4 with its config (the meta character htmx 4 needs for hx-on--x), even with htmx=False
    for h in (def_hdrs(htmx4=True), def_hdrs(htmx=False, htmx4=True)):
        assert [to_xml(o) for o in h[:5]] == [to_xml(charset), to_xml(viewport), cfg, to_xml(htmx4src), to_xml(fhjsscr)]
    head = head_of(page(with_index(FastHTML(secret_key='x', htmx4=True))))
    assert head.index('name="viewport"') < head.index(cfg) < head.index(str(htmx4src))
    assert cfg not in page(with_index(FastHTML(secret_key='x')))


# ---------------------------------------------------------------------------------------------------------------
# Page-level keywords

def test_title_default_and_custom():
    assert '<title>FastHTML page</title>' in page(with_index(FastHTML(secret_key='x')))
    assert '<title>My app</title>' in page(with_index(FastHTML(secret_key='x', title='My app')))


def test_hdrs_ftrs_htmlkw_and_bodykw():
    app = with_index(FastHTML(secret_key='x', hdrs=(Style('p {color: red;}'), [Meta(name='a')]),
                              ftrs=[Script('init()')], htmlkw={'lang': 'en', 'data_theme': 'dark'},
                              cls='page', hx_ext='ws', data_x=1))
    html = page(app)
    assert html.startswith('<!doctype html><html lang="en" data-theme="dark"><head>')
    head = head_of(html)
    assert head.index(str(htmxsrc)) < head.index('<style>p {color: red;}</style>') < head.index('<meta name="a">')
    body = html[html.index('<body'):]
    assert body.endswith('><p>x</p><script>init()</script></body></html>')
    for a in ('class="page"', 'hx-ext="ws"', 'data-x="1"'):
        assert a in body[:body.index('>')]
    assert app.bodykw == {'cls': 'page', 'hx_ext': 'ws', 'data_x': 1}


def test_default_headers_and_switches():
    full = head_of(page(with_index(FastHTML(secret_key='x'))))
    for s in (htmxsrc, fhjsscr, surrsrc, scopesrc):
        assert str(s) in full
    assert '<meta charset="utf-8">' in full and 'name="viewport"' in full
    none = head_of(page(with_index(FastHTML(secret_key='x', default_hdrs=False))))
    assert none == '<head><title>FastHTML page</title><link rel="canonical" href="https://testserver/">'
    no_surreal = head_of(page(with_index(FastHTML(secret_key='x', surreal=False))))
    assert str(htmxsrc) in no_surreal and str(surrsrc) not in no_surreal and str(scopesrc) not in no_surreal
    no_htmx = head_of(page(with_index(FastHTML(secret_key='x', htmx=False))))
    assert str(htmxsrc) not in no_htmx and str(fhjsscr) not in no_htmx and str(surrsrc) in no_htmx
    assert def_hdrs(htmx=False, surreal=False) == def_hdrs()[:2]


def test_nb_hdrs_outside_a_notebook_adds_nothing():
    assert 'postMessage' not in page(with_index(FastHTML(secret_key='x', nb_hdrs=True)))


@pytest.mark.parametrize('exts', ['ws', ['ws', 'sse'], ('morph', 'head-support')])
def test_htmx_extensions(exts):
    head = head_of(page(with_index(FastHTML(secret_key='x', exts=exts))))
    for e in ([exts] if isinstance(exts, str) else exts):
        assert f'<script src="{htmx_exts[e]}"></script>' in head
    assert head.index(str(htmxsrc)) < head.index(htmx_exts[exts if isinstance(exts, str) else exts[0]])


def test_unknown_extension_fails_at_construction():
    with pytest.raises(ValueError, match="Unknown htmx extension.*'nope'"):
        FastHTML(secret_key='x', exts=['ws', 'nope'])


# ---------------------------------------------------------------------------------------------------------------
# Lifespan: both styles, plus on_startup/on_shutdown (which Starlette 1.x itself no longer takes)

def test_lifespan_async_context_manager_with_startup_and_shutdown_lists():
    ev = []

    @contextlib.asynccontextmanager
    async def lifespan(app):
        ev.append('cm-start')
        yield {'db': 'conn'}
        ev.append('cm-stop')

    def s1():
        ev.append('sync-start')

    async def s2():
        ev.append('async-start')

    async def d1():
        ev.append('async-stop')
    app = FastHTML(secret_key='x', lifespan=lifespan, on_startup=[s1, s2], on_shutdown=[d1])

    @app.get('/')
    def index(req):
        return req.state.db
    with Client(app).cli as cli:
        assert ev == ['sync-start', 'async-start', 'cm-start']
        assert cli.get('/').text == 'conn'
    assert ev == ['sync-start', 'async-start', 'cm-start', 'cm-stop', 'async-stop']


def test_lifespan_async_generator():
    ev = []

    async def lifespan(app):
        ev.append(('start', type(app).__name__))
        yield {'x': 1}
        ev.append(('stop', type(app).__name__))
    app = FastHTML(secret_key='x', lifespan=lifespan)

    @app.get('/')
    def index(req):
        return str(req.state.x)
    with Client(app).cli as cli:
        assert cli.get('/').text == '1'
    assert ev == [('start', 'FastHTML'), ('stop', 'FastHTML')]


def test_on_startup_and_on_shutdown_without_lifespan():
    ev = []
    app = FastHTML(secret_key='x', on_startup=[lambda: ev.append('up')], on_shutdown=[lambda: ev.append('down')])
    with Client(app).cli:
        assert ev == ['up']
    assert ev == ['up', 'down']


def test_fast_app_takes_single_startup_and_shutdown_callables():
    ev = []
    app, rt = fast_app(secret_key='x', on_startup=lambda: ev.append('up'), on_shutdown=lambda: ev.append('down'))
    with Client(app).cli:
        pass
    assert ev == ['up', 'down']


# ---------------------------------------------------------------------------------------------------------------
# Exception handlers

def test_custom_404_page_gets_the_app_layout():
    def not_found(req, exc):
        return Titled("404: I don't exist!", P(req.url.path))
    app = FastHTML(secret_key='x', title='Site', exception_handlers={404: not_found}, cls='site')
    r = Client(app).get('/oops')
    assert r.status_code == 404
    assert "<title>404: I don't exist!</title>" in r.text
    assert "<body class=\"site\"><main class=\"container\"><h1>404: I don't exist!</h1><p>/oops</p>" in r.text
    r = Client(app).get('/oops', headers=HX)
    assert r.status_code == 404 and not r.text.startswith('<!doctype')


def test_exception_handler_for_an_exception_class_and_500():
    class Boom(Exception):
        pass

    async def on_boom(req, exc):
        return Div('boom handled')
    app = FastHTML(secret_key='x', exception_handlers={Boom: on_boom})

    @app.get('/')
    def index():
        raise Boom()
    r = Client(app).get('/')
    assert r.status_code == 500 and '<div>boom handled</div>' in r.text


# ---------------------------------------------------------------------------------------------------------------
# Sessions and the key file

def test_secret_key_given_means_no_key_file(in_tmp):
    app = FastHTML(secret_key='soopersecret')
    assert app.secret_key == 'soopersecret'
    assert not (in_tmp / '.sesskey').exists()


def test_key_file_created_with_mode_0600_and_reused(in_tmp):
    app1 = FastHTML()
    p = in_tmp / '.sesskey'
    assert p.exists()
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert len(p.read_text()) >= 32 and p.read_text() == app1.secret_key
    app2 = FastHTML()
    assert app2.secret_key == app1.secret_key
    # A session signed by one app is valid in the other (same key file).

    @app1.get('/set')
    def set_(sess):
        sess['u'] = 'ann'

    @app2.get('/get')
    def get_(sess):
        return sess.get('u', 'none')
    c1 = Client(app1)
    c1.get('/set')
    cookie = c1.cookies.get('session_')
    c2 = Client(app2)
    assert c2.get('/get', headers={'cookie': f'session_={cookie}'}).text == 'ann'


def test_custom_key_fname(in_tmp):
    (in_tmp / 'keys').mkdir()
    FastHTML(key_fname='keys/app.key')
    assert stat.S_IMODE((in_tmp / 'keys' / 'app.key').stat().st_mode) == 0o600
    assert not (in_tmp / '.sesskey').exists()


def test_session_cookie_settings():
    app = FastHTML(secret_key='x', session_cookie='sid', max_age=60, sess_path='/app', same_site='strict',
                   sess_https_only=True, sess_domain='example.org')

    @app.get('/app/set')
    def set_(sess):
        sess['a'] = 1
        return 'ok'
    cli = Client(app, url='https://example.org')
    r = cli.get('/app/set')
    sc = r.headers['set-cookie']
    assert sc.startswith('sid=')
    low = sc.lower()
    for part in ('path=/app', 'max-age=60', 'samesite=strict', 'secure', 'httponly', 'domain=example.org'):
        assert part in low, (part, sc)


def test_default_session_cookie():
    app = FastHTML(secret_key='x')

    @app.get('/')
    def index(sess):
        sess['a'] = 1
        return 'ok'
    sc = Client(app).get('/').headers['set-cookie'].lower()
    assert sc.startswith('session_=') and 'samesite=lax' in sc and 'httponly' in sc and 'path=/' in sc
    assert 'max-age=31536000' in sc and 'secure' not in sc


def test_tampered_session_cookie_is_ignored():
    app = FastHTML(secret_key='x')

    @app.get('/')
    def index(sess):
        return sess.get('auth', 'anonymous')
    assert Client(app).get('/', headers={'cookie': 'session_=eyJhdXRoIjogImFkbWluIn0=.forged.sig'}).text == \
        'anonymous'


def test_custom_sess_cls():
    made = []

    class MySessions(SessionMiddleware):
        def __init__(self, app, **kw):
            made.append(kw['session_cookie'])
            super().__init__(app, **kw)
    app = FastHTML(secret_key='x', sess_cls=MySessions)
    with_index(app, lambda sess: str(sess.setdefault('n', 5)))
    assert Client(app).get('/').text == '5'
    assert made == ['session_']


# ---------------------------------------------------------------------------------------------------------------
# Other constructor keywords

def test_debug_routes_middleware_before_after():
    seen = []

    class Tag:
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            if scope['type'] == 'http':
                scope.setdefault('state', {})['tagged'] = True
            await self.app(scope, receive, send)
    app = FastHTML(secret_key='x', debug=True, routes=[Route('/raw', lambda req: PlainTextResponse('raw'))],
                   middleware=[Middleware(Tag)], before=lambda req: seen.append('before'),
                   after=lambda resp: seen.append(('after', resp)))
    assert app.debug is True

    @app.get('/')
    def index(req):
        return str(req.state.tagged)
    cli = Client(app)
    assert cli.get('/raw').text == 'raw'
    assert cli.get('/').text == 'True'
    assert seen == ['before', ('after', 'True')]


def test_middleware_base_subclass():
    class AddHeader(MiddlewareBase):
        def __init__(self, app):
            self._app = app

        async def __call__(self, scope, receive, send):
            conn = await super().__call__(scope, receive, send)
            if conn is None:
                return

            async def send_with(msg):
                if msg['type'] == 'http.response.start':
                    msg['headers'] = [*msg['headers'], (b'x-path', conn.url.path.encode())]
                await send(msg)
            await self._app(scope, receive, send_with)
    app = with_index(FastHTML(secret_key='x', middleware=[Middleware(AddHeader)]), lambda: 'hi')
    with Client(app).cli as cli:  # lifespan scopes pass straight through
        r = cli.get('/')
    assert r.text == 'hi' and r.headers['x-path'] == '/'


# ---------------------------------------------------------------------------------------------------------------
# Helpers, Client, threads

def test_unqid():
    ids = {unqid() for _ in range(500)}
    assert len(ids) == 500
    for i in list(ids)[:50]:
        assert i.startswith('_') and i.isidentifier()


def test_client_verbs_and_cookie_persistence():
    app = FastHTML(secret_key='x')

    @app.route('/c', methods=['get', 'post', 'put', 'delete', 'patch', 'options'])
    def c(req, sess):
        sess['n'] = sess.get('n', 0) + 1
        return f"{req.method} {sess['n']}"
    cli = Client(app)
    assert cli.get('/c').text == 'GET 1'
    assert cli.post('/c').text == 'POST 2'
    assert cli.put('/c').text == 'PUT 3'
    assert cli.delete('/c').text == 'DELETE 4'
    assert cli.patch('/c').text == 'PATCH 5'
    assert cli.options('/c').text == 'OPTIONS 6'
    assert cli.head('/c').status_code == 200
    assert 'session_' in cli.cookies


def handler_threads(inline):
    "Thread ids of a sync and an async handler served by one event loop."
    app = FastHTML(secret_key='x', sync_inline=inline)
    idents = {}

    @app.get('/s')
    def s():
        idents['sync'] = threading.get_ident()

    @app.get('/a')
    async def a():
        idents['loop'] = threading.get_ident()
    with Client(app).cli as cli:  # one event loop thread for both requests
        cli.get('/a')
        cli.get('/s')
    return idents


def test_sync_handlers_run_in_a_worker_thread_unless_sync_inline():
    t = handler_threads(inline=False)
    assert t['sync'] != t['loop']
    t = handler_threads(inline=True)
    assert t['sync'] == t['loop']


def test_a_blocking_sync_handler_does_not_block_an_async_one():
    import anyio
    import httpx2
    release = threading.Event()
    app = FastHTML(secret_key='x')

    @app.get('/block')
    def block():
        release.wait(5)
        return 'unblocked'

    @app.get('/ping')
    async def ping():
        release.set()
        return 'pong'

    async def main():
        with anyio.fail_after(10):
            return await both()

    async def both():
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url='http://t') as c:
            async with anyio.create_task_group() as tg:
                out = {}

                async def go(path):
                    out[path] = (await c.get(path)).text
                tg.start_soon(go, '/block')
                await anyio.sleep(0.05)
                tg.start_soon(go, '/ping')
            return out
    assert anyio.run(main) == {'/block': 'unblocked', '/ping': 'pong'}


# ---------------------------------------------------------------------------------------------------------------
# serve

SERVE_APP = '''
from fasthtml.core import FastHTML, serve
app = FastHTML(secret_key='x')
serve()
'''


def test_serve_does_nothing_when_imported(in_tmp, monkeypatch):
    import uvicorn
    calls = []
    monkeypatch.setattr(uvicorn, 'run', lambda *a, **kw: calls.append((a, kw)))
    (in_tmp / 'mainapp.py').write_text(SERVE_APP)
    runpy.run_path(str(in_tmp / 'mainapp.py'), run_name='mainapp')
    assert serve() is None  # called from this test module, which is not __main__
    assert calls == []


def test_serve_does_nothing_without_a_file_or_under_ipython(in_tmp, monkeypatch):
    "As in FastHTML: a notebook cell (or `python -c`) has no module to serve, so serve() returns at once."
    import types

    import uvicorn
    calls = []
    monkeypatch.setattr(uvicorn, 'run', lambda *a, **kw: calls.append((a, kw)))
    exec(SERVE_APP, {'__name__': '__main__'})  # no __file__, as in a notebook cell
    assert calls == []
    fake = types.ModuleType('IPython')
    fake.get_ipython = lambda: object()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, 'IPython', fake)
    (in_tmp / 'mainapp.py').write_text(SERVE_APP)
    runpy.run_path(str(in_tmp / 'mainapp.py'), run_name='__main__')  # a script %run inside IPython
    assert calls == []


def test_serve_runs_uvicorn_when_main(in_tmp, monkeypatch, capsys):
    import uvicorn
    calls = []
    monkeypatch.setattr(uvicorn, 'run', lambda *a, **kw: calls.append((a, kw)))
    monkeypatch.delenv('PORT', raising=False)
    monkeypatch.delenv('HOST', raising=False)
    (in_tmp / 'mainapp.py').write_text(SERVE_APP)
    runpy.run_path(str(in_tmp / 'mainapp.py'), run_name='__main__')
    dirs = list(dict.fromkeys([str(in_tmp.resolve()), os.getcwd()]))
    assert calls == [(('mainapp:app',), dict(host='127.0.0.1', port=5001, reload=True, reload_includes=None,
                                              reload_excludes=None, reload_dirs=dirs, timeout_graceful_shutdown=30))]
    calls.clear()
    (in_tmp / 'other.py').write_text(SERVE_APP.replace('serve()', "serve(port=8123, reload=False, host='0.0.0.0')"))
    runpy.run_path(str(in_tmp / 'other.py'), run_name='__main__')
    assert calls == [(('other:app',), dict(host='0.0.0.0', port=8123, timeout_graceful_shutdown=30))]
    calls.clear()
    # procs is taken and unused, as in FastHTML (uvicorn would refuse it)
    (in_tmp / 'procs.py').write_text(SERVE_APP.replace('serve()', 'serve(procs=3, reload=False)'))
    runpy.run_path(str(in_tmp / 'procs.py'), run_name='__main__')
    assert calls == [(('procs:app',), dict(host='127.0.0.1', port=5001, timeout_graceful_shutdown=30))]
    assert capsys.readouterr().out.endswith('Link: \x1b[91m\x1b[1mhttp://localhost:5001\x1b[22m\x1b[39m\n')
    calls.clear()
    # A hosting platform's PORT binds all interfaces, unless HOST says otherwise.
    monkeypatch.setenv('PORT', '7000')
    runpy.run_path(str(in_tmp / 'mainapp.py'), run_name='__main__')
    assert calls[-1][1]['host'] == '0.0.0.0' and calls[-1][1]['port'] == 7000
    monkeypatch.setenv('HOST', '127.0.0.1')
    runpy.run_path(str(in_tmp / 'mainapp.py'), run_name='__main__')
    assert calls[-1][1]['host'] == '127.0.0.1' and calls[-1][1]['port'] == 7000


# ---------------------------------------------------------------------------------------------------------------
# fast_app

def test_fast_app_returns_app_and_route_with_pico_and_static_files(in_tmp):
    (in_tmp / 'site.css').write_text('p{}')
    app, rt = fast_app(secret_key='x')
    assert isinstance(app, FastHTML)
    assert rt.__self__ is app and rt.__func__ is FastHTML.route

    @rt('/')
    def get():
        return Titled('FastHTML', P("Let's do this!"))
    cli = Client(app)
    html = cli.get('/').text
    assert 'pico.min.css' in head_of(html) and '<h1>FastHTML</h1>' in html
    assert cli.get('/site.css').text == 'p{}'
    assert 'pico' not in head_of(page(with_index(fast_app(secret_key='x', pico=False)[0])))
    assert 'pico' not in head_of(page(with_index(fast_app(secret_key='x', default_hdrs=False)[0])))
    assert 'pico' in head_of(page(with_index(fast_app(secret_key='x', default_hdrs=False, pico=True)[0])))


def test_fast_app_static_path(in_tmp):
    (in_tmp / 'public').mkdir()
    (in_tmp / 'public' / 'img.png').write_bytes(b'png')
    app, rt = fast_app(secret_key='x', static_path='public')
    assert Client(app).get('/img.png').content == b'png'


def test_fast_app_passes_keywords_through(in_tmp):
    # Other keywords are ignored, as FastHTML does (only bodykw gives body attributes); a warning names them
    with pytest.warns(UserWarning, match="ignores 'data_k'"):
        app, rt = fast_app(secret_key='x', title='T', hdrs=(Meta(name='h'),), ftrs=(P('f'),),
                           htmlkw={'lang': 'fr'}, bodykw={'cls': 'b'}, data_k='v', exts='ws')

    @rt('/')
    def get():
        return P('x')
    html = page(app)
    assert '<html lang="fr">' in html and '<title>T</title>' in html and '<meta name="h">' in html
    assert htmx_exts['ws'] in html
    body = html[html.index('<body'):]
    assert body.startswith('<body class="b">')
    assert body.endswith('><p>x</p><p>f</p></body></html>')


def test_fast_app_live_is_accepted():
    app, rt = fast_app(secret_key='x', live=True)
    assert isinstance(app, FastHTML) and type(app).__name__ == 'FastHTMLWithLiveReload'


def test_fast_app_with_one_table(in_tmp):
    app, rt, todos, Todo = fast_app('data/todos.db', secret_key='x',
                                    todos={'id': int, 'title': str, 'done': bool, 'pk': 'id'})
    assert (in_tmp / 'data' / 'todos.db').exists()
    t = todos.insert(Todo(title='milk', done=False))
    assert t.id == 1 and t.title == 'milk' and isinstance(t, Todo)

    @rt('/')
    def get():
        return [P(x.title) for x in todos()]
    assert '<p>milk</p>' in page(app)


def test_fast_app_with_keyword_columns_and_render(in_tmp):
    "The JS app walkthrough: `fast_app('data/drawapp.db', render=render, id=int, name=str, ..., pk='id')`."
    def render(room):
        return Div(room.name, id=f'room-{room.id}')
    app, rt, rooms, Room = fast_app('data/drawapp.db', render=render, id=int, name=str, created_at=str, pk='id')
    rooms.insert(name='Lobby', created_at='now')

    @rt('/')
    def get():
        return rooms()
    assert page(app, headers=HX) == '<div id="room-1">Lobby</div>'
    assert rooms.name == 'items'


def test_fast_app_with_several_tables(in_tmp):
    app, rt, (todos, Todo), (users, User) = fast_app('multi.db', secret_key='x',
                                                     todos={'id': int, 'title': str, 'pk': 'id'},
                                                     users={'name': str, 'pwd': str, 'pk': 'name'})
    users.insert(User(name='ann', pwd='p'))
    assert users['ann'].pwd == 'p'
    # Opening the same file again (a restart) keeps the data.
    app2, rt2, (todos2, Todo2), (users2, User2) = fast_app('multi.db', secret_key='x',
                                                           todos={'id': int, 'title': str, 'pk': 'id'},
                                                           users={'name': str, 'pwd': str, 'pk': 'name'})
    assert users2['ann'].name == 'ann'


def test_fast_app_tables_need_a_db_file():
    with pytest.raises(ValueError, match='no db_file'):
        fast_app(secret_key='x', tbls={'t': {'id': int}})


# ---------------------------------------------------------------------------------------------------------------
# Small helpers and the `fasthtml.common` surface

def test_conversion_helpers():
    from datetime import datetime

    from starlette.datastructures import FormData

    from fasthtml.core import form2dict, parsed_date, snake2hyphens, str2bool
    assert snake2hyphens('user_agent') == 'User-Agent' and snake2hyphens('hx_request') == 'Hx-Request'
    assert parsed_date('17th of May, 2024, 2p') == datetime(2024, 5, 17, 14, 0)
    assert [str2bool(v) for v in ('on', '1', 'true', 'Yes', 'off', '0', 'false', 'no', '')] == [True] * 4 + [False] * 5
    # fastcore's, as in FastHTML: not stripped, None is False, other words a TypeError, `s` by name
    assert str2bool(None) is False and str2bool(s='y') is True
    for v in ('perhaps', ' t '):
        with pytest.raises(TypeError, match='not bool'):
            str2bool(v)
    assert form2dict(FormData([('a', '1'), ('b', 'x'), ('b', 'y')])) == {'a': '1', 'b': ['x', 'y']}
    assert form2dict({'a': 1}) == {'a': 1}


def test_common_exports_what_the_spec_imports():
    import fasthtml.common as common
    names = ('A AX Button Card CheckboxX Container Div Form Grid Group H1 H2 Hidden Input Li Main Script Style '
             'Textarea Title Titled Ul Beforeware FastHTML fast_app SortableJS fill_form picolink serve FileResponse '
             'NotFoundError RedirectResponse database patch dataclass Request Response JSONResponse '
             'StreamingResponse HTTPException Mount Route StaticFiles UploadFile BackgroundTask BackgroundTasks '
             'Client APIRouter Redirect FtResponse HttpHeader HtmxResponseHeaders cookie EventStream setup_toasts '
             'add_toast uri qp reg_re_param parsed_date HtmxHeaders unqid def_hdrs MiddlewareBase respond noop_body '
             'flat_xt flat_tuple form2dict parse_form snake2hyphens nested_name signal_shutdown sse_message '
             'NotStr to_xml').split()
    missing = [n for n in names if not hasattr(common, n)]
    assert missing == []
    from fastcore.xtras import asdict
    assert common.asdict is asdict  # fastcore's: it also takes namedtuples, as the handlers doc uses it
    import pathlib
    assert common.Path is pathlib.Path


def test_importing_common_prints_no_warnings():
    out = subprocess.run([sys.executable, '-W', 'default', '-c', 'from fasthtml.common import *'],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and 'Warning' not in out.stderr, out.stderr


@pytest.mark.parametrize('is_async', [False, True])
def test_exception_handler_added_after_construction_gets_page_wrapping(is_async):
    app = FastHTML(secret_key='k')
    if is_async:
        async def nf(req, exc): return Titled('Gone', P('nope'))
    else:
        def nf(req, exc): return Titled('Gone', P('nope'))
    app.add_exception_handler(404, nf)

    @app.exception_handler(418)
    def teapot(req, exc): return P('teapot')

    @app.route('/t')
    def get(): raise HTTPException(418)
    cli = Client(app)
    r = cli.get('/missing')
    assert r.status_code == 404
    assert r.text.startswith('<!doctype html>') and '<h1>Gone</h1>' in r.text
    r = cli.get('/t', headers={'HX-Request': '1'})
    assert (r.status_code, r.text) == (418, '<p>teapot</p>')


def test_newer_constructor_keywords_are_options_not_body_attributes():
    "htmx4, canonical and max_part_size (keywords of newer FastHTML versions) configure the app."
    app = FastHTML(secret_key='k', htmx4=True, canonical=True, max_part_size=2048)
    assert app.limits.max_part_size == 2048
    assert app.bodykw == {}

    @app.route('/p')
    def get(): return P('x')

    @app.route('/up')
    def post(f: str): return f
    cli = Client(app)
    page = cli.get('/p?a=1').text
    assert 'htmx.org@4' in page and 'htmx.org@2' not in page
    # FastHTML's canonical link (on by default): https, the host, path and query, after the page's own head items.
    assert '<title>FastHTML page</title><link rel="canonical" href="https://testserver/p?a=1"><meta' in page
    assert 'canonical' not in Client(FastHTML(secret_key='k', canonical=False, routes=app.routes)).get('/p').text
    assert cli.get('/p', headers={'HX-Request': '1'}).text == '<p>x</p>'
    assert 'canonical' not in Client(FastHTML(secret_key='k')).get('/zz').text
    assert cli.post('/up', files={'f': (None, 'x' * 100)}).text == 'x' * 100
    big = cli.post('/up', files={'f': (None, 'x' * 4096)})
    assert big.status_code == 413


# ---------------------------------------------------------------------------------------------------------------
# Garbage collector tuning at server start

def test_server_start_raises_the_young_gc_threshold_and_shutdown_restores_it():
    import gc

    from fasthtml.fastapp import fast_app
    from fasthtml.starlette import TestClient
    before = gc.get_threshold()
    app = FastHTML()
    with TestClient(app):
        assert gc.get_threshold() == (20_000, *before[1:])
    assert gc.get_threshold() == before
    app, _ = fast_app(gc_threshold=50_000)
    with TestClient(app):
        assert gc.get_threshold()[0] == 50_000
    assert gc.get_threshold() == before


def test_gc_tuning_can_be_turned_off_and_respects_the_processes_own_setting():
    import gc

    from fasthtml.starlette import TestClient
    before = gc.get_threshold()
    with TestClient(FastHTML(gc_threshold=None)):
        assert gc.get_threshold() == before
    try:
        gc.set_threshold(1234, *before[1:])  # the process tuned its collector itself: left alone
        with TestClient(FastHTML()):
            assert gc.get_threshold()[0] == 1234
        assert gc.get_threshold()[0] == 1234
    finally:
        gc.set_threshold(*before)


@pytest.mark.parametrize('bad', [0, -5, 1.5, '20000', True])
def test_bad_gc_threshold_fails_at_construction(bad):
    with pytest.raises(ValueError, match='gc_threshold'):
        FastHTML(gc_threshold=bad)
