"""Routing: paths and methods from function names, verb decorators, route functions as links, APIRouter, static
files, custom path types and mounted sub-apps."""
import functools

import pytest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from variants import variant

from fasthtml.components import A, Div, P
from fasthtml.core import (
    APIRouter,
    Beforeware,
    Client,
    FastHTML,
    Redirect,
    RouteFunc,
    all_meths,
    decode_uri,
    nested_name,
    qp,
    reg_re_param,
    uri,
)
from fasthtml.xtend import Titled

HX = {'HX-Request': '1'}


def mk(**kw):
    app = FastHTML(secret_key='test-secret', **kw)
    return app, app.route, Client(app)


# Module-level handlers, so their names are not nested inside a test function.
def index():
    return 'home'


def foo():
    return 'foo page'


def get():
    return 'got'


def post():
    return 'posted'


def put():
    return 'put it'


def delete():
    return 'gone'


def show_host(req):
    return req.headers['host']


def all_products(req):
    return Div('Products', Div(P('Details'), hx_get=req.url_for('details', pid=42)), id='products_list')


def details(pid: int):
    return f'Here are the product details for ID: {pid}'


# ---------------------------------------------------------------------------------------------------------------
# Paths and methods from names

def test_bare_rt_derives_path_from_function_name(kind):
    app, rt, cli = mk()
    rt(variant(kind, index))
    rt(variant(kind, foo))
    assert cli.get('/').text == 'home'
    assert cli.get('/foo').text == 'foo page'
    # With no verb in the name, a route answers GET and POST (and HEAD, as every GET route does).
    assert cli.post('/foo').text == 'foo page'
    assert cli.head('/foo').status_code == 200
    assert cli.put('/foo').status_code == 405
    assert cli.get('/index').status_code == 404


def test_nested_function_names_join_with_underscores():
    app, rt, cli = mk()

    def outer():
        def inner():
            return 'deep'
        return inner
    inner = outer()
    assert nested_name(inner) == 'test_nested_function_names_join_with_underscores_outer_inner'

    @rt
    def yoyo():
        return 'a yoyo'
    assert str(yoyo) == '/test_nested_function_names_join_with_underscores_yoyo'
    assert cli.post(str(yoyo)).text == 'a yoyo'
    rf = rt(inner)
    assert rf.path == '/test_nested_function_names_join_with_underscores_outer_inner'
    assert cli.get(rf.path).text == 'deep'

    class K:
        @staticmethod
        def m():
            return 'method'
    # As in FastHTML, only `.<locals>.` becomes an underscore: a class's dot stays.
    assert rt(K.m).path == '/test_nested_function_names_join_with_underscores_K.m'
    assert cli.get(rt(K.m).path).text == 'method'


def test_a_nested_index_is_not_the_root():
    """As in FastHTML, the root and the verbs come from the nested name: an `index` or `get` defined inside a function
    is `/<outer>_index` (so a router an add-on builds inside a function never takes over the app's `/`)."""
    app, rt, cli = mk()

    @rt
    def index():
        return 'nested'

    @rt
    def get():
        return 'nested get'
    assert str(index) == '/test_a_nested_index_is_not_the_root_index'
    assert cli.get(str(index)).text == 'nested' and cli.get('/').status_code == 404
    assert str(get) == '/test_a_nested_index_is_not_the_root_get'
    assert cli.post(str(get)).text == 'nested get'  # not a verb name: GET and POST


def toplevel(src: str, **ns) -> dict:
    "Run `src` as a notebook cell or script would (its functions' names are not nested), with names `ns`."
    exec(src, ns)
    return ns


def test_verb_named_handlers_serve_that_verb_and_coexist_on_one_path(kind):
    app, rt, cli = mk()
    rt('/')(variant(kind, get))
    rt('/')(variant(kind, post))
    rt('/')(variant(kind, put))
    rt('/')(variant(kind, delete))
    assert cli.get('/').text == 'got'
    assert cli.post('/').text == 'posted'
    assert cli.put('/').text == 'put it'
    assert cli.delete('/').text == 'gone'
    assert cli.patch('/').status_code == 405


