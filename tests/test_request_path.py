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
