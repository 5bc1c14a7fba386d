"""SQLite for apps: fastlite's database, safe to share between threads, with quicker paths for the calls apps repeat.

`fasthtml.db.database('data/app.db')` returns a `Database` from here: a subclass of fastlite's (apswutils')
`Database` whose tables are subclasses of fastlite's `Table`. Every name, method, returned object, error and SQL effect
is fastlite's; two things differ, and neither is visible to an app that worked before:

1. **Threads.** fastlite's apsw connection refuses a call while another thread is inside one
   (`ThreadingViolationError`), so `def` handlers, which run in a thread pool, failed under concurrent requests. Here
   the one connection is shared in turn: each statement (and each step through a cursor's rows, however the cursor
   was made: `db.execute`, `db.q`, `db.conn.execute`, the table methods) takes the connection's lock, and each table
   method holds it for its whole call, so `insert` returns its own row and `last_pk` is that insert's. A transaction
   (`with db.conn:`, `BEGIN`) belongs to the thread that opened it until it ends: other threads wait (at most
   `WAIT_S`, then `apsw.BusyError`) instead of having their statements join it. One connection, not one per thread,
   because everything an app sets on its connection (PRAGMAs, functions, attached and temporary tables) and `:memory:`
   databases must keep working, and new connections opened under write load fail apsw's `PRAGMA optimize` at open.
   The one exception is a `tbl()` query made while another thread has the connection: where a second connection
   would answer the same (a file in WAL mode, nothing set on the shared connection), it runs on a read-only
   connection of its thread's own and reads the last committed state instead of waiting (`Table._read_aside`).
2. **Speed.** fastlite looks up the table list before every query and runs seven statements per insert (table list
   three times, `PRAGMA table_info` twice, the INSERT, `last_insert_rowid()`). The calls apps make on every request
   (`tbl()`, `tbl[pk]`, `insert`, `update`, `delete`, `db.q`) run here as one statement each and build the same rows,
   objects and table state (`last_pk`, `last_rowid`, `result`) themselves. The primary-key columns they use are read
   once per schema: each statement reads SQLite's schema version itself (`get`, `update` and `delete` match nothing
   unless it is the one the keys were read at; `insert` returns it), so a change made by any connection is seen by the
   very next call without a `PRAGMA` per call. Repeated inserts of row objects skip even that while SQLite's data
   version shows that nothing but their own commits changed the database (see `Table._lane_insert`; its usual case
   runs in C, `fasthtml._crows.lane_insert`). Anything else, and any call those paths do not cover (a tracer, options,
   an open transaction, values fastlite converts, a table that does not exist yet) or that fails, goes to fastlite's
   own code, so errors and side effects are fastlite's: a failed statement on its own changes nothing, so running
   fastlite's code after it is as if only fastlite's had run.
   tests/test_sqlite.py checks the two against each other on seeded random sequences of calls (results, table state
   and database contents).
"""
from __future__ import annotations

import os
import re
import sys
import threading
import types
import weakref
from collections.abc import Callable
from dataclasses import MISSING
from enum import Enum
from pathlib import Path
from typing import Any

import apsw
import fastlite  # noqa: F401  (its methods are added to apswutils' Table and Database on import)
from apswutils.db import DEFAULT, NotFoundError, View
from apswutils.db import Database as _Database
from apswutils.db import Table as _Table
from fastcore.xtras import UNSET
from fastlite.kw import _process_row

from ._rows import _crows, row_dicts, row_objects, set_fields, to_dict, to_object
from ._rows import direct_fields as _direct_fields

# fastlite adds its table methods to apswutils' Table at import: called through here for the type checker
_fl: Any = _Table

__all__ = ['WAIT_S', 'Connection', 'Cursor', 'Database', 'Table', 'open_database']

# How long a thread waits for the connection while another uses it (a transaction left open, a long query).
WAIT_S = 30.0

# Values fastlite stores as they are (anything else it converts: enums, JSON, dates, decimals...).
_PLAIN = frozenset({str, int, float, bool, type(None), bytes})
_PLAIN_TYPES = tuple(_PLAIN)
_UNSETS = (UNSET, MISSING)  # a record's fields that are not set
# The insert lane's usual case in C (fasthtml/_crows.c), when built; `Table._lane_insert` is its reference.
_c_lane = getattr(_crows, 'lane_insert', None)
_COOL = 64  # inserts an insert lane has its statements return the schema version for, once another process wrote

# The schema version as a statement sees it: the statements built from a table's remembered primary keys add
# `... AND _SV = ?` with the version those were read at, so they match nothing once the schema has changed (an insert
# returns it instead, with the row it stored).
_SV = '(SELECT schema_version FROM pragma_schema_version)'


# ---------------------------------------------------------------------------------------------------------------
# One connection, used by one thread at a time

