"""Live components (fasthtml.live): rendering, the socket protocol and the instance lifecycle, in-process.

Pages are fetched and live sockets opened with Starlette's TestClient; a `p` (ping) message is answered once every
event received before it was handled, so "nothing else arrived" is checked without waiting on a clock.
"""
import json
import logging
import re
import threading
import time
import warnings
from contextlib import contextmanager

import pytest
from live_helpers import Sock, claims, joined, wait_for
from starlette.websockets import WebSocketDisconnect

from fasthtml.common import Beforeware, Button, Div, FastHTML, Input, P, RedirectResponse, Span, Titled, to_xml
from fasthtml.live import Live, LiveComponent, LiveError

with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    from starlette.testclient import TestClient

pytestmark = pytest.mark.timeout(60)

HX = {'HX-Request': 'true'}


def swept(live, want):
    "Sweep until the runner holds `want` (the TestClient's event loop stops between connections)."
    return wait_for(lambda: (live.runner.sweep(), live.runner.counts())[1] == want)


class Counter(LiveComponent):
    def __init__(self, n: int = 0):
        self.n = n

    def render(self):
        return Div(P(f'Count: {self.n}', cls='n'), Button('+', live_click=self.inc))

    def inc(self, by: int = 1):
        self.n += by

    async def ainc(self, by: int = 1):
        self.n += by

    def boom(self):
        raise ValueError('kaboom')

    def _private(self):
        self.n = -1


def make_app(grace=30.0, index=None, **kw):
    "An app with live components, and `index` (when given) serving its page at '/'."
    app = FastHTML(secret_key='test-secret', **kw)
    live = Live(app, grace=grace)
    if index is not None:
        app.route('/')(index)
    return app, live


@contextmanager
def live_page(app, path='/'):
    "A new client's page at `path`, and a live socket that joined its components: `(cli, cl, sock)`."
    cli = TestClient(app)
    cl = claims(cli.get(path).text)
    with joined(cli, cl) as s:
        yield cli, cl, s


@pytest.fixture
def counter_app():
    return make_app(index=lambda: Titled('C', Counter(), Counter(5)))


# ---------------------------------------------------------------------------------------------------------------
# Rendering

def test_page_embeds_components_with_tokens_and_the_client_script(counter_app):
    app, live = counter_app
    cli = TestClient(app)
    r = cli.get('/')
    assert r.status_code == 200
    assert re.search(r'<script src="/_live/live.js\?v=\w+" defer></script>', r.text)
    cl = claims(r.text)
    assert len(cl) == 2 and cl[0][0] != cl[1][0] and [c[2] for c in cl] == ['0', '0']
    assert f'<div id="{cl[1][0]}" data-lid="{cl[1][0]}"' in r.text
    assert '<p class="n">Count: 5</p><button live-click="inc">+</button>' in r.text
    assert live.runner.counts() == {'live': 0, 'waiting': 2}
    assert '_live' in r.headers.get('set-cookie', '') or 'session_' in r.headers.get('set-cookie', '')
    js = cli.get(r.text.split('<script src="')[-1].split('"')[0])
    assert js.status_code == 200 and js.headers['content-type'].startswith('text/javascript')
    assert 'immutable' in js.headers['cache-control'] and b'fasthtml live client' in js.content


def test_htmx_fragment_and_root_attributes():
    app, live = make_app()

    class Row(LiveComponent):
        def render(self):
            return Div('row', id='mine', cls='r')

    class Many(LiveComponent):
        def render(self):
            return P('a'), P('b')

    @app.route('/frag')
    def frag():
        return Row(), Many()
    r = TestClient(app).get('/frag', headers=HX)
    assert '<html' not in r.text
    assert re.search(r'<div id="mine" class="r" data-lid="l[\w-]+" data-live="[^"]+" data-lv="0">row</div>', r.text)
    assert re.search(r'<div id="(l[\w-]+)" data-lid="\1" data-live="[^"]+" data-lv="0"><p>a</p><p>b</p></div>', r.text)


def test_rendering_outside_a_request_uses_the_only_hub_or_explains(monkeypatch):
    import weakref

    import fasthtml.live
    monkeypatch.setattr(fasthtml.live, '_HUBS', weakref.WeakSet())   # other tests' apps may still be alive
    app, live = make_app()
    assert 'Count: 3' in to_xml(Counter(3))
    app2, live2 = make_app()
    with pytest.raises(LiveError, match='outside a request'):
        to_xml(Counter(3))
    del app2, live2


