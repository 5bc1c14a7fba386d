"""The example apps, exercised in-process with `Client`, plus `make demo`'s command serving a real page."""
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from fasthtml.core import Client

EXAMPLES = Path(__file__).resolve().parents[1] / 'examples'
HX = {'HX-Request': 'true'}


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    "Examples write a session key file and data: keep them in a temp dir."
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('TODO_DATA', str(tmp_path / 'data'))
    monkeypatch.setenv('UPLOAD_DIR', str(tmp_path / 'uploads'))
    return tmp_path


def load(name):
    "A fresh copy of an example module's globals (not run as __main__, so `serve()` does nothing)."
    return runpy.run_path(str(EXAMPLES / f'{name}.py'), run_name=f'example_{name}')


# ---------------------------------------------------------------------------------------------------------------
# The to-do app

@pytest.fixture(params=['sqlite', 'postgres'])
def todo(in_tmp, request, monkeypatch):
    "The to-do app as it is, on SQLite and (DATABASE_URL) on a fresh PostgreSQL database."
    if request.param == 'postgres':
        monkeypatch.setenv('DATABASE_URL', request.getfixturevalue('pg_url'))
    else:
        monkeypatch.delenv('DATABASE_URL', raising=False)
    return load('todo_app')


def login(cli, name='ann'):
    r = cli.post('/login', data={'name': name}, follow_redirects=False)
    assert r.status_code == 303 and r.headers['location'] == '/'
    return r


def test_todo_requires_login_and_greets_with_a_toast(todo):
    cli = Client(todo['app'])
    r = cli.get('/', follow_redirects=False)
    assert r.status_code == 303 and r.headers['location'] == '/login'
    assert cli.get('/', headers=HX).headers['hx-redirect'] == '/login'
    page = cli.get('/login').text
    assert '<title>To-do list: log in</title>' in page and 'name="name"' in page
    login(cli)
    page = cli.get('/').text
    assert "<title>ann's to-dos</title>" in page
    assert '<span>Welcome, ann!</span>' in page
    assert '<ul id="todo-list"></ul>' in page
    assert 'Welcome, ann!' not in cli.get('/').text  # a toast is shown once


def test_todo_blank_login_is_refused_with_a_toast(todo):
    cli = Client(todo['app'])
    r = cli.post('/login', data={'name': '  '}, follow_redirects=False)
    assert r.headers['location'] == '/login'
    assert 'Please type a name.' in cli.get('/login').text
    assert cli.get('/', follow_redirects=False).status_code == 303


def test_todo_add_toggle_edit_delete(todo):
    cli = Client(todo['app'])
    login(cli)
    r = cli.post('/add_todo', data={'title': 'milk'}, headers=HX)
    assert r.text.startswith('<li id="todo-1" class="todo">')
    assert '<span class="title">milk</span>' in r.text
    assert 'hx-swap-oob="true" id="new-title"' in r.text  # the input is cleared out of band
    assert '<small hx-swap-oob="true" id="count">1 to do</small>' in r.text
    cli.post('/add_todo', data={'title': 'bread'}, headers=HX)
    page = cli.get('/').text
    assert page.index('milk') < page.index('bread') and '2 to do' in page

    r = cli.post('/toggle/1', headers=HX)
    assert '<input type="checkbox" checked' in r.text and 'class="title done"' in r.text and '1 to do' in r.text
    r = cli.post('/toggle/1', headers=HX)
    assert 'checked' not in r.text.split('<span')[0] and '2 to do' in r.text

    r = cli.get('/todos/1/edit', headers=HX)
    assert r.text.startswith('<li id="todo-1" class="todo editing"><form')
    assert 'hx-put="/todos/1"' in r.text and 'value="milk"' in r.text
    r = cli.put('/todos/1', data={'title': 'oat milk'}, headers=HX)
    assert '<span class="title">oat milk</span>' in r.text and '<span>Saved.</span>' in r.text
    assert '<span class="title">oat milk</span>' in cli.get('/todos/1', headers=HX).text  # edit's Cancel

    r = cli.delete('/todos/1', headers=HX)
    assert r.status_code == 200
    assert '<small hx-swap-oob="true" id="count">1 to do</small>' in r.text
    assert '<span>Deleted "oat milk".</span>' in r.text
    assert cli.get('/todos/1', headers=HX).status_code == 404
    assert 'oat milk' not in cli.get('/').text


