"""Scale-out in a real browser: tests/scale_app.py under `uvicorn --workers 2`, on PostgreSQL and Redis.

One user signs up, logs out and in, adds, edits and deletes to-dos, and sees a toast after a redirect, while every
response closes its connection (so the next request may land on either worker) and names its worker: the test goes
on until both workers have answered the same logged-in session (no sticky sessions). Then pages whose websockets
sit on different workers all receive the broadcast one of them triggers.
"""
from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from redis_server import start_redis

TESTS = Path(__file__).resolve().parents[1]
PW = 'correct horse battery'


@pytest.fixture
def scale_server(live_server, pg_server, tmp_path):
    redis = start_redis(tmp_path)
    try:
        env = {'DATABASE_URL': pg_server.create_database('scale_e2e'), 'FASTHTML_PUBSUB_URL': redis.url,
               'SCALE_CLOSE': '1'}
        server = live_server('scale_app:app', cwd=tmp_path, env=env, timeout=60,
                             args=('--app-dir', str(TESTS), '--workers', '2'))
        seen: set[str] = set()
        deadline = time.monotonic() + 90
        while len(seen) < 2 and time.monotonic() < deadline:  # a new connection per request: either worker
            try:
                seen.add(httpx.get(server.url + '/pid', timeout=10).text)
            except httpx.HTTPError:
                time.sleep(0.2)
        assert len(seen) == 2, f'only {seen} answered:\n{server.output()[-3000:]}'
        yield server, seen
    finally:
        redis.stop()


FETCH_WORKERS = '''async ([n, name]) => {
    const seen = {};
    for (let i = 0; i < n && Object.keys(seen).length < 2; i++) {
        const r = await fetch('/', {cache: 'no-store', credentials: 'same-origin', redirect: 'manual'});
        const body = await r.text();
        if (r.status !== 200 || !body.includes(name + "'s to-dos")) return {error: r.status + ' ' + body.slice(0, 300)};
        seen[r.headers.get('x-worker')] = (seen[r.headers.get('x-worker')] || 0) + 1;
    }
    return seen;
}'''


def test_two_workers_one_session(scale_server, new_page):
    server, pids = scale_server
    page = new_page()
    workers: list[str] = []
    page.on('response', lambda r: workers.append(r.headers.get('x-worker', '')))

    # sign up (Accounts on PostgreSQL), log out, log in again
    page.goto(server.url + '/register')
    page.fill('input[name=username]', 'ann')
    page.fill('input[name=password]', PW)
    page.fill('input[name=password2]', PW)
    page.click('button[type=submit]')
    expect(page.locator('h1')).to_have_text("ann's to-dos")
    # the page's websocket is open (its first message shown) before logging out: a handshake still on its way when
    # the session ends would be refused (403), which the browser logs as an error
    expect(page.locator('#ws-worker')).not_to_be_empty()
    page.goto(server.url + '/logout')
    expect(page).to_have_url(server.url + '/login')
    page.fill('input[name=username]', 'ann')
    page.fill('input[name=password]', PW)
    page.click('button[type=submit]')
    expect(page.locator('h1')).to_have_text("ann's to-dos")

    # add, edit, delete (htmx requests; each may go to either worker)
    for title in ('milk', 'bread'):
        page.fill('#new-title', title)
        page.click('#add')
    items = page.locator('#todos li')
    expect(items).to_have_count(2)
    expect(items.nth(0).locator('.title')).to_have_text('milk')
    items.nth(0).locator('.edit-title').fill('oat milk')
    items.nth(0).locator('.save').click()
    expect(items.nth(0).locator('.title')).to_have_text('oat milk')
    items.nth(1).locator('.del').click()
    expect(items).to_have_count(1)
    page.reload()
    expect(page.locator('#todos li .title')).to_have_text(['oat milk'])  # stored, whichever worker answers

    # a toast set by one request, shown on the page the redirect leads to
    page.fill('#plain-title', 'eggs')
    page.click('#plain-add')
    expect(page.locator('.fh-toast')).to_contain_text('Added eggs')
    expect(page.locator('#todos li .title')).to_have_text(['oat milk', 'eggs'])

    # no sticky sessions: the same session, request after request, answered by both workers
    seen = page.evaluate(FETCH_WORKERS, [400, 'ann'])
    assert 'error' not in seen and set(seen) == pids, seen
    assert set(workers) - {''} <= pids
    assert new_page.log(page).errors == []


def test_broadcast_reaches_pages_on_both_workers(scale_server, new_page):
    server, pids = scale_server
    first = new_page()
    first.goto(server.url + '/register')
    first.fill('input[name=username]', 'bob')
    first.fill('input[name=password]', PW)
    first.fill('input[name=password2]', PW)
    first.click('button[type=submit]')
    expect(first.locator('h1')).to_have_text("bob's to-dos")
    ctx = first.context
    pages, on = [first], {}
    expect(first.locator('#ws-worker')).not_to_be_empty()
    on.setdefault(first.locator('#ws-worker').inner_text(), []).append(first)
    while len(on) < 2 and len(pages) < 24:  # each page's websocket is a new connection: either worker takes it
        p = ctx.new_page()
        p.goto(server.url + '/')
        expect(p.locator('#ws-worker')).not_to_be_empty()
        on.setdefault(p.locator('#ws-worker').inner_text(), []).append(p)
        pages.append(p)
    assert set(on) == pids, f'websockets on {sorted(on)} after {len(pages)} pages'
    # one page adds a to-do; its handler publishes through Redis; every page, on either worker, shows it
    first.fill('#new-title', 'shared news')
    first.click('#add')
    for p in pages:
        expect(p.locator('#feed-log li')).to_have_count(1)
        expect(p.locator('#feed-log li')).to_contain_text('bob added shared news')
    assert new_page.log(first).errors == []