@pytest.mark.parametrize('verb', all_meths)
def test_every_verb_decorator(verb, kind):
    app, rt, cli = mk()

    def handler():
        return Response('ok', headers={'x-verb': verb})
    getattr(app, verb)('/v')(variant(kind, handler))
    r = cli.request(verb.upper(), '/v')
    assert r.status_code == 200
    assert r.headers['x-verb'] == verb
    other = 'post' if verb != 'post' else 'put'
    assert cli.request(other.upper(), '/v').status_code == 405


def test_verb_decorator_without_path_uses_the_name_and_ignores_verb_names():
    app, rt, cli = mk()

    @app.get
    def autoget():
        return 'auto'

    @app.post
    def get():  # app.post decides the verb; the name `get` only names the path
        return 'posted to /..._get'
    assert cli.get('/test_verb_decorator_without_path_uses_the_name_and_ignores_verb_names_autoget').text == 'auto'
    assert cli.post(str(get)).status_code == 200
    assert cli.get(str(get)).status_code == 405


def test_methods_argument_as_string_or_list():
    app, rt, cli = mk()

    @rt('/one', methods='put')
    def one():
        return 'one'

    @rt('/two', methods=['get', 'PATCH'])
    def two():
        return 'two'
    assert cli.put('/one').text == 'one'
    assert cli.get('/one').status_code == 405
    assert cli.patch('/two').text == 'two'
    assert cli.get('/two').text == 'two'
    assert cli.post('/two').status_code == 405


def test_spec_routing_quick_start():
    "The quick start's routing examples: two `get` handlers on two paths, GET and POST handlers on one path."
    app, rt, cli = mk()
    toplevel('''
@rt('/')
def get():
    return Titled('FastHTML', P("Let's do this!"))

@rt('/hello')
def get():  # the spec defines `get` twice on purpose
    return Titled('Hello, world!')

@rt('/')
def post():
    return Titled('HTTP POST', P('Handle POST'))
''', rt=rt, Titled=Titled, P=P)
    assert '<h1>FastHTML</h1>' in cli.get('/').text
    assert '<title>Hello, world!</title>' in cli.get('/hello').text
    assert '<p>Handle POST</p>' in cli.post('/').text


def test_spec_routes_doc_named_function_and_rt_alias():
    app = FastHTML(secret_key='x')

    @app.get('/user/{nm}')
    def get_nm(nm: str):
        return f'Good day to you, {nm}!'
    cli = Client(app)
    assert cli.get('/user/Jeremy').text == 'Good day to you, Jeremy!'
    rt = app.route

    @rt('/')
    def post():
        return 'Going postal!'
    assert cli.post('/').text == 'Going postal!'


def test_decorated_handlers_keep_their_parameters():
    "The Routes doc's `basic_auth` decorator: `functools.wraps` handlers are planned from the wrapped signature."
    app, rt, cli = mk()

    def basic_auth(f):
        @functools.wraps(f)
        async def wrapper(req, *args, **kwargs):
            if req.headers.get('Authorization') == 'abc123':
                return await f(req, *args, **kwargs)
            return Response('Not Authorized', status_code=401)
        return wrapper

    @app.get('/protected')
    @basic_auth
    async def protected(req):
        return 'Protected Content'
    assert cli.get('/protected', headers={'Authorization': 'abc123'}).text == 'Protected Content'
    assert cli.get('/protected').status_code == 401


def test_route_path_must_start_with_slash():
    app, rt, cli = mk()
    with pytest.raises(ValueError, match='must start with "/"'):
        rt('nope')(lambda: 'x')


def test_route_handler_must_be_callable():
    app, rt, cli = mk()
    with pytest.raises(TypeError, match='must be callable'):
        app._add_route('x', '/x', None, None, True, None)


def test_reregistering_the_same_route_replaces_it():
    app, rt, cli = mk()

    @rt('/same')
    def get():
        return 'first'
    n = len(app.routes)

    @rt('/same')
    def get():  # noqa: F811
        return 'second'
    assert len(app.routes) == n
    assert cli.get('/same').text == 'second'


