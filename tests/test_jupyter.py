"""fasthtml.jupyter: servers started and stopped from Python (and from a real Jupyter kernel), iframes, show()."""
import asyncio
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx2
import nbformat
import pytest
from nbclient import NotebookClient

from fasthtml.components import Button, Div, P
from fasthtml.core import FastHTML
from fasthtml.jupyter import (
    HTMX,
    JupyUvi,
    JupyUviAsync,
    NbHTML,
    htmx_config_port,
    is_port_free,
    nb_serve,
    nb_serve_async,
    render_ft,
    show,
    wait_port_free,
    ws_client,
)

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def make_app() -> FastHTML:
    app = FastHTML(secret_key='k' * 32)

    @app.get('/', name='home')
    def index():
        return P('hello from the notebook app')
    return app


def test_is_port_free_sees_a_listener():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        s.listen()
        port = s.getsockname()[1]
        assert not is_port_free(port)
    assert is_port_free(port)


def test_wait_port_free_times_out_naming_the_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(TimeoutError, match=f'Port {port} on 127.0.0.1 is still in use'):
            wait_port_free(port, max_wait=0.2)


def test_jupyuvi_serves_live_route_changes_and_frees_the_port():
    port = free_port()
    app = make_app()
    srv = JupyUvi(app, port=port)
    try:
        assert srv.running and srv.url == f'http://127.0.0.1:{port}'
        assert not is_port_free(port)
        assert '<p>hello from the notebook app</p>' in httpx2.get(srv.url + '/').text

        @app.get('/', name='home')  # same path, methods and name: replaces the route
        def index():
            return P('changed while running')
        assert '<p>changed while running</p>' in httpx2.get(srv.url + '/').text
        assert httpx2.get(srv.url + '/added').status_code == 404

        @app.get('/added')
        def added():
            return P('new route')
        assert httpx2.get(srv.url + '/added').text.endswith('<p>new route</p></body></html>')
    finally:
        srv.stop()
    assert not srv.running and is_port_free(port)
    srv.stop()  # stopping twice is harmless
    # the next server on the same port starts straight away
    with JupyUvi(make_app(), port=port) as again:
        assert httpx2.get(again.url + '/').status_code == 200
    assert is_port_free(port)


def test_jupyuvi_start_false_and_restart():
    port = free_port()
    srv = JupyUvi(make_app(), port=port, start=False)
    assert not srv.running and is_port_free(port)
    assert 'stopped' in repr(srv)
    srv.start()
    assert srv.start() is srv  # already running: no second server
    assert 'running' in repr(srv)
    srv.stop()
    srv.start()
    assert httpx2.get(srv.url + '/').status_code == 200
    srv.stop()


def test_stop_closes_keep_alive_connections():
    port = free_port()
    srv = JupyUvi(make_app(), port=port)
    with httpx2.Client() as c:  # holds a keep-alive connection open across stop()
        assert c.get(srv.url + '/').status_code == 200
        srv.stop(timeout=3)
        assert is_port_free(port)


def test_busy_port_gives_a_clear_error():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(OSError, match=f'Port {port} on 127.0.0.1 is already in use'):
            nb_serve(make_app(), port=port)
        with pytest.raises(TimeoutError, match=f'Port {port}'):
            JupyUvi(make_app(), port=port)


def test_nb_serve_returns_a_started_server_in_a_daemon_thread():
    port = free_port()
    server = nb_serve(make_app(), port=port)
    try:
        assert server.started and server.thread.daemon
        assert httpx2.get(f'http://127.0.0.1:{port}/').status_code == 200
    finally:
        server.should_exit = True
        server.thread.join(5)
    wait_port_free(port)


async def test_async_server_on_the_running_loop():
    port = free_port()
    app = make_app()
    async with JupyUviAsync(app, port=port) as srv:
        assert srv.url == f'http://127.0.0.1:{port}'
        async with httpx2.AsyncClient() as c:
            r = await c.get(srv.url + '/')
        assert '<p>hello from the notebook app</p>' in r.text
    assert is_port_free(port)
    server = await nb_serve_async(app, port=port)
    assert server.started and isinstance(server.task, asyncio.Task)
    server.should_exit = True
    await asyncio.wait_for(server.task, 5)


