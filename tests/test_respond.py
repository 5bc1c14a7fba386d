"""Responses: every row of the conversion table in `_respond`, page layout vs HTMX fragments, head hoisting,
redirects, headers, cookies, FtResponse, background tasks, event streams, the once-rendered head, and toasts."""
import inspect
import json
import uuid
import warnings
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path

import pytest
from starlette.background import BackgroundTask, BackgroundTasks
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from variants import as_async
from variants import variant as variant_of

from fasthtml._respond import to_response
from fasthtml.components import (
    H1,
    H4,
    Base,
    Body,
    Div,
    Head,
    Html,
    Link,
    Meta,
    P,
    Span,
    Style,
    Title,
    sse_message,
    to_xml,
)
from fasthtml.core import (
    Client,
    EventStream,
    FastHTML,
    FtResponse,
    HtmxResponseHeaders,
    HttpHeader,
    Redirect,
    cookie,
    flat_tuple,
    flat_xt,
    noop_body,
    respond,
)
from fasthtml.toaster import add_toast, setup_toasts
from fasthtml.xtend import Titled

HX = {'HX-Request': '1'}


@pytest.fixture(params=[False, True], ids=['plain', 'htmx'])
def hx(request):
    return request.param


def serve(value_fn, kind='sync', hx=False, method='get', **app_kw):
    "Serve one handler returning `value_fn()` at /x and fetch it."
    app = FastHTML(secret_key='x', **app_kw)
    app.route('/x', methods=[method])(value_fn if kind == 'sync' else as_async(value_fn))
    return Client(app).request(method.upper(), '/x', headers=HX if hx else {}, follow_redirects=False)


def head_of(html):
    return html[html.index('<head>'):html.index('</head>')]


def body_of(html):
    return html[html.index('<body'):html.index('</body>')]


# ---------------------------------------------------------------------------------------------------------------
# The table, row by row

def test_response_passes_through(kind, hx):
    r = serve(lambda: PlainTextResponse('plain', status_code=202, headers={'x-a': '1'}), kind, hx)
    assert (r.status_code, r.text, r.headers['x-a']) == (202, 'plain', '1')
    assert r.headers['content-type'].startswith('text/plain')


def test_object_with_dunder_response(kind, hx):
    class Teapot:
        def __response__(self, req):
            return P('short and stout', id=req.url.path.strip('/'))
    r = serve(lambda: Teapot(), kind, hx)
    # The result is converted again, so FT from `__response__` gets the usual page or fragment.
    if hx:
        assert r.text == '<p id="x">short and stout</p>'
    else:
        assert '<body><p id="x">short and stout</p></body>' in r.text


def test_none_is_an_empty_200(kind, hx):
    r = serve(lambda: None, kind, hx)
    assert (r.status_code, r.text) == (200, '')
    assert r.headers['content-type'].startswith('text/html')


def test_str_is_unescaped_html(kind, hx):
    r = serve(lambda: '<b>Hi there</b>', kind, hx)
    assert r.text == '<b>Hi there</b>'
    assert r.headers['content-type'] == 'text/html; charset=utf-8'


def test_http_header_alone(kind, hx):
    "As in FastHTML: no content is an empty fragment for htmx, and the (empty) page for a browser."
    r = serve(lambda: HttpHeader('mykey', 'myval'), kind, hx)
    assert (r.status_code, r.headers['mykey']) == (200, 'myval')
    assert r.text == '' if hx else body_of(r.text) == '<body>'


def test_background_task_alone_runs(kind):
    ran = []
    r = serve(lambda: BackgroundTask(ran.append, 'done'), kind, True)
    assert (r.status_code, r.text, ran) == (200, '', ['done'])


def test_tuple_pulls_out_headers_and_tasks(kind, hx):
    ran = []

    async def atask(x):
        ran.append(x)
    tasks = BackgroundTasks()
    tasks.add_task(ran.append, 'many-1')
    tasks.add_task(atask, 'many-2')
    r = serve(lambda: (P('a'), HttpHeader('x-one', '1'), BackgroundTask(atask, 'single'), [P('b'), None],
                       HttpHeader('x-two', '2'), tasks), kind, hx)
    assert r.headers['x-one'] == '1' and r.headers['x-two'] == '2'
    assert sorted(ran) == ['many-1', 'many-2', 'single']
    if hx:
        assert r.text == '<p>a</p><p>b</p>'
    else:
        assert '<body><p>a</p><p>b</p></body>' in r.text


