"""The app the fuzz tests (tests/test_fuzz.py) send their requests to: a handler for every supported parameter type,
and handlers that put client text into redirects, HTMX headers, cookies, other headers and JSON echoes, plus static
routes. `uvicorn fuzz_app:app --app-dir tests` serves it, for the share of requests that go through a real server."""
import atexit
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Optional, TypedDict

from starlette.datastructures import UploadFile

from fasthtml.components import Div, Li, P, Ul
from fasthtml.core import (
    FastHTML,
    FtResponse,
    HtmxResponseHeaders,
    HttpHeader,
    Redirect,
    StaticImmutable,
    StaticNoCache,
    cookie,
)
from fasthtml.limits import Limits

__all__ = ['build_app', 'static_dir', 'app']


def static_dir() -> Path:
    "A folder of static files for the fuzz app (removed at exit): two files, a subfolder and a symlink loop."
    d = Path(tempfile.mkdtemp(prefix='fasthtml-fuzz-static-'))
    atexit.register(shutil.rmtree, d, True)
    (d / 'sub').mkdir()
    (d / 'ok.txt').write_text('ok')
    (d / 'sub' / 'deep.css').write_text('deep')
    os.symlink(d / 'loop2.txt', d / 'loop1.txt')
    os.symlink(d / 'loop1.txt', d / 'loop2.txt')
    return d


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
    when: Optional[date] = None  # noqa: UP045 (the Optional spelling, on purpose)


class Person(TypedDict):
    name: str
    age: int


def show(**kw):
    "Render what the handler received, so rendering runs on fuzzed values too."
    return Div(Ul(*[Li(f'{k}={v!r}') for k, v in kw.items()]), title=repr(kw)[:200], data_n=len(kw))


def build_app(sync_inline: bool, static: Path | None = None) -> FastHTML:
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
    def opt(oi: Optional[int] = None, of: float | None = None,  # noqa: UP045 (the Optional spelling, on purpose)
            os_: Optional[str] = None):  # noqa: UP045
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
    async def path_str(s: str, q: Optional[int] = None):  # noqa: UP045 (the Optional spelling, on purpose)
        return show(s=s, q=q)

    @app.route('/pp/{rest:path}', methods=['get'])
    def path_path(rest: str):
        return show(rest=rest)

    @app.route('/pd/{d}/{c}', methods=['get'])
    def path_typed(d: date, c: Color):
        return show(d=d, c=c)

    @app.route('/mixed', methods=['get', 'post', 'put', 'patch', 'delete'])
    async def mixed(req, session, htmx, i: int, s: str = '', b: bool = False,
                    e: Optional[Color] = None,  # noqa: UP045 (the Optional spelling, on purpose)
                    li: list[int] = [], dt: Optional[datetime] = None, body_f: float = 0.0):  # noqa: B006, UP045
        session['hits'] = session.get('hits', 0) + 1
        return show(i=i, s=s, b=b, e=e, li=li, dt=dt, htmx=bool(htmx), body_f=body_f)

    @app.route('/body', methods=['post', 'put'])
    def raw_body(body: str):
        # (a JSON body's non-string value reaches a `str` parameter as sent, as in FastHTML: the handler copes)
        return show(n=len(str(body)))

    # Client text into response headers: every header is encoded, or refused with a 4xx; never a 500.
    @app.route('/redir', methods=['get', 'post'])
    def redir(to: str):
        return Redirect(to)

    @app.route('/loc', methods=['get', 'post'])
    async def loc(to: str):
        return P('moved'), HttpHeader('Location', to), HttpHeader('Content-Location', to)

    @app.route('/hx', methods=['get', 'post'])
    def hx(to: str, ev: str = 'done'):
        return P('hx'), HtmxResponseHeaders(location=to, push_url=to, redirect=to, replace_url=to, trigger=ev,
                                            retarget=ev, reselect=ev, reswap=ev, trigger_after_swap={ev: to},
                                            trigger_after_settle=ev)

    @app.route('/hxloc', methods=['get', 'post'])
    async def hxloc(to: str, ev: str = '#t'):
        return HtmxResponseHeaders(location={'path': to, 'target': ev})

    @app.route('/hdr', methods=['get', 'post'])
    def hdr(s: str, v: str = ''):
        return P('h'), HttpHeader('X-Echo', s), HttpHeader('X-V', v)

    @app.route('/ftr', methods=['get', 'post'])
    async def ftr(s: str):
        return FtResponse(P('f'), status_code=201, headers={'X-Echo': s, 'HX-Push-Url': s, 'HX-Trigger': s})

    # Cookies: set from client text, read back by parameters (names beyond ASCII too).
    @app.route('/ck', methods=['get', 'post'])
    def ck(v: str, s: str = ''):
        return P('set'), cookie('v', v), cookie('ü', s or v), cookie('s2', v, path=s or '/', max_age=60)

    @app.route('/ckr', methods=['get', 'post'])
    async def ckr(v: str = '', ü: str = '', s: str = ''):
        return {'v': v, 'ü': ü, 's': s}

    # JSON echoes of everything the request carried.
    @app.route('/jecho', methods=['get', 'post', 'put', 'patch'])
    async def jecho(req, d: dict):
        return {'d': {k: v.filename if isinstance(v, UploadFile) else v for k, v in d.items()},
                'q': list(req.query_params.multi_items()), 'c': req.cookies, 'path': req.url.path,
                'h': dict(req.headers)}

    @app.ws('/ws')
    async def ws(msg: str = '', s: str = '', i: int = 0, data=None, htmx=None):
        return Div(P(msg), P(s), P(i), P(repr(data)[:50]), id='out')

    if static is not None:
        app.static_route_exts(prefix='/static', static_path=str(static))
        app.static_route('.css', prefix='/css', static_path=str(static))
        app.mount('/nc', StaticNoCache(directory=str(static)))
        app.mount('/im', StaticImmutable(directory=str(static)))

    @app.route('/', methods=['get'])
    def index():
        return Div('home')
    return app



# For uvicorn (tests/test_fuzz.py starts it with FUZZ_STATIC set)
app = build_app(False, Path(os.environ['FUZZ_STATIC']) if os.environ.get('FUZZ_STATIC') else None)
