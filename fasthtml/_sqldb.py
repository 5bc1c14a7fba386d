"""PostgreSQL behind the MiniDataAPI: fastsql's tables (SQLAlchemy) made to behave as fastlite's do for SQLite.

`fasthtml.db.database('postgresql://...')` returns a `SQLDatabase`. Its tables answer the same calls with the same
results as fastlite's: `db.create(cls)`, `t.insert/update/upsert/delete`, `t(where, where_args, order_by, limit,
offset, select, with_pk, as_cls, xtra)`, `t[pk]`, `pk in t`, `t.xtra(...)`, `db.q(sql, params)` and
`db.execute(sql, params)` with `?` or `:name` placeholders, fastlite's `NotFoundError`, and flexiclass dataclasses.

Where fastsql differs from fastlite, this module sides with fastlite:
- an `int` primary key is an identity column: `insert` without it (or with `None`) assigns the next id, and an
  explicit id moves the sequence past it, as SQLite's rowid does;
- `bool` columns store 0/1 integers (SQLite has no boolean type), so rows read back the same and raw SQL such as
  `WHERE done = 0` runs on both; Python `True`/`False` are sent as untyped '1'/'0', which fit integer and boolean
  columns alike; `int` columns are 64-bit like SQLite's; `dict`/`list` values are stored as JSON text and dates as
  ISO strings, as fastlite stores them;
- `delete` returns the table, a missing row raises fastlite's `NotFoundError`, `upsert` without its primary key a
  `KeyError`, and `t()` without `order_by` lists rows in primary-key order (SQLite lists them in rowid order);
- every statement commits on its own (autocommit, as fastlite does): a failed statement leaves nothing half done and
  never poisons the connection for the next request;
- each call borrows a connection from a bounded pool and returns it, so handlers in many threads (and the event loop)
  can share one database object; fastsql's single shared connection could not be used from two threads at once.

The request path (the calls above) sends SQL strings built once per table and column set straight to psycopg, without
SQLAlchemy's statement compiler; SQLAlchemy runs the pool, reflection and DDL (creating and altering tables).
Two differences remain visible: PostgreSQL's `LIKE` is case-sensitive (SQLite's is not, for ASCII), and an `xtra`
filter is combined with a `where` in parentheses (fastlite joins them without, so `a or b` escaped the filter).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import re
import threading
import time
import typing
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import MISSING
from enum import Enum
from typing import Any

import sqlalchemy as sa
import sqlalchemy.event
from fastcore.basics import camel2snake, listify
from fastcore.xtras import asdict, flexiclass
from fastlite import NotFoundError
from fastsql.core import UNSET, DBTable, get_typ
from fastsql.core import Database as _FsDatabase
from psycopg.adapt import Dumper
from psycopg.pq import Format
from sqlalchemy import exc as sa_exc

from ._rows import direct_fields, row_dicts, row_objects

__all__ = ['SQLDatabase', 'SQLTable', 'engine_url', 'qmark_to_pyformat']


# ---------------------------------------------------------------------------------------------------------------
# Connections and placeholders

class _BoolDumper(Dumper):
    "Python bools as untyped '1'/'0': PostgreSQL reads them as integers or booleans, whichever the column is."
    oid = 0
    format = Format.TEXT

    def dump(self, obj: Any) -> bytes:
        return b'1' if obj else b'0'


def engine_url(url: str) -> str:
    "`postgresql://` and `postgres://` URLs name the psycopg (3) driver; other URLs are left as they are."
    for scheme in ('postgresql://', 'postgres://'):
        if url.startswith(scheme):
            return 'postgresql+psycopg://' + url[len(scheme):]
    return url


_PLACEHOLDER = re.compile(r"""('(?:[^']|'')*'|"(?:[^"]|"")*"|::|%|\?|(?<![:\w]):([A-Za-z_]\w*))""")
_converted: dict[tuple[str, bool], tuple[str, tuple[str, ...]]] = {}


def qmark_to_pyformat(sql: str, named: bool) -> tuple[str, tuple[str, ...]]:
    """`sql` with fastlite's placeholders turned into psycopg's: `?` -> `%s` (or `:name` -> `%(name)s` when `named`),
    and a literal `%` doubled, outside and inside quoted strings; returns the SQL and the names it binds."""
    key = (sql, named)
    hit = _converted.get(key)
    if hit is not None:
        return hit
    names: list[str] = []

    def sub(m: re.Match) -> str:
        tok = m.group(1)
        if tok[0] in '\'"':
            return tok.replace('%', '%%')
        if tok == '%':
            return '%%'
        if tok == '?':
            return '%s' if not named else tok
        if tok == '::':
            return tok
        if named:
            names.append(m.group(2))
            return f'%({m.group(2)})s'
        return tok
    res = (_PLACEHOLDER.sub(sub, sql), tuple(names))
    if len(_converted) > 2048:  # user SQL strings are few; a runaway generator of distinct strings is bounded
        _converted.clear()
    _converted[key] = res
    return res