def test_tuple_of_one_non_ft_value_converts_that_value(kind):
    r = serve(lambda: ({'a': 1}, HttpHeader('x-k', 'v')), kind)
    assert r.json() == {'a': 1} and r.headers['x-k'] == 'v'
    r = serve(lambda: ('<i>s</i>', cookie('c', 'v')), kind)
    assert r.text == '<i>s</i>' and r.headers['set-cookie'].startswith('c=v;')
    r = serve(lambda: (Redirect('/there'), HttpHeader('x-k', 'v')), kind)
    assert r.status_code == 303 and r.headers['location'] == '/there' and r.headers['x-k'] == 'v'


VARY = ('vary', 'HX-Request, HX-History-Restore-Request')


def test_header_order_and_vary_as_the_original(kind, hx):
    "FastHTML's raw header order: vary, the handler's headers, then content-length and content-type."
    def items(r):
        return [(k, v) for k, v in r.headers.items() if k != 'content-length']
    html = ('content-type', 'text/html; charset=utf-8')
    r = serve(lambda: (P('x'), HttpHeader('mykey', 'myval'), cookie('c', 'v')), kind, hx)
    assert items(r) == [VARY, ('mykey', 'myval'), ('set-cookie', 'c=v; Path=/; SameSite=lax'), html]
    assert items(serve(lambda: (3, HttpHeader('x-k', 'v')), kind, hx)) == [VARY, ('x-k', 'v'), html]
    # a returned dict is JSON with the same vary header
    for value in ({'a': 1}, [{'a': 1}]):
        r = serve((lambda v: lambda: v)(value), kind, hx)
        assert (r.text, items(r)) == ('{"a":1}', [VARY, ('content-type', 'application/json')])
    r = serve(lambda: ({'a': 1}, HttpHeader('x-k', 'v')), kind, hx)
    assert items(r) == [VARY, ('x-k', 'v'), ('content-type', 'application/json')]


def test_headers_beside_a_response_are_applied(kind):
    # The original drops them (a Response in the tuple is sent as it is); ours adds them after its own.
    r = serve(lambda: (PlainTextResponse('p'), HttpHeader('x-k', 'v')), kind)
    assert [(k, v) for k, v in r.headers.items() if k != 'content-length'] == \
        [('content-type', 'text/plain; charset=utf-8'), ('x-k', 'v')]


def test_tuple_of_only_headers_is_empty_200(kind):
    r = serve(lambda: (HttpHeader('a', '1'), HttpHeader('b', '2')), kind, True)
    assert (r.status_code, r.text, r.headers['a'], r.headers['b']) == (200, '', '1', '2')


@pytest.mark.parametrize('value', [[], ()])
def test_empty_list_or_tuple_is_an_empty_fragment_or_the_empty_page(kind, hx, value):
    r = serve(lambda: value, kind, hx)
    assert r.status_code == 200 and r.headers['content-type'] == 'text/html; charset=utf-8'
    assert r.text == '' if hx else body_of(r.text) == '<body>'


def test_ft_and_ft_objects(kind, hx):
    @dataclass
    class Todo:
        id: int
        title: str

        def __ft__(self):
            return Div(self.title, id=f'todo-{self.id}')
    r = serve(lambda: Todo(1, 'milk'), kind, hx)
    assert ('<div id="todo-1">milk</div>' == r.text) if hx else ('<body><div id="todo-1">milk</div>' in r.text)
    r = serve(lambda: [Todo(1, 'a'), Todo(2, 'b')], kind, hx)
    assert '<div id="todo-1">a</div><div id="todo-2">b</div>' in r.text
    r = serve(lambda: (Todo(3, 'c'),), kind, hx)
    assert '<div id="todo-3">c</div>' in r.text


