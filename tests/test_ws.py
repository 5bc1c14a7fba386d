"""Websocket routes: parameter injection, send/return, message formats, malformed frames, disconnects."""
from __future__ import annotations

import inspect
import json
import logging
import threading
import warnings
from dataclasses import dataclass

import pytest
from starlette.websockets import WebSocketDisconnect

with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    from starlette.testclient import TestClient

from fasthtml._ws import parse_message, ws_payload
from fasthtml.components import Div, Input, Li, P, Span
from fasthtml.core import (
    APIRouter,
    Beforeware,
    FastHTML,
    HtmxHeaders,
    RouteFunc,
    nested_name,
)


@dataclass
class Todo:
    title: str
    done: bool = False


def mkapp(**kw) -> FastHTML:
    return FastHTML(secret_key='test-secret', **kw)


def client(app) -> TestClient:
    return TestClient(app)


def handler(kind: str, body):
    "The same handler body as a `def` or an `async def` with the same signature."
    if kind == 'sync':
        return body
    sig = inspect.signature(body)

    async def ahandler(**kw):
        return body(**kw)
    ahandler.__signature__ = sig
    ahandler.__annotations__ = body.__annotations__
    ahandler.__name__ = ahandler.__qualname__ = body.__name__
    return ahandler


# ---------------------------------------------------------------------------------------------------------------
# Injection

def test_message_fields_by_name_cast_by_annotation(kind):
    app = mkapp()

    def echo(msg: str, n: int, flag: bool = False):
        return P(f'{msg}|{n * 2}|{flag}')
    app.ws('/ws')(handler(kind, echo))
    with client(app).websocket_connect('/ws') as ws:
        ws.send_text(json.dumps({'msg': 'hi', 'n': '21', 'flag': 'on'}))
        assert ws.receive_text() == '<p>hi|42|True</p>'
        ws.send_text(json.dumps({'msg': 'yo', 'n': 1}))
        assert ws.receive_text() == '<p>yo|2|False</p>'


def test_specials_ws_send_session_scope_app_htmx_data(kind):
    app = mkapp()
    seen = {}

    def h(ws, send, session, scope, app, htmx, data, msg: str):
        seen.update(ws=ws, send=send, session=session, scope=scope, app=app, htmx=htmx, data=data)
        return P(msg)
    app.ws('/ws')(handler(kind, h))
    with client(app).websocket_connect('/ws') as ws:
        ws.send_text(json.dumps({'msg': 'x', 'HEADERS': {'HX-Request': 'true', 'HX-Trigger': 'form',
                                                         'HX-Current-URL': 'http://testserver/'}}))
        assert ws.receive_text() == '<p>x</p>'
    assert seen['ws'].url.path == '/ws' and seen['ws'].method == 'GET'
    assert callable(seen['send'])
    assert seen['session'] == {}
    assert seen['scope']['type'] == 'websocket'
    assert seen['app'] is app
    assert isinstance(seen['htmx'], HtmxHeaders) and seen['htmx']
    assert (seen['htmx'].request, seen['htmx'].trigger, seen['htmx'].current_url) == ('true', 'form',
                                                                                      'http://testserver/')
    assert seen['data'] == {'msg': 'x'}  # HEADERS is taken out of the message


def test_path_query_and_header_parameters():
    app = mkapp()

    @app.ws('/room/{room}')
    async def room(room: str, who: str, user_agent: str, text: str):
        return P(room, who, user_agent[:10], text)
    with client(app).websocket_connect('/room/lobby?who=ann') as ws:
        ws.send_text('{"text": "hello"}')
        assert ws.receive_text() == '<p>lobbyanntestclienthello</p>'


def test_session_is_the_http_session():
    app = mkapp()

    @app.route('/login')
    def login(session):
        session['user'] = 'ann'
        return 'ok'

    @app.ws('/ws')
    async def ws(session, msg: str):
        return P(session.get('user'), ':', msg)
    with client(app) as c:
        c.get('/login')
        with c.websocket_connect('/ws') as w:
            w.send_text('{"msg": "hi"}')
            assert w.receive_text() == '<p>ann:hi</p>'