def test_handler_names_render_and_only_public_methods_are_handlers():
    assert str(Counter().inc) == 'inc'
    assert set(Counter._live_handlers) == {'inc', 'ainc', 'boom'}
    c = Counter(1)
    c.inc(2)
    assert c.n == 3


def test_a_handler_parameter_that_can_never_be_filled_fails_at_class_definition():
    with pytest.raises(TypeError, match='positional-only'):
        class Bad(LiveComponent):
            def oops(self, x: int, /):
                pass


# ---------------------------------------------------------------------------------------------------------------
# Events

@pytest.mark.parametrize('handler', ['inc', 'ainc'])
def test_event_runs_the_handler_with_typed_fields_and_sends_only_that_component(counter_app, handler):
    app, live = counter_app
    with live_page(app) as (cli, cl, s):
        assert s.sync() == []               # the page is current: nothing to send
        s.event(cl[1][0], handler, by='3')
        msgs = s.sync()
        assert [m['l'] for m in msgs] == [cl[1][0]]
        assert '<p class="n">Count: 8</p>' in msgs[0]['h'] and 'data-lv="1"' in msgs[0]['h']
        s.event(cl[1][0], handler)
        assert '<p class="n">Count: 9</p>' in s.sync()[0]['h']
        assert live.runner.counts() == {'live': 2, 'waiting': 0}


def test_event_fields_follow_the_route_annotation_rules():
    app, live = make_app()
    seen = {}

    class Form(LiveComponent):
        def render(self):
            return Input(name='q', live_input=self.typed)

        def typed(self, value: str, flag: bool, when: int | None = None, tags: list[str] | None = None,
                  session=None, req=None, auth=None):
            seen.update(value=value, flag=flag, when=when, tags=tags, session=type(session).__name__,
                        req=type(req).__name__, auth=auth)

    app.route('/')(lambda: Form())
    with live_page(app) as (cli, cl, s):
        s.event(cl[0][0], 'typed', value='hi', flag='on', when='7', tags=['a', 'b'])
        assert s.sync()[0]['t'] == 'h'
        assert seen == {'value': 'hi', 'flag': True, 'when': 7, 'tags': ['a', 'b'], 'session': 'Session',
                        'req': 'FastWebSocket', 'auth': None}
        s.event(cl[0][0], 'typed', value='hi', flag='on', when='soon')   # does not convert
        msgs = s.sync()
        assert [m['t'] for m in msgs] == ['x'] and 'live-error' in msgs[0]['h']
        s.event(cl[0][0], 'typed', flag='on')                             # `value` missing
        assert [m['t'] for m in s.sync()] == ['x']


def test_handler_error_shows_in_that_component_and_is_logged(counter_app, caplog):
    app, live = counter_app
    with live_page(app) as (cli, cl, s):
        with caplog.at_level(logging.ERROR, 'fasthtml.live'):
            s.event(cl[0][0], 'boom')
            msgs = s.sync()
        assert [(m['t'], m['l']) for m in msgs] == [('x', cl[0][0])]
        assert 'Something went wrong' in msgs[0]['h'] and 'kaboom' not in msgs[0]['h']   # no details outside debug
        assert any('kaboom' in (r.exc_text or '') or (r.exc_info and 'kaboom' in str(r.exc_info[1]))
                   for r in caplog.records)
        s.event(cl[0][0], 'inc')                                  # the component and the socket still work
        assert 'Count: 1' in s.sync()[0]['h']
        s.event(cl[0][0], '_private')                             # not a handler
        s.event(cl[0][0], 'render')
        msgs = s.sync()
        assert [m['t'] for m in msgs] == ['x', 'x']
        s.event(cl[0][0], 'inc')
        assert 'Count: 2' in s.sync()[0]['h']


def test_debug_mode_shows_the_traceback_in_place():
    app, live = make_app(debug=True, index=lambda: Counter())
    with live_page(app) as (cli, cl, s):
        s.event(cl[0][0], 'boom')
        h = s.sync()[0]['h']
        assert 'ValueError: kaboom' in h and 'Traceback' in h