def test_dict_is_json_and_a_list_is_content(kind, hx):
    "As in FastHTML, a list is content like a tuple (its items as text, escaped); a one-item list is that item."
    r = serve(lambda: {'name': 'Bar', 'n': [1, 2]}, kind, hx)
    assert r.json() == {'name': 'Bar', 'n': [1, 2]}
    assert r.headers['content-type'] == 'application/json'
    r = serve(lambda: [1, 'two<', 3], kind, hx)
    assert r.headers['content-type'] == 'text/html; charset=utf-8'
    assert r.text == '1two&lt;3' if hx else body_of(r.text) == '<body>1two&lt;3'
    r = serve(lambda: [{'three': 3}], kind, hx)
    assert r.json() == {'three': 3}


def test_bytes_are_octet_stream(kind):
    r = serve(lambda: b'\x00\x01', kind)
    assert r.content == b'\x00\x01' and r.headers['content-type'] == 'application/octet-stream'


def test_dunder_html(kind):
    class Markup:
        def __html__(self):
            return '<em>m</em>'
    assert serve(lambda: Markup(), kind).text == '<em>m</em>'


def test_numbers_are_text(kind):
    assert serve(lambda: 42, kind).text == '42'
    assert serve(lambda: 2.5, kind).text == '2.5'


class Mood(Enum):
    happy = 'happy'


@pytest.mark.parametrize('value, text', [
    (Path('foo.txt'), 'foo.txt'),
    (Path('<x>.txt'), '&lt;x&gt;.txt'),  # shown as text, never markup
    (datetime(2024, 5, 17, 14), '2024-05-17 14:00:00'),
    (date(2024, 5, 17), '2024-05-17'),
    (Decimal('1.50'), '1.50'),
    (uuid.UUID(int=1), '00000000-0000-0000-0000-000000000001'),
    (Mood.happy, 'Mood.happy'),
])
def test_plain_values_are_escaped_text(value, text, kind):
    r = serve(lambda: value, kind)
    assert r.status_code == 200 and r.text == text


def test_anything_else_is_its_text_as_in_the_original(kind, hx):
    class Obj:
        def __str__(self):
            return '<b>o</b>'
    r = serve(lambda: Obj(), kind, hx)
    assert (r.status_code, r.text) == (200, '<b>o</b>')
    r = serve(lambda: {'<x>'}, kind, hx)
    assert r.text == "{'<x>'}"


def test_a_coroutine_is_a_type_error_naming_the_handler():
    app = FastHTML(secret_key='x')

    async def later():
        return 1

    @app.get('/bad')
    def my_handler():
        return later()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)  # the coroutine is never awaited
        with pytest.raises(TypeError, match=r"my_handler returned 'coroutine'.*missing `await`"):
            Client(app).get('/bad')


def test_missing_file_response_is_the_originals_404(kind, hx, tmp_path):
    r = serve(lambda: FileResponse(tmp_path / 'nope.txt'), kind, hx)
    assert (r.status_code, r.text) == (404, '404 Not Found')
    (tmp_path / 'yes.txt').write_text('hi')
    assert serve(lambda: FileResponse(tmp_path / 'yes.txt'), kind, hx).text == 'hi'


def test_http_header_inside_ft_response_sets_the_header(kind, hx):
    r = serve(lambda: FtResponse((P('x'), HttpHeader('X-Z', 'q')), status_code=201), kind, hx)
    assert (r.status_code, r.headers['x-z']) == (201, 'q')
    assert 'HttpHeader' not in r.text and '<p>x</p>' in r.text


def test_to_response_can_be_called_directly():
    req = Request({'type': 'http', 'method': 'GET', 'path': '/', 'headers': [(b'hx-request', b'1')],
                   'query_string': b''})
    assert to_response(req, P('x')).body == b'<p>x</p>'
    assert to_response(req, {'a': 1}).body == b'{"a":1}'


# ---------------------------------------------------------------------------------------------------------------
# Full pages and fragments

