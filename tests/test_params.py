"""Parameter injection: special names and types, lookup by name (path, query, cookies, headers, form, JSON), body
classes, uploads, conversions, and the 4xx errors for bad client input."""
import inspect
import json
import warnings
from collections import namedtuple
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Optional, TypedDict, Union

import pytest
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from variants import as_async

from fasthtml.components import P
from fasthtml.core import Beforeware, Client, FastHTML, HtmxHeaders, parsed_date
from fasthtml.xtend import CheckboxX

HX = {'HX-Request': '1'}


@pytest.fixture
def app():
    return FastHTML(secret_key='test-secret')


@pytest.fixture
def cli(app):
    return Client(app)


def add(app, kind, path, f, methods=None):
    "Register `f` (or its async twin) at `path`."
    app.route(path, methods=methods)(f if kind == 'sync' else as_async(f))


# ---------------------------------------------------------------------------------------------------------------
# Special names

def test_request_by_name_and_by_any_prefix(app, cli, kind):
    def h(req, request, r, re):
        assert req is request is r is re
        return type(req).__name__
    add(app, kind, '/r', h)
    assert cli.get('/r').text == 'Request'


def test_session_by_name_and_prefix_persists_between_requests(app, cli, kind):
    def setter(session, n: int):
        session['n'] = n
        return 'set'

    def getter(sess, s, se):
        assert sess is s is se
        return f"n={sess.get('n')}"
    add(app, kind, '/set', setter)
    add(app, kind, '/get', getter)
    assert cli.get('/get').text == 'n=None'
    assert cli.get('/set?n=5').text == 'set'
    assert cli.get('/get').text == 'n=5'


def test_spec_session_adder(app, cli, kind):
    "The quick start's `/adder/{num}` session example."
    from starlette.responses import Response

    def adder(session, num: int):
        session.setdefault('sum', 0)
        session['sum'] = session.get('sum') + num
        return Response(f'The sum is {session["sum"]}.')
    add(app, kind, '/adder/{num}', adder)
    assert cli.get('/adder/3').text == 'The sum is 3.'
    assert cli.get('/adder/4').text == 'The sum is 7.'


def test_auth_comes_from_scope_set_by_beforeware_and_never_from_the_request(kind):
    def before(req, sess):
        req.scope['auth'] = sess.get('user')
    app = FastHTML(secret_key='x', before=Beforeware(before))

    def who(auth):
        return f'auth={auth}'

    def login(sess, user: str):
        sess['user'] = user
        return 'ok'
    add(app, kind, '/who', who)
    add(app, kind, '/login', login)
    cli = Client(app)
    # `auth` in the query, a cookie or a header does not reach the handler.
    assert cli.get('/who?auth=evil', headers={'auth': 'evil', 'cookie': 'auth=evil'}).text == 'auth=None'
    cli.get('/login?user=ann')
    assert cli.get('/who?auth=evil').text == 'auth=ann'


@pytest.mark.parametrize('hx', [False, True])
def test_htmx_by_name_and_by_annotation(app, cli, kind, hx):
    def h(htmx, foo: HtmxHeaders):
        return json.dumps([bool(htmx), htmx.request, foo.request, foo.target, foo.current_url, foo.trigger_name])
    add(app, kind, '/hx', h)
    hdrs = {'HX-Request': 'true', 'HX-Target': 'out', 'HX-Current-URL': 'http://t/x', 'HX-Trigger-Name': 'b'} \
        if hx else {}
    got = json.loads(cli.get('/hx', headers=hdrs).text)
    assert got == ([True, 'true', 'true', 'out', 'http://t/x', 'b'] if hx else [False, None, None, None, None, None])


def test_htmx_headers_has_every_spec_field():
    h = HtmxHeaders(boosted='1', current_url='u', history_restore_request='1', prompt='p', request='1', target='t',
                    trigger_name='n', trigger='tr')
    assert h and h.prompt == 'p' and h.trigger == 'tr' and h.history_restore_request == '1' and h.boosted == '1'
    assert not HtmxHeaders()


def test_app_scope_and_annotated_app(app, cli, kind):
    app.chk = 'foo'

    def h(app, scope, a: FastHTML, s: Starlette, rq: Request):
        assert app is a is s and scope is rq.scope
        return f"{app.chk} {scope['type']} {scope['path']}"
    add(app, kind, '/app', h)
    assert cli.get('/app').text == 'foo http /app'


def test_body_as_text_and_annotated_body_as_a_field(app, cli, kind):
    "An unannotated `body` is the raw body as text; `body: str` is an ordinary field (a form's `body` textarea)."
    def h(body):
        return body

    def hs(title: str, body: str):
        return f'{title}: {body}'
    add(app, kind, '/body', h, ['post'])
    add(app, kind, '/post', hs, ['post'])
    assert cli.post('/body', content=b'raw text', headers={'content-type': 'text/plain'}).text == 'raw text'
    assert cli.post('/body', content=b'<x/>').text == '<x/>'
    assert cli.post('/body', content=b'{"a": 1}', headers={'content-type': 'application/json'}).text == '{"a": 1}'
    assert cli.post('/body', data={'a': '1', 'b': 'x y'}).text == 'a=1&b=x+y'
    assert cli.post('/body').text == ''
    assert cli.post('/post', data={'title': 'T', 'body': 'Lorem'}).text == 'T: Lorem'
    assert cli.post('/post', content=b'Lorem', headers={'content-type': 'text/plain'}).text == \
        'Missing required field: title'