def test_dataclass_and_dict_parameters_from_the_message():
    app = mkapp()

    @app.ws('/ws')
    async def ws(todo: Todo, d: dict):
        return P(repr(todo), ' ', ','.join(sorted(d)))
    with client(app).websocket_connect('/ws') as w:
        w.send_text('{"title": "milk", "done": "on"}')
        assert w.receive_text() == "<p>Todo(title='milk', done=True) done,title</p>"


def test_conn_and_disconn_get_the_same_injection(kind):
    app = mkapp()
    events = []

    def on_conn(ws, send, session, who: str):
        events.append(('conn', who, ws.url.path))
        return Div(f'welcome {who}', id='note')

    def on_disconn(ws, send, who: str):
        events.append(('disconn', who))

    @app.ws('/ws', conn=handler(kind, on_conn), disconn=handler(kind, on_disconn))
    async def ws(msg: str):
        return P(msg)
    with client(app).websocket_connect('/ws?who=bob') as w:
        assert w.receive_text() == '<div id="note">welcome bob</div>'
        w.send_text('{"msg": "m"}')
        assert w.receive_text() == '<p>m</p>'
    assert events == [('conn', 'bob', '/ws'), ('disconn', 'bob')]


def test_spec_example_send_then_return():
    "The documentation's example: conn sends a greeting; the handler sends, then returns a tuple (one message)."
    app = mkapp(exts='ws')

    def mk_inp():
        return Input(id='msg')

    async def on_connect(send):
        await send(Div('Hello, you have connected', id='notifications'))

    async def on_disconnect(ws):
        pass

    @app.ws('/ws', conn=on_connect, disconn=on_disconnect)
    async def ws(msg: str, send):
        await send(Div('Hello ' + msg, id='notifications'))
        return Div('Goodbye ' + msg, id='notifications'), mk_inp()
    with client(app).websocket_connect('/ws') as w:
        assert w.receive_text() == '<div id="notifications">Hello, you have connected</div>'
        w.send_text(json.dumps({'msg': 'Jo', 'HEADERS': {'HX-Request': 'true'}}))
        assert w.receive_text() == '<div id="notifications">Hello Jo</div>'
        assert w.receive_text() == '<div id="notifications">Goodbye Jo</div>\n<input id="msg" name="msg">\n'


# ---------------------------------------------------------------------------------------------------------------
# send and return values

def test_send_one_message_per_call_and_return_value():
    app = mkapp()

    @app.ws('/ws')
    async def ws(send, n: int):
        for i in range(n):
            assert await send(Li(i)) is True
        return 'done'
    with client(app).websocket_connect('/ws') as w:
        w.send_text('{"n": 3}')
        assert [w.receive_text() for _ in range(4)] == ['<li>0</li>', '<li>1</li>', '<li>2</li>', 'done']


def test_send_from_a_sync_handler_blocks_until_sent():
    app = mkapp()
    threads = []

    @app.ws('/ws')
    def ws(send, msg: str):
        threads.append(threading.current_thread().name)
        ok = send(P('first ' + msg))
        return P('second', ok)
    with client(app).websocket_connect('/ws') as w:
        w.send_text('{"msg": "a"}')
        assert w.receive_text() == '<p>first a</p>'
        assert w.receive_text() == '<p>secondTrue</p>'
    assert threads and threads[0] != threading.main_thread().name


def test_send_stored_by_sync_conn_is_awaitable_later():
    "The spec's chat: a sync conn stores `send`; an async handler awaits it for every user."
    app = mkapp()
    users = {}

    def on_conn(ws, send):
        users[id(ws)] = send
        return 'joined'  # sent once conn has run, so the test knows both users are registered

    def on_disconn(ws):
        users.pop(id(ws), None)

    @app.ws('/ws', conn=on_conn, disconn=on_disconn)
    async def ws(msg: str):
        for u in list(users.values()):
            await u(Ul_(msg))

    def Ul_(m):
        return Div(m, id='msg-list')
    with client(app) as c, c.websocket_connect('/ws') as a, c.websocket_connect('/ws') as b:
        assert a.receive_text() == b.receive_text() == 'joined'
        a.send_text('{"msg": "hello"}')
        assert a.receive_text() == b.receive_text() == '<div id="msg-list">hello</div>'
    assert users == {}