def test_render_error_keeps_the_page_and_the_connection():
    app, live = make_app()

    class Shaky(LiveComponent):
        def __init__(self):
            self.bad = False

        def render(self):
            if self.bad:
                raise RuntimeError('cannot render')
            return P('fine')

        def spoil(self):
            self.bad = True

        def fix(self):
            self.bad = False

    app.route('/')(lambda: Shaky())
    with live_page(app) as (cli, cl, s):
        s.event(cl[0][0], 'spoil')
        assert [m['t'] for m in s.sync()] == ['x']
        s.event(cl[0][0], 'fix')
        assert '<p' in s.sync()[0]['h']


def test_malformed_messages_are_ignored(counter_app):
    app, live = counter_app
    cli = TestClient(app)
    cl = claims(cli.get('/').text)
    with cli.websocket_connect('/_live/ws') as ws:
        s = Sock(ws)
        for junk in ('not json', '[1,2]', '{"t": "e"}', '{"t": "e", "l": 5, "h": []}', '{"t": "j", "c": "x"}',
                     '{"t": "j", "c": [[1, 2, 3], "x"]}', '{"t": "w", "k": 1}', '{"t": "zzz"}', '{"t": "l", "c": 3}'):
            ws.send_text(junk)
        ws.send_bytes(b'\x00\x01')
        assert s.sync() == []
        s.join(cl)
        s.event(cl[0][0], 'inc', by='2')
        assert 'Count: 2' in s.sync()[0]['h']


# ---------------------------------------------------------------------------------------------------------------
# Refusals: other sessions, forged tokens, components the page did not join

def test_foreign_components_are_refused(counter_app):
    app, live = counter_app
    ann, bob = TestClient(app), TestClient(app)
    ann_cl, bob_cl = claims(ann.get('/').text), claims(bob.get('/').text)
    with joined(bob, ann_cl) as s:                       # Ann's tokens, Bob's session
        assert sorted(m['t'] for m in s.sync()) == ['g', 'g']
        s.event(ann_cl[0][0], 'inc')                     # an id this page did not join
        assert s.sync() == []
        forged = [[bob_cl[0][0], bob_cl[0][1][:-3] + 'AAA', '0'], [ann_cl[1][0], bob_cl[1][1], '0']]
        s.join(forged)                                   # bad signature; a token naming another id
        assert [m['t'] for m in s.sync()] == ['g', 'g']
    with joined(ann, ann_cl) as s:
        s.event(ann_cl[0][0], 'inc')
        assert 'Count: 1' in s.sync()[0]['h']           # untouched by Bob


def test_beforeware_and_auth_apply_to_the_live_socket():
    def guard(req, session):
        if not session.get('user'):
            return RedirectResponse('/login', 303)
        req.scope['auth'] = session['user']
    app, live = make_app(before=Beforeware(guard, skip=['/login']))
    got = {}

    class Me(LiveComponent):
        def render(self):
            return P('me')

        def who(self, auth):
            got['auth'] = auth

    @app.route('/login')
    def login(session):
        session['user'] = 'ann'
        return 'ok'

    app.route('/')(lambda: Me())
    cli = TestClient(app)
    with pytest.raises(WebSocketDisconnect):
        with cli.websocket_connect('/_live/ws') as ws:
            ws.receive_text()
    cli.get('/login')
    cl = claims(cli.get('/').text)
    with joined(cli, cl) as s:
        s.event(cl[0][0], 'who')
        s.sync()
    assert got == {'auth': 'ann'}


def test_cross_site_handshake_is_refused(counter_app):
    app, live = counter_app
    cli = TestClient(app)
    with pytest.raises(WebSocketDisconnect):
        with cli.websocket_connect('/_live/ws', headers={'origin': 'https://evil.example', 'sec-fetch-site':
                                                         'cross-site'}) as ws:
            ws.receive_text()
    with cli.websocket_connect('/_live/ws', headers={'origin': 'http://testserver'}) as ws:
        assert Sock(ws).sync() == []


# ---------------------------------------------------------------------------------------------------------------
# Lifecycle: reconnect, grace period, reload, recreation on another worker, push

