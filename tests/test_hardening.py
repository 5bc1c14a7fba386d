"""No 5xx from client text: URLs and other values put into response headers (redirects, HTMX headers, cookies),
text input that is not UTF-8 (query, forms, JSON, cookies, websocket messages), and static paths the operating
system refuses. Each case runs with sync and async handlers, and with HTMX and plain requests where they differ."""
import asyncio
import json
import logging
import os
import warnings
from urllib.parse import unquote, urlencode

import pytest
from asgi_call import call
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from variants import variant

from fasthtml._respond import HeaderValueError, cookie_text, header_value, safe_next, url_for_header
from fasthtml.components import P
from fasthtml.core import (
    Client,
    FastHTML,
    FtResponse,
    HtmxResponseHeaders,
    HttpHeader,
    Redirect,
    StaticImmutable,
    StaticNoCache,
    cookie,
)

with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    from starlette.testclient import TestClient

HX = {'HX-Request': '1'}
NON_ASCII_URLS = [('/ünï', '/%C3%BCn%C3%AF'),
                  ('/日本/ページ?q=é&x=1#frag', '/%E6%97%A5%E6%9C%AC/%E3%83%9A%E3%83%BC%E3%82%B8?q=%C3%A9&x=1#frag'),
                  ('/a b/ü?x=%2F', '/a b/%C3%BC?x=%2F'), ('/🙂', '/%F0%9F%99%82'),
                  ('https://bücher.de/ü', 'https://xn--bcher-kva.de/%C3%BC'), ('//bücher.de/x', '//xn--bcher-kva.de/x'),
                  ('/\ufffe\uffff', '/%EF%BF%BE%EF%BF%BF')]


@pytest.fixture(params=[False, True], ids=['plain', 'htmx'])
def hx(request):
    return request.param


def mk(**kw) -> FastHTML:
    return FastHTML(secret_key='hardening-test-key-' * 2, **kw)


def run(coro):
    return asyncio.run(coro)


# ---------------------------------------------------------------------------------------------------------------
# URLs in headers

@pytest.mark.parametrize('url,enc', NON_ASCII_URLS)
def test_url_for_header_encodes_like_a_browser(url, enc):
    assert url_for_header(url) == enc
    assert unquote(enc) == unquote(url) or 'xn--' in enc  # the text comes back (a host in its IDNA form)


@pytest.mark.parametrize('url', ['/a b', '/a?x=1&y=2#frag', '/a%20b', '/a%2Fb', '/%zz', '/a\'b"c', '/a<b>', '/a|b',
                                 '/a{b}', '/a^b`c', '/a\\b', 'https://ex.com/p?q=a b', '/a+b', '/~x', '/a;b,c', '/[x]',
                                 '/a\tb', 'http://[::1]/x', '%', '/a%2', ''])
def test_ascii_urls_are_left_as_the_original_sends_them(url):
    "ASCII URLs (the original's outputs, pinned with vs-original) go into HTMX headers byte for byte."
    assert url_for_header(url) == url
    assert HttpHeader('HX-Redirect', url).v == url
    h = HtmxResponseHeaders(location=url)
    assert isinstance(h, HttpHeader) and h.v == url


@pytest.mark.parametrize('url,enc', NON_ASCII_URLS[:4])
def test_redirect_with_non_ascii_location(url, enc, kind, hx):
    "Redirect(...) to a location taken from the query: 303 Location or HX-Redirect, percent-encoded, never a 500."
    app = mk()

    def go(to: str):
        return Redirect(to)
    app.get('/go')(variant(kind, go))
    r = Client(app).get('/go', params={'to': url}, headers=HX if hx else {}, follow_redirects=False)
    assert r.status_code == (200 if hx else 303)
    # Starlette's RedirectResponse also quotes the space (as the original's Location does); HX-Redirect does not
    assert r.headers['hx-redirect' if hx else 'location'] == (enc if hx else enc.replace(' ', '%20'))


def test_redirect_round_trips_to_the_handler(kind):
    "Following the redirect reaches the page the location named, with its path and query text intact."
    app = mk()

    def go(to: str):
        return Redirect(to)

    def land(word: str, q: str):
        return P(f'{word}|{q}')
    app.get('/go')(variant(kind, go))
    app.get('/land/{word}')(variant(kind, land))
    for word, q in [('日本', 'é ü'), ('ü b', '🙂'), ('x', '\ufffe'), ('%C3%A9', 'already%20encoded')]:
        r = Client(app).get('/go', params={'to': f'/land/{word}?q={q}'}, follow_redirects=True)
        assert r.status_code == 200 and f'<p>{unquote(word)}|{unquote(q)}</p>' in r.text, (word, q, r.text)


