"""What the live component browser tests share (test_live_e2e.py, test_isolated_e2e.py): an example app served by
uvicorn, a page whose live socket is open, and the errors of ours a page logged."""
from pathlib import Path
from typing import Any

__all__ = ['EXAMPLES', 'OPEN_WAIT', 'serve_example', 'wait_open', 'open_live', 'our_errors']

EXAMPLES = Path(__file__).resolve().parents[2] / 'examples'
OPEN_WAIT = 30_000   # ms a socket may take to open: generous, the machine is shared


def serve_example(live_server: Any, name: str, tmp_path: Path, env: dict | None = None, timeout: float = 20.0) -> Any:
    "The example `examples/<name>.py` served by uvicorn (the `live_server` fixture), run in `tmp_path`."
    return live_server(f'{name}:app', cwd=tmp_path, env=env, args=('--app-dir', str(EXAMPLES)), timeout=timeout)


def wait_open(p: Any, n: int = 1, timeout: float = OPEN_WAIT) -> None:
    "Wait until page `p`'s live socket is open, having opened `n` times (the first open plus reconnects)."
    p.wait_for_function('n => window.fhLive && fhLive.opens >= n && document.documentElement.dataset.liveState '
                        '=== "open"', arg=n, timeout=timeout)


def open_live(new_page: Any, url: str) -> Any:
    "A page at `url` (in a browser context of its own: a session of its own) whose live socket is open."
    p = new_page()
    p.goto(url)
    wait_open(p)
    return p


def our_errors(new_page: Any, p: Any) -> list[str]:
    "Page errors, and console errors from the live client (widgets may log their own warnings)."
    return [e for e in new_page.log(p).errors if e.startswith('pageerror') or 'fasthtml live' in e]