def test_full_page_layout(kind):
    r = serve(lambda: (Title('Foo'), H1('bar')), kind, title='App title', hdrs=[Style('p{}')], ftrs=[P('foot')],
              htmlkw={'lang': 'en'}, data_theme='dark', hx_boost='true')
    html = r.text
    assert html.startswith('<!doctype html><html lang="en"><head><title>Foo</title>')
    assert 'App title' not in html
    head = head_of(html)
    assert '<meta charset="utf-8">' in head and 'name="viewport"' in head
    assert 'htmx.org@2' in head and 'fasthtml-js' in head and 'surreal' in head and 'css-scope-inline' in head
    assert head.index('htmx.org') < head.index('<style>p{}</style>')
    assert '<body data-theme="dark" hx-boost="true"><h1>bar</h1><p>foot</p></body></html>' in html


def test_fragment_for_htmx_keeps_the_returned_title(kind):
    r = serve(lambda: (Title('Foo'), H1('bar')), kind, hx=True, title='App title')
    assert r.text == '<title>Foo</title><h1>bar</h1>'
    assert serve(lambda: H1('bar'), kind, hx=True).text == '<h1>bar</h1>'


def test_default_title_on_full_pages_only(kind):
    r = serve(lambda: P('x'), kind, title='My <App>')
    assert '<title>My &lt;App&gt;</title>' in r.text
    assert serve(lambda: P('x'), kind, hx=True, title='My App').text == '<p>x</p>'


def test_titled_sets_the_page_title(kind, hx):
    r = serve(lambda: Titled('FastHTML', P("Let's do this!")), kind, hx)
    if hx:
        assert r.text == '<title>FastHTML</title><main class="container"><h1>FastHTML</h1><p>Let\'s do this!</p></main>'
    else:
        assert '<head><title>FastHTML</title>' in r.text
        assert '<body><main class="container"><h1>FastHTML</h1><p>' in r.text


def test_head_elements_are_hoisted_into_head(kind):
    "Handling handlers: `((Title('hi'), H1('hi')), (Meta(property='image'), Meta(property='site_name')))`."
    r = serve(lambda: ((Title('hi'), H1('hi')), (Meta(property='image'), Meta(property='site_name')),
                       Link(rel='stylesheet', href='/a.css'), Style('h1{}'), Base(href='/')), kind, method='post')
    head, body = head_of(r.text), body_of(r.text)
    assert head.startswith('<head><title>hi</title><meta property="image"><meta property="site_name">'
                           '<link rel="stylesheet" href="/a.css"><style>h1{}</style><base href="/">'
                           '<link rel="canonical" href="https://testserver/x"><meta charset')
    assert body == '<body><h1>hi</h1>'


def test_head_elements_stay_in_htmx_fragments(kind):
    r = serve(lambda: (Title('hi'), H1('hi'), Meta(property='image')), kind, hx=True)
    assert r.text == '<title>hi</title><h1>hi</h1><meta property="image">'


def test_history_restore_request_gets_a_full_page(kind):
    app = FastHTML(secret_key='x')
    app.route('/x')((lambda: (Title('T'), P('x'))) if kind == 'sync' else as_async(lambda: (Title('T'), P('x'))))
    r = Client(app).get('/x', headers={'HX-Request': 'true', 'HX-History-Restore-Request': 'true'})
    assert r.text.startswith('<!doctype html>') and '<body><p>x</p>' in r.text
    assert 'HX-Request' in r.headers['vary'] and 'HX-History-Restore-Request' in r.headers['vary']


def test_returned_document_is_not_wrapped(kind, hx):
    r = serve(lambda: Html(Head(Title('hi')), Body(P('there'))), kind, hx)
    assert r.text == '<!doctype html><html><head><title>hi</title></head><body><p>there</p></body></html>'
    r = serve(lambda: Html(Div('Text.')), kind, hx)
    assert r.text == '<!doctype html><html><div>Text.</div></html>'


def test_returned_body_is_content_of_the_page_body(kind):
    # As FastHTML: nested in the page's body (a browser merges the two, the page's attributes winning)
    r = serve(lambda: Body(H4('Next is 2.'), cls='page'), kind, data_x='1')
    assert '<body data-x="1"><body class="page"><h4>Next is 2.</h4></body></body></html>' in r.text
    r = serve(lambda: Body(H4('Next is 2.')), kind, hx=True)
    assert r.text == '<body><h4>Next is 2.</h4></body>'