class Connection(apsw.Connection):
    "An apsw connection that threads take turns on: see the module docstring."

    def __init__(self, filename: str, flags: int = apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE,
                 vfs: str | None = None, statementcachesize: int = 100) -> None:
        super().__init__(filename, flags, vfs, statementcachesize)
        self.lock = threading.RLock()
        self._txn = False  # the lock is held once more by the thread whose transaction is open
        self.cursor_factory = Cursor
        # Reads aside (`Table._read_aside`): the file other connections would open (None: a database only this one
        # sees, in memory or temporary, or one named by URI), and whether this one still has nothing set that theirs
        # would lack. Both are read without the lock: apsw refuses even `filename` while another thread uses it.
        name = self.filename
        self._aside_file: str | None = name if name and not flags & (apsw.SQLITE_OPEN_URI | apsw.SQLITE_OPEN_MEMORY) \
            else None
        self._aside_vfs = vfs
        self._plain = True
        self._aside = threading.local()  # this thread's reader (False: none to be had)
        self._readers: weakref.WeakSet[apsw.Connection] = weakref.WeakSet()
        self._aside_skip: set[str] = set()  # statements a reader could not run (a function of this connection's...)
        _connections.add(self)

    def acquire(self) -> None:
        "Take the connection (re-entrant); `apsw.BusyError` after WAIT_S seconds."
        if not self.lock.acquire(True, WAIT_S):
            raise apsw.BusyError(f'database is locked: another thread held its connection for {WAIT_S:g} s '
                                 '(a transaction left open?)')

    def release(self) -> None:
        "Give the connection back, keeping it while this thread's transaction is open."
        try:
            try:
                busy = self.in_transaction
            except apsw.ConnectionClosedError:
                busy = False
            if busy:
                if not self._txn:
                    self._txn = True
                    self.lock.acquire()
            elif self._txn:
                self._txn = False
                self.lock.release()
        finally:
            self.lock.release()

    def __enter__(self) -> Connection:
        self.acquire()
        try:
            super().__enter__()
        finally:
            self.release()
        return self

    def __exit__(self, etype: type[BaseException] | None, evalue: BaseException | None,
                 etraceback: types.TracebackType | None) -> bool:
        self.acquire()
        try:
            return super().__exit__(etype, evalue, etraceback)
        finally:
            self.release()

    def close(self, force: bool = False) -> None:
        self._aside_file = None
        for r in list(self._readers):
            try:
                r.close()
            except apsw.Error:  # in use by its thread at this moment: it closes when that thread ends
                pass
        self.acquire()
        try:
            super().close(force)
        finally:
            self.release()

    def reader(self) -> apsw.Connection | None:
        """This thread's read-only connection to the same file, opened on first use; None when there is none to be
        had: a database only this connection sees, one not in WAL mode (a reader would hold up its writers), or one
        that would not open (its thread does without from then on)."""
        loc = self._aside
        r = getattr(loc, 'r', None)
        if r is None:
            r = False
            f = self._aside_file
            if f is not None:
                try:
                    r = apsw.Connection(f, flags=apsw.SQLITE_OPEN_READONLY, vfs=self._aside_vfs or None)
                    if r.execute('PRAGMA journal_mode').fetchall()[0][0] != 'wal':
                        r.close()
                        r = self._aside_file = None
                    else:
                        self._readers.add(r)
                except apsw.Error:
                    r = False
            loc.r = r
        return r or None


# What a statement sets on its connection that another connection to the same file would not see, and that changes
# what a query there returns: temporary tables and views (they hide the file's tables of the same name), attached
# databases, and the few PRAGMAs that change query results. Any of these in a statement run on a `Connection` stops
# its reads aside for good (a name like `temp` in a statement that sets nothing does too: a lost shortcut, no more).
_CUSTOMISES = re.compile(r'\b(?:temp|temporary|attach)\b|pragma\s+(?:\w+\s*\.\s*)?(?:case_sensitive_like|'
                         r'reverse_unordered_selects|short_column_names|full_column_names|trusted_schema|'
                         r'journal_mode\s*[=(](?!\s*[\'"]?wal\b))', re.IGNORECASE)


def _customising(name: str) -> Callable[..., Any]:
    "A `Connection` method that sets something on the connection (a function, collation...): no reads aside."
    base = getattr(apsw.Connection, name)

    def method(self: Connection, *args: Any, **kwargs: Any) -> Any:
        self._plain = False
        return base(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = base.__doc__
    return method


for _name in ('create_scalar_function', 'createscalarfunction', 'create_aggregate_function',
              'createaggregatefunction', 'create_window_function', 'create_collation', 'createcollation',
              'collation_needed', 'collationneeded', 'create_module', 'createmodule', 'overload_function',
              'overloadfunction', 'enable_load_extension', 'enableloadextension', 'load_extension', 'loadextension',
              'config', 'register_fts5_tokenizer', 'register_fts5_function'):
    if hasattr(apsw.Connection, _name):
        setattr(Connection, _name, _customising(_name))


class Cursor(apsw.Cursor):
    "The cursors of a `Connection`: each call into SQLite (executing, stepping to the next row) takes the connection."

    def execute(self, statements: str, bindings: Any = None, *, can_cache: bool = True, prepare_flags: int = 0,
                explain: int = -1) -> apsw.Cursor:
        c = self.connection
        assert isinstance(c, Connection)
        if c._plain and _CUSTOMISES.search(statements):
            c._plain = False
        c.acquire()
        try:
            return super().execute(statements, bindings, can_cache=can_cache, prepare_flags=prepare_flags,
                                   explain=explain)
        finally:
            c.release()

    def executemany(self, statements: str, sequenceofbindings: Any, *, can_cache: bool = True,
                    prepare_flags: int = 0, explain: int = -1) -> apsw.Cursor:
        c = self.connection
        assert isinstance(c, Connection)
        if c._plain and _CUSTOMISES.search(statements):
            c._plain = False
        c.acquire()
        try:
            return super().executemany(statements, sequenceofbindings, can_cache=can_cache,
                                       prepare_flags=prepare_flags, explain=explain)
        finally:
            c.release()

    def __next__(self) -> Any:
        c = self.connection
        assert isinstance(c, Connection)
        c.acquire()
        try:
            return super().__next__()
        finally:
            c.release()

    def fetchall(self) -> list:
        c = self.connection
        assert isinstance(c, Connection)
        c.acquire()
        try:
            return super().fetchall()
        finally:
            c.release()

    def fetchone(self) -> Any:
        c = self.connection
        assert isinstance(c, Connection)
        c.acquire()
        try:
            return super().fetchone()
        finally:
            c.release()

    def get_description(self) -> tuple[tuple[str, str], ...]:
        c = self.connection
        assert isinstance(c, Connection)
        c.acquire()
        try:
            return super().get_description()
        finally:
            c.release()

    def close(self, force: bool = False) -> None:
        c = self.connection
        assert isinstance(c, Connection)
        c.acquire()
        try:
            super().close(force)
        finally:
            c.release()


_connections: weakref.WeakSet[Connection] = weakref.WeakSet()


def _after_fork() -> None:
    "A forked child starts with free locks (a thread of the parent may have held one at the fork)."
    for c in list(_connections):
        c.lock = threading.RLock()
        c._txn = False
        # The parent's readers are the parent's: kept open here (closing them in the child is not SQLite's to do).
        _forked_readers.extend(c._readers)
        c._aside, c._readers = threading.local(), weakref.WeakSet()


_forked_readers: list[apsw.Connection] = []


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_after_fork)


