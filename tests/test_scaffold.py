"""fh_new: every option creates an app folder whose pages work (imported in-process, and once under uvicorn)."""
import importlib.util
import itertools
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import httpx2
import pytest

from fasthtml.core import Client
from fasthtml.scaffold import app_source, main, new_app

BIN = Path(sys.executable).parent
_n = itertools.count()


def load(folder: Path):
    "Import the generated main.py under a fresh module name (its `serve()` does nothing on import)."
    spec = importlib.util.spec_from_file_location(f'scaffolded_app_{next(_n)}', folder / 'main.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


OPTIONS = [[], ['--db'], ['--live'], ['--auth'], ['--db', '--live'], ['--db', '--auth', '--live']]


def register(c: Client, name: str = 'ada') -> None:
    r = c.post('/register', data={'username': name, 'password': 'correct horse', 'password2': 'correct horse'},
               follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/')


@pytest.mark.parametrize('opts', OPTIONS, ids=lambda o: ' '.join(o) or 'plain')
def test_created_app_serves_its_pages(tmp_path, capsys, opts):
    folder = tmp_path / 'my-app'
    assert main([str(folder), *opts]) == 0
    out = capsys.readouterr().out
    assert 'main.py' in out and 'requirements.txt' in out and 'python main.py' in out
    assert (folder / 'requirements.txt').read_text() == 'python-fasthtml\n'
    assert (folder / 'static' / 'style.css').exists() and (folder / 'README.md').exists()
    compile((folder / 'main.py').read_text(), 'main.py', 'exec')

    app = load(folder).app
    c = Client(app)
    if '--auth' in opts:
        register(c)
    page = c.get('/')
    assert page.status_code == 200
    assert '<title>my-app</title>' in page.text and '<h1>my-app</h1>' in page.text
    assert '<link rel="stylesheet" href="/style.css">' in page.text
    hx = {'HX-Request': 'true'}
    assert c.post('/clicked', headers=hx).text == 'Clicked 1 times'
    assert c.post('/clicked', headers=hx).text == 'Clicked 2 times'  # kept in the session
    assert 'Clicked 2 times' in c.get('/').text
    assert c.get('/style.css').text.startswith('/* Served at /style.css')
    for private in ('/main.py', '/requirements.txt', '/README.md', '/data/app.db', '/static/style.css'):
        assert c.get(private).status_code == 404, private
    assert (folder / '.sesskey').exists()  # next to main.py, not in the working directory
    assert ('live-reload' in page.text) == ('--live' in opts)
    assert (folder / 'data' / 'app.db').exists() == ('--db' in opts)
    assert (folder / 'data' / 'users.db').exists() == ('--auth' in opts)
    assert ('Signed in as ada.' in page.text) == ('--auth' in opts)


def test_auth_app_pages_need_a_login(tmp_path):
    c = Client(load(new_app(tmp_path / 'members', auth=True)).app)
    hx = {'HX-Request': 'true'}
    r = c.get('/', follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/login')
    assert c.post('/clicked', headers=hx, follow_redirects=False).headers['hx-redirect'] == '/login'
    assert 'Log in' in c.get('/login').text
    assert c.get('/style.css').status_code == 200  # static files stay public
    register(c, 'grace')
    page = c.get('/').text
    assert 'Signed in as grace.' in page
    assert 'method="post" action="/logout"><button class="secondary">Log out</button></form>' in page
    assert c.post('/clicked', headers=hx).text == 'Clicked 1 times'
    r = c.post('/logout', follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/login')
    assert c.get('/', follow_redirects=False).status_code == 303
    r = c.post('/login', data={'username': 'grace', 'password': 'wrong password'})
    assert r.status_code == 401
    r = c.post('/login', data={'username': 'grace', 'password': 'correct horse'}, follow_redirects=False)
    assert r.status_code == 303 and 'Signed in as grace.' in c.get('/').text


def test_db_app_adds_and_removes_todos(tmp_path):
    folder = new_app(tmp_path / 'todos', db=True)
    c = Client(load(folder).app)
    hx = {'HX-Request': 'true'}
    r = c.post('/todos', data={'title': 'Buy <milk>'}, headers=hx)
    assert r.status_code == 200
    assert r.text.startswith('<li id="todo-1">Buy &lt;milk&gt; <button hx-delete="/todos/1"')
    assert 'Buy &lt;milk&gt;' in c.get('/').text
    assert c.post('/todos', data={}, headers=hx).status_code == 400  # the title is required
    assert c.delete('/todos/1', headers=hx).status_code == 200
    assert 'milk' not in c.get('/').text
    # the data outlives the process: a fresh import sees what the first one stored
    c.post('/todos', data={'title': 'kept'}, headers=hx)
    assert 'kept' in Client(load(folder).app).get('/').text


def test_live_app_has_the_reload_socket(tmp_path):
    app = load(new_app(tmp_path / 'live', live=True)).app
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        from starlette.testclient import TestClient
    with TestClient(app).websocket_connect('/live-reload') as ws:
        assert ws is not None


def test_refuses_to_overwrite(tmp_path, capsys):
    folder = tmp_path / 'taken'
    folder.mkdir()
    (folder / 'keep.txt').write_text('mine')
    assert main([str(folder)]) == 1
    assert 'already exists and is not an empty folder' in capsys.readouterr().err
    assert [p.name for p in folder.iterdir()] == ['keep.txt']
    empty = tmp_path / 'empty'
    empty.mkdir()
    assert main([str(empty)]) == 0  # an empty folder is fine


@pytest.mark.parametrize('name,msg', [('bad name!', 'use letters, digits'), ('class', 'Python keyword'),
                                      ('-dash', 'use letters, digits')])
def test_bad_names(tmp_path, name, msg):
    with pytest.raises(ValueError, match=msg):
        new_app(tmp_path / name)
    assert not (tmp_path / name).exists()


def test_title_is_embedded_safely():
    src = app_source("it's")
    assert "Titled(\"it's\"," in src
    compile(src, 'main.py', 'exec')


def test_console_script_and_help(tmp_path):
    r = subprocess.run([str(BIN / 'fh_new'), 'hello', '--db'], cwd=tmp_path, capture_output=True, text=True,
                       timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / 'hello' / 'main.py').exists()
    r = subprocess.run([str(BIN / 'fh_new'), '--help'], capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0 and '--db' in r.stdout and '--live' in r.stdout and '--auth' in r.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_runs_under_uvicorn(tmp_path):
    "Ready to run: uvicorn serves `main:app` from the new folder."
    folder = new_app(tmp_path / 'served', db=True)
    port = free_port()
    proc = subprocess.Popen([sys.executable, '-m', 'uvicorn', 'main:app', '--host', '127.0.0.1', '--port', str(port)],
                            cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx2.get(f'http://127.0.0.1:{port}/', timeout=2)
                break
            except httpx2.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.monotonic() < deadline, 'server did not start'
                time.sleep(0.1)
        assert r.status_code == 200 and '<h1>served</h1>' in r.text
        assert httpx2.get(f'http://127.0.0.1:{port}/style.css').status_code == 200
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
