"""Property-based fuzzing (hypothesis): random requests at handlers with every supported parameter type, and at
handlers that put client text into redirects, HTMX headers, cookies, other headers and JSON echoes (tests/fuzz_app.py).

Whatever arrives (random strings and bytes, any Unicode including lone surrogates and non-characters in every
position, huge values, over-long paths and segments, missing and repeated fields, wrong content types, broken
multipart bodies, odd paths, cookies and headers, websocket messages), the response is 2xx, 3xx or 4xx: never a 5xx,
never an exception escaping the app, never a connection dropped without a response. Most requests go straight into
the ASGI app in-process (cheap); a smaller share goes through a real uvicorn server. Over 20,000 per run."""
import asyncio
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from asgi_call import Resp, call
from fuzz_app import build_app, static_dir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fasthtml._respond import cookie

# The suite's profile already turns off the slow-generation check; these tests draw one seed per example, so none of
# hypothesis' checks about generated data apply to them either.
NO_HEALTH_CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                    HealthCheck.large_base_example]
STATIC = static_dir()
APPS = {False: build_app(False, STATIC), True: build_app(True, STATIC)}
TESTS = Path(__file__).resolve().parent

# ---------------------------------------------------------------------------------------------------------------
# Strategies

NAMES = ['i', 'f', 'b', 's', 'd', 'dt', 'e', 'n', 'oi', 'of', 'os_', 'li', 'ls', 'x', 'y', 'name', 'age', 'score',
         'ok', 'tags', 'when', 'fs', 'note', 'q', 'c', 'body_f', 'hits', 'session', 'req', 'htmx', 'body', '',
         'to', 'ev', 'v', 'ü', 'msg']
ECHO_PATHS = ['/redir', '/loc', '/hx', '/hxloc', '/hdr', '/ftr', '/ck', '/ckr', '/jecho']
STATIC_PATHS = ['/static/ok.txt', '/static/sub/deep.css', '/css/sub/deep.css', '/nc/ok.txt', '/im/sub/deep.css',
                '/static/loop1.txt', '/nc/loop2.txt', '/css/loop1.css', '/nc/', '/static/../ok.txt']
PATHS = ['/int', '/float', '/bool', '/str', '/date', '/datetime', '/enum', '/opt', '/list', '/dc', '/td', '/dict',
         '/up', '/ups', '/mixed', '/body', '/', '/missing', '/int/', '//int', *ECHO_PATHS, *STATIC_PATHS]
# Characters that break naive code: lone surrogates, non-characters, controls, separators, and URL/cookie syntax.
UNICODE = ['\ud800', '\udbff', '\udc00', '\udfff', '\ufffe', '\uffff', '\ufdd0', '\ufdef', '\U0001fffe', '\U0010ffff',
           '\x00', '\r', '\n', '\t', '\x7f', '\x85', '\u2028', '\ufeff', 'é', 'ÿ', '日', '🙂', '%', '%FF', '%ED%A0%80',
           '"', ';', ',', '\\', ' ', '+', '&', '=', '#', '?', '/', ':', '@', '[', ']', 'a', '1', '.', '..']
NASTY = ['', ' ', '0', '-0', '-1', '1.5', '1e3', '1e309', '-1e309', 'nan', 'NaN', 'inf', '-inf', 'Infinity',
         '9' * 400, '9' * 5000, '-' + '9' * 4301, '0x10', '1_000', '١٢٣', '²', 'true', 'false', 'on', 'off', 'yes',
         'None', 'null', 'undefined', '[]', '{}', '[1,2]', '{"a":1}', 'red', 'RED', 'green', '1', '2', 'one',
         '2024-02-30', '2024-01-01T10:00', '0001-01-01', '9999-12-31T23:59:59', '99999-12-31', '2024-13-45',
         '10:61', 'tomorrow', 'Jan 1 10000', '1' * 30, '\x00', '\ufeff', '\ud7ff', '%00', '%', '../../etc/passwd',
         '<script>alert(1)</script>', '"', "'", '\\', 'a' * 3000, 'é' * 100, '🙂' * 10,
         '\ud800', 'a\udfffb', '\ud83d', '\ufffe\uffff', '\U0010ffff', 'a\r\nSet-Cookie: x=1', 'é日本🙂',
         '/ünï?q=日#é', 'https://bücher.de/ü?q=é', '//evil.example/日', '/a b/%ZZ/%FF', '"%E6%97%A5"', '"Jos\\351"',
         '{"ev": "日"}', 'x' * 9000]