# ---------------------------------------------------------------------------------------------------------------
# Rows and records as fastlite makes them

def _obj(cls: Any, row: dict) -> Any:
    "`cls(**row)`, built directly for a table_dataclass holding exactly its fields."
    f = _direct_fields(cls)
    if f is not None and f == tuple(row):
        o = object.__new__(cls)
        o.__dict__ = row
        return o
    return cls(**row)


def _record(o: Any) -> dict:
    """fastlite's `_process_row(o)` (the fields of a record that are set, enums by value); read straight from the
    instance for a table_dataclass row whose values fastlite would store unchanged (its `dataclasses.asdict` deep-copies
    every value)."""
    return _plain_record(o) or _process_row(o)


def _plain_record(o: Any) -> dict | None:
    """`_record(o)` for a table_dataclass row whose set fields all hold plain values (which `_plain` would accept:
    its field names are identifiers), else None."""
    flds = _direct_fields(type(o))
    if flds is not None and not hasattr(o, '_asdict') and not hasattr(o, '__skip__'):
        d = o.__dict__
        if tuple(d) == flds:
            out = {}
            for k in flds:
                v = d[k]
                if v is UNSET or v is MISSING:
                    continue
                if type(v) not in _PLAIN:
                    return None
                out[k] = v
            return out or None
    return None


def _plain(rec: dict) -> bool:
    "Whether fastlite would bind `rec` as it is: plain values, column names without square brackets."
    for k, v in rec.items():
        if type(v) not in _PLAIN or type(k) is not str or '[' in k or ']' in k:
            return False
    return True


# ---------------------------------------------------------------------------------------------------------------
# The database

class Database(_Database):
    "fastlite's `Database` on a shared `Connection`, with quick `q` and tables (see the module docstring)."

    conn: Connection

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        self._tables: dict[tuple, Any] = {}
        self._names: set[str] = set()  # tables known to exist (fastlite's exists(): the exact name)

    def _fast(self) -> bool:
        "Whether the quick paths may run now: no tracer, no row or exec tracer on the connection."
        c = self.conn
        return self._tracer is None and c.row_trace is None and c.exec_trace is None

    def _exists(self, name: str) -> bool:
        "fastlite's `Table.exists()` (the exact name among the tables), remembered once true. Connection held."
        if name in self._names:
            return True
        names = self.table_names()
        self._names = set(names)
        return name in self._names

    def _schema_version(self) -> int:
        "The schema cookie: it changes whenever any connection changes the schema. Connection held."
        return int(self._exec('PRAGMA schema_version', ())[1][0][0])  # type: ignore[arg-type]

    def _exec(self, sql: str, params: Any) -> tuple[list[str], list]:
        "The column names and rows of one statement (names [] when it returns none). Connection held."
        cur = apsw.Cursor(self.conn)  # a plain apsw cursor: the connection is held already
        cur.execute(sql, params) if params else cur.execute(sql)
        try:
            names = [d[0] for d in cur.get_description()]
        except apsw.ExecutionCompleteError:  # no rows, or a statement without any
            return [], []
        return names, cur.fetchall()

    def _rows(self, sql: str, params: Any) -> list:
        "The rows of one statement whose columns are known already. Connection held."
        return apsw.Cursor(self.conn).execute(sql, params).fetchall()

    def table(self, table_name: str, **kwargs: Any) -> Any:  # type: ignore[override]
        """The `Table` (or fastlite's `View`) named `table_name`, one object per name and options, as fastlite's
        `db.table` caches them (list, set and dict options become tuples)."""
        kw: dict[str, Any] = {k: tuple(v) if isinstance(v, (list, set)) else tuple(v.items()) if isinstance(v, dict)
                              else v for k, v in kwargs.items()}
        key = (table_name, tuple(kw.items()))
        t = self._tables.get(key)
        if t is None:
            self.conn.acquire()
            try:
                t = self._tables.get(key)
                if t is None:
                    if table_name in self.view_names():
                        t = View(self, table_name, **kw)
                    else:
                        kw.setdefault('strict', self.strict)
                        t = Table(self, table_name, **kw)
                    self._tables[key] = t
            finally:
                self.conn.release()
        return t

    def q(self, sql: str, params: Any = None) -> list[dict]:  # type: ignore[override]
        "fastlite's `db.q`: the rows of `sql` as dicts (one description per statement instead of one per row)."
        c = self.conn
        if c._plain and type(sql) is str and _CUSTOMISES.search(sql):
            c._plain = False
        c.acquire()
        try:
            p = params if isinstance(params, dict) else tuple(params or ())
            s = sql.rstrip() if type(sql) is str else ';'
            if ';' in (s[:-1] if s.endswith(';') else s) or not self._fast():
                return list(self.query(sql, p))  # fastlite's q: each statement's rows named by its own columns
            names, rows = self._exec(sql, p)
            return row_dicts(names, rows) if rows else []
        finally:
            c.release()

    def create(self, *args: Any, **kwargs: Any) -> Any:
        "fastlite's `db.create`, holding the connection."
        self.conn.acquire()
        try:
            return super().create(*args, **kwargs)  # type: ignore[misc]
        finally:
            self.conn.release()