@pytest.mark.parametrize('value,expected', [
    ((P('x'),), '<p>x</p>'),
    ((P('x'), Span('y')), '<p>x</p>\n<span>y</span>'),  # one item a line, as the original
    (('<b>raw</b>',), '<b>raw</b>'),
    (({'a': 1},), '{"a": 1}'),
    (([1, 2],), '[1, 2]'),
    (([P('a'), P('b')],), '<p>a</p>\n<p>b</p>'),
    ((b'\x00\x01',), b'\x00\x01'),
    ((None,), None),
    ((), None),
])
def test_ws_payload(value, expected):
    assert ws_payload(value) == expected


def test_return_dict_is_json_and_bytes_are_binary():
    app = mkapp()

    @app.ws('/ws')
    async def ws(kind: str):
        return {'kind': kind} if kind == 'json' else b'\x01\x02'
    with client(app).websocket_connect('/ws') as w:
        w.send_text('{"kind": "json"}')
        assert json.loads(w.receive_text()) == {'kind': 'json'}
        w.send_text('{"kind": "bin"}')
        assert w.receive_bytes() == b'\x01\x02'


# ---------------------------------------------------------------------------------------------------------------
# Message formats

@pytest.mark.parametrize('msg,fields,data,headers', [
    ({'type': 'websocket.receive', 'text': '{"a": "1", "HEADERS": {"HX-Target": "t"}}'}, {'a': '1'}, {'a': '1'},
     {'hx-target': 't'}),
    ({'type': 'websocket.receive', 'text': 'hello there'}, {'msg': 'hello there'}, 'hello there', {}),
    ({'type': 'websocket.receive', 'text': '[1, 2]'}, {'msg': '[1, 2]'}, [1, 2], {}),
    ({'type': 'websocket.receive', 'text': '42'}, {'msg': '42'}, 42, {}),
    ({'type': 'websocket.receive', 'text': '{broken'}, {'msg': '{broken'}, '{broken', {}),
    ({'type': 'websocket.receive', 'text': '{"a": 1, "HEADERS": "nope"}'}, {'a': 1}, {'a': 1}, {}),
    ({'type': 'websocket.receive', 'bytes': b'\xff\x00'}, {}, b'\xff\x00', {}),
])
def test_parse_message(msg, fields, data, headers):
    assert parse_message(msg) == (fields, data, headers)


def test_plain_text_message_fills_msg_and_data(kind):
    app = mkapp()

    def h(msg: str, data):
        return P(msg, '/', repr(data))
    app.ws('/ws')(handler(kind, h))
    with client(app).websocket_connect('/ws') as w:
        w.send_text('just text')
        assert w.receive_text() == "<p>just text/'just text'</p>"


def test_binary_frame_arrives_as_data():
    app = mkapp()

    @app.ws('/ws')
    async def ws(data):
        return P(type(data).__name__, len(data))
    with client(app).websocket_connect('/ws') as w:
        w.send_bytes(b'\x00\x01\x02')
        assert w.receive_text() == '<p>bytes3</p>'


# ---------------------------------------------------------------------------------------------------------------
# Malformed frames and failures: the connection or at least the server survives

def test_bad_messages_are_answered_and_the_connection_survives(caplog, kind):
    "Each message that cannot fill the handler gets FastHTML's answer: one text message saying what was wrong."
    app = mkapp()

    def ws(n: int):
        return P(n)
    app.ws('/ws')(handler(kind, ws))
    with caplog.at_level(logging.WARNING, logger='fasthtml.ws'), client(app).websocket_connect('/ws') as w:
        w.send_text('{"m": 1}')              # missing field
        assert w.receive_text() == 'Missing required field: n'
        w.send_text('{"n": "seven"}')        # not an int
        assert w.receive_text() == "invalid literal for int() with base 10: 'seven'"
        w.send_text('{"n": {"x": 1}}')       # an object where a number belongs
        assert w.receive_text() == "int() argument must be a string, a bytes-like object or a real number, not 'dict'"
        w.send_text('not json at all')       # plain text has no `n` (the original fails on such a message)
        assert w.receive_text() == 'Missing required field: n'
        w.send_bytes(b'\xff\xfe')             # binary has no fields
        assert w.receive_text() == 'Missing required field: n'
        w.send_text('{"n": 7}')
        assert w.receive_text() == '<p>7</p>'
    msgs = [r.getMessage() for r in caplog.records if r.name == 'fasthtml.ws']
    assert len(msgs) == 5
    assert "Missing required field: n" in msgs[0]
    assert "Invalid value for message field 'n': expected int, got 'seven'" in msgs[1]