def test_route_names_and_url_path_for():
    app, rt, cli = mk()

    @rt('/user/{nm}', name='gday')
    def get(nm: str = ''):
        return f'Good day to you, {nm}!'

    app.get('/hostie')(show_host)  # module level, so its route name is `show_host`

    @rt('/link')
    def get(req):  # noqa: F811
        return f"{req.url_for('gday', nm='Alexis')}; {req.url_for('show_host')}"
    assert cli.get('/user/Alexis').text == 'Good day to you, Alexis!'
    assert cli.get('/hostie').text == 'testserver'
    assert cli.get('/link').text == 'http://testserver/user/Alexis; http://testserver/hostie'
    assert app.url_path_for('gday', nm='Jeremy') == '/user/Jeremy'


def test_include_in_schema_is_passed_to_the_route():
    app, rt, cli = mk()

    @rt('/hidden', include_in_schema=False)
    def get():
        return 'x'
    route = next(r for r in app.routes if getattr(r, 'path', None) == '/hidden')
    assert route.include_in_schema is False


# ---------------------------------------------------------------------------------------------------------------
# Route functions as links

def test_route_function_is_still_callable_and_renders_as_its_path():
    app, rt, cli = mk()

    @rt('/todos/{id}')
    def get(id: int):
        return f'todo {id}'

    @rt
    def add_todo(title: str):
        return title
    assert isinstance(add_todo, RouteFunc)
    assert add_todo('direct') == 'direct'
    assert str(add_todo) == '/test_route_function_is_still_callable_and_renders_as_its_path_add_todo'
    assert Div(hx_post=add_todo).attrs['hx-post'] is add_todo
    assert str(Div(hx_post=add_todo, id=None)) == \
        '<div hx-post="/test_route_function_is_still_callable_and_renders_as_its_path_add_todo"></div>'
    assert get.to(id=3) == '/todos/3'
    assert get.to(id=3, full=True) == '/todos/3?full=True'  # FastHTML's str(True)
    assert add_todo.to(a='b', tags=['x', 'y']) == str(add_todo) + '?a=b&tags=x&tags=y'
    assert add_todo == str(add_todo)
    assert add_todo.to() == str(add_todo)


def test_route_function_links_work_through_requests():
    "The Handling handlers doc: `hx_post=yoyo.to()`, `show_host.to(a='b')` and `hx_get=route_func`."
    app, rt, cli = mk()

    @rt
    def yoyo():
        return 'a yoyo'

    @app.get('/hostie')
    def show_host(req):
        return req.headers['host']

    @app.get('/auto')
    def autoget():
        return Div('Text.', cls='px-2', hx_post=show_host.to(a='b'), hx_get=yoyo)
    r = cli.get('/auto', headers=HX)
    assert r.text == f'<div hx-post="/hostie?a=b" hx-get="{yoyo}" class="px-2">Text.</div>'


def test_qp_fills_path_params_and_adds_the_rest_as_query():
    assert qp('/a/{id}', id=5) == '/a/5'
    # As in FastHTML: path values as text (a `{p:path}` value keeps its slashes); None, False, 0 and '' are empty.
    assert qp('/a/{id}/{name}', id=1, name='x y/z', q='1') == '/a/1/x y/z?q=1'
    assert qp('/a', b=None, c=True, d=False, e=0, f=[1, 2]) == '/a?b=&c=True&d=&e=&f=1&f=2'
    assert qp('/a/{x}', x=None) == qp('/a/{x}', x=False) == '/a/'
    assert qp('/a?x=1', y=2) == '/a?x=1&y=2'
    assert qp('/a/{id:int}', id=9) == '/a/9'
    assert qp('/a/{id}') == '/a/{id}'


def test_uri_round_trips_with_decode_uri():
    assert uri('gday', nm='Alexis') == 'gday/nm=Alexis'
    s = uri('a b', c='d e', f=[1, 2])
    assert decode_uri(s) == ('a b', {'c': 'd e', 'f': '1'})


