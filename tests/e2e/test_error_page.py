"""In a real browser, a failing htmx request shows the traceback in debug mode and leaves the page alone otherwise."""
from playwright.sync_api import expect

APP = '''
from fasthtml.core import FastHTML
from fasthtml.components import Button, Div, P
import os

app = FastHTML(debug=os.environ.get('FH_DEBUG') == '1', secret_key='k' * 32)

@app.get('/')
def index():
    return Div(Button('Go', id='go', hx_get='/boom', hx_target='#out'), Div('before', id='out'))

def failing_helper():
    raise ValueError('the widget exploded')

@app.get('/boom')
def boom():
    return P(failing_helper())
'''


def test_debug_htmx_error_replaces_the_page_with_the_traceback(live_app_source, page):
    server = live_app_source(APP, env={'FH_DEBUG': '1'})
    page.goto(server.url + '/')
    page.wait_for_function('() => window.htmx !== undefined')
    page.click('#go')
    expect(page.locator('#fh-error h1')).to_contain_text('ValueError')
    expect(page.locator('#fh-error')).to_contain_text('failing_helper')
    expect(page.locator('#fh-error')).to_contain_text('the widget exploded')
    assert page.locator('#go').count() == 0  # swapped into <body>, replacing the page


def test_production_htmx_error_shows_nothing_internal(live_app_source, page):
    server = live_app_source(APP, env={'FH_DEBUG': '0'})
    page.goto(server.url + '/')
    page.wait_for_function('() => window.htmx !== undefined')
    page.evaluate("document.body.addEventListener('htmx:responseError', e => window.lastStatus = e.detail.xhr.status)")
    page.click('#go')
    page.wait_for_function('() => window.lastStatus === 500')
    expect(page.locator('#out')).to_have_text('before')
    assert 'exploded' not in page.content()
