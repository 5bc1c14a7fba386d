"""Live reload: open pages reload themselves when the development server restarts after a code change.

How it works: every page gets a small script that opens a websocket to `/live-reload`. When uvicorn restarts
(`serve()` runs it with `reload=True`, watching the app's files), the socket closes; the script then tries to
reconnect every `reload_interval` milliseconds and, as soon as the new server answers, reloads the page.
"""
from __future__ import annotations

import logging
from typing import Any

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from ._deploy import workers_configured
from .components import Script
from .core import FastHTML

__all__ = ['FastHTMLWithLiveReload']

log = logging.getLogger('fasthtml.live_reload')

LIVE_RELOAD_PATH = '/live-reload'

# `{attempts}`, `{interval}` and `{path}` are filled in by `live_reload_script`. The script gives up after
# `attempts` failed reconnections or 30 seconds, whichever comes later, so a slow restart still reloads the page.
LIVE_RELOAD_SCRIPT = '''
(() => {
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '%(path)s';
    const interval = Math.max(%(interval)d, 50), maxTries = Math.max(%(attempts)d, Math.ceil(30000 / interval));
    let dropped = false, tries = 0;
    const connect = () => {
        const socket = new WebSocket(url);
        socket.onopen = () => {
            if (dropped) { location.reload(); return; }
            tries = 0;
        };
        socket.onclose = () => {
            dropped = true;
            if (++tries <= maxTries) setTimeout(connect, interval);
        };
    };
    connect();
})();
'''


def live_reload_script(reload_attempts: int = 1, reload_interval: int = 1000, path: str = LIVE_RELOAD_PATH) -> Any:
    "The `<script>` that reconnects to `path` after the server goes away and reloads the page when it is back."
    return Script(LIVE_RELOAD_SCRIPT % {'attempts': int(reload_attempts or 1),
                                        'interval': int(reload_interval or 1000), 'path': path})


async def _live_reload_ws(websocket: WebSocket) -> None:
    "Hold the connection open until the client leaves or the server shuts down (which closes it)."
    await websocket.accept()
    try:
        while True:
            msg = await websocket.receive()
            if msg['type'] == 'websocket.disconnect':
                return
    except WebSocketDisconnect:
        return


class FastHTMLWithLiveReload(FastHTML):
    """A `FastHTML` app whose pages reload when the server restarts (development only).

    Adds a websocket route at `/live-reload` and a script to every page's head. `reload_attempts` and
    `reload_interval` (ms) control how the page waits for the restarted server. Run it with `serve()`, which
    restarts uvicorn when a watched file changes. The route bypasses Beforeware, so a login redirect cannot
    turn the reconnection into a reload loop. Under several worker processes it is off (logged)."""

    def __init__(self, *args: Any, reload_attempts: int | None = 1, reload_interval: int | None = 1000,
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.reload_attempts = reload_attempts or 1
        self.reload_interval = reload_interval or 1000
        n = workers_configured()
        if n > 1:  # a deployment, not a development server: no reload script, no route (a restart must not reload)
            log.warning('live reload is off: the server runs %d worker processes (live=True is for development)', n)
            return
        self.hdrs.append(live_reload_script(self.reload_attempts, self.reload_interval))
        self.router.routes.insert(0, WebSocketRoute(LIVE_RELOAD_PATH, _live_reload_ws, name='live_reload'))
