"""The anywidget host (fasthtml._live_widgets): widget elements, keys, state sync both ways, custom messages, assets,
and widgets closed with the component that made them. Driven in-process with the live socket protocol."""
import base64
import re
import threading
import warnings

import anywidget
import pytest
import traitlets

from fasthtml.common import Div, FastHTML, P
from fasthtml.live import Live, LiveComponent, Widget

with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    from starlette.testclient import TestClient

from test_live import Sock, claims, swept

pytestmark = pytest.mark.timeout(60)

ESM = 'export default { render({ model, el }) { el.textContent = String(model.get("count")); } };'
CSS = '.tw { color: rgb(1, 2, 3); }'
VIEW = re.compile(r'data-lw="([^"]+)" data-lwk="([^"]+)" data-esm="([^"]+)"(?: data-css="([^"]+)")?')


class Tally(anywidget.AnyWidget):
    _esm = ESM
    _css = CSS
    count = traitlets.Int(0).tag(sync=True)
    label = traitlets.Unicode('').tag(sync=True)
    blob = traitlets.Bytes(b'').tag(sync=True)


SHARED = Tally(label='shared')


class Panel(LiveComponent):
    def __init__(self, start: int = 0):
        self.tally = Tally(count=start)
        self.more = [Tally(count=100)]
        self.seen: list = []
        self.tally.observe(lambda ch: self.seen.append((ch['new'], threading.current_thread().name)), names='count')

    def render(self):
        return Div(P(f'count {self.tally.count}'), Widget(self.tally, style='min-height: 1em'), Widget(self.more[0]),
                   Widget(SHARED))


def views(html):
    return [dict(zip(('tok', 'key', 'esm', 'css'), v, strict=True)) for v in VIEW.findall(html)]


@pytest.fixture
def env():
    app = FastHTML(secret_key='widget-secret')
    live = Live(app, grace=0.05)

    @app.route('/')
    def index():
        return Panel(3)

    @app.route('/plain')
    def plain():
        local = Tally(count=9)
        return Div(Widget(SHARED), Widget(local))
    return app, live


def state_msgs(msgs):
    return {m['k']: m for m in msgs if m['t'] == 'w' and m['m']['method'] == 'state'}


def test_widget_elements_name_the_widget_and_its_assets(env):
    app, live = env
    cli = TestClient(app)
    page = cli.get('/').text
    cl = claims(page)
    vs = views(page)
    lid = cl[0][0]
    assert [v['key'] for v in vs] == [f'c:{lid}:tally', f'c:{lid}:more/0', 'g:test_live_widgets:SHARED']
    assert re.search(r'<div (style="min-height: 1em" class="live-widget"|class="live-widget" style="min-height: 1em")',
                     page)
    js = cli.get(vs[0]['esm'].replace('&amp;', '&'))
    assert js.status_code == 200 and js.text == ESM and js.headers['content-type'].startswith('text/javascript')
    css = cli.get(vs[0]['css'].replace('&amp;', '&'))
    assert css.text == CSS and css.headers['content-type'].startswith('text/css')
    assert 'immutable' in js.headers['cache-control']
    plain = views(cli.get('/plain').text)
    assert plain[0]['key'] == 'g:test_live_widgets:SHARED' and plain[1]['key'].startswith('m:')


def test_assets_on_a_worker_that_has_not_seen_the_widget(env):
    from fasthtml import _live_widgets
    app, live = env
    cli = TestClient(app)
    v = views(cli.get('/').text)[0]
    url = v['esm'].replace('&amp;', '&')
    saved = dict(_live_widgets._assets)
    try:
        _live_widgets._assets.clear()
        _live_widgets._sha_of.clear()
        assert cli.get(url).text == ESM                       # read from the widget class named in the signed query
        _live_widgets._assets.clear()
        _live_widgets._sha_of.clear()
        assert cli.get(url.split('?')[0]).status_code == 404  # no class to read it from
        assert cli.get(url.split('?')[0] + '?c=forged').status_code == 404
        assert cli.get('/_live/a/abc.txt').status_code == 404
    finally:
        _live_widgets._assets.update(saved)