@pytest.mark.parametrize('hx', [False, True])
def test_link_attribute_with_uri_becomes_href(hx):
    "The Handling handlers doc: `Div(link=uri('gday', nm='Alexis'))` renders `href=\"/user/Alexis\"`."
    app, rt, cli = mk()

    @rt('/user/{nm}', name='gday')
    def get(nm: str = ''):
        return f'Good day to you, {nm}!'

    @app.get('/autolink')
    def autolink():
        return Div('Text.', link=uri('gday', nm='Alexis'))
    r = cli.get('/autolink', headers=HX if hx else {})
    assert '<div href="/user/Alexis">Text.</div>' in r.text


def test_route_verb_attributes_resolve_route_names():
    "`get=`/`post=`/... attributes name a route (or hold a route function) and become hx-* attributes."
    app, rt, cli = mk()

    @rt('/user/{nm}', name='gday')
    def get(nm: str = ''):
        return nm

    @rt('/yo', name='yoyo')
    def yoyo():
        return 'yo'

    shared = Div('x', get='gday/nm=Bob', post=yoyo, put='yoyo', delete='yoyo?x=1', patch='yoyo', link='/literal')

    @app.get('/attrs')
    def attrs():
        return shared
    r = cli.get('/attrs', headers=HX)
    assert r.text == ('<div hx-get="/user/Bob" hx-post="/yo" hx-put="/yo" hx-delete="/yo?x=1" hx-patch="/yo" '
                      'href="/literal">x</div>')
    # The handler's tree is not modified: it is rewritten into a copy.
    assert shared.attrs == {'get': 'gday/nm=Bob', 'post': yoyo, 'put': 'yoyo', 'delete': 'yoyo?x=1',
                            'patch': 'yoyo', 'link': '/literal'}
    assert cli.get('/attrs', headers=HX).text == r.text


def test_uri_link_resolves_through_a_named_mount():
    "The Routes doc: `A(link=uri('books:list'))` in the main app links into a mounted, named sub-app."
    books_app = FastHTML(secret_key='x')

    @books_app.route('/', name='list')
    def get():
        return Titled('Books', P('A Guide to FastHTML'))
    app = FastHTML(secret_key='x', routes=[Mount('/books', books_app, name='books')])

    @app.route('/')
    def get():  # noqa: F811
        return Titled('Dashboard', P(A(href='/books')('Books')), P(A(link=uri('books:list'))('Books')))
    cli = Client(app)
    page = cli.get('/').text
    assert '<a href="/books">Books</a>' in page
    assert '<a href="/books/">Books</a>' in page
    assert '<p>A Guide to FastHTML</p>' in cli.get('/books/').text


def test_rt_funcs_namespace():
    app, rt, cli = mk()

    @rt('/a', name='alpha')
    def get():
        return 'a'
    assert str(app.rt_funcs.alpha) == '/a'
    assert 'alpha' in dir(app.rt_funcs)
    with pytest.raises(AttributeError, match='No route named missing found in route functions'):
        _ = app.rt_funcs.missing


# ---------------------------------------------------------------------------------------------------------------
# APIRouter

def test_apirouter_prefix_to_app_and_rt_funcs(kind):
    ar = APIRouter(prefix='/products')
    ar('/all')(variant(kind, all_products))
    ar.get('/{pid}', name='details')(variant(kind, details))
    toplevel("@ar\ndef index():\n    return 'product index'", ar=ar)
    assert str(ar.rt_funcs.all_products) == '/products/all'
    assert str(ar.rt_funcs.details) == '/products/{pid}'
    assert ar.details.to(pid=7) == '/products/7'
    app, rt, cli = mk()
    ar.to_app(app)
    toplevel("@rt\ndef index():\n    return Div('Click me', hx_get=ar.rt_funcs.all_products, hx_swap='outerHTML')",
             rt=rt, ar=ar, Div=Div)
    assert cli.get('/', headers=HX).text == '<div hx-get="/products/all" hx-swap="outerHTML">Click me</div>'
    assert 'hx-get="http://testserver/products/42"' in cli.get('/products/all', headers=HX).text
    assert cli.get('/products/42').text == 'Here are the product details for ID: 42'
    assert cli.get('/products').status_code == 307  # to /products/; FastHTML's Client does not follow redirects
    assert cli.get('/products', follow_redirects=True).text == 'product index'
    assert cli.post('/products/all').status_code == 200
    assert cli.post('/products/42').status_code == 405
    with pytest.raises(AttributeError):
        _ = ar.nope