def test_todo_blank_title_is_not_added(todo):
    cli = Client(todo['app'])
    login(cli)
    r = cli.post('/add_todo', data={'title': '   '}, headers=HX)
    assert 'A to-do needs a title.' in r.text and '<li' not in r.text
    assert todo['todos'].count == 0


def test_todo_lists_are_per_user(todo):
    ann, bob = Client(todo['app']), Client(todo['app'])
    login(ann, 'ann')
    login(bob, 'bob')
    ann.post('/add_todo', data={'title': 'ann secret'}, headers=HX)
    assert 'ann secret' not in bob.get('/').text
    # Another user's to-do is a 404 for every verb.
    assert bob.get('/todos/1', headers=HX).status_code == 404
    assert bob.post('/toggle/1', headers=HX).status_code == 404
    assert bob.put('/todos/1', data={'title': 'x'}, headers=HX).status_code == 404
    assert bob.delete('/todos/1', headers=HX).status_code == 404
    assert 'ann secret' in ann.get('/').text


def test_todo_bad_ids_and_logout(todo):
    cli = Client(todo['app'])
    login(cli)
    assert cli.get('/todos/abc', headers=HX).status_code == 404
    assert cli.post('/toggle/999', headers=HX).status_code == 404
    r = cli.get('/logout', follow_redirects=False)
    assert r.headers['location'] == '/login'
    assert 'Logged out.' in cli.get('/login').text
    assert cli.get('/', follow_redirects=False).status_code == 303


def test_todo_data_persists(todo, in_tmp):
    cli = Client(todo['app'])
    login(cli)
    cli.post('/add_todo', data={'title': 'kept'}, headers=HX)
    assert (in_tmp / 'data' / 'todos.db').exists() != ('DATABASE_URL' in os.environ)
    again = load('todo_app')  # a restart: same database, same session key
    cli2 = Client(again['app'])
    login(cli2)
    assert 'kept' in cli2.get('/').text


# ---------------------------------------------------------------------------------------------------------------
# Forms, uploads, custom 404

def test_forms_app_posts_into_a_dataclass_and_remembers_a_cookie():
    ex = load('forms_app')
    cli = Client(ex['app'])
    page = cli.get('/').text
    assert 'hx-post="/save"' in page and 'hx-target="#result"' in page and '<div id="result"></div>' in page
    r = cli.post('/save', data={'email': 'a@b.org', 'name': 'Ann', 'age': '41', 'newsletter': ['', '1']},
                 headers=HX)
    assert r.status_code == 200
    assert '<h3>Saved Ann</h3>' in r.text and '<li>Age: 41</li>' in r.text and '<li>Newsletter: yes</li>' in r.text
    assert 'last_email="a@b.org"' in r.headers['set-cookie'] and 'HttpOnly' in r.headers['set-cookie']
    assert 'value="a@b.org"' in cli.get('/').text  # prefilled from the cookie
    r = cli.post('/save', data={'email': 'a@b.org', 'name': 'Ann', 'age': 'old', 'newsletter': ''}, headers=HX)
    assert (r.status_code, r.text) == (404, '404 Not Found')  # FastHTML's answer to a value that does not convert


def test_forms_app_checkbox_round_trip_through_fill_form():
    "Editing a ticked box and unticking it must post False: fill_form leaves CheckboxX's hidden '' alone."
    ex = load('forms_app')
    cli = Client(ex['app'])
    r = cli.get('/edit?email=a@b.org&name=Ann&age=3&newsletter=true')
    assert '<input type="hidden" value="" name="newsletter" skip>' in r.text
    assert 'checked' in r.text and 'value="Ann"' in r.text
    # Unticked, the browser posts only the hidden input's '':
    r = cli.post('/save', data={'email': 'a@b.org', 'name': 'Ann', 'age': '3', 'newsletter': ''}, headers=HX)
    assert '<li>Newsletter: no</li>' in r.text