# Text with every code point, lone surrogates included (hypothesis leaves them out unless asked).
any_text = st.text(alphabet=st.characters(blacklist_categories=()), max_size=12)
text = st.one_of(st.sampled_from(NASTY), st.text(max_size=20), any_text, st.integers().map(str),
                 st.floats().map(str), st.dates().map(str), st.datetimes().map(str),
                 st.lists(st.sampled_from(UNICODE), max_size=8).map(''.join))
names = st.one_of(st.sampled_from(NAMES), st.text(max_size=6), any_text)
pairs = st.lists(st.tuples(names, text), max_size=8)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10),
              any_text, st.sampled_from(NASTY)),
    lambda kids: st.one_of(st.lists(kids, max_size=4),
                           st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(max_size=5)), kids, max_size=5)),
    max_leaves=12)
CTYPES = ['application/x-www-form-urlencoded', 'application/json', 'multipart/form-data', 'text/plain',
          'multipart/form-data; boundary=', 'multipart/form-data; boundary="', 'multipart/mixed; boundary=B',
          'application/json; charset=latin-1', 'application/merge-patch+json', 'application/xml', '*/*', '',
          'APPLICATION/JSON', 'multipart/form-data; boundary=B; boundary=C', 'application/x-www-form-urlencoded; x']


# Text goes out as UTF-8, a lone surrogate as its (invalid) UTF-8 bytes, as a broken client would send it.
SP = ('utf-8', 'surrogatepass')


def _qs(pairs) -> bytes:
    return urlencode(pairs, errors='surrogatepass').encode()


def _json(o, escaped: bool) -> bytes:
    "JSON as most clients send it (\\u escapes), or as raw UTF-8 (lone surrogates as their raw bytes)."
    return json.dumps(o).encode() if escaped else json.dumps(o, ensure_ascii=False).encode(*SP)


def _multipart(fields, files, boundary='B0undary'):
    out = b''
    for k, v in fields:
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode(*SP) +
                v.encode(*SP) + b'\r\n')
    for k, fn, data, ctype in files:
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{fn}"\r\n'
                f'Content-Type: {ctype}\r\n\r\n').encode(*SP) + data + b'\r\n'
    return out + f'--{boundary}--\r\n'.encode()


files = st.lists(st.tuples(st.sampled_from(['f', 'fs', 'x', 'note', 'i']), st.text(max_size=8),
                           st.binary(max_size=64), st.sampled_from(['application/octet-stream', 'text/plain', '',
                                                                    'image/png', 'x/\x7f'])), max_size=4)


@st.composite
def bodies(draw):
    "(content-type header or None, body bytes, chunked?)"
    kind = draw(st.sampled_from(['none', 'urlencoded', 'json', 'json_fields', 'multipart', 'broken_multipart',
                                 'random', 'mismatch', 'huge']))
    if kind == 'none':
        return None, b''
    if kind == 'urlencoded':
        return 'application/x-www-form-urlencoded', _qs(draw(pairs))
    if kind == 'json':
        return 'application/json', _json(draw(json_values), draw(st.booleans()))
    if kind == 'json_fields':
        return 'application/json', _json(draw(st.dictionaries(st.sampled_from(NAMES), json_values, max_size=6)),
                                         draw(st.booleans()))
    if kind == 'multipart':
        return 'multipart/form-data; boundary=B0undary', _multipart(draw(pairs), draw(files))
    if kind == 'broken_multipart':
        full = _multipart(draw(pairs), draw(files))
        how = draw(st.sampled_from(['truncate', 'garbage', 'wrong_boundary', 'no_headers', 'bad_disposition']))
        if how == 'truncate':
            return 'multipart/form-data; boundary=B0undary', full[:draw(st.integers(0, len(full)))]
        if how == 'garbage':
            return 'multipart/form-data; boundary=B0undary', draw(st.binary(max_size=200))
        if how == 'wrong_boundary':
            return 'multipart/form-data; boundary=Other', full
        if how == 'no_headers':
            return 'multipart/form-data; boundary=B0undary', b'--B0undary\r\n\r\nvalue\r\n--B0undary--\r\n'
        return ('multipart/form-data; boundary=B0undary',
                b'--B0undary\r\nContent-Disposition: form-data; filename="a"\r\n\r\nv\r\n--B0undary--\r\n')
    if kind == 'random':
        return draw(st.sampled_from(CTYPES)), draw(st.binary(max_size=300))
    if kind == 'huge':
        return draw(st.sampled_from(CTYPES[:3])), b'a=' + b'9' * draw(st.sampled_from([20_000, 70_000]))
    # mismatch: a body of one kind announced as another
    body = draw(st.sampled_from([json.dumps({'i': 1}).encode(), b'i=1&s=x', _multipart([('i', '1')], [])]))
    return draw(st.sampled_from(CTYPES)), body