def test_handler_exception_closes_with_1011_and_disconn_runs(caplog):
    app = mkapp()
    events = []

    @app.ws('/ws', disconn=lambda: events.append('disconn'))
    async def ws(msg: str):
        if msg == 'boom':
            raise ValueError('boom')
        return P(msg)
    c = client(app)
    with caplog.at_level(logging.ERROR, logger='fasthtml.ws'), c.websocket_connect('/ws') as w:
        w.send_text('{"msg": "boom"}')
        with pytest.raises(WebSocketDisconnect) as e:
            w.receive_text()
        assert e.value.code == 1011
    assert events == ['disconn']
    assert any('ValueError: boom' in (r.exc_text or '') for r in caplog.records)
    with c.websocket_connect('/ws') as w:   # the app carries on
        w.send_text('{"msg": "fine"}')
        assert w.receive_text() == '<p>fine</p>'


def test_client_disconnect_runs_disconn_and_send_returns_false():
    app = mkapp()
    stash = {}

    async def on_disconn(send):
        stash['after'] = await send(P('too late'))

    @app.ws('/ws', conn=lambda send: stash.update(send=send), disconn=on_disconn)
    async def ws(msg: str):
        return P(msg)
    with client(app).websocket_connect('/ws') as w:
        w.send_text('{"msg": "a"}')
        assert w.receive_text() == '<p>a</p>'
    assert stash['after'] is False
    assert stash['send'].closed is True


def test_beforeware_refuses_the_socket():
    def before(req, session):
        if req.query_params.get('token') != 'ok':
            return 'nope'
    app = mkapp(before=Beforeware(before, skip=[r'/open']))

    @app.ws('/ws')
    async def ws(msg: str):
        return P(msg)

    @app.ws('/open')
    async def open_(msg: str):
        return P(msg)
    c = client(app)
    with pytest.raises(WebSocketDisconnect) as e, c.websocket_connect('/ws'):
        pass
    assert e.value.code == 1008
    with c.websocket_connect('/ws?token=ok') as w:
        w.send_text('{"msg": "in"}')
        assert w.receive_text() == '<p>in</p>'
    with c.websocket_connect('/open') as w:
        w.send_text('{"msg": "skipped"}')
        assert w.receive_text() == '<p>skipped</p>'


def test_beforeware_sets_auth_for_the_handler():
    def before(req, session):
        req.scope['auth'] = 'ann'
    app = mkapp(before=before)

    @app.ws('/ws')
    async def ws(auth, msg: str):
        return P(auth, msg)
    with client(app).websocket_connect('/ws') as w:
        w.send_text('{"msg": "!"}')
        assert w.receive_text() == '<p>ann!</p>'


def test_messages_do_not_inspect_signatures(monkeypatch):
    app = mkapp()

    @app.ws('/ws')
    async def ws(msg: str, n: int = 0):
        return P(msg, n)
    calls = []
    real = inspect.signature
    monkeypatch.setattr(inspect, 'signature', lambda *a, **k: calls.append(a) or real(*a, **k))
    with client(app).websocket_connect('/ws') as w:
        for i in range(5):
            w.send_text(json.dumps({'msg': 'x', 'n': i}))
            assert w.receive_text() == f'<p>x{i}</p>'
    assert calls == []


class Said:
    "Built by `__from_request__` from the extra `data` (the decoded message), not from a message field."
    def __init__(self, text: str):
        self.text = text

    @classmethod
    def __from_request__(cls, data: str):
        return cls(data)


