"""Toasts: short messages queued in the session with `add_toast` and shown on the next page or HTMX response."""
from __future__ import annotations

from typing import Any

from fastcore.xml import FT as BaseFT
from starlette.responses import Response

from ._respond import FtResponse, flat_xt
from .components import Button, Div, Script, Span, Style

__all__ = ['setup_toasts', 'add_toast', 'render_toasts', 'toast_after', 'Toast', 'toast_css', 'toast_js', 'js', 'sk',
           'toast_types', 'tcid']

sk = 'toasts'
toast_types = ('info', 'success', 'warning', 'error')
tcid = 'fh-toast-container'  # the id of the element toasts are swapped into
_container = tcid
_DURATION = 'toast_duration'  # the session key holding the app's toast duration (ms), as in FastHTML

# A toast fades in when htmx adds it (`htmx-added`); the end of that transition starts its timer (see `Toast`).
toast_css = '''
#fh-toast-container { position: fixed; inset: 16px 0 auto 0; z-index: 1090; display: flex; flex-direction: column;
  align-items: center; gap: 8px; pointer-events: none; margin: 0 auto; max-width: 80vw; }
.fh-toast { background: #333; color: #fff; padding: 10px 30px 10px 16px; border-radius: 6px; position: relative;
  box-shadow: 0 2px 8px rgba(0,0,0,.2); pointer-events: auto; opacity: 1; transition: opacity .4s ease; }
.fh-toast.htmx-added { opacity: 0; }
.fh-toast-info { background: #2563eb; } .fh-toast-success { background: #15803d; }
.fh-toast-warning { background: #b45309; } .fh-toast-error { background: #b91c1c; }
.fh-toast-dismiss { position: absolute; top: 4px; right: 8px; cursor: pointer; border: 0; background: none;
  color: inherit; font-size: 1.1em; line-height: 1; padding: 0; }
'''

# Makes sure the page has the container toasts are swapped into (FastHTML's module exports it as `js`).
js = '''htmx.onLoad(function () {
  if (htmx.find('#fh-toast-container')) return;
  var box = document.createElement('div');
  box.id = 'fh-toast-container';
  document.body.appendChild(box);
});'''
toast_js = js


def add_toast(sess: Any, message: str, typ: str = 'info', dismiss: bool = False) -> None:
    "Queue a toast in the session; it is shown on the next full page or HTMX response, even after redirects."
    if typ not in toast_types:
        raise AssertionError(f'Toast type must be one of {toast_types}, got {typ!r}')
    sess.setdefault(sk, [])
    sess[sk] = sess[sk] + [(message, typ, dismiss)]


def Toast(message: str, typ: str = 'info', dismiss: bool = False, duration: int = 5000) -> BaseFT:
    """One toast element (its text escaped), as FastHTML renders it: it removes itself `duration` milliseconds
    after its fade-in transition ends; `dismiss` adds a close button."""
    kids: list = [Span(message)]
    if dismiss:
        kids.append(Button('x', onclick='htmx.remove(this?.parentElement);', cls='fh-toast-dismiss'))
    return Div(*kids, hx_on_transitionend=f'setTimeout(() => this?.remove(), {duration});',
               cls=f'fh-toast fh-toast-{typ}')


def render_toasts(sess: Any) -> Any:
    "Pop the session's toasts and return them in an out-of-band swap into the toast container."
    toasts = sess.pop(sk, None) if sess else None
    duration = sess.get(_DURATION, 5000) if sess else 5000
    items = [Toast(msg, typ, dismiss, duration) for msg, typ, dismiss in toasts or ()]
    return Div(*items, id=_container, hx_swap_oob=f'beforeend:#{_container}')


def _is_content(resp: Any) -> bool:
    "Only FT content (not redirects or ready-made Responses) carries toasts; the rest leave them queued."
    if isinstance(resp, (Response, str, dict)) or resp is None:
        return False
    if isinstance(resp, BaseFT) or hasattr(resp, '__ft__'):
        return True
    if isinstance(resp, (tuple, list)):
        return any(_is_content(o) for o in resp)
    return False


def _with_toasts(resp: Any, sess: Any) -> Any:
    "`resp` with the session's queued toasts appended, or None to leave it as it is (no toasts, or not FT content)."
    if not sess or sk not in sess:
        return None
    if isinstance(resp, FtResponse):
        if not _is_content(resp.content):
            return None
        t = render_toasts(sess)
        resp.content = (*flat_xt(resp.content if isinstance(resp.content, (tuple, list)) else (resp.content,)), t)
        return resp
    if not _is_content(resp):
        return None
    t = render_toasts(sess)
    if isinstance(resp, (tuple, list)):
        return (*resp, t)
    return (resp, t)


def toast_after(resp: Any, req: Any, sess: Any) -> Any:
    """The after function `setup_toasts` installs: appends queued toasts to FT responses (and `FtResponse`), with
    the app's toast duration. Redirects and other ready-made responses leave them queued for the next page."""
    if sess and sk in sess:
        app = req.scope.get('app') if req is not None else None
        sess[_DURATION] = getattr(app, 'toast_duration', sess.get(_DURATION, 5000))
    return _with_toasts(resp, sess)


def setup_toasts(app: Any, duration: int = 5000) -> None:
    "Add toast styles and script to `app` and show queued toasts on each FT response, for `duration` ms each."
    app.toast_duration = duration
    app.hdrs += [Style(toast_css), Script(js)]
    app.after.append(toast_after)
