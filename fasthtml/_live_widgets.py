"""anywidget host: `Widget(w)` shows an `anywidget.AnyWidget` in an FT page, its state synced both ways.

HOW. ipywidgets talks to a front-end through the widget's `comm` (a Jupyter kernel's, or a do-nothing one outside a
kernel). We give a shown widget a `HostComm`, assigned to its `comm` trait, which ipywidgets observes to route its
messages: Python changes (`w.value = 3`, `w.send(...)`, echoes of browser changes) arrive in `HostComm.send`, which
forwards them to every page showing the widget; a page's `save_changes()` or `model.send(...)` goes to ipywidgets'
own message handler, which sets the traits (with its property lock, so the change is not bounced back) and runs the
`observe`/`on_msg` callbacks, in a worker thread. In a notebook the kernel's comm is kept and messages go to both.

FINDING A WIDGET from the page's token, on whichever worker process the socket lands: `c:<component>:<attribute>`
for a widget held in an attribute of the live component that shows it (the component is recreated with it),
`g:<module>:<name>` for a widget in a module-level variable of the code that calls `Widget(w)`, else
`m:<model id>` (this process only). Widgets created while a component's `__init__` or handler runs belong to it
and are closed when it is freed.

ASSETS. The widget's `_esm` and `_css` are served by the app at `{live path}/a/<sha>.js|.css` (immutable, cached by
the browser), so nothing is fetched from a CDN; a worker that has not seen the widget yet reads them from its class.
"""
from __future__ import annotations

import base64
import contextvars
import hashlib
import importlib
import logging
import sys
import threading
import weakref
from typing import Any

from comm.base_comm import BaseComm

from ._workers import run_sync
from .live import Connection, _current, _hook_lock, _rendering

__all__ = ['HostComm', 'WidgetView', 'join', 'message', 'leave', 'leave_all', 'asset', 'host_comm']

log = logging.getLogger('fasthtml.live')

# Traits the page does not need: the code and style (served as assets) and Jupyter's bookkeeping.
HIDDEN = frozenset({'_esm', '_css', '_anywidget_id', '_model_module', '_model_module_version', '_model_name',
                    '_view_module', '_view_module_version', '_view_name', '_view_count', 'layout'})
MAX_BUFFERS = 64

# The page (connection, key) whose message is being applied: its own change is not echoed back to it.
_origin: contextvars.ContextVar[tuple | None] = contextvars.ContextVar('fasthtml_live_origin', default=None)
_by_model: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


# ---------------------------------------------------------------------------------------------------------------
# The comm: ipywidgets' transport, here to the pages showing the widget.

class HostComm(BaseComm):
    "A widget's comm whose other end is every page showing it (and the notebook's comm it replaced, if any)."

    def __init__(self, comm_id: str | None, previous: Any = None):
        super().__init__(comm_id=comm_id, primary=False, target_name='jupyter.widget')
        self.previous = previous
        self.subs: dict[Connection, set[str]] = {}
        self.sub_lock = threading.Lock()
        self.apply_lock = threading.RLock()  # one browser message at a time per widget
        self._cb: Any = None
        if previous is not None:
            previous.on_msg(self._from_kernel)

    def publish_msg(self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None,
                    **keys: Any) -> None:
        return None

    def on_msg(self, callback: Any) -> None:
        self._cb = callback

    def _from_kernel(self, msg: dict) -> None:
        if self._cb is not None:
            self._cb(msg)

    def deliver(self, data: dict, buffers: list) -> None:
        "A message from a page, in the shape ipywidgets' handler reads."
        if self._cb is not None:
            self._cb({'content': {'data': data}, 'buffers': buffers})

    def send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        "From ipywidgets (any thread): state updates, echoes and custom messages, forwarded to the pages."
        if self.previous is not None:
            try:
                self.previous.send(data=data, metadata=metadata, buffers=buffers)
            except Exception:
                log.debug('live: the notebook comm refused a message', exc_info=True)
        if not isinstance(data, dict) or not self.subs:
            return
        method = data.get('method')
        if method in ('update', 'echo_update'):
            state = {k: v for k, v in (data.get('state') or {}).items() if k not in HIDDEN}
            paths = data.get('buffer_paths') or []
            if not state and not paths:
                return
            m: dict = {'method': 'update', 'state': state, 'buffer_paths': paths}
        elif method == 'custom':
            m = {'method': 'custom', 'content': data.get('content')}
        else:
            return
        b64 = [_b64(b) for b in buffers or ()]
        origin = _origin.get() if method == 'echo_update' else None
        with self.sub_lock:
            subs = [(c, k) for c, keys in self.subs.items() for k in keys]
        for conn, key in subs:
            if origin is not None and origin[0] is conn and origin[1] == key:
                continue  # the page that made this change has it already
            conn.post({'t': 'w', 'k': key, 'm': m, 'b': b64})

    def subscribe(self, conn: Connection, key: str) -> None:
        with self.sub_lock:
            self.subs.setdefault(conn, set()).add(key)

    def unsubscribe(self, conn: Connection, key: str | None = None) -> None:
        with self.sub_lock:
            keys = self.subs.get(conn)
            if keys is None:
                return
            if key is not None:
                keys.discard(key)
            if key is None or not keys:
                del self.subs[conn]

    def close(self, data: Any = None, metadata: Any = None, buffers: Any = None, deleting: bool = False) -> None:
        if self._closed:
            return
        self._closed = True
        with self.sub_lock:
            self.subs.clear()
        if self.previous is not None and not deleting:
            try:
                self.previous.close()
            except Exception:  # noqa: BLE001, S110 (the notebook comm it shadows: closing it is best effort)
                pass


