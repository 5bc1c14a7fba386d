"""A chat room over websockets.

Run `python examples/chat.py`, open http://127.0.0.1:5001 in two browsers (or a normal and a private window) and talk
to yourself. Each visitor gets a guest name kept in the session.

It shows: `app.ws` with a `conn` callback, message fields by name (`msg` comes from the form, sent by the htmx ws
extension with `ws_send`), the session inside a websocket handler, a return value that resets the sender's input,
and `PubSub.join` forwarding the room's topic into each socket. Because messages go through PubSub, the room works
across worker processes too: run several workers with `FASTHTML_PUBSUB_URL=redis://127.0.0.1:6379/0`. The recent
history shown on page load is kept per process.
"""
import secrets
from collections import deque

from fasthtml.common import *

app, rt = fast_app(exts='ws')
hub = PubSub(app)
history: deque = deque(maxlen=50)


def ChatLine(name: str, text: str):
    "One chat line; the text is escaped like any FT child."
    return Li(B(name), ': ', text)


def MsgInput(name: str):
    return Input(id='msg', name='msg', placeholder=f'Say something as {name}', autocomplete='off', autofocus=True,
                 maxlength=500)


@rt
def index(session):
    name = session.setdefault('name', f'guest-{secrets.token_hex(2)}')
    return Titled('Chat room',
                  Div(Ul(*history, id='messages'),
                      Form(MsgInput(name), id='form', ws_send=True),
                      hx_ext='ws', ws_connect='/chat'))


async def joined(ws):
    "Every socket listens to the room; the forwarding ends when the socket closes."
    await hub.join(ws, 'room')


@app.ws('/chat', conn=joined)
async def chat(msg: str, session):
    name = session.get('name', 'guest')
    text = msg.strip()[:500]
    if text:
        line = ChatLine(name, text)
        history.append(line)
        await hub.publish('room', Ul(line, id='messages', hx_swap_oob='beforeend'))
    return MsgInput(name)   # swapped in by id: clears the sender's box


serve()
