"""DEPLOYMENT facts a worker process needs: how many workers the server runs, and whether they share one session key.

Under several worker processes (`serve(workers=N)`, `uvicorn app:app --workers N`, gunicorn `-w N`) every worker
builds its own app. Whatever a worker keeps in memory is its own, so the state users see must live where all workers
reach it: sessions and toasts in signed cookies (every worker must sign with the same key), broadcast and rate limits
in Redis (`FASTHTML_PUBSUB_URL`), data in the database. At startup each worker checks the one thing it can check
alone plus its siblings: that they all hold the same session key. A key made at random in each process
(`secret_key=secrets.token_hex()`) would log users out whenever a request lands on another worker; such a server
refuses to start, naming the fix.

The check compares a fingerprint of the key (an HMAC, never the key) through a small file named after the server
process that started the workers (its PID and start time), in a folder of the temp directory private to this user.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ['SHUTDOWN_TIMEOUT', 'WORKERS_ENV', 'KeyMismatchError', 'check_shared_key', 'serve_options',
           'workers_configured']

log = logging.getLogger('fasthtml.deploy')

WORKERS_ENV = 'FASTHTML_WORKERS'  # set by serve(workers=N), inherited by the workers uvicorn starts
SHUTDOWN_TIMEOUT = 30  # seconds serve() lets requests in flight finish after SIGTERM before cancelling them


def workers_configured() -> int:
    "How many worker processes the server was asked for: serve(workers=N), `--workers N`/`-w N`, or WEB_CONCURRENCY."
    env = os.environ.get(WORKERS_ENV, '')
    if env.isdigit():
        return int(env)
    argv = list(sys.argv)
    for i, a in enumerate(argv):
        for flag in ('--workers', '-w'):
            if a == flag and i + 1 < len(argv) and argv[i + 1].isdigit():
                return int(argv[i + 1])
            if a.startswith(flag + '=') and a[len(flag) + 1:].isdigit():
                return int(a[len(flag) + 1:])
    wc = os.environ.get('WEB_CONCURRENCY', '')
    return int(wc) if wc.isdigit() else 1


def serve_options(workers: int | None, reload: bool, kwargs: dict) -> bool:
    """Adjust `serve()`'s uvicorn options for `workers`; returns whether to reload. Several workers: no reload (uvicorn
    cannot do both), `FASTHTML_WORKERS` set for the workers to see. Always: graceful shutdown bounded by
    SHUTDOWN_TIMEOUT seconds unless `timeout_graceful_shutdown` is given."""
    kwargs.setdefault('timeout_graceful_shutdown', SHUTDOWN_TIMEOUT)
    if workers is None:
        return reload
    if type(workers) is not int or workers < 1:
        raise ValueError(f'serve(workers=...) takes a positive int, got {workers!r}')
    kwargs['workers'] = workers
    os.environ[WORKERS_ENV] = str(workers)
    if workers > 1 and reload:
        log.info('serve(workers=%d): reload is off (uvicorn reloads only a single process)', workers)
        return False
    return reload


class KeyMismatchError(RuntimeError):
    "Worker processes of one server hold different session keys."


def _server_id() -> str:
    "The process that started this worker (uvicorn's or gunicorn's supervisor): its PID and start time."
    ppid = os.getppid()
    start = ''
    try:
        stat = Path(f'/proc/{ppid}/stat').read_text()
        start = stat[stat.rindex(')') + 2:].split()[19]  # field 22, starttime, counting from the state field (3)
    except (OSError, ValueError, IndexError):
        pass
    return f'{ppid}-{start}'


def _folder() -> Path:
    d = Path(tempfile.gettempdir()) / f'fasthtml-keys-{os.getuid() if hasattr(os, "getuid") else "user"}'
    d.mkdir(mode=0o700, exist_ok=True)
    return d


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _prune(folder: Path) -> None:
    "Remove the files of servers that have ended."
    for f in folder.iterdir():
        pid = f.name.split('-', 1)[0]
        if pid.isdigit() and not _alive(int(pid)) and time.time() - f.stat().st_mtime > 60:
            f.unlink(missing_ok=True)


def check_shared_key(secret_key: str, workers: int | None = None) -> None:
    """At startup under several workers: raise KeyMismatchError if a sibling worker of this server holds another
    session key. Does nothing under one worker."""
    n = workers_configured() if workers is None else workers
    if n <= 1:
        return
    mine = hmac.new(secret_key.encode(), b'fasthtml shared key check', hashlib.sha256).hexdigest()
    try:
        folder = _folder()
        _prune(folder)
        path = folder / _server_id()
        theirs = _publish(path, mine)
    except OSError as e:  # no writable temp folder: the check cannot run, the app still can
        log.warning('could not check that the %d workers share one session key: %s', n, e)
        return
    if not hmac.compare_digest(theirs, mine):
        raise KeyMismatchError(
            f'The {n} worker processes of this server sign session cookies with different secret keys, so a session '
            'made by one worker is rejected by the others (users would be logged out whenever a request lands on '
            'another worker). A key generated at startup, such as secret_key=secrets.token_hex(), differs in every '
            'process. Give every worker the same key: secret_key=os.environ["SESSION_SECRET"] (the same value on '
            'every worker and host), or leave secret_key unset to share the key file (key_fname, default .sesskey).')


def _publish(path: Path, mine: str) -> str:
    "Write `mine` to `path` unless a sibling did first (atomically: temp file + link); return what the file holds."
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix='.tmp-')
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(mine)
        try:
            os.link(tmp, path)
            return mine
        except FileExistsError:
            return path.read_text().strip()
    finally:
        os.unlink(tmp)


def startup(app: Any) -> None:
    "Checks a worker runs when its app starts (lifespan startup)."
    key = getattr(app, 'secret_key', None)
    if isinstance(key, str):
        check_shared_key(key)