def test_upload_app_single_and_many(in_tmp):
    ex = load('upload_app')
    cli = Client(ex['app'])
    page = cli.get('/').text
    assert 'hx-post="/upload"' in page and 'enctype="multipart/form-data"' in page and 'multiple' in page
    r = cli.post('/upload', files={'file': ('notes.txt', b'hello', 'text/plain')}, headers=HX)
    assert '<h3>notes.txt</h3>' in r.text and '<li>Size: 5</li>' in r.text and 'text/plain' in r.text
    assert (in_tmp / 'uploads' / 'notes.txt').read_bytes() == b'hello'
    r = cli.post('/upload_many', files=[('files', ('a.bin', b'12', 'application/octet-stream')),
                                        ('files', ('../../evil.txt', b'x', 'text/plain'))], headers=HX)
    assert r.text.count('class="file-card"') == 2
    assert (in_tmp / 'uploads' / 'a.bin').read_bytes() == b'12'
    assert (in_tmp / 'uploads' / 'evil.txt').read_bytes() == b'x'
    assert not (in_tmp / 'evil.txt').exists() and not (in_tmp.parent / 'evil.txt').exists()
    assert cli.post('/upload', data={'file': 'not a file'}, headers=HX).status_code == 404


def test_custom_404_pages():
    ex = load('custom_404')
    cli = Client(ex['app'])
    assert '<a href="/books/1">A Guide to FastHTML</a>' in cli.get('/').text
    r = cli.get('/oops')
    assert r.status_code == 404
    assert r.text.startswith('<!doctype html>') and "<title>404: I don't exist!</title>" in r.text
    assert 'pico' in r.text  # the app's headers: it is a real page of this app
    assert '<p>Nothing lives at /oops.</p>' in r.text
    r = cli.get('/books/99')
    assert r.status_code == 404 and '<p>There is no book 99.</p>' in r.text
    r = cli.get('/missing-fragment', headers=HX)
    assert r.status_code == 404 and r.text.startswith("<title>404: I don't exist!</title>")
    assert cli.get('/books/2').status_code == 200
    assert cli.get('/books/two').status_code == 404


# ---------------------------------------------------------------------------------------------------------------
# `make demo`: python examples/todo_app.py serves a page

def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_demo_command_serves_the_todo_app(in_tmp):
    port = _free_port()
    # PORT picks a free port; HOST keeps the server on loopback (PORT alone means all interfaces, for hosting).
    env = {**os.environ, 'PORT': str(port), 'HOST': '127.0.0.1', 'TODO_DATA': str(in_tmp / 'data'),
           'PYTHONUNBUFFERED': '1'}
    repo = EXAMPLES.parent
    with open(in_tmp / 'demo.log', 'wb') as log:  # the server writes to its own copy of the descriptor
        proc = subprocess.Popen([sys.executable, str(EXAMPLES / 'todo_app.py')], cwd=repo, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        body = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f'http://127.0.0.1:{port}/login', timeout=2) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        assert body is not None, (in_tmp / 'demo.log').read_text()
        assert '<title>To-do list: log in</title>' in body
        assert f'Uvicorn running on http://127.0.0.1:{port}' in (in_tmp / 'demo.log').read_text()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


# ---------------------------------------------------------------------------------------------------------------
# The spec's to-do walkthrough (adv_app), run unchanged apart from the database path (its names imported by name,
# as the spec does)

