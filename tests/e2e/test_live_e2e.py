"""Live components and anywidget widgets in real Chromium against real uvicorn servers: the counter example (clicks,
a typed input, two tabs, an error in place, child components, session state), server push (clock, progress,
announcements), a reconnect after the server drops the socket, numerous-widgets and drawdata synced both ways, a test
widget using every part of the anywidget model API, and the page and its socket on different worker processes."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from live_pages import open_live, our_errors, serve_example, wait_open
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from redis_server import start_redis

# ---------------------------------------------------------------------------------------------------------------
# Components

def test_counter_example_clicks_typed_input_children_errors_and_session(live_server, new_page, tmp_path):
    server = serve_example(live_server, 'live_counter', tmp_path)
    p = open_live(new_page, server.url + '/')
    first = p.locator('body > main > article').first
    first.locator('.plus').click()
    first.locator('.plus').click()
    expect(first.locator('.count')).to_have_text('Count: 2')
    first.locator('input[name=step]').fill('5')                      # an int parameter, typed as you type
    first.locator('.minus').click()                                   # live_vals={'sign': -1}
    expect(first.locator('.count')).to_have_text('Count: -3')
    p.locator('input[name=name]').press_sequentially('Ann')
    expect(p.locator('.hello')).to_have_text('Hello, Ann!')
    assert p.evaluate('document.activeElement.name') == 'name'        # focus kept across re-renders
    assert p.locator('input[name=name]').input_value() == 'Ann'
    # A component that makes child components: the new one works, the first keeps its count.
    board = p.locator('section')
    board.locator('article').first.locator('.plus').click()
    expect(board.locator('article').first.locator('.count')).to_have_text('Count: 1')
    board.locator('.add').click()
    expect(board.locator('article')).to_have_count(2)
    board.locator('article').nth(1).locator('.plus').click()
    expect(board.locator('article').nth(1).locator('.count')).to_have_text('Count: 11')
    expect(board.locator('article').first.locator('.count')).to_have_text('Count: 1')
    # An error stays inside its component; everything else keeps working.
    p.locator('.boom').click()
    expect(p.locator('.live-error')).to_have_count(1)
    expect(p.locator('.live-error')).to_contain_text('Something went wrong')
    first.locator('.plus').click()
    expect(first.locator('.count')).to_have_text('Count: 2')
    # The like count lives in the session: the page posts the handler's session back, a reload shows it.
    with p.expect_response(lambda r: r.url.endswith('/_live/session') and r.status == 204):
        p.locator('.like').click()
    expect(p.locator('.like')).to_have_text('Like (1)')
    p.reload()
    wait_open(p)
    expect(p.locator('.like')).to_have_text('Like (1)')
    expect(p.locator('body > main > article').first.locator('.count')).to_have_text('Count: 0')   # a fresh instance
    assert our_errors(new_page, p) == []


def test_two_tabs_have_separate_state(live_server, new_page, tmp_path):
    server = serve_example(live_server, 'live_counter', tmp_path)
    a = open_live(new_page, server.url + '/')
    b = open_live(new_page, server.url + '/')
    a.locator('article').first.locator('.plus').click()
    a.locator('article').first.locator('.plus').click()
    expect(a.locator('article').first.locator('.count')).to_have_text('Count: 2')
    b.locator('article').first.locator('.plus').click()
    expect(b.locator('article').first.locator('.count')).to_have_text('Count: 1')
    expect(a.locator('article').first.locator('.count')).to_have_text('Count: 2')


def test_server_push_without_user_action(live_server, new_page, tmp_path):
    server = serve_example(live_server, 'live_clock', tmp_path, env={'CLOCK_TICK': '0.25', 'JOB_STEP': '0.05'})
    a = open_live(new_page, server.url + '/')
    b = open_live(new_page, server.url + '/')
    first = a.locator('.clock').inner_text()
    assert re.fullmatch(r'\d\d:\d\d:\d\d', first)
    a.wait_for_function('t => document.querySelector(".clock").textContent !== t', arg=first, timeout=20_000)
    a.click('.start')
    expect(a.locator('progress')).to_be_visible()                    # frames pushed from the handler's thread
    expect(a.locator('.done')).to_have_text('Done!')
    a.fill('input[name=text]', 'hello <b>all</b>')
    a.press('input[name=text]', 'Enter')
    expect(b.locator('.news li')).to_have_text('hello <b>all</b>')   # through PubSub, shown as text
    expect(a.locator('.news li')).to_have_text('hello <b>all</b>')
    expect(a.locator('input[name=text]')).to_have_value('')
    assert our_errors(new_page, a) == [] and our_errors(new_page, b) == []


RECONNECT_APP = '''
from fasthtml.common import *
from fasthtml.live import Live, LiveComponent

app, rt = fast_app()
live = Live(app, grace=60)

class Counter(LiveComponent):
    def __init__(self): self.n = 0
    def render(self): return Div(P(f'Count: {self.n}', cls='count'), Button('+', live_click=self.inc, cls='plus'))
    def inc(self): self.n += 1

class Search(LiveComponent):
    def __init__(self): self.calls, self.q, self.sent = 0, '', ''
    def render(self):
        return Div(Input(name='q', value=self.q, live_input=self.typed, live_debounce=150,
                         live_keydown=self.enter, live_key='Enter'),
                   P(f'{self.calls} call(s) for {self.q!r}', cls='calls'), P(f'sent {self.sent!r}', cls='sent'))
    def typed(self, q: str): self.calls, self.q = self.calls + 1, q
    def enter(self, value: str, key: str): self.sent = f'{value}/{key}'

@rt
def index(): return Titled('Reconnect', Counter(), Search())

@rt
async def drop(): return str(await live.close_all())
'''


def test_reconnect_after_the_server_drops_the_socket(live_app_source, new_page):
    server = live_app_source(RECONNECT_APP)
    p = open_live(new_page, server.url + '/')
    p.click('.plus')
    p.click('.plus')
    expect(p.locator('.count')).to_have_text('Count: 2')
    assert p.evaluate('fetch("/drop").then(r => r.text())') == '1'
    wait_open(p, 2)
    p.click('.plus')
    expect(p.locator('.count')).to_have_text('Count: 3')             # the same instance, state kept


def test_debounced_input_and_a_key_filter(live_app_source, new_page):
    server = live_app_source(RECONNECT_APP)
    p = open_live(new_page, server.url + '/')
    p.evaluate("""() => {                       // five input events in one go: the debounce sends only the last
        const i = document.querySelector('input[name=q]');
        for (const v of ['h', 'he', 'hel', 'hell', 'hello']) {
            i.value = v;
            i.dispatchEvent(new Event('input', {bubbles: true}));
        }
    }""")
    expect(p.locator('.calls')).to_have_text("1 call(s) for 'hello'")
    p.locator('input[name=q]').press('End')
    p.locator('input[name=q]').press('a')                             # not Enter: no keydown event sent
    p.locator('input[name=q]').press('Enter')
    expect(p.locator('.sent')).to_have_text("sent 'helloa/Enter'")


SLOW_ECHO_APP = '''
import time
from fasthtml.common import *
from fasthtml.live import Live, LiveComponent

app, rt = fast_app()
live = Live(app)

class Echo(LiveComponent):
    def __init__(self): self.name = ''
    def render(self):
        return Div(Input(name='name', value=self.name, live_input=self.typed), P(f'Hello, {self.name}!', cls='hello'))
    def typed(self, value: str):
        time.sleep({'A': 1.5, 'An': 4.0}.get(value, 0))   # renders that come after more was typed
        self.name = value

@rt
def index(): return Titled('Echo', Echo())
'''


def test_a_late_render_keeps_what_was_typed_since(live_app_source, new_page):
    """The render answering an earlier keystroke arrives after more was typed (and sent): the input keeps the newer
    text, so the next keystroke adds to it. (Swapping in the render's value lost a keystroke now and then.)"""
    server = live_app_source(SLOW_ECHO_APP)
    p = open_live(new_page, server.url + '/')
    box = p.locator('input[name=name]')
    box.press_sequentially('An')                                      # 'A' then 'An', both sent at once
    expect(p.locator('.hello')).to_have_text('Hello, A!', timeout=20_000)   # the render of 'A', 'An' still running
    assert box.input_value() == 'An'                                  # (not put back to 'A')
    box.press('n')
    expect(p.locator('.hello')).to_have_text('Hello, Ann!', timeout=30_000)
    expect(box).to_have_value('Ann')
    assert our_errors(new_page, p) == []


def test_a_component_error_is_shown_in_place_with_details_in_debug(live_app_source, new_page):
    server = live_app_source('''
        from fasthtml.common import *
        from fasthtml.live import Live, LiveComponent
        app, rt = fast_app(debug=True)
        live = Live(app)
        class Fine(LiveComponent):
            def __init__(self): self.n = 0
            def render(self): return P(Button(f'ok {self.n}', live_click=self.inc, cls='ok'))
            def inc(self): self.n += 1
        class Broken(LiveComponent):
            def render(self): return P(Button('break', live_click=self.fail, cls='fail'))
            async def fail(self): raise KeyError('missing thing')
        @rt
        def index(): return Titled('Errors', Fine(), Broken())
    ''')
    p = open_live(new_page, server.url + '/')
    p.click('.fail')
    err = p.locator('.live-error')
    expect(err).to_contain_text("KeyError: 'missing thing'")
    assert p.locator('.live-error').evaluate('e => e.parentElement.querySelector(".fail") !== null')
    p.click('.ok')
    expect(p.locator('.ok')).to_have_text('ok 1')
    assert "KeyError: 'missing thing'" in server.output_with("KeyError: 'missing thing'")


# ---------------------------------------------------------------------------------------------------------------
# Widgets

def test_real_widgets_sync_both_ways(live_server, new_page, tmp_path):
    server = serve_example(live_server, 'widgets', tmp_path)
    p = open_live(new_page, server.url + '/')
    summary = p.locator('.summary')
    # numerous Button -> Python on_click -> numerous Number (Python to page) and the summary.
    p.locator('.widget-button').click()
    p.locator('.widget-button').click()
    expect(summary).to_contain_text('2 click(s)')
    number = p.locator('.live-widget').nth(1).locator('input').first
    expect(number).to_have_value('2')
    # numerous Number typed in the page -> Python.
    number.fill('7')
    number.press('Enter')
    expect(summary).to_contain_text('7 click(s)')
    # numerous Slider -> Python observer -> drawdata's brush size (Python to another widget).
    p.locator('.slider-input').fill('60')
    expect(summary).to_contain_text('brush 60')
    p.wait_for_function('() => [...fhLive.models.values()].some(m => m.get("brushsize") === 60)')
    # drawdata scatter: drawing sends points to Python; clearing from Python removes them from the canvas.
    box = p.locator('.live-widget').nth(3).locator('svg').last.bounding_box()
    p.mouse.move(box['x'] + 120, box['y'] + 100)
    p.mouse.down()
    for i in range(6):
        p.mouse.move(box['x'] + 120 + i * 12, box['y'] + 100 + i * 6)
    p.mouse.up()
    expect(summary).to_contain_text('6 point(s)')
    assert p.locator('.widget-button').count() == 1                  # widgets kept their elements across re-renders
    p.click('.clear')
    expect(summary).to_contain_text('0 point(s)')
    p.wait_for_function('() => [...fhLive.models.values()].some(m => Array.isArray(m.get("data")) && '
                        'm.get("data").length === 0 && m.get("brushsize") === 60)')
    assert our_errors(new_page, p) == []


TEST_WIDGET_APP = r'''
import anywidget, traitlets
from fasthtml.common import *
from fasthtml.live import Live, LiveComponent, Widget

app, rt = fast_app()
live = Live(app)

ESM = """
export default {
  initialize({ model }) {
    window.tw = { inits: 1, custom: [], views: 0, viewCleanups: 0, initCleanups: 0, offCalls: 0 };
    model.on('msg:custom', (content, buffers) => {
      window.tw.custom.push(content);
      model.send({ echo: content.say, nbuf: buffers.length, first: buffers.length ? buffers[0].getUint8(0) : -1 },
                 undefined, [new Uint8Array([7, 8, 9])]);
    });
    return () => { window.tw.initCleanups++; };
  },
  render({ model, el }) {
    const b = document.createElement('button');
    b.className = 'tw-inc';
    const show = () => { b.textContent = 'count ' + model.get('count'); el.dataset.label = model.get('label'); };
    const counted = () => { window.tw.offCalls++; };
    show();
    model.on('change:count', show);
    model.on('change:label', show);
    model.on('change:count', counted);
    model.off('change:count', counted);
    b.addEventListener('click', () => { model.set('count', model.get('count') + 1); model.save_changes(); });
    el.appendChild(b);
    window.tw.views++;
    return () => { window.tw.viewCleanups++; };
  }
};
"""

class Tally(anywidget.AnyWidget):
    _esm = ESM
    _css = '.tw-inc { color: rgb(10, 20, 30); }'
    count = traitlets.Int(0).tag(sync=True)
    label = traitlets.Unicode('').tag(sync=True)

class Host(LiveComponent):
    def __init__(self):
        self.tally = Tally()
        self.shown = True
        self.log = []
        self.tally.observe(self._counted, names='count')
        self.tally.on_msg(self._msg)
    def _counted(self, change):
        if change['new'] >= 3: self.tally.label = 'three or more'
        self.update()
    def _msg(self, widget, content, buffers):
        self.log.append(f"{content.get('echo')}/{content.get('nbuf')}/{bytes(buffers[0])[0] if buffers else -1}")
        self.update()
    def render(self):
        return Div(P(f'python sees {self.tally.count}', cls='py'), P(' '.join(self.log), cls='log'),
                   Widget(self.tally) if self.shown else P('hidden'),
                   Button('Say hi', live_click=self.hi, cls='hi'), Button('Toggle', live_click=self.toggle, cls='tog'))
    def hi(self): self.tally.send({'say': 'hi'}, buffers=[b'\x05'])
    def toggle(self): self.shown = not self.shown

@rt
def index(): return Titled('Test widget', Host())
'''


def test_anywidget_model_api_in_the_browser(live_app_source, new_page):
    server = live_app_source(TEST_WIDGET_APP)
    p = open_live(new_page, server.url + '/')
    btn = p.locator('.tw-inc')
    expect(btn).to_have_text('count 0')
    assert p.locator('.tw-inc').evaluate('e => getComputedStyle(e).color') == 'rgb(10, 20, 30)'   # _css served
    for _ in range(3):
        btn.click()
    expect(p.locator('.py')).to_have_text('python sees 3')            # save_changes -> Python observe
    p.wait_for_function('() => document.querySelector(".live-widget").dataset.label === "three or more"')
    p.click('.hi')                                                     # Python send -> msg:custom -> model.send
    expect(p.locator('.log')).to_have_text('hi/1/7')
    tw = p.evaluate('window.tw')
    assert tw['inits'] == 1 and tw['views'] == 1 and tw['offCalls'] == 0 and tw['custom'] == [{'say': 'hi'}]
    p.click('.tog')                                                    # the view leaves the page: cleanups run
    expect(p.locator('.tw-inc')).to_have_count(0)
    p.wait_for_function('() => window.tw.viewCleanups === 1 && window.tw.initCleanups === 1')
    p.click('.tog')                                                    # and comes back with Python's state
    expect(p.locator('.tw-inc')).to_have_text('count 3')
    assert our_errors(new_page, p) == []


# ---------------------------------------------------------------------------------------------------------------
# Two worker processes, no sticky sessions

TWO_WORKERS_APP = '''
import os
from fasthtml.common import *
from fasthtml.live import Live, LiveComponent

app, rt = fast_app(secret_key='two-workers')
live = Live(app)
hub = PubSub(app)

class Counter(LiveComponent):
    def __init__(self, start: int = 0):
        self.n = start
        self.child = Child()
    def render(self):
        return Div(P(f'Count: {self.n}', cls='count'), P(str(os.getpid()), cls='pid'),
                   Button('+', live_click=self.inc, cls='plus'), self.child)
    def inc(self): self.n += 1

class Child(LiveComponent):
    def __init__(self): self.clicks = 0
    def render(self): return Button(f'child {self.clicks}', live_click=self.click, cls='child')
    def click(self): self.clicks += 1

class Room(LiveComponent):
    def __init__(self): self.items = []
    def render(self):
        return Div(Ul(*[Li(x) for x in self.items], cls='msgs'),
                   Form(Input(name='text'), Button('Send'), live_submit=self.say))
    async def say(self, text: str): await hub.publish('room', text)
    async def mount(self):
        async with await hub.subscribe('room') as sub:
            async for text in sub:
                self.items = [*self.items, text]
                await self.update()

@rt
def index(): return Titled('Two workers', P(str(os.getpid()), cls='page-pid'), Counter(5), Room())
'''


@pytest.mark.timeout(300)
def test_page_and_socket_on_different_workers(live_app_source, new_page, tmp_path):
    redis = start_redis(tmp_path)
    try:
        server = live_app_source(TWO_WORKERS_APP, env={'FASTHTML_PUBSUB_URL': redis.url},
                                 args=('--workers', '2'), timeout=60)
        by_socket: dict[str, object] = {}
        crossed = None
        for _ in range(60):                      # new browser contexts until both kinds of landing were seen
            p = open_live(new_page, server.url + '/')
            page_pid = p.locator('.page-pid').inner_text()
            p.click('.plus')
            expect(p.locator('.count')).to_have_text('Count: 6')         # recreated from (5) or adopted
            sock_pid = p.locator('.pid').inner_text()
            kept = by_socket.setdefault(sock_pid, p) is p
            if sock_pid != page_pid and crossed is None:
                crossed = kept = p
            if not kept:
                p.context.close()
            if crossed is not None and len(by_socket) == 2:
                break
        assert crossed is not None, 'no page had its socket on the other worker in 60 tries'
        assert len(by_socket) == 2, f'every socket landed on worker {list(by_socket)}'
        # On the worker that did not render the page: the child component lines up with the recreated parent.
        crossed.click('.child')
        expect(crossed.locator('.child')).to_have_text('child 1')
        crossed.click('.plus')
        expect(crossed.locator('.count')).to_have_text('Count: 7')
        expect(crossed.locator('.child')).to_have_text('child 1')
        # Push across workers: a message said on one worker's socket reaches a page whose socket is on the other.
        a, b = list(by_socket.values())
        a.fill('input[name=text]', 'across workers')
        a.press('input[name=text]', 'Enter')
        expect(b.locator('.msgs li')).to_have_text('across workers')
        expect(a.locator('.msgs li')).to_have_text('across workers')
    finally:
        redis.stop()
