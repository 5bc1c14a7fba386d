"""Isolated live components (fasthtml._live_isolated, _live_session): real session processes, driven in-process.

Pages and live sockets go through Starlette's TestClient (one event loop per `with TestClient(app)` block, whose
lifespan starts and stops the session processes); a `p` (ping) message is answered once every event received before
it was handled, so what a handler caused has arrived by then. Timeouts are small and set by each test; every wait is
on a condition, bounded. Component classes live at module level: the session's process imports this module by name.
"""
import ctypes
import itertools
import json
import logging
import os
import re
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import anywidget
import pytest
import traitlets

from fasthtml.common import Button, Div, FastHTML, HTMLResponse, Li, P, Titled, Ul, to_xml
from fasthtml.live import Live, LiveComponent, LiveError, Widget

with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_helpers import claims, html_of, joined, wait_for
from redis_server import start_redis

pytestmark = [pytest.mark.timeout(120),
              pytest.mark.skipif(not os.path.exists('/proc/self/stat'), reason='process isolation needs Linux')]

PID = re.compile(r'pid (\d+)')


def boxes(msgs):
    "The reasons of the 'stopped' boxes among `msgs`, per component id."
    return {m['l']: re.search(r'data-reason="(\w+)"', m['h'])[1] for m in msgs
            if m['t'] == 'x' and 'live-stopped' in m['h']}


# ---------------------------------------------------------------------------------------------------------------
# Components (module level: the session's process imports them from here)

class Counter(LiveComponent):
    def __init__(self, n: int = 0):
        self.n = n

    def render(self):
        return Div(P(f'Count: {self.n}', cls='n'), P(f'pid {os.getpid()}', cls='pid'), Button('+', live_click=self.inc))

    def inc(self, by: int = 1):
        self.n += by

    async def ainc(self, by: int = 1):
        self.n += by

    def boom(self):
        raise ValueError('kaboom')

    def slow(self):
        time.sleep(100)

    def quit(self, code: int = 3):
        os._exit(code)

    def segfault(self):
        ctypes.string_at(0)

    def hog(self, mb: int = 256):
        self.blob = bytearray(mb << 20)

    def remember(self, session, word: str):
        session['word'] = word
        self.n = len(word)

    def who(self, auth, app, req, htmx):
        self.n = f'{auth}|{type(app).__name__}|{req.url.path}|{req.cookies.get("flavour")}'


class Board(LiveComponent):
    "Makes child components in __init__ and in a handler: they live in the same process."

    def __init__(self):
        self.kids = [Counter(1), Counter(2)]

    def render(self):
        return Div(P(f'pid {os.getpid()}', cls='pid'), *self.kids, Button('add', live_click=self.add))

    def add(self):
        self.kids.append(Counter(len(self.kids) + 1))


class Ticker(LiveComponent):
    "Pushes a re-render every 50 ms from mount(): pushes are not activity."

    def __init__(self):
        self.ticks = 0

    def render(self):
        return P(f'ticks {self.ticks}')

    async def mount(self):
        import asyncio
        while True:
            await asyncio.sleep(0.05)
            self.ticks += 1
            await self.update()


class SlowStart(LiveComponent):
    def __init__(self, wait: float = 100):
        time.sleep(wait)

    def render(self):
        return P('never')


_made = itertools.count(1)


class Stamp(LiveComponent):
    "Says which instance it is (the how-manieth made in its process)."

    def __init__(self):
        self.serial = next(_made)

    def render(self):
        return P(f'instance {self.serial} pid {os.getpid()}')

    def ping(self):
        pass


class Sandbox(LiveComponent, isolate=True):
    def render(self):
        return P(f'pid {os.getpid()}', cls='pid')


class Plain(LiveComponent, isolate=False):
    def render(self):
        return P(f'pid {os.getpid()}', cls='pid')


class Gauge(anywidget.AnyWidget):
    _esm = 'export default { render({ model, el }) { el.textContent = String(model.get("level")); } };'
    level = traitlets.Int(0).tag(sync=True)


