"""Request-path shortcuts taken for speed behave exactly like the long way round."""
import random

import pytest
from starlette.requests import Request

from fasthtml.components import P
from fasthtml.core import Beforeware, Client, FastHTML, _skip_path


def test_skip_path_is_url_path_for_any_path():
    rnd = random.Random(7)
    chars = '/ab?#\\\t\r\n%: .~é'
    for _ in range(20_000):
        p = '/' + ''.join(rnd.choice(chars) for _ in range(rnd.randint(0, 8)))
        for headers, server in (([(b'host', b'example.com')], ('example.com', 80)), ([], None)):
            req = Request({'type': 'http', 'path': p, 'headers': headers, 'query_string': b'a=1', 'server': server})
            assert _skip_path(req) == req.url.path, p


@pytest.mark.parametrize('sync', [True, False])
def test_beforeware_skips_match_the_url_path(sync):
    def deny(req):
        return P('denied')

    async def adeny(req):
        return P('denied')
    app = FastHTML(secret_key='k', before=Beforeware(deny if sync else adeny, skip=[r'/open', r'/a%3Fb', r'.*\.css']))

    @app.get('/{p:path}')
    def page(p: str):
        return P(f'page {p}')
    cli = Client(app)
    assert cli.get('/secret').text.endswith('<p>denied</p></body></html>')
    assert 'page open' in cli.get('/open').text
    assert 'page x.css' in cli.get('/x.css').text
    # '?' in the decoded path is '%3F' in the URL path the patterns see, as in FastHTML.
    assert 'page a?b' in cli.get('/a%3Fb').text
    assert 'denied' in cli.get('/a%3Fbc').text


_BODY_CASES = [
    ([], b''),
    ([(b'content-length', b'0')], b''),
    ([(b'content-length', b' ')], b''),
    ([(b'content-length', b'0'), (b'content-length', b'5')], b'hello'),
    ([(b'content-length', b'5')], b'hello'),
    ([(b'transfer-encoding', b'chunked')], b'a=1'),
    ([(b'content-type', b'application/x-www-form-urlencoded'), (b'content-length', b'3')], b'a=1'),
    ([(b'content-type', b'application/json'), (b'content-length', b'7')], b'{"a":1}'),
    ([(b'content-type', b'')], b''),
]


@pytest.mark.parametrize('headers,body', _BODY_CASES)
def test_read_body_shortcut_agrees_with_the_full_checks(monkeypatch, headers, body):
    import asyncio

    from fasthtml import _params

    def parsed():
        sent = []

        async def receive():
            if sent:
                return {'type': 'http.disconnect'}
            sent.append(1)
            return {'type': 'http.request', 'body': body, 'more_body': False}
        req = Request({'type': 'http', 'method': 'GET', 'path': '/', 'headers': headers, 'query_string': b''},
                      receive)
        b = asyncio.run(_params.read_body(req))
        return (b.form.multi_items() if b.form is not None else None), b.json, b.raw
    fast = parsed()
    monkeypatch.setattr(_params, '_declares_no_body', lambda h: False)
    assert parsed() == fast


@pytest.mark.parametrize('sync', [True, False])
def test_exception_handlers_get_the_endpoints_own_request(sync):
    "Handlers see the same Request the endpoint parsed (its form is still there), as with Starlette's wrapper."
    from starlette.exceptions import HTTPException

    seen = {}

    async def on_418(req, exc):
        seen['form'] = dict(await req.form())
        return P(f'teapot: {exc.detail}')
    app = FastHTML(secret_key='k', exception_handlers={418: on_418})

    def brew(kind: str):
        raise HTTPException(418, f'no {kind}')

    async def abrew(kind: str):
        raise HTTPException(418, f'no {kind}')
    app.post('/brew')(brew if sync else abrew)
    r = Client(app).post('/brew', data={'kind': 'coffee'}, headers={'HX-Request': '1'})
    assert r.status_code == 418 and r.text == '<p>teapot: no coffee</p>'
    assert seen['form'] == {'kind': 'coffee'}


def test_unhandled_errors_still_reach_the_error_middleware():
    app = FastHTML(secret_key='k')

    @app.get('/boom')
    def boom():
        raise RuntimeError('kaboom')
    from starlette.testclient import TestClient
    r = TestClient(app, raise_server_exceptions=False).get('/boom')
    assert r.status_code == 500


def test_routes_keep_their_endpoint_function_and_name():
    app = FastHTML(secret_key='k')

    @app.get('/thing/{n}')
    def thing(n: int):
        "The docstring."
        return P(n)
    route = next(r for r in app.router.routes if getattr(r, 'path', None) == '/thing/{n}')
    assert route.endpoint.__name__.endswith('thing') and route.endpoint.handler is thing.fn
    assert app.url_path_for(thing.name, n=3) == '/thing/3'
    assert Client(app).get('/thing/3').text.endswith('<p>3</p></body></html>')


@pytest.mark.parametrize('names', [(), ('hx-request',), ('hx-history-restore-request',),
                                   ('hx-request', 'hx-history-restore-request'),
                                   ('hx-history-restore-request', 'hx-request'), ('hx-target', 'accept')])
def test_is_full_page_reads_the_raw_headers_as_the_headers_object_would(names):
    from fasthtml._respond import is_full_page
    req = Request({'type': 'http', 'headers': [(n.encode(), b'true') for n in names]})
    h = req.headers
    assert is_full_page(req) == ('hx-request' not in h or 'hx-history-restore-request' in h)
