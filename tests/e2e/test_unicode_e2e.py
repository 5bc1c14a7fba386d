"""Text beyond ASCII through a real browser: cookies set with `cookie()` come back into `str` parameters unchanged,
and redirects (a 303, `HX-Redirect`) and `HX-Push-Url` to non-ASCII URLs land where they point."""
from urllib.parse import quote, unquote

from playwright.sync_api import expect

APP = '''
from fasthtml.common import *

app = FastHTML(secret_key='e2e-unicode-secret-key-0123456789')

@app.get('/set')
def set_(v: str): return P('set', id='done'), cookie('name', v)

@app.get('/who')
def who(name: str = '(none)'): return P(name, id='who')

@app.get('/go')
def go(to: str): return Redirect(to)

@app.get('/land/{word}')
def land(word: str, q: str = ''): return P(f'{word}|{q}', id='land')

@app.get('/')
def index():
    return Div(Button('go', hx_get='/hxgo', id='hxgo'), Button('push', hx_get='/push', hx_target='#out', id='push'),
               Div(id='out'))

@app.get('/hxgo')
def hxgo(): return Redirect('/land/日本?q=é ü')

@app.get('/push')
def push(): return P('pushed', id='pushed'), HtmxResponseHeaders(push_url='/land/ünï?q=日')
'''

VALUES = ['José', '日本語', 'a b;"c\\\\d', 'Ünï 🙂 ≠', 'plain']


def test_cookie_round_trips_through_chromium(live_app_source, page):
    server = live_app_source(APP)
    for value in VALUES:
        page.goto(server.url + '/set?v=' + quote(value))
        expect(page.locator('#done')).to_have_text('set')
        page.goto(server.url + '/who')
        assert page.locator('#who').inner_text() == value
    assert 'Traceback' not in server.output()


def test_redirects_to_non_ascii_urls(live_app_source, page):
    server = live_app_source(APP)
    page.goto(server.url + '/go?to=' + quote('/land/日本?q=é ü'))
    expect(page.locator('#land')).to_have_text('日本|é ü')
    assert unquote(page.url).endswith('/land/日本?q=é ü')

    page.goto(server.url + '/')
    page.wait_for_function('() => window.htmx')
    page.click('#hxgo')  # HX-Redirect: htmx navigates the page
    expect(page.locator('#land')).to_have_text('日本|é ü')

    page.goto(server.url + '/')
    page.wait_for_function('() => window.htmx')
    page.click('#push')  # HX-Push-Url: the address bar shows the new URL, the page stays
    expect(page.locator('#pushed')).to_have_text('pushed')
    page.wait_for_function('() => decodeURIComponent(location.pathname) === "/land/ünï"')
    assert page.evaluate('decodeURIComponent(location.search)') == '?q=日'
    page.reload()  # the pushed URL is a working address
    expect(page.locator('#land')).to_have_text('ünï|日')
    assert 'Traceback' not in server.output()