def test_extras_are_built_only_for_handlers_that_read_them_and_still_win_over_fields():
    app = mkapp()
    seen = []

    @app.ws('/fields')
    async def fields_only(msg: str, n: int = 0):  # reads no extra: gets the parsed fields as they are
        return P(msg, n)

    @app.ws('/data')
    async def with_data(data, msg: str):
        seen.append(data)
        return P(msg)

    @app.ws('/nested')
    async def nested(said: Said):  # a nested plan may read any extra by name
        return P(said.text)
    c = client(app)
    with c.websocket_connect('/fields') as w:
        w.send_text('{"msg": "a", "n": 2, "ws": "w", "send": "s", "data": "d", "htmx": "h"}')
        assert w.receive_text() == '<p>a2</p>'
    with c.websocket_connect('/data') as w:
        w.send_text('{"msg": "b", "data": "field", "HEADERS": {"HX-Request": "true"}}')
        assert w.receive_text() == '<p>b</p>'
    # `data` is the decoded message (the extra wins over the field of that name), without HEADERS or extras.
    assert seen == [{'msg': 'b', 'data': 'field'}]
    with c.websocket_connect('/nested') as w:
        w.send_text('plain words')
        assert w.receive_text() == '<p>plain words</p>'


def test_body_parameter_gets_the_raw_message_and_htmx_falls_back_to_the_handshake():
    app = mkapp()

    @app.ws('/ws')
    async def ws(body: str, htmx):
        return P(body, '|', htmx.target, '|', htmx.trigger)
    with client(app).websocket_connect('/ws', headers={'HX-Target': 'hs'}) as w:
        w.send_text('{"a": 1, "HEADERS": {"hx-trigger": "btn"}}')
        assert w.receive_text() == '<p>{"a": 1, "HEADERS": {"hx-trigger": "btn"}}|hs|btn</p>'
        w.send_bytes(b'raw')
        assert w.receive_text() == '<p>raw|hs|</p>'


def test_a_handler_that_receives_the_disconnect_itself_ends_quietly(caplog):
    app = mkapp()
    ended = []

    @app.ws('/ws', disconn=lambda: ended.append(True))
    async def ws(ws, msg: str):
        await ws.send_text('waiting')
        await ws.receive()  # the client's close
    with caplog.at_level(logging.WARNING, logger='fasthtml.ws'), client(app).websocket_connect('/ws') as w:
        w.send_text('{"msg": "x"}')
        assert w.receive_text() == 'waiting'
    assert ended == [True]
    assert not [r for r in caplog.records if r.name == 'fasthtml.ws']


# ---------------------------------------------------------------------------------------------------------------
# Registration

def test_bare_decorator_path_from_name_and_routefunc():
    app = mkapp()

    @app.ws
    async def chat(msg: str):
        return P(msg)
    path = '/' + nested_name(chat.fn)  # as for HTTP routes: `outer_inner` for a function defined in a function
    assert isinstance(chat, RouteFunc) and str(chat) == path and path.endswith('_chat')
    assert getattr(app.rt_funcs, path[1:]) is chat
    assert to_attr(Div(ws_connect=chat)) == path
    with client(app).websocket_connect(path) as w:
        w.send_text('{"msg": "m"}')
        assert w.receive_text() == '<p>m</p>'


def to_attr(d) -> str:
    return d.attrs['ws-connect']


def test_reregistering_a_path_replaces_the_handler():
    app = mkapp()

    @app.ws('/ws')
    async def one(msg: str):
        return P('one')

    @app.ws('/ws')
    async def two(msg: str):
        return P('two')
    with client(app).websocket_connect('/ws') as w:
        w.send_text('{"msg": "m"}')
        assert w.receive_text() == '<p>two</p>'


def test_apirouter_ws_with_prefix():
    ar = APIRouter(prefix='/api')

    @ar.ws('/echo')
    async def echo(msg: str):
        return P(msg)

    @ar.ws
    async def bare(msg: str):
        return P('bare', msg)
    assert str(echo) == '/api/echo' and str(bare) == '/api/' + nested_name(bare.fn)
    app = mkapp()
    ar.to_app(app)
    with client(app).websocket_connect('/api/echo') as w:
        w.send_text('{"msg": "hi"}')
        assert w.receive_text() == '<p>hi</p>'
    with client(app).websocket_connect(str(bare)) as w:
        w.send_text('{"msg": "hi"}')
        assert w.receive_text() == '<p>barehi</p>'


def test_registration_errors_name_the_problem():
    app = mkapp()

    def h(msg: str):
        return None
    with pytest.raises(ValueError, match='must start with "/"'):
        app.ws('ws')(h)
    with pytest.raises(TypeError, match='conn for .* must be callable'):
        app.ws('/ws', conn='not a function')(h)