def test_htmx_iframe_markup(capsys):
    out = HTMX(port=8123)
    assert isinstance(out, NbHTML) and out._repr_html_() == str(out)
    assert '<iframe src="http://localhost:8123/"' in out
    assert 'onload=' in out and 'postMessage' not in out  # the page reports its height; the iframe listens
    assert 'href=' not in out
    capsys.readouterr()
    # link=True displays the link at once (IPython's display; outside a kernel it prints), then returns the iframe
    fixed = HTMX('/items?x=1&y=2', port=8123, height=500, link=True)
    assert 'src="http://localhost:8123/items?x=1&amp;y=2"' in fixed
    assert 'height: 500px' in fixed and 'onload=' not in fixed and 'href=' not in fixed
    assert 'target="_blank"' in capsys.readouterr().out
    only_link = HTMX('/about', port=8123, iframe=False, link=True)
    assert only_link == '' and 'href="http://localhost:8123/about"' in capsys.readouterr().out


def test_htmx_accepts_a_route_function_and_serves_app():
    port = free_port()
    app = make_app()

    @app.get('/page')
    def page():
        return P('route by function')
    out = HTMX(page, app=app, port=port, host='127.0.0.1')
    try:
        assert f'src="http://127.0.0.1:{port}/page"' in out
        assert 'route by function' in httpx2.get(f'http://127.0.0.1:{port}/page').text
        assert HTMX(app=app, port=port).server is None  # already served: not started twice
    finally:
        out.server.stop()


def test_show_displays_now_and_returns_none(monkeypatch):
    # As FastHTML's notebook `show` (signature (*s, ...), over fasthtml.components.show): displayed at once (so it
    # works in loops), None returned
    import inspect

    import IPython.display

    import fasthtml.components as comps
    shown = []
    monkeypatch.setattr(IPython.display, 'display', shown.append)
    assert show(Div(P('a <b>'), id='x'), Button('go', hx_get='/go')) is None
    assert [o._repr_html_() for o in shown] == [
        '<div id="x"><p>a &lt;b&gt;</p></div>\n<button hx-get="/go">go</button>']
    assert comps.show(P('x')) is None and shown[-1]._repr_html_() == '<p>x</p>'
    assert list(inspect.signature(show).parameters) == ['s', 'iframe', 'height', 'style']


def test_htmx_config_port_script(monkeypatch):
    import IPython.display
    shown = []
    monkeypatch.setattr(IPython.display, 'display', shown.append)
    assert htmx_config_port(9001) is None
    scr = shown[0]
    assert scr.startswith('<script>') and "location.hostname + ':9001'" in scr and 'htmx:configRequest' in scr
    assert 'ctx.request.action' in scr  # htmx 4's request too
    htmx_config_port(9002, host='nb.example')
    assert "'//' + \"nb.example\" + ':9002'" in shown[1]


def test_ws_client_page_link_and_frame(monkeypatch):
    # As FastHTML's: a page at /nm that connects the htmx ws extension on load around an empty container (returned),
    # with a link and an iframe displayed in the notebook
    import IPython.display

    from fasthtml.core import Client
    shown = []
    monkeypatch.setattr(IPython.display, 'display', shown.append)
    app = make_app()
    box = ws_client(app, 'nm', port=8123, height=200)
    assert box.tag == 'main' and box.attrs['class'] == 'container' and box.id.startswith('_')
    assert shown[0] == '<a href="http://localhost:8123/nm" target="_blank">open in browser</a>'
    assert shown[1].startswith('<iframe src="http://localhost:8123/nm"') and 'height: 200px' in shown[1]
    r = Client(app).get('/nm', headers={'HX-Request': '1'})
    assert r.text == ('<div hx-trigger="load" hx-ext="ws" ws-connect="/ws" id="nm">'
                      f'<main id="{box.id}" class="container"></main></div>')
    shown.clear()
    ws_client(app, 'two', ws_connect='/sock', frame=False, link=False)
    assert shown == [] and 'ws-connect="/sock"' in Client(app).get('/two').text


