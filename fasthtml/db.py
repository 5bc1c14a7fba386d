"""Databases for apps: `database(path_or_url)` opens SQLite (fastlite) or PostgreSQL with the same table API.

    db = database('data/app.db')                          # SQLite through fastlite (the default; nothing to install)
    db = database('postgresql://user:pw@host/app')       # PostgreSQL: pip install "python-fasthtml[postgres]"
    todos = db.create(Todo)                               # then the same MiniDataAPI calls on either
    todos.insert(Todo(title='x')); todos(where='done = ?', where_args=[0], order_by='id'); todos[1]

A path (or `:memory:`) gives exactly what fastlite's `database` gives. A URL with a scheme (`postgresql://`,
`postgres://`, or any SQLAlchemy URL such as `postgresql+psycopg://`) gives a `SQLDatabase` (fasthtml._sqldb, on
fastsql, SQLAlchemy and psycopg), whose tables behave as fastlite's do: see that module for the details. SQLAlchemy
is imported only when a URL is opened, so apps on SQLite never load it. `fast_app(db='postgresql://...')` and
`Accounts(app, 'postgresql://...')` go through here too.
"""
from __future__ import annotations

import re
import sys
from dataclasses import field, make_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastcore.xtras import UNSET

if TYPE_CHECKING:
    from fastlite import NotFoundError

__all__ = ['DATABASE_URL_ENV', 'NotFoundError', 'database', 'is_url', 'ping', 'table_dataclass']


def __getattr__(name: str) -> Any:
    "fastlite's `NotFoundError`, imported on first use: fastlite loads only when an app uses SQLite (~30 ms)."
    if name == 'NotFoundError':
        from fastlite import NotFoundError
        globals()['NotFoundError'] = NotFoundError
        return NotFoundError
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


# The variable hosting platforms set; apps read it themselves (examples/todo_app.py does).
DATABASE_URL_ENV = 'DATABASE_URL'

SQLITE_BUSY_MS = 5000

_URL = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*://')


def is_url(target: Any) -> bool:
    "Whether `target` is a database URL (`scheme://...`) rather than a SQLite file path."
    return isinstance(target, str) and bool(_URL.match(target))


def database(path: Any, wal: bool = True, flags: Any = None, **kwargs: Any) -> Any:
    """Open a database. A file path (or ':memory:') gives fastlite's SQLite `Database`, as fastlite's `database(path,
    wal, flags)` does; a URL gives a `SQLDatabase` (`engine_kws=` for `sqlalchemy.create_engine`, e.g. `pool_size`)."""
    if is_url(path):
        if path.startswith('sqlite://'):  # sqlite:///data/app.db (a DATABASE_URL may say so): the file path
            return database(path[len('sqlite:///'):] or ':memory:', wal=wal, flags=flags)
        try:
            from ._sqldb import SQLDatabase
        except ImportError as e:
            raise ImportError(f'database({_redact(path)!r}) needs SQLAlchemy, fastsql and psycopg: '
                              f'pip install "python-fasthtml[postgres]" ({e})') from e
        return SQLDatabase(path, **kwargs)
    from ._sqlite import open_database  # fastlite's database, shared safely by threads (see fasthtml._sqlite)
    if str(path) != ':memory:':
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = open_database(path, wal=wal, flags=flags)
    # Several worker processes write to one file: a writer waits up to SQLITE_BUSY_MS for another's transaction to
    # end (fastlite's connection gives up after 100 ms, and the request fails with "database is locked").
    db.conn.set_busy_timeout(SQLITE_BUSY_MS)
    return db


def table_dataclass(tbl: Any, store: bool = True, suf: str = '') -> type:
    """The dataclass for the rows of table `tbl` (fastlite's or ours), as fastlite's `tbl.dataclass()` makes it: named
    after the table in title case, every column `type | None` defaulting to UNSET; stored as `tbl.cls` unless
    `store=False`. Built as a plain dataclass, marked as flexiclass marks it: fastlite's runs every row through
    fastcore's `make_nullable` __init__ wrapper, which looks the fields up on each call (about 5 µs a row) and, for
    these classes, whose defaults are all UNSET, changes nothing."""
    cols = tbl.columns_dict
    dc = make_dataclass(tbl.name.title() + suf, [(k, v | None, field(default=UNSET)) for k, v in cols.items()])
    dc._nullable = True  # type: ignore[attr-defined]  (flexiclass(dc) leaves it as it is)
    # Its __init__ only stores the fields: SQLDatabase tables fill rows holding exactly these fields directly.
    # (Interned, as the names its __init__ stores are: reading a record's fields then compares them by identity.)
    dc.__fasthtml_fields__ = tuple(sys.intern(k) if type(k) is str else k for k in cols)  # type: ignore[attr-defined]
    if store:
        tbl.cls = dc
    return dc


def ping(db: Any, timeout: float = 2.0) -> bool:
    "Whether database `db` (SQLite or a URL one) answers a trivial query; for readiness checks. Never raises."
    p = getattr(db, 'ping', None)
    if p is not None:
        return bool(p(timeout))
    try:
        db.execute('SELECT 1').fetchall()
        return True
    except Exception:  # noqa: BLE001 (ping never raises: any error is "not ready")
        return False


def _redact(url: str) -> str:
    "`url` without its password, for messages."
    return re.sub(r'(://[^:/@]*:)[^@]*@', r'\1***@', url)