# ---------------------------------------------------------------------------------------------------------------
# Lookup by name

def test_path_query_cookie_and_header_lookup(app, cli, kind):
    def h(nm: str, age: int, q: str, tok: str, user_agent: str, x_custom: int = 0):
        return f'{nm} {age} {q} {tok} {user_agent} {x_custom}'
    add(app, kind, '/{nm}/{age}', h)
    r = cli.get('/uma/5?q=hi', headers={'User-Agent': 'FastHTML', 'X-Custom': '7', 'cookie': 'tok=c1'})
    assert r.text == 'uma 5 hi c1 FastHTML 7'


def test_spec_variables_in_urls(app, cli, kind):
    "The quick start's `/{name}/{age}`: a wrong type in the path is a 404."
    from fasthtml.xtend import Titled

    def h(name: str, age: int):
        return Titled(f'Hello {name.title()}, age {age}')
    add(app, kind, '/{name}/{age}', h)
    assert '<h1>Hello Uma, age 5</h1>' in cli.get('/uma/5').text
    r = cli.get('/uma/five')
    assert r.status_code == 404 and r.text == '404 Not Found'


def test_lookup_order_path_then_cookie_then_header_then_query_then_body(app, cli, kind):
    "FastHTML's order: a query value loses to a cookie or header of the same name."
    def h(a: str, b: str, c: str, d: str, e: str):
        return ' '.join((a, b, c, d, e))
    add(app, kind, '/o/{a}', h, ['post'])
    r = cli.post('/o/path?a=q&b=q&c=q&d=q', headers={'cookie': 'b=ck; c=ck', 'c': 'hd', 'd': 'hd'},
                 data={'a': 'f', 'b': 'f', 'c': 'f', 'd': 'f', 'e': 'f'})
    assert r.text == 'path ck ck hd f'
    r = cli.post('/o/path?d=q&e=q', data={'b': 'f', 'c': 'f', 'd': 'f', 'e': 'f'})
    assert r.text == 'path f f q q'


def test_hyphenated_names_in_query_and_body(app, cli, kind):
    "`x-h` in the query or body fills `x_h` (the underscore spelling wins when both are sent); a header is read by "
    "FastHTML's hyphenated name, whose one-letter words join (`x_h` reads `XH`, `user_agent` reads `User-Agent`)."
    def h(x_h: str = 'D', ab_cd: str = 'D'):
        return f'{x_h} {ab_cd}'
    add(app, kind, '/k', h, ['get', 'post'])
    assert cli.get('/k?x-h=1&ab-cd=2').text == '1 2'
    assert cli.get('/k?x-h=1&x_h=2').text == '2 D'
    assert cli.post('/k', data={'x-h': '1', 'ab-cd': '2'}).text == '1 2'
    assert cli.post('/k', json={'x-h': '1', 'x_h': '2'}).text == '2 D'
    assert cli.get('/k', headers={'x-h': '1', 'ab-cd': '2'}).text == 'D 2'
    assert cli.get('/k', headers={'xh': '1'}).text == '1 D'


def test_form_and_json_lookup(app, cli, kind):
    def h(username: str, n: int = 1):
        return f'{username}:{n}'
    add(app, kind, '/profile/me', h, ['post'])
    assert cli.post('/profile/me', data={'username': 'Alexis'}).text == 'Alexis:1'
    assert cli.post('/profile/me', json={'username': 'Alexis', 'n': 3}).text == 'Alexis:3'
    assert cli.post('/profile/me', files={'username': (None, 'Multi')}).text == 'Multi:1'


def test_optional_form_value_with_default(app, cli, kind):
    def pet_dog(dogname: str = None):
        return dogname or 'unknown name'
    add(app, kind, '/pet/dog', pet_dog, ['post'])
    assert cli.post('/pet/dog', data={}).text == 'unknown name'
    assert cli.post('/pet/dog', data={'dogname': 'Rex'}).text == 'Rex'


# ---------------------------------------------------------------------------------------------------------------
# Conversions

class Color(Enum):
    red = 'r'
    green = 'g'


class Num(Enum):
    one = 1
    two = 2


@pytest.mark.parametrize('anno, raw, expected', [
    (int, '42', 42),
    (int, '-3', -3),
    (float, '2.5', 2.5),
    (str, 'héllo', 'héllo'),
    (bool, 'true', True), (bool, 'on', True), (bool, '1', True), (bool, 'yes', True),
    (bool, 'false', False), (bool, 'off', False), (bool, '0', False), (bool, 'no', False), (bool, '', False),
    (date, '2024-05-17', date(2024, 5, 17)),
    (date, '20240517', date(2024, 5, 17)),
    (date, '', None),
    (int, '', 0), (int, 'on', 1), (int, 'OFF', 0), (int, ' 3 ', 3),
    (Optional[int], '', 0),  # noqa: UP045 (the annotation under test)
    (Union[int, str], '5', 5),  # noqa: UP007 (the annotation under test)
    (datetime, '2024-05-17T14:00', datetime(2024, 5, 17, 14, 0)),
    (parsed_date, '17th of May, 2024, 2p', datetime(2024, 5, 17, 14, 0)),
    (Color, 'g', Color.green),
    (Num, '2', Num.two),
    (datetime, '', None),
    (Optional[int], '7', 7),  # noqa: UP045 (the annotation under test)
    (int | None, '7', 7),
    (Path, 'a/b.txt', Path('a/b.txt')),
])
def test_query_value_conversion(app, cli, anno, raw, expected):
    seen = {}

    @app.get('/c')
    def h(v: anno):
        seen['v'] = v
        return 'ok'
    assert cli.get('/c', params={'v': raw}).text == 'ok'
    assert seen['v'] == expected and type(seen['v']) is type(expected)