WALKTHROUGH = '''
from fasthtml.common import (
    # These are the HTML components we use in this app
    A, AX, Button, Card, CheckboxX, Container, Div, Form, Grid, Group, H1, H2, Hidden, Input, Li, Main, Script, Style,
    Textarea, Title, Titled, Ul,
    # These are FastHTML symbols we'll use
    Beforeware, FastHTML, fast_app, SortableJS, fill_form, picolink, serve,
    # These are from Starlette, Fastlite, fastcore, and the Python stdlib
    FileResponse, NotFoundError, RedirectResponse, database, patch, dataclass
)
from hmac import compare_digest

db = database(DB_PATH)
todos,users = db.t.todos,db.t.users
if todos not in db.t:
    users.create(dict(name=str, pwd=str), pk='name')
    todos.create(id=int, title=str, done=bool, name=str, details=str, priority=int, pk='id')
Todo,User = todos.dataclass(),users.dataclass()

login_redir = RedirectResponse('/login', status_code=303)

def before(req, sess):
    auth = req.scope['auth'] = sess.get('auth', None)
    if not auth: return login_redir
    todos.xtra(name=auth)

markdown_js = """
import { marked } from "https://cdn.jsdelivr.net/npm/marked/lib/marked.esm.js";
proc_htmx('.markdown', e => e.innerHTML = marked.parse(e.textContent));
"""

def _not_found(req, exc): return Titled('Oh no!', Div('We could not find that page :('))

bware = Beforeware(before, skip=[r'/favicon\\.ico', r'/static/.*', r'.*\\.css', '/login'])
app = FastHTML(before=bware,
               exception_handlers={404: _not_found},
               hdrs=(picolink,
                     Style(':root { --pico-font-size: 100%; }'),
                     SortableJS('.sortable'),
                     Script(markdown_js, type='module'))
                )
rt = app.route

@rt("/login")
def get():
    frm = Form(
        Input(id='name', placeholder='Name'),
        Input(id='pwd', type='password', placeholder='Password'),
        Button('login'),
        action='/login', method='post')
    return Titled("Login", frm)

@dataclass
class Login: name:str; pwd:str

@rt("/login")
def post(login:Login, sess):
    if not login.name or not login.pwd: return login_redir
    try: u = users[login.name]
    except NotFoundError: u = users.insert(login)
    if not compare_digest(u.pwd.encode("utf-8"), login.pwd.encode("utf-8")): return login_redir
    sess['auth'] = u.name
    return RedirectResponse('/', status_code=303)

@app.get("/logout")
def logout(sess):
    del sess['auth']
    return login_redir

@rt("/{fname:path}.{ext:static}")
def get(fname:str, ext:str): return FileResponse(f'{fname}.{ext}')

@patch
def __ft__(self:Todo):
    show = AX(self.title, f'/todos/{self.id}', 'current-todo')
    edit = AX('edit',     f'/edit/{self.id}' , 'current-todo')
    dt = '✅ ' if self.done else ''
    cts = (dt, show, ' | ', edit, Hidden(id="id", value=self.id), Hidden(id="priority", value="0"))
    return Li(*cts, id=f'todo-{self.id}')

@rt("/")
def get(auth):
    title = f"{auth}'s Todo list"
    top = Grid(H1(title), Div(A('logout', href='/logout'), style='text-align: right'))
    new_inp = Input(id="new-title", name="title", placeholder="New Todo")
    add = Form(Group(new_inp, Button("Add")),
               hx_post="/", target_id='todo-list', hx_swap="afterbegin")
    frm = Form(*todos(order_by='priority'),
               id='todo-list', cls='sortable', hx_post="/reorder", hx_trigger="end")
    card = Card(Ul(frm), header=add, footer=Div(id='current-todo'))
    return Title(title), Container(top, card)

@rt("/reorder")
def post(id:list[int]):
    for i,id_ in enumerate(id): todos.update({'priority':i}, id_)
    return tuple(todos(order_by='priority'))

def clr_details(): return Div(hx_swap_oob='innerHTML', id='current-todo')

@rt("/todos/{id}")
def delete(id:int):
    todos.delete(id)
    return clr_details()

@rt("/edit/{id}")
def get(id:int):
    res = Form(Group(Input(id="title"), Button("Save")),
        Hidden(id="id"), CheckboxX(id="done", label='Done'),
        Textarea(id="details", name="details", rows=10),
        hx_put="/", target_id=f'todo-{id}', id="edit")
    return fill_form(res, todos[id])

@rt("/")
def put(todo: Todo):
    return todos.update(todo), clr_details()

@rt("/")
def post(todo:Todo):
    new_inp =  Input(id="new-title", name="title", placeholder="New Todo", hx_swap_oob='true')
    return todos.insert(todo), new_inp

@rt("/todos/{id}")
def get(id:int):
    todo = todos[id]
    btn = Button('delete', hx_delete=f'/todos/{todo.id}',
                 target_id=f'todo-{todo.id}', hx_swap="outerHTML")
    return Div(H2(todo.title), Div(todo.details, cls="markdown"), btn)

serve()
'''


