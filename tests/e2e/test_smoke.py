"""The browser harness itself: a live server, Chromium, htmx from the vendored copy, no real network."""
import urllib.request

from playwright.sync_api import expect

HTMX_CDN = 'https://cdn.jsdelivr.net/npm/htmx.org@2.0.7/dist/htmx.js'
UNKNOWN_JS = 'https://unknown-cdn.example/lib/thing.js'
UNKNOWN_CSS = 'https://unknown-cdn.example/lib/thing.css'

APP = f'''
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

PAGE = """<!doctype html><html><head>
<script src="{HTMX_CDN}"></script>
<script src="https://cdn.jsdelivr.net/npm/htmx-ext-ws@2.0.3/ws.js"></script>
<script src="https://unpkg.com/htmx-ext-sse@2.2.1/sse.js"></script>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/@anyblades/pico@latest/css/pico.min.css">
<script src="{UNKNOWN_JS}" onload="window.thingLoaded = true"></script>
<link rel="stylesheet" href="{UNKNOWN_CSS}">
</head><body>
<button id="go" hx-get="/frag" hx-target="#out">Go</button>
<div id="out">before</div>
</body></html>"""

async def home(request):
    return HTMLResponse(PAGE)

async def frag(request):
    return HTMLResponse("after, hx-request=" + request.headers.get("hx-request", "none"))

app = Starlette(routes=[Route("/", home), Route("/frag", frag)])
'''


def test_htmx_click_swaps_fragment(live_app_source, page, offline_log):
    server = live_app_source(APP)
    page.goto(server.url + '/')
    page.wait_for_function('() => window.htmx && htmx.version.startsWith("2.")')
    expect(page.locator('#out')).to_have_text('before')
    page.click('#go')
    expect(page.locator('#out')).to_have_text('after, hx-request=true')
    assert offline_log.source_of(HTMX_CDN) == 'htmx.org/dist/htmx.min.js'
    assert offline_log.source_of('https://cdn.jsdelivr.net/npm/htmx-ext-ws@2.0.3/ws.js') == 'htmx-ext-ws/ws.js'
    assert offline_log.source_of('https://unpkg.com/htmx-ext-sse@2.2.1/sse.js') == 'htmx-ext-sse/sse.js'
    pico = 'https://cdn.jsdelivr.net/npm/@anyblades/pico@latest/css/pico.min.css'
    assert offline_log.source_of(pico) == '@picocss/pico/css/pico.min.css'
    assert offline_log.errors == []


def test_unknown_external_urls_are_answered_locally_and_empty(live_app_source, page, offline_log):
    server = live_app_source(APP)
    page.goto(server.url + '/')
    assert page.evaluate('window.thingLoaded') is True
    assert offline_log.source_of(UNKNOWN_JS) == 'empty'
    assert offline_log.source_of(UNKNOWN_CSS) == 'empty'
    got = page.evaluate("""async () => {
        const js = await fetch('https://unknown-cdn.example/x.js');
        const other = await fetch('https://elsewhere.example/data.json');
        return [js.status, js.headers.get('content-type'), await js.text(), other.status, await other.text()];
    }""")
    assert got == [200, 'text/javascript', '', 204, '']
    assert {'https://unknown-cdn.example/x.js', 'https://elsewhere.example/data.json'} <= set(offline_log.urls)


def test_new_page_contexts_are_isolated(live_app_source, new_page):
    server = live_app_source(APP)
    first, second = new_page(), new_page()
    first.goto(server.url + '/')
    first.evaluate('document.cookie = "who=first; path=/"')
    second.goto(server.url + '/')
    assert 'who=first' in first.evaluate('document.cookie')
    assert 'who=first' not in second.evaluate('document.cookie')
    assert new_page.log(second).source_of(HTMX_CDN) == 'htmx.org/dist/htmx.min.js'


def test_live_server_stops_at_teardown(live_server, tmp_path):
    (tmp_path / 'tiny.py').write_text(
        'async def app(scope, receive, send):\n'
        '    if scope["type"] != "http": return\n'
        '    await send({"type": "http.response.start", "status": 200, "headers": []})\n'
        '    await send({"type": "http.response.body", "body": b"ok"})\n')
    server = live_server('tiny:app', cwd=tmp_path)
    with urllib.request.urlopen(server.url + '/') as resp: assert resp.read() == b'ok'
    server.stop()
    assert server.proc.poll() is not None