def test_defaults_optional_and_lists(app, cli, kind):
    # both spellings of an optional parameter
    def h(a: int = 5, b: Optional[int] = None, c: int | None = None, d: list[int] = None, e: list[str] = ('x',)):  # noqa: UP045
        return json.dumps([a, b, c, d, list(e)])
    add(app, kind, '/d', h)
    assert json.loads(cli.get('/d').text) == [5, None, None, [], ['x']]  # a list defaulting to None: []
    assert json.loads(cli.get('/d?a=1&b=2&c=3&d=4&d=5&e=y').text) == [1, 2, 3, [4, 5], ['y']]
    # An empty value for an int is 0, as in FastHTML (not the default).
    assert json.loads(cli.get('/d?a=&b=&d=').text) == [0, 0, None, [0], ['x']]


def test_optional_without_default_is_required(app, cli, kind):
    def h(a: int | None, b: list[int]):
        return f'{a} {b}'
    add(app, kind, '/r', h)
    assert cli.get('/r?a=1&b=2').text == '1 [2]'
    r = cli.get('/r?b=2')
    assert (r.status_code, r.text) == (400, 'Missing required field: a')
    r = cli.get('/r?a=1')
    assert (r.status_code, r.text) == (400, 'Missing required field: b')


def test_list_from_repeated_form_fields_and_json_arrays(app, cli, kind):
    "The to-do walkthrough's `/reorder`: `id: list[int]` from repeated form fields."
    def reorder(id: list[int]):
        return json.dumps(id)
    add(app, kind, '/reorder', reorder, ['post'])
    assert cli.post('/reorder', data={'id': ['3', '1', '2']}).text == '[3, 1, 2]'
    assert cli.post('/reorder', data={'id': '9'}).text == '[9]'
    assert cli.post('/reorder', json={'id': [4, 5]}).text == '[4, 5]'
    assert cli.post('/reorder', json={'id': 6}).text == '[6]'


def test_checkbox_values(app, cli, kind):
    "An HTML checkbox posts 'on' (or its value) when checked; `CheckboxX` adds a hidden '' so unchecked posts too."
    def h(done: bool):
        return repr(done)
    add(app, kind, '/cb', h, ['post'])
    assert cli.post('/cb', data={'done': 'on'}).text == 'True'
    assert cli.post('/cb', data={'done': ['', '1']}).text == 'True'  # CheckboxX checked: hidden '' then '1'
    assert cli.post('/cb', data={'done': ''}).text == 'False'  # CheckboxX unchecked: only the hidden ''
    assert 'type="hidden" value="" name="done"' in str(CheckboxX(id='done', label='Done'))


def test_spec_query_examples(app, cli):
    "Handling handlers: `idx:int|None = 0`, `coming:bool=True`, `d:parsed_date`, a str enum in the path."
    from fastcore.utils import str_enum
    fake_db = [{'name': 'Foo'}, {'name': 'Bar'}]

    @app.get('/items/')
    def items(idx: int | None = 0):
        return fake_db[idx]

    @app.get('/booly/')
    def _(coming: bool = True):
        return 'Coming' if coming else 'Not coming'

    @app.get('/datie/')
    def _d(d: parsed_date):
        return d
    ModelName = str_enum('ModelName', 'alexnet', 'resnet', 'lenet')

    @app.get('/models/{nm}')
    def models(nm: ModelName):
        return nm

    @app.get('/files/{path}')
    async def files(path: Path):
        return path.with_suffix('.txt')
    assert cli.get('/items/?idx=1').text == '{"name":"Bar"}'
    assert cli.get('/items/').text == '{"name":"Foo"}'
    assert cli.get('/booly/?coming=true').text == 'Coming'
    assert cli.get('/booly/?coming=no').text == 'Not coming'
    assert cli.get('/datie/?d=17th of May, 2024, 2p').text == '2024-05-17 14:00:00'
    assert cli.get('/models/alexnet').text == 'alexnet'
    assert cli.get('/models/vgg').status_code == 404
    assert cli.get('/files/foo').text == 'foo.txt'


# ---------------------------------------------------------------------------------------------------------------
# Body classes: dataclass, TypedDict, namedtuple, dict, plain class; from form and from JSON

@dataclass
class Bodie:
    a: int
    b: str


class BodieTD(TypedDict):
    a: int
    b: str


Bodient = namedtuple('Bodient', ['a', 'b'])


class Bodie2:
    a: int | None
    b: str

    def __init__(self, a, b='foo'):
        self.a, self.b = a, b


@dataclass
class Profile:
    email: str
    age: int = 0
    tags: list[str] = None
    done: bool = False


@pytest.fixture(params=['form', 'json'])
def enc(request):
    return request.param


def post(cli, url, enc, d, **kw):
    return cli.post(url, data=d, **kw) if enc == 'form' else cli.post(url, json=d, **kw)


def test_dataclass_body(app, cli, kind, enc):
    def h(nm: str, data: Bodie):
        res = asdict(data)
        res['nm'] = nm
        return res
    add(app, kind, '/bodie/{nm}', h, ['post'])
    assert post(cli, '/bodie/me', enc, dict(a=1, b='foo')).json() == {'a': 1, 'b': 'foo', 'nm': 'me'}


