"""FastHTML-parity features that only a real browser or a real server can show: per-tab session ids (`with_sid`),
upload progress (`upload_pb_attrs`), and `cancel_on_disconnect` when a client really hangs up on uvicorn."""
from __future__ import annotations

import re
import socket
import time
import urllib.request

from playwright.sync_api import expect

SID_APP = '''
from fasthtml.common import *

app = FastHTML()
with_sid(app, '/dest', path='/')

@app.get('/dest')
def dest(sid: str = ''):
    return Div(P(sid, id='sid'), Button('again', hx_get='/again', hx_target='#again'), Div(id='again'))

@app.get('/again')
def again(sid: str = ''):
    return P(sid, id='sid2')
'''


def test_with_sid_gives_each_tab_its_own_id(live_app_source, new_page):
    server = live_app_source(SID_APP)
    page = new_page()
    page.goto(server.url + '/')
    sid = page.locator('#sid')
    expect(sid).to_have_text(re.compile(r'^[0-9a-f]{32}$'))
    first = sid.text_content()
    page.click('text=again')  # every later HTMX request carries it too
    expect(page.locator('#sid2')).to_have_text(first)
    page.reload()  # sessionStorage survives a reload of the same tab
    expect(page.locator('#sid')).to_have_text(first)
    other = new_page()
    other.goto(server.url + '/')
    expect(other.locator('#sid')).to_have_text(re.compile(r'^[0-9a-f]{32}$'))
    assert other.locator('#sid').text_content() != first


UPLOAD_APP = '''
from fasthtml.common import *

app = FastHTML()

@app.get('/')
def home():
    return Form(Input(type='file', name='f'), Button('Upload'), Progress(id='pb', cls='hidden', value=0, max=100),
                hx_post='/up', hx_target='#out', **upload_pb_attrs('pb')), Div(id='out')

@app.post('/up')
async def up(f: UploadFile):
    return P(f'{len(await f.read())} bytes', id='done')
'''


def test_upload_progress_reveals_and_fills_the_bar(live_app_source, page):
    server = live_app_source(UPLOAD_APP)
    page.goto(server.url + '/')
    page.wait_for_function('() => window.htmx')
    bar = page.locator('#pb')
    expect(bar).to_have_class('hidden')
    page.set_input_files('input[type=file]', files=[{'name': 'big.bin', 'mimeType': 'application/octet-stream',
                                                      'buffer': b'x' * 300_000}])
    page.click('text=Upload')
    expect(page.locator('#done')).to_have_text('300000 bytes')
    expect(bar).not_to_have_class('hidden')
    assert page.evaluate("document.getElementById('pb').value") == 100


DISCONNECT_APP = '''
import asyncio
from fasthtml.common import *

app = FastHTML()
events = []

@app.get('/slow')
@cancel_on_disconnect
async def slow():
    events.append('started')
    try:
        await asyncio.sleep(30)
        events.append('finished')
    except asyncio.CancelledError:
        events.append('cancelled')
        raise
    return P('late')

@app.get('/events')
def show():
    return ' '.join(events)
'''


def test_cancel_on_disconnect_with_a_real_client_hanging_up(live_app_source):
    server = live_app_source(DISCONNECT_APP)

    def events() -> str:
        with urllib.request.urlopen(server.url + '/events', timeout=20) as r:
            return r.read().decode()
    with socket.create_connection(('127.0.0.1', server.port), timeout=20) as s:
        s.sendall(b'GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nHX-Request: 1\r\n\r\n')
        deadline = time.monotonic() + 10
        while events() != 'started':
            assert time.monotonic() < deadline, events()
            time.sleep(0.05)
    # the client is gone: the handler is cancelled at once, not after its 30 seconds
    deadline = time.monotonic() + 10
    while events() != 'started cancelled':
        assert time.monotonic() < deadline, events()
        time.sleep(0.05)
