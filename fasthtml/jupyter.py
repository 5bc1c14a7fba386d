"""Use FastHTML in Jupyter notebooks: serve an app from a background thread, show it in an iframe, render FT in cells.

Nothing here needs IPython: `HTMX` returns an `NbHTML` string whose `_repr_html_` Jupyter displays, and which plain
Python prints as markup; `show` (from `fasthtml.components`) returns HTML text when IPython is absent.
Servers bind 127.0.0.1 unless `host` says otherwise (the original bound 0.0.0.0, exposing a notebook's app to the
network), and `stop()` waits until the port is free again, so the next server on the same port starts at once.
"""
from __future__ import annotations

import asyncio
import html
import json
import socket
import threading
import time
from typing import Any

import uvicorn

from ._render import to_xml
from .components import Script
from .components import show as _show

__all__ = [
    'HTMX',
    'JupyUvi',
    'JupyUviAsync',
    'NbHTML',
    'htmx_config_port',
    'is_port_free',
    'nb_serve',
    'nb_serve_async',
    'render_ft',
    'show',
    'wait_port_free',
    'ws_client',
]

_STARTUP_TIMEOUT = 10.0


def _display(o: Any) -> bool:
    "Show `o` in the notebook now (IPython's `display`); False, doing nothing, without IPython."
    try:
        from IPython.display import display
    except ImportError:
        return False
    display(o)
    return True


def _shell() -> Any:
    "The running IPython shell (a notebook kernel), or None."
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def show(*s: Any, iframe: bool = False, height: str = 'auto', style: str | None = None) -> Any:
    """Display FT components in a notebook cell now (so it also works inside loops and functions) and return None,
    as FastHTML's notebook `show` does (`fasthtml.components.show`, which takes at least one component). Without
    IPython, returns the HTML text."""
    return _show(*s, iframe=iframe, height=height, style=style)


class NbHTML(str):
    "HTML markup that Jupyter displays as HTML (through `_repr_html_`) and plain Python prints as text."

    def _repr_html_(self) -> str:
        return str(self)

    def __html__(self) -> str:
        return str(self)


def is_port_free(port: int, host: str = '127.0.0.1') -> bool:
    "Could a server bind `port` on `host` right now?"
    with socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        # uvicorn binds with SO_REUSEADDR too, so connections in TIME_WAIT do not count as "in use"
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def wait_port_free(port: int, host: str = '127.0.0.1', max_wait: float = 3) -> None:
    "Wait up to `max_wait` seconds for `port` on `host` to be free; `TimeoutError` naming the port otherwise."
    deadline = time.monotonic() + max_wait
    while not is_port_free(port, host):
        if time.monotonic() > deadline:
            raise TimeoutError(f'Port {port} on {host} is still in use after {max_wait}s: stop the server using it '
                               f'(server.stop()) or choose another port.')
        time.sleep(0.05)


def _check_free(port: int, host: str) -> None:
    if not is_port_free(port, host):
        raise OSError(f'Port {port} on {host} is already in use: stop the server using it (server.stop()) '
                      f'or pass another port.')


def _server(app: Any, log_level: str, port: int, host: str, **kwargs: Any) -> uvicorn.Server:
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, **kwargs)
    return uvicorn.Server(config)


def nb_serve(app: Any, log_level: str = 'error', port: int = 8000, host: str = '127.0.0.1', daemon: bool = True,
             **kwargs: Any) -> uvicorn.Server:
    """Start a uvicorn server for ASGI `app` on `host`:`port` in a background thread (its own event loop, so it runs
    beside Jupyter's), and return it once it accepts connections. The thread is `server.thread`."""
    _check_free(port, host)
    server = _server(app, log_level, port, host, **kwargs)
    thread = threading.Thread(target=server.run, name=f'fasthtml-nb-serve-{port}', daemon=daemon)
    server.thread = thread  # type: ignore[attr-defined]
    thread.start()
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f'The server for port {port} on {host} stopped during startup (see the log above).')
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError(f'The server for port {port} on {host} did not start within {_STARTUP_TIMEOUT}s.')
        time.sleep(0.01)
    return server


async def nb_serve_async(app: Any, log_level: str = 'error', port: int = 8000, host: str = '127.0.0.1',
                         **kwargs: Any) -> uvicorn.Server:
    """Start a uvicorn server for `app` as a task on the running event loop (Jupyter's, in a notebook) and return it
    once it accepts connections. The task is `server.task`."""
    _check_free(port, host)
    server = _server(app, log_level, port, host, **kwargs)
    task = asyncio.get_running_loop().create_task(server.serve())
    server.task = task  # type: ignore[attr-defined]
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    while not server.started:
        if task.done():
            exc = task.exception() if not task.cancelled() else None
            raise RuntimeError(f'The server for port {port} on {host} stopped during startup: {exc!r}')
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError(f'The server for port {port} on {host} did not start within {_STARTUP_TIMEOUT}s.')
        await asyncio.sleep(0.01)
    return server