seg = st.one_of(st.sampled_from(NASTY), st.text(max_size=12), any_text, st.integers().map(str))


@st.composite
def paths(draw):
    "A path as the client means it (`_send` turns it into what a server hands the app)."
    kind = draw(st.sampled_from(['fixed', 'fixed', 'fixed', 'p', 'ps', 'pp', 'pd', 'random', 'long']))
    if kind == 'fixed':
        p = draw(st.sampled_from(PATHS))
    elif kind == 'p':
        p = '/p/' + draw(seg)
    elif kind == 'ps':
        p = '/ps/' + draw(seg)
    elif kind == 'pp':
        p = '/pp/' + '/'.join(draw(st.lists(seg, max_size=4)))
    elif kind == 'pd':
        p = f'/pd/{draw(seg)}/{draw(seg)}'
    elif kind == 'long':
        p = draw(st.sampled_from(LONG_PREFIXES)) + draw(st.sampled_from(['a/', 'é/', 'a' * 300 + '/', 'b' * 5000])) * \
            draw(st.integers(1, 60)) + draw(st.sampled_from(['', '.txt', '.css', '/']))
    else:
        p = '/' + draw(any_text)
    return p


@st.composite
def requests(draw):
    method = draw(st.sampled_from(['GET', 'GET', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']))
    path = draw(paths())
    qpairs = draw(pairs)
    query = _qs(qpairs) if draw(st.booleans()) else quote(draw(text), safe='=&', errors='surrogatepass').encode()
    ctype, body = draw(bodies())
    headers = []
    if ctype is not None:
        headers.append((b'content-type', ctype.encode('utf-8', 'replace')))
    for k, v in draw(st.lists(st.tuples(st.sampled_from(['i', 's', 'b', 'e', 'dt', 'hx-request', 'hx-target',
                                                         'accept', 'x', 'li', 'user-agent']),
                                        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255),
                                                max_size=20)), max_size=3)):
        headers.append((k.encode(), v.encode('latin-1')))
    if draw(st.booleans()):
        cookies = draw(st.lists(st.tuples(st.sampled_from(['i', 's', 'session_', 'b', 'x', 'v', 'caf%C3%A9', 'ü']),
                                          st.one_of(st.text(alphabet=st.characters(min_codepoint=33,
                                                                                   max_codepoint=126,
                                                                                   blacklist_characters=';,'),
                                                            max_size=20),
                                                    text.map(_sent_cookie))), max_size=3))
        headers.append((b'cookie', _wire(b'; '.join(k.encode() + b'=' + v.encode(*SP) for k, v in cookies))))
    chunked = bool(body) and draw(st.integers(0, 9)) == 0
    return dict(method=method, path=path, query=query, headers=headers, body=body, chunked=chunked,
                inline=draw(st.booleans()))


# ---------------------------------------------------------------------------------------------------------------
# The same shapes from a seeded `random.Random`: hypothesis draws the seed, plain Python draws the values, so
# thousands of requests cost milliseconds to generate (hypothesis' own strategies cost ~10 ms per request).

def _r_unicode(r) -> str:
    "A few characters from UNICODE mixed with any code point, lone surrogates and non-characters included."
    return ''.join(r.choice(UNICODE) if r.random() < 0.6 else chr(r.randrange(0, 0x110000))
                   for _ in range(r.randrange(1, 12)))


def _r_text(r) -> str:
    k = r.random()
    if k < 0.1:
        return _r_unicode(r)
    if k < 0.4:
        return r.choice(NASTY)
    if k < 0.6:
        return ''.join(chr(r.choice([r.randrange(32, 127), r.randrange(0, 0xD800), r.randrange(0xE000, 0x110000)]))
                       for _ in range(r.randrange(0, 16)))
    if k < 0.75:
        return str(r.randint(-10**r.randrange(1, 30), 10**r.randrange(1, 30)))
    if k < 0.85:
        return repr(r.uniform(-10, 10) * 10.0 ** r.randrange(-20, 300))
    if k < 0.95:
        return f'{r.randrange(1, 10000):04d}-{r.randrange(0, 14):02d}-{r.randrange(0, 33):02d}' + \
            r.choice(['', f'T{r.randrange(0, 25):02d}:{r.randrange(0, 61):02d}', ' 10:00:00+05:00', 'Z'])
    return ''.join(chr(r.randrange(0, 256)) for _ in range(r.randrange(0, 8)))


def _r_name(r) -> str:
    return r.choice(NAMES) if r.random() < 0.85 else _r_text(r)[:6]


def _r_url(r) -> str:
    "Something a `next` or `to` parameter might hold: paths, absolute URLs, hosts beyond ASCII, and junk."
    t = _r_text(r)[:60]
    return r.choice([f'/{t}', f'/a/{t}?q={t}#{t}', f'https://{r.choice(HOSTS)}/{t}', f'//{r.choice(HOSTS)}/{t}',
                     t, f'/{_r_unicode(r)}', f'{r.choice(HOSTS)}:{t}'])


HOSTS = ['ex.com', 'bücher.de', '日本.jp', '[::1]', 'a..b', 'x' * 70 + '.com', 'ü' * 80, 'xn--zz', '\ud800.com', '']


def _r_value(r, name: str) -> str:
    return _r_url(r) if name in ('to', 'next') and r.random() < 0.7 else _r_text(r)


def _r_pairs(r, n: int = 8) -> list:
    out = []
    for _ in range(r.randrange(0, n)):
        name = _r_name(r)
        out.append((name, _r_value(r, name)))
    return out


def _r_json(r, depth: int = 0):
    k = r.random()
    if depth < 3 and k < 0.25:
        return [_r_json(r, depth + 1) for _ in range(r.randrange(0, 4))]
    if depth < 3 and k < 0.5:
        return {_r_name(r): _r_json(r, depth + 1) for _ in range(r.randrange(0, 5))}
    return r.choice([None, True, False, r.randint(-2**70, 2**70), r.uniform(-1e300, 1e300), _r_text(r),
                     r.choice(NASTY)])


def _r_files(r) -> list:
    return [(r.choice(['f', 'fs', 'x', 'note', 'i']), _r_text(r)[:8], r.randbytes(r.randrange(0, 64)),
             r.choice(['application/octet-stream', 'text/plain', '', 'image/png'])) for _ in range(r.randrange(0, 4))]


def _r_body(r) -> tuple:
    kind = r.choice(['none', 'urlencoded', 'json', 'json_fields', 'multipart', 'broken_multipart', 'random',
                     'mismatch', 'huge'])
    if kind == 'none':
        return None, b''
    if kind == 'urlencoded':
        return 'application/x-www-form-urlencoded', _qs(_r_pairs(r))
    if kind == 'json':
        return 'application/json', _json(_r_json(r), r.random() < 0.6)
    if kind == 'json_fields':
        fields = {r.choice(NAMES): _r_json(r, 1) for _ in range(r.randrange(0, 6))}
        return 'application/json', _json(fields, r.random() < 0.6)
    if kind == 'multipart':
        return 'multipart/form-data; boundary=B0undary', _multipart(_r_pairs(r), _r_files(r))
    if kind == 'broken_multipart':
        full = _multipart(_r_pairs(r), _r_files(r))
        how = r.choice(['truncate', 'garbage', 'wrong_boundary', 'flip'])
        if how == 'truncate':
            full = full[:r.randrange(0, len(full) + 1)]
        elif how == 'garbage':
            full = r.randbytes(r.randrange(0, 200))
        elif how == 'flip' and full:
            i = r.randrange(len(full))
            full = full[:i] + bytes([r.randrange(256)]) + full[i + 1:]
        ctype = 'multipart/form-data; boundary=' + ('Other' if how == 'wrong_boundary' else 'B0undary')
        return ctype, full
    if kind == 'random':
        return r.choice(CTYPES), r.randbytes(r.randrange(0, 300))
    if kind == 'huge':
        return r.choice(CTYPES[:3]), b'i=' + b'9' * r.choice([5000, 20_000, 70_000])
    return r.choice(CTYPES), r.choice([b'{"i": 1}', b'i=1&s=x', _multipart([('i', '1')], [])])


def _r_seg(r) -> str:
    return _r_text(r) if r.random() < 0.7 else str(r.randint(-10**6, 10**6))


LONG_PREFIXES = ['/static/', '/css/', '/nc/', '/im/', '/pp/', '/ps/', '/p/', '/', '/int/', '/redir/']


def _r_long_path(r) -> str:
    "Over-long paths: many segments, or long ones (the OS refuses names over 255 bytes, paths over 4 KiB)."
    seg = r.choice(['a/', '../', 'é/', 'a' * r.randrange(200, 600) + '/', 'b' * r.randrange(1000, 9000), '%2F/',
                    '\x00/'])
    return r.choice(LONG_PREFIXES) + seg * r.randrange(1, 4000 // len(seg) + 8) + r.choice(['', '.txt', '.css', '/'])


def _r_path(r) -> str:
    k = r.random()
    if k < 0.05:
        return _r_long_path(r)
    if k < 0.55:
        return r.choice(PATHS)
    if k < 0.65:
        return '/p/' + _r_seg(r)
    if k < 0.75:
        return '/ps/' + _r_seg(r)
    if k < 0.85:
        return '/pp/' + '/'.join(_r_seg(r) for _ in range(r.randrange(0, 4)))
    if k < 0.95:
        return f'/pd/{_r_seg(r)}/{_r_seg(r)}'
    return '/' + _r_text(r)


def _latin1(r, n: int) -> str:
    return ''.join(chr(r.randrange(32, 256)) for _ in range(r.randrange(0, n)))


def random_request(r) -> dict:
    "One request, drawn from the same tables as the hypothesis strategies."
    method = r.choice(['GET', 'GET', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'])
    qpairs = _r_pairs(r)
    for _ in range(r.randrange(0, 3)):  # repeated fields
        if qpairs:
            qpairs.append((r.choice(qpairs)[0], _r_text(r)))
    query = _qs(qpairs) if r.random() < 0.8 else quote(_r_text(r), safe='=&', errors='surrogatepass').encode()
    ctype, body = _r_body(r)
    headers = [(b'content-type', ctype.encode('utf-8', 'replace'))] if ctype is not None else []
    for _ in range(r.randrange(0, 3)):
        headers.append((r.choice(['i', 's', 'b', 'e', 'dt', 'hx-request', 'hx-target', 'accept', 'x', 'li']).encode(),
                        _latin1(r, 20).encode('latin-1')))
    if r.random() < 0.3:
        headers.append((b'cookie', _r_cookies(r)))
    return dict(method=method, path=_r_path(r), query=query, headers=headers, body=body,
                chunked=bool(body) and r.random() < 0.1, inline=r.random() < 0.5)


def _sent_cookie(v: str) -> str:
    "The value `cookie()` would send for `v` (or `v` itself where it refuses: a lone surrogate)."
    try:
        return cookie('k', v).v.split('; Path=/')[0][2:]
    except ValueError:
        return v


COOKIE_NAMES = [b'i', b's', b'session_', b'b', b'x', b'v', b'\xc3\xbc', b'%C3%BC', b's2', b'\xff']


def _r_cookies(r) -> bytes:
    "A Cookie header: raw latin-1 bytes, raw UTF-8 (with lone surrogates), and what cookie() sends for any text."
    out = []
    for _ in range(r.randrange(1, 4)):
        k = r.random()
        v = (_latin1(r, 20).encode('latin-1') if k < 0.4 else _r_text(r).encode(*SP) if k < 0.6
             else _sent_cookie(_r_text(r)).encode(*SP))
        out.append(r.choice(COOKIE_NAMES) + b'=' + v)
    return _wire(b'; '.join(out))


_NOT_ON_THE_WIRE = re.compile(rb'[\x00-\x08\x0a-\x1f\x7f]')


def _wire(v: bytes) -> bytes:
    "A header value as a server can receive it: CR, LF and NUL cannot be in one (HTTP/1.1 servers refuse them)."
    return v.replace(b'\r', b'').replace(b'\n', b'').replace(b'\x00', b'')


ECHO_NEEDS = {'/redir': 'to', '/loc': 'to', '/hx': 'to', '/hxloc': 'to', '/hdr': 's', '/ftr': 's', '/ck': 'v'}


def echo_request(r) -> dict:
    "A request at a handler that puts client text into headers, cookies or JSON, with Unicode in every field."
    path = r.choice(ECHO_PATHS)
    names = {ECHO_NEEDS.get(path, 'x'), *r.sample(['to', 'ev', 's', 'v', 'ü', 'd', 'x'], r.randrange(0, 4))}
    fields = [(n, _r_unicode(r) if r.random() < 0.4 else _r_value(r, n)) for n in sorted(names)]
    method = r.choice(['GET', 'GET', 'POST', 'PUT' if path == '/jecho' else 'POST'])
    headers: list = [(b'hx-request', b'1')] if r.random() < 0.5 else []
    body, query = b'', _qs(fields)
    if method != 'GET':
        kind = r.choice(['urlencoded', 'json', 'multipart', 'query'])
        if kind == 'urlencoded':
            body, query = query, b''
            headers.append((b'content-type', b'application/x-www-form-urlencoded'))
        elif kind == 'json':
            body, query = _json(dict(fields), r.random() < 0.5), b''
            headers.append((b'content-type', b'application/json'))
        elif kind == 'multipart':
            body, query = _multipart(fields, []), b''
            headers.append((b'content-type', b'multipart/form-data; boundary=B0undary'))
    if r.random() < 0.4:
        headers.append((b'cookie', _r_cookies(r)))
    return dict(method=method, path=path, query=query, headers=headers, body=body, chunked=False,
                inline=r.random() < 0.5)


# ---------------------------------------------------------------------------------------------------------------
# The tests

def _raw_path(path: str) -> bytes:
    "The request target's path as a client sends it: UTF-8 (a lone surrogate as its invalid bytes), %-encoded."
    return quote(path.encode(*SP), safe="/:@!$&'()*+,;=~").encode()


def _server_path(raw: bytes) -> str:
    "The `path` a server (uvicorn) puts in the scope for a raw path: %-escapes decoded as UTF-8 with replacement."
    from urllib.parse import unquote
    return unquote(raw.decode('ascii'))


async def _send(r: dict) -> Resp:
    app = APPS[r['inline']]
    body = r['body']
    raw = _raw_path(r['path'])
    chunks = [body[:len(body) // 2], body[len(body) // 2:]] if r['chunked'] else None
    return await call(app, r['method'], _server_path(raw), raw_path=raw, query=r['query'], headers=r['headers'],
                      body=body if chunks is None else b'', chunks=chunks)


def _run(test, loop) -> float:
    t0 = time.perf_counter()
    try:
        test()
    finally:
        loop.close()
    return time.perf_counter() - t0


def _check(loop, reqs, counts):
    for r in reqs:
        status = loop.run_until_complete(_send(r)).status
        counts[status] = counts.get(status, 0) + 1
        assert 0 < status < 500, (status, r)  # (0: the app never answered)


def test_fuzz_shrinkable_strategies():
    "Hypothesis' own strategies (slower to draw, but a failure shrinks to a minimal request)."
    loop = asyncio.new_event_loop()
    counts: dict = {}

    # 40 examples of 10 requests: margin over the 300 asserted below, since hypothesis may stop a little early
    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=NO_HEALTH_CHECKS)
    @given(st.lists(requests(), min_size=10, max_size=10))
    def run(batch):
        _check(loop, batch, counts)
    elapsed = _run(run, loop)
    n = sum(counts.values())
    print(f'\nfuzz (strategies): {n} requests in {elapsed:.1f}s; statuses {dict(sorted(counts.items()))}')
    assert n >= 300 and counts.get(200, 0) > 10 and counts.get(400, 0) > 30


@pytest.mark.timeout(300)  # bounded, not timed: the suite reports speed in bench/, never asserts it
def test_fuzz_10k_requests_never_5xx():
    "At least 10,000 requests: hypothesis draws the seeds, a seeded Random draws each batch of 100."
    loop = asyncio.new_event_loop()
    counts: dict = {}

    @settings(max_examples=105, deadline=None, database=None, suppress_health_check=NO_HEALTH_CHECKS)
    @given(st.randoms(use_true_random=True))
    def run(rnd):
        _check(loop, [random_request(rnd) for _ in range(100)], counts)
    elapsed = _run(run, loop)
    n = sum(counts.values())
    print(f'\nfuzz (bulk): {n} requests in {elapsed:.1f}s; statuses {dict(sorted(counts.items()))}')
    assert n >= 10_000
    # The requests reach the handlers and the parameter checks, not only routing errors.
    assert counts.get(200, 0) > 1000 and counts.get(400, 0) > 1000 and counts.get(404, 0) > 200


@pytest.mark.timeout(300)
def test_fuzz_headers_cookies_and_json_echoes():
    """9,000 requests at the handlers that put client text into redirects, HTMX headers, Location, cookies, other
    headers and JSON: Unicode of every kind in the query, forms, JSON and cookies. Every cookie a handler set from
    text the request carried comes back, sent as a browser would, into a `str` parameter unchanged."""
    loop = asyncio.new_event_loop()
    counts: dict = {}
    trips = [0]

    async def round_trip(r: dict, resp) -> None:
        # /ck set cookies from `v`: send them back, as a browser would, and read them into parameters
        jar = [v.decode('latin-1').split(';')[0] for k, v in resp.headers if k == b'set-cookie']
        if not jar:
            return
        back = await call(APPS[r['inline']], 'GET', '/ckr', headers=[(b'cookie', '; '.join(jar).encode('latin-1'))])
        assert back.status == 200, (r, jar, back.status, back.text)
        got = json.loads(back.body)
        assert got['v'] == r['v'] and got['ü'] == r['v'], (r, jar, got)
        trips[0] += 1

    @settings(max_examples=90, deadline=None, database=None, suppress_health_check=NO_HEALTH_CHECKS)
    @given(st.randoms(use_true_random=True))
    def run(rnd):
        for _ in range(100):
            r = echo_request(rnd)
            if r['path'] == '/ck' and rnd.random() < 0.5:  # a plain GET whose cookies are checked on the way back
                r.update(method='GET', body=b'', v=_r_text(rnd), headers=[])
                r['query'] = _qs([('v', r['v'])])
            resp = loop.run_until_complete(_send(r))
            counts[resp.status] = counts.get(resp.status, 0) + 1
            assert 0 < resp.status < 500, (resp.status, r, resp.text[:300])
            if 'v' in r and resp.status == 200:
                loop.run_until_complete(round_trip(r, resp))
    elapsed = _run(run, loop)
    n = sum(counts.values())
    print(f'\nfuzz (headers, cookies, JSON): {n} requests ({trips[0]} cookie round trips) in {elapsed:.1f}s; '
          f'statuses {dict(sorted(counts.items()))}')
    assert n >= 9_000 and trips[0] > 300
    assert counts.get(200, 0) > 2000 and counts.get(303, 0) > 100 and counts.get(400, 0) > 500


def _ws_scope(path: str = '/ws', headers: list | None = None) -> dict:
    return {'type': 'websocket', 'asgi': {'version': '3.0', 'spec_version': '2.3'}, 'http_version': '1.1',
            'scheme': 'ws', 'path': path, 'raw_path': path.encode(), 'query_string': b'', 'root_path': '',
            'headers': [(b'host', b'testserver'), *(headers or [])], 'client': ('127.0.0.1', 50001),
            'server': ('testserver', 80), 'subprotocols': [], 'state': {}}


async def _ws_session(app, msgs: list, headers: list | None = None) -> list:
    "One websocket connection in-process: connect, the messages, disconnect; returns what the app sent."
    incoming = [{'type': 'websocket.connect'}, *msgs, {'type': 'websocket.disconnect', 'code': 1000}]
    sent: list = []

    async def receive():
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(3600)  # (never reached: the app stops at the disconnect)

    async def send(m):
        sent.append(m)
    await asyncio.wait_for(app(_ws_scope(headers=headers), receive, send), 120)
    return sent


def _r_ws_message(r) -> dict:
    k = r.random()
    if k < 0.1:
        return {'type': 'websocket.receive', 'bytes': r.randbytes(r.randrange(0, 40))}
    if k < 0.4:
        return {'type': 'websocket.receive', 'text': _r_text(r)}
    fields = {n: _r_json(r, 2) for n in r.sample(['msg', 's', 'i', 'x', 'ü', 'HEADERS'], r.randrange(0, 4))}
    if r.random() < 0.3:
        fields['HEADERS'] = {r.choice(['HX-Request', 'HX-Target', 'HX-Trigger', 'x']): _r_text(r)}
    text = json.dumps(fields, ensure_ascii=r.random() < 0.5)  # escaped, or raw (lone surrogates as themselves)
    return {'type': 'websocket.receive', 'text': text}


@pytest.mark.timeout(300)
def test_fuzz_websocket_messages():
    """Random text and JSON messages (lone surrogates, raw or escaped, in every field and in HEADERS) never close a
    websocket: a message that does not fit is dropped, one that is not text too; the connection stays open."""
    loop = asyncio.new_event_loop()
    stats = {'messages': 0, 'replies': 0}

    @settings(max_examples=30, deadline=None, database=None, suppress_health_check=NO_HEALTH_CHECKS)
    @given(st.randoms(use_true_random=True))
    def run(rnd):
        msgs = [_r_ws_message(rnd) for _ in range(40)]
        hdrs = [(b'cookie', _r_cookies(rnd))] if rnd.random() < 0.5 else []
        sent = loop.run_until_complete(_ws_session(APPS[rnd.random() < 0.5], msgs, hdrs))
        assert sent[0]['type'] == 'websocket.accept', sent[:1]
        assert not any(m['type'] == 'websocket.close' for m in sent), [m for m in sent if m['type'] != 'websocket.send']
        stats['messages'] += len(msgs)
        stats['replies'] += sum(m['type'] == 'websocket.send' for m in sent)
    elapsed = _run(run, loop)
    print(f'\nfuzz (websocket): {stats["messages"]} messages, {stats["replies"]} replies in {elapsed:.1f}s')
    assert stats['messages'] >= 1000 and stats['replies'] > 200


# ---------------------------------------------------------------------------------------------------------------
# The same requests through a real server (uvicorn on 127.0.0.1): every request gets a whole response.

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class _Server:
    "uvicorn serving tests/fuzz_app.py in its own process group, stopped by PID."

    def __init__(self, log: Path):
        self.port = _free_port()
        self.log = log
        env = {**os.environ, 'FUZZ_STATIC': str(STATIC), 'PYTHONPATH': str(TESTS.parent)}
        with open(log, 'wb') as out:
            self.proc = subprocess.Popen(
                [sys.executable, '-m', 'uvicorn', 'fuzz_app:app', '--app-dir', str(TESTS), '--host', '127.0.0.1',
                 '--port', str(self.port), '--log-level', 'warning', '--no-access-log', '--timeout-keep-alive', '300'],
                cwd=log.parent, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        deadline = time.monotonic() + 60  # generous: a busy machine imports slowly
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f'fuzz server did not start:\n{log.read_text(errors="replace")[-2000:]}')

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(15)


class _Conn:
    "One keep-alive HTTP/1.1 connection (a new one when the server closes it after a response)."

    def __init__(self, port: int):
        self.port, self.c = port, None

    def send(self, r: dict) -> int:
        "Send request `r` as raw bytes a client could send; its status, or 0 if the connection dropped."
        if self.c is None:
            self.c = http.client.HTTPConnection('127.0.0.1', self.port, timeout=60)
        c = self.c
        target = _raw_path(r['path']).decode() + ('?' + r['query'].decode('latin-1') if r['query'] else '')
        try:
            c.putrequest(r['method'], target, skip_host=True, skip_accept_encoding=True)
            c.putheader('Host', f'127.0.0.1:{self.port}')
            for k, v in r['headers']:
                # (header bytes a server refuses never reach the app: it answers 400 and closes the connection,
                # with a reset that can lose that answer; such requests are for the in-process share)
                c.putheader(k.decode('latin-1'), _NOT_ON_THE_WIRE.sub(b'', v))
            body = r['body']
            if r['chunked']:
                c.putheader('Transfer-Encoding', 'chunked')
                c.endheaders()
                half = len(body) // 2
                for part in (body[:half], body[half:]):
                    if part:
                        c.send(f'{len(part):x}\r\n'.encode() + part + b'\r\n')
                c.send(b'0\r\n\r\n')
            else:
                if body:
                    c.putheader('Content-Length', str(len(body)))
                c.endheaders(body or None)
            resp = c.getresponse()
            resp.read()
        except (OSError, http.client.HTTPException):
            c.close()
            self.c = None
            return 0
        except BaseException:  # a request this client cannot send (a bug in the test): never reuse the connection
            c.close()
            self.c = None
            raise
        if resp.will_close:
            c.close()
            self.c = None
        return resp.status


@pytest.mark.timeout(600)
def test_fuzz_through_a_real_server(tmp_path):
    """3,000 of the same random requests (every kind above) through uvicorn over loopback: each gets a whole
    response, none a 5xx, and the server logs no traceback."""
    server = _Server(tmp_path / 'server.log')
    counts: dict = {}
    try:
        conn = _Conn(server.port)

        @settings(max_examples=30, deadline=None, database=None, suppress_health_check=NO_HEALTH_CHECKS)
        @given(st.randoms(use_true_random=True))
        def run(rnd):
            for i in range(100):
                r = echo_request(rnd) if i % 3 == 0 else random_request(rnd)
                status = conn.send(r)
                counts[status] = counts.get(status, 0) + 1
                assert 0 < status < 500, (status, r)  # 0: the connection dropped without a response
        t0 = time.perf_counter()
        run()
        elapsed = time.perf_counter() - t0
    finally:
        server.stop()
    log = (tmp_path / 'server.log').read_text(errors='replace')
    n = sum(counts.values())
    print(f'\nfuzz (uvicorn): {n} requests in {elapsed:.1f}s; statuses {dict(sorted(counts.items()))}')
    assert 'Traceback' not in log and 'Exception in ASGI application' not in log, log[-3000:]
    assert n >= 3_000 and counts.get(200, 0) > 200