@pytest.mark.parametrize('verb', all_meths)
def test_apirouter_verb_methods(verb):
    ar = APIRouter('/api')

    def handler():
        return Response('ok', headers={'x-verb': verb})
    getattr(ar, verb)('/v')(handler)
    app, rt, cli = mk()
    ar.to_app(app)
    assert cli.request(verb.upper(), '/api/v').headers['x-verb'] == verb


def test_apirouter_body_wrap_applies_to_its_full_pages():
    def wrap(content, req):
        return Div(*content, cls='from-router')
    ar = APIRouter(prefix='/r', body_wrap=wrap)

    @ar('/page')
    def get():
        return P('inner')
    app, rt, cli = mk()
    ar.to_app(app)

    @rt('/plain')
    def get():  # noqa: F811
        return P('plain')
    assert '<div class="from-router"><p>inner</p></div>' in cli.get('/r/page').text
    assert '<body><p>plain</p>' in cli.get('/plain').text
    # HTMX fragments are never wrapped.
    assert cli.get('/r/page', headers=HX).text == '<p>inner</p>'


# ---------------------------------------------------------------------------------------------------------------
# Path types and static files

def test_reg_re_param_custom_path_type():
    reg_re_param('imgext', 'ico|gif|jpg|jpeg|webm')
    app, rt, cli = mk()

    @rt(r'/static/{path:path}{fn}.{ext:imgext}')
    def get(fn: str, path: str, ext: str):
        return f'Getting {fn}.{ext} from /{path}'
    assert cli.get('/static/foo/jph.ico').text == 'Getting jph.ico from /foo/'
    assert cli.get('/static/foo/jph.txt').status_code == 404


def test_static_route_exts_serves_usual_extensions(tmp_path):
    (tmp_path / 'style.css').write_text('p {color: red}')
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'pic.png').write_bytes(b'\x89PNG')
    (tmp_path / 'notes.md').write_text('# md')
    (tmp_path.parent / 'secret.txt').write_text('outside')
    app, rt, cli = mk()
    app.static_route_exts(static_path=str(tmp_path))
    r = cli.get('/style.css')
    assert r.status_code == 200 and r.text == 'p {color: red}'
    assert r.headers['content-type'].startswith('text/css')
    assert cli.get('/sub/pic.png').content == b'\x89PNG'
    assert cli.get('/notes.md').status_code == 404  # not a `static` extension
    assert cli.get('/missing.css').status_code == 404
    assert cli.get('/README.txt').status_code == 404
    assert cli.get('/../secret.txt').status_code == 404
    assert cli.get('/%2e%2e/secret.txt').status_code == 404
    assert cli.get('/sub/%2e%2e/%2e%2e/secret.txt').status_code == 404


def test_static_route_exts_with_prefix(tmp_path):
    (tmp_path / 'app.js').write_text('1')
    app, rt, cli = mk()
    app.static_route_exts(prefix='/assets', static_path=str(tmp_path))
    assert cli.get('/assets/app.js').text == '1'
    assert cli.get('/app.js').status_code == 404


def test_static_route_single_extension(tmp_path):
    (tmp_path / 'README.md').write_text('# FastHTML')
    app, rt, cli = mk()
    app.static_route('.md', static_path=str(tmp_path))
    assert cli.get('/README.md').text == '# FastHTML'
    assert cli.get('/OTHER.md').status_code == 404