def test_redirect_response_made_by_us_from_safe_next():
    "safe_next gives the encoded path, ready for Location and HX-Redirect (accounts and OAuth redirect with it)."
    assert safe_next('/ünï?q=日') == '/%C3%BCn%C3%AF?q=%E6%97%A5'
    assert safe_next('/ok?x=1') == '/ok?x=1'
    assert safe_next('/\ud800') == '/'


@pytest.mark.parametrize('field,header', [('location', 'hx-location'), ('redirect', 'hx-redirect'),
                                          ('push_url', 'hx-push-url'), ('replace_url', 'hx-replace-url')])
def test_htmx_url_headers_from_client_text(field, header, kind, hx):
    app = mk()

    def h(to: str):
        return P('ok'), HtmxResponseHeaders(**{field: to})
    app.get('/h')(variant(kind, h))
    c = Client(app)
    for url, enc in NON_ASCII_URLS + [('/a b', '/a b'), ('/x\r\nSet-Cookie: a=1', '/x%0D%0ASet-Cookie: a=1')]:
        r = c.get('/h', params={'to': url}, headers=HX if hx else {})
        assert r.status_code == 200 and r.headers[header] == enc, (url, r.headers.get(header))
        assert 'set-cookie' not in r.headers


def test_location_header_and_hx_location_json(kind):
    app = mk()

    def h(to: str):
        return 'x', HttpHeader('Location', to), HtmxResponseHeaders(location={'path': to, 'target': '#日'})

    app.get('/h')(variant(kind, h))
    r = Client(app).get('/h', params={'to': '/ü日'})
    assert r.headers['location'] == '/%C3%BC%E6%97%A5'
    assert json.loads(r.headers['hx-location']) == {'path': '/ü日', 'target': '#日'}  # JSON \u escapes: exact
    assert header_value('HX-Location', '{"path": "/ü"}') == '{"path": "/\\u00fc"}'


def test_lone_surrogate_in_a_url_is_the_developers_error():
    "No client can send a lone surrogate (the parameter stage refuses it), so one in a header is the program's."
    with pytest.raises(ValueError, match="'HX-Redirect'.*lone surrogate \\(U\\+D800\\)"):
        HttpHeader('HX-Redirect', '/a\ud800')
    with pytest.raises(ValueError, match='Redirect location.*lone surrogate'):
        Redirect('/\udc80')
    with pytest.raises(ValueError, match='lone surrogate'):
        url_for_header('/\ud800')


# ---------------------------------------------------------------------------------------------------------------
# Other header values

@pytest.mark.parametrize('name,value,sent', [
    ('X-A', 'plain', 'plain'), ('X-A', 'café', 'café'),                        # what the original sends, unchanged
    ('X-A', 'é日本', '%C3%A9%E6%97%A5%E6%9C%AC'), ('X-A', '🙂 %41', '%F0%9F%99%82 %41'),
    ('HX-Trigger', 'plain, other', 'plain, other'), ('HX-Trigger', 'fête', 'fête'),
    ('HX-Trigger', '日本, 🙂', '{"\\u65e5\\u672c": {}, "\\ud83d\\ude42": {}}'),
    ('HX-Trigger-After-Swap', '{"ev": "日"}', '{"ev": "\\u65e5"}'),
    ('HX-Retarget', '#日本', '#\\65e5 \\672c '), ('HX-Reselect', '.é', '.é'), ('HX-Reswap', 'outerHTML', 'outerHTML'),
])
def test_header_values(name, value, sent):
    assert header_value(name, value) == sent
    assert HttpHeader(name, value).v == sent


def test_hx_trigger_event_names_survive_as_json():
    v = header_value('HX-Trigger', 'ünï, 日本')
    assert json.loads(v) == {'ünï': {}, '日本': {}}