def host_comm(w: Any) -> HostComm:
    "The widget's HostComm, installed on first use (ipywidgets routes its messages through the `comm` trait)."
    c = w.comm
    if isinstance(c, HostComm):
        return c
    if c is None:
        raise RuntimeError(f'{type(w).__name__} widget is closed')
    with _hook_lock:
        c = w.comm
        if isinstance(c, HostComm):
            return c
        import comm as comm_pkg
        previous = None if isinstance(c, comm_pkg.DummyComm) else c
        hc = HostComm(c.comm_id, previous)
        w.comm = hc
        return hc


# ---------------------------------------------------------------------------------------------------------------
# The element in the page

def _is_anywidget(w: Any) -> bool:
    if 'ipywidgets' not in sys.modules:
        return False
    import ipywidgets
    return isinstance(w, ipywidgets.DOMWidget) and w.has_trait('_esm')


class WidgetView:
    "What `Widget(w)` returns: renders the element the client draws the widget into."

    def __init__(self, w: Any, attrs: dict, glb: dict | None):
        if not _is_anywidget(w):
            raise TypeError(f'Widget() shows anywidget widgets (anywidget.AnyWidget instances), got {type(w).__name__}.'
                            ' Install them with `pip install python-fasthtml[widgets]`.')
        self.w, self.attrs = w, attrs
        # Decided now: inside a component's render() the component is known (not when the tree is rendered later).
        self.key = _key_of(w, _rendering.get(), _global_name(w, glb))

    def __ft__(self) -> Any:
        from .components import Div
        ctx = _current()
        hub = ctx.hub
        w, key = self.w, self.key
        if key.startswith('m:'):
            _by_model[key[2:]] = w
        esm, css = _asset_urls(hub, w)
        attrs = {'cls': 'live-widget', **self.attrs}
        node = Div(**attrs)
        # Signed in an isolated session's process, the token says so: the page's messages for it are routed there.
        tok = hub.signer.dumps(['w', key, 1] if hub.in_session else ['w', key])
        node.attrs.update({'data-lw': tok, 'data-lwk': key, 'data-esm': esm})
        if css:
            node.attrs['data-css'] = css
        return node


def _global_name(w: Any, glb: dict | None) -> str | None:
    if not glb:
        return None
    mod = glb.get('__name__')
    for k, v in glb.items():
        if v is w and not k.startswith('_'):
            return f'{mod}:{k}'
    return None


