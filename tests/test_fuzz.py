"""Property-based fuzzing (hypothesis): random requests at handlers with every supported parameter type.

Whatever arrives (random strings and bytes, huge values, missing and repeated fields, wrong content types, broken
multipart bodies, odd paths, cookies and headers), the response is 2xx, 3xx or 4xx: never a 5xx, never an exception
escaping the app. Requests go straight into the ASGI app in-process; at least 10,000 are sent per run."""
import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Optional, TypedDict
from urllib.parse import quote, urlencode

import pytest
from asgi_call import call
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.datastructures import UploadFile

from fasthtml.components import Div, Li, Ul
from fasthtml.core import FastHTML
from fasthtml.limits import Limits


class Color(Enum):
    red = 'red'
    green = 'green'
    blue = 'blue'


class Num(Enum):
    one = 1
    two = 2


@dataclass
class Item:
    name: str
    age: int = 0
    score: float = 0.0
    ok: bool = False
    tags: list[str] = field(default_factory=list)
    when: Optional[date] = None


class Person(TypedDict):
    name: str
    age: int


def show(**kw):
    "Render what the handler received, so rendering runs on fuzzed values too."
    return Div(Ul(*[Li(f'{k}={v!r}') for k, v in kw.items()]), title=repr(kw)[:200], data_n=len(kw))


def build_app(sync_inline: bool) -> FastHTML:
    app = FastHTML(secret_key='fuzz-key-' * 4, sync_inline=sync_inline,
                   limits=Limits(max_body=64 * 1024, max_fields=200, max_files=10, max_part_size=16 * 1024))

    @app.route('/int', methods=['get', 'post', 'put'])
    def int_(i: int):
        return show(i=i)

    @app.route('/float', methods=['get', 'post'])
    def float_(f: float):
        return show(f=f)

    @app.route('/bool', methods=['get', 'post'])
    def bool_(b: bool):
        return show(b=b)

    @app.route('/str', methods=['get', 'post'])
    def str_(s: str):
        return show(s=s)

    @app.route('/date', methods=['get', 'post'])
    def date_(d: date):
        return show(d=d)

    @app.route('/datetime', methods=['get', 'post'])
    def datetime_(dt: datetime):
        return show(dt=dt)

    @app.route('/enum', methods=['get', 'post'])
    def enum_(e: Color, n: Num = Num.one):
        return show(e=e, n=n)

    @app.route('/opt', methods=['get', 'post'])
    def opt(oi: Optional[int] = None, of: float | None = None, os_: Optional[str] = None):
        return show(oi=oi, of=of, os_=os_)

    @app.route('/list', methods=['get', 'post'])
    def list_(li: list[int], ls: list[str] = []):  # noqa: B006
        return show(li=li, ls=ls)

    @app.route('/dc', methods=['get', 'post', 'put', 'patch'])
    def dc(x: Item):
        return show(x=x)

    @app.route('/td', methods=['get', 'post'])
    def td(y: Person):
        return show(y=y)

    @app.route('/dict', methods=['get', 'post'])
    async def dict_(d: dict):
        # JSON out (uploads, which a multipart body may carry, are not JSON: send their names)
        return {k: v.filename if isinstance(v, UploadFile) else v for k, v in d.items()}

    @app.route('/up', methods=['post'])
    async def up(f: UploadFile):
        data = await f.read()
        return show(name=f.filename, size=len(data), ctype=f.content_type)

    @app.route('/ups', methods=['post'])
    async def ups(fs: list[UploadFile], note: str = ''):
        sizes = [len(await f.read()) for f in fs]
        return show(sizes=sizes, note=note)

    @app.route('/p/{n}', methods=['get', 'post', 'delete'])
    def path_int(n: int):
        return show(n=n)

    @app.route('/ps/{s}', methods=['get', 'delete'])
    async def path_str(s: str, q: Optional[int] = None):
        return show(s=s, q=q)

    @app.route('/pp/{rest:path}', methods=['get'])
    def path_path(rest: str):
        return show(rest=rest)

    @app.route('/pd/{d}/{c}', methods=['get'])
    def path_typed(d: date, c: Color):
        return show(d=d, c=c)

    @app.route('/mixed', methods=['get', 'post', 'put', 'patch', 'delete'])
    async def mixed(req, session, htmx, i: int, s: str = '', b: bool = False, e: Optional[Color] = None,
                    li: list[int] = [], dt: Optional[datetime] = None, body_f: float = 0.0):  # noqa: B006
        session['hits'] = session.get('hits', 0) + 1
        return show(i=i, s=s, b=b, e=e, li=li, dt=dt, htmx=bool(htmx), body_f=body_f)

    @app.route('/body', methods=['post', 'put'])
    def raw_body(body: str):
        # (a JSON body's non-string value reaches a `str` parameter as sent, as in FastHTML: the handler copes)
        return show(n=len(str(body)))

    @app.route('/', methods=['get'])
    def index():
        return Div('home')
    return app