def test_header_values_from_client_text_never_500(kind, hx):
    app = mk()

    def h(v: str):
        return (P('ok'), HttpHeader('X-Echo', v),
                HtmxResponseHeaders(trigger=v, retarget=v, reselect=v, reswap=v, trigger_after_settle={'ev': v}))
    app.get('/h')(variant(kind, h))
    hdrs = [(b'hx-request', b'1')] if hx else []
    for v, echo in [('日本', b'%E6%97%A5%E6%9C%AC'), ('é', b'\xe9'), ('🙂\ufffe', b'%F0%9F%99%82%EF%BF%BE'),
                    ('%E6', b'%E6'), ('\u2028x', b'%E2%80%A8x'), ('a\tb', b'a\tb')]:
        r = run(call(app, 'GET', '/h', query=urlencode({'v': v}).encode(), headers=hdrs))
        assert r.status == 200, v
        assert dict(r.headers)[b'x-echo'] == echo  # latin-1 as the original sends it; the rest percent-encoded
        assert json.loads(r.header('hx-trigger-after-settle') or '') == {'ev': v}
    r = run(call(app, 'GET', '/h', query=b'v=a%0D%0Ab', headers=hdrs))
    assert r.status == 400 and "Header 'X-Echo' must not contain CR, LF or NUL" in r.text


@pytest.mark.parametrize('c', ['\x01', '\x08', '\x0b', '\x1b', '\x1f', '\x7f'])
def test_control_characters_servers_refuse(c, kind):
    """Other control characters (tab aside) make uvicorn drop the connection: URL headers percent-encode them, other
    headers refuse them (a 400 from client text); tab goes out as the original sends it."""
    assert url_for_header(f'/a{c}b') == f'/a%{ord(c):02X}b'
    assert HttpHeader('HX-Push-Url', f'/a{c}b').v == f'/a%{ord(c):02X}b'
    assert HttpHeader('X-A', 'a\tb').v == 'a\tb'
    with pytest.raises(HeaderValueError, match="Header 'X-A' must not contain CR, LF or NUL characters \\(nor any"):
        HttpHeader('X-A', f'a{c}b')
    app = mk()

    def h(v: str):
        return 'ok', HttpHeader('X-Echo', v)
    app.get('/h')(variant(kind, h))
    r = run(call(app, 'GET', '/h', query=f'v=a%{ord(c):02X}'.encode()))
    assert r.status == 400 and "Header 'X-Echo'" in r.text


@pytest.mark.parametrize('name', ['X A', 'X:A', 'X(A)', 'X"', 'X,Y', '', 'X/Y', 'X@Y'])
def test_header_names_must_be_tokens(name):
    "A name a server would refuse (uvicorn drops the connection) is the developer's error at the call."
    with pytest.raises(ValueError, match='Header name .* cannot be sent: a name is letters, digits and'):
        HttpHeader(name, 'v')


def test_crlf_outside_urls_is_refused_at_the_call():
    for name in ['X-A', 'HX-Trigger', 'HX-Retarget', 'set-cookie']:
        with pytest.raises(HeaderValueError, match=f"Header '{name}' must not contain CR, LF or NUL"):
            HttpHeader(name, 'a\r\nX-Injected: 1')
    assert issubclass(HeaderValueError, ValueError)


def test_unencodable_header_names_and_values_name_the_header():
    with pytest.raises(ValueError, match="Header name 'X-Ünï'"):
        HttpHeader('X-Ünï', 'v')
    with pytest.raises(ValueError, match="Header 'X-Mine' cannot be sent: it holds a lone surrogate"):
        HttpHeader('X-Mine', 'ok\udfff')


def test_developer_made_surrogate_in_a_header_is_a_500_naming_it(kind):
    app = mk()

    def h():
        return 'x', HttpHeader('X-Mine', 'bad\ud800')
    app.get('/h')(variant(kind, h))
    with pytest.raises(ValueError, match="Header 'X-Mine'"):
        Client(app).get('/h')
    r = TestClient(app, raise_server_exceptions=False).get('/h')
    assert r.status_code == 500


def test_ft_response_headers_are_encoded(kind):
    app = mk()

    def h(to: str):
        return FtResponse(P('x'), status_code=201, headers={'HX-Push-Url': to, 'X-Name': to})
    app.get('/h')(variant(kind, h))
    r = Client(app).get('/h', params={'to': '/日'})
    assert r.status_code == 201
    assert r.headers['hx-push-url'] == r.headers['x-name'] == '/%E6%97%A5'


