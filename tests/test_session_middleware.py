"""fasthtml._session.SessionMiddleware answers exactly as Starlette's SessionMiddleware does, cookie for cookie."""
import re

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware as StarletteSessions
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient

from fasthtml._session import SessionMiddleware
from fasthtml.core import FastHTML


async def untouched(req):
    return PlainTextResponse('untouched')


async def read(req):
    return PlainTextResponse(f"n={req.session.get('n')}")


async def bump(req):
    req.session['n'] = req.session.get('n', 0) + 1
    return PlainTextResponse(f"n={req.session['n']}")


async def clear(req):
    req.session.clear()
    return PlainTextResponse('cleared')


async def ws(sock):
    await sock.accept()
    sock.session['seen'] = True
    await sock.send_text(f"ws n={sock.session.get('n')}")
    await sock.close()


def make(cls, **kw):
    routes = [Route('/untouched', untouched), Route('/read', read), Route('/bump', bump), Route('/clear', clear),
              WebSocketRoute('/ws', ws)]
    return Starlette(routes=routes, middleware=[Middleware(cls, secret_key='s3cret', **kw)])


def responses(app, steps):
    out = []
    with TestClient(app) as cli:
        for step in steps:
            if step == 'ws':
                with cli.websocket_connect('/ws') as w:
                    out.append(w.receive_text())
                continue
            if isinstance(step, tuple):
                path, cookie = step
                cli.cookies.clear()
                r = cli.get(path, headers={'cookie': cookie})
            else:
                r = cli.get(step)
            # The signature embeds a timestamp: compare cookies up to the signature.
            cookies = [re.sub(r'\.[\w-]+\.[\w-]+;', '.<time>.<signature>;', c)
                       for c in r.headers.get_list('set-cookie')]
            out.append((r.status_code, r.text, r.headers.get('vary'), cookies))
    return out


STEPS = ['/untouched', '/read', '/bump', '/bump', '/read', '/untouched', 'ws', '/clear', '/read', '/clear', '/bump',
         ('/read', 'session=garbage'), ('/read', 'session='), ('/read', 'other=1; session=x.y.z'),
         ('/bump', 'a=b'), ('/untouched', '')]


@pytest.mark.parametrize('kw', [{}, {'session_cookie': 'sid', 'max_age': None, 'same_site': 'strict',
                                     'https_only': True, 'path': '/app'}])
def test_same_answers_as_starlettes(kw):
    assert responses(make(SessionMiddleware, **kw), STEPS) == responses(make(StarletteSessions, **kw), STEPS)


def test_a_valid_cookie_round_trips_between_the_two():
    "Cookies written by one are read by the other (same signing and encoding)."
    with TestClient(make(StarletteSessions)) as a, TestClient(make(SessionMiddleware)) as b:
        a.get('/bump')
        a.get('/bump')
        b.cookies.update(a.cookies)
        assert b.get('/read').text == 'n=2'
        b.get('/bump')
        a.cookies.update(b.cookies)
        assert a.get('/read').text == 'n=3'


def test_fasthtml_installs_it_by_default():
    app = FastHTML(secret_key='k')
    assert any(m.cls is SessionMiddleware for m in app.user_middleware)