def test_reconnect_within_grace_keeps_the_instance_and_renders_what_changed():
    app, live = make_app(grace=30, index=lambda: Counter())
    with live_page(app) as (cli, cl, s):
        s.event(cl[0][0], 'inc')
        s.event(cl[0][0], 'inc')
        h = s.sync()[-1]['h']
    assert wait_for(lambda: live.runner.counts() == {'live': 0, 'waiting': 1})
    seen = claims(h)[0]                        # the client's current version (2)
    with joined(cli, [seen]) as s:
        assert s.sync() == []                  # same version: nothing to send
        s.event(cl[0][0], 'inc')
        assert 'Count: 3' in s.sync()[0]['h']  # the same instance
    with joined(cli, [cl[0]]) as s:            # a page still showing version 0 gets the current render
        msgs = s.sync()
        assert len(msgs) == 1 and 'Count: 3' in msgs[0]['h']


def test_instances_are_freed_after_the_grace_period_and_recreated_from_the_token():
    app, live = make_app(grace=0.2)
    freed = []

    class Tracked(Counter):
        def unmount(self):
            freed.append(self.n)

        async def mount(self):
            pass

    app.route('/')(lambda: Tracked(7))
    with live_page(app) as (cli, cl, s):
        s.event(cl[0][0], 'inc')
        s.sync()
    assert swept(live, {'live': 0, 'waiting': 0})
    assert freed == [8]
    with joined(cli, cl) as s:                 # recreated from its constructor arguments (7), same id
        assert s.sync() == []
        s.event(cl[0][0], 'inc')
        h = s.sync()[0]['h']
        assert 'Count: 8' in h and f'data-lid="{cl[0][0]}"' in h


def test_pages_that_never_connect_do_not_keep_instances():
    app, live = make_app(grace=0.05, index=lambda: Div(*[Counter(i) for i in range(5)]))
    cli = TestClient(app)
    for _ in range(20):
        cli.get('/')
    time.sleep(0.1)
    live.runner.sweep()
    assert live.runner.counts() == {'live': 0, 'waiting': 0}


def test_a_reload_starts_fresh_instances(counter_app):
    app, live = counter_app
    cli = TestClient(app)
    first = claims(cli.get('/').text)
    with joined(cli, first) as s:
        s.event(first[0][0], 'inc')
        s.sync()
    second = claims(cli.get('/').text)
    assert {c[0] for c in first}.isdisjoint(c[0] for c in second)
    with joined(cli, second) as s:
        s.event(second[0][0], 'inc')
        assert 'Count: 1' in s.sync()[0]['h']


class Parent(LiveComponent):
    def __init__(self, a: int = 0, b: int = 0):
        self.kids = [Counter(a), Counter(b)]
        self.label = 'p'

    def render(self):
        return Div(Span(self.label, cls='label'), *self.kids)

    def relabel(self, label: str):
        self.label = label


def test_another_worker_recreates_components_and_their_children_with_the_same_ids():
    "Two apps with one key stand for two worker processes: the page comes from one, the socket reaches the other."
    a_app, a_live = make_app(index=lambda: Parent(1, 2))
    b_app, b_live = make_app(index=lambda: Parent(1, 2))
    cli = TestClient(a_app)
    page = cli.get('/').text
    cl = claims(page)
    assert len(cl) == 3 and cl[1][0] == cl[0][0] + '-0' and cl[2][0] == cl[0][0] + '-1'
    b = TestClient(b_app, cookies=cli.cookies)
    with joined(b, cl) as s:
        assert s.sync() == []
        assert b_live.runner.counts() == {'live': 3, 'waiting': 0}
        s.event(cl[2][0], 'inc')                        # the child the recreated parent holds
        assert 'Count: 3' in s.sync()[0]['h']
        s.event(cl[0][0], 'relabel', label='new')       # the parent re-renders with that same child
        h = s.sync()[0]['h']
        assert '<span class="label">new</span>' in h and 'Count: 3' in h and 'Count: 1' in h


def test_non_json_constructor_arguments_warn_and_cannot_move(caplog):
    a_app, a_live = make_app()
    b_app, b_live = make_app()

    class Holder(LiveComponent):
        def __init__(self, obj=None):
            self.obj = obj

        def render(self):
            return P('held')
    for app in (a_app, b_app):
        app.route('/')(lambda: Holder(object()))
    cli = TestClient(a_app)
    with caplog.at_level(logging.WARNING, 'fasthtml.live'):
        cl = claims(cli.get('/').text)
    assert any('not JSON values' in r.getMessage() for r in caplog.records)
    with joined(cli, cl) as s:                         # same worker: the instance itself is adopted
        assert s.sync() == []
    cl = claims(cli.get('/').text)
    with TestClient(b_app, cookies=cli.cookies).websocket_connect('/_live/ws') as ws:
        s = Sock(ws)
        s.join(cl)
        assert [m['t'] for m in s.sync()] == ['x']


