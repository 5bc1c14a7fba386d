"""A throwaway PostgreSQL server for the tests: `initdb` in a temporary folder, `postgres` on a free loopback port.

Debian's `postgresql` package (installed by `make test`) puts the server binaries in /usr/lib/postgresql/N/bin, out
of PATH: they are found there, or on PATH. PostgreSQL refuses to run as root, so when the tests run as root the
server runs as the `postgres` user the package creates (else `nobody`), in a folder handed to that user. The server
is the `postgres` process itself (no `pg_ctl` daemonising), so it is stopped by its PID: SIGINT (a fast shutdown),
then SIGKILL if it has not gone after a bounded wait; the folder is removed afterwards.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from redis_server import free_port

__all__ = ['PgServer', 'find_bin', 'start_postgres']

USER = 'fh'  # the database superuser initdb creates (trust authentication, loopback only)


def find_bin(name: str) -> str | None:
    "The path of PostgreSQL's `name` binary: on PATH, else in the newest /usr/lib/postgresql/N/bin."
    exe = shutil.which(name)
    if exe:
        return exe
    found = sorted(glob.glob(f'/usr/lib/postgresql/*/bin/{name}'),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return found[-1] if found else None


def _run_as() -> tuple[int, int] | None:
    "(uid, gid) of the unprivileged user to run the server as when we are root; None when we are not root."
    if os.geteuid() != 0:
        return None
    for name in ('postgres', 'nobody'):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        return pw.pw_uid, pw.pw_gid
    raise RuntimeError('running as root and there is neither a `postgres` nor a `nobody` user to run PostgreSQL as')


@dataclass
class PgServer:
    proc: subprocess.Popen
    port: int
    folder: Path
    log: Path
    databases: list[str] = field(default_factory=list)

    def url(self, dbname: str = 'postgres') -> str:
        "A SQLAlchemy URL for database `dbname` on this server (psycopg 3 driver)."
        return f'postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{dbname}'

    def create_database(self, dbname: str) -> str:
        "Create a fresh database `dbname` (dropping an old one of that name) and return its URL."
        import psycopg
        with psycopg.connect(host='127.0.0.1', port=self.port, user=USER, dbname='postgres', autocommit=True,
                             connect_timeout=10) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{dbname}"')
        return self.url(dbname)

    def stop(self) -> None:
        "Fast shutdown by PID (SIGINT), SIGKILL after 15 s; then remove the data folder."
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


def _ready(port: int) -> bool:
    import psycopg
    try:
        with psycopg.connect(host='127.0.0.1', port=port, user=USER, dbname='postgres', connect_timeout=2) as c:
            c.execute('SELECT 1')
        return True
    except psycopg.Error:
        return False


def start_postgres(timeout: float = 60.0) -> PgServer:
    "initdb a new cluster in a temporary folder and start `postgres` on a free 127.0.0.1 port; wait until it answers."
    initdb, postgres = find_bin('initdb'), find_bin('postgres')
    if not initdb or not postgres:
        raise RuntimeError('PostgreSQL is not installed: run `make postgresql` (Debian package `postgresql`)')
    folder = Path(tempfile.mkdtemp(prefix='fasthtml-pg-'))
    data = folder / 'data'
    ids = _run_as()
    kw: dict = dict(stdin=subprocess.DEVNULL, cwd=folder, start_new_session=True,
                    env={'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'LC_ALL': 'C', 'TZ': 'UTC'})
    if ids is not None:
        os.chown(folder, *ids)
        kw.update(user=ids[0], group=ids[1], extra_groups=[])
    log = folder / 'server.log'
    try:
        out = subprocess.run([initdb, '-D', str(data), '-U', USER, '--auth=trust', '-E', 'UTF8', '--locale=C',
                              '--no-sync'], capture_output=True, text=True, timeout=120, **kw)
        if out.returncode:
            raise RuntimeError(f'initdb failed:\n{out.stdout[-1500:]}\n{out.stderr[-1500:]}')
        for _ in range(3):
            port = free_port()
            with open(log, 'ab') as f:
                if ids is not None:
                    os.fchown(f.fileno(), *ids)
                proc = subprocess.Popen(
                    [postgres, '-D', str(data), '-p', str(port), '-c', 'listen_addresses=127.0.0.1',
                     '-c', 'unix_socket_directories=', '-c', 'fsync=off', '-c', 'full_page_writes=off',
                     '-c', 'max_connections=200', '-c', 'shared_buffers=32MB'],
                    stdout=f, stderr=subprocess.STDOUT, **kw)
            server = PgServer(proc, port, folder, log)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and proc.poll() is None:
                if _ready(port):
                    return server
                time.sleep(0.1)
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
            if 'Address already in use' not in log.read_text(errors='replace'):
                break
        raise RuntimeError(f'postgres did not start:\n{log.read_text(errors="replace")[-2000:]}')
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