APPS = {False: build_app(False), True: build_app(True)}

# ---------------------------------------------------------------------------------------------------------------
# Strategies

NAMES = ['i', 'f', 'b', 's', 'd', 'dt', 'e', 'n', 'oi', 'of', 'os_', 'li', 'ls', 'x', 'y', 'name', 'age', 'score',
         'ok', 'tags', 'when', 'fs', 'note', 'q', 'c', 'body_f', 'hits', 'session', 'req', 'htmx', 'body', '']
PATHS = ['/int', '/float', '/bool', '/str', '/date', '/datetime', '/enum', '/opt', '/list', '/dc', '/td', '/dict',
         '/up', '/ups', '/mixed', '/body', '/', '/missing', '/int/', '//int']
NASTY = ['', ' ', '0', '-0', '-1', '1.5', '1e3', '1e309', '-1e309', 'nan', 'NaN', 'inf', '-inf', 'Infinity',
         '9' * 400, '9' * 5000, '-' + '9' * 4301, '0x10', '1_000', '١٢٣', '²', 'true', 'false', 'on', 'off', 'yes',
         'None', 'null', 'undefined', '[]', '{}', '[1,2]', '{"a":1}', 'red', 'RED', 'green', '1', '2', 'one',
         '2024-02-30', '2024-01-01T10:00', '0001-01-01', '9999-12-31T23:59:59', '99999-12-31', '2024-13-45',
         '10:61', 'tomorrow', 'Jan 1 10000', '1' * 30, '\x00', '\ufeff', '\ud7ff', '%00', '%', '../../etc/passwd',
         '<script>alert(1)</script>', '"', "'", '\\', 'a' * 3000, 'é' * 100, '🙂' * 10]
text = st.one_of(st.sampled_from(NASTY), st.text(max_size=20), st.integers().map(str), st.floats().map(str),
                 st.dates().map(str), st.datetimes().map(str))
names = st.one_of(st.sampled_from(NAMES), st.text(max_size=6))
pairs = st.lists(st.tuples(names, text), max_size=8)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10),
              st.sampled_from(NASTY)),
    lambda kids: st.one_of(st.lists(kids, max_size=4),
                           st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(max_size=5)), kids, max_size=5)),
    max_leaves=12)
CTYPES = ['application/x-www-form-urlencoded', 'application/json', 'multipart/form-data', 'text/plain',
          'multipart/form-data; boundary=', 'multipart/form-data; boundary="', 'multipart/mixed; boundary=B',
          'application/json; charset=latin-1', 'application/merge-patch+json', 'application/xml', '*/*', '',
          'APPLICATION/JSON', 'multipart/form-data; boundary=B; boundary=C', 'application/x-www-form-urlencoded; x']


def _multipart(fields, files, boundary='B0undary'):
    out = b''
    for k, v in fields:
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode('utf-8', 'replace') +
                v.encode('utf-8', 'replace') + b'\r\n')
    for k, fn, data, ctype in files:
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{fn}"\r\n'
                f'Content-Type: {ctype}\r\n\r\n').encode('utf-8', 'replace') + data + b'\r\n'
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
        return 'application/x-www-form-urlencoded', urlencode(draw(pairs)).encode()
    if kind == 'json':
        return 'application/json', json.dumps(draw(json_values)).encode()
    if kind == 'json_fields':
        return 'application/json', json.dumps(draw(st.dictionaries(st.sampled_from(NAMES), json_values,
                                                                   max_size=6))).encode()
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


seg = st.one_of(st.sampled_from(NASTY), st.text(max_size=12), st.integers().map(str))


@st.composite
def paths(draw):
    "The decoded path a server hands the app, and its raw form."
    kind = draw(st.sampled_from(['fixed', 'fixed', 'fixed', 'p', 'ps', 'pp', 'pd', 'random']))
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
    else:
        p = '/' + draw(st.text(max_size=20))
    return p


