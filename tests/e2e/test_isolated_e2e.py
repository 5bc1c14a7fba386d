"""Isolated live components in real Chromium against real uvicorn servers: the isolated counter works like the
in-process one, a handler past timeout_interaction is stopped and says so while another session keeps working,
inactivity stops a session's process, os._exit and a segfault in one session leave another's state intact, the cap
shows "server busy", two workers reach the same session process, and no process outlives the server (SIGTERM and
SIGKILL). Sessions are browser contexts (`new_page()`), each with its own cookies."""
from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import psutil
import pytest
from live_pages import open_live, our_errors, serve_example, wait_open
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

WAIT = 30_000   # ms: generous, the machine is shared

pytestmark = pytest.mark.skipif(not os.path.exists('/proc/self/stat'), reason='process isolation needs Linux')


def serve_isolated(live_server, tmp_path: Path, **env: str):
    "examples/isolated.py served with `env` added to its environment (a longer bound for its start)."
    return serve_example(live_server, 'isolated', tmp_path, env, timeout=60)


def restart(p) -> None:
    """Click the "Start again" button of the page's counter (failing with what the counter shows instead when it is
    not there), then wait until the new process has rendered it: until then the page still shows the old box, whose
    buttons are stale."""
    button = p.locator('article .live-restart')
    try:
        button.wait_for(timeout=WAIT)
    except PlaywrightTimeout as e:
        html = p.evaluate("() => Array.from(document.querySelectorAll('article'), a => a.outerHTML).join('\\n')")
        opens = p.evaluate('() => window.fhLive ? window.fhLive.opens : null')
        raise AssertionError(f'no "Start again" button ({e}); socket opens: {opens}; the counter now:\n{html}') from e
    button.click()
    expect(p.locator('article .live-stopped')).to_have_count(0, timeout=WAIT)


def session_pid(p) -> int:
    return int(re.search(r'process (\d+)', p.locator('.pid').inner_text())[1])


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def gone(procs: list[psutil.Process], timeout: float = 60) -> bool:
    "Every process in `procs` ended (a zombie waiting for its reaper counts as ended), within `timeout` seconds."
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = []
        for pr in procs:
            try:
                if pr.status() != psutil.STATUS_ZOMBIE:
                    left.append(pr)
            except psutil.NoSuchProcess:
                pass
        if not left:
            return True
        time.sleep(0.1)
    return False


def test_isolated_counter_works_like_the_in_process_one(live_server, new_page, tmp_path):
    server = serve_isolated(live_server, tmp_path)
    p = open_live(new_page, server.url + '/')
    counter = p.locator('article')
    counter.locator('.plus').click()
    counter.locator('.plus').click()
    expect(counter.locator('.count')).to_have_text('Count: 2')
    pid = session_pid(p)
    server_pid = int(re.search(r'process (\d+)', p.locator('.server-pid').inner_text())[1])
    assert pid != server_pid and pid in [c.pid for c in descendants(server.proc.pid)]
    first = p.locator('.clock').inner_text()
    expect(p.locator('.clock')).not_to_have_text(first, timeout=WAIT)   # update() pushes from the session's process
    q = open_live(new_page, server.url + '/')                           # another session: another process
    expect(q.locator('.count')).to_have_text('Count: 0')
    assert session_pid(q) not in (pid, server_pid)
    q.locator('.plus').click()
    expect(q.locator('.count')).to_have_text('Count: 1')
    expect(counter.locator('.count')).to_have_text('Count: 2')
    p.reload()                                                          # a reload: the same process, a fresh counter
    wait_open(p)
    expect(p.locator('.count')).to_have_text('Count: 0')
    assert session_pid(p) == pid
    assert our_errors(new_page, p) == [] and our_errors(new_page, q) == []


