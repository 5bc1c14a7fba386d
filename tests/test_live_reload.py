"""Live reload: the injected script, the /live-reload websocket, and fast_app(live=True)."""
from __future__ import annotations

import asyncio
import re
import warnings

import pytest
from starlette.routing import WebSocketRoute

with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    from starlette.testclient import TestClient

from fasthtml.components import P
from fasthtml.core import Beforeware, FastHTML
from fasthtml.fastapp import fast_app
from fasthtml.live_reload import (
    LIVE_RELOAD_PATH,
    FastHTMLWithLiveReload,
    live_reload_script,
)


def _script(html: str) -> str:
    scripts = [s for s in re.findall(r'<script>(.*?)</script>', html, re.DOTALL) if LIVE_RELOAD_PATH in s]
    assert len(scripts) == 1, html
    return scripts[0]


def test_pages_get_the_script_and_the_route_exists():
    app = FastHTMLWithLiveReload(secret_key='k')

    @app.route('/')
    def index():
        return P('hello')
    c = TestClient(app)
    html = c.get('/').text
    js = _script(html)
    assert "location.host + '/live-reload'" in js and 'location.reload()' in js
    assert 'Math.max(1000, 50)' in js                      # the default interval
    assert '<p>hello</p>' in html
    assert any(isinstance(r, WebSocketRoute) and r.path == '/live-reload' for r in app.routes)
    # HTMX fragments do not repeat the head.
    assert LIVE_RELOAD_PATH not in c.get('/', headers={'HX-Request': 'true'}).text


def test_live_reload_socket_stays_open_until_the_client_leaves():
    "The server accepts, ignores what the page sends, never closes first, and returns when the client leaves."
    app = FastHTMLWithLiveReload(secret_key='k')
    route = next(r for r in app.routes if isinstance(r, WebSocketRoute) and r.path == '/live-reload')
    incoming = [{'type': 'websocket.connect'}, {'type': 'websocket.receive', 'text': 'ping'},
                {'type': 'websocket.receive', 'bytes': b'x'}, {'type': 'websocket.disconnect', 'code': 1001}]
    sent = []

    async def receive():
        return incoming.pop(0)

    async def send(msg):
        sent.append(msg['type'])
    scope = {'type': 'websocket', 'path': '/live-reload', 'headers': [], 'query_string': b'', 'subprotocols': []}
    asyncio.run(asyncio.wait_for(route.app(scope, receive, send), 5))
    assert sent == ['websocket.accept'] and incoming == []


def test_live_reload_bypasses_beforeware():
    "A login redirect must not refuse the reload socket: the page would then reload in a loop."
    app = FastHTMLWithLiveReload(secret_key='k', before=Beforeware(lambda req: 'login first'))

    @app.ws('/other')
    async def other(msg: str):
        return P(msg)
    c = TestClient(app)
    with c.websocket_connect('/live-reload') as ws:
        ws.close()
    from starlette.websockets import WebSocketDisconnect
    with pytest.raises(WebSocketDisconnect), c.websocket_connect('/other'):
        pass


def test_fast_app_live_with_attempts_and_interval():
    app, rt = fast_app(live=True, reload_attempts=5, reload_interval=250, secret_key='k')
    assert isinstance(app, FastHTMLWithLiveReload)
    assert (app.reload_attempts, app.reload_interval) == (5, 250)

    @rt('/')
    def index():
        return P('hi')
    js = _script(TestClient(app).get('/').text)
    assert 'Math.max(250, 50)' in js and 'Math.max(5,' in js


def test_fast_app_without_live_has_no_script():
    app, rt = fast_app(secret_key='k')

    @rt('/')
    def index():
        return P('hi')
    page = TestClient(app).get('/').text
    assert '<p>hi</p>' in page and LIVE_RELOAD_PATH not in page
    assert not isinstance(app, FastHTMLWithLiveReload) and isinstance(app, FastHTML)


def test_script_helper_fills_values():
    s = str(live_reload_script(3, 400, '/lr'))
    assert "'/lr'" in s and 'Math.max(400, 50)' in s and 'Math.max(3,' in s