def test_dataclass_body_converts_field_types(app, cli, kind, enc):
    def h(p: Profile):
        return asdict(p)
    add(app, kind, '/p', h, ['post'])
    d = {'email': 'a@b.c', 'age': '41', 'tags': ['x', 'y'], 'done': 'on'}
    assert post(cli, '/p', enc, d).json() == {'email': 'a@b.c', 'age': 41, 'tags': ['x', 'y'], 'done': True}
    assert post(cli, '/p', enc, {'email': 'z'}).json() == {'email': 'z', 'age': 0, 'tags': None, 'done': False}


@dataclass
class Tagged:
    name: str
    tags: list = None


def test_dataclass_plain_list_field_keeps_the_values(app, cli, kind):
    # The original passes None here (the values are lost); ours keeps them, as for list[str]
    def h(t: Tagged):
        return asdict(t)
    add(app, kind, '/t', h, ['post'])
    assert cli.post('/t', data={'name': 'a', 'tags': ['x', 'y']}).json() == {'name': 'a', 'tags': ['x', 'y']}
    assert cli.post('/t', data={'name': 'a'}).json() == {'name': 'a', 'tags': None}


def test_dataclass_body_takes_query_and_path_values(app, cli, kind):
    @dataclass
    class Item:
        id: int
        title: str
        done: bool = False

    def h(item: Item):
        return asdict(item)
    add(app, kind, '/items/{id}', h, ['put'])
    # Path parameters name the resource, so they win over a posted `id`; the query fills what the body lacks.
    r = cli.put('/items/3?done=1', data={'id': '99', 'title': 't'})
    assert r.json() == {'id': 3, 'title': 't', 'done': True}


def test_empty_form_inputs_in_body_classes(app, cli):
    "An empty input for an Optional number is None (a NULL column), for a defaulted one the default, else a 400."
    @dataclass
    class Row:
        title: str
        done: int | None = 1  # fastlite maps bool columns to `int | None`; CheckboxX posts '' when unticked
        n: int = 7
        x: int = 0

    @app.post('/row')
    def h(row: Row):
        return asdict(row)
    assert cli.post('/row', data={'title': '', 'done': '', 'n': '', 'x': '3'}).json() == \
        {'title': '', 'done': 0, 'n': 0, 'x': 3}  # as in FastHTML, an empty int is 0
    assert cli.post('/row', data={'title': 't', 'done': ['', '1']}).json()['done'] == 1
    r = cli.post('/row', data={'title': 't', 'x': 'abc'})
    assert (r.status_code, r.text) == (404, '404 Not Found')

    @app.get('/items/')
    def items(idx: int | None = 0, req_n: int = None):
        return {'v': [idx, req_n]}
    assert cli.get('/items/?idx=&req_n=').json() == {'v': [0, 0]}


def test_empty_inputs_that_do_not_convert_in_body_classes(app, cli):
    "Where the original fails with a 500 (an empty float), an Optional field is None and a defaulted one the default."
    @dataclass
    class Row:
        a: float | None = 1.0
        b: float = 2.0
        c: date | None = None

    @app.post('/row')
    def h(row: Row):
        return repr(row)
    assert 'a=None, b=2.0, c=None' in cli.post('/row', data={'a': '', 'b': '', 'c': ''}).text


def test_typeddict_body(app, cli, kind, enc):
    def h(data: BodieTD):
        return data
    add(app, kind, '/td', h, ['post'])
    assert post(cli, '/td', enc, {'a': '1', 'b': 'foo'}).json() == {'a': 1, 'b': 'foo'}


def test_namedtuple_body(app, cli, kind):
    from fastcore.xtras import asdict as fc_asdict

    def h(data: Bodient):
        return fc_asdict(data)
    add(app, kind, '/nt', h, ['post'])
    assert cli.post('/nt', data={'a': 1, 'b': 'foo'}).json() == {'a': '1', 'b': 'foo'}


def test_dict_body_gets_all_fields_as_sent(app, cli, kind):
    def h(data: dict):
        return data
    add(app, kind, '/bodied/', h, ['post'])
    assert cli.post('/bodied/', data={'a': 1, 'b': 'foo', 'c': ['1', '2']}).json() == \
        {'a': '1', 'b': 'foo', 'c': ['1', '2']}
    assert cli.post('/bodied/', json={'a': 1, 'n': {'x': [1]}}).json() == {'a': 1, 'n': {'x': [1]}}


def test_plain_class_body(app, cli, kind, enc):
    def h(d: Bodie2):
        return f'a: {d.a}; b: {d.b}'
    add(app, kind, '/bodie2/', h, ['post'])
    assert post(cli, '/bodie2/', enc, {'a': 1}).text == 'a: 1; b: foo'
    assert post(cli, '/bodie2/', enc, {'a': 1, 'b': 'bar'}).text == 'a: 1; b: bar'


def test_spec_json_body_with_htmx(app, cli):
    from fasthtml.components import P
    from fasthtml.xtend import Titled

    @app.post('/b')
    def index(it: Bodie):
        return Titled('It worked!', P(f'{it.a}, {it.b}'))
    s = json.dumps({'b': 'Lorem', 'a': 15})
    r = cli.post('/b', headers={'Content-Type': 'application/json', 'hx-request': '1'}, content=s)
    assert r.text == '<title>It worked!</title><main class="container"><h1>It worked!</h1><p>15, Lorem</p></main>'


def test_optional_body_class_with_default(app, cli):
    @app.post('/opt')
    def h(p: Optional[Bodie] = None):  # noqa: UP045 (typing's spelling, as apps write it)
        return 'none' if p is None else f'{p.a}'
    assert cli.post('/opt').text == 'none'
    assert cli.post('/opt', data={'a': '2', 'b': 'x'}).text == '2'