def _params(sql: str, params: Any) -> tuple[str, Any]:
    "The SQL and parameters for psycopg, from fastlite-style ones (a sequence for `?`, a dict for `:name`)."
    if params is None or (not isinstance(params, dict) and len(params) == 0):
        return sql, None
    if isinstance(params, dict):
        return qmark_to_pyformat(sql, True)[0], params
    return qmark_to_pyformat(sql, False)[0], tuple(params)


def _value(v: Any) -> Any:
    "A value as fastlite stores it: enums by value, containers as JSON, dates and times as ISO strings."
    if isinstance(v, Enum):
        v = v.value
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(v)
    if isinstance(v, (_dt.date, _dt.time)):  # datetime is a date
        return v.isoformat()
    return v


def _process_row(row: Any) -> dict:
    "A record (dict, dataclass, plain object) as a dict of the fields that are set (UNSET fields left out)."
    if row is None:
        return {}
    flds = direct_fields(type(row))
    if flds is not None and tuple(row.__dict__) == flds:
        d = row.__dict__  # a table_dataclass row: its fields are its __dict__ (asdict would deep-copy each value)
    else:
        d = row if isinstance(row, dict) else asdict(row)
    return {k: v for k, v in d.items() if v is not UNSET}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_SA_TYPES: dict[type, Any] = {int: sa.BigInteger, bool: sa.Integer, float: sa.Float, str: sa.Text,
                              bytes: sa.LargeBinary}


def _sa_type(typ: Any) -> Any:
    t = get_typ(typ)
    return _SA_TYPES.get(t, sa.Text) if isinstance(t, type) else sa.Text


# ---------------------------------------------------------------------------------------------------------------
# The database

