"""Error pages: tracebacks in debug mode (for HTMX requests too), a clean page with no internals in production."""
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter('ignore')  # starlette suggests httpx2; httpx works the same in-process
    from starlette.testclient import TestClient

from fasthtml._errors import DEBUG_HEADER, htmx_error_swap_scr
from fasthtml._render import to_xml
from fasthtml.components import P
from fasthtml.core import FastHTML

HX = {'HX-Request': 'true'}
BROWSER = {'Accept': 'text/html,application/xhtml+xml'}


def make_app(debug: bool, is_async: bool = False, **kw) -> FastHTML:
    app = FastHTML(debug=debug, secret_key='k' * 32, **kw)
    if is_async:
        @app.get('/boom')
        async def boom_a():
            return secret_helper_that_fails()
    else:
        @app.get('/boom')
        def boom():
            return secret_helper_that_fails()

    @app.get('/ok')
    def ok():
        return P('fine')
    return app


def secret_helper_that_fails():
    return {}['<secret-key>']


def client(app) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize('is_async', [False, True])
def test_debug_plain_request_shows_traceback_page(is_async):
    r = client(make_app(True, is_async)).get('/boom', headers=BROWSER)
    assert r.status_code == 500
    assert r.headers['content-type'].startswith('text/html')
    assert r.headers[DEBUG_HEADER] == 'traceback'
    assert r.text.startswith('<!doctype html>')
    assert '<title>500 KeyError</title>' in r.text
    assert 'secret_helper_that_fails' in r.text and 'test_errors.py' in r.text
    assert 'GET /boom' in r.text
    # the exception message is escaped, never interpreted as markup
    assert '&#x27;&lt;secret-key&gt;&#x27;' in r.text and '<secret-key>' not in r.text
    assert 'HX-Retarget' not in r.headers


@pytest.mark.parametrize('is_async', [False, True])
def test_debug_htmx_request_gets_swappable_fragment(is_async):
    r = client(make_app(True, is_async)).get('/boom', headers=HX)
    assert r.status_code == 500
    assert r.headers['HX-Retarget'] == 'body'
    assert r.headers['HX-Reswap'] == 'innerHTML'
    assert r.headers[DEBUG_HEADER] == 'traceback'
    assert r.text.startswith('<div id="fh-error"')
    assert '<html' not in r.text
    assert 'secret_helper_that_fails' in r.text and 'KeyError' in r.text


def test_debug_non_html_client_gets_plain_text():
    r = client(make_app(True)).get('/boom', headers={'Accept': '*/*'})
    assert r.status_code == 500
    assert r.headers['content-type'].startswith('text/plain')
    assert 'Traceback (most recent call last)' in r.text
    assert "KeyError: '<secret-key>'" in r.text


def test_debug_page_shows_chained_exceptions_in_python_order():
    app = FastHTML(debug=True, secret_key='k' * 32)

    @app.get('/chain')
    def chain():
        try:
            int('not a number')
        except ValueError as e:
            raise RuntimeError('wrapping failed') from e

    text = client(app).get('/chain', headers=BROWSER).text
    first, cause, last = text.index('ValueError'), text.index('direct cause'), text.index('RuntimeError: wrapping')
    assert first < cause < last


@pytest.mark.parametrize('headers', [HX, BROWSER, {}])
def test_production_page_has_no_internals(headers):
    r = client(make_app(False)).get('/boom', headers=headers)
    # FastHTML's (Starlette's) answer, for browsers and htmx alike
    assert (r.status_code, r.text) == (500, 'Internal Server Error')
    assert r.headers['content-type'] == 'text/plain; charset=utf-8'
    assert DEBUG_HEADER not in r.headers and 'HX-Retarget' not in r.headers


def test_production_respects_app_exception_handler():
    def handler(req, exc):
        return P(f'custom: {type(exc).__name__}')
    for key in (500, Exception):
        r = client(make_app(False, exception_handlers={key: handler})).get('/boom')
        assert r.status_code == 500
        assert 'custom: KeyError' in r.text


def test_debug_flag_read_when_the_error_happens():
    app = make_app(False)
    c = client(app)
    assert 'KeyError' not in c.get('/boom', headers=BROWSER).text
    app.debug = True
    assert 'KeyError' in c.get('/boom', headers=BROWSER).text


def test_successful_and_http_error_responses_are_untouched():
    c = client(make_app(True))
    r = c.get('/ok')
    assert r.status_code == 200 and '<p>fine</p>' in r.text
    r = c.get('/missing')
    assert r.status_code == 404 and DEBUG_HEADER not in r.headers


def test_exception_is_still_raised_for_servers_and_test_clients():
    # The page is sent, then the exception propagates so uvicorn logs it (and a default TestClient raises it).
    with pytest.raises(KeyError):
        TestClient(make_app(True)).get('/boom')


def test_error_after_response_started_is_not_answered_twice():
    from starlette.responses import StreamingResponse
    app = FastHTML(debug=True, secret_key='k' * 32)

    @app.get('/stream')
    def stream():
        def gen():
            yield 'part one '
            raise RuntimeError('mid-stream')
        return StreamingResponse(gen(), media_type='text/plain')

    with pytest.raises(RuntimeError, match='mid-stream'):
        TestClient(app).get('/stream')


def test_swap_script_only_in_debug_head():
    scr = to_xml(htmx_error_swap_scr)
    assert DEBUG_HEADER in scr and 'htmx:beforeSwap' in scr
    assert htmx_error_swap_scr in make_app(True).hdrs
    assert htmx_error_swap_scr not in make_app(False).hdrs
    assert htmx_error_swap_scr not in make_app(True, htmx=False).hdrs
    page = client(make_app(True)).get('/ok').text
    assert 'htmx:beforeSwap' in page


def test_websocket_and_lifespan_scopes_pass_through():
    started = []
    app = FastHTML(debug=True, secret_key='k' * 32, on_startup=[lambda: started.append(1)])
    with TestClient(app):
        pass
    assert started == [1]