class Meter(LiveComponent):
    "Holds a widget: its traits sync with the page through the session's process."

    def __init__(self, level: int = 0):
        self.gauge = Gauge(level=level)
        self.seen: list = []
        self.gauge.observe(lambda ch: self.seen.append(ch['new']), names='level')

    def render(self):
        return Div(P(f'level {self.gauge.level} seen {self.seen} pid {os.getpid()}'), Widget(self.gauge))

    def bump(self):
        self.gauge.level += 10

    def show(self):
        pass


# An app made when this module is imported: its session processes import the module too, and find it (`app`).
MODULE_APP = FastHTML(secret_key='module-app')
MODULE_LIVE = Live(MODULE_APP, isolate=True, grace=5)
MODULE_APP.route('/')(lambda: Titled('Module', Counter()))


def make_app(tmp_path, *, comps=lambda: (Counter(), Counter(5)), secret='iso-secret', **kw):
    app = FastHTML(secret_key=secret)
    kw.setdefault('isolate', True)
    kw.setdefault('grace', 5)
    live = Live(app, run_dir=str(tmp_path / 'run'), **kw)

    @app.route('/')
    def index():
        return Titled('Isolated', *comps())
    return app, live


def page(cli, path='/'):
    r = cli.get(path)
    assert r.status_code == 200, r.text
    return r.text, claims(r.text)


def pids(text):
    return {int(p) for p in PID.findall(text)}