class SQLDatabase(_FsDatabase):
    """A PostgreSQL database (any SQLAlchemy URL) with fastlite's API. Thread-safe: every call borrows a pooled
    connection in autocommit mode. `engine_kws` go to `sqlalchemy.create_engine` (e.g. `pool_size`)."""

    def __init__(self, url: str, engine_kws: dict | None = None) -> None:
        # fastsql's __init__ reflects every table and opens one connection shared by all callers: not here.
        self.conn_str = url
        # Autocommit leaves no transaction open between calls, so a connection going back to the pool needs no
        # rollback (reset_on_return=None saves a lock and a round of psycopg's state machine per call).
        kw: dict = dict(isolation_level='AUTOCOMMIT', pool_size=5, max_overflow=45, pool_timeout=30,
                        pool_recycle=3600, pool_reset_on_return=None)
        kw.update(engine_kws or {})
        self.engine = sa.create_engine(engine_url(url), **kw)
        self.is_postgres = self.engine.dialect.name == 'postgresql'
        if self.is_postgres:
            sqlalchemy.event.listen(self.engine, 'connect', _on_connect)
        self.meta = sa.MetaData()
        self._tables: dict[str, SQLTable] = {}
        self._ddl = threading.RLock()
        self._local = threading.local()
        self._pool = _Pool.for_engine(self.engine, kw) if self.is_postgres else _EnginePool(self.engine)
        _after_fork.add(self)

    def __repr__(self) -> str:
        return f'SQLDatabase({self.engine.url.render_as_string(hide_password=True)})'

    # -- running SQL
    def _run(self, sql: str, params: Any = None, fetch: bool = True, retry: bool = False) -> list[dict]:
        """Run one statement on a pooled connection; rows as dicts when `fetch`. A read (`retry`) that finds its
        connection broken (the server restarted) runs once more on a fresh one."""
        names, rows = self._run_raw(sql, params, fetch, retry)
        return row_dicts(names, rows) if rows else []

    def _run_raw(self, sql: str, params: Any = None, fetch: bool = True,
                 retry: bool = False) -> tuple[list[str], list[tuple]]:
        "`_run`, giving the column names and the rows as tuples."
        pool = self._pool
        for attempt in (0, 1):
            item = pool.get()
            conn = item[0]
            try:
                cur = conn.cursor()
                cur.execute(sql, params)
                res = cur.pgresult if self.is_postgres else None
                if res is not None:  # column names straight from the result (cheaper than `description`)
                    if not fetch or not res.nfields:
                        names: list[str] = []
                        rows: list = []
                    else:
                        names = [res.fname(i).decode() for i in range(res.nfields)]
                        rows = cur.fetchall()
                elif not fetch or cur.description is None:
                    names, rows = [], []
                else:
                    names = [d[0] for d in cur.description]
                    rows = cur.fetchall()
            except BaseException:
                if _broken(conn):
                    pool.drop(item)
                    if retry and attempt == 0:
                        continue
                else:
                    pool.put(item)
                raise
            pool.put(item)
            return names, rows
        raise AssertionError('unreachable')

    def _run_many(self, sql: str, rows: list[tuple]) -> list[dict]:
        "Run `sql` once per parameter tuple in one transaction; the RETURNING rows of all of them."
        rc = self.engine.raw_connection()
        try:
            conn = rc.driver_connection
            out: list[dict] = []
            with conn.transaction():  # type: ignore[union-attr]
                cur = conn.cursor()  # type: ignore[union-attr]
                cur.executemany(sql, rows, returning=True)
                while True:
                    if cur.description is not None:
                        names = [d[0] for d in cur.description]
                        out.extend(dict(zip(names, r, strict=True)) for r in cur.fetchall())
                    if not cur.nextset():
                        break
            return out
        except BaseException:
            if _broken(rc):
                rc.invalidate()
            raise
        finally:
            rc.close()

    def q(self, sql: str, params: Any = None) -> list[dict]:  # type: ignore[override]
        "Run `sql` (placeholders `?` with a sequence, or `:name` with a dict) and return the rows as dicts."
        s, p = _params(sql, params)
        return self._run(s, p)

    def execute(self, sql: Any, params: Any = None, opts: Any = None) -> Any:  # type: ignore[override]
        "Run a statement (`?`/`:name` placeholders as in `q`); a SQLAlchemy construct goes through SQLAlchemy."
        if not isinstance(sql, str):
            with self.engine.connect() as c:
                return c.execute(sql, params, execution_options=opts)
        s, p = _params(sql, params)
        return self._run(s, p, fetch=True)

    def ping(self, timeout: float = 2.0) -> bool:
        "True if the server answers `SELECT 1` within `timeout` seconds (for readiness checks); never raises."
        try:
            rc = self.engine.raw_connection()
        except Exception:  # noqa: BLE001 (ping never raises: no connection is "not ready")
            return False
        try:
            cur = rc.cursor()
            if self.is_postgres:
                cur.execute(f'SET statement_timeout = {max(1, int(timeout * 1000))}')
            cur.execute('SELECT 1')
            cur.fetchall()
            if self.is_postgres:
                cur.execute('SET statement_timeout = 0')
            return True
        except Exception:  # noqa: BLE001 (ping never raises: any error is "not ready")
            if _broken(rc):
                rc.invalidate()
            return False
        finally:
            rc.close()

    @property
    def conn(self) -> sa.Connection:  # type: ignore[override]
        "A SQLAlchemy connection of this thread, for the fastsql methods not redone here (`migrate`, views...)."
        c = getattr(self._local, 'conn', None)
        if c is None or c.closed:
            c = self._local.conn = self.engine.connect()
        return c

    def close(self) -> None:
        "Close every pooled connection (at server shutdown); the database object still works afterwards."
        c = getattr(self._local, 'conn', None)
        if c is not None:
            c.close()
        self._pool.close()
        self.engine.dispose()

    # -- tables
    def table(self, nm: str, cls: Any = None) -> SQLTable:  # type: ignore[override]
        "The table `nm` (reflected when it exists; created by its first `create`)."
        t = self._tables.get(nm)
        if t is not None:
            if cls is not None:
                t.cls = cls
            return t
        with self._ddl:
            t = self._tables.get(nm)
            if t is None:
                exists = sa.inspect(self.engine).has_table(nm)
                tbl = sa.Table(nm, self.meta, autoload_with=self.engine) if exists else sa.Table(nm, self.meta)
                t = self._tables[nm] = SQLTable(tbl, self, cls, _exists=exists)
            elif cls is not None:
                t.cls = cls
        return t

    def __getitem__(self, nm: str) -> SQLTable:  # type: ignore[override]
        return self.table(nm)

    def create(self, cls: Any = None, name: str | None = None, pk: Any = 'id', foreign_keys: Any = None,  # type: ignore[override]
               defaults: dict | None = None, column_order: Any = None, not_null: Iterable[str] | None = None,
               hash_id: Any = None, hash_id_columns: Any = None, extracts: Any = None, if_not_exists: bool = False,
               replace: bool = False, ignore: bool = True, transform: bool = False, strict: bool = False) -> SQLTable:
        "Create (or open) the table for class `cls` (name: the class name in snake case), as fastlite's `db.create`."
        flexiclass(cls)
        if name is None:
            name = camel2snake(cls.__name__)
        try:
            hints = typing.get_type_hints(cls)
        except Exception:  # noqa: BLE001 (an annotation that does not resolve: its text, a TEXT column)
            hints = {}
        cols = {f: hints.get(f, fd.type) for f, fd in cls.__dataclass_fields__.items()}
        t = self.table(name)
        t.create(cols, pk=pk, not_null=not_null, defaults=defaults,
                 if_not_exists=if_not_exists, replace=replace, ignore=ignore, transform=transform)
        t.cls = cls
        return t

    def table_names(self) -> list[str]:  # type: ignore[override]
        "Names of the tables in the database (its default schema)."
        return sa.inspect(self.engine).get_table_names()

    @contextlib.contextmanager
    def _ddl_conn(self, key: str) -> Iterator[sa.Connection]:
        """A connection for creating or altering table `key`, held by one thread and (on PostgreSQL, through a
        session advisory lock) one process at a time, so workers starting together do not create a table twice."""
        with self._ddl, self.engine.connect() as c:
            n = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], 'big', signed=True)
            if self.is_postgres:
                c.execute(sa.text('SELECT pg_advisory_lock(:n)'), {'n': n})
            try:
                yield c
            finally:
                if self.is_postgres:
                    c.execute(sa.text('SELECT pg_advisory_unlock(:n)'), {'n': n})


def _on_connect(dbapi_conn: Any, record: Any) -> None:
    dbapi_conn.adapters.register_dumper(bool, _BoolDumper)