def test_state_sync_both_ways_with_echo_rules_and_observers(env):
    app, live = env
    a = TestClient(app)
    page = a.get('/').text
    cl, vs = claims(page), views(page)
    key = vs[0]['key']
    with a.websocket_connect('/_live/ws') as wa, a.websocket_connect('/_live/ws') as wb:
        sa, sb = Sock(wa), Sock(wb)
        sa.join(cl, [v['tok'] for v in vs])
        st = state_msgs(sa.sync())
        assert set(st) == {v['key'] for v in vs}
        s0 = st[key]['m']
        assert s0['state']['count'] == 3 and 'blob' not in s0['state'] and s0['buffer_paths'] == [['blob']]
        assert not ({'_esm', '_css', 'layout', '_anywidget_id'} & set(s0['state']))
        assert st[key]['b'] == ['']
        # A second page (same session, another socket) shows the shared widget.
        sb.join([], [vs[2]['tok']])
        assert list(state_msgs(sb.sync())) == [vs[2]['key']]
        # The page changes the component's widget: Python sees it, observers run in a worker thread, no echo back.
        sa.send(t='w', k=key, m={'method': 'update', 'state': {'count': 4}, 'buffer_paths': []}, b=[])
        assert sa.sync() == []
        comp = live.runner.live[cl[0][0]]
        assert comp.tally.count == 4 and comp.seen[-1][0] == 4 and comp.seen[-1][1] != 'MainThread'
        # Python changes a widget: every page showing it gets the update.
        SHARED.count = 41
        ua, ub = sa.sync(), sb.sync()
        assert ua == ub[:1] == [{'t': 'w', 'k': vs[2]['key'], 'm': {'method': 'update', 'state': {'count': 41},
                                                                     'buffer_paths': []}, 'b': []}]
        # A change from one page reaches the other page (and not the page it came from).
        sb.send(t='w', k=vs[2]['key'], m={'method': 'update', 'state': {'label': 'hi'}, 'buffer_paths': []}, b=[])
        assert sb.sync() == []
        assert [m['m']['state'] for m in sa.sync()] == [{'label': 'hi'}]
        assert SHARED.label == 'hi'
        # Binary values travel as base64 buffers.
        sa.send(t='w', k=key, m={'method': 'update', 'state': {'blob': None}, 'buffer_paths': [['blob']]},
                b=[base64.b64encode(b'\x00\xffxyz').decode()])
        sa.sync()
        assert comp.tally.blob == b'\x00\xffxyz'
        comp.tally.blob = b'\x01\x02'
        m = sa.sync()[0]
        assert m['m']['buffer_paths'] == [['blob']] and base64.b64decode(m['b'][0]) == b'\x01\x02'


def test_custom_messages_both_ways(env):
    app, live = env
    cli = TestClient(app)
    page = cli.get('/').text
    cl, vs = claims(page), views(page)
    got = []
    with cli.websocket_connect('/_live/ws') as ws:
        s = Sock(ws)
        s.join(cl, [vs[0]['tok']])
        s.sync()
        comp = live.runner.live[cl[0][0]]
        comp.tally.on_msg(lambda w, content, buffers: got.append((content, [bytes(b) for b in buffers])))
        s.send(t='w', k=vs[0]['key'], m={'method': 'custom', 'content': {'ping': 1}},
               b=[base64.b64encode(b'ab').decode()])
        s.sync()
        assert got == [({'ping': 1}, [b'ab'])]
        comp.tally.send({'pong': 2}, buffers=[b'cd'])
        assert s.sync() == [{'t': 'w', 'k': vs[0]['key'], 'm': {'method': 'custom', 'content': {'pong': 2}},
                             'b': [base64.b64encode(b'cd').decode()]}]