def test_compact_html_not_indented():
    "Ours: pages are rendered compactly (the original indents them)."
    r = serve(lambda: Div(P('a'), P('b')))
    assert '\n' not in body_of(r.text)


@pytest.mark.parametrize('nargs', [1, 2])
def test_body_wrap_with_one_or_two_arguments(nargs, kind, hx):
    if nargs == 1:
        def wrap(content):
            return Div(*content, cls='wrapped')
    else:
        def wrap(content, req):
            return Div(*content, P(req.url.path), cls='wrapped')
    r = serve(lambda: (Title('t'), P('x')), kind, hx, body_wrap=wrap)
    if hx:
        assert r.text == '<title>t</title><p>x</p>'
    else:
        extra = '' if nargs == 1 else '<p>/x</p>'
        assert f'<body><div class="wrapped"><p>x</p>{extra}</div></body>' in r.text


def test_route_body_wrap_overrides_the_app_one():
    app = FastHTML(secret_key='x', body_wrap=lambda c, req: Div(*c, cls='app'))

    @app.get('/own', body_wrap=lambda c: Div(*c, cls='route'))
    def own():
        return P('x')

    @app.get('/default')
    def default():
        return P('x')
    cli = Client(app)
    assert '<div class="route"><p>x</p></div>' in cli.get('/own').text
    assert '<div class="app"><p>x</p></div>' in cli.get('/default').text


def test_static_head_is_rendered_once_not_per_request():
    calls = []

    class Counted:
        def __ft__(self):
            calls.append(1)
            return Meta(name='counted')
    app = FastHTML(secret_key='x', hdrs=[Counted()])

    @app.get('/')
    def index():
        return P('x')
    cli = Client(app)
    for _ in range(5):
        assert '<meta name="counted">' in cli.get('/').text
    assert len(calls) == 1
    # Changing the app's headers is picked up (the cache is keyed on them).
    app.hdrs.append(Meta(name='later'))
    assert '<meta name="later">' in cli.get('/').text
    assert len(calls) == 2


def test_respond_and_helpers():
    page = respond(None, [Title('t')], [P('b')])
    assert to_xml(page) == '<!doctype html><html><head><title>t</title></head><body><p>b</p></body></html>'
    # one level, as the original (compared black-box); responses flatten at any depth (flat_all)
    assert flat_xt([1, (2, [3, (4,)]), P('x')])[:3] == (1, 2, [3, (4,)])
    assert flat_xt((Div('a'), [P('b'), (Span('c'),)], None, 'x'))[2] == (Span('c'),)
    assert flat_xt('abc') == ('abc',) and flat_xt(P('x'))[0].tag == 'p' and flat_xt(iter([1, [2]])) == (1, 2)
    assert flat_tuple(5) == (5,) and flat_tuple([1, [2]]) == (1, 2)
    assert noop_body('c', None) == 'c'


# ---------------------------------------------------------------------------------------------------------------
# Redirects, headers, cookies

def test_redirect_is_303_for_plain_and_hx_redirect_for_htmx(kind, hx):
    r = serve(lambda: Redirect('http://example.org'), kind, hx)
    if hx:
        assert r.status_code == 200 and r.headers['hx-redirect'] == 'http://example.org'
        assert 'location' not in r.headers
        assert [k for k, _ in r.headers.items()] == ['vary', 'hx-redirect', 'content-length', 'content-type']
        assert r.headers['vary'] == 'HX-Request, HX-History-Restore-Request'
    else:
        assert r.status_code == 303 and r.headers['location'] == 'http://example.org'


def test_redirect_encodes_control_characters():
    assert Redirect('/x\r\nSet-Cookie: a=b').loc == '/x%0D%0ASet-Cookie: a=b'
    assert Redirect('/ok?a=1#f').loc == '/ok?a=1#f'


def test_redirect_response_passes_through(kind, hx):
    r = serve(lambda: RedirectResponse('/login', status_code=303), kind, hx)
    assert r.status_code == 303 and r.headers['location'] == '/login'