def _broken(rc: Any) -> bool:
    "Whether a pooled connection (ours, or SQLAlchemy's) can no longer be used (the server went away, or the socket "
    "broke)."
    conn = getattr(rc, 'driver_connection', rc)
    return conn is None or bool(getattr(conn, 'closed', False)) or bool(getattr(conn, 'broken', False))


class _Pool:
    """psycopg connections for the request path. Taking one and giving it back is a list pop and an append under an
    uncontended lock (SQLAlchemy's QueuePool cost ~6 µs and a round of events per statement); at most `size` are open
    at once, a caller waits up to `timeout` s for one beyond that; a connection older than `recycle` s is replaced when
    taken, one that broke or is not idle is closed when given back. Items are (connection, time opened)."""

    def __init__(self, connect: Any, size: int, timeout: float, recycle: float) -> None:
        self._connect, self.size, self.timeout, self.recycle = connect, size, timeout, recycle
        self._free: list[tuple[Any, float]] = []
        self._open = 0
        self._waiting = 0
        self._cond = threading.Condition(threading.Lock())

    @classmethod
    def for_engine(cls, engine: sa.Engine, kw: dict) -> _Pool:
        "A pool opening the connections `engine` would open (same arguments and adapters), in autocommit mode."
        import psycopg
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        recycle = kw.get('pool_recycle', -1)

        def connect() -> Any:
            conn = psycopg.connect(*cargs, **{**cparams, 'autocommit': True})
            _on_connect(conn, None)
            return conn
        return cls(connect, max(1, int(kw.get('pool_size', 5)) + max(0, int(kw.get('max_overflow', 10)))),
                   float(kw.get('pool_timeout', 30)), float(recycle) if recycle and recycle > 0 else float('inf'))

    def get(self) -> tuple[Any, float]:
        "A connection (and when it was opened), opening one or waiting for one as needed."
        while True:
            try:
                item = self._free.pop()
            except IndexError:
                item = self._wait_or_open()
            if not item[0].pgconn.status and time.monotonic() - item[1] < self.recycle:  # status 0: CONNECTION_OK
                return item
            self.drop(item)

    def _wait_or_open(self) -> tuple[Any, float]:
        deadline = time.monotonic() + self.timeout
        with self._cond:
            while True:
                if self._free:
                    return self._free.pop()
                if self._open < self.size:
                    self._open += 1
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise sa_exc.TimeoutError(f'all {self.size} database connections are in use; none came back '
                                              f'within {self.timeout:g} s')
                self._waiting += 1
                try:
                    self._cond.wait(left)
                finally:
                    self._waiting -= 1
        try:
            return self._connect(), time.monotonic()
        except BaseException:
            with self._cond:
                self._open -= 1
                self._cond.notify()
            raise

    def put(self, item: tuple[Any, float]) -> None:
        "Give a connection back (closed instead if it broke or was left in a transaction or a COPY)."
        conn = item[0]
        pg = conn.pgconn
        if pg.transaction_status or pg.status or conn.broken:  # not IDLE, not CONNECTION_OK, or the socket broke
            self.drop(item)
            return
        cond = self._cond
        with cond:
            self._free.append(item)
            if self._waiting:
                cond.notify()

    def drop(self, item: tuple[Any, float]) -> None:
        "Close a connection that will not be used again."
        with contextlib.suppress(Exception):
            item[0].close()
        with self._cond:
            self._open -= 1
            self._cond.notify()

    def close(self) -> None:
        "Close the idle connections (those in use are closed when they come back... or used until then)."
        with self._cond:
            free, self._free = self._free, []
        for item in free:
            self.drop(item)

    def forget(self) -> None:
        "In a forked child: the parent's connections are not ours to use (nor to close: the parent still uses them)."
        self._free = []
        self._open = 0
        self._waiting = 0
        self._cond = threading.Condition(threading.Lock())


class _EnginePool:
    "The same interface over SQLAlchemy's own pool, for databases other than PostgreSQL."

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def get(self) -> tuple[Any, float]:
        return self.engine.raw_connection(), 0.0

    def put(self, item: tuple[Any, float]) -> None:
        item[0].close()

    def drop(self, item: tuple[Any, float]) -> None:
        item[0].invalidate()
        item[0].close()

    def close(self) -> None:
        pass

    def forget(self) -> None:
        pass


class _Databases(weakref.WeakSet):
    "Live databases; a forked child must not use the parent's pooled sockets (gunicorn --preload, multiprocessing)."

    def reset(self) -> None:
        for db in list(self):
            db.engine.dispose(close=False)
            db._pool.forget()
            db._local = threading.local()


_after_fork = _Databases()
if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_after_fork.reset)


# ---------------------------------------------------------------------------------------------------------------
# Tables