def test_spec_static_file_handler(tmp_path, monkeypatch):
    "The to-do walkthrough's own static handler: `@rt('/{fname:path}.{ext:static}')` with FileResponse."
    from starlette.responses import FileResponse
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'favicon.ico').write_bytes(b'icon')
    app, rt, cli = mk()

    @rt('/{fname:path}.{ext:static}')
    def get(fname: str, ext: str):
        return FileResponse(f'{fname}.{ext}')
    assert cli.get('/favicon.ico').content == b'icon'


# ---------------------------------------------------------------------------------------------------------------
# Mounting

def test_mount_a_starlette_sub_app():
    sub = Starlette(routes=[Route('/ping', lambda req: PlainTextResponse('pong'))])
    app = FastHTML(secret_key='x', routes=[Mount('/sub', sub)])

    @app.route('/')
    def get():
        return 'main'
    cli = Client(app)
    assert cli.get('/sub/ping').text == 'pong'
    assert cli.get('/').text == 'main'


def test_mount_a_fasthtml_app_keeps_its_own_layout_and_params(kind):
    sub = FastHTML(secret_key='x', title='Sub app')

    def item(id: int, q: str = 'none'):
        return P(f'item {id} {q}')
    sub.route('/item/{id}')(variant(kind, item))
    app = FastHTML(secret_key='x', title='Main app')
    app.mount('/sub', sub)
    cli = Client(app)
    page = cli.get('/sub/item/3?q=hi').text
    assert '<title>Sub app</title>' in page
    assert '<p>item 3 hi</p>' in page
    assert cli.get('/sub/item/3', headers=HX).text == '<p>item 3 none</p>'
    assert cli.get('/sub/item/x').status_code == 404


# ---------------------------------------------------------------------------------------------------------------
# Class routes (the original's answers, compared black-box)

def _card_methods(kind):
    "A class route whose verb methods are sync or async."
    def get(self, id: int):
        return P(f'get {id} {self!r}')

    def post(self, id: int, x: str = 'd'):
        return P(f'post {id} {x}')

    def delete(self, id: int):
        return f'del {id}'

    def helper(self):
        return 'not a route'
    return type('CardMethods', (), {'get': variant(kind, get), 'post': variant(kind, post),
                                    'delete': variant(kind, delete), 'helper': helper})


def test_class_route_serves_its_verb_methods(kind):
    app, rt, cli = mk()
    cards = rt('/cards/{id}')(_card_methods(kind))
    assert cli.get('/cards/3', headers=HX).text == '<p>get 3 None</p>'  # `self` is None, as in FastHTML
    assert cli.post('/cards/3', data={'x': 'y'}, headers=HX).text == '<p>post 3 y</p>'
    assert cli.delete('/cards/4').text == 'del 4'
    assert cli.put('/cards/4').status_code == 405
    assert cli.get('/cards/3/helper').status_code == 404
    assert [(r.path, sorted(r.methods), r.name) for r in app.routes if r.path == '/cards/{id}'] == [
        ('/cards/{id}', ['GET', 'HEAD'], 'cardMethods'), ('/cards/{id}', ['POST'], 'cardMethods'),
        ('/cards/{id}', ['DELETE'], 'cardMethods')]
    assert str(cards) == '/cards/{id}' and cards.to(id='x') == '/cards/x' and cards.to(id=1, b=None) == '/cards/1?b='
    assert cards.__name__ == 'CardMethods' and cards.helper(None) == 'not a route'
    assert type(cards()).__name__ == 'CardMethods'  # calling it makes an instance
    assert app.rt_funcs.cardMethods is cards


def test_class_route_path_from_the_class_name():
    app, rt, cli = mk()

    @rt
    class MyBigThing:
        def get(self):
            return 'mbt'
    assert str(MyBigThing) == '/myBigThing'
    assert cli.get('/myBigThing').text == 'mbt'
    assert cli.get('/mybigthing').status_code == 404
    with pytest.raises(TypeError, match='no HTTP verb methods'):
        @rt
        class Empty:
            def helper(self):
                return 1