def test_json_echo_of_any_text(kind):
    "A JSON response never fails on text: a lone surrogate a handler made becomes a \\u escape (valid JSON)."
    app = mk()

    def h(s: str):
        return {'s': s, 'made': 'x\ud800'}
    app.get('/j')(variant(kind, h))
    r = Client(app).get('/j', params={'s': '日本\ufffe'})
    assert r.status_code == 200 and r.json() == {'s': '日本\ufffe', 'made': 'x\ud800'}


# ---------------------------------------------------------------------------------------------------------------
# Cookies

# The original's Set-Cookie for each value (vs-original, python-fasthtml 0.14.14): kept byte for byte.
ORIGINAL_COOKIES = {'abc': 'n=abc; Path=/; SameSite=lax', 'a b': 'n="a b"; Path=/; SameSite=lax',
                    'José': 'n="Jos\\351"; Path=/; SameSite=lax', 'a;b': 'n="a\\073b"; Path=/; SameSite=lax',
                    'a"b': 'n="a\\"b"; Path=/; SameSite=lax', '': 'n=""; Path=/; SameSite=lax',
                    'x=y': 'n="x=y"; Path=/; SameSite=lax', '%41': 'n=%41; Path=/; SameSite=lax',
                    'tab\t': 'n="tab\\011"; Path=/; SameSite=lax', 'a:b': 'n=a:b; Path=/; SameSite=lax'}


@pytest.mark.parametrize('value,sent', ORIGINAL_COOKIES.items())
def test_cookie_values_the_original_can_send_are_unchanged(value, sent):
    assert cookie('n', value).v == sent


@pytest.mark.parametrize('value,sent', [('日本', '"%E6%97%A5%E6%9C%AC"'), ('ü€', '"%C3%BC%E2%82%AC"'),
                                        ('a b;"日', '"a%20b%3B%22%E6%97%A5"'), ('%41日', '"%2541%E6%97%A5"')])
def test_cookie_values_beyond_latin1_are_percent_encoded(value, sent):
    v = cookie('n', value).v
    assert v == f'n={sent}; Path=/; SameSite=lax'
    assert cookie_text(sent) == value


COOKIE_TEXTS = ['abc', 'José', '日本', 'a b', 'é"日;\\,', '%41', '"q"', '', '🙂', 'x=y', '\ufffe', 'Ünï cödé']


@pytest.mark.parametrize('value', COOKIE_TEXTS)
def test_cookie_round_trips_into_a_str_parameter(value, kind, hx):
    app = mk()

    def set_(v: str):
        return 'set', cookie('name', v)

    def get(name: str):
        return name
    app.get('/set')(variant(kind, set_))
    app.get('/get')(variant(kind, get))
    c = Client(app)
    r = c.get('/set', params={'v': value})
    assert r.status_code == 200
    raw = r.headers['set-cookie'].split(';')[0].split('=', 1)[1]
    assert raw.isascii()
    r = c.get('/get', headers={'cookie': f'name={raw}', **(HX if hx else {})})
    assert r.status_code == 200 and r.text == value


def test_non_ascii_cookie_names(kind):
    app = mk()

    def set_():
        return 'set', cookie('café', 'noir')

    def get(café: str):
        return café
    app.get('/set')(variant(kind, set_))
    app.get('/get')(variant(kind, get))
    c = Client(app)
    assert c.get('/set').headers['set-cookie'].startswith('caf%C3%A9=noir;')
    assert c.get('/get', headers={'cookie': 'caf%C3%A9=noir'}).text == 'noir'
    # as JavaScript sets it: the name's raw UTF-8 bytes
    assert run(call(app, 'GET', '/get', headers=[(b'cookie', 'café=crème'.encode())])).text == 'crème'


@pytest.mark.parametrize('name', ['a b', 'a=b', 'a;b', '', 'path', 'Expires', 'x"y', 'a,b'])
def test_cookie_names_that_cannot_be_sent_are_the_developers_error(name):
    from http.cookies import CookieError
    with pytest.raises(CookieError, match=f'Cookie name {name!r} cannot be sent: a name is made of letters'):
        cookie(name, 'v')


def test_cookie_value_with_lone_surrogate_names_the_cookie():
    with pytest.raises(ValueError, match="cookie 'sess' cannot be sent: it holds a lone surrogate"):
        cookie('sess', 'x\ud800日')


def test_cookie_path_and_domain_non_ascii():
    assert cookie('n', 'v', path='/ü', domain='bücher.de').v == \
        'n=v; Domain=xn--bcher-kva.de; Path=/%C3%BC; SameSite=lax'