def test_http_header_in_tuple(kind, hx):
    app = FastHTML(secret_key='x')
    app.chk = 'foo'

    def h(foo: FastHTML):
        return foo.chk, HttpHeader('mykey', 'myval')
    app.get('/app2')(h if kind == 'sync' else as_async(h))
    r = Client(app).get('/app2', headers=HX if hx else {})
    assert r.headers['mykey'] == 'myval'
    assert r.text == 'foo'


def test_http_header_refuses_crlf():
    with pytest.raises(ValueError):
        HttpHeader('x', 'a\r\nb: c')
    with pytest.raises(ValueError):
        HttpHeader('x\n', 'a')


def test_htmx_response_headers(kind):
    r = serve(lambda: HtmxResponseHeaders(location='http://example.org'), kind, True)
    assert r.headers['hx-location'] == 'http://example.org' and r.text == ''
    r = serve(lambda: HtmxResponseHeaders(location='http://example.org'), kind)  # a browser: the empty page
    assert r.headers['hx-location'] == 'http://example.org' and body_of(r.text) == '<body>'
    r = serve(lambda: (P('x'), HtmxResponseHeaders(trigger={'ev': {'a': 1}}, reswap='outerHTML', push_url=False,
                                                   retarget='#t', trigger_after_settle='done')), kind, hx=True)
    assert json.loads(r.headers['hx-trigger']) == {'ev': {'a': 1}}
    assert r.headers['hx-reswap'] == 'outerHTML'
    assert r.headers['hx-push-url'] == 'false'
    assert r.headers['hx-retarget'] == '#t'
    assert r.headers['hx-trigger-after-settle'] == 'done'
    assert r.text == '<p>x</p>'


def test_htmx_response_headers_keep_call_order():
    # As FastHTML: the headers come in the order the keywords were given (the signature still lists every name)
    assert HtmxResponseHeaders(trigger='ev', location='/l', reswap='outerHTML') == (
        HttpHeader('HX-Trigger', 'ev'), HttpHeader('HX-Location', '/l'), HttpHeader('HX-Reswap', 'outerHTML'))
    assert HtmxResponseHeaders(push_url='/p', trigger=None) == HttpHeader('HX-Push-Url', '/p')
    ps = inspect.signature(HtmxResponseHeaders).parameters
    assert list(ps)[:3] == ['location', 'push_url', 'redirect'] and len(ps) == 11
    assert all(p.kind is p.KEYWORD_ONLY and p.default is None for p in ps.values())
    with pytest.raises(TypeError, match='bogus'):
        HtmxResponseHeaders(bogus=1)


def test_flat_tuple_splices_one_level():
    assert flat_tuple([1, (2, [3]), None]) == (1, 2, [3], None)
    assert flat_tuple((1, [2, (3,)])) == (1, 2, (3,))
    assert (flat_tuple(None), flat_tuple(1), flat_tuple('ab')) == ((None,), (1,), ('ab',))


def test_cookie_helper():
    assert cookie('now', 'v') == HttpHeader('set-cookie', 'now=v; Path=/; SameSite=lax')
    h = cookie('k', 'a b', max_age=60, path='/p', domain='example.org', secure=True, httponly=True,
               samesite='strict')
    assert h.k == 'set-cookie'
    for part in ('k="a b"', 'Max-Age=60', 'Path=/p', 'Domain=example.org', 'Secure', 'HttpOnly', 'SameSite=strict'):
        assert part in h.v
    with pytest.raises(ValueError, match='samesite'):
        cookie('k', 'v', samesite='sometimes')


def test_cookie_round_trip_with_parsed_date(kind):
    "Handling handlers: set a datetime cookie, read it back as `now: parsed_date`."
    from fasthtml.core import parsed_date
    app = FastHTML(secret_key='x')
    stamp = datetime(2024, 9, 26, 15, 33, 48, 141869)

    def setter():
        return P(f'Set to {stamp}'), cookie('now', stamp)

    def getter(now: parsed_date):
        return f'Cookie was set at time {now.time()}'
    app.get('/settimestamp')(setter if kind == 'sync' else as_async(setter))
    app.get('/gettimestamp')(getter if kind == 'sync' else as_async(getter))
    cli = Client(app)
    r = cli.get('/settimestamp')
    assert 'now="2024-09-26 15:33:48.141869"; Path=/; SameSite=lax' in r.headers['set-cookie']
    assert '<p>Set to 2024-09-26 15:33:48.141869</p>' in r.text
    assert cli.get('/gettimestamp').text == 'Cookie was set at time 15:33:48.141869'