def test_a_slow_handler_is_stopped_and_says_so_while_another_session_works(live_server, new_page, tmp_path):
    server = serve_isolated(live_server, tmp_path, ISOLATED_TIMEOUT='3')
    a = open_live(new_page, server.url + '/')
    b = open_live(new_page, server.url + '/')
    a_pid = session_pid(a)
    a.locator('.plus').click()
    expect(a.locator('.count')).to_have_text('Count: 1')
    a.locator('.slow').click()
    b.locator('.plus').click()                                          # while A's handler sleeps
    expect(b.locator('.count')).to_have_text('Count: 1')
    box = a.locator('article .live-stopped')
    expect(box).to_contain_text('This took longer than 3 seconds, so it was stopped.', timeout=WAIT)
    assert not psutil.pid_exists(a_pid) or psutil.Process(a_pid).status() == psutil.STATUS_ZOMBIE
    b.locator('.plus').click()
    expect(b.locator('.count')).to_have_text('Count: 2')
    box.locator('.live-restart').click()                                # the user starts again
    expect(a.locator('.count')).to_have_text('Count: 0', timeout=WAIT)
    expect(a.locator('.live-stopped')).to_have_count(0)
    assert session_pid(a) != a_pid
    a.locator('.plus').click()
    expect(a.locator('.count')).to_have_text('Count: 1')
    assert 'an interaction took longer than timeout_interaction=3s' in server.output_with('timeout_interaction=3s')
    assert our_errors(new_page, a) == [] and our_errors(new_page, b) == []


def test_inactivity_stops_the_session_process(live_server, new_page, tmp_path):
    server = serve_isolated(live_server, tmp_path, ISOLATED_IDLE='2')
    p = open_live(new_page, server.url + '/')
    pid = session_pid(p)
    p.locator('.plus').click()
    expect(p.locator('.count')).to_have_text('Count: 1')
    # The clock keeps pushing, which is not activity: the process stops 2 s after the last event.
    expect(p.locator('article .live-stopped')).to_contain_text('stopped after 2 seconds without activity',
                                                               timeout=WAIT)
    expect(p.locator('.clock')).to_be_attached()
    p.locator('article .live-restart').click()                          # the next visit starts fresh
    expect(p.locator('.count')).to_have_text('Count: 0', timeout=WAIT)
    assert session_pid(p) != pid


def test_exit_and_segfault_in_one_session_leave_another_intact(live_server, new_page, tmp_path):
    server = serve_isolated(live_server, tmp_path)
    a = open_live(new_page, server.url + '/')
    b = open_live(new_page, server.url + '/')
    for _ in range(3):
        b.locator('.plus').click()
    expect(b.locator('.count')).to_have_text('Count: 3', timeout=WAIT)
    b_pid = session_pid(b)
    for button in ('.exit', '.segv'):
        a_pid = session_pid(a)
        a.locator(button).click()
        expect(a.locator('article .live-stopped')).to_contain_text('This stopped unexpectedly.', timeout=WAIT)
        b.locator('.plus').click()                                      # B's state is intact, in the same process
        restart(a)
        expect(a.locator('.count')).to_have_text('Count: 0')
        assert session_pid(a) != a_pid
    expect(b.locator('.count')).to_have_text('Count: 5', timeout=WAIT)
    assert session_pid(b) == b_pid
    out = server.output_with('exited with code 1', 'crashed (SIGSEGV)', 'Segmentation fault')
    assert 'exited with code 1' in out and 'crashed (SIGSEGV)' in out and 'Segmentation fault' in out
    a.locator('.hog').click()                                           # over memory_limit='256M'
    expect(a.locator('article .live-stopped')).to_contain_text('used more memory than it may', timeout=WAIT)
    b.locator('.plus').click()
    expect(b.locator('.count')).to_have_text('Count: 6', timeout=WAIT)


CAPPED_APP = """
import os
from fasthtml.common import *
from fasthtml.live import Live, LiveComponent

app, rt = fast_app()
live = Live(app, isolate=True, max_processes=1, grace=1)

class Counter(LiveComponent):
    def __init__(self): self.n = 0
    def render(self): return Article(P(f'Count: {self.n}', cls='count'), Button('+', live_click=self.inc, cls='plus'))
    def inc(self): self.n += 1

@rt
def index(): return Titled('Capped', Counter())
"""


