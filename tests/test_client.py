"""`fasthtml.core.Client` and the test clients run on httpx2, as FastHTML 0.14.14 does: users' tests see no
deprecation warnings, and apps that import httpx themselves keep working."""
import subprocess
import sys
from pathlib import Path

import pytest
from variants import variant

from fasthtml.common import Client, FastHTML, P

ROOT = Path(__file__).resolve().parent.parent


def test_client_keeps_cookies_and_returns_httpx2_responses(kind):
    import httpx2
    app = FastHTML(secret_key='k')

    def visit(session):
        session['n'] = session.get('n', 0) + 1
        return P(f"visit {session['n']}")
    app.get('/')(variant(kind, visit))
    cli = Client(app)
    r = cli.get('/', headers={'HX-Request': '1'})
    assert isinstance(r, httpx2.Response) and r.text == '<p>visit 1</p>'
    assert cli.get('/', headers={'HX-Request': '1'}).text == '<p>visit 2</p>'
    assert cli.post('/').status_code == 405 and cli.delete('/').status_code == 405


def test_client_answers_as_fasthtmls(kind):
    # FastHTML's Client (httpx2 over ASGI) does not follow redirects, sends httpx2's user agent and the client
    # address httpx2 gives; `follow_redirects=True` per call follows them.
    import httpx2

    from fasthtml.common import Redirect, RedirectResponse
    app = FastHTML(secret_key='k')
    app.get('/ua')(variant(kind, lambda req: f"{req.headers['user-agent']} {req.client.host}:{req.client.port}"))
    app.get('/r303')(variant(kind, lambda: RedirectResponse('/ua', status_code=303)))
    app.get('/redirect')(variant(kind, lambda: Redirect('/ua')))
    cli = Client(app)
    assert cli.get('/ua').text == f'python-httpx2/{httpx2.__version__} 127.0.0.1:123'
    for path in ('/r303', '/redirect'):
        r = cli.get(path)
        assert (r.status_code, r.headers['location'], r.text) == (303, '/ua', '')
        assert cli.get(path, follow_redirects=True).text.startswith('python-httpx2/')
    assert cli.get('/ua/').headers['location'] == 'http://testserver/ua'  # a 307 to the route, unfollowed


@pytest.mark.parametrize('code', [
    # a user's test, as the docs show it: Starlette's TestClient and ours, imported and used with warnings as errors
    'from starlette.testclient import TestClient\n'
    'from fasthtml.common import *\n'
    'app, rt = fast_app()\n'
    '@rt\n'
    'def index(): return P("hi")\n'
    'assert "<p>hi</p>" in TestClient(app).get("/").text\n'
    'assert "<p>hi</p>" in Client(app).get("/").text\n'
    'from fasthtml.starlette import TestClient as T2\n'
    'assert T2 is TestClient\n',
    # an app that uses httpx itself: still installed, and independent of ours
    'import httpx, httpx2\n'
    'from fasthtml.common import *\n'
    'app = FastHTML()\n'
    '@app.get("/")\n'
    'def index(): return "ok"\n'
    'assert httpx.Client is not httpx2.Client\n'
    'assert Client(app).get("/").text == "ok"\n',
])
def test_no_warnings(code):
    p = subprocess.run([sys.executable, '-W', 'error', '-c', code], cwd=ROOT, capture_output=True, text=True,
                       timeout=120, check=False)
    assert p.returncode == 0, p.stderr[-3000:]
    assert p.stderr == ''


def test_oauth_talks_through_httpx2():
    import fasthtml.oauth as oauth
    assert oauth.httpx2.Client.__module__.startswith('httpx2')
