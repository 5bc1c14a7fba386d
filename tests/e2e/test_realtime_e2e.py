"""Realtime in a real browser: the chat example in two contexts, the SSE clock and progress bar, the shared game of
life, and a page under live reload that reloads itself after its app file is edited."""
from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import expect

EXAMPLES = Path(__file__).resolve().parents[2] / 'examples'


def serve_example(live_server, name: str, tmp_path: Path, env: dict | None = None):
    "Serve examples/<name>.py with the temp dir as cwd (session key and data files stay there)."
    return live_server(f'{name}:app', cwd=tmp_path, env=env, args=('--app-dir', str(EXAMPLES)))


def ws_page(new_page):
    "A page that counts the htmx websocket opens in `window.wsOpen` (listening before any page script runs)."
    p = new_page()
    p.add_init_script("document.addEventListener('htmx:wsOpen', () => { window.wsOpen = (window.wsOpen || 0) + 1 })")
    return p


def test_chat_two_browsers_see_each_others_messages(live_server, new_page, tmp_path):
    server = serve_example(live_server, 'chat', tmp_path)
    ann, bob = ws_page(new_page), ws_page(new_page)
    for p in (ann, bob):
        p.goto(server.url + '/')
        p.wait_for_function('() => window.htmx && htmx.version.startsWith("2.")')
    # Both sockets are open once the server has joined them to the room.
    for p in (ann, bob):
        p.wait_for_function('() => window.wsOpen >= 1')
    time.sleep(0.2)
    ann.fill('#msg', 'hello from ann')
    ann.press('#msg', 'Enter')
    expect(bob.locator('#messages li')).to_have_count(1)
    expect(bob.locator('#messages li').first).to_contain_text('hello from ann')
    expect(ann.locator('#messages li').first).to_contain_text('hello from ann')
    expect(ann.locator('#msg')).to_have_value('')       # the handler's return value reset the sender's input
    bob.fill('#msg', 'hi ann, <b>bob</b> here')
    bob.press('#msg', 'Enter')
    expect(ann.locator('#messages li')).to_have_count(2)
    expect(ann.locator('#messages li').nth(1)).to_contain_text('hi ann, <b>bob</b> here')   # shown as text
    expect(ann.locator('#messages b')).to_have_count(2)                                      # only the names
    names = [p.locator('#messages li b').nth(i).inner_text() for p in (ann,) for i in range(2)]
    assert names[0] != names[1] and all(n.startswith('guest-') for n in names)
    for p in (ann, bob):
        assert new_page.log(p).errors == []


def test_sse_clock_ticks_and_progress_bar_completes(live_server, page, tmp_path, offline_log):
    server = serve_example(live_server, 'sse_clock', tmp_path, env={'CLOCK_TICK': '0.25', 'JOB_STEP': '0.05'})
    page.goto(server.url + '/')
    clock = page.locator('#clock')
    first = clock.inner_text()
    assert re.fullmatch(r'\d\d:\d\d:\d\d', first)
    page.wait_for_function('t => document.querySelector("#clock").textContent !== t', arg=first, timeout=20_000)
    page.click('text=Start a job')
    expect(page.locator('#job-done')).to_have_text('Done!')
    assert offline_log.source_of('https://cdn.jsdelivr.net/npm/htmx-ext-sse@2.2.3/sse.js') == 'htmx-ext-sse/sse.js'
    assert offline_log.errors == []


def test_life_board_is_shared_between_browsers(live_server, new_page, tmp_path):
    server = serve_example(live_server, 'life', tmp_path, env={'LIFE_DB': str(tmp_path / 'life.db'),
                                                               'LIFE_INTERVAL': '0.2'})
    a, b = ws_page(new_page), ws_page(new_page)
    for p in (a, b):
        p.goto(server.url + '/')
        p.wait_for_function('() => window.wsOpen >= 1')
    time.sleep(0.2)
    for i in (21, 22, 23):
        a.click(f'#c{i}')
        expect(b.locator(f'#c{i}')).to_have_class('on')
    b.click('text=Step')
    for p in (a, b):
        expect(p.locator('#c2')).to_have_class('on')          # the blinker turned vertical on both pages
        expect(p.locator('#c21')).not_to_have_class('on')
        expect(p.locator('#controls')).to_contain_text('generation 1')
    a.click('text=Run')
    expect(b.locator('#controls')).to_contain_text(re.compile(r'generation ([3-9]|\d\d)'))
    b.click('text=Pause')
    expect(a.locator('#controls button').first).to_have_text('Run')
    for p in (a, b):
        assert new_page.log(p).errors == []


LIVE_APP = '''
from fasthtml.common import *

app, rt = fast_app(live=True, reload_interval=200)

@rt
def index():
    return Titled('Live', P('version 1', id='v'))
'''


def test_live_reload_reloads_the_page_after_an_edit(live_app_source, page):
    server = live_app_source(LIVE_APP, args=('--reload', '--reload-include', '*.py'))
    page.goto(server.url + '/')
    expect(page.locator('#v')).to_have_text('version 1')
    page.wait_for_timeout(300)                   # let the page's socket connect
    page.evaluate('window.notReloaded = true')
    server.source.write_text(server.source.read_text().replace('version 1', 'version 2'))
    expect(page.locator('#v')).to_have_text('version 2', timeout=20_000)
    assert page.evaluate('window.notReloaded') is None      # a real reload, not a swap


WS_TRIGGER_APP = '''
from fasthtml.common import *

app, rt = fast_app(exts='ws')

@rt
def index():
    return Titled('ws', Div(Button('Save', id='save', ws_send=True), Button('Delete', id='delete', ws_send=True),
                            Form(Input(name='n', id='n'), Button('Go', id='go'), id='nform', ws_send=True),
                            Div(id='out'), Div(id='num'), hx_ext='ws', ws_connect='/ws'))

@app.ws('/ws')
async def ws(hx_trigger: str, htmx: HtmxHeaders, n: int = 0):
    if hx_trigger == 'nform':
        return Div(f'n={n}', id='num')
    return Div(f'{hx_trigger} from {htmx.current_url.rsplit("/", 1)[-1] or "/"}', id='out')
'''


def test_htmx_ws_extension_headers_reach_the_handler(live_server, new_page, tmp_path):
    "The browser's ws extension sends HEADERS: `hx_trigger`/`htmx` are read from them, so the page gets its answer."
    (tmp_path / 'ws_trigger_app.py').write_text(WS_TRIGGER_APP)
    server = live_server('ws_trigger_app:app', cwd=tmp_path, args=('--app-dir', str(tmp_path)))
    p = ws_page(new_page)
    p.goto(server.url + '/')
    p.wait_for_function('() => window.wsOpen >= 1')
    p.click('#save')
    expect(p.locator('#out')).to_have_text('save from /')
    p.click('#delete')
    expect(p.locator('#out')).to_have_text('delete from /')
    p.fill('#n', 'x')        # not a number: answered with the conversion's message (ignored by the page), no hang
    p.press('#n', 'Enter')
    p.fill('#n', '7')
    p.press('#n', 'Enter')
    expect(p.locator('#num')).to_have_text('n=7')
    assert new_page.log(p).errors == []