@pytest.mark.parametrize('ext,src', [('ws', 'htmx-ext-ws'), ('sse', 'htmx-ext-sse')])
def test_exts_add_the_extension_script(ext, src):
    app = mkapp(exts=ext)

    @app.route('/')
    def index():
        return P('x')
    html = client(app).get('/').text
    assert f'<script src="https://cdn.jsdelivr.net/npm/{src}@' in html


# ---------------------------------------------------------------------------------------------------------------
# The chat example

def test_chat_example(tmp_path, monkeypatch):
    import runpy
    from pathlib import Path
    monkeypatch.chdir(tmp_path)   # the session key file goes here
    g = runpy.run_path(str(Path(__file__).resolve().parents[1] / 'examples' / 'chat.py'), run_name='example_chat')
    with TestClient(g['app']) as ann, TestClient(g['app']) as bob:
        page = ann.get('/').text
        assert 'ws-connect="/chat"' in page and 'ws-send' in page and '<ul id="messages"></ul>' in page
        bob.get('/')
        hub = g['hub']
        with ann.websocket_connect('/chat') as a, bob.websocket_connect('/chat') as b:
            deadline = 100
            while hub.subscribers('room') < 2 and deadline:
                deadline -= 1
                threading.Event().wait(0.02)
            a.send_text(json.dumps({'msg': ' hi <there> ', 'HEADERS': {'HX-Request': 'true', 'HX-Trigger': 'form'}}))
            reset = a.receive_text()
            assert reset.startswith('<input name="msg"') and 'id="msg"' in reset and 'value' not in reset
            line = a.receive_text()
            assert line == b.receive_text()
            assert line.startswith('<ul hx-swap-oob="beforeend" id="messages"><li><b>guest-')
            assert line.endswith('</b>: hi &lt;there&gt;</li></ul>')
            a.send_text(json.dumps({'msg': '   '}))        # blank: nothing is broadcast, the input is reset
            assert a.receive_text().startswith('<input')
        assert '<li><b>guest-' in bob.get('/').text       # recent history on page load


# ---------------------------------------------------------------------------------------------------------------
# Malformed frames on the wire, against a real server

WIRE_APP = '''
from fasthtml.core import FastHTML
from fasthtml.components import P

app = FastHTML(secret_key='k')
stats = {'conn': 0, 'disconn': 0}

def on_conn(): stats['conn'] += 1
def on_disconn(): stats['disconn'] += 1

@app.ws('/ws', conn=on_conn, disconn=on_disconn)
async def ws(msg: str):
    return P(msg)

@app.route('/stats')
def get_stats(): return stats
'''


def _raw_ws(port: int):
    import base64
    import os
    import socket
    s = socket.create_connection(('127.0.0.1', port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f'GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
               f'Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n').encode())
    head = b''
    while b'\r\n\r\n' not in head:
        head += s.recv(1024)
    assert head.startswith(b'HTTP/1.1 101'), head
    return s


def _frame(opcode: int, payload: bytes) -> bytes:
    import os
    mask = os.urandom(4)
    assert len(payload) < 126
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _close_code(s) -> int | None:
    "Read frames until the server's close frame; its status code (None if the server just dropped the socket)."
    buf = b''
    try:
        while True:
            chunk = s.recv(1024)
            if not chunk:
                return None
            buf += chunk
            while len(buf) >= 2:
                op, n = buf[0] & 0x0F, buf[1] & 0x7F
                if len(buf) < 2 + n:
                    break
                body, buf = buf[2:2 + n], buf[2 + n:]
                if op == 0x8:
                    return int.from_bytes(body[:2], 'big') if len(body) >= 2 else None
    finally:
        s.close()