@st.composite
def requests(draw):
    method = draw(st.sampled_from(['GET', 'GET', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']))
    path = draw(paths())
    qpairs = draw(pairs)
    query = urlencode(qpairs).encode() if draw(st.booleans()) else quote(draw(st.text(max_size=30)), safe='=&').encode()
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
        cookies = draw(st.lists(st.tuples(st.sampled_from(['i', 's', 'session_', 'b', 'x']),
                                          st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126,
                                                                         blacklist_characters=';,'), max_size=20)),
                                max_size=3))
        headers.append((b'cookie', '; '.join(f'{k}={v}' for k, v in cookies).encode()))
    chunked = bool(body) and draw(st.integers(0, 9)) == 0
    return dict(method=method, path=path, query=query, headers=headers, body=body, chunked=chunked,
                inline=draw(st.booleans()))


# ---------------------------------------------------------------------------------------------------------------
# The same shapes from a seeded `random.Random`: hypothesis draws the seed, plain Python draws the values, so
# thousands of requests cost milliseconds to generate (hypothesis' own strategies cost ~10 ms per request).

def _r_text(r) -> str:
    k = r.random()
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


def _r_pairs(r, n: int = 8) -> list:
    return [(_r_name(r), _r_text(r)) for _ in range(r.randrange(0, n))]


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
        return 'application/x-www-form-urlencoded', urlencode(_r_pairs(r)).encode()
    if kind == 'json':
        return 'application/json', json.dumps(_r_json(r)).encode()
    if kind == 'json_fields':
        fields = {r.choice(NAMES): _r_json(r, 1) for _ in range(r.randrange(0, 6))}
        return 'application/json', json.dumps(fields).encode()
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


def _r_path(r) -> str:
    k = r.random()
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
    query = urlencode(qpairs).encode() if r.random() < 0.8 else quote(_r_text(r), safe='=&').encode()
    ctype, body = _r_body(r)
    headers = [(b'content-type', ctype.encode('utf-8', 'replace'))] if ctype is not None else []
    for _ in range(r.randrange(0, 3)):
        headers.append((r.choice(['i', 's', 'b', 'e', 'dt', 'hx-request', 'hx-target', 'accept', 'x', 'li']).encode(),
                        _latin1(r, 20).encode('latin-1')))
    if r.random() < 0.3:
        ck = '; '.join(f'{r.choice(["i", "s", "session_", "b", "x"])}={_latin1(r, 20)}'
                       for _ in range(r.randrange(1, 4)))
        headers.append((b'cookie', ck.encode('latin-1')))
    return dict(method=method, path=_r_path(r), query=query, headers=headers, body=body,
                chunked=bool(body) and r.random() < 0.1, inline=r.random() < 0.5)


# ---------------------------------------------------------------------------------------------------------------
# The tests

async def _send(r: dict) -> int:
    app = APPS[r['inline']]
    body = r['body']
    kw = dict(chunks=[body[:len(body) // 2], body[len(body) // 2:]]) if r['chunked'] else dict(body=body)
    resp = await call(app, r['method'], r['path'], query=r['query'], headers=r['headers'], **kw)
    return resp.status


def _run(test, loop) -> tuple[int, dict, float]:
    t0 = time.perf_counter()
    try:
        test()
    finally:
        loop.close()
    return time.perf_counter() - t0


def _check(loop, reqs, counts):
    for r in reqs:
        status = loop.run_until_complete(_send(r))
        counts[status] = counts.get(status, 0) + 1
        assert status < 500, (status, r)


def test_fuzz_shrinkable_strategies():
    "Hypothesis' own strategies (slower to draw, but a failure shrinks to a minimal request)."
    loop = asyncio.new_event_loop()
    counts: dict = {}

    # 40 examples of 10 requests: margin over the 300 asserted below, since hypothesis may stop a little early
    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
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

    @settings(max_examples=105, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.randoms(use_true_random=True))
    def run(rnd):
        _check(loop, [random_request(rnd) for _ in range(100)], counts)
    elapsed = _run(run, loop)
    n = sum(counts.values())
    print(f'\nfuzz (bulk): {n} requests in {elapsed:.1f}s; statuses {dict(sorted(counts.items()))}')
    assert n >= 10_000
    # The requests reach the handlers and the parameter checks, not only routing errors.
    assert counts.get(200, 0) > 1000 and counts.get(400, 0) > 1000 and counts.get(404, 0) > 200