class SQLTable(DBTable):
    "A table of a `SQLDatabase`, with fastlite's semantics (see the module docstring)."

    db: SQLDatabase

    def __init__(self, table: sa.Table, db: SQLDatabase, cls: Any, _exists: bool | None = None) -> None:
        self.table, self.db, self.cls, self._exists = table, db, cls, _exists
        self.xtra_id: dict = {}
        self.result: list = []
        self.last_pk: Any = None
        self._prep()

    def _prep(self) -> None:
        "SQL pieces and facts about the columns, computed when the table is opened, created or altered."
        t = self.table
        self.name = t.name
        self._qname = _q(t.name)
        self._pks = [c.name for c in t.primary_key.columns]
        self._cols = set(t.columns.keys())
        auto = None
        if len(self._pks) == 1:
            col = t.columns[self._pks[0]]
            if isinstance(col.type, sa.Integer):
                auto = col.name
        self._auto = auto
        self._order = ', '.join(_q(p) for p in self._pks)
        self._sql: dict[Any, str] = {}

    def __repr__(self) -> str:
        if not self._exists:
            return f'<Table {self.table.name} (does not exist yet)>'
        return f"<Table {self.table.name} ({', '.join(self.table.columns.keys())})>"

    @property
    def pks(self) -> list[str]:  # type: ignore[override]
        "The primary key column names."
        return list(self._pks)

    # -- schema
    def exists(self) -> bool:  # type: ignore[override]
        "Whether the table exists in the database."
        return bool(self._exists)

    def create(self, columns: dict | None = None, pk: Any = None, foreign_keys: Any = None,  # type: ignore[override]
               column_order: Any = None, not_null: Iterable[str] | None = None, defaults: dict | None = None,
               hash_id: Any = None, hash_id_columns: Any = None, extracts: Any = None, if_not_exists: bool = False,
               replace: bool = False, ignore: bool = False, transform: bool = False, strict: bool = False,
               **kwargs: Any) -> SQLTable:
        """Create the table from `{'name': type}` columns (and keyword columns), as fastlite's `table.create`: an
        existing table is left alone with `ignore`/`if_not_exists`, gains the missing columns with `transform`, is
        dropped and made again with `replace`, and is an error otherwise."""
        columns = {**(columns or {}), **kwargs}
        if not columns:
            raise ValueError('No columns specified for table creation')
        if pk is None:
            pk = 'id' if 'id' in columns else next(iter(columns))
        pks = listify(pk)
        nn = set(listify(not_null)) if not_null else set()
        defaults = defaults or {}
        db = self.db
        with db._ddl_conn(self.table.name) as c:
            insp = sa.inspect(c)
            exists = insp.has_table(self.table.name)
            if exists and replace:
                c.execute(sa.text(f'DROP TABLE {_q(self.table.name)}'))
                exists = False
            if exists:
                if not (ignore or if_not_exists or transform):
                    raise ValueError(f'Table {self.table.name} already exists')
                if transform:
                    have = {col['name'] for col in insp.get_columns(self.table.name)}
                    for nm, typ in columns.items():
                        if nm not in have:
                            coltype = _sa_type(typ)().compile(dialect=c.dialect)
                            c.execute(sa.text(f'ALTER TABLE {_q(self.table.name)} ADD COLUMN {_q(nm)} {coltype}'))
            else:
                cols = [_column(nm, typ, nm in pks, len(pks) == 1, nm in nn, defaults.get(nm, MISSING))
                        for nm, typ in columns.items()]
                new = sa.Table(self.table.name, sa.MetaData(), *cols)
                new.create(c)
            self._reflect(c)
        return self

    def _reflect(self, c: Any) -> None:
        if self.table.name in self.db.meta.tables:
            self.db.meta.remove(self.table)
        self.table = sa.Table(self.table.name, self.db.meta, autoload_with=c)
        self._exists = True
        self._prep()

    def add_missing_columns(self, record: dict) -> None:
        "Add columns for the keys of `record` the table lacks (type from the value), as `insert(..., alter=True)`."
        missing = {k: type(v) if v is not None else str for k, v in record.items() if k not in self._cols}
        if missing:
            self.create(missing, pk=self._pks or None, transform=True)

    def drop(self, ignore: bool = False) -> None:  # type: ignore[override]
        "Drop the table (`ignore`: no error when it does not exist)."
        try:
            self.db._run(f'DROP TABLE {self._qname}', fetch=False)
        except Exception:
            if not ignore:
                raise
        self._exists = False
        self.db._tables.pop(self.table.name, None)
        if self.table.name in self.db.meta.tables:
            self.db.meta.remove(self.table)

    # -- reading
    def dataclass(self, store: bool = True, suf: str = '') -> type:  # type: ignore[override]
        "The dataclass of this table's rows, as fastlite makes it (see fasthtml.db.table_dataclass)."
        from .db import table_dataclass
        return table_dataclass(self, store=store, suf=suf)

    @property
    def columns_dict(self) -> dict[str, type]:
        "Column names and their Python types."
        out = {}
        for c in self.table.columns:
            try:
                out[c.name] = c.type.python_type
            except NotImplementedError:
                out[c.name] = str
        return out

    def _obj(self, row: dict, as_cls: bool = True) -> Any:
        cls = self.cls
        if not (as_cls and cls):
            return row
        if direct_fields(cls) == tuple(row):  # a table_dataclass holding exactly its fields: what __init__ would do
            o = object.__new__(cls)
            o.__dict__ = row
            return o
        return cls(**row)

    def _where(self, where: str | None, where_args: Any, xtra: dict) -> tuple[str, Any]:
        "A WHERE clause (or '') and its parameters, from a fastlite `where`/`where_args` and the `xtra` filter."
        named = isinstance(where_args, dict)
        if named:
            params: Any = dict(where_args)
            for i, v in enumerate(xtra.values()):
                params[f'_xtra{i}'] = _value(v)
        else:
            params = [_value(v) for v in xtra.values()] + list(where_args or ())
        key = ('where', where, named, tuple(xtra), bool(params))
        clause = self._sql.get(key)
        if clause is None:
            if named:
                parts = [f'{_q(k)} = %(_xtra{i})s' for i, k in enumerate(xtra)]
            else:
                parts = [f'{_q(k)} = %s' for k in xtra]
            if where:
                # With parameters, psycopg reads `%` as a placeholder: the fragment's own `%` are doubled.
                parts.append(f'({qmark_to_pyformat(where, named)[0] if params else where})')
            clause = ' WHERE ' + ' AND '.join(parts) if parts else ''
            self._cache(key, clause)
        return clause, (params or None)

    def _cache(self, key: Any, sql: str) -> None:
        "Remember a piece of SQL for this call shape (where texts come from code, so they are few; bounded anyway)."
        if len(self._sql) > 1024:
            self._sql.clear()
        self._sql[key] = sql

    def _select(self, where: str | None, where_args: Any, order_by: str | None, select: str, limit: int | None,
                offset: int | None, xtra: dict) -> tuple[str, Any]:
        "The SELECT statement (made once per call shape) and its parameters."
        w, p = self._where(where, where_args, xtra)
        key = ('select', w, order_by, select, limit, offset)
        sql = self._sql.get(key)
        if sql is None:
            sql = f'SELECT {select} FROM {self._qname}{w}'
            order = order_by or self._order
            if order:
                sql += f' ORDER BY {order}'
            if limit is not None:
                sql += f' LIMIT {int(limit)}'
            if offset is not None:
                sql += f' OFFSET {int(offset)}'
            self._cache(key, sql)
        return sql, p

    def rows_where(self, where: str | None = None, where_args: Any = None, order_by: str | None = None,  # type: ignore[override]
                   select: str = '*', limit: int | None = None, offset: int | None = None, xtra: dict | None = None,
                   **kw: Any) -> list[dict]:
        "Rows matching `where` as dicts (fastlite's `rows_where`, with `xtra` applied)."
        sql, p = self._select(where, where_args, order_by, select, limit, offset,
                              xtra if xtra is not None else self.xtra_id)
        return self.db._run(sql, p, retry=True)

    def __call__(self, where: str | None = None, where_args: Any = None, order_by: str | None = None,  # type: ignore[override]
                 limit: int | None = None, offset: int | None = None, select: str = '*', with_pk: bool = False,
                 as_cls: bool = True, xtra: dict | None = None, **kwargs: Any) -> list:
        "Rows matching `where` (`?` placeholders with a sequence, `:name` with a dict), as dataclasses by default."
        conv = self.cls if as_cls and self.cls else None
        if with_pk:
            rows = self.rows_where(where, where_args, order_by, select, limit, offset, xtra or self.xtra_id)
            pks = self._pks
            return [(r[pks[0]] if len(pks) == 1 else tuple(r[k] for k in pks), conv(**r) if conv else r)
                    for r in rows]
        sql, p = self._select(where, where_args, order_by, select, limit, offset, xtra or self.xtra_id)
        names, tuples = self.db._run_raw(sql, p, retry=True)
        if not tuples:
            return []
        # Rows straight from the result tuples (objects of a table_dataclass filled as its __init__ would)
        return row_objects(conv, names, tuples) if conv is not None else row_dicts(names, tuples)

    def selectone(self, where: str | None = None, where_args: Any = None, select: str = '*',  # type: ignore[override]
                  as_cls: bool = True, xtra: dict | None = None, **kwargs: Any) -> Any:
        "The one row matching `where`: `NotFoundError` for none, `ValueError` for several."
        res = self(where=where, where_args=where_args, select=select, as_cls=as_cls, xtra=xtra, limit=2)
        if not res:
            raise NotFoundError
        if len(res) > 1:
            raise ValueError(f'Not unique: {len(res)} results')
        return res[0]

    def _pk_where(self, pk_values: Any, xtra: dict) -> tuple[str, list]:  # type: ignore[override]
        "WHERE clause and parameters selecting one row by primary key (and the xtra filter); NotFoundError if the "
        "number of values is wrong."
        if not isinstance(pk_values, (list, tuple)):
            pk_values = [pk_values]
        vals = [*pk_values, *(_value(v) for v in xtra.values())]
        if len(self._pks) + len(xtra) != len(vals):
            raise NotFoundError(f'Need {len(self._pks) + len(xtra)} pk')
        key = ('pk', tuple(xtra))
        w = self._sql.get(key)
        if w is None:
            w = ' WHERE ' + ' AND '.join(f'{_q(c)} = %s' for c in [*self._pks, *xtra])
            self._cache(key, w)
        return w, vals

    def get(self, pk_values: Any, as_cls: bool = True, xtra: dict | None = None,  # type: ignore[override]
            default: Any = UNSET) -> Any:
        "The row with primary key `pk_values` (a value, or a list/tuple for a compound key), else NotFoundError."
        w, p = self._pk_where(pk_values, xtra or self.xtra_id)
        rows = self.db._run(f'SELECT * FROM {self._qname}{w} LIMIT 1', p, retry=True)
        if not rows:
            if default is UNSET:
                raise NotFoundError()
            return default
        pv = pk_values if isinstance(pk_values, (list, tuple)) else [pk_values]
        self.last_pk = pv[0] if len(self._pks) == 1 else pv
        return self._obj(rows[0], as_cls)

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        return self.get(key)

    def __contains__(self, pk_values: Any) -> bool:  # type: ignore[override]
        try:
            self.get(pk_values)
            return True
        except NotFoundError:
            return False

    def count_where(self, where: str | None = None, where_args: Any = None, **kw: Any) -> int:  # type: ignore[override]
        "How many rows match `where` (the xtra filter applies)."
        w, p = self._where(where, where_args, self.xtra_id)
        return int(self.db._run(f'SELECT count(*) AS n FROM {self._qname}{w}', p, retry=True)[0]['n'])

    @property
    def count(self) -> int:  # type: ignore[override]
        "How many rows the table has (the xtra filter applies)."
        return self.count_where()

    # -- writing
    def _bump(self, rec: dict) -> None:
        "After an explicit id went into an identity column: move its sequence past it (forward only), as SQLite would."
        if self._auto and rec.get(self._auto) is not None and self.db.is_postgres:
            sql = self._sql.get('bump')
            if sql is None:
                sql = self._sql['bump'] = (
                    f'SELECT setval(s, m) FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass AS s, '
                    f'(SELECT max({_q(self._auto)}) FROM {self._qname}) AS m) x '
                    f'WHERE s IS NOT NULL AND m > COALESCE(pg_sequence_last_value(s), 0)')
            self.db._run(sql, [self._qname, self._auto])

    def _record(self, record: Any, kwargs: dict, alter: Any) -> dict:
        rec = {**_process_row(record), **kwargs}
        if not rec:
            return rec
        rec = {**rec, **self.xtra_id}
        if self._auto and self._auto in rec and rec[self._auto] is None:
            del rec[self._auto]  # SQLite gives NULL in an INTEGER PRIMARY KEY the next id
        if alter is True:
            self.add_missing_columns(rec)
        return rec

    def _insert_sql(self, cols: tuple[str, ...], conflict: str) -> str:
        key = ('insert', cols, conflict)
        sql = self._sql.get(key)
        if sql is None:
            if cols:
                sql = (f'INSERT INTO {self._qname} ({", ".join(map(_q, cols))}) '
                       f'VALUES ({", ".join(["%s"] * len(cols))})')
            else:
                sql = f'INSERT INTO {self._qname} DEFAULT VALUES'
            pk = ', '.join(map(_q, self._pks))
            rest = [c for c in cols if c not in self._pks]
            if conflict == 'update' and self._pks:
                sql += f' ON CONFLICT ({pk}) DO ' + (
                    'UPDATE SET ' + ', '.join(f'{_q(c)} = EXCLUDED.{_q(c)}' for c in rest) if rest else 'NOTHING')
            elif conflict == 'ignore':
                sql += ' ON CONFLICT DO NOTHING'
            sql += ' RETURNING *'
            self._sql[key] = sql
        return sql

    def insert(self, record: Any = None, pk: Any = None, foreign_keys: Any = None, column_order: Any = None,  # type: ignore[override]
               not_null: Any = None, defaults: Any = None, hash_id: Any = None, hash_id_columns: Any = None,
               alter: Any = None, ignore: Any = None, replace: Any = None, extracts: Any = None,
               conversions: Any = None, columns: Any = None, strict: Any = None, **kwargs: Any) -> Any:
        """Insert a record (dict, dataclass or object, plus keyword fields) and return the stored row; an `int`
        primary key left out (or None) gets the next id. `replace=True` overwrites a row with the same key,
        `ignore=True` keeps it."""
        rec = self._record(record, kwargs, alter)
        if not rec:
            return {}
        cols = tuple(rec)
        conflict = 'update' if replace is True else 'ignore' if ignore is True else ''
        rows = self.db._run(self._insert_sql(cols, conflict), [_value(v) for v in rec.values()])
        self._bump(rec)
        if not rows:  # ignored: the row that was already there
            return self.get([rec[k] for k in self._pks]) if all(k in rec for k in self._pks) else {}
        row = rows[0]
        self.result = [row]
        self.last_pk = row[self._pks[0]] if len(self._pks) == 1 else [row[k] for k in self._pks]
        return self._obj(row)

    def insert_all(self, records: Any = None, pk: Any = None, foreign_keys: Any = None,  # type: ignore[override]
                   column_order: Any = None, not_null: Any = None, defaults: Any = None, batch_size: Any = None,
                   hash_id: Any = None, hash_id_columns: Any = None, alter: Any = None, ignore: Any = None,
                   replace: Any = None, truncate: bool = False, extracts: Any = None, conversions: Any = None,
                   columns: Any = None, strict: Any = None, upsert: bool = False, analyze: bool = False,
                   xtra: dict | None = None, **kwargs: Any) -> SQLTable:
        "Insert many records in one transaction; the stored rows are left in `.result`. Returns the table."
        recs = [r for r in (self._record(o, {}, alter) for o in (records or [])) if r]
        if xtra:
            recs = [{**r, **xtra} for r in recs]
        self.result = []
        conflict = 'update' if (replace is True or upsert) else 'ignore' if ignore is True else ''
        groups: dict[tuple[str, ...], list[tuple]] = {}
        for r in recs:
            groups.setdefault(tuple(r), []).append(tuple(_value(v) for v in r.values()))
        for cols, rows in groups.items():
            self.result.extend(self._obj(r) for r in self.db._run_many(self._insert_sql(cols, conflict), rows))
        if self._auto and any(r.get(self._auto) is not None for r in recs):
            self._bump({self._auto: 1})
        return self

    def upsert(self, record: Any = None, pk: Any = None, foreign_keys: Any = None, column_order: Any = None,  # type: ignore[override]
               not_null: Any = None, defaults: Any = None, hash_id: Any = None, hash_id_columns: Any = None,
               alter: Any = None, extracts: Any = None, conversions: Any = None, columns: Any = None,
               strict: Any = None, **kwargs: Any) -> Any:
        "Insert the record, or update the row with its primary key; returns the stored row. KeyError without the key."
        rec = self._record(record, kwargs, alter)
        if not rec:
            return {}
        for k in self._pks:
            if k not in rec:
                raise KeyError(k)
        rows = self.db._run(self._insert_sql(tuple(rec), 'update'), [_value(v) for v in rec.values()])
        self._bump(rec)
        row = rows[0] if rows else self.get([rec[k] for k in self._pks], as_cls=False)
        self.result = [row]
        return self._obj(row)

    def update(self, updates: Any = None, pk_values: Any = None, alter: bool = False,  # type: ignore[override]
               conversions: Any = None, xtra: dict | None = None, **kwargs: Any) -> Any:
        """Update the row whose primary key is in `updates` (or `pk_values`) with the given fields; returns the
        stored row. NotFoundError when no row has that key (or the xtra filter hides it)."""
        xt = xtra or self.xtra_id
        d = {**_process_row(updates), **kwargs, **xt}
        if not d:
            return {}
        pkv = [d[k] for k in self._pks] if pk_values is None else listify(pk_values)
        if alter:
            self.add_missing_columns(d)
        w, p = self._pk_where(pkv, xt)
        cols = tuple(d)
        sql = f'UPDATE {self._qname} SET {", ".join(f"{_q(c)} = %s" for c in cols)}{w} RETURNING *'
        rows = self.db._run(sql, [*(_value(v) for v in d.values()), *p])
        if not rows:
            raise NotFoundError()
        self.result = rows
        return self._obj(rows[0])

    def update_where(self, updates: dict, where: str | None = None, where_args: Any = None,  # type: ignore[override]
                     xtra: dict | None = None, **kw: Any) -> list:
        "Set `updates` on every row matching `where`; returns the updated rows."
        w, p = self._where(where, where_args, xtra or self.xtra_id)
        named = isinstance(p, dict)
        if named:
            sets = ', '.join(f'{_q(c)} = %(_set{i})s' for i, c in enumerate(updates))
            p = {**p, **{f'_set{i}': _value(v) for i, v in enumerate(updates.values())}}
        else:
            sets = ', '.join(f'{_q(c)} = %s' for c in updates)
            p = [*(_value(v) for v in updates.values()), *(p or [])]
        return [self._obj(r) for r in self.db._run(f'UPDATE {self._qname} SET {sets}{w} RETURNING *', p)]

    def delete(self, key: Any) -> SQLTable:  # type: ignore[override]
        "Delete the row with primary key `key`; NotFoundError if there is none. Returns the table, as fastlite."
        w, p = self._pk_where(key, self.xtra_id)
        if not self.db._run(f'DELETE FROM {self._qname}{w} RETURNING 1', p):
            raise NotFoundError()
        return self

    def delete_where(self, where: str | None = None, where_args: Any = None,  # type: ignore[override]
                     xtra: dict | None = None, **kw: Any) -> list:
        "Delete every row matching `where` (all rows without one); returns the deleted rows."
        w, p = self._where(where, where_args, xtra or self.xtra_id)
        return [self._obj(r) for r in self.db._run(f'DELETE FROM {self._qname}{w} RETURNING *', p)]


def _column(name: str, typ: Any, primary: bool, single_pk: bool, not_null: bool, default: Any) -> sa.Column:
    "A column as fastlite would make it: 64-bit ints, 0/1 bools, an identity column for a lone int primary key."
    kw: dict = {}
    if default is not MISSING and default is not UNSET and default is not None:
        d = _value(default)
        kw['server_default'] = sa.text(str(int(d))) if isinstance(d, (bool, int)) else \
            sa.text(repr(float(d))) if isinstance(d, float) else str(d)
    t = _sa_type(typ)
    if primary and single_pk and t is sa.BigInteger:
        return sa.Column(name, t, sa.Identity(always=False), primary_key=True, **kw)
    return sa.Column(name, t, primary_key=primary, nullable=not not_null and not primary, autoincrement=False, **kw)