@pytest.mark.parametrize('raw,got', [(b'name="Jos\\351"', 'José'), (b'name=Jos\xc3\xa9', 'José'),
                                     (b'name="%E6%97%A5"', '日'), (b'name=%41', '%41'), (b'name="a b"', 'a b'),
                                     (b'other=1; name="x%20y"; z=2', 'x y'), (b'name=a; name=b', 'b')])
def test_cookie_parameter_reads(raw, got, kind):
    "The original's readings (octal escapes, quotes, last one wins), plus raw UTF-8 and cookie()'s encoding."
    app = mk()

    def c(name: str):
        return name
    app.get('/c')(variant(kind, c))
    r = run(call(app, 'GET', '/c', headers=[(b'cookie', raw)]))
    assert (r.status, r.text) == (200, got)


@pytest.mark.parametrize('raw', [b'name=Jos\xe9', b'name="%FF"', b'name="x%ED%A0%80"', b'name=\xff\xfe'])
def test_cookie_that_is_not_utf8_text_is_400(raw, kind, hx):
    app = mk()
    seen = []

    def c(name: str):
        seen.append(name)
        return name
    app.get('/c')(variant(kind, c))
    r = run(call(app, 'GET', '/c', headers=[(b'cookie', raw)] + ([(b'hx-request', b'1')] if hx else [])))
    assert r.status == 400 and r.text == "Cookie 'name' is not valid UTF-8 text" and seen == []


def test_unrelated_bad_cookies_do_not_matter(kind):
    "Only a cookie a parameter asks for is read: another site's odd cookie never locks a user out."
    app = mk()

    def c(name: str):
        return name
    app.get('/c')(variant(kind, c))
    r = run(call(app, 'GET', '/c', headers=[(b'cookie', b'junk=\xff\xfe; name=ok')]))
    assert (r.status, r.text) == (200, 'ok')


# ---------------------------------------------------------------------------------------------------------------
# Text input that is not UTF-8: a 400 naming the field, before the handler

def _text_app(kind):
    app = mk()
    seen = []

    def q(s: str = '', t: str = ''):
        seen.append((s, t))
        return f'{s}|{t}'

    def d(data: dict):
        seen.append(data)
        return data
    app.route('/q', methods=['get', 'post'])(variant(kind, q))
    app.post('/d')(variant(kind, d))
    return app, seen


def _post_text(kind, hx, path, ctype, body):
    "POST `body` as `ctype` to `path` of a new text app: (its response, what its handlers saw)."
    app, seen = _text_app(kind)
    hdrs = [(b'content-type', ctype)] + ([(b'hx-request', b'1')] if hx else [])
    return run(call(app, 'POST', path, body=body, headers=hdrs)), seen


@pytest.mark.parametrize('qs,msg', [(b's=%FF', "Query parameter 's' is not valid UTF-8 text"),
                                    (b't=ok&s=a%C3', "Query parameter 's' is not valid UTF-8 text"),
                                    (b's=%ED%A0%80', "Query parameter 's' is not valid UTF-8 text"),  # a surrogate
                                    (b'%FF=1', "Query parameter name '\ufffd' is not valid UTF-8 text"),
                                    (b's=%C0%AF', "Query parameter 's' is not valid UTF-8 text")])  # overlong
def test_query_not_utf8_is_400(qs, msg, kind, hx):
    app, seen = _text_app(kind)
    r = run(call(app, 'GET', '/q', query=qs, headers=[(b'hx-request', b'1')] if hx else []))
    assert (r.status, r.text) == (400, msg) and seen == []


def test_valid_query_text_passes(kind):
    app, seen = _text_app(kind)
    r = run(call(app, 'GET', '/q', query=b's=%E6%97%A5%E6%9C%AC&t=%F0%9F%99%82+%EF%BF%BE'))
    assert (r.status, r.text) == (200, '日本|🙂 \ufffe')


@pytest.mark.parametrize('body,msg', [(b's=%FF', "Form field 's' is not valid UTF-8 text"),
                                      (b's=ok&t=%E6%97', "Form field 't' is not valid UTF-8 text"),
                                      (b'%ED%B0%80=x', "Form field name '\ufffd\ufffd\ufffd' is not valid UTF-8 text")])
