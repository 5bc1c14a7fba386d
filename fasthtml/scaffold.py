"""`fh_new NAME`: create a ready-to-run FastHTML app folder (main.py, static/, requirements.txt, README.md).

Options add a SQLite database through fastlite (`--db`, a small todo list stored in `data/app.db`), password
accounts (`--auth`: log in, register and log out pages from `fasthtml.accounts`, users in `data/users.db`, every
other page behind a login) and live reload (`--live`: the browser reloads when you save). The generated app finds its
files (static/, data/, the session key) relative to `main.py`, and only `static/` is served as files: never the
source, the database or the key.
"""
from __future__ import annotations

import argparse
import keyword
import re
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ['app_source', 'main', 'new_app']

_HEADER = '''"""{title}: a FastHTML app. Run `python main.py`, then open http://127.0.0.1:5001"""
from pathlib import Path

from fasthtml.common import *
{imports}
HERE = Path(__file__).resolve().parent
'''

_PLAIN_APP = '''
app, rt = fast_app({kw})
'''

_DB_APP = '''
(HERE / 'data').mkdir(exist_ok=True)
app, rt, todos, Todo = fast_app(str(HERE / 'data' / 'app.db'),
                                todos=dict(id=int, title=str, done=bool, pk='id'),
                                {kw})
'''

_AUTH = '''
# /login, /register and /logout pages; every other page needs a logged-in user (see fasthtml.accounts).
accounts = Accounts(app, str(HERE / 'data' / 'users.db'))
'''

_INDEX = '''

@rt
def index(session{user_param}):
    return Titled({title!r},{user_line}
                  P('Edit main.py and save to change this page.'),
                  Button('Click me', hx_post=clicked, hx_target='#clicks'),
                  P(f"Clicked {{session.get('clicks', 0)}} times", id='clicks'){extra})


@rt
def clicked(session):
    session['clicks'] = session.get('clicks', 0) + 1
    return f"Clicked {{session['clicks']}} times"
'''

_DB_EXTRA = ''',
                  H2('Todos'),
                  Form(Input(name='title', placeholder='Something to do', required=True), Button('Add'),
                       hx_post=add_todo, hx_target='#todo-list', hx_swap='beforeend',
                       hx_on__after_request='this.reset()'),
                  Ul(*[todo_item(t) for t in todos()], id='todo-list')'''

_DB_ROUTES = '''

def todo_item(t):
    return Li(t.title, ' ',
              Button('Done', hx_delete=remove_todo.to(id=t.id), hx_target=f'#todo-{t.id}', hx_swap='outerHTML'),
              id=f'todo-{t.id}')


@rt('/todos')
def add_todo(title: str):
    return todo_item(todos.insert(Todo(title=title, done=False)))


@rt('/todos/{id}', methods=['delete'])
def remove_todo(id: int):
    todos.delete(id)
'''

_FOOTER = '''

serve()
'''

_CSS = '''/* Served at /style.css: everything in static/ is served at the site root. */
#clicks { font-weight: bold; }
'''

_README = '''# {title}

A [FastHTML](https://fastht.ml) app, created with `fh_new`.

```sh
pip install -r requirements.txt
python main.py        # then open http://127.0.0.1:5001
```

- `main.py`: the app: routes are functions decorated with `@rt`.
- `static/`: files served at the site root (`static/style.css` is `/style.css`).
{extra}'''


def _check_name(path: Path) -> str:
    name = path.name
    if not name or name in ('.', '..'):
        raise ValueError(f'{str(path)!r} is not a folder name to create an app in')
    if not re.fullmatch(r'[A-Za-z0-9][A-Za-z0-9_.-]*', name):
        raise ValueError(f'App name {name!r}: use letters, digits, "-", "_" or "." (starting with a letter or digit)')
    return name


_USER_LINE = """
                  Div(P(f'Signed in as {user.username}.'),
                      Form(Button('Log out', cls='secondary'), method='post', action='/logout')),"""


def app_source(title: str, db: bool = False, live: bool = False, auth: bool = False) -> str:
    "The text of the generated `main.py`."
    kw = ["static_path=str(HERE / 'static')", "key_fname=str(HERE / '.sesskey')",
          "hdrs=(Link(rel='stylesheet', href='/style.css'),)"]
    if live:
        kw.append('live=True')
    header = _HEADER.format(title=title, imports='from fasthtml.accounts import Accounts, User\n' if auth else '')
    if db:
        src = header + _DB_APP.format(kw=(',\n' + ' ' * 32).join(kw))
    else:
        src = header + _PLAIN_APP.format(kw=', '.join(kw[:2]) + ',\n' + ' ' * 18 + ', '.join(kw[2:]))
    if auth:
        src += _AUTH
    if db:
        src += _DB_ROUTES
    src += _INDEX.format(title=title, extra=_DB_EXTRA if db else '', user_param=', user: User' if auth else '',
                         user_line=_USER_LINE if auth else '')
    return src + _FOOTER


def new_app(path: str | Path, db: bool = False, live: bool = False, auth: bool = False) -> Path:
    """Create an app folder at `path` (which must not exist, or be empty) and return it. See the module docstring
    for the options."""
    path = Path(path)
    title = _check_name(path)
    if keyword.iskeyword(title):
        raise ValueError(f'App name {title!r} is a Python keyword')
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise FileExistsError(f'{path} already exists and is not an empty folder: choose another name')
    (path / 'static').mkdir(parents=True, exist_ok=True)
    (path / 'main.py').write_text(app_source(title, db=db, live=live, auth=auth))
    (path / 'static' / 'style.css').write_text(_CSS)
    (path / 'requirements.txt').write_text('python-fasthtml\n')
    extra = '- `data/app.db`: the SQLite database (created on first run; keep it out of git).\n' if db else ''
    if auth:
        extra += ('- `data/users.db`: the accounts (scrypt password hashes). Pages need a login; register at '
                  '/register. Make an admin from Python: `accounts.create_user(name, password, is_admin=True)`.\n')
    if live:
        extra += '- Live reload is on: the page reloads when you save a file.\n'
    (path / 'README.md').write_text(_README.format(title=title, extra=extra))
    (path / '.gitignore').write_text('.sesskey\n__pycache__/\n' + ('data/\n' if db or auth else ''))
    return path


def main(argv: Sequence[str] | None = None) -> int:
    "The `fh_new` command; returns the exit status."
    p = argparse.ArgumentParser(prog='fh_new', description='Create a ready-to-run FastHTML app folder.')
    p.add_argument('name', help='the folder to create (its name is the app title)')
    p.add_argument('--db', action='store_true', help='add a SQLite database (fastlite) with a todo list')
    p.add_argument('--auth', action='store_true', help='add password accounts (log in, register, log out)')
    p.add_argument('--live', action='store_true', help='reload the browser when you save a file')
    a = p.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        path = new_app(a.name, db=a.db, live=a.live, auth=a.auth)
    except (ValueError, FileExistsError) as e:
        print(f'fh_new: error: {e}', file=sys.stderr)
        return 1
    files = sorted(str(f.relative_to(path)) for f in path.rglob('*') if f.is_file())
    print(f'Created {path}/: ' + ', '.join(files))
    print(f'Next: cd {path} && pip install -r requirements.txt && python main.py')
    return 0
