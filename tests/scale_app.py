"""The app the scale-out tests serve with `uvicorn scale_app:app --workers 2`, PostgreSQL and Redis.

Configuration comes from the environment, as in a deployment: DATABASE_URL (PostgreSQL), FASTHTML_PUBSUB_URL (Redis),
the session key from the shared key file in the working directory. Every response names the worker that made it
(`X-Worker: <pid>`), and with SCALE_CLOSE=1 closes its connection, so a browser's next request opens a new one, which
the kernel may hand to either worker: nothing is sticky. Used by tests/e2e/test_scale_e2e.py (a real browser) and
tests/test_shutdown.py (SIGTERM under load).
"""
import asyncio
import os
import time

from fasthtml.accounts import Accounts, User
from fasthtml.common import (
    Button,
    Div,
    EventStream,
    Form,
    HTTPException,
    Input,
    Li,
    Middleware,
    P,
    PubSub,
    Redirect,
    Span,
    Titled,
    Ul,
    add_toast,
    fast_app,
    setup_toasts,
    sse_message,
)

PID = str(os.getpid())
DB = os.environ['DATABASE_URL']
CLOSE = os.environ.get('SCALE_CLOSE') == '1'


class WorkerHeader:
    "ASGI middleware: `X-Worker` on every response (and `Connection: close` with SCALE_CLOSE=1)."

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope['type'] != 'http':
            return await self.app(scope, receive, send)

        async def send_with(msg):
            if msg['type'] == 'http.response.start':
                extra = [(b'x-worker', PID.encode())] + ([(b'connection', b'close')] if CLOSE else [])
                msg = {**msg, 'headers': [*msg.get('headers', []), *extra]}
            await send(msg)
        await self.app(scope, receive, send_with)


app, rt, (todos, Todo), (writes, Write) = fast_app(
    db=DB, exts='ws', middleware=[Middleware(WorkerHeader)], title='Scale',
    todos={'id': int, 'title': str, 'owner': str, 'pk': 'id'}, writes={'id': int, 'tag': str, 'state': str, 'pk': 'id'})
setup_toasts(app)
accounts = Accounts(app, DB, public=['/pid', '/write', '/slow', '/events'], scrypt_n=2**10)
hub = PubSub(app)


def item(t):
    "A to-do with its edit form and delete button (both swap the item in place)."
    tid = f'todo-{t.id}'
    return Li(Span(t.title, cls='title'),
              Form(Input(name='title', value=t.title, cls='edit-title'), Button('Save', cls='save'),
                   hx_put=f'/todos/{t.id}', hx_target=f'#{tid}', hx_swap='outerHTML'),
              Button('Delete', cls='del', hx_delete=f'/todos/{t.id}', hx_target=f'#{tid}', hx_swap='outerHTML'),
              id=tid, cls='todo')


def owned(id: int, user: User):
    t = todos.get(id, default=None)
    if t is None or t.owner != user.username:
        raise HTTPException(404)
    return t


@rt('/pid')
def pid():
    return PID


@rt('/')
def index(user: User):
    mine = todos(where='owner = ?', where_args=[user.username], order_by='id')
    return Titled(f"{user.username}'s to-dos",
                  P('page from worker ', Span(PID), id='page-worker'),
                  Ul(*[item(t) for t in mine], id='todos'),
                  Form(Input(name='title', id='new-title'), Button('Add', id='add'), hx_post='/todos',
                       hx_target='#todos', hx_swap='beforeend', id='add-form'),
                  Form(Input(name='title', id='plain-title'), Button('Add and reload', id='plain-add'),
                       action='/todos/plain', method='post'),
                  Div(Div(id='ws-worker'), Ul(id='feed-log'), hx_ext='ws', ws_connect='/feed', id='feed'))


async def joined(ws, send):
    await hub.join(ws, 'feed')
    await send(Div(PID, id='ws-worker'))


@app.ws('/feed', conn=joined)
async def feed(msg: str = ''):
    pass


@rt('/todos')
async def post(title: str, user: User):
    t = todos.insert(Todo(title=title, owner=user.username))
    await hub.publish('feed', Ul(Li(f'{user.username} added {title} (worker {PID})'), id='feed-log',
                                 hx_swap_oob='beforeend'))
    return item(t)


@rt('/todos/plain')
def post(title: str, user: User, session):  # noqa: F811 (a second verb handler, as FastHTML apps write them)
    todos.insert(Todo(title=title, owner=user.username))
    add_toast(session, f'Added {title}', 'success')
    return Redirect('/')


@rt('/todos/{id}')
def put(id: int, title: str, user: User):
    t = owned(id, user)
    t.title = title
    return item(todos.update(t))


@rt('/todos/{id}')
def delete(id: int, user: User):
    todos.delete(owned(id, user).id)
    return ''


@rt('/write')
def post(tag: str, wait: float = 0.0):  # noqa: F811
    "A write acknowledged only once committed: records `started`, works for `wait` seconds, then `done`."
    w = writes.insert(tag=tag, state='started')
    if wait:
        time.sleep(wait)
    writes.update(id=w.id, state='done')
    return f'{w.id} {tag} {PID}'


@rt('/events')
async def events():
    async def gen():
        yield sse_message(PID, event='worker')
        while True:
            await asyncio.sleep(0.2)
            yield sse_message('tick')
    return EventStream(gen())