def _key_of(w: Any, owner: Any, gname: str | None) -> str:
    if owner is not None:
        for name, v in vars(owner).items():
            if v is w:
                return f'c:{owner._live.lid}:{name}'
            if isinstance(v, (list, tuple)):
                for i, x in enumerate(v):
                    if x is w:
                        return f'c:{owner._live.lid}:{name}/{i}'
            elif isinstance(v, dict):
                for k2, x in v.items():
                    if x is w and isinstance(k2, str) and '/' not in k2:
                        return f'c:{owner._live.lid}:{name}/{k2}'
    if gname is not None:
        return f'g:{gname}'
    return f'm:{w.model_id}'


def _resolve(conn: Connection, key: str) -> Any:
    "The widget a page's key names (only within this connection's components for `c:` keys), or None."
    kind, _, rest = key.partition(':')
    obj: Any = None
    if kind == 'c':
        lid, _, path = rest.partition(':')
        comp = conn.comps.get(lid)
        if comp is None:
            return None
        attr, _, sub = path.partition('/')
        obj = vars(comp).get(attr)
        if sub and isinstance(obj, (list, tuple)):
            obj = obj[int(sub)] if sub.isdigit() and int(sub) < len(obj) else None
        elif sub and isinstance(obj, dict):
            obj = obj.get(sub)
    elif kind == 'g':
        mod, _, name = rest.partition(':')
        m = sys.modules.get(mod) or importlib.import_module(mod)
        obj = getattr(m, name, None)
    elif kind == 'm':
        obj = _by_model.get(rest)
    return obj if _is_anywidget(obj) else None


# ---------------------------------------------------------------------------------------------------------------
# Joining, messages, leaving (called by the runner)

async def join(conn: Connection, token: str) -> None:
    "A widget view on the page: subscribe the page to the widget and send its state."
    try:
        kind, key, *_ = conn.hub.signer.loads(token)
    except Exception:  # noqa: BLE001 (a forged or malformed token from the page: refused, logged)
        log.warning('live: refused a widget token')
        return
    if kind != 'w' or not isinstance(key, str):
        return
    if key in conn.widgets:
        return
    try:
        w = _resolve(conn, key)
    except Exception:
        log.exception('live: looking up widget %s failed', key)
        w = None
    if w is None:
        log.warning('live: no widget %s here (is it in a component or a module-level variable?)', key)
        conn.post({'t': 'wg', 'k': key})
        return
    hc = host_comm(w)
    conn.widgets[key] = w
    hc.subscribe(conn, key)
    keys = [k for k in w.keys if k not in HIDDEN]
    state, paths, bufs = split_buffers(w.get_state(keys))
    conn.post({'t': 'w', 'k': key, 'm': {'method': 'state', 'state': state, 'buffer_paths': paths},
               'b': [_b64(b) for b in bufs]})


async def message(conn: Connection, key: str, msg: dict, b64s: list) -> None:
    "A message from a page's model: state (`save_changes`) or a custom message (`model.send`)."
    w = conn.widgets.get(key)
    if w is None:
        log.warning('live: dropped a message for widget %r, which this page did not join', key[:80])
        return
    method = msg.get('method')
    try:
        buffers = [base64.b64decode(b, validate=True) for b in b64s[:MAX_BUFFERS] if isinstance(b, str)]
    except ValueError:
        log.warning('live: dropped a widget message with a malformed buffer')
        return
    if method == 'update':
        state = msg.get('state')
        paths = msg.get('buffer_paths') or []
        if not isinstance(state, dict) or not _valid_paths(paths, len(buffers)):
            log.warning('live: dropped a malformed widget update for %s', key)
            return
        data = {'method': 'update', 'state': {k: v for k, v in state.items() if k not in HIDDEN},
                'buffer_paths': paths}
    elif method == 'custom':
        data = {'method': 'custom', 'content': msg.get('content')}
    else:
        return
    hc = host_comm(w)

    def apply() -> None:
        with hc.apply_lock:
            tok = _origin.set((conn, key))
            try:
                hc.deliver(data, buffers)
            finally:
                _origin.reset(tok)
    try:
        await run_sync(apply)
    except Exception:
        log.exception('live: widget %s: applying a message from the page failed', key)


def _valid_paths(paths: Any, n: int) -> bool:
    return isinstance(paths, list) and len(paths) == n and all(
        isinstance(p, list) and p and all(isinstance(x, (str, int)) for x in p) for p in paths)