def test_body_class_errors(app, cli, enc):
    @app.post('/p')
    def h(p: Profile):
        return asdict(p)
    r = post(cli, '/p', enc, {'age': '3'})
    assert (r.status_code, r.text) == (400, 'Missing required field: email')
    r = post(cli, '/p', enc, {'email': 'x', 'age': 'old'})
    assert (r.status_code, r.text) == (404, '404 Not Found')


# ---------------------------------------------------------------------------------------------------------------
# Uploads

def test_single_upload(app, cli):
    @app.post('/upload')
    async def upload(uf: UploadFile, msg: str):
        return f'{uf.filename} {uf.content_type} {(await uf.read()).decode()} {msg}'
    r = cli.post('/upload', files={'uf': ('notes.md', b'# Release notes', 'text/markdown')}, data={'msg': 'Hello'})
    assert r.text == 'notes.md text/markdown # Release notes Hello'


def test_upload_in_a_sync_handler(app, cli):
    @app.post('/upload')
    def upload(uf: UploadFile):
        return f'{uf.filename}:{uf.file.read().decode()}'
    assert cli.post('/upload', files={'uf': ('a.txt', b'sync')}).text == 'a.txt:sync'


def test_multiple_uploads(app, cli, kind):
    def upload_many(files: list[UploadFile]):
        return json.dumps([f.filename for f in files])
    add(app, kind, '/many', upload_many, ['post'])
    r = cli.post('/many', files=[('files', ('a.txt', b'1')), ('files', ('b.txt', b'2'))])
    assert json.loads(r.text) == ['a.txt', 'b.txt']
    assert json.loads(cli.post('/many', files={'files': ('one.txt', b'1')}).text) == ['one.txt']


def test_upload_errors(app, cli):
    @app.post('/upload')
    async def upload(uf: UploadFile):
        return uf.filename

    @app.post('/maybe')
    async def maybe(uf: UploadFile = None):
        return 'none' if uf is None else uf.filename
    r = cli.post('/upload', data={'other': 'x'})
    assert r.status_code == 400 and 'uf' in r.text
    # A text field where a file belongs is refused, and an upload never comes from the query string.
    r = cli.post('/upload', data={'uf': 'not a file'})
    assert (r.status_code, r.text) == (404, '404 Not Found')
    assert cli.post('/upload?uf=x').text == 'Missing required field: uf'
    # nor from a JSON body, whatever the value (a number or object there would reach the handler as a file: a 500)
    for v in ('1', 'true', '{}', '"x"', '[1]'):
        r = cli.post('/upload', content=f'{{"uf": {v}}}', headers={'content-type': 'application/json'})
        assert r.status_code == 404, v

    assert cli.post('/maybe').text == 'none'


# ---------------------------------------------------------------------------------------------------------------
# Errors

def test_missing_required_parameter_is_400_with_the_originals_body(app, cli, kind, caplog):
    "The body is exactly FastHTML's; where we looked goes to a warning log line."
    def h(username: str):
        return username
    add(app, kind, '/profile/me', h, ['post'])
    with caplog.at_level('WARNING', logger='fasthtml.params'):
        r = cli.post('/profile/me', data={})
    assert r.status_code == 400
    assert r.text == 'Missing required field: username'
    assert r.headers['content-type'].startswith('text/plain')
    assert 'Missing required field: username (looked in cookies, headers, query and body for /profile/me)' in \
        caplog.text


@pytest.mark.parametrize('where', ['query', 'form', 'json', 'cookie', 'header'])
def test_value_that_does_not_convert_is_404(app, cli, where, kind, caplog):
    "FastHTML answers 404 `404 Not Found` (no content type); the log names the parameter and the expected type."
    def h(idx: int):
        return str(idx)
    add(app, kind, '/i', h, ['post'])
    kw = {'query': dict(params={'idx': 'g'}), 'form': dict(data={'idx': 'g'}), 'json': dict(json={'idx': 'g'}),
          'cookie': dict(headers={'cookie': 'idx=g'}), 'header': dict(headers={'idx': 'g'})}[where]
    with caplog.at_level('WARNING', logger='fasthtml.params'):
        r = cli.post('/i', **kw)
    assert (r.status_code, r.text) == (404, '404 Not Found')
    assert 'content-type' not in r.headers
    assert "'idx': expected int, got 'g'" in caplog.text


def test_conversion_404_reaches_the_apps_404_handler_with_the_originals_detail():
    seen = []

    def nf(req, exc):
        seen.append((exc.status_code, exc.detail))
        return P('custom')
    app = FastHTML(secret_key='x', exception_handlers={404: nf})

    @app.get('/items/')
    def items(idx: int | None = 0):
        return str(idx)
    r = Client(app).get('/items/?idx=g', headers={'HX-Request': '1'})
    assert (r.status_code, r.text) == (404, '<p>custom</p>')
    assert seen == [(404, "/items/: invalid literal for int() with base 10: 'g'")]


def test_debug_page_explains_a_parameter_error_to_a_browser():
    app = FastHTML(secret_key='x', debug=True)

    @app.get('/items/')
    def items(idx: int):
        return str(idx)
    cli = Client(app)
    browser = {'accept': 'text/html,application/xhtml+xml'}
    r = cli.get('/items/', headers=browser)
    assert r.status_code == 400 and 'looked in cookies, headers, query and body for /items/' in r.text
    r = cli.get('/items/?idx=x', headers=browser)
    assert r.status_code == 404 and "expected int, got &#x27;x&#x27;" in r.text
    # Test clients, htmx and API clients still get the original's words.
    assert cli.get('/items/').text == 'Missing required field: idx'
    assert cli.get('/items/?idx=x', headers={**browser, 'HX-Request': '1'}).text == '404 Not Found'