def test_urlencoded_form_not_utf8_is_400(body, msg, kind, hx):
    r, seen = _post_text(kind, hx, '/q', b'application/x-www-form-urlencoded', body)
    assert (r.status, r.text) == (400, msg) and seen == []


def _part(disposition: bytes, value: bytes) -> bytes:
    return b'--B\r\nContent-Disposition: form-data; ' + disposition + b'\r\n\r\n' + value + b'\r\n'


@pytest.mark.parametrize('body,msg', [
    (_part(b'name="s"', b'Jos\xe9') + b'--B--\r\n', "Form field 's' is not valid UTF-8 text"),
    (_part(b'name="t"', b'ok') + _part(b'name="s"', b'\xed\xa0\x80') + b'--B--\r\n',
     "Form field 's' is not valid UTF-8 text"),
    (_part(b'name="s\xff"', b'v') + b'--B--\r\n',
     "Multipart field 's\xff': its name or file name is not valid UTF-8 text"),
    (_part(b'name="s"; filename="\xe9.txt"', b'data') + b'--B--\r\n',
     "Multipart field 's': its name or file name is not valid UTF-8 text"),
])
def test_multipart_form_not_utf8_is_400(body, msg, kind, hx):
    r, seen = _post_text(kind, hx, '/q', b'multipart/form-data; boundary=B', body)
    assert (r.status, r.text) == (400, msg) and seen == []


def test_multipart_valid_utf8_and_declared_charsets(kind):
    app, seen = _text_app(kind)
    body = _part(b'name="s"', 'Jos\u00e9 日本'.encode()) + b'--B--\r\n'
    r = run(call(app, 'POST', '/q', body=body, headers=[(b'content-type', b'multipart/form-data; boundary=B')]))
    assert (r.status, r.text) == (200, 'José 日本|')
    # A form that declares another charset keeps Starlette's reading of it.
    body = _part(b'name="s"', 'Jos\u00e9'.encode('latin-1')) + b'--B--\r\n'
    hdrs = [(b'content-type', b'multipart/form-data; charset=latin-1; boundary=B')]
    r = run(call(app, 'POST', '/q', body=body, headers=hdrs))
    assert (r.status, r.text) == (200, 'José|')


@pytest.mark.parametrize('body,msg', [
    (b'{"a": "\\ud800"}', "JSON field 'a' is not valid UTF-8 text"),
    (b'{"a": {"b": ["x", "\\uDC00y"]}}', "JSON field 'a.b[1]' is not valid UTF-8 text"),
    (b'{"\\ud800k": 1}', "JSON field '\\ud800k' is not valid UTF-8 text"),
    (b'{"a": "\xed\xa0\x80"}', "JSON field 'a' is not valid UTF-8 text"),  # the raw encoding of a surrogate
    ('{"a": "\ud800"}'.encode('utf-16', 'surrogatepass'), "JSON field 'a' is not valid UTF-8 text"),
    (b'{"a": "\xff"}', 'Invalid JSON body'),  # (already refused: not UTF-8 at all)
])
def test_json_body_not_text_is_400(body, msg, kind, hx):
    r, seen = _post_text(kind, hx, '/d', b'application/json', body)
    assert (r.status, r.text) == (400, msg) and seen == []


def test_json_body_with_valid_pairs_and_noncharacters_passes(kind):
    body = b'{"a": "\\ud83d\\ude00", "b": "\\uffff\xef\xbf\xbe", "c": ["\xe6\x97\xa5"]}'
    r, _ = _post_text(kind, False, '/d', b'application/json', body)
    assert r.status == 200 and json.loads(r.body) == {'a': '😀', 'b': '\uffff\ufffe', 'c': ['日']}


def test_websocket_message_not_text_is_dropped_and_logged(caplog):
    app = mk()
    got = []

    @app.ws('/ws')
    async def ws(msg: str = '', name: str = ''):
        got.append((msg, name))
        return P(name or msg)
    with caplog.at_level(logging.WARNING, logger='fasthtml.ws'), TestClient(app).websocket_connect('/ws') as w:
        w.send_text('{"name": "\\ud800"}')
        w.send_text('{"name": "ok", "HEADERS": {"HX-Target": "\\udfff"}}')
        w.send_text('["\\ud800"]')
        w.send_text('{"name": "日本 \\ud83d\\ude00"}')
        assert w.receive_text() == '<p>日本 😀</p>'
    msgs = [r.getMessage() for r in caplog.records if r.name == 'fasthtml.ws']
    assert msgs == ["websocket /ws: dropped a message: 'name' is not valid UTF-8 text",
                    "websocket /ws: dropped a message: 'HEADERS.HX-Target' is not valid UTF-8 text",
                    "websocket /ws: dropped a message: 'data[0]' is not valid UTF-8 text"]
    assert got == [('', '日本 😀')]