def test_class_route_on_api_router_includes_the_prefix(kind):
    app, rt, cli = mk()
    ar = APIRouter('/api')
    cards = ar('/c/{id}')(_card_methods(kind))

    @ar
    class Other:
        def post(self, req):
            return 'other'
    assert str(cards) == '/api/c/{id}' and cards.to(id=4) == '/api/c/4' and str(Other) == '/api/other'
    assert ar.cardMethods is cards and ar.rt_funcs.other is Other
    ar.to_app(app)
    assert cli.get('/api/c/5', headers=HX).text == '<p>get 5 None</p>' and cli.post('/api/other').text == 'other'


# ---------------------------------------------------------------------------------------------------------------
# APIRouter prefix and names, as FastHTML makes them

def test_api_router_joins_prefix_and_path_as_given():
    app, rt, cli = mk()
    ar = APIRouter(prefix='/v1')

    @ar('/items')
    def items():
        return 'items'

    @ar('/')
    def root():
        return 'root'
    slash = APIRouter('/api/')

    @slash('/x')
    def x():
        return 'x'
    assert (ar.prefix, slash.prefix, APIRouter().prefix) == ('/v1', '/api/', '')
    assert (str(items), str(root), str(x)) == ('/v1/items', '/v1/', '/api//x')
    ar.to_app(app)
    slash.to_app(app)
    assert cli.get('/v1/').text == 'root' and cli.get('/v1/items').text == 'items'
    assert cli.get('/v1', follow_redirects=False).status_code == 307  # Starlette's slash redirect, as in FastHTML
    assert cli.get('/api//x').text == 'x' and cli.get('/api/x').status_code == 404


def test_api_router_names_by_attribute_and_rt_funcs():
    ar = APIRouter('/v1')

    @ar.get('/x/{id}', name='getx')
    def getx(id: int):
        return f'x{id}'
    assert ar.getx is ar.rt_funcs.getx and ar.getx.to(id=1) == '/v1/x/1'
    with pytest.raises(AttributeError, match='No route named nope found in route functions'):
        _ = ar.rt_funcs.nope
    with pytest.raises(AttributeError):
        _ = ar.nope


# ---------------------------------------------------------------------------------------------------------------
# Host-restricted routes

def test_host_restricted_route_next_to_an_unrestricted_one(kind):
    app, rt, cli = mk()
    rt('/', host='example.org')(variant(kind, lambda: P('org')))
    rt('/', name='plain')(variant(kind, lambda: P('plain')))
    rt('/only', host='a.test')(variant(kind, lambda: P('only')))
    from fasthtml.starlette import TestClient
    for host, home, only in [('example.org', 'org', 404), ('EXAMPLE.ORG:8000', 'org', 404),
                             ('other.net', 'plain', 404), ('a.test', 'plain', 200)]:
        c = TestClient(app, base_url=f'http://{host}')
        assert c.get('/', headers=HX).text == f'<p>{home}</p>'
        r = c.get('/only', headers=HX)
        assert r.status_code == only and r.text == ('<p>only</p>' if only == 200 else '404 Not Found')


# ---------------------------------------------------------------------------------------------------------------
# Per-route Beforeware

def test_route_beforeware_runs_after_the_apps_in_order_and_can_answer(kind):
    log = []

    def gb(req):
        log.append('global')
    app, rt, cli = mk(before=gb)

    def f(req, session, x: int = 0):
        log.append(f'f x={x}')
        if x == 1:
            return P('blocked')
        if x == 2:
            raise HTTPException(403, 'nope')
        if x == 3:
            return Redirect('/other')

    async def g(htmx, auth):
        log.append(f'g {bool(htmx)}')

    def a(x: int = 0):
        log.append('handler')
        return P(f'a {x}')
    rt('/a', before=variant(kind, f))(variant(kind, a))
    rt('/b', before=(variant(kind, f), g))(variant(kind, a))
    rt('/c', before=[g, f])(variant(kind, a))
    rt('/d', before=Beforeware(f, skip=['/d']))(variant(kind, a))
    expect = [('/a', 200, '<p>a 0</p>', ['global', 'f x=0', 'handler']),
              ('/a?x=1', 200, '<p>blocked</p>', ['global', 'f x=1']),
              ('/a?x=2', 403, 'nope', ['global', 'f x=2']),
              ('/b', 200, '<p>a 0</p>', ['global', 'f x=0', 'g True', 'handler']),
              ('/b?x=1', 200, '<p>blocked</p>', ['global', 'f x=1']),
              ('/c?x=1', 200, '<p>blocked</p>', ['global', 'g True', 'f x=1']),
              ('/d?x=1', 200, '<p>a 1</p>', ['global', 'handler'])]  # Beforeware objects keep their `skip`
    for url, status, text, calls in expect:
        log.clear()
        r = cli.get(url, headers=HX)
        assert (r.status_code, r.text, log) == (status, text, calls), url
    r = cli.get('/a?x=3', headers=HX)
    assert r.headers['hx-redirect'] == '/other'