# ---------------------------------------------------------------------------------------------------------------
# FtResponse, background tasks, event streams

def test_ft_response_status_headers_and_layout(kind, hx):
    r = serve(lambda: FtResponse(Titled('Created', P('ok')), status_code=201, headers={'x-id': '7'}), kind, hx)
    assert r.status_code == 201 and r.headers['x-id'] == '7'
    assert [k for k, _ in r.headers.items()] == ['x-id', 'vary', 'content-length', 'content-type']  # FastHTML's order
    if hx:
        assert r.text.startswith('<title>Created</title><main class="container">')
    else:
        assert r.text.startswith('<!doctype html>') and '<head><title>Created</title>' in r.text


def test_ft_response_cls_and_media_type(kind):
    r = serve(lambda: FtResponse(P('x'), cls=PlainTextResponse), kind, hx=True)
    assert r.text == '<p>x</p>' and r.headers['content-type'].startswith('text/plain')
    assert r.headers['vary'] == 'HX-Request, HX-History-Restore-Request'  # whatever the class, as FastHTML
    r = serve(lambda: FtResponse(P('x'), headers={'Vary': 'Cookie'}), kind, hx=True)
    assert r.headers['vary'] == 'Cookie, HX-Request, HX-History-Restore-Request'
    r = serve(lambda: FtResponse(P('x'), media_type='application/xhtml+xml'), kind, hx=True)
    assert r.headers['content-type'].startswith('application/xhtml+xml')
    r = serve(lambda: FtResponse(P('x'), cls=JSONResponse), kind, hx=True)
    assert r.json() == '<p>x</p>'


def test_ft_response_with_background_task_in_tuple(kind):
    ran = []
    r = serve(lambda: (FtResponse(P('x'), status_code=202), BackgroundTask(ran.append, 1), HttpHeader('a', 'b')),
              kind, hx=True)
    assert (r.status_code, r.text, r.headers['a'], ran) == (202, '<p>x</p>', 'b', [1])


def test_response_background_and_tuple_tasks_both_run(kind):
    ran = []
    r = serve(lambda: (Response('r', background=BackgroundTask(ran.append, 'own')), BackgroundTask(ran.append, 'tup')),
              kind)
    assert r.text == 'r' and ran == ['own', 'tup']


def test_event_stream_shape(kind):
    async def gen():
        for i in range(3):
            yield sse_message(P(f'n{i}'))
        yield sse_message(Div('done'), event='close')
    app = FastHTML(secret_key='x')
    app.get('/x')(variant_of(kind, lambda: EventStream(gen())))
    # Inside the app's lifespan, as under a server: a stream ends early once a server shutdown has begun, and an
    # earlier test's app may have shut down in this process.
    with Client(app).cli as cli:
        r = cli.get('/x')
    assert r.headers['content-type'].startswith('text/event-stream')
    assert r.headers['cache-control'] == 'no-cache'
    assert r.text == ''.join(f'data: <p>n{i}</p>\n\n' for i in range(3)) + 'event: close\ndata: <div>done</div>\n\n'


# ---------------------------------------------------------------------------------------------------------------
# Exception handlers

def test_exception_handler_ft_gets_page_wrapping_and_keeps_status(hx):
    def not_found(req, exc):
        return Titled("404: I don't exist!")

    async def teapot(req, exc):
        return Titled("418: I'm a teapot!")
    app = FastHTML(secret_key='x', exception_handlers={404: not_found, 418: teapot})

    @app.get('/tea')
    def tea():
        from starlette.exceptions import HTTPException
        raise HTTPException(418)
    cli = Client(app)
    r = cli.get('/oops', headers=HX if hx else {})
    assert r.status_code == 404
    assert "<title>404: I don't exist!</title>" in r.text
    assert "<main class=\"container\"><h1>404: I don't exist!</h1></main>" in r.text
    assert r.text.startswith('<!doctype html>') != hx
    r = cli.get('/tea')
    assert r.status_code == 418 and "<h1>418: I'm a teapot!</h1>" in r.text