def open_database(path: Any, wal: bool = True, flags: Any = None) -> Database:
    "What fastlite's `database(path, wal, flags)` opens, as a `Database` of this module."
    conn = Connection(str(Path(path)), flags=flags) if flags else Connection(str(Path(path)))
    db = Database(conn)
    if wal:
        db.enable_wal()
    return db


# ---------------------------------------------------------------------------------------------------------------
# Tables

def _whole_call(name: str) -> Callable[..., Any]:
    "A Table method running fastlite's method `name` with the database's connection held for the whole call."
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        self.db.conn.acquire()
        try:
            return getattr(_Table, name)(self, *args, **kwargs)
        finally:
            self.db.conn.release()
    method.__name__, method.__qualname__ = name, f'Table.{name}'
    method.__doc__ = f"fastlite's `tbl.{name}`, holding the connection."
    return method


class Table(_Table):
    "fastlite's `Table`: each method holds the connection for its whole call; the hot ones are quicker."

    db: Database
    cls: Any  # (set by db.create or tbl.dataclass(); fastlite checks `hasattr(tbl, 'cls')`)
    last_rowid: Any

    def _schema(self) -> tuple[int, list[str], set[str], dict]:
        """(schema version, primary-key columns, all columns, statement plans) as fastlite reads them, remembered
        from the first call. Nothing is read again per call: every statement built from them checks in SQL that the
        schema version is still this one (`_SV = ?`), and one that matches nothing asks `_stale()`, which drops what
        was remembered when another connection (or this one) changed the schema. Connection held."""
        c = self.__dict__.get('_fh_schema')
        if c is None:
            v = self.db._schema_version()  # (read before the columns: a change in between is caught as stale)
            cols = _Table.columns.fget(self)  # type: ignore[attr-defined]
            pks = [col.name for col in cols if int(col.is_pk)] or ['rowid']
            c = self.__dict__['_fh_schema'] = (v, pks, {col.name for col in cols}, {})
        return c

    def _stale(self) -> bool:
        "Whether the schema changed since `_schema()` read it (then that is forgotten). Connection held."
        c = self.__dict__.get('_fh_schema')
        if c is not None and c[0] == self.db._schema_version():
            return False
        self.__dict__.pop('_fh_schema', None)
        return True

    # -- reading
    def _select_sql(self, select: str, where: str | None, order_by: str | None, limit: Any, offset: Any) -> str:
        "The statement fastlite's rows_where builds, made once per call shape ('' for several statements)."
        cache = self.__dict__.setdefault('_fh_sql', {})
        key = ('select', select, where, order_by, limit, offset)
        sql = cache.get(key)
        if sql is None:
            sql = f'select {select} from [{self.name}]'
            if where is not None:
                sql += ' where ' + where
            if order_by is not None:
                sql += ' order by ' + order_by
            if limit is not None:
                sql += f' limit {limit}'
            if offset is not None:
                sql += f' offset {offset}'
            if ';' in sql:  # several statements: each names its own columns, row by row in fastlite's code
                sql = ''
            if len(cache) > 1024:  # where texts come from code, so they are few (xtra values add some); bounded
                cache.clear()
            cache[key] = sql
        return sql

    @staticmethod
    def _quick_args(where_args: Any, limit: Any, offset: Any, with_pk: bool, kwargs: dict) -> tuple | dict | None:
        "The parameters of a `tbl()` call the quick paths take (a tuple, or a dict of named ones); None for the rest."
        if with_pk or kwargs or (offset is not None and limit is None):
            return None
        p = where_args or []
        if isinstance(p, list):
            p = tuple(p)
        return p if type(p) in (tuple, dict) else None

    def _where(self, where: str | None, xtra: dict | None) -> str | None:
        "The where clause with the `xtra` filter (the call's, or the table's own) in front, as fastlite adds it."
        xt = xtra or getattr(self, 'xtra_id', {})
        if not xt:
            return where
        xw = ' and '.join(f'[{k}] = {v!r}' for k, v in xt.items())
        return f'{xw} and {where}' if where else xw

    def _read_aside(self, c: Connection, where: str | None, where_args: Any, order_by: str | None, limit: Any,
                    offset: Any, select: str, with_pk: bool, xtra: dict | None,
                    kwargs: dict) -> tuple[list[str], list] | None:
        """`tbl()`'s column names and rows read on this thread's own read-only connection (`Connection.reader`), for
        when another thread has the shared one; None to wait for the shared one instead.

        A query of a file in WAL mode reads the last committed state without waiting for writers, so a read that
        would have waited for another thread's statement (or transaction) gets what it would have got just before
        it. It only runs where that other connection would return what the shared one does: a table known to
        exist, nothing set on the shared connection that the reader lacks (`Connection._plain`: temporary tables,
        attached databases, functions, collations, result-changing PRAGMAs; and no tracer or authorizer on it), no
        tracer of fastlite's, and one statement. A statement the reader fails on (a function or table of the shared
        connection's own) goes to the shared connection, then and from then on."""
        db = self.db
        if (not c._plain or c._aside_file is None or db._tracer is not None or self.name not in db._names
                or c.row_trace is not None or c.exec_trace is not None or c.authorizer is not None):
            return None  # (apsw lets these three be read while another thread is inside the connection)
        p = self._quick_args(where_args, limit, offset, with_pk, kwargs)
        if p is None:
            return None
        sql = self._select_sql(select, self._where(where, xtra), order_by, limit, offset)
        if not sql or sql in c._aside_skip:
            return None
        r = c.reader()
        if r is None:
            return None
        try:
            cur = r.cursor()
        except apsw.Error:  # (closed with the shared connection)
            return None
        try:
            cur.execute(sql, p) if p else cur.execute(sql)
            try:
                names = [d[0] for d in cur.get_description()]
            except apsw.ExecutionCompleteError:  # no rows
                return [], []
            return names, cur.fetchall()
        except apsw.SQLError:  # something only the shared connection has (a function, a temporary table...)
            if len(c._aside_skip) > 1024:
                c._aside_skip.clear()
            c._aside_skip.add(sql)
        except Exception:  # noqa: BLE001 (busy, closed, a value that would not bind: the shared connection's turn)
            cur.close(True)  # (a statement left part-way would keep the reader on its snapshot)
            return None
        cur.close(True)
        return None

    def __call__(self, where: str | None = None, where_args: Any = None, order_by: str | None = None,
                 limit: int | None = None, offset: int | None = None, select: str = '*', with_pk: bool = False,
                 as_cls: bool = True, xtra: dict | None = None, **kwargs: Any) -> list:
        "fastlite's `tbl(where, where_args, order_by, limit, offset, select, with_pk, as_cls, xtra)`."
        db = self.db
        c = db.conn
        got: tuple[list[str], list] | None = None
        if not c.lock.acquire(False):  # another thread has the connection: read aside, or wait for it
            got = self._read_aside(c, where, where_args, order_by, limit, offset, select, with_pk, xtra, kwargs)
            if got is None:
                c.acquire()
        if got is None:
            try:
                p = self._quick_args(where_args, limit, offset, with_pk, kwargs)
                if p is not None and db._fast() and db._exists(self.name):
                    try:
                        sql = self._select_sql(select, self._where(where, xtra), order_by, limit, offset)
                        if sql:
                            got = db._exec(sql, p)
                    except Exception:  # noqa: BLE001 (any failure: fastlite's own code runs and raises it as fastlite would)
                        db._names.discard(self.name)  # fastlite's code raises the same error (or finds no table)
                if got is None:
                    return _fl.__call__(self, where, where_args, order_by, limit, offset, select, with_pk, as_cls,
                                        xtra, **kwargs)
            finally:
                c.release()
        if not got[1]:
            return []
        # The rows become dicts or objects with the connection given back: other threads' queries need not wait for it.
        try:
            if as_cls and hasattr(self, 'cls'):
                return row_objects(self.cls, *got)
            return row_dicts(*got)
        except Exception:  # noqa: BLE001 (as a failed statement: fastlite's own code runs and raises it)
            c.acquire()
            try:
                db._names.discard(self.name)
                return _fl.__call__(self, where, where_args, order_by, limit, offset, select, with_pk, as_cls, xtra,
                                    **kwargs)
            finally:
                c.release()

    def get(self, pk_values: Any, as_cls: bool = True, xtra: dict | None = None, default: Any = UNSET) -> Any:
        "fastlite's `tbl.get` (and `tbl[pk]`): the row with that primary key (NotFoundError, or `default`)."
        db = self.db
        c = db.conn
        c.acquire()
        try:
            if db._fast() and db._exists(self.name):
                v, pks, _, _ = self._schema()
                if not isinstance(pk_values, (list, tuple)):
                    pk_values = [pk_values]
                last_pk = pk_values[0] if len(pks) == 1 else pk_values
                xt = xtra or getattr(self, 'xtra_id', {})
                vals = [*pk_values, *xt.values()]
                cols = [*pks, *xt.keys()]
                if len(cols) != len(vals):
                    if not self._stale():
                        raise NotFoundError(f'Need {len(cols)} pk')
                    return _fl.get(self, pk_values, as_cls, xtra, default)
                try:
                    sql = f'select _rowid_ as __rid, * from [{self.name}] where ' + \
                        ' and '.join(f'[{k}] = ?' for k in cols) + f' and {_SV} = ?'
                    names, found = db._exec(sql, (*vals, v))  # (a primary key: one row at most)
                except Exception:  # noqa: BLE001 (any failure: fastlite's own code runs and raises it as fastlite would)
                    db._names.discard(self.name)
                else:
                    if found:
                        row = to_dict(names)(found[0])
                        rid = row.pop('__rid')
                        self.last_pk, self.last_rowid = last_pk, rid
                        if as_cls and hasattr(self, 'cls'):
                            return _obj(self.cls, row)
                        return row
                    if not self._stale():
                        if default is UNSET:
                            raise NotFoundError()
                        return default
            return _fl.get(self, pk_values, as_cls, xtra, default)
        finally:
            c.release()

    def __getitem__(self, pk_values: Any) -> Any:
        return self.get(pk_values)

    selectone = _whole_call('selectone')
    get_last = _whole_call('get_last')

    # -- writing
    def _builds(self, cols: set[str]) -> bool:
        "Whether fastlite's `self.cls(**row)` surely works for a row of these columns (no class, or a table_dataclass)."
        if not hasattr(self, 'cls'):
            return True
        f = _direct_fields(self.cls)
        return f is not None and cols <= set(f)

    def _write_ok(self) -> bool:
        "Whether a write may take the quick path: no tracer, not inside a transaction (whose errors fastlite's code "
        "must see first), the table there."
        db = self.db
        return db._fast() and not db.conn.in_transaction and db._exists(self.name)

    def insert(self, record: Any = None, pk: Any = DEFAULT, foreign_keys: Any = DEFAULT, column_order: Any = DEFAULT,
               not_null: Any = DEFAULT, defaults: Any = DEFAULT, hash_id: Any = DEFAULT,
               hash_id_columns: Any = DEFAULT, alter: Any = DEFAULT, ignore: Any = DEFAULT, replace: Any = DEFAULT,
               extracts: Any = DEFAULT, conversions: Any = DEFAULT, columns: Any = DEFAULT, strict: Any = DEFAULT,
               **kwargs: Any) -> Any:
        "fastlite's `tbl.insert`: insert a record (and keyword fields), return the stored row."
        quick = (pk is DEFAULT and foreign_keys is DEFAULT and column_order is DEFAULT and not_null is DEFAULT
                 and defaults is DEFAULT and hash_id is DEFAULT and hash_id_columns is DEFAULT and ignore is DEFAULT
                 and replace is DEFAULT and extracts is DEFAULT and conversions is DEFAULT and columns is DEFAULT
                 and strict is DEFAULT)
        lane = self.__dict__.get('_fh_lane') if quick and not kwargs else None
        if lane is not None and type(record) is not lane[1]:
            lane = None
        if lane is not None and _c_lane is not None:
            res = _c_lane(self, lane, record)  # (takes and gives back the connection itself: see lane_insert)
            if res is False:  # nothing was written: fastlite's code does (or raises) what it does
                quick = False
            elif res is not NotImplemented:
                if type(res) is not tuple:
                    return res
                way, r, dv, rid, after, checked = res
                try:
                    return self._lane_finish(lane, way, r, dv, rid, after, checked)
                finally:
                    self.db.conn.release()
        c = self.db.conn
        c.acquire()
        try:
            if quick:
                done, res = self._lane_insert(lane, record) if lane is not None else (None, None)
                if done is None:
                    done, res = self._quick_insert(record, kwargs)
                if done:
                    return res
            return _fl.insert(self, record, pk, foreign_keys, column_order, not_null, defaults, hash_id,
                              hash_id_columns, alter, ignore, replace, extracts, conversions, columns, strict, **kwargs)
        finally:
            c.release()

    def _quick_insert(self, record: Any, kwargs: dict) -> tuple[bool, Any]:
        "The insert as one statement when nothing fastlite would do differently applies: (done, result)."
        d = self._defaults
        if (d['hash_id'] or d['hash_id_columns'] or d['extracts'] or d['conversions'] or d['ignore'] or d['replace']
                or not self._write_ok()):
            return False, None
        xt = getattr(self, 'xtra_id', {})
        rec = _plain_record(record) if record is not None and not kwargs and not xt else None
        if rec is None:  # (not a table_dataclass row of plain values only, or more fields)
            rec = _record(record) if record is not None else {}
            if kwargs:
                rec = {**rec, **kwargs}
            if not rec:
                return True, {}
            if kwargs:
                rec = _process_row(rec)  # fastlite's insert_all processes the record again (the keyword fields' enums)
                if not rec:
                    return False, None
            if xt:
                rec = {**rec, **xt}  # insert_all sets the xtra fields
            if len(rec) > 999 or not _plain(rec):
                return False, None
        v, pks, cols, plans = self._schema()
        dpk = d['pk']
        if 'rowid' in pks or not (dpk is None or (dpk in cols if isinstance(dpk, str) else
                                                   isinstance(dpk, tuple) and all(k in cols for k in dpk))):
            return False, None
        keys = tuple(rec)
        plan = plans.get(keys)
        if plan is None:  # [statement, the row maker and the columns once they are known]
            if len(plans) > 256:  # keys come from code (record classes, keyword calls): few; bounded all the same
                plans.clear()
            plan = plans[keys] = [f'INSERT INTO [{self.name}] ({", ".join(f"[{k}]" for k in keys)}) VALUES '
                                  f'({", ".join("?" * len(keys))}) RETURNING {_SV}, _rowid_, *', None, None]
        db = self.db
        try:
            if plan[1] is None:
                names, rows = db._exec(plan[0], tuple(rec.values()))
                if rows and rows[0][0] == v:
                    plan[1], plan[2] = to_dict(names[2:], 2), names[2:]  # (the columns of this schema version)
            else:
                rows = db._rows(plan[0], tuple(rec.values()))
        except Exception:
            if self._insert_failed():
                raise
            return False, None  # nothing was written: fastlite's code does (or raises) what it does
        if not rows:  # a trigger skipped the row: nothing was written
            return False, None
        if plan[2] is not None and rows[0][0] == v:
            self._open_lane(record, keys, plan, pks, dpk)
        return True, self._inserted(rows[0], plan, v, dpk)

    def _insert_failed(self) -> bool:
        """After a quick insert's statement failed: the table is looked up again next time; True when it failed on
        committing (a transaction is left open), which is raised as it is, since fastlite's code would not run again.
        Connection held."""
        db = self.db
        db._names.discard(self.name)
        if db.conn.in_transaction:
            self.last_rowid = self.last_pk = None
            return True
        return False

    def _inserted(self, r: tuple, plan: list, v: int, dpk: Any) -> Any:
        """What fastlite's insert leaves behind once the row `r` (schema version, rowid, columns) is stored by `plan`
        under the schema version `v`: last_rowid from last_insert_rowid(), the returned rows as `result`, last_pk
        from the primary key(s) of the stored row; returns the row (an object of the table's class if it has one).
        Connection held."""
        db = self.db
        rid = db.conn.last_insert_rowid()
        self.last_pk = self.last_rowid = rid
        pks = self._schema()[1]
        if r[0] == v:
            row = plan[1](r)  # type: ignore[misc]
        else:  # another connection changed the schema since it was read: the row as it is stored now, by new keys
            self._stale()
            _, pks, _, _ = self._schema()
            names, back = db._exec(f'select * from [{self.name}] where _rowid_ = ?', (r[1],))
            row = to_dict(names)(back[0])  # (then a table without a primary key now: a KeyError, as fastlite's)
        if dpk is not None and r[1] != rid:  # fastlite reads the row back by last_insert_rowid()
            back = list(self.rows_where('rowid = ?', [rid]))[0]
            self.last_pk = back[dpk] if isinstance(dpk, str) else tuple(back[k] for k in dpk)
        self.result = [row]
        self.last_pk = row[pks[0]] if len(pks) == 1 else [row[k] for k in pks]
        return _obj(self.cls, row) if hasattr(self, 'cls') else row

    def _open_lane(self, record: Any, keys: tuple, plan: list, pks: list[str], dpk: Any) -> None:
        """Remember how `_lane_insert` inserts more records like `record` (whose fields set are `keys`) once `plan`
        has stored one under the remembered schema: when the record and the table's class are the same
        table_dataclass holding exactly the columns the plan returns, with one primary key (`dpk`: the table's
        default `pk`). Connection held."""
        cls = self.__dict__.get('cls')
        if type(record) is not cls or not isinstance(cls, type):
            return
        lane = self.__dict__.get('_fh_lane')
        sch = self.__dict__['_fh_schema']
        if lane is not None and lane[0] is sch and lane[1] is cls and keys in lane[4]:
            return
        flds, names = _direct_fields(cls), tuple(sys.intern(n) if type(n) is str else n for n in plan[2])
        if (flds is not None and flds == names and len(pks) == 1 and pks[0] in flds
                and not hasattr(record, '_asdict') and not hasattr(record, '__skip__') and self._data_versioned()):
            if lane is None or lane[0] is not sch or lane[1] is not cls:
                lane = self.__dict__['_fh_lane'] = (sch, cls, dpk, flds, {}, [None, 0], _UNSETS, _PLAIN_TYPES,
                                                    apsw.Cursor)
            lane[4][keys] = (plan, to_object(cls, names, 2), 2 + flds.index(pks[0]), plan[0].replace(_SV, '0', 1),
                             names)

    def _data_versioned(self) -> bool:
        "Whether the connection's file gives SQLite's data version (the lane relies on it; every VFS we know does)."
        try:
            return isinstance(self.db.conn.data_version(), int)
        except apsw.Error:
            return False

    def _lane_insert(self, lane: tuple, record: Any) -> tuple[bool | None, Any]:
        """`insert(record)` for a table_dataclass record of plain values whose fields were inserted before (see
        `_open_lane`): the same statement and table state as `_quick_insert`, with what that checks once per schema
        remembered. (done, result) as `_quick_insert`'s, or (None, None) when it does not apply. Connection held.

        The schema version is checked without the statement returning it (which costs as much as the rest of the
        call's Python work) while nothing but this lane's own inserts has changed the database: SQLite's data version
        moves by one for each commit of this connection and by one more when a statement of it finds that another
        connection committed since its last one. So an insert made when the data version is the one the lane's last
        checked insert left (`clean`), which moves it by exactly one, ran on the same schema. Any other move has the
        schema version read (and this lane return it with its rows for a while, `_COOL` inserts: several processes
        writing to one file move it all the time).

        This is the reference for `_crows.lane_insert`, which `insert` calls first when the C accelerator is built: it
        does the same when the connection is free (taking it itself), and leaves outcomes other than the usual ones to
        `_lane_finish`."""
        sch, cls, dpk, flds, ways, st, _, _, _ = lane
        db = self.db
        c = db.conn
        d = self._defaults
        if (self.__dict__.get('_fh_schema') is not sch or self.__dict__.get('cls') is not cls
                or db._tracer is not None or c.row_trace is not None or c.exec_trace is not None or c.in_transaction
                or self.name not in db._names or d['hash_id'] or d['hash_id_columns'] or d['extracts']
                or d['conversions'] or d['ignore'] or d['replace'] or d['pk'] != dpk or self.__dict__.get('xtra_id')):
            return None, None
        kv = set_fields(record, flds, _UNSETS, _PLAIN_TYPES)
        way = ways.get(kv[0]) if kv is not None else None
        if way is None:
            return None, None
        plan, _, _, unchecked, _ = way
        dv = c.data_version()
        checked = dv != st[0]
        try:
            rows = apsw.Cursor(c).execute(plan[0] if checked else unchecked, kv[1]).fetchall()  # type: ignore[index]
        except Exception:
            st[0] = None
            if self._insert_failed():
                raise
            return False, None  # nothing was written: fastlite's code does (or raises) what it does
        if not rows:  # a trigger skipped the row: nothing was written
            st[0] = None
            return False, None
        r = rows[0]
        return True, self._lane_finish(lane, way, r, dv, c.last_insert_rowid(), c.data_version(), checked)

    def _lane_finish(self, lane: tuple, way: tuple, r: tuple, dv: int, rid: int, after: int, checked: bool) -> Any:
        """The rest of a lane insert once its statement stored the row `r` (schema version or 0, rowid, columns) by
        `way`, the data version `dv` before it and `after` it, `last_insert_rowid()` `rid`: the returned object, with
        the table state and the lane's next state set. Connection held."""
        sch, dpk, st = lane[0], lane[2], lane[5]
        plan, make, at, _, _ = way
        v = sch[0]
        if checked:
            same = r[0] == v
            if st[1] > 0:  # (cooling down: the next one checks too)
                st[1] -= 1
                st[0] = None
            else:
                st[0] = after if same else None
        elif after == dv + 1:
            same = True
            st[0] = after
        else:  # another connection committed since this one's last statement: was it a schema change?
            st[0], st[1] = None, _COOL
            same = self.db._schema_version() == v
        if not same or r[1] != rid:  # (the schema changed meanwhile, or a trigger moved the row)
            return self._inserted(r if checked else (v if same else None, *r[1:]), plan, v, dpk)
        o = make(r)
        self.result = [o.__dict__]
        self.last_rowid = rid
        self.last_pk = r[at]
        return o

    def update(self, updates: Any = None, pk_values: Any = None, alter: bool = False,  # type: ignore[override]
               conversions: Any = None, xtra: dict | None = None, **kwargs: Any) -> Any:
        "fastlite's `tbl.update`: update the row with the record's primary key, return the stored row."
        c = self.db.conn
        c.acquire()
        try:
            if pk_values is None and not conversions and not xtra:
                done, res = self._quick_update(updates, kwargs)
                if done:
                    return res
            return _fl.update(self, updates, pk_values, alter, conversions, xtra, **kwargs)
        finally:
            c.release()

    def _quick_update(self, updates: Any, kwargs: dict) -> tuple[bool, Any]:
        "The update as one statement when nothing fastlite would do differently applies: (done, result)."
        if not self._write_ok():
            return False, None
        rec = _record(updates) if updates else {}
        xt = getattr(self, 'xtra_id', {})
        if kwargs or xt:
            rec = _process_row({**rec, **kwargs, **xt})
        if not rec:
            return True, {}
        if not _plain(rec):
            return False, None
        v, pks, cols, _ = self._schema()
        if 'rowid' in pks:
            return False, None
        try:
            pkv = [rec[k] for k in pks]  # a KeyError, as fastlite's
        except KeyError:
            if self._stale():
                return False, None
            raise
        if not self._builds(cols):
            if self._stale():
                return False, None
            self.get(pkv)  # fastlite's update reads the row as an object first, which may fail (and then not update)
        where = [*pks, *xt.keys()]
        sql = (f'update [{self.name}] set {", ".join(f"[{k}] = ?" for k in rec)} where '
               f'{" and ".join(f"[{k}] = ?" for k in where)} and {_SV} = ? RETURNING _rowid_, *')
        db = self.db
        c = db.conn
        try:
            names, rows = db._exec(sql, (*rec.values(), *pkv, *xt.values(), v))
        except Exception:
            db._names.discard(self.name)
            if c.in_transaction:
                raise
            return False, None
        if not rows:  # fastlite's get() before its UPDATE finds no such row (unless the schema changed meanwhile)
            if self._stale():
                return False, None
            raise NotFoundError()
        self.last_pk, self.last_rowid = (pkv[0] if len(pks) == 1 else pkv), rows[0][0]
        self.result = row_dicts(names[1:], rows, 1)
        row = self.result[-1]
        vals = [row[k] for k in pks]
        self.last_pk = vals[0] if len(vals) == 1 else vals
        return True, (_obj(self.cls, row) if hasattr(self, 'cls') else row)

    def delete(self, pk_values: Any) -> Table:
        "fastlite's `tbl.delete`: delete the row with that primary key (NotFoundError if none); returns the table."
        db = self.db
        c = db.conn
        c.acquire()
        try:
            if self._write_ok():
                v, pks, tcols, _ = self._schema()
                pkv = pk_values if isinstance(pk_values, (list, tuple)) else [pk_values]
                xt = getattr(self, 'xtra_id', {})
                cols = [*pks, *xt.keys()]
                vals = [*pkv, *xt.values()]
                # (what is decided from the remembered schema before the statement runs is checked first)
                if (self._builds(tcols) and len(cols) == len(vals)) or not self._stale():
                    if not self._builds(tcols):
                        self.get(pkv)  # fastlite's delete reads the row as an object first, which may fail
                    last_pk = pkv[0] if len(pks) == 1 else pkv
                    if len(cols) != len(vals):
                        raise NotFoundError(f'Need {len(cols)} pk')
                    sql = (f'delete from [{self.name}] where {" and ".join(f"[{k}] = ?" for k in cols)} '
                           f'and {_SV} = ? RETURNING _rowid_')
                    try:
                        rows = db._exec(sql, (*vals, v))[1]
                    except Exception:
                        db._names.discard(self.name)
                        if c.in_transaction:
                            raise
                    else:
                        if rows:
                            self.last_pk, self.last_rowid = last_pk, rows[0][0]
                            return self
                        if not self._stale():
                            raise NotFoundError()
            return _fl.delete(self, pk_values)
        finally:
            c.release()

    # -- the other calls that use the table's state: whole calls under the connection
    insert_all = _whole_call('insert_all')
    upsert = _whole_call('upsert')
    upsert_all = _whole_call('upsert_all')
    delete_where = _whole_call('delete_where')
    lookup = _whole_call('lookup')
    create = _whole_call('create')
    transform = _whole_call('transform')
    drop = _whole_call('drop')


# An Enum member is not a plain value: fastlite stores its value (see _record).
assert Enum not in _PLAIN