def test_the_cap_says_server_busy_and_try_again_works(live_app_source, new_page):
    server = live_app_source(CAPPED_APP, timeout=60)
    a = open_live(new_page, server.url + '/')
    a.locator('.plus').click()
    expect(a.locator('.count')).to_have_text('Count: 1')
    b = open_live(new_page, server.url + '/')                          # one process is all this server runs
    expect(b.locator('.live-stopped')).to_contain_text('The server is busy right now')
    b.locator('.live-restart').click()                                  # still busy: told again at once
    expect(b.locator('.live-stopped')).to_contain_text('The server is busy right now')
    a.context.close()                                                   # A leaves: after grace its process ends
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        b.locator('.live-restart').click()
        try:
            expect(b.locator('.count')).to_have_text('Count: 0', timeout=2000)
            break
        except AssertionError:
            continue
    expect(b.locator('.count')).to_have_text('Count: 0')
    b.locator('.plus').click()
    expect(b.locator('.count')).to_have_text('Count: 1')


TWO_WORKERS_APP = """
import os, secrets
from fasthtml.common import *
from fasthtml.live import Live, LiveComponent

app, rt = fast_app(secret_key='two-workers-isolated')
live = Live(app, isolate=True)

class Counter(LiveComponent):
    def __init__(self, start: int = 0):
        self.n, self.nonce = start, secrets.token_hex(4)
    def render(self):
        return Article(P(f'Count: {self.n}', cls='count'), P(self.nonce, cls='nonce'), P(str(os.getpid()), cls='pid'),
                       Button('+', live_click=self.inc, cls='plus'))
    def inc(self): self.n += 1

class Where(LiveComponent, isolate=False):
    def __init__(self): self.pid = ''
    def render(self): return Button(f'socket on {self.pid}', live_click=self.look, cls='where')
    def look(self): self.pid = str(os.getpid())

@rt
def index(): return Titled('Two workers', P(str(os.getpid()), cls='page-pid'), Where(), Counter(5))
"""


@pytest.mark.timeout(300)
def test_two_workers_reach_the_same_session_process(live_app_source, new_page):
    server = live_app_source(TWO_WORKERS_APP, args=('--workers', '2'), timeout=90)
    crossed = None
    for _ in range(60):                      # new sessions until a page's socket landed on the other worker
        p = open_live(new_page, server.url + '/')
        p.locator('.where').click()
        expect(p.locator('.where')).to_have_text(re.compile(r'socket on \d+'))
        if p.locator('.where').inner_text().split()[-1] != p.locator('.page-pid').inner_text():
            crossed = p
            break
        p.context.close()
    assert crossed is not None, 'no page had its socket on the other worker in 60 tries'
    nonce, pid = crossed.locator('.nonce').inner_text(), crossed.locator('.pid').inner_text()
    crossed.locator('.plus').click()
    expect(crossed.locator('.count')).to_have_text('Count: 6')
    # The instance made for the page by one worker, in the one process of this session, driven from the other.
    assert crossed.locator('.nonce').inner_text() == nonce and crossed.locator('.pid').inner_text() == pid
    crossed.reload()
    wait_open(crossed)
    expect(crossed.locator('.count')).to_have_text('Count: 5')
    assert crossed.locator('.pid').inner_text() == pid


@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGKILL], ids=['SIGTERM', 'SIGKILL'])
def test_no_process_outlives_the_server(live_server, new_page, tmp_path, sig):
    server = serve_isolated(live_server, tmp_path)
    pages = [open_live(new_page, server.url + '/') for _ in range(2)]
    sessions = {session_pid(p) for p in pages}
    assert len(sessions) == 2
    kids = descendants(server.proc.pid)
    assert sessions <= {k.pid for k in kids} and len(kids) >= 3         # the zygote and the sessions' processes
    os.kill(server.proc.pid, sig)                                       # the server only, not its process group
    server.proc.wait(60)
    assert gone(kids), f'left running after {sig.name}: {[k.pid for k in kids if k.is_running()]}'