def test_spec_todo_walkthrough_runs_unchanged(in_tmp):
    src = in_tmp / 'adv_app.py'
    src.write_text(WALKTHROUGH.replace('DB_PATH', repr(str(in_tmp / 'utodos.db'))))
    (in_tmp / 'favicon.ico').write_bytes(b'ico')
    ex = runpy.run_path(str(src), run_name='adv_app')
    cli = Client(ex['app'])
    r = cli.get('/', follow_redirects=False)
    assert r.status_code == 303 and r.headers['location'] == '/login'
    assert cli.get('/favicon.ico').content == b'ico'  # skipped by the Beforeware, served by the static handler
    assert '<title>Login</title>' in cli.get('/login').text
    # Unknown user: created; wrong password later: back to the login page.
    r = cli.post('/login', data={'name': 'jeremy', 'pwd': 'pw'}, follow_redirects=False)
    assert r.status_code == 303 and r.headers['location'] == '/'
    page = cli.get('/').text
    assert "<title>jeremy's Todo list</title>" in page
    assert 'class="sortable"' in page and 'hx-post="/reorder"' in page and 'Sortable' in page

    # Add (POST / with the form filled into the Todo dataclass); the oob input comes back too.
    r = cli.post('/', data={'title': 'Write tests', 'done': '', 'details': '**bold**', 'priority': '0'},
                 headers=HX)
    assert r.text.startswith('<li id="todo-1">') and 'hx-swap-oob="true"' in r.text
    assert 'hx-get="/todos/1"' in r.text and 'hx-target="#current-todo"' in r.text
    cli.post('/', data={'title': 'Ship it', 'details': '', 'priority': '1'}, headers=HX)
    # The Beforeware's xtra filter stamped the owner on both.
    assert [t.name for t in ex['todos']()] == ['jeremy', 'jeremy']

    # Reorder: `id: list[int]` from repeated form fields.
    r = cli.post('/reorder', data={'id': ['2', '1']}, headers=HX)
    assert r.text.index('todo-2') < r.text.index('todo-1')

    # Details and the edit form, filled from the row (CheckboxX's hidden input stays empty).
    r = cli.get('/todos/1', headers=HX)
    assert '<h2>Write tests</h2>' in r.text and '<div class="markdown">**bold**</div>' in r.text
    r = cli.get('/edit/1', headers=HX)
    assert 'value="Write tests"' in r.text and '>**bold**</textarea>' in r.text
    assert '<input type="hidden" value="" name="done" skip>' in r.text

    # Save: PUT / fills a Todo (done ticked: hidden '' then '1') and returns the item plus an oob clear.
    r = cli.put('/', data={'id': '1', 'title': 'Write more tests', 'done': ['', '1'], 'details': 'x',
                           'priority': '1'}, headers=HX)
    assert '✅ ' in r.text and 'Write more tests' in r.text and 'hx-swap-oob="innerHTML" id="current-todo"' in r.text
    assert ex['todos'][1].done
    # Unticked: only the hidden '' is posted.
    cli.put('/', data={'id': '1', 'title': 'Write more tests', 'done': '', 'details': 'x', 'priority': '1'},
            headers=HX)
    assert not ex['todos'][1].done

    # Delete returns only the oob clear, so the item's own swap empties it.
    r = cli.delete('/todos/1', headers=HX)
    assert r.text == '<div hx-swap-oob="innerHTML" id="current-todo"></div>'
    assert [t.id for t in ex['todos']()] == [2]

    # A missing page gets the custom 404; logging out and a wrong password both lead back to /login.
    r = cli.get('/nope/nothing')
    assert r.status_code == 404 and '<title>Oh no!</title>' in r.text
    assert cli.get('/logout', follow_redirects=False).headers['location'] == '/login'
    r = cli.post('/login', data={'name': 'jeremy', 'pwd': 'wrong'}, follow_redirects=False)
    assert r.headers['location'] == '/login'
    assert cli.get('/', follow_redirects=False).status_code == 303