def test_malformed_or_foreign_widget_messages_are_dropped(env):
    app, live = env
    cli, other = TestClient(app), TestClient(app)
    page = cli.get('/').text
    cl, vs = claims(page), views(page)
    other_vs = views(other.get('/').text)
    with cli.websocket_connect('/_live/ws') as ws:
        s = Sock(ws)
        s.join(cl, [vs[0]['tok'], other_vs[0]['tok'], 'forged'])     # another page's component widget: unknown here
        msgs = s.sync()
        assert [m['t'] for m in msgs] == ['w', 'wg'] and msgs[1]['k'] == other_vs[0]['key']
        comp = live.runner.live[cl[0][0]]
        for bad in ({'method': 'update', 'state': 5}, {'method': 'nope'},
                    {'method': 'update', 'state': {'count': 1}, 'buffer_paths': [['x']]},
                    {'method': 'update', 'state': {'count': 'not an int'}}):
            s.send(t='w', k=vs[0]['key'], m=bad, b=[])
        s.send(t='w', k=vs[0]['key'], m={'method': 'update', 'state': {}, 'buffer_paths': [['blob']]}, b=['%%%'])
        s.send(t='w', k=other_vs[0]['key'], m={'method': 'update', 'state': {'count': 99}}, b=[])
        s.sync()
        assert comp.tally.count == 3
        s.send(t='w', k=vs[0]['key'], m={'method': 'update', 'state': {'count': 5}, 'buffer_paths': []}, b=[])
        s.sync()
        assert comp.tally.count == 5


def test_widgets_made_by_a_component_are_closed_with_it(env):
    app, live = env
    cli = TestClient(app)
    page = cli.get('/').text
    cl, vs = claims(page), views(page)
    with cli.websocket_connect('/_live/ws') as ws:
        s = Sock(ws)
        s.join(cl, [v['tok'] for v in vs])
        s.sync()
        comp = live.runner.live[cl[0][0]]
    assert swept(live, {'live': 0, 'waiting': 0})
    assert comp.tally.comm is None and comp.more[0].comm is None     # closed: ipywidgets no longer holds them
    assert SHARED.comm is not None                                   # module-level: not the component's


def test_widget_needs_an_anywidget():
    with pytest.raises(TypeError, match='anywidget'):
        Widget(object())


def test_the_readme_examples_run_and_stay_short(tmp_path, monkeypatch):
    "The README's live component and widget examples (under 15 lines each) serve pages whose sockets work."
    from pathlib import Path
    monkeypatch.chdir(tmp_path)
    readme = (Path(__file__).resolve().parents[1] / 'README.md').read_text()
    section = readme.split('### Live components and widgets')[1].split('\n### ')[0]
    blocks = re.findall(r'```python\n(.*?)```', section, re.S)
    assert len(blocks) == 2
    for src, wanted in zip(blocks, ('Count: 10', 'Size: 50'), strict=True):
        assert len(src.strip().splitlines()) < 15
        ns: dict = {'__name__': 'readme_example'}
        exec(compile(src, 'README.md', 'exec'), ns)
        cli = TestClient(ns['app'])
        page = cli.get('/').text
        assert wanted in page
        with cli.websocket_connect('/_live/ws') as ws:
            s = Sock(ws)
            s.join(claims(page), [v['tok'] for v in views(page)])
            msgs = s.sync()
            assert [m['t'] for m in msgs] == ['w'] * len(views(page))
            if not views(page):
                s.event(claims(page)[1][0], 'inc')
                assert 'Count: 11' in s.sync()[0]['h']
            else:
                key = views(page)[0]['key']
                s.send(t='w', k=key, m={'method': 'update', 'state': {'value': 70}, 'buffer_paths': []}, b=[])
                assert 'Size: 70' in s.sync()[0]['h']
