"""Real-browser harness: live uvicorn servers and Chromium pages whose network never leaves the machine.

Fixtures (all tests under tests/e2e are marked `e2e` automatically):
  free_port()                                    -> int, a free TCP port on 127.0.0.1
  live_server(target, *, cwd=None, env=None, args=(), timeout=20.0)   -> LiveServer
  live_app_source(src, *, app='app', env=None, args=(), timeout=20.0) -> LiveServer
  browser                                        session-wide headless Chromium (Playwright sync API)
  page                                           a Page in a fresh context with offline routing
  new_page(**context_kwargs)                     -> Page, each in its own context; new_page.log(page)
  offline_log                                    OfflineLog of the `page` fixture's context
  offline_routes(context)                        -> OfflineLog, installs the offline routing on any context
"""
from __future__ import annotations

import itertools
import mimetypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
VENDOR = HERE / 'vendor' / 'node_modules'
LOOPBACK = frozenset({'127.0.0.1', 'localhost', '::1'})

CHROMIUM_ARGS = [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    # A second wall behind the request routing: names other than loopback never resolve.
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
]


# ---------------------------------------------------------------- live servers

def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    """A uvicorn subprocess serving on 127.0.0.1."""
    url: str
    port: int
    proc: subprocess.Popen
    log_path: Path
    source: Path | None = None

    def output(self) -> str:
        """Everything the server printed so far (stdout and stderr)."""
        return self.log_path.read_text(errors='replace') if self.log_path.exists() else ''

    def output_with(self, *texts: str, timeout: float = 30) -> str:
        """The server's output once it holds every one of `texts` (or after `timeout` seconds, for the caller's
        assert to show): a log line may reach the file after the browser has already shown its effect."""
        deadline = time.monotonic() + timeout
        while not all(t in (out := self.output()) for t in texts) and time.monotonic() < deadline:
            time.sleep(0.1)
        return out

    def stop(self, grace: float = 5.0) -> None:
        """Terminate the server's process group (SIGTERM, then SIGKILL after `grace` seconds)."""
        if self.proc.poll() is not None: return
        _signal_group(self.proc.pid, signal.SIGTERM)
        try: self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            _signal_group(self.proc.pid, signal.SIGKILL)
            self.proc.wait(grace)


def _signal_group(pid: int, sig: int) -> None:
    # The server was started in its own session, so its group id is its pid: this reaches reload workers too.
    try: os.killpg(pid, sig)
    except ProcessLookupError: pass


def _wait_listening(port: int, proc: subprocess.Popen, timeout: float) -> bool:
    # uvicorn binds only after the app is imported and lifespan startup ran, so a connection means ready.
    # No HTTP request is made: it could have side effects the test wants to count.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None: return False
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=0.5): return True
        except OSError: time.sleep(0.05)
    return False


def start_server(target: str, *, log_dir: Path, cwd: str | os.PathLike | None = None,
                 env: Mapping[str, str] | None = None, args: Sequence[str] = (), timeout: float = 20.0,
                 source: Path | None = None) -> LiveServer:
    """Start `python -m uvicorn target` on a free port and wait until it accepts connections."""
    pythonpath = os.pathsep.join(p for p in (str(REPO), os.environ.get('PYTHONPATH', '')) if p)
    full_env = {**os.environ, 'PYTHONUNBUFFERED': '1', 'PYTHONPATH': pythonpath, **(env or {})}
    for attempt in range(3):
        port = free_port()
        cmd = [sys.executable, '-m', 'uvicorn', target, '--host', '127.0.0.1', '--port', str(port),
               '--timeout-graceful-shutdown', '1', *args]
        log_path = Path(log_dir) / f'uvicorn-{port}.log'
        with open(log_path, 'wb') as log:
            proc = subprocess.Popen(cmd, cwd=cwd or REPO, env=full_env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        server = LiveServer(f'http://127.0.0.1:{port}', port, proc, log_path, source)
        if _wait_listening(port, proc, timeout): return server
        server.stop()
        out = server.output()
        # Another process may have taken the port between free_port() and uvicorn's bind.
        if 'address already in use' in out.lower() and attempt < 2: continue
        raise RuntimeError(f'uvicorn {target!r} did not start within {timeout}s:\n{out[-4000:]}')
    raise AssertionError('unreachable')


@pytest.fixture(name='free_port')
def free_port_fixture() -> Callable[[], int]:
    """`free_port()`: a free TCP port on 127.0.0.1."""
    return free_port


@pytest.fixture
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., LiveServer]]:
    """Factory: `live_server("examples.todo_app:app", cwd=None, env=None, args=())` -> LiveServer.

    The default cwd is the repo root. Servers are stopped at teardown; their logs are printed then,
    which pytest shows only for failing tests.
    """
    log_dir = tmp_path_factory.mktemp('live')
    servers: list[LiveServer] = []

    def start(target: str, *, cwd: str | os.PathLike | None = None, env: Mapping[str, str] | None = None,
              args: Sequence[str] = (), timeout: float = 20.0, source: Path | None = None) -> LiveServer:
        server = start_server(target, log_dir=log_dir, cwd=cwd, env=env, args=args, timeout=timeout, source=source)
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        server.stop()
        print(f'--- {server.url} log ---\n{server.output()[-3000:]}')