def test_update_pushes_from_mount_from_async_code_and_from_threads():
    app, live = make_app()
    started = threading.Event()

    class Ticker(LiveComponent):
        def __init__(self):
            self.n = 0

        def render(self):
            return P(f'tick {self.n}')

        async def mount(self):
            self.n = 1
            await self.update()
            started.set()

        def bump(self):
            self.n = 10
            self.update()            # from the handler's worker thread, mid-handler
            self.n = 11

    app.route('/')(lambda: Ticker())
    with live_page(app) as (cli, cl, s):
        assert started.wait(10)
        assert 'tick 1' in s.sync()[0]['h']
        comp = live.runner.live[cl[0][0]]
        comp.n = 5
        fut = comp.update()          # from this (non-loop) thread: a concurrent future
        assert fut.result(10) is True
        assert 'tick 5' in s.sync()[0]['h']
        s.event(cl[0][0], 'bump')
        hs = [m['h'] for m in s.sync()]
        assert len(hs) == 2 and 'tick' in hs[0] and 'tick 11' in hs[1]


def test_update_without_a_page_marks_the_component_stale():
    app, live = make_app(index=lambda: Counter())
    cli = TestClient(app)
    cl = claims(cli.get('/').text)
    comp = live.runner.waiting[cl[0][0]][0]
    comp.n = 4
    assert comp.update().result(1) is False
    with joined(cli, cl) as s:
        assert 'Count: 4' in s.sync()[0]['h']


def test_close_all_drops_sockets_and_the_instance_survives_the_reconnect():
    app, live = make_app(index=lambda: Counter())

    @app.route('/drop')
    async def drop():
        return str(await live.close_all())
    with live_page(app) as (cli, cl, s):
        s.event(cl[0][0], 'inc')
        s.sync()
        assert cli.get('/drop').text == '1'
        with pytest.raises(WebSocketDisconnect):
            s.ws.receive_text()
    with joined(cli, [cl[0][:2] + ['1']]) as s:
        s.event(cl[0][0], 'inc')
        assert 'Count: 2' in s.sync()[0]['h']


def test_a_duplicated_tab_takes_the_instance_over(counter_app):
    app, live = counter_app
    cli = TestClient(app)
    cl = claims(cli.get('/').text)
    with cli.websocket_connect('/_live/ws') as w1, cli.websocket_connect('/_live/ws') as w2:
        a, b = Sock(w1), Sock(w2)
        a.join(cl[:1])
        a.sync()
        b.join(cl[:1])
        b.sync()
        assert a.sync() == [{'t': 'g', 'l': cl[0][0]}]
        b.event(cl[0][0], 'inc')
        assert 'Count: 1' in b.sync()[0]['h']


def test_leaving_elements_frees_them_after_grace():
    app, live = make_app(grace=0.1, index=lambda: (Counter(), Counter()))
    with live_page(app) as (cli, cl, s):
        s.send(t='l', c=[cl[0][0]], w=[])
        s.sync()
        assert swept(live, {'live': 1, 'waiting': 0})
        s.event(cl[0][0], 'inc')                       # gone from this page
        assert s.sync() == []


def test_children_created_by_handlers_join_the_page_when_rendered():
    app, live = make_app()

    class List(LiveComponent):
        def __init__(self):
            self.items = []

        def render(self):
            return Div(*self.items)

        def add(self):
            self.items.append(Counter(len(self.items)))

    app.route('/')(lambda: List())
    with live_page(app) as (cli, cl, s):
        s.event(cl[0][0], 'add')
        h = s.sync()[0]['h']
        kid = claims(h)[1]
        assert kid[0] == cl[0][0] + '-0'
        s.join([kid])                                  # what the client does when the new element appears
        assert s.sync() == []
        s.event(kid[0], 'inc')
        assert 'Count: 1' in s.sync()[0]['h']


# ---------------------------------------------------------------------------------------------------------------
# Session