@pytest.mark.parametrize('anno, raw', [(float, 'x'), (float, ''), (bool, 'maybe'), (date, 'not a date'),
                                       (date, '17th of May, 2024'), (Color, 'blue'), (Color, 'red'),
                                       (list[int], 'x'), (int, '1.5'), (int, 'true'), (Union[int, str], 'x')])  # noqa: UP007
def test_more_non_converting_values_are_404(app, cli, anno, raw):
    @app.get('/c')
    def h(v: anno):
        return 'ok'
    r = cli.get('/c', params={'v': raw})
    assert (r.status_code, r.text) == (404, '404 Not Found')


def test_path_param_that_does_not_convert_is_404(app, cli, kind):
    def h(idx: int):
        return str(idx)
    add(app, kind, '/html/{idx}', h)
    assert cli.get('/html/1').text == '1'
    r = cli.get('/html/one')
    assert (r.status_code, r.text) == (404, '404 Not Found')


def test_unknown_route_is_the_originals_404(app, cli):
    r = cli.get('/nowhere', headers={'HX-Request': '1'})
    assert (r.status_code, r.text) == (404, '404 Not Found')
    assert 'content-type' not in r.headers


@pytest.mark.parametrize('content', [b'{bad json', b'{"a": ', b'\xff\xfe'])
def test_malformed_json_is_400(app, cli, content, kind):
    def h(a: int = 0):
        return str(a)
    add(app, kind, '/j', h, ['post'])
    r = cli.post('/j', content=content, headers={'content-type': 'application/json'})
    assert r.status_code == 400 and 'Invalid JSON body' in r.text


def test_json_that_is_not_an_object_is_400(app, cli):
    @app.post('/j')
    def h(a: int):
        return str(a)
    r = cli.post('/j', json=[1, 2])
    assert (r.status_code, r.text) == (400, 'JSON body must be an object')


def test_empty_json_body_is_an_empty_object(app, cli, kind):
    def h(a: int = 3, d: dict = None):
        return f'{a} {d}'
    add(app, kind, '/j', h, ['get', 'post'])
    assert cli.post('/j', content=b'', headers={'content-type': 'application/json'}).text == '3 {}'
    assert cli.post('/j', content=b' ', headers={'content-type': 'application/json'}).text == 'Invalid JSON body'
    assert cli.get('/j').text == '3 {}'  # a dict parameter is a dict even without a body


def test_json_values_that_are_not_strings_pass_as_sent(app, cli, kind):
    "As in FastHTML: a JSON number, boolean or object is given to the handler as is; a JSON null is no value."
    def h(a: int = 0, s: str = 'D', f: float = 0.0, b: bool = False, li: list[int] = None):
        return repr([a, s, f, b, li])
    add(app, kind, '/j', h, ['post'])
    assert cli.post('/j', json={'a': 5, 's': 7, 'f': 2, 'b': True, 'li': [1, '2']}).text == "[5, 7, 2, True, [1, 2]]"
    assert cli.post('/j', json={'a': '5', 's': [1, 2], 'f': '2.5', 'b': 'on', 'li': 3}).text == \
        "[5, '2', 2.5, True, [3]]"
    assert cli.post('/j', json={'a': None, 's': None, 'li': None}).text == "[0, 'D', 0.0, False, []]"


def test_malformed_multipart_is_400(app, cli, kind):
    def h(a: str = ''):
        return a
    add(app, kind, '/m', h, ['post'])
    r = cli.post('/m', content=b'--xyz\r\nnot a header line\r\n\r\nbody\r\n--xyz--\r\n',
                 headers={'content-type': 'multipart/form-data; boundary=xyz'})
    assert r.status_code == 400
    # An empty multipart body is an empty form, not an error.
    r = cli.post('/m', content=b'', headers={'content-type': 'multipart/form-data; boundary=xyz'})
    assert r.status_code == 200


def test_client_input_never_causes_a_500(app, cli):
    @app.post('/all/{n}')
    def h(n: int, a: int, b: float, c: bool, d: date, e: list[int], f: Color, p: Profile):
        return 'ok'
    as_json = {'content-type': 'application/json'}
    bad = [dict(params={'a': 'x'}), dict(data={'a': '1', 'b': 'nan?'}), dict(json={'a': {'x': 1}}),
           dict(content=b'{"a": 1e400}', headers=as_json), dict(data={'d': '99/99/99'}),
           dict(content=b'\x00\xff', headers=as_json), dict(json={'a': 1, 'b': 1, 'c': 'x'}),
           dict(json={'a': 1, 'b': 1, 'c': 1, 'd': '2024-01-01', 'e': [[1]]}),
           dict(json={'a': 1, 'b': 1, 'c': 1, 'd': '2024-01-01', 'e': [1], 'f': 'purple'})]
    for kw in bad:
        r = cli.post('/all/1', **kw)
        assert 400 <= r.status_code < 500, (kw, r.status_code, r.text)


# ---------------------------------------------------------------------------------------------------------------
# Registration-time checks