def test_websocket_raw_surrogate_text_is_dropped():
    "An ASGI server never hands over such text, but a message holding it is dropped all the same."
    from fasthtml._ws import _not_text_at, _parse
    for text, where in [('\ud800', 'msg'), ('{"a": "\udc00"}', 'a'), ('plain', None), ('{"a": "\\\\ud800"}', None)]:
        msg = {'type': 'websocket.receive', 'text': text}
        assert _not_text_at(msg, *_parse(msg)) == where


def test_websocket_cookie_parameter_decodes():
    app = mk()

    @app.ws('/ws')
    async def ws(msg: str, name: str):
        return P(f'{msg}:{name}')
    with TestClient(app).websocket_connect('/ws', headers={'cookie': 'name="%E6%97%A5%E6%9C%AC"'}) as w:
        w.send_text('hi')
        assert w.receive_text() == '<p>hi:日本</p>'


# ---------------------------------------------------------------------------------------------------------------
# Static files: names the operating system refuses are 404s

@pytest.fixture
def static_app(tmp_path):
    pub = tmp_path / 'pub'
    pub.mkdir()
    (pub / 'ok.txt').write_text('fine')
    (pub / 'ok.css').write_text('css')
    os.symlink(pub / 'loop1.txt', pub / 'loop2.txt')
    os.symlink(pub / 'loop2.txt', pub / 'loop1.txt')
    app = mk()
    app.static_route_exts(prefix='/static', static_path=str(pub))
    app.static_route('.css', prefix='/css', static_path=str(pub))
    app.mount('/nc', StaticNoCache(directory=str(pub)))
    app.mount('/im', StaticImmutable(directory=str(pub)))
    return app


BAD_STATIC = ['a' * 300 + '.txt', 'a/' * 20_000 + 'x.txt', ('b' * 250 + '/') * 40 + 'x.txt', 'ok.txt\x00.txt',
              '\x00', 'loop1.txt', 'loop2.txt/x.txt', '\ud800.txt', '\udcff.txt', 'x' * 5000, '..' + '/..' * 3000]


@pytest.mark.parametrize('prefix', ['/static/', '/nc/', '/im/'])
@pytest.mark.parametrize('rel', BAD_STATIC)
def test_static_paths_the_os_refuses_are_404(static_app, prefix, rel):
    r = run(call(static_app, 'GET', prefix + rel, raw_path=b'/x'))
    assert r.status == 404, (prefix, rel[:40], r.status)


@pytest.mark.parametrize('path', ['/static/ok.txt', '/nc/ok.txt', '/im/ok.txt', '/css/ok.css'])
def test_static_files_still_served(static_app, path):
    r = run(call(static_app, 'GET', path))
    assert r.status == 200 and r.text in ('fine', 'css')


def test_static_css_route_long_names(static_app):
    for rel in ['a' * 300, 'a/' * 9000 + 'b', '\ud800', 'loop1']:
        r = run(call(static_app, 'GET', f'/css/{rel}.css', raw_path=b'/x'))
        assert r.status == 404


# ---------------------------------------------------------------------------------------------------------------
# Properties

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.text(max_size=40))
def test_any_text_round_trips_through_a_cookie(s):
    "cookie() then cookie_text() gives back any text without a lone surrogate; the header stays ASCII."
    try:
        v = cookie('k', s).v
    except ValueError:
        assert any('\ud800' <= c <= '\udfff' for c in s)
        return
    assert v.isascii()
    raw = v.split('; Path=/')[0].split('=', 1)[1]
    assert cookie_text(raw) == s


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.text(alphabet=st.characters(blacklist_categories=('Cs',)), max_size=40))
def test_any_text_url_survives_a_header(s):
    "Every path without a surrogate goes out as ASCII without CR/LF/NUL, and unquote gives it back."
    enc = url_for_header('/p/' + s)
    assert enc.isascii() and not any(c in enc for c in '\r\n\x00')
    if '%' not in s:
        assert unquote(enc) == '/p/' + s