@pytest.fixture
def live_app_source(tmp_path: Path, live_server: Callable[..., LiveServer]) -> Callable[..., LiveServer]:
    """Factory: `live_app_source(src, *, app='app', env=None, args=())` -> LiveServer.

    Writes the (dedented) Python source to tmp_path/app_N.py and serves `app_N:<app>` with tmp_path as
    both app dir and cwd, so files the app creates (.sesskey, databases) stay in the test's tmp dir.
    """
    counter = itertools.count()

    def start(src: str, *, app: str = 'app', env: Mapping[str, str] | None = None, args: Sequence[str] = (),
              timeout: float = 20.0) -> LiveServer:
        module = f'app_{next(counter)}'
        path = tmp_path / f'{module}.py'
        path.write_text(textwrap.dedent(src))
        return live_server(f'{module}:{app}', cwd=tmp_path, env=env, args=('--app-dir', str(tmp_path), *args),
                           timeout=timeout, source=path)

    return start


# ---------------------------------------------------------------- offline browser network

@dataclass
class OfflineResponse:
    """What a non-loopback request is answered with; `source` is the vendored file or 'empty'."""
    status: int
    content_type: str | None
    body: bytes
    source: str


@dataclass
class OfflineLog:
    """Non-loopback requests a context made and how each was answered, plus page errors."""
    served: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [url for url, _ in self.served]

    def source_of(self, url: str) -> str | None:
        """The source ('empty' or a vendored path) the last request for `url` was answered from."""
        return next((src for u, src in reversed(self.served) if u == url), None)


def _vendor_path(rel: str) -> Path | None:
    path = VENDOR / rel
    return path if path.is_file() else None


def _first(*rels: str) -> Path | None:
    return next((p for p in map(_vendor_path, rels) if p), None)


# jsdelivr: /npm/<pkg>[@ver]/<file>;  unpkg: /<pkg>[@ver]/<file>;  <pkg> may be @scope/name.
_NPM_CDN = re.compile(r'^/(?:npm/)?((?:@[^/@]+/)?[^/@]+)(?:@[^/]*)?/(.+)$')


def vendored_file(url: str) -> Path | None:
    """The vendored npm file that stands in for a CDN URL, or None.

    Named assets first (the versions and scopes in CDN URLs differ from what is vendored), then any
    npm-CDN URL whose package and file exist under tests/e2e/vendor.
    """
    parts = urlsplit(url)
    path = parts.path
    name = path.rsplit('/', 1)[-1]
    if 'htmx-ext-ws' in url or (name in ('ws.js', 'ws.min.js') and '/ext' in path):
        return _first('htmx-ext-ws/ws.js', 'htmx-ext-ws/dist/ws.js')
    if 'htmx-ext-sse' in url or (name in ('sse.js', 'sse.min.js') and '/ext' in path):
        return _first('htmx-ext-sse/sse.js', 'htmx-ext-sse/dist/sse.js')
    if 'pico' in url and name.endswith('.css'):
        return _first(f'@picocss/pico/css/{name}', '@picocss/pico/css/pico.min.css')
    if 'htmx.org' in url and name in ('htmx.js', 'htmx.min.js'):
        return _first('htmx.org/dist/htmx.min.js')
    if parts.hostname in ('cdn.jsdelivr.net', 'unpkg.com') and (m := _NPM_CDN.match(path)):
        return _vendor_path(f'{m[1]}/{m[2]}')
    return None