def test_session_changes_made_by_a_handler_are_saved_through_the_page():
    app, live = make_app()

    class Likes(LiveComponent):
        def __init__(self, n: int = 0):
            self.n = n

        def render(self):
            return P(f'likes {self.n}')

        def like(self, session):
            self.n = session['likes'] = session.get('likes', 0) + 1

    @app.route('/')
    def index(session):
        return Likes(session.get('likes', 0))
    with live_page(app) as (cli, cl, s):
        s.event(cl[0][0], 'like')
        msgs = s.sync()
    sess = [m for m in msgs if m['t'] == 's']
    assert len(sess) == 1 and [m['t'] for m in msgs] == ['s', 'h']
    r = cli.post('/_live/session', data={'v': sess[0]['v']})
    assert r.status_code == 204
    assert 'likes 1' in cli.get('/').text                          # the reload shows it
    other = TestClient(app)
    other.get('/')
    assert other.post('/_live/session', data={'v': sess[0]['v']}).status_code == 403
    assert cli.post('/_live/session', data={'v': 'forged'}).status_code == 400
    assert cli.post('/_live/session', data={}).status_code == 400


def test_session_write_back_carries_only_the_handler_changes_and_never_undoes_a_logout():
    app, live = make_app()

    class Prefs(LiveComponent):
        def render(self):
            return P('prefs')

        def dark(self, session):
            session['theme'] = 'light' if session.get('theme') == 'dark' else 'dark'
            session.pop('banner', None)

    @app.route('/')
    def index(session):
        session.setdefault('user', 'ann')
        session.setdefault('banner', 'hi')
        return Prefs()

    @app.route('/set')
    def set_(session):
        session['cart'] = 3
        return 'ok'

    @app.route('/logout')
    def logout(session):
        session.clear()
        return 'bye'

    @app.route('/show')
    def show(session):
        return json.dumps({k: v for k, v in sorted(session.items()) if k != '_live'})
    cli = TestClient(app)
    cl = claims(cli.get('/').text)

    def changes():
        with joined(cli, cl) as s:
            s.event(cl[0][0], 'dark')
            return [m['v'] for m in s.sync() if m['t'] == 's']
    (v,) = changes()
    cli.get('/set')                                        # changed by another request meanwhile: kept
    assert cli.post('/_live/session', data={'v': v}).status_code == 204
    assert json.loads(cli.get('/show').text) == {'cart': 3, 'theme': 'dark', 'user': 'ann'}
    (v,) = changes()
    cli.get('/logout')
    assert cli.post('/_live/session', data={'v': v}).status_code == 403   # the logout stands
    assert json.loads(cli.get('/show').text) == {}


def test_a_runner_of_ones_own_receives_the_page_traffic():
    "The seam for other runners (a process per session, say): Live(app, runner=Cls) routes every call through it."
    from fasthtml._live_runner import LocalRunner
    calls = []

    class Recording(LocalRunner):
        async def join(self, conn, claims):
            calls.append(('join', len(claims)))
            await super().join(conn, claims)

        async def event(self, conn, lid, name, fields):
            calls.append(('event', name, fields))
            await super().event(conn, lid, name, fields)

        async def disconnect(self, conn):
            calls.append(('disconnect',))
            await super().disconnect(conn)
    app = FastHTML(secret_key='test-secret')
    live = Live(app, runner=Recording)
    assert isinstance(live.runner, Recording) and live.runner.hub is live
    app.route('/')(lambda: Counter())
    with live_page(app) as (cli, cl, s):
        s.event(cl[0][0], 'inc', by='4')
        assert 'Count: 4' in s.sync()[0]['h']
    assert wait_for(lambda: calls[-1:] == [('disconnect',)])
    assert calls == [('join', 1), ('event', 'inc', {'by': '4'}), ('disconnect',)]


def test_an_app_mounted_in_a_site_serves_its_live_routes_under_the_prefix():
    from fasthtml.compose import mount
    site = FastHTML(secret_key='site-secret')
    app = FastHTML(secret_key='app-secret')
    live = Live(app)
    app.route('/')(lambda: Counter(2))
    mount(site, '/sub', app)
    cli = TestClient(site)
    page = cli.get('/sub/').text
    src = re.search(r'<script src="(/sub/_live/live.js\?v=\w+)" defer>', page)
    assert src and cli.get(src[1]).status_code == 200
    assert live.base == '/sub/_live'
    cl = claims(page)
    with cli.websocket_connect('/sub/_live/ws') as ws:
        s = Sock(ws)
        s.join(cl)
        s.event(cl[0][0], 'inc')
        assert 'Count: 3' in s.sync()[0]['h']