def alive(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rpartition(')')[2].split()[0] != 'Z'
    except OSError:
        return False


def _sid_of(cookies, app):
    import base64

    from itsdangerous import TimestampSigner
    data = TimestampSigner(str(app.secret_key)).unsign(cookies['session_'])
    return json.loads(base64.b64decode(data))['_live']


# ---------------------------------------------------------------------------------------------------------------
# Settings

def test_settings_are_checked_when_the_app_is_made(tmp_path):
    from fasthtml._live_isolated import parse_size
    app = FastHTML(secret_key='x')
    for kw, err in [({'isolate': 'yes'}, TypeError), ({'timeout_interaction': -1}, ValueError),
                    ({'timeout_inactivity': 'soon'}, ValueError), ({'max_processes': 0}, ValueError),
                    ({'prefork': 100}, ValueError), ({'memory_limit': 'lots'}, ValueError),
                    ({'memory_limit': -5}, ValueError)]:
        with pytest.raises(err):
            Live(app, **kw)
    assert parse_size('512M') == 512 << 20 and parse_size('2g') == 2 << 30 and parse_size(1000) == 1000
    assert parse_size('1.5K') == 1536 and parse_size(None) is None
    live = Live(FastHTML(secret_key='x'), isolate=True, timeout_interaction=None, memory_limit='1G', prefork=0)
    s = live.isolation
    assert (s.timeout_interaction, s.timeout_inactivity, s.memory_limit, s.prefork) == (None, 0.0, 1 << 30, 0)
    with pytest.raises(TypeError):
        class Bad(LiveComponent, isolate='yes'):
            pass


# ---------------------------------------------------------------------------------------------------------------
# Pages, events, state

def test_page_gets_components_rendered_in_the_sessions_process(tmp_path):
    app, live = make_app(tmp_path)
    with TestClient(app) as cli:
        r = cli.get('/')
        text = r.text
        assert int(r.headers['content-length']) == len(r.content)
        (pid,) = pids(text)
        assert pid != os.getpid() and alive(pid)
        assert live.runner.processes() == {live.runner.sessions.h_of(_sid_of(cli.cookies, app)): pid}
        assert 'Count: 0' in text and 'Count: 5' in text and 'aria-busy' not in text
        cl = claims(text)
        assert [c[2] for c in cl] == ['0', '0']
        assert all(live.verify(c[1], {'session': {'_live': _sid_of(cli.cookies, app)}})[3] for c in cl)   # isolated
        # An htmx fragment is filled the same way.
        frag = cli.get('/', headers={'HX-Request': 'true'}).text
        assert 'Count: 5' in frag and pids(frag) == {pid}
        assert live.runner.counts() == {'live': 0, 'waiting': 0}   # nothing of it lives in the server


def test_events_rerender_and_state_lives_in_the_process(tmp_path):
    app, live = make_app(tmp_path)
    with TestClient(app) as cli:
        text, cl = page(cli)
        (a, _, _), (b, _, _) = cl
        with joined(cli, cl) as s:
            assert s.sync() == []                              # adopted as made: nothing to re-render
            s.event(a, 'inc', by='3')
            s.event(b, 'ainc')
            msgs = s.sync()
            assert 'Count: 3' in html_of(msgs, a)[0] and 'Count: 6' in html_of(msgs, b)[0]
            assert 'data-lv="1"' in html_of(msgs, a)[0]
            s.event(a, 'inc', by='x')                         # a bad field: an error in place, as in-process
            s.event(b, 'boom')                                # a handler raising: the process goes on
            msgs = s.sync()
            assert [m['t'] for m in msgs] == ['x', 'x'] and 'live-stopped' not in msgs[1]['h']
            s.event(b, 'inc')
            assert 'Count: 7' in html_of(s.sync(), b)[0]
            s.event(a, 'nope')
            assert s.sync()[0]['t'] == 'x'


def test_a_session_keeps_its_process_and_another_session_gets_its_own(tmp_path):
    app, live = make_app(tmp_path)
    with TestClient(app) as cli:
        first = pids(page(cli)[0])
        assert pids(page(cli)[0]) == first                     # a reload: the same process, fresh instances
        cli.cookies.clear()
        other = pids(page(cli)[0])
        assert other != first and len(live.runner.processes()) == 2


def test_children_live_with_their_parent(tmp_path):
    app, live = make_app(tmp_path, comps=lambda: (Board(),))
    with TestClient(app) as cli:
        text, cl = page(cli)
        assert len(cl) == 3 and len(pids(text)) == 1            # the board and its two counters, one process
        board, k1, _ = (c[0] for c in cl)
        with joined(cli, cl) as s:
            s.event(k1, 'inc')
            assert 'Count: 2' in html_of(s.sync(), k1)[0]
            s.event(board, 'add')
            board_html = html_of(s.sync(), board)[0]
            new = claims(board_html)
            assert len(new) == 4 and 'Count: 2' in board_html and 'Count: 3' in board_html
            s.join([new[3]])                                  # the page joins the new child: routed to the process
            s.event(new[3][0], 'inc', by='10')
            assert 'Count: 13' in html_of(s.sync(), new[3][0])[0]


def test_per_class_isolation(tmp_path):
    app = FastHTML(secret_key='per-class')
    live = Live(app, run_dir=str(tmp_path / 'run'))          # the app does not isolate; Sandbox does
    app.route('/')(lambda: Titled('x', Sandbox(), Counter(), Plain()))
    app2 = FastHTML(secret_key='per-class-2')
    Live(app2, isolate=True, run_dir=str(tmp_path / 'run2'))  # the app isolates; Plain opts out
    app2.route('/')(lambda: Titled('x', Plain(), Counter()))
    with TestClient(app) as cli:
        text = cli.get('/').text
        found = [int(p) for p in PID.findall(text)]
        assert found[0] != os.getpid() and found[1:] == [os.getpid(), os.getpid()]
        cl = claims(text)
        with joined(cli, cl) as s:
            s.event(cl[1][0], 'inc')                           # the local counter, in this process
            assert 'Count: 1' in html_of(s.sync(), cl[1][0])[0]
            assert live.runner.counts()['live'] == 2
    with TestClient(app2) as cli:
        found = [int(p) for p in PID.findall(cli.get('/').text)]
        assert found[0] == os.getpid() and found[1] != os.getpid()


def test_session_write_back_and_request_parameters(tmp_path):
    app, live = make_app(tmp_path, comps=lambda: (Counter(),))
    with TestClient(app) as cli:
        cli.cookies.set('flavour', 'mint')
        text, cl = page(cli)
        lid = cl[0][0]
        with joined(cli, cl) as s:
            s.event(lid, 'remember', word='hello')
            msgs = s.sync()
            assert 'Count: 5' in html_of(msgs, lid)[0]
            (v,) = [m['v'] for m in msgs if m['t'] == 's']      # signed in the process with the app's key
            assert cli.post('/_live/session', data={'v': v}).status_code == 204
            s.event(lid, 'who')                               # no app of that name where the process looks
            assert 'Count: None|NoneType|/_live/ws|mint' in html_of(s.sync(), lid)[0]
    with TestClient(MODULE_APP) as cli:
        text, cl = page(cli)
        with joined(cli, cl) as s:
            s.event(cl[0][0], 'who')                           # the process imported this module: its app
            assert 'Count: None|FastHTML|/_live/ws|None' in html_of(s.sync(), cl[0][0])[0]


def test_update_pushes_come_from_the_process(tmp_path):
    app, live = make_app(tmp_path, comps=lambda: (Ticker(),))
    with TestClient(app) as cli:
        text, cl = page(cli)
        with joined(cli, cl) as s:
            got = s.until(lambda m: m['t'] == 'h' and 'ticks 3' in m['h'])
            assert all(m['l'] == cl[0][0] for m in got if m['t'] == 'h')


def test_widget_traits_sync_through_the_sessions_process(tmp_path):
    app, live = make_app(tmp_path, comps=lambda: (Meter(3),))
    with TestClient(app) as cli:
        text, cl = page(cli)
        tok, key, esm = re.search(r'data-lw="([^"]+)" data-lwk="([^"]+)" data-esm="([^"]+)"', text).groups()
        assert key == f'c:{cl[0][0]}:gauge' and len(live.signer.loads(tok)) == 3   # marked: routed to the process
        r = cli.get(esm)                                      # served here, read from the widget's class
        assert r.status_code == 200 and r.text == Gauge._esm
        with joined(cli, cl, [tok]) as s:
            (st,) = [m for m in s.sync() if m['t'] == 'w']
            assert st['k'] == key and st['m']['method'] == 'state' and st['m']['state']['level'] == 3
            s.send(t='w', k=key, m={'method': 'update', 'state': {'level': 7}, 'buffer_paths': []}, b=[])
            assert s.sync() == []                              # no echo to the page that made the change
            s.event(cl[0][0], 'show')
            assert 'level 7 seen [7]' in html_of(s.sync(), cl[0][0])[0]   # the observer ran in the process
            s.event(cl[0][0], 'bump')                          # a Python change goes to the page
            msgs = s.sync()
            assert {'t': 'w', 'k': key, 'm': {'method': 'update', 'state': {'level': 17}, 'buffer_paths': []},
                    'b': []} in msgs
            assert 'level 17' in html_of(msgs, cl[0][0])[0]


# ---------------------------------------------------------------------------------------------------------------
# Limits and failures: contained to one session

def two_sessions(cli):
    "Pages of two browser sessions on one client (the cookie jar is swapped in between)."
    a_text, a_cl = page(cli)
    a_cookies = dict(cli.cookies)
    cli.cookies.clear()
    b_text, b_cl = page(cli)
    b_cookies = dict(cli.cookies)
    return (a_text, a_cl, a_cookies), (b_text, b_cl, b_cookies)


def joined_as(cli, cookies, cl):
    "A live socket of the session `cookies` (put in the client's jar) that has joined the components `cl`."
    cli.cookies.clear()
    for k, v in cookies.items():
        cli.cookies.set(k, v)
    return joined(cli, cl)


def test_a_handler_past_timeout_interaction_is_stopped_and_can_start_again(tmp_path, caplog):
    app, live = make_app(tmp_path, timeout_interaction=2)
    with TestClient(app) as cli:
        (at, acl, ac), (bt, bcl, bc) = two_sessions(cli)
        (apid,), (bpid,) = pids(at), pids(bt)
        with joined_as(cli, ac, acl) as sa, joined_as(cli, bc, bcl) as sb:
            sb.event(bcl[0][0], 'inc')
            assert 'Count: 1' in html_of(sb.sync(), bcl[0][0])[0]
            with caplog.at_level(logging.ERROR, logger='fasthtml.live'):
                sa.event(acl[0][0], 'slow')
                assert boxes(sa.sync()) == {acl[0][0]: 'timeout', acl[1][0]: 'timeout'}   # the page says so
                assert wait_for(lambda: not alive(apid))
                assert wait_for(lambda: 'took longer than timeout_interaction=2s' in caplog.text)
            h = live.runner.sessions.h_of(_sid_of(ac, app))
            assert f'isolated session {h[:12]}' in caplog.text and 'in slow' in caplog.text   # where it was stuck
            sb.event(bcl[0][0], 'inc')                         # the other session never noticed
            assert 'Count: 2' in html_of(sb.sync(), bcl[0][0])[0] and alive(bpid)
            sa.event(acl[0][0], 'inc')                         # a stale button: the box again, no restart
            assert boxes(sa.sync()) == {acl[0][0]: 'timeout'}
            sa.event(acl[1][0], '__restart')                   # "Start again": a new process, fresh instances
            msgs = sa.sync()
            assert 'Count: 0' in html_of(msgs, acl[0][0])[0] and 'Count: 5' in html_of(msgs, acl[1][0])[0]
            (new,) = pids(html_of(msgs, acl[0][0])[0])
            assert new != apid
            sa.event(acl[0][0], 'inc')
            assert 'Count: 1' in html_of(sa.sync(), acl[0][0])[0]


def test_a_first_render_past_the_timeout_shows_in_the_page(tmp_path):
    app, live = make_app(tmp_path, timeout_interaction=2, comps=lambda: (SlowStart(),))
    with TestClient(app) as cli:
        r = cli.get('/')
        assert r.status_code == 200
        assert 'data-reason="timeout"' in r.text and 'Start again' in r.text and 'never' not in r.text


@pytest.mark.parametrize('how', ['quit', 'segfault'])
def test_a_crash_is_contained_to_its_session(tmp_path, caplog, how):
    app, live = make_app(tmp_path)
    with TestClient(app) as cli:
        (at, acl, ac), (bt, bcl, bc) = two_sessions(cli)
        (apid,), (bpid,) = pids(at), pids(bt)
        with joined_as(cli, ac, acl) as sa, joined_as(cli, bc, bcl) as sb:
            sb.event(bcl[1][0], 'inc', by='10')
            assert 'Count: 15' in html_of(sb.sync(), bcl[1][0])[0]
            with caplog.at_level(logging.ERROR, logger='fasthtml.live'):
                sa.event(acl[0][0], how)
                assert boxes(sa.sync()) == {acl[0][0]: 'crash' if how == 'segfault' else 'exit',
                                            acl[1][0]: 'crash' if how == 'segfault' else 'exit'}
                want = 'crashed (SIGSEGV)' if how == 'segfault' else 'exited with code 3'
                assert wait_for(lambda: want in caplog.text)
            assert f'isolated session {live.runner.sessions.h_of(_sid_of(ac, app))[:12]}: process {apid}' in caplog.text
            sb.event(bcl[1][0], 'inc')                          # the other session's state is intact
            assert 'Count: 16' in html_of(sb.sync(), bcl[1][0])[0] and alive(bpid)
            assert cli.get('/health').status_code in (200, 404)  # the server itself is fine


def test_a_click_right_after_start_again_reaches_the_new_process(tmp_path):
    "Sent before the new process has joined the page: the click waits for it, never answered with a stale box."
    app, live = make_app(tmp_path)
    with TestClient(app) as cli:
        text, cl = page(cli)
        (pid,) = pids(text)
        with joined(cli, cl) as s:
            s.event(cl[0][0], 'quit')
            assert boxes(s.sync()) == {cl[0][0]: 'exit', cl[1][0]: 'exit'}
            s.event(cl[0][0], '__restart')
            s.event(cl[0][0], 'inc', by='2')                    # at once: the new process is still starting
            msgs = s.sync()
            assert [m['t'] for m in msgs if m['l'] == cl[0][0]] == ['h', 'h'] and boxes(msgs) == {}
            first, then = html_of(msgs, cl[0][0])
            assert 'Count: 0' in first and 'Count: 2' in then and pids(first) == pids(then) != {pid}
            assert 'Count: 5' in html_of(msgs, cl[1][0])[0]


def test_start_again_twice_at_once_makes_one_instance_each(tmp_path):
    "A second click on 'Start again' waits for the first: one new process, one new instance, still on the page."
    app, live = make_app(tmp_path, comps=lambda: (Stamp(), Counter()))
    with TestClient(app) as cli:
        text, cl = page(cli)
        with joined(cli, cl) as s:
            s.event(cl[1][0], 'quit')
            assert set(boxes(s.sync())) == {cl[0][0], cl[1][0]}
            s.event(cl[0][0], '__restart')
            s.event(cl[1][0], '__restart')
            msgs = s.sync()
            assert {m['t'] for m in msgs} == {'h'}              # no box, and nothing taken off the page ('g')
            stamps = {re.search(r'instance \d+ pid \d+', h)[0] for h in html_of(msgs, cl[0][0])}
            assert len(html_of(msgs, cl[0][0])) == 2 and len(stamps) == 1
            s.event(cl[0][0], 'ping')
            s.event(cl[1][0], 'inc')
            msgs = s.sync()
            assert stamps == {re.search(r'instance \d+ pid \d+', html_of(msgs, cl[0][0])[0])[0]}
            assert 'Count: 1' in html_of(msgs, cl[1][0])[0]


def test_memory_over_the_limit_stops_the_process(tmp_path):
    app, live = make_app(tmp_path, memory_limit='64M')
    with TestClient(app) as cli:
        text, cl = page(cli)
        (pid,) = pids(text)
        with joined(cli, cl) as s:
            s.event(cl[0][0], 'hog', mb='8')                   # within the limit
            assert 'Count: 0' in html_of(s.sync(), cl[0][0])[0]
            s.event(cl[0][0], 'hog', mb='512')
            msgs = s.sync()
            if not boxes(msgs):
                msgs += s.until(lambda m: m['t'] == 'x' and 'live-stopped' in m['h'])
            assert set(boxes(msgs).values()) == {'memory'}
            assert wait_for(lambda: not alive(pid))


def test_inactivity_stops_the_process_and_pushes_do_not_count(tmp_path):
    app, live = make_app(tmp_path, timeout_inactivity=1, comps=lambda: (Ticker(), Counter()))
    with TestClient(app) as cli:
        text, cl = page(cli)
        (pid,) = pids(text)
        with joined(cli, cl) as s:
            got = s.until(lambda m: m['t'] == 'x')             # the ticker kept pushing; the process stopped anyway
            assert any(m['t'] == 'h' for m in got)
            got += s.sync()
            assert set(boxes(got).values()) == {'inactive'} and set(boxes(got)) == {cl[0][0], cl[1][0]}
            assert wait_for(lambda: not alive(pid))
            s.event(cl[1][0], '__restart')                     # the next visit starts fresh
            msgs = s.sync()
            assert 'Count: 0' in html_of(msgs, cl[1][0])[0]


def test_the_cap_gives_server_busy_at_once_and_try_again_works(tmp_path):
    app, live = make_app(tmp_path, max_processes=1, grace=0.5)
    with TestClient(app) as cli:
        (at, acl, ac), (bt, bcl, bc) = two_sessions(cli)
        assert len(pids(at)) == 1 and 'data-reason="busy"' in bt and 'Try again' in bt
        assert 'server is busy' in bt
        (apid,) = pids(at)
        with joined_as(cli, bc, bcl) as sb:
            assert set(boxes(sb.sync()).values()) == {'busy'}   # still busy, never a hang
            # Session A's page is gone: after grace its components are freed and its process ends, freeing the slot.
            assert wait_for(lambda: not alive(apid))
            # The slot is free once the kernel has released the dead process's files: "Try again" until then.
            deadline = time.monotonic() + 30
            while True:
                sb.event(bcl[0][0], '__restart')
                msgs = sb.sync()
                if html_of(msgs, bcl[0][0]) or time.monotonic() > deadline:
                    break
                assert set(boxes(msgs).values()) == {'busy'}
                time.sleep(0.05)
            assert 'Count: 0' in html_of(msgs, bcl[0][0])[0] and 'Count: 5' in html_of(msgs, bcl[1][0])[0]


def test_processes_stop_with_the_server(tmp_path):
    app, live = make_app(tmp_path, grace=60)
    with TestClient(app) as cli:
        (at, _, _), (bt, _, _) = two_sessions(cli)
        started = pids(at) | pids(bt)
        assert len(started) == 2 and all(alive(p) for p in started)
    assert wait_for(lambda: not any(alive(p) for p in started))
    assert live.runner.processes() == {}


def test_an_empty_process_ends_after_grace_and_a_new_page_starts_another(tmp_path):
    app, live = make_app(tmp_path, grace=0.3)
    with TestClient(app) as cli:
        (pid,) = pids(page(cli)[0])
        assert wait_for(lambda: not alive(pid))                # the page never connected: nothing left to serve
        assert live.runner.processes() == {}
        (again,) = pids(page(cli)[0])
        assert again != pid and alive(again)


# ---------------------------------------------------------------------------------------------------------------
# Several workers: the session's process is reached from whichever one holds the socket

@contextmanager
def joined_on_b(ca, cb):
    "Worker A's page, joined by a socket on worker B (A's session cookies): `(cl, session pid, socket)`."
    text, cl = page(ca)
    (pid,) = pids(text)
    for k, v in ca.cookies.items():
        cb.cookies.set(k, v)
    with joined(cb, cl) as s:
        assert s.sync() == []                                  # the very instances made for the page, by worker A
        s.event(cl[1][0], 'inc')
        msgs = s.sync()
        assert 'Count: 6' in html_of(msgs, cl[1][0])[0] and pids(html_of(msgs, cl[1][0])[0]) == {pid}
        yield cl, pid, s


def test_another_worker_reaches_the_same_process(tmp_path):
    app_a, live_a = make_app(tmp_path, secret='two-workers')
    app_b, live_b = make_app(tmp_path, secret='two-workers')    # the same app in another worker: same key, same dir
    with TestClient(app_a) as ca, TestClient(app_b) as cb:
        with joined_on_b(ca, cb):
            pass
        assert live_b.runner.processes() == {} and len(live_a.runner.processes()) == 1


def test_a_worker_on_another_host_reaches_the_process_through_redis(tmp_path):
    "Two workers that share Redis but no run dir (as on two hosts): frames go through the worker that started it."
    redis = start_redis(tmp_path)
    try:
        app_a, live_a = make_app(tmp_path / 'a', secret='hosts', redis_url=redis.url)
        app_b, live_b = make_app(tmp_path / 'b', secret='hosts', redis_url=redis.url)
        with TestClient(app_a) as ca, TestClient(app_b) as cb:
            with joined_on_b(ca, cb) as (cl, pid, s):          # the instances made for the page, on host A
                assert live_b.runner.processes() == {}
                s.event(cl[0][0], 'quit')                      # it ends on host A: B's page is told why
                assert set(boxes(s.sync()).values()) == {'exit'}
                assert wait_for(lambda: not alive(pid))
                s.event(cl[0][0], '__restart')                 # starting again starts it here, on host B
                msgs = s.sync()
                (new,) = pids(html_of(msgs, cl[0][0])[0])
                assert new != pid and set(live_b.runner.processes().values()) == {new}
            text = ca.get('/').text                            # and host A now reaches it through B
            assert pids(text) == {new} and 'Count: 5' in text
    finally:
        redis.stop()


# ---------------------------------------------------------------------------------------------------------------
# Refusals and developer mistakes

def test_tokens_of_another_session_are_refused(tmp_path):
    app, live = make_app(tmp_path)
    with TestClient(app) as cli:
        (at, acl, ac), (bt, bcl, bc) = two_sessions(cli)
        with joined_as(cli, bc, acl) as sb:                   # session A's tokens on session B's socket
            assert [m['t'] for m in sb.sync()] == ['g', 'g']
            sb.event(acl[0][0], 'inc')
            assert sb.sync() == []


def local_component_class():
    class Local(LiveComponent, isolate=True):
        def render(self):
            return P('x')
    return Local


def test_isolated_classes_must_be_importable_and_take_json_arguments(tmp_path):
    Local = local_component_class()
    app = FastHTML(secret_key='mistakes')
    Live(app, isolate=True, run_dir=str(tmp_path / 'run'))
    app.route('/local')(lambda: Local())
    app.route('/args')(lambda: Counter(object()))
    with TestClient(app, raise_server_exceptions=True) as cli:
        with pytest.raises(LiveError, match='define it at the top level of a module'):
            cli.get('/local')
        with pytest.raises(LiveError, match='must be JSON values'):
            cli.get('/args')


def test_placeholders_stay_when_the_body_cannot_be_rewritten_and_the_socket_makes_them(tmp_path):
    app, live = make_app(tmp_path)
    app.route('/encoded')(lambda: HTMLResponse(to_xml(Div(Counter(7))), headers={'content-encoding': 'identity'}))
    with TestClient(app) as cli:
        text = cli.get('/encoded').text
        assert 'aria-busy="true"' in text and 'Count' not in text
        cl = claims(text)
        assert cl[0][2] == '-1'
        with joined(cli, cl) as s:
            assert 'Count: 7' in html_of(s.sync(), cl[0][0])[0]


def test_an_app_that_isolates_nothing_starts_no_process(tmp_path):
    app = FastHTML(secret_key='plain')
    live = Live(app)
    app.route('/')(lambda: Ul(Li('a')))
    with TestClient(app) as cli:
        assert cli.get('/').text.count('<li>a</li>') == 1
    assert live.runner._sessions is None


def test_without_linux_isolated_components_run_in_the_server_with_a_warning(tmp_path, monkeypatch, caplog):
    import fasthtml._live_isolated as iso
    import fasthtml.live as live_mod
    monkeypatch.setattr(iso, 'SUPPORTED', False)
    monkeypatch.setattr(live_mod, '_warned_unsupported', [])
    app, live = make_app(tmp_path)
    with caplog.at_level(logging.WARNING, logger='fasthtml.live'), TestClient(app) as cli:
        text, cl = page(cli)
        assert pids(text) == {os.getpid()} and 'process isolation needs Linux' in caplog.text
        with joined(cli, cl) as s:
            s.event(cl[0][0], 'inc')
            assert 'Count: 1' in html_of(s.sync(), cl[0][0])[0]
    assert live.runner._sessions is None


def test_a_bytes_secret_key_works(tmp_path):
    app, live = make_app(tmp_path, secret=b'bytes \xff secret')
    with TestClient(app) as cli:
        text, cl = page(cli)
        (pid,) = pids(text)
        assert pid != os.getpid()
        with joined(cli, cl) as s:
            s.event(cl[0][0], 'remember', word='abc')
            msgs = s.sync()
            (v,) = [m['v'] for m in msgs if m['t'] == 's']
            assert cli.post('/_live/session', data={'v': v}).status_code == 204


def test_the_janitor_removes_only_the_files_of_sessions_that_are_gone(tmp_path):
    from fasthtml._live_isolated import _janitor
    app, live = make_app(tmp_path)
    with TestClient(app) as cli:
        (pid,) = pids(page(cli)[0])
        d = live.runner.sessions.dir
        (live_h,) = live.runner.processes()
        for name in ('dead1.sock', 'dead1.end', 'dead1.death', 'dead2.end', 'fresh.end'):
            (d / name).write_text('x')
        past = time.time() - 3600
        for p in d.iterdir():
            if p.is_file() or p.is_socket():
                if not p.name.startswith('fresh'):
                    os.utime(p, (past, past), follow_symlinks=False)
        assert _janitor(d, 600) == 4
        left = sorted(p.name for p in d.iterdir())
        assert f'{live_h}.sock' in left and f'{live_h}.death' in left and 'fresh.end' in left
        assert not [n for n in left if n.startswith('dead')] and alive(pid)


def test_with_redis_down_each_host_serves_its_own_sessions(tmp_path, caplog):
    from redis_server import free_port
    app, live = make_app(tmp_path, redis_url=f'redis://127.0.0.1:{free_port()}/0')   # nothing listens there
    with caplog.at_level(logging.WARNING, logger='fasthtml.live'), TestClient(app) as cli:
        text, cl = page(cli)
        (pid,) = pids(text)
        assert pid != os.getpid() and 'cannot be reached for isolated sessions' in caplog.text
        with joined(cli, cl) as s:
            s.event(cl[0][0], 'inc')
            assert 'Count: 1' in html_of(s.sync(), cl[0][0])[0]