def offline_response(url: str, resource_type: str = 'other') -> OfflineResponse:
    """The local answer to a non-loopback request: a vendored file, or an empty body of the right type."""
    if (path := vendored_file(url)) is not None:
        ctype = 'text/javascript' if path.suffix in ('.js', '.mjs') else mimetypes.guess_type(path.name)[0]
        return OfflineResponse(200, ctype, path.read_bytes(), str(path.relative_to(VENDOR)))
    ext = urlsplit(url).path.rsplit('.', 1)[-1].lower()
    if resource_type == 'script' or ext in ('js', 'mjs'): return OfflineResponse(200, 'text/javascript', b'', 'empty')
    if resource_type == 'stylesheet' or ext == 'css': return OfflineResponse(200, 'text/css', b'', 'empty')
    return OfflineResponse(204, None, b'', 'empty')


def is_loopback(url: str) -> bool:
    """True for URLs served from this machine (127.0.0.1, localhost, ::1)."""
    return urlsplit(url).hostname in LOOPBACK


_LOGS: weakref.WeakKeyDictionary[Any, OfflineLog] = weakref.WeakKeyDictionary()


def install_offline_routes(context: Any) -> OfflineLog:
    """Route every request of a Playwright BrowserContext: loopback passes, the rest is answered locally."""
    log = OfflineLog()

    def handle(route: Any) -> None:
        request = route.request
        if is_loopback(request.url):
            route.continue_()
            return
        resp = offline_response(request.url, request.resource_type)
        log.served.append((request.url, resp.source))
        # CORS header so that fetch() from the app's origin can read the stand-in too.
        headers = {'access-control-allow-origin': '*', 'cache-control': 'no-store'}
        if resp.content_type: headers['content-type'] = resp.content_type
        route.fulfill(status=resp.status, headers=headers, body=resp.body)

    context.route('**/*', handle)
    context.on('page', lambda page: _watch_errors(page, log))
    _LOGS[context] = log
    return log


def _watch_errors(page: Any, log: OfflineLog) -> None:
    page.on('pageerror', lambda exc: log.errors.append(f'pageerror: {exc}'))
    page.on('console', lambda msg: msg.type == 'error' and log.errors.append(f'console: {msg.text}'))


# ---------------------------------------------------------------- browser fixtures

@pytest.fixture(scope='session')
def vendor_dir() -> Path:
    """The vendored npm packages (node_modules); fails with the command to run when absent."""
    if _vendor_path('htmx.org/dist/htmx.min.js') is None:
        pytest.fail(f'browser assets missing in {VENDOR}: run `make vendor`', pytrace=False)
    return VENDOR


@pytest.fixture(scope='session')
def browser() -> Iterator[Any]:
    """Session-wide headless Chromium (the system `chromium`) driven by Playwright's sync API."""
    from playwright.sync_api import expect, sync_playwright
    exe = shutil.which('chromium') or shutil.which('chromium-browser')
    if exe is None: pytest.fail('no `chromium` on PATH: run `make chromium`', pytrace=False)
    expect.set_options(timeout=10_000)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class PageFactory:
    """`new_page(**context_kwargs)`: a Page in its own offline-routed BrowserContext."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self._contexts: list[Any] = []

    def __call__(self, **context_kwargs: Any) -> Any:
        context = self._browser.new_context(**{'service_workers': 'block', **context_kwargs})
        context.set_default_timeout(15_000)
        install_offline_routes(context)
        self._contexts.append(context)
        return context.new_page()

    def log(self, page: Any) -> OfflineLog:
        """The OfflineLog of a page's context."""
        return _LOGS[page.context]

    def close(self) -> None:
        for context in self._contexts: context.close()
        self._contexts.clear()


@pytest.fixture
def new_page(browser: Any, vendor_dir: Path) -> Iterator[PageFactory]:
    """Factory for pages in separate contexts (separate cookies and storage), closed at teardown."""
    factory = PageFactory(browser)
    yield factory
    factory.close()


@pytest.fixture
def page(new_page: PageFactory) -> Any:
    """A fresh Page whose requests never leave the machine."""
    return new_page()


@pytest.fixture
def offline_log(page: Any, new_page: PageFactory) -> OfflineLog:
    """How the `page` fixture's non-loopback requests were answered."""
    return new_page.log(page)


@pytest.fixture
def offline_routes() -> Callable[[Any], OfflineLog]:
    """`offline_routes(context)`: install the offline routing on a BrowserContext you made yourself."""
    return install_offline_routes


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e as `e2e`."""
    for item in items:
        if HERE in Path(item.path).resolve().parents: item.add_marker(pytest.mark.e2e)
