"""The to-do example (examples/todo_app.py) written against python-fasthtml 0.14.14, for the start-up benchmark.

The same app, pages and database as ours, adapted only where the original's API differs: the Pico helpers and
fastlite's NotFoundError are imported from their modules (0.14.14's `common` dropped them), the `/todos/{id}` URLs
come from a small helper (the original has no `app.rt_funcs`), and `serve()` is told to bind 127.0.0.1 and the
`PORT` variable (the original binds all interfaces). Run by bench/procs.py with the original's Python only.
"""
# ruff: noqa: F811  (handlers named for their HTTP method, as FastHTML allows)
import os
from pathlib import Path

from fastlite import NotFoundError

from fasthtml.common import *
from fasthtml.pico import Card, Container, Grid, Group

DATA = Path(os.environ.get('TODO_DATA') or Path(__file__).parent / 'data')
DATA.mkdir(parents=True, exist_ok=True)


def before(req, sess):
    "Put the logged-in name in `auth` for every handler; without one, go to the login page."
    auth = req.scope['auth'] = sess.get('auth')
    if not auth:
        return Redirect('/login')


def render_todo(todo):
    "How a to-do shows in the list (FastHTML calls this for every `Todo` in a response)."
    tid = f'todo-{todo.id}'
    return Li(
        Input(type='checkbox', checked=bool(todo.done), hx_post=toggle.to(id=todo.id), hx_target=f'#{tid}',
              hx_swap='outerHTML', aria_label='Done'),
        Span(todo.title, cls='title' + (' done' if todo.done else '')),
        Button('edit', cls='outline secondary', hx_get=edit.to(id=todo.id), hx_target=f'#{tid}',
               hx_swap='outerHTML'),
        Button('delete', cls='outline contrast', hx_delete=todo_item.to(id=todo.id), hx_target=f'#{tid}',
               hx_swap='delete'),
        id=tid, cls='todo')


app, rt, todos, Todo = fast_app(
    str(DATA / 'todos.db'), render=render_todo, title='To-do list', key_fname=str(DATA / '.sesskey'),
    before=Beforeware(before, skip=[r'/favicon\.ico', r'/static/.*', r'.*\.css', r'.*\.js', '/login']),
    hdrs=(Style('.todo { display: flex; gap: .75rem; align-items: center; list-style: none; }'
                '.todo .title { flex: 1; } .todo .done { text-decoration: line-through; opacity: .6; }'
                '.todo button { width: auto; margin: 0; padding: .2rem .6rem; }'),),
    todos={'id': int, 'title': str, 'done': bool, 'owner': str, 'pk': 'id'})
setup_toasts(app)


def mine(auth):
    "The current user's to-dos (queries filter by owner explicitly: shared table state would leak between users)."
    return todos(where='owner = ?', where_args=[auth], order_by='id')


def owned(id, auth):
    "The to-do `id` if it belongs to `auth`; anything else is a 404, so ids of others' to-dos reveal nothing."
    try:
        todo = todos[id]
    except NotFoundError:
        todo = None
    if todo is None or todo.owner != auth:
        raise HTTPException(404, f'No to-do {id}')
    return todo


def counter(auth, oob=False):
    left = sum(not t.done for t in mine(auth))
    return Small(f'{left} to do', id='count', hx_swap_oob='true' if oob else None)


def new_input(oob=False):
    return Input(id='new-title', name='title', placeholder='What needs doing?', required=True, autofocus=True,
                 hx_swap_oob='true' if oob else None)


# ---------------------------------------------------------------------------------------------------------------
# Logging in and out

@dataclass
class Login:
    name: str


@rt('/login')
def get():
    frm = Form(Input(id='name', placeholder='Your name', required=True, autofocus=True), Button('Log in'),
               action='/login', method='post')
    return Titled('To-do list: log in', P('Any name will do; each name gets its own list.'), frm)


@rt('/login')
def post(login: Login, sess):
    name = login.name.strip()
    if not name:
        add_toast(sess, 'Please type a name.', 'error')
        return Redirect('/login')
    sess['auth'] = name
    add_toast(sess, f'Welcome, {name}!', 'success')
    return Redirect('/')


@rt('/logout')
def get(sess):
    sess.pop('auth', None)
    add_toast(sess, 'Logged out.', 'info')
    return Redirect('/login')


# ---------------------------------------------------------------------------------------------------------------
# The list

@rt('/')
def get(auth):
    add = Form(Group(new_input(), Button('Add')), hx_post=add_todo, hx_target='#todo-list', hx_swap='beforeend',
               id='add-form')
    top = Grid(H1(f"{auth}'s to-dos"), Div(counter(auth), ' ', A('log out', href='/logout'),
                                          style='text-align: right'))
    return Title(f"{auth}'s to-dos"), Container(top, Card(Ul(*mine(auth), id='todo-list'), header=add))


@rt
def add_todo(title: str, auth, sess):
    title = title.strip()
    if not title:
        add_toast(sess, 'A to-do needs a title.', 'warning')
        return new_input(oob=True)
    todo = todos.insert(Todo(title=title, done=False, owner=auth))
    # The new item is appended to the list; the input is cleared and the counter updated out of band.
    return todo, new_input(oob=True), counter(auth, oob=True)


@rt('/toggle/{id}')
def toggle(id: int, auth):
    todo = owned(id, auth)
    todo.done = not todo.done
    return todos.update(todo), counter(auth, oob=True)


@rt('/todos/{id}/edit')
def edit(id: int, auth):
    todo = owned(id, auth)
    tid = f'todo-{id}'
    frm = Form(Group(Input(name='title', value=todo.title, required=True, autofocus=True, aria_label='Title'),
                     Button('Save'),
                     Button('Cancel', type='button', cls='secondary', hx_get=todo_item.to(id=id), hx_target=f'#{tid}',
                            hx_swap='outerHTML')),
               hx_put=todo_item.to(id=id), hx_target=f'#{tid}', hx_swap='outerHTML', style='flex: 1')
    return Li(frm, id=tid, cls='todo editing')


@rt('/todos/{id}', name='todo_item')
def get(id: int, auth):
    return owned(id, auth)


@rt('/todos/{id}', name='todo_item')
def put(id: int, title: str, auth, sess):
    todo = owned(id, auth)
    if title.strip():
        todo.title = title.strip()
        todo = todos.update(todo)
        add_toast(sess, 'Saved.', 'success')
    return todo


@rt('/todos/{id}', name='todo_item')
def delete(id: int, auth, sess):
    todo = owned(id, auth)
    todos.delete(todo.id)
    add_toast(sess, f'Deleted "{todo.title}".', 'info')
    # The button swaps with `delete`, which removes the item; the counter is updated out of band.
    return counter(auth, oob=True)




class todo_item:  # (lower case: the route function's `.to()`, which the original reaches through no attribute)
    "URLs of the /todos/{id} routes."
    @staticmethod
    def to(id):
        return f'/todos/{id}'


serve(host='127.0.0.1', port=int(os.environ.get('PORT', 5001)))
