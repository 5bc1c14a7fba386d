"""Toasts: short messages queued in the session with `add_toast` and shown on the next page or HTMX response."""
from __future__ import annotations

from typing import Any

from fastcore.xml import FT as BaseFT
from starlette.responses import Response

from ._respond import FtResponse, flat_xt
from .components import Div, Script, Span, Style

__all__ = ['setup_toasts', 'add_toast', 'render_toasts', 'toast_after', 'Toast', 'toast_css', 'toast_js', 'sk',
           'toast_types', 'tcid']

sk = 'toasts'
toast_types = ('info', 'success', 'warning', 'error')
tcid = 'fh-toast-container'  # the id of the element toasts are swapped into
_container = tcid

toast_css = '''
#fh-toast-container { position: fixed; inset: 16px 0 auto 0; z-index: 1090; display: flex; flex-direction: column;
  align-items: center; gap: 8px; pointer-events: none; margin: 0 auto; max-width: 80vw; }
.fh-toast { background: #333; color: #fff; padding: 10px 30px 10px 16px; border-radius: 6px; position: relative;
  box-shadow: 0 2px 8px rgba(0,0,0,.2); pointer-events: auto; opacity: 1; transition: opacity .4s ease; }
.fh-toast-info { background: #2563eb; } .fh-toast-success { background: #15803d; }
.fh-toast-warning { background: #b45309; } .fh-toast-error { background: #b91c1c; }
.fh-toast-dismiss { position: absolute; top: 4px; right: 8px; cursor: pointer; border: 0; background: none;
  color: inherit; font-size: 1.1em; line-height: 1; }
'''

toast_js = '''
(function () {
  function ensure() {
    if (!document.getElementById('fh-toast-container')) {
      var c = document.createElement('div'); c.id = 'fh-toast-container'; document.body.appendChild(c);
    }
  }
  function arm(root) {
    (root.querySelectorAll ? root.querySelectorAll('.fh-toast:not([data-armed])') : []).forEach(function (t) {
      t.setAttribute('data-armed', '1');
      var ms = parseInt(t.getAttribute('data-duration') || '5000', 10);
      setTimeout(function () { t.style.opacity = '0'; setTimeout(function () { t.remove(); }, 450); }, ms);
    });
  }
  document.addEventListener('DOMContentLoaded', function () { ensure(); arm(document); });
  document.addEventListener('htmx:load', function (e) { ensure(); arm(document); });
})();
'''


def add_toast(sess: Any, message: str, typ: str = 'info', dismiss: bool = False) -> None:
    "Queue a toast in the session; it is shown on the next full page or HTMX response, even after redirects."
    if typ not in toast_types:
        raise ValueError(f'Toast type must be one of {toast_types}, got {typ!r}')
    sess.setdefault(sk, [])
    sess[sk] = sess[sk] + [(str(message), typ, bool(dismiss))]


def Toast(message: str, typ: str = 'info', dismiss: bool = False, duration: int = 5000) -> BaseFT:
    "One toast element (its text escaped), removed by the toast script after `duration` milliseconds."
    if typ not in toast_types:
        raise ValueError(f'Toast type must be one of {toast_types}, got {typ!r}')
    kids: list = [Span(str(message))]
    if dismiss:
        kids.append(_dismiss_button())
    return Div(*kids, cls=f'fh-toast fh-toast-{typ}', data_duration=str(duration))


def render_toasts(sess: Any, duration: int = 5000) -> Any:
    "Pop the session's toasts and return them as an out-of-band swap into the toast container (or None)."
    toasts = sess.pop(sk, None) if sess else None
    if not toasts:
        return None
    items = [Toast(msg, typ, dismiss, duration) for msg, typ, dismiss in toasts]
    return Div(*items, id=_container, hx_swap_oob=f'beforeend:#{_container}')


def _dismiss_button() -> Any:
    from .components import Button
    return Button('×', cls='fh-toast-dismiss', type='button', onclick="this.parentElement.remove()",
                  aria_label='Dismiss')


def _is_content(resp: Any) -> bool:
    "Only FT content (not redirects or ready-made Responses) carries toasts; the rest leave them queued."
    if isinstance(resp, (Response, str, dict)) or resp is None:
        return False
    if isinstance(resp, BaseFT) or hasattr(resp, '__ft__'):
        return True
    if isinstance(resp, (tuple, list)):
        return any(_is_content(o) for o in resp)
    return False


def _with_toasts(resp: Any, sess: Any, duration: int) -> Any:
    "`resp` with the session's queued toasts appended, or None to leave it as it is (no toasts, or not FT content)."
    if not sess or sk not in sess:
        return None
    if isinstance(resp, FtResponse):
        if not _is_content(resp.content):
            return None
        t = render_toasts(sess, duration)
        resp.content = (*flat_xt(resp.content if isinstance(resp.content, (tuple, list)) else (resp.content,)), t)
        return resp
    if not _is_content(resp):
        return None
    t = render_toasts(sess, duration)
    if isinstance(resp, (tuple, list)):
        return (*resp, t)
    return (resp, t)


def toast_after(resp: Any, req: Any, sess: Any) -> Any:
    """The after function `setup_toasts` installs (with its `duration`): appends queued toasts to FT responses.
    Redirects and other ready-made responses leave them queued for the next page."""
    return _with_toasts(resp, sess, 5000)


def setup_toasts(app: Any, duration: int = 5000) -> None:
    "Add toast styles and script to `app` and show queued toasts on each FT response (and `FtResponse`)."
    app.hdrs += [Style(toast_css), Script(toast_js)]
    if duration == 5000:
        app.after.append(toast_after)
        return

    def toast_after_duration(resp: Any, session: Any) -> Any:
        return _with_toasts(resp, session, duration)
    app.after.append(toast_after_duration)