@pytest.mark.parametrize('frame,code', [
    (lambda: _frame(0x1, b'\xff\xfe not utf-8'), 1007),   # a text frame that is not UTF-8
    (lambda: _frame(0x3, b'x'), 1002),                    # a reserved opcode
    (lambda: b'\x81\x05hello', 1002),                      # an unmasked client frame
])
def test_malformed_frames_close_that_socket_and_the_server_carries_on(tmp_path, frame, code):
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    import httpx
    (tmp_path / 'wire_app.py').write_text(WIRE_APP)
    with socket.socket() as so:
        so.bind(('127.0.0.1', 0))
        port = so.getsockname()[1]
    proc = subprocess.Popen([sys.executable, '-m', 'uvicorn', 'wire_app:app', '--app-dir', str(tmp_path), '--port',
                             str(port), '--ws', 'websockets'], cwd=tmp_path,
                            env={**os.environ, 'PYTHONPATH': str(Path(__file__).resolve().parents[1])},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(('127.0.0.1', port), 0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, 'server did not start'
                time.sleep(0.05)
        s = _raw_ws(port)
        s.sendall(_frame(0x1, b'{"msg": "ok"}'))
        s.sendall(frame())
        assert _close_code(s) == code
        s = _raw_ws(port)                          # the server carries on
        s.sendall(_frame(0x1, b'{"msg": "again"}'))
        s.settimeout(5)
        data = s.recv(1024)
        assert data[2:] == b'<p>again</p>'
        s.sendall(_frame(0x8, (1000).to_bytes(2, 'big')))
        assert _close_code(s) == 1000
        deadline = time.monotonic() + 5
        while (st := httpx.get(f'http://127.0.0.1:{port}/stats').json()) != {'conn': 2, 'disconn': 2}:
            assert time.monotonic() < deadline, st
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    out = proc.stdout.read().decode(errors='replace')
    assert 'Traceback' not in out, out


# ---------------------------------------------------------------------------------------------------------------
# HEADERS: parameters named like headers read the message's HEADERS (the htmx ws extension sends them), as FastHTML

def test_header_named_parameters_read_the_message_headers(kind):
    app = mkapp()

    def h(msg: str, hx_trigger: str, hx_target: str = 'none', hx_request: bool = False, x_custom: str = 'none',
          htmx: HtmxHeaders = None):
        return P(f'{msg}|{hx_trigger}|{hx_target}|{hx_request!r}|{x_custom}|{htmx.trigger_name}|{htmx.current_url}')
    app.ws('/ws')(handler(kind, h))
    with client(app).websocket_connect('/ws') as w:
        w.send_text(json.dumps({'msg': 'm', 'hx_target': 'from-body', 'HEADERS': {
            'HX-Request': 'true', 'HX-Trigger': 'btn', 'HX-Target': 'tgt', 'HX-Trigger-Name': 'go',
            'HX-Current-URL': 'http://x/', 'X-Custom': 'xc'}}))
        # HEADERS win over a message field of the same name, as in the original
        assert w.receive_text() == '<p>m|btn|tgt|True|xc|go|http://x/</p>'
        w.send_text(json.dumps({'msg': 'm', 'HEADERS': {'hx-trigger': 'lower-case'}}))
        assert w.receive_text() == '<p>m|lower-case|none|False|none|None|None</p>'
        w.send_text(json.dumps({'msg': 'm'}))  # no HEADERS, no hx_trigger: answered, not dropped silently
        assert w.receive_text() == 'Missing required field: hx_trigger'
        w.send_text(json.dumps({'msg': 'm', 'hx_trigger': 'in-body'}))
        assert w.receive_text() == '<p>m|in-body|none|False|none|None|None</p>'


def test_headers_do_not_leak_into_data(kind):
    app = mkapp()

    def h(data, hx_trigger: str):
        return P(f'{sorted(data)}|{hx_trigger}')
    app.ws('/ws')(handler(kind, h))
    with client(app).websocket_connect('/ws') as w:
        w.send_text(json.dumps({'msg': 'm', 'HEADERS': {'HX-Trigger': 't'}}))
        assert w.receive_text() == "<p>['msg']|t</p>"


def test_a_bad_value_is_answered_and_the_next_message_works():
    "The unfilled message is answered (a text message the extension ignores), and the next one works."
    app = mkapp()

    @app.ws('/ws')
    async def ws(msg: str, n: int):
        return Div(f'{msg}{n}', id='out')
    with client(app).websocket_connect('/ws') as w:
        w.send_text(json.dumps({'msg': 'a', 'n': 'x', 'HEADERS': {'HX-Request': 'true'}}))
        assert w.receive_text() == "invalid literal for int() with base 10: 'x'"
        w.send_text(json.dumps({'msg': 'a', 'n': '2', 'HEADERS': {'HX-Request': 'true'}}))
        assert w.receive_text() == '<div id="out">a2</div>'