class JupyUvi:
    """Start and stop a uvicorn server for ASGI `app` on `host`:`port` from a notebook (or any Python code).

    Routes added or changed after `start()` are served at once: the app is not copied. `stop()` waits for the
    server thread to end and the port to be free. Also a context manager (`with JupyUvi(app, port=...) as srv:`).
    In a notebook it displays `htmx_config_port(port)`, so htmx requests from cell output reach the app; with
    `live=True`, the app's pages reload themselves after each cell runs (through an event stream at `live_rt`)."""

    def __init__(self, app: Any, log_level: str = 'error', host: str = '127.0.0.1', port: int = 8000,
                 start: bool = True, live: bool = False, live_rt: str = '/_lr', daemon: bool = True, **kwargs: Any):
        self.app, self.log_level, self.host, self.port = app, log_level, host, port
        self.kwargs = dict(kwargs, daemon=daemon)
        self.server: uvicorn.Server | None = None
        self._live_ver = 0
        if live:
            self._setup_live(app, live_rt)
        if _shell() is not None:
            htmx_config_port(port)
        if start:
            self.start()

    def _setup_live(self, app: Any, live_rt: str) -> None:
        "Serve an event stream at `live_rt` that says `reload` after each notebook cell runs, and load its client."
        from ._respond import EventStream
        from .components import Script
        from .core import iframe_scr
        shell = _shell()
        if shell is not None:
            shell.events.register('post_run_cell', lambda *a: setattr(self, '_live_ver', self._live_ver + 1))

        async def reloads() -> Any:
            seen = self._live_ver
            while self.server is not None and not self.server.should_exit:
                if self._live_ver != seen:
                    seen = self._live_ver
                    yield 'data: reload\n\n'
                await asyncio.sleep(0.1)

        def live_reload_stream() -> Any:
            return EventStream(reloads())
        app.routes[:] = [r for r in app.routes if getattr(r, 'path', None) != live_rt]  # one stream: this server's
        app.route(live_rt, methods=['get'], name='live_reload_stream')(live_reload_stream)
        if iframe_scr not in app.hdrs:
            app.hdrs.append(iframe_scr)
        app.hdrs.append(Script(f"new EventSource({json.dumps(live_rt)}).onmessage = function(e) {{"
                               "if (e.data === 'reload') location.reload(); };"))

    @property
    def url(self) -> str:
        "The server's base URL."
        host = '127.0.0.1' if self.host in ('0.0.0.0', '') else self.host
        return f'http://{host}:{self.port}'

    @property
    def running(self) -> bool:
        "Is the server thread alive?"
        return self.server is not None and self.server.thread.is_alive()  # type: ignore[attr-defined]

    def start(self) -> JupyUvi:
        "Start serving (a no-op if already running); waits briefly for a previous server on the port to let go."
        if self.running:
            return self
        wait_port_free(self.port, self.host)
        self.server = nb_serve(self.app, log_level=self.log_level, port=self.port, host=self.host, **self.kwargs)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        "Stop serving and wait until the port is free (a no-op if not running)."
        server, self.server = self.server, None
        if server is None:
            return
        server.should_exit = True
        thread: threading.Thread = server.thread  # type: ignore[attr-defined]
        thread.join(timeout)
        if thread.is_alive():  # open connections are holding the graceful shutdown: close them
            server.force_exit = True
            thread.join(timeout)
        wait_port_free(self.port, self.host, max_wait=timeout)

    def __enter__(self) -> JupyUvi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f'<JupyUvi {self.url} {"running" if self.running else "stopped"}>'


class JupyUviAsync:
    """Like `JupyUvi`, but the server runs as a task on the current event loop: `await srv.start()`,
    `await srv.stop()`."""

    def __init__(self, app: Any, log_level: str = 'error', host: str = '127.0.0.1', port: int = 8000,
                 **kwargs: Any):
        self.app, self.log_level, self.host, self.port, self.kwargs = app, log_level, host, port, kwargs
        self.server: uvicorn.Server | None = None

    @property
    def url(self) -> str:
        "The server's base URL."
        host = '127.0.0.1' if self.host in ('0.0.0.0', '') else self.host
        return f'http://{host}:{self.port}'

    async def start(self) -> JupyUviAsync:
        "Start serving on the running loop (a no-op if already running)."
        if self.server is not None and not self.server.task.done():  # type: ignore[attr-defined]
            return self
        self.server = await nb_serve_async(self.app, log_level=self.log_level, port=self.port, host=self.host,
                                           **self.kwargs)
        return self

    async def stop(self, timeout: float = 5.0) -> None:
        "Stop serving and wait until the port is free (a no-op if not running)."
        server, self.server = self.server, None
        if server is None:
            return
        server.should_exit = True
        task: asyncio.Task = server.task  # type: ignore[attr-defined]
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            server.force_exit = True
            await asyncio.wait_for(task, timeout)
        deadline = time.monotonic() + timeout
        while not is_port_free(self.port, self.host):
            if time.monotonic() > deadline:
                raise TimeoutError(f'Port {self.port} on {self.host} is still in use after stopping the server.')
            await asyncio.sleep(0.05)

    async def __aenter__(self) -> JupyUviAsync:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