# ---------------------------------------------------------------------------------------------------------------
# Selling with Stripe (against the fake Stripe API on loopback)

def test_stripe_shop_sells_through_checkout_and_the_webhook(in_tmp, monkeypatch):
    stripe = pytest.importorskip('stripe')
    import hashlib
    import hmac
    import json

    import fake_stripe
    import httpx2
    old = stripe.api_base, stripe.api_key
    with fake_stripe.running() as url:
        try:
            stripe.api_base = url
            monkeypatch.setenv('STRIPE_SECRET_KEY', 'sk_test_example')
            monkeypatch.setenv('STRIPE_WEBHOOK_SECRET', 'whsec_example')
            monkeypatch.setenv('SALES_DB', str(in_tmp / 'sales.db'))
            ex = load('stripe_app')
            cli = Client(ex['app'])
            page = cli.get('/').text
            assert '$9.00, one payment' in page and 'name="email"' in page
            r = cli.post('/buy', data={'email': 'ann@example.com'}, headers=HX)
            sid = r.headers['hx-redirect'].rsplit('/', 1)[1]
            assert r.headers['hx-redirect'].startswith('https://checkout.stripe.com/')
            assert 'being confirmed' in cli.get(f'/thanks?sid={sid}').text  # paid, but no webhook yet
            httpx2.post(f'{url}/_pay/{sid}', timeout=5)
            obj = httpx2.get(f'{url}/v1/checkout/sessions/{sid}', headers={'authorization': 'Bearer sk_test_x'},
                             timeout=5).json()
            payload = json.dumps({'id': 'evt_1', 'object': 'event', 'type': 'checkout.session.completed',
                                  'data': {'object': obj}})
            t = int(time.time())
            sig = hmac.new(b'whsec_example', f'{t}.{payload}'.encode(), hashlib.sha256).hexdigest()
            bad = cli.post('/webhook', content=payload, headers={'stripe-signature': f't={t},v1={"0" * 64}'})
            assert bad.status_code == 400 and 'being confirmed' in cli.get(f'/thanks?sid={sid}').text
            r = cli.post('/webhook', content=payload, headers={'stripe-signature': f't={t},v1={sig}'})
            assert r.status_code == 200
            assert 'ann@example.com paid $9.00.' in cli.get(f'/thanks?sid={sid}').text
            assert ex['price']().unit_amount == 900
        finally:
            stripe.api_base, stripe.api_key = old


# ---------------------------------------------------------------------------------------------------------------
# The combined site: two apps, one login, health checks, API tokens