def test_exception_handler_response_keeps_its_own_status():
    app = FastHTML(secret_key='x', exception_handlers={404: lambda req, exc: PlainTextResponse('gone', 410)})
    r = Client(app).get('/nope')
    assert (r.status_code, r.text) == (410, 'gone')


def test_spec_custom_404_div():
    "Handling handlers: `exception_handlers={404: _not_found}` returning `Div('nope')` on a full page."
    app = FastHTML(exception_handlers={404: lambda req, exc: Div('nope')}, secret_key='x')
    r = Client(app).get('/')
    assert r.status_code == 404
    assert '<title>FastHTML page</title>' in r.text and '<body><div>nope</div></body>' in r.text


# ---------------------------------------------------------------------------------------------------------------
# Toasts

@pytest.fixture
def toast_app():
    app = FastHTML(secret_key='x')
    setup_toasts(app, duration=1234)
    return app


def test_toasts_shown_on_next_response(toast_app, kind, hx):
    def toasting(session):
        add_toast(session, 'Toast is being cooked', 'info')
        add_toast(session, 'Toast is <ready>', 'success')
        return Titled('I like toast')

    def plain():
        return P('plain')
    toast_app.get('/toasting')(toasting if kind == 'sync' else as_async(toasting))
    toast_app.get('/plain')(plain if kind == 'sync' else as_async(plain))
    cli = Client(toast_app)
    r = cli.get('/toasting', headers=HX if hx else {})
    t = r.text
    assert 'id="fh-toast-container"' in t and 'hx-swap-oob="beforeend:#fh-toast-container"' in t
    assert ('<div hx-on-transitionend="setTimeout(() =&gt; this?.remove(), 1234);" class="fh-toast fh-toast-info">'
            '<span>Toast is being cooked</span></div>') in t
    assert '<span>Toast is &lt;ready&gt;</span>' in t
    if not hx:
        assert '.fh-toast' in head_of(t)  # styles and script are in the page head
    # Shown once: the next response has none.
    assert 'Toast is being cooked' not in cli.get('/plain', headers=HX if hx else {}).text


def test_toasts_survive_a_redirect(toast_app, kind, hx):
    def act(session):
        add_toast(session, 'Saved', 'success')
        return Redirect('/done')

    def done():
        return P('done')
    toast_app.post('/act')(act if kind == 'sync' else as_async(act))
    toast_app.get('/done')(done if kind == 'sync' else as_async(done))
    cli = Client(toast_app)
    r = cli.post('/act', headers=HX if hx else {}, follow_redirects=False)
    assert 'Saved' not in r.text
    assert (r.headers.get('hx-redirect') if hx else r.headers['location']) == '/done'
    assert '<span>Saved</span>' in cli.get('/done').text


def test_toasts_with_ft_response_and_non_ft_responses(toast_app):
    @toast_app.get('/ftr')
    def ftr(session):
        add_toast(session, 'In FtResponse', 'warning')
        return FtResponse(P('body'), status_code=201)

    @toast_app.get('/json')
    def js(session):
        add_toast(session, 'Later', 'error')
        return {'ok': True}

    @toast_app.get('/page')
    def page():
        return P('page')
    cli = Client(toast_app)
    r = cli.get('/ftr')
    assert r.status_code == 201 and '<span>In FtResponse</span>' in r.text and '<p>body</p>' in r.text
    assert cli.get('/json').json() == {'ok': True}  # JSON is left alone; the toast waits
    assert '<span>Later</span>' in cli.get('/page').text


def test_add_toast_validates_type_and_dismiss_button(toast_app):
    with pytest.raises(AssertionError, match='Toast type'):
        add_toast({}, 'x', 'shout')

    @toast_app.get('/d')
    def d(session):
        add_toast(session, 'closable', 'info', dismiss=True)
        return Span('x')
    t = Client(toast_app).get('/d', headers=HX).text
    assert 'class="fh-toast-dismiss"' in t and '<span>closable</span>' in t