def leave(conn: Connection, key: str) -> None:
    w = conn.widgets.pop(key, None)
    if w is not None and isinstance(w.comm, HostComm):
        w.comm.unsubscribe(conn, key)


def leave_all(conn: Connection) -> None:
    for key in list(conn.widgets):
        leave(conn, key)


# ---------------------------------------------------------------------------------------------------------------
# Binary parts of a state: split out (to base64 in the message), as ipywidgets does for its wire format

_BINARY = (bytes, bytearray, memoryview)


def split_buffers(state: dict) -> tuple[dict, list, list]:
    "(state without binary values, their paths, the binary values)."
    paths: list = []
    bufs: list = []

    def walk(o: Any, path: list) -> Any:
        if isinstance(o, dict):
            out = {}
            for k, v in o.items():
                if isinstance(v, _BINARY):
                    paths.append([*path, k])
                    bufs.append(v)
                else:
                    out[k] = walk(v, [*path, k])
            return out
        if isinstance(o, (list, tuple)):
            out_l = []
            for i, v in enumerate(o):
                if isinstance(v, _BINARY):
                    paths.append([*path, i])
                    bufs.append(v)
                    out_l.append(None)
                else:
                    out_l.append(walk(v, [*path, i]))
            return out_l
        return o
    return walk(state, []), paths, bufs


def _b64(b: Any) -> str:
    return base64.b64encode(bytes(b)).decode('ascii')


# ---------------------------------------------------------------------------------------------------------------
# Assets: the widget's ES module and CSS, served by the app

_assets: dict[str, tuple[bytes, str]] = {}
_sha_of: dict[int, tuple[str, str]] = {}   # id(text) -> (text, sha): the text is kept so the id stays its own
_class_tokens: dict[tuple[int, str], str] = {}


def _sha(text: str, media: str) -> str:
    e = _sha_of.get(id(text))
    if e is not None and e[0] is text:
        return e[1]
    data = text.encode('utf-8')
    sha = hashlib.sha256(data).hexdigest()[:20]
    _assets.setdefault(sha, (data, media))
    _sha_of[id(text)] = (text, sha)
    return sha


def _class_path(w: Any) -> str:
    aid = getattr(w, '_anywidget_id', None)
    if isinstance(aid, str) and '.' in aid:
        mod, _, name = aid.rpartition('.')
        return f'{mod}:{name}'
    cls = type(w)
    return f'{cls.__module__}:{cls.__qualname__}'


def _asset_urls(hub: Any, w: Any) -> tuple[str, str | None]:
    cpath = _class_path(w)
    ck = (id(hub), cpath)
    tok = _class_tokens.get(ck)
    if tok is None:
        tok = _class_tokens[ck] = hub.signer.dumps(['a', cpath])
    esm = str(getattr(w, '_esm', '') or '')
    css = str(getattr(w, '_css', '') or '')
    base = hub.base
    esm_url = f'{base}/a/{_sha(esm, "text/javascript")}.js?c={tok}'
    css_url = f'{base}/a/{_sha(css, "text/css")}.css?c={tok}' if css.strip() else None
    return esm_url, css_url


def asset(hub: Any, name: str, c: str) -> tuple[bytes, str] | None:
    "The body and media type of asset `name` (`<sha>.js|.css`), reading the widget class when not cached here."
    sha, _, ext = name.partition('.')
    if ext not in ('js', 'css'):
        return None
    if sha in _assets:
        return _assets[sha]
    try:
        kind, cpath = hub.signer.loads(c)
    except Exception:  # noqa: BLE001 (a forged or malformed asset token: not found)
        return None
    if kind != 'a' or not isinstance(cpath, str):
        return None
    try:
        mod, _, name_ = cpath.partition(':')
        cls = getattr(importlib.import_module(mod), name_)
        text = str(getattr(cls, '_esm' if ext == 'js' else '_css', '') or '')
    except Exception:  # noqa: BLE001 (the class no longer imports: not found)
        return None
    if _sha(text, 'text/javascript' if ext == 'js' else 'text/css') != sha:
        return None
    return _assets.get(sha)