def test_route_beforeware_on_api_router(kind):
    app, rt, cli = mk()
    ar = APIRouter('/r')
    def block(x: str = ''):
        return P('blocked') if x == '1' else None
    ar.get('/x', before=block)(variant(kind, lambda: P('rx')))
    ar.to_app(app)
    assert cli.get('/r/x?x=1', headers=HX).text == '<p>blocked</p>'
    assert cli.get('/r/x?x=2', headers=HX).text == '<p>rx</p>'


# ---------------------------------------------------------------------------------------------------------------
# Lifespan hooks, devtools JSON, test clients

def test_on_event_and_set_lifespan():
    from fasthtml.starlette import TestClient
    log = []
    app, rt, cli = mk(on_startup=[lambda: log.append('init')])

    @app.on_event('startup')
    async def s1():
        log.append('start')

    @app.on_event('shutdown')
    def s2():
        log.append('stop')
    assert callable(s1)
    rt('/')(lambda: 'hi')
    with TestClient(app) as c:
        log.append(c.get('/').text)
    assert log == ['init', 'start', 'hi', 'stop']
    with pytest.raises(AttributeError):
        app.on_event('bogus')

    log.clear()

    async def ls(a):
        log.append('in')
        yield {'x': 1}
        log.append('out')
    assert app.set_lifespan(ls) is None
    app.on_event('startup')(lambda: log.append('ignored'))  # FastHTML's set_lifespan replaces the lifespan
    rt('/x')(lambda req: str(req.state.x))
    with TestClient(app) as c:
        log.append(c.get('/x').text)
    assert log == ['in', '1', 'out']


def test_devtools_json(tmp_path, monkeypatch):
    import uuid
    monkeypatch.chdir(tmp_path)
    in_tmp = tmp_path
    app, rt, cli = mk()
    assert app.devtools_json() is None
    r = cli.get('/.well-known/appspecific/com.chrome.devtools.json')
    root = str(in_tmp.absolute())
    assert r.headers['content-type'] == 'application/json'
    assert r.json() == {'workspace': {'root': root, 'uuid': str(uuid.uuid5(uuid.NAMESPACE_URL, root))}}
    app.devtools_json(path='/some/dir', uuid='1234')  # replaces the route
    assert cli.post('/.well-known/appspecific/com.chrome.devtools.json').text == \
        '{"workspace":{"root":"/some/dir","uuid":"1234"}}'
    assert [r.name for r in app.routes].count('devtools_json_devtools') == 1


def test_get_testclient_holds_the_session(kind):
    app, rt, cli = mk()

    def index(session):
        return f'sess={dict(session)}'
    rt('/')(variant(kind, index))
    tc = app.get_testclient(auth='alice', n=3)
    assert type(tc).__name__ == 'FastHTMLTestClient'
    assert tc.get('/').text == "sess={'auth': 'alice', 'n': 3}"
    assert app.decode_session(tc.cookies.get('session_')) == {'auth': 'alice', 'n': 3}
    assert app.get_testclient().get('/').text == 'sess={}'
    import itsdangerous
    with pytest.raises(itsdangerous.BadSignature):
        app.decode_session('garbage')
    c = app.get_client(user='bob')
    assert app.decode_session(c.cookies['session_']) == {'user': 'bob'}
    assert type(app.get_client(asink=True)).__name__ == 'AsyncClient'