def test_unannotated_parameter_warns_at_registration_and_use_and_gets_none(app, cli, kind):
    "FastHTML's warning (its words, then the handler and route), when the route is added and each time it is used."
    def oops(nope):
        return f'got {nope!r}'
    msg = r'`nope` has no type annotation and is not a recognised special name, so is ignored\. \(.*oops, route /oops\)'
    with pytest.warns(UserWarning, match=msg):
        add(app, kind, '/oops', oops)
    with pytest.warns(UserWarning, match=msg):
        r = cli.get('/oops?nope=1')
    assert r.status_code == 200 and r.text == 'got None'


def test_bare_list_parameter_warns_and_is_ignored(app, cli, kind):
    def h(b: list, c: list = None):
        return f'{b!r} {c!r}'
    msg = r'`b` uses bare `list` annotation, so is ignored \(use e\.g\. `list\[str\]` instead\)\.'
    with pytest.warns(UserWarning, match=msg):
        add(app, kind, '/l', h)
    with pytest.warns(UserWarning, match=msg):
        assert cli.get('/l?b=1&b=2&c=3').text == 'None None'


def test_request_without_such_parameters_does_not_warn(app, cli, kind):
    def h(a: int = 1):
        return str(a)
    add(app, kind, '/ok', h)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert cli.get('/ok?a=2').text == '2'


def test_unannotated_parameter_with_default_keeps_the_default(app, cli):
    with pytest.warns(UserWarning):
        @app.get('/d')
        def h(x=3):
            return str(x)
    assert cli.get('/d?x=9').text == '3'


def test_unannotated_path_parameter_is_a_string(app, cli):
    with warnings.catch_warnings():
        warnings.simplefilter('error')

        @app.get('/u/{nm}')
        def h(nm):
            return nm
    assert cli.get('/u/bob').text == 'bob'


def test_positional_only_parameter_fails_at_registration(app):
    def h(a: int, /):
        return a
    with pytest.raises(TypeError, match=r'h: parameter `a` is positional-only'):
        app.get('/p')(h)


def test_unresolvable_string_annotation_fails_at_registration(app):
    def h(a: 'NoSuchType'):  # noqa: F821
        return a
    with pytest.raises(TypeError, match=r"h: cannot resolve the annotation 'NoSuchType' of parameter `a`"):
        app.get('/p')(h)


def test_string_annotations_resolve(app, cli):
    def h(a: 'int', p: 'Profile'):
        return f'{a + 1} {p.age}'
    app.post('/s')(h)
    assert cli.post('/s?a=1', data={'email': 'e', 'age': '5'}).text == '2 5'


def test_serving_requests_never_calls_inspect_signature(monkeypatch):
    "Plans are built at registration: the request path only runs extractors."
    from fasthtml.components import Div, P

    def not_found(req, exc):
        return P('missing', link='/home')
    app = FastHTML(secret_key='x', body_wrap=lambda c: Div(*c, cls='wrap'), exception_handlers={404: not_found})
    cli = Client(app)

    def before(req, sess):
        req.scope['auth'] = 'u'

    def after(resp, req):
        return resp
    app.before.append(Beforeware(before, skip=[r'/skip']))
    app.after.append(after)

    @app.post('/a/{n}')
    def sync_h(n: int, q: str, p: Profile, req, sess, auth, htmx: HtmxHeaders, uf: UploadFile = None):
        return f'{n} {q} {p.age} {auth}'

    @app.post('/b')
    async def async_h(data: dict, x: list[int] = None):
        return data

    @app.get('/c')
    def bodytd(data: BodieTD, d: date = None, e: Color = Color.red):
        return dict(data)
    calls = []
    real = inspect.signature

    def spy(*a, **kw):
        calls.append(a)
        return real(*a, **kw)
    @app.get('/page', name='page')
    def page(auth):
        return P(auth, get='page')
    cli.get('/c?a=1&b=x')  # warm-up: anything lazily built on first use is built here
    cli.get('/nope')
    monkeypatch.setattr(inspect, 'signature', spy)
    for _ in range(3):
        assert cli.post('/a/1?q=z', data={'email': 'e', 'age': '2'}, headers=HX).text == '1 z 2 u'
        assert cli.post('/b', json={'k': 'v'}).json() == {'k': 'v'}
        assert cli.get('/c?a=1&b=x&d=2024-01-01&e=g').json() == {'a': 1, 'b': 'x'}
        assert '<div class="wrap"><p hx-get="/page">u</p></div>' in cli.get('/page').text
        assert '<div class="wrap"><p href="/home">missing</p></div>' in cli.get('/nope').text
    assert calls == []


def test_spec_forms_with_views(tmp_path):
    "The quick start's profile form: fill_form from a fastlite row, POST into a dataclass, redirect back."
    from fastlite import database

    from fasthtml.components import Button, Fieldset, Form, Input, Label, fill_form
    from fasthtml.starlette import RedirectResponse
    from fasthtml.xtend import Titled

    @dataclass
    class Profile:
        email: str
        phone: str
        age: int
    profile_form = Form(method='post', action='/profile')(
        Fieldset(Label('Email', Input(name='email')), Label('Phone', Input(name='phone')),
                 Label('Age', Input(name='age'))),
        Button('Save', type='submit'))
    db = database(str(tmp_path / 'profiles.db'))
    profiles = db.create(Profile, pk='email')
    profiles.insert(Profile(email='john@example.com', phone='123456789', age=5))
    app = FastHTML(secret_key='x', default_hdrs=False)
    rt = app.route

    @rt('/profile/{email}')
    def profile(email: str):
        profile = profiles[email]
        return Titled(f'Profile for {profile.email}', fill_form(profile_form, profile))

    @rt('/profile')
    def post(profile: Profile):
        profiles.update(profile)
        return RedirectResponse(url=f'/profile/{profile.email}')
    cli = Client(app)
    page = cli.get('/profile/john@example.com').text
    assert '<title>Profile for john@example.com</title>' in page
    assert '<input name="phone" value="123456789">' in page and '<input name="age" value="5">' in page
    # The 307 redirect repeats the POST at /profile/{email}, whose handler (named `profile`) takes GET and POST.
    page = cli.post('/profile', data=dict(email='john@example.com', phone='7654321', age=25),
                    follow_redirects=True).text  # (the spec uses Starlette's TestClient, which follows them)
    assert '<input name="phone" value="7654321">' in page and '<input name="age" value="25">' in page
    assert profiles['john@example.com'].age == 25