def test_jupyuvi_live_reloads_pages_after_a_cell_runs():
    # live=True: an event stream at live_rt says `reload` when a notebook cell has run (a counter IPython's
    # post_run_cell event bumps; bumped by hand here), and every page loads its client
    port = free_port()
    app = make_app()
    with JupyUvi(app, port=port, live=True) as srv:
        assert [getattr(r, 'path', None) for r in app.routes].count('/_lr') == 1
        page = httpx2.get(srv.url + '/').text
        assert "new EventSource(\"/_lr\")" in page and 'postMessage' in page  # with the iframe-height script
        got: list[str] = []

        def listen() -> None:
            with httpx2.stream('GET', srv.url + '/_lr', timeout=30) as r:
                assert r.headers['content-type'].startswith('text/event-stream')
                for line in r.iter_lines():
                    if line:
                        got.append(line)
                        return
        t = threading.Thread(target=listen, daemon=True)
        t.start()
        deadline = time.monotonic() + 30
        while not got and time.monotonic() < deadline:  # bump until the listener (once connected) sees it
            srv._live_ver += 1
            time.sleep(0.2)
        t.join(30)
        assert got == ['data: reload']


def test_render_ft_outside_ipython_is_a_no_op():
    assert render_ft() is None and render_ft(x=1) is None


def test_works_without_ipython_installed():
    # IPython made unimportable: everything still works, and render_ft says it did nothing.
    code = textwrap.dedent(f'''
        import sys
        sys.modules['IPython'] = None
        import httpx2
        from fasthtml.core import FastHTML
        from fasthtml.components import P
        from fasthtml.jupyter import JupyUvi, HTMX, show, render_ft
        app = FastHTML(secret_key='k' * 32, nb_hdrs=True)
        @app.get('/')
        def index(): return P('plain python')
        with JupyUvi(app, port={free_port()}) as srv:
            print(httpx2.get(srv.url + '/').status_code)
        print(render_ft(), HTMX(port=1).startswith('<iframe'), str(show(P('x'))) == '<p>x</p>')
    ''')
    r = subprocess.run([sys.executable, '-c', code], check=False, capture_output=True, text=True, timeout=60,
                       cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ['200', 'None', 'True', 'True']


def test_in_a_real_jupyter_kernel(tmp_path):
    "A notebook starts JupyUvi, fetches a page, changes the route, fetches again and stops the server."
    port = free_port()
    cells = [
        f'import sys; sys.path.insert(0, {str(ROOT)!r})',
        textwrap.dedent(f'''
            import httpx2
            from fastcore.test import test_eq
            from fasthtml.core import FastHTML, iframe_scr
            from fasthtml.components import P
            from fasthtml.jupyter import JupyUvi, HTMX, render_ft, is_port_free
            app = FastHTML(secret_key='k' * 32, nb_hdrs=True)
            test_eq(iframe_scr in app.hdrs, True)  # notebook-friendly headers, because this is a notebook
            @app.get('/')
            def index(): return P('first version')
            server = JupyUvi(app, port={port})
            test_eq(httpx2.get(server.url + '/').text.count('<p>first version</p>'), 1)
        '''),
        textwrap.dedent('''
            @app.get('/')
            def index(): return P('second version')
            test_eq(httpx2.get(server.url + '/').text.count('<p>second version</p>'), 1)
        '''),
        'render_ft()\nP("shown as html")',
        f'HTMX(port={port})',
        f'server.stop()\ntest_eq(is_port_free({port}), True)',
        # serve() in a notebook does nothing (it would otherwise block the kernel forever), as in FastHTML.
        f'from fasthtml.core import serve\nserve(port={port})\ntest_eq(is_port_free({port}), True)',
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=60, kernel_name='python3', resources={'metadata': {'path': str(tmp_path)}}).execute()
    outs = [c.outputs for c in nb.cells]
    assert all(o.get('output_type') != 'error' for co in outs for o in co)
    assert outs[3][0]['data']['text/html'] == '<p>shown as html</p>'
    assert outs[4][0]['data']['text/html'].startswith(f'<iframe src="http://localhost:{port}/"')
    assert is_port_free(port)
    # the server starts quietly (log_level='error'); JupyUvi shows htmx_config_port's script, as FastHTML's does
    assert [o['output_type'] for o in outs[1]] == ['display_data']
    assert 'htmx:configRequest' in outs[1][0]['data']['text/html']
    assert os.listdir(tmp_path) == []
