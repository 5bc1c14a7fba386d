"""Password accounts: register, log in, private notes, an admin page, log out.

Run `python examples/accounts_app.py` and open http://127.0.0.1:5001. Create an account (or set ADMIN_PASSWORD to
get an `admin` account at startup), then add notes: they are yours alone. `/admin` lists the users, for admins only.

It shows `fasthtml.accounts`: `Accounts(app, db, public=[...])` adds /login, /register and /logout and protects every
other route; handlers receive the logged-in `User`; `@accounts.require('admin')` guards a route by role. Users and
notes live in one SQLite file (fastlite). Set ACCOUNTS_DATA to keep it (and the session key) somewhere else.
"""
import os
from pathlib import Path

from fasthtml.accounts import Accounts, User
from fasthtml.common import *

DATA = Path(os.environ.get('ACCOUNTS_DATA') or Path(__file__).parent / 'data')
DATA.mkdir(parents=True, exist_ok=True)

app, rt = fast_app(title='Accounts demo', key_fname=str(DATA / '.sesskey'))
accounts = Accounts(app, DATA / 'accounts.db', public=['/'])

if os.environ.get('ADMIN_PASSWORD') and accounts.get_user('admin') is None:
    accounts.create_user('admin', os.environ['ADMIN_PASSWORD'], is_admin=True)

notes = accounts.db.t.notes
if notes not in accounts.db.t:
    notes.create(id=int, owner=int, text=str, pk='id')


def nav(user):
    "The top bar: who is logged in, and the way in or out."
    if user is None:
        links = [Li(A('Log in', href='/login')), Li(A('Create an account', href='/register'))]
    else:
        links = [Li(Strong(user.username, id='whoami')), Li(A('My notes', href='/notes'))]
        if user.is_admin:
            links.append(Li(A('Admin', href='/admin')))
        links.append(Li(A('Log out', href='/logout')))
    return Nav(Ul(Li(A('Accounts demo', href='/'))), Ul(*links))


def note_item(n):
    return Li(n['text'], id=f'note-{n["id"]}')


@rt('/')
def index(user: User):
    "Public: anyone may see the home page."
    who = f'Hello, {user.username}.' if user else 'Hello, stranger. Log in to keep private notes.'
    return Title('Accounts demo'), Main(nav(user), H1('Accounts demo'), P(who, id='greeting'), cls='container')


@rt('/notes')
def my_notes(user: User):
    "Private: only the owner's notes (the route needs a login, so `user` is never None here)."
    mine = notes(where='owner = ?', where_args=[user.id], order_by='id')
    return (Title(f"{user.username}'s notes"),
            Main(nav(user), H1(f"{user.username}'s notes"),
                 Ul(*[note_item(n) for n in mine], id='notes'),
                 Form(Group(Input(name='text', id='new-note', placeholder='A new note', required=True),
                            Button('Add')),
                      hx_post=add_note, hx_target='#notes', hx_swap='beforeend',
                      **{'hx-on::after-request': 'this.reset()'}, id='note-form'),
                 cls='container'))


@rt('/notes/add', methods=['post'])
def add_note(user: User, text: str):
    n = notes.insert(owner=user.id, text=text.strip()[:500] or '(empty)')
    return note_item(n)


@rt('/admin')
@accounts.require('admin')
def admin(user: User):
    "Admins only: every account with its roles."
    rows = [Tr(Td(u.username), Td('yes' if u.is_admin else ''), Td(', '.join(u.roles))) for u in accounts.users()]
    return (Title('Admin'),
            Main(nav(user), H1('Users'),
                 Table(Thead(Tr(Th('User'), Th('Admin'), Th('Roles'))), Tbody(*rows), id='users'), cls='container'))


serve()
