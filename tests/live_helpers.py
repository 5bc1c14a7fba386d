"""What the live component tests share (tests/test_live.py, tests/test_live_isolated.py): claims read from a page,
a live socket that speaks the protocol up to a ping barrier, and a bounded wait on a condition."""
import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

__all__ = ['CLAIM', 'claims', 'html_of', 'wait_for', 'Sock', 'joined']

CLAIM = re.compile(r'data-lid="([^"]+)" data-live="([^"]+)" data-lv="(-?\d+)"')


def claims(html: str) -> list:
    "The `[id, token, version]` of every live component in `html`, in page order."
    return [list(c) for c in CLAIM.findall(html)]


def html_of(msgs: list, lid: str) -> list[str]:
    "The HTML of the re-renders of component `lid` among `msgs`."
    return [m['h'] for m in msgs if m['t'] == 'h' and m['l'] == lid]


def wait_for(cond: Callable[[], Any], timeout: float = 30.0) -> bool:
    "Poll `cond` until true (bounded)."
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return bool(cond())


class Sock:
    "A live socket: send protocol messages, read the replies up to a ping barrier."

    def __init__(self, ws: Any):
        self.ws = ws

    def send(self, **m: Any) -> None:
        self.ws.send_text(json.dumps(m))

    def join(self, cl: list, widgets: Sequence[str] = ()) -> None:
        self.send(t='j', c=cl, w=list(widgets))

    def event(self, lid: str, h: str, **f: Any) -> None:
        self.send(t='e', l=lid, h=h, f=f)

    def sync(self) -> list:
        "Every message the server sent before answering a ping sent now."
        self.send(t='p')
        out = []
        while True:
            m = json.loads(self.ws.receive_text())
            if m['t'] == 'p':
                return out
            out.append(m)

    def until(self, pred: Callable[[dict], bool]) -> list:
        "Messages up to (and with) the first one `pred` accepts (the server pushes it on its own)."
        out = []
        while True:
            m = json.loads(self.ws.receive_text())
            out.append(m)
            if pred(m):
                return out


@contextmanager
def joined(cli: Any, cl: list, widgets: Sequence[str] = (), path: str = '/_live/ws') -> Iterator[Sock]:
    "A live socket of the test client `cli` that has joined the components `cl` (and the widgets `widgets`)."
    with cli.websocket_connect(path) as ws:
        s = Sock(ws)
        s.join(cl, widgets)
        yield s