# ---------------------------------------------------------------------------------------------------------------
# The urlencoded form parser reads bodies exactly as Starlette's does, limits included.

def _starlette_form(body: bytes, **kw):
    import asyncio

    from starlette.formparsers import MultiPartException
    from starlette.requests import Request

    async def receive():
        return {'type': 'http.request', 'body': body, 'more_body': False}

    async def go():
        scope = {'type': 'http', 'method': 'POST', 'query_string': b'',
                 'headers': [(b'content-type', b'application/x-www-form-urlencoded')]}
        try:
            return list((await Request(scope, receive).form(**kw)).multi_items())
        except MultiPartException as e:
            return ('MultiPartException', str(e))
        except HTTPException as e:
            return ('HTTPException', e.status_code, e.detail)
    return asyncio.run(go())


def _ours(body: bytes, **kw):
    from starlette.formparsers import MultiPartException

    from fasthtml._params import parse_urlencoded
    try:
        return parse_urlencoded(body, kw.get('max_fields'), kw.get('max_part_size'))
    except MultiPartException as e:
        return ('MultiPartException', str(e))
    except HTTPException as e:
        return ('HTTPException', e.status_code, e.detail)


def _agrees(body: bytes, **kw) -> bool:
    """Our parse is Starlette's, except that where Starlette decodes %-escapes that are not UTF-8 into U+FFFD, ours
    refuses the body with a 400 naming the field (which of that and a limit comes first may differ: both refuse)."""
    ours, theirs = _ours(body, **kw), _starlette_form(body, **kw)
    if ours[:2] == ('HTTPException', 400) and 'is not valid UTF-8 text' in ours[2]:
        unlimited = _starlette_form(body)
        return isinstance(unlimited, list) and any('\ufffd' in k + v for k, v in unlimited) and \
            (theirs == unlimited or not isinstance(theirs, list))
    return ours == theirs


URLENCODED_CASES = [b'', b'&', b'=', b'a', b'a=1&b=2', b'a=1;b=2', b'a&b=', b'=x', b'&&a=1&&', b'a=1=2', b'a+b=c+d',
                    b'a%20b=%zz', b'%C3%A9=%E9', b'\xc3\xa9=\xff', b'a=%', b'a=%2', b'a==', b'a=1&a=2', b';;',
                    b' a = b ', b'a=\r\nb', b'%00=%00', b'%2B=%26', b'a=%F0%9F%98%80', b'x=' + b'%' * 50]


@pytest.mark.parametrize('body', URLENCODED_CASES)
def test_urlencoded_parse_matches_starlette(body):
    assert _agrees(body)


@pytest.mark.parametrize('kw', [dict(max_fields=3), dict(max_part_size=8), dict(max_fields=2, max_part_size=5)])
def test_urlencoded_limits_match_starlette(kw):
    bodies = [b'a=1&b=2&c=3', b'a=1&b=2&c=3&d=4', b'&&a=1&&b=2&&c=3&&', b'abcdefgh', b'abcdefghi', b'abcd=efgh',
              b'abcd=efghi', b'a=%41%41%41', b'x=12345678&y=1', b'a&b&c&d', b'==', b'a' * 9 + b'&b']
    for body in bodies:
        assert _agrees(body, **kw), body


def test_urlencoded_parse_matches_starlette_on_random_bodies():
    import random
    rnd = random.Random(1234)
    alphabet = [b'a', b'b', b'=', b'&', b'+', b'%', b'2', b'0', b'F', b'%41', b'%C3%A9', b'%E9', b'\xff', b';', b' ',
                b'\x00', b'%%', b'&&', b'==']
    for _ in range(1500):
        body = b''.join(rnd.choice(alphabet) for _ in range(rnd.randrange(0, 30)))
        kw = rnd.choice([{}, dict(max_fields=rnd.randrange(0, 6)), dict(max_part_size=rnd.randrange(0, 12))])
        assert _agrees(body, **kw), (body, kw)


@pytest.mark.parametrize('kind', ['def', 'async'])
def test_handler_reading_the_form_again_gets_the_same_parse(kind):
    "A handler with a bound field that also awaits `req.form()` gets the form already parsed for its parameters."
    from fasthtml.core import Client, FastHTML
    app = FastHTML()
    if kind == 'def':
        @app.post('/f')
        def f(req, a: str):
            return a
    else:
        @app.post('/f')
        async def f(req, a: str):
            form = await req.form()
            return f"{a}|{form['a']}|{form.getlist('b')}"
    r = Client(app).post('/f', data={'a': 'x y&z', 'b': ['1', '2']})
    assert r.status_code == 200
    assert r.text == ('x y&z' if kind == 'def' else "x y&z|x y&z|['1', '2']")