def test_combined_site_one_login_links_health_and_tokens(tmp_path, monkeypatch):
    monkeypatch.setenv('SITE_DATA', str(tmp_path / 'site'))
    g = load('combined_site')
    cli = Client(g['app'])
    page = cli.get('/').text
    assert '<a href="/blog/">Blog</a>' in page and '<a href="/shop/">Shop</a>' in page
    r = cli.get('/blog/', follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/login?next=/blog/')
    r = cli.post('/register', data={'username': 'ann', 'password': 'long password 1', 'password2': 'long password 1',
                                    'next': '/blog/'}, follow_redirects=False)
    assert r.headers['location'] == '/blog/'
    assert 'Writing as ann' in cli.get('/blog/').text and 'hx-post="/blog/add"' in cli.get('/blog/').text
    r = cli.post('/blog/add', data={'title': 'First'}, headers=HX)
    assert r.text == '<article id="post-1"><h3><a href="/blog/post?id=1">First</a></h3><p>by ann</p></article>'
    assert cli.post('/shop/add?item=Tea', headers=HX).text == '<ul id="cart"><li>Tea</li></ul>'
    assert 'Shopping as ann' in cli.get('/shop/').text
    assert cli.get('/health').json() == {'status': 'ok'}
    assert cli.get('/ready').json() == {'status': 'ready', 'checks': {'accounts': 'ok'}}
    tok = cli.post('/auth/token', data={'username': 'ann', 'password': 'long password 1'}).json()['access_token']
    api = Client(g['app'])
    r = api.get('/blog/api/posts', headers={'Authorization': f'Bearer {tok}'})
    assert r.json() == {'user': 'ann', 'posts': [{'id': 1, 'title': 'First', 'author': 'ann'}]}
    cli.get('/logout')
    assert cli.get('/shop/', follow_redirects=False).status_code == 303


# ---------------------------------------------------------------------------------------------------------------
# Live components and widgets (the browser side is in tests/e2e/test_live_e2e.py)

def _live_socket(cli, page):
    "Join every component of `page` on a live socket; returns (socket, claims)."
    import json
    import re
    cl = [list(c) for c in re.findall(r'data-lid="([^"]+)" data-live="([^"]+)" data-lv="(\d+)"', page)]
    ws = cli.cli.websocket_connect('/_live/ws').__enter__()
    ws.send_text(json.dumps({'t': 'j', 'c': cl, 'w': []}))
    return ws, cl


def _live_replies(ws):
    import json
    ws.send_text('{"t": "p"}')
    out = []
    while (m := json.loads(ws.receive_text()))['t'] != 'p':
        out.append(m)
    return out


def test_live_counter_example_in_process():
    ex = load('live_counter')
    cli = Client(ex['app'])
    page = cli.get('/').text
    assert page.count('data-live=') == 6 and '<h3 class="count">Count: 0</h3>' in page   # a board holds a child
    ws, cl = _live_socket(cli, page)
    try:
        assert _live_replies(ws) == []
        ws.send_text(f'{{"t": "e", "l": "{cl[0][0]}", "h": "add", "f": {{"sign": "-1"}}}}')
        assert 'Count: -1' in _live_replies(ws)[0]['h']
        ws.send_text(f'{{"t": "e", "l": "{cl[-1][0]}", "h": "boom", "f": {{}}}}')
        assert _live_replies(ws)[0]['t'] == 'x'
    finally:
        ws.__exit__(None, None, None)


def test_live_clock_example_in_process():
    ex = load('live_clock')
    page = Client(ex['app']).get('/').text
    assert 'class="clock"' in page and 'Start a job' in page and 'Announcements' in page


def test_widgets_example_in_process():
    ex = load('widgets')
    page = Client(ex['app']).get('/').text
    assert page.count('class="live-widget"') == 4 and '0 point(s) drawn, 0 click(s), brush 40' in page
    assert 'data-esm="/_live/a/' in page and 'data-css="/_live/a/' in page


def test_isolated_example_in_process(monkeypatch):
    "Imported by name (its session processes import it too); a TestClient block runs its lifespan."
    import importlib
    import json
    import re
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        from starlette.testclient import TestClient
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.setenv('ISOLATED_TIMEOUT', '2')
    monkeypatch.delitem(sys.modules, 'isolated', raising=False)
    ex = importlib.import_module('isolated')
    try:
        with TestClient(ex.app) as cli:
            page = cli.get('/').text
            assert f'The server runs in process {os.getpid()}.' in page
            pid = int(re.search(r'Running in process (\d+)', page)[1])
            assert pid != os.getpid() and 'Session clock:' in page
            cl = [list(c) for c in re.findall(r'data-lid="([^"]+)" data-live="([^"]+)" data-lv="(\d+)"', page)]
            counter = cl[1][0]
            with cli.websocket_connect('/_live/ws') as ws:
                def send(**m):
                    ws.send_text(json.dumps(m))

                def replies():
                    send(t='p')
                    out = []
                    while (m := json.loads(ws.receive_text()))['t'] != 'p':
                        out.append(m)
                    return [m for m in out if m['l'] == counter]
                send(t='j', c=cl, w=[])
                send(t='e', l=counter, h='inc', f={})
                assert 'Count: 1' in replies()[0]['h']
                send(t='e', l=counter, h='nap', f={})
                assert 'This took longer than 2 seconds' in replies()[0]['h']
                send(t='e', l=counter, h='__restart', f={})
                (h,) = [m['h'] for m in replies() if m['t'] == 'h']
                assert 'Count: 0' in h and int(re.search(r'Running in process (\d+)', h)[1]) != pid
    finally:
        sys.modules.pop('isolated', None)