# Resize the iframe to the height its page reports (the app's `nb_hdrs=True` adds the script that reports it).
_RESIZE = ("(function(f){window.addEventListener('message', function(e){"
           "if (e.source === f.contentWindow && e.data && e.data.height) f.style.height = (e.data.height + 1) + 'px';"
           "}, false);})(this)")
_ALLOW = 'clipboard-read; clipboard-write; fullscreen'


def HTMX(path: Any = '/', app: Any = None, host: str = 'localhost', port: int = 8000, height: str | int = 'auto',
         link: bool = False, iframe: bool = True) -> NbHTML:
    """An iframe showing the app served at `host`:`port` (by `JupyUvi`), at `path` (a string or a route function).
    With `app`, serves it first if nothing listens on the port yet (the server is the result's `.server`).
    `link` adds a link to open the page in a new tab; `height='auto'` follows the page's height when the app was
    made with `nb_hdrs=True`."""
    server = None
    if app is not None and is_port_free(port, '127.0.0.1'):
        server = JupyUvi(app, port=port)
    p = str(path)
    url = f'http://{host}:{port}{p if p.startswith("/") else "/" + p}'
    parts = []
    if link:
        a = f'<a href="{html.escape(url)}" target="_blank" rel="noopener">Open in a new tab</a>'
        if not _display(NbHTML(a)):  # in a notebook the link shows at once, above the iframe, as in FastHTML
            parts.append(a)
    if iframe:
        h = f'{height}px' if isinstance(height, int) else str(height)
        style = f'width: 100%; height: {"300px" if h == "auto" else h}; border: none;'
        parts.append(f'<iframe src="{html.escape(url)}" style="{html.escape(style)}" allow="{_ALLOW}"'
                     + (f' onload="{html.escape(_RESIZE)}"' if h == 'auto' else '') + '></iframe>')
    out = NbHTML(' '.join(parts))
    out.server = server  # type: ignore[attr-defined]
    return out


def ws_client(app: Any, nm: str = '', host: str = 'localhost', port: int = 8000, ws_connect: str = '/ws',
              frame: bool = True, link: bool = True, **kwargs: Any) -> Any:
    """A websocket client page for `app` at `/{nm}`: the htmx ws extension connects to `ws_connect` on load,
    around an empty `Main` container. In a notebook, a link to the page (`link`) and the page in an iframe
    (`frame`, with `HTMX`'s keywords) are displayed. Returns the container, whose id the socket's out-of-band
    swaps can target."""
    from .components import Div, Main
    from .core import unqid
    container = Main(id=unqid(), cls='container')

    def ws_client_page() -> Any:
        return Div(container, hx_trigger='load', hx_ext='ws', ws_connect=ws_connect, id=nm)
    app.route(f'/{nm}', methods=['get'], name=f'ws_client_{nm}')(ws_client_page)
    url = f'http://{host}:{port}/{nm}'
    if link:
        _display(NbHTML(f'<a href="{html.escape(url)}" target="_blank">open in browser</a>'))
    if frame:
        _display(HTMX(f'/{nm}', host=host, port=port, **kwargs))
    return container


def htmx_config_port(port: int = 8000, host: str | None = None) -> NbHTML | None:
    """Send htmx requests made from notebook output (`show(Button(hx_get='/x'))`) to the app served on `port`
    instead of to the Jupyter server (htmx 2 and 4), on the notebook page's own host unless `host` is given.
    Displayed at once in a notebook (returning None, as FastHTML's); without IPython, returns the script."""
    where = "location.hostname" if host is None else json.dumps(str(host))
    js = ("['htmx:configRequest', 'htmx-config-request'].forEach(function(name) {"
          "document.body.addEventListener(name, function(e) {"
          "var ctx = e.detail.ctx, path = ctx ? ctx.request.action : e.detail.path;"
          "if (path.includes('://')) return;"
          f"var full = location.protocol + '//' + {where} + ':{int(port)}' + path;"
          "if (ctx) { ctx.request.mode = 'cors'; ctx.request.action = full; }"
          "else { htmx.config.selfRequestsOnly = false; e.detail.path = full; }});});")
    h = NbHTML(to_xml(Script(js)))
    return None if _display(h) else h


def render_ft(**kw: Any) -> None:
    """Make IPython display FT nodes (ours and plain `fastcore.xml.FT`) as rendered HTML. Our nodes already do
    (they have `_repr_html_`); this adds third-party FT classes. Does nothing outside IPython. Keywords are accepted,
    as FastHTML's signature has them, and unused."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ip = get_ipython()
    if ip is None:
        return
    from fastcore.xml import FT as BaseFT
    ip.display_formatter.formatters['text/html'].for_type(BaseFT, lambda o: str(to_xml(o)))


def __getattr__(name: str) -> Any:
    """FastHTML's `jupyter` module also holds everything `fasthtml.common` does (it star-imports it), and add-ons import
    those names from here (`from fasthtml.jupyter import FastHTML, fast_app`): looked up there on first use."""
    if not name.startswith('_'):
        from . import common
        try:
            return getattr(common, name)
        except AttributeError:
            pass
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
