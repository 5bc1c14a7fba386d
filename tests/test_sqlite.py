"""SQLite through fasthtml.db (fasthtml._sqlite): fastlite's answers, from any number of threads.

The quick paths for the calls apps repeat are checked against fastlite itself: the same seeded random sequence of
calls runs on a fastlite database and on ours, and every result (rows, objects, errors), the table state fastlite
leaves (`last_pk`, `last_rowid`, `result`) and the database contents must be the same. Then threads: the calls that
failed with apsw's ThreadingViolationError under concurrent use now take turns, transactions keep their thread, and a
real uvicorn serving `def` handlers answers concurrent clients without a single 5xx.
"""
# (no `from __future__ import annotations`: fastlite reads the table classes' annotations as types)

import dataclasses
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date
from enum import Enum
from pathlib import Path

import apsw
import fastlite
import pytest
from apswutils.db import Table, View
from fastcore.xtras import UNSET

from fasthtml.db import database, table_dataclass

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / 'tests'
# The C lane's own tests (tests/test_crows.py runs this file again with the C accelerator off)
needs_c = pytest.mark.skipif(os.environ.get('FASTHTML_PURE_PYTHON') == '1',
                             reason='FASTHTML_PURE_PYTHON=1 turns the C accelerator off in this process')


class Colour(Enum):
    red = 'r'
    blue = 'b'


def _todo_class():
    "A fresh user class per database (fastlite turns it into a dataclass in place)."
    class Todo:
        id: int
        title: str
        done: bool
        prio: int
    return Todo


def _norm(v):
    "A comparable picture of a returned value: objects by class name and instance dict (in order)."
    if isinstance(v, (Table, View)):
        return ('table', v.name)
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return ('obj', type(v).__name__, [(k, _norm(x)) for k, x in vars(v).items()])
    if isinstance(v, dict):
        return ('dict', [(k, _norm(x)) for k, x in v.items()])
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, [_norm(x) for x in v])
    if v is UNSET:
        return 'UNSET'
    return v


def _outcome(f):
    try:
        return ('ok', _norm(f()))
    except Exception as e:  # noqa: BLE001 (any error is part of the compared outcome)
        return ('err', type(e).__name__, str(e))


def _state(t):
    return {k: _norm(getattr(t, k, None)) for k in ('last_pk', 'last_rowid', 'result')}


def _contents(db):
    out = {}
    for (name, sql) in db.execute("select name, sql from sqlite_master where type = 'table' order by name").fetchall():
        out[name] = (sql, db.execute(f'select * from [{name}] order by rowid').fetchall())
    return out


class _Side:
    "One database and the handles a random sequence works on."

    def __init__(self, db, ours: bool):
        self.db, self.ours = db, ours
        self.todo = db.create(_todo_class())               # a user class (fastlite makes it a dataclass)
        items = db.t.item
        items.create(id=int, name=str, qty=int, tag=str, pk='id')
        # fast_app builds the row class with table_dataclass; the original with fastlite's tbl.dataclass()
        (table_dataclass(items) if ours else items.dataclass())
        pubs = db.t.pub
        pubs.create(author=str, year=int, title=str, pk=('author', 'year'))  # compound key, rows as dicts
        db.t.note.create(body=str, n=int, pk=None)         # no primary key: a rowid table
        self.raw = apsw.Connection(db.conn.filename)       # another connection, as another process would be

    def tables(self):
        return {'todo': self.todo, 'item': self.db.t.item, 'todo_t': self.db.t.todo, 'pub': self.db.t.pub,
                'note': self.db.t.note, 'fresh': self.db.t.fresh}


def _ops(rng: random.Random):
    "An endless supply of (table handle name, description, call) made from `rng`."
    words = ['a', 'b', "o'neil", 'x y', '', 'ünï']

    def val():
        return rng.choice([rng.randint(0, 9), rng.choice(words), None, True, False, 2.5])

    while True:
        k = rng.random()
        tname = rng.choice(['todo', 'todo', 'item', 'item', 'todo_t', 'pub', 'note', 'fresh'])
        ident = rng.randint(0, 12)
        if k < 0.22:
            kind = rng.random()
            if tname == 'pub':
                rec = dict(author=rng.choice(words), year=rng.randint(1, 3), title=val())
            elif tname in ('todo', 'todo_t', 'fresh'):
                rec = {f: val() for f in rng.sample(['title', 'done', 'prio'], rng.randint(0, 3))}
            elif tname == 'note':
                rec = dict(body=val(), n=val())
            else:
                rec = {f: val() for f in rng.sample(['name', 'qty', 'tag'], rng.randint(1, 3))}
            if rng.random() < 0.25:
                rec['id'] = rng.choice([ident, None])
            if rng.random() < 0.05:
                rec[rng.choice(['tag', 'title', 'name'])] = rng.choice([Colour.red, {'k': [1, 2]}, date(2024, 1, 2),
                                                                        UNSET])
            if rng.random() < 0.04:
                rec['nosuch'] = 1
            opts = rng.choice([{}] * 8 + [{'alter': True}, {'replace': True}, {'ignore': True}])
            if kind < 0.4:
                yield tname, f'insert({rec}, {opts})', lambda t, r=rec, o=opts: t.insert(r, **o)
            elif kind < 0.7:
                yield tname, f'insert(**{rec}, {opts})', lambda t, r=rec, o=opts: t.insert(**r, **o)
            else:  # a row object of the table's class, when it has one
                def ins(t, r=rec, o=opts):
                    cls = getattr(t, 'cls', None)
                    if cls is None:
                        return t.insert(r, **o)
                    try:
                        obj = cls(**r)
                    except TypeError as e:
                        return ('no object', str(e))
                    return t.insert(obj, **o)
                yield tname, f'insert(obj {rec}, {opts})', ins
        elif k < 0.40:
            pk = [rng.choice(words), rng.randint(1, 3)] if tname == 'pub' else rng.choice([ident, ident, str(ident),
                                                                                         [ident], [], [ident, 1]])
            how = rng.randint(0, 4)
            if how == 0:
                yield tname, f'[{pk}]', lambda t, p=pk: t[p]
            elif how == 1:
                yield tname, f'get({pk}, default)', lambda t, p=pk: t.get(p, default='none')
            elif how == 2:
                yield tname, f'get({pk}, as_cls=False)', lambda t, p=pk: t.get(p, as_cls=False)
            elif how == 3:
                yield tname, f'{pk} in', lambda t, p=pk: p in t
            else:
                yield tname, f'get({pk}, xtra)', lambda t, p=pk: t.get(p, xtra={'tag': 'a'})
        elif k < 0.58:
            args = {}
            r = rng.random()
            if r < 0.3:
                args.update(where='id > ?', where_args=[rng.randint(0, 6)])
            elif r < 0.45:
                args.update(where='id >= :lo', where_args={'lo': rng.randint(0, 6)})
            elif r < 0.5:
                args.update(where='nosuchcol = 1')
            elif r < 0.55:
                args.update(where="id < 5; select 1")
            if rng.random() < 0.4:
                args['order_by'] = rng.choice(['id desc', 'rowid', 'id'])
            if rng.random() < 0.3:
                args['limit'] = rng.randint(0, 4)
            if rng.random() < 0.2:
                args['offset'] = rng.randint(0, 2)
            if rng.random() < 0.2:
                args['select'] = rng.choice(['id', 'id, rowid', 'count(*) as n', '*'])
            if rng.random() < 0.2:
                args['as_cls'] = False
            if rng.random() < 0.1:
                args['with_pk'] = True
            if rng.random() < 0.1:
                args['xtra'] = {'tag': rng.choice(['a', 'b'])}
            yield tname, f'({args})', lambda t, a=args: t(**a)
        elif k < 0.72:
            if tname == 'pub':
                rec = dict(author=rng.choice(words), year=rng.randint(1, 3), title=val())
            elif tname == 'note':
                rec = dict(rowid=ident, body=val())
            else:
                rec = {'id': ident, **{f: val() for f in rng.sample(['title', 'done', 'prio', 'name', 'qty', 'tag'],
                                                                     rng.randint(0, 2))}}
            if rng.random() < 0.1:
                rec.pop(next(iter(rec)))
            how = rng.randint(0, 3)
            if how == 0:
                yield tname, f'update({rec})', lambda t, r=rec: t.update(r)
            elif how == 1:
                yield tname, f'update(**{rec})', lambda t, r=rec: t.update(**r)
            elif how == 2:  # fetch, change, store: as apps do
                def upd(t, r=rec):
                    o = t.get(r.get('id', r.get('author')) if 'year' not in r else [r['author'], r['year']])
                    for f, v in r.items():
                        if isinstance(o, dict):
                            o[f] = v
                        elif f in vars(o):
                            setattr(o, f, v)
                    return t.update(o)
                yield tname, f'get+update({rec})', upd
            else:
                yield tname, f'upsert({rec})', lambda t, r=rec: t.upsert(r)
        elif k < 0.82:
            pk = [rng.choice(words), rng.randint(1, 3)] if tname == 'pub' else rng.choice([ident, ident, [ident], []])
            yield tname, f'delete({pk})', lambda t, p=pk: t.delete(p)
        elif k < 0.87:  # a filter on the tag column (which only `item` has): mostly on, now and then off
            tag = rng.choice([None, None, 'a', 'b'])
            tname = 'item' if rng.random() < 0.9 else tname
            yield tname, f'xtra({tag})', lambda t, g=tag: t.xtra(**({'tag': g} if g else {}))
        elif k < 0.92:
            sql, params = rng.choice([
                ('select * from item where id > ? order by id', [rng.randint(0, 5)]),
                ('select id, name from item where name = :n', {'n': rng.choice(words)}),
                ('select 1 as a; select 2 as b', None),
                ('select count(*) as n from todo;', []),
                ('update item set qty = qty + 1 where id = ?', [ident]),
                ('select * from nosuch', None)])
            yield '', f'q({sql}, {params})', lambda side, s=sql, p=params: side.db.q(s, p)
        elif k < 0.95:
            yield tname, 'count', lambda t: t.count
        else:
            what = rng.randint(0, 5)
            ddl = [
                'alter table item add column extra text',                                  # a column appears
                'create table if not exists fresh (id integer primary key, title text, done, prio)',
                'drop table if exists fresh',                                              # a table goes away
                'drop view if exists v; drop table if exists item2; create table item2 (id integer, name text, '
                'qty integer, tag text, extra text, primary key (name)); insert or ignore into item2 (id, name, qty, '
                "tag) select id, coalesce(name, id), qty, tag from item; drop table item; "
                'alter table item2 rename to item',                                        # a new primary key
                'create view if not exists v as select * from item',
                'vacuum'][what]
            yield '', f'ddl({ddl})', lambda side, s=ddl: side.raw.execute(s).fetchall()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # a where with two statements
@pytest.mark.parametrize("seed", range(12))
def test_same_answers_as_fastlite(tmp_path, seed):
    ref = _Side(fastlite.database(tmp_path / 'ref.db'), ours=False)
    us = _Side(database(str(tmp_path / 'ours.db')), ours=True)
    assert type(us.db).__module__ == 'fasthtml._sqlite' and type(ref.db).__module__ == 'apswutils.db'
    gen = _ops(random.Random(seed))
    for i in range(400):
        tname, desc, call = next(gen)
        if tname:
            ta, tb = ref.tables()[tname], us.tables()[tname]
            a, b = _outcome(lambda c=call, t=ta: c(t)), _outcome(lambda c=call, t=tb: c(t))
            assert b == a, f'step {i}: {tname}.{desc}'
            assert _state(tb) == _state(ta), f'step {i}: {tname}.{desc} (table state)'
        else:
            a, b = _outcome(lambda c=call: c(ref)), _outcome(lambda c=call: c(us))
            assert b == a, f'step {i}: {desc}'
        if i % 20 == 0 or not tname:
            assert _contents(us.db) == _contents(ref.db), f'step {i}: {desc} (contents)'
    assert _contents(us.db) == _contents(ref.db)


_REKEY = {  # another key: `name`; no key (a rowid table); a new column and an index
    'name': 'create table item2 (id integer, name text, qty integer, primary key (name)); '
            'insert into item2 select id, name, qty from item; drop table item; alter table item2 rename to item',
    'rowid': 'create table item2 (id integer, name text, qty integer); '
             'insert into item2 select id, name, qty from item; drop table item; alter table item2 rename to item',
    'column': 'alter table item add column extra text; create index item_qty on item(qty)',
}
_CALLS = {
    'get': lambda t: t['b'] if t.pks == ['name'] else t[2],
    'get missing': lambda t: t.get('zz', default='none'),
    'insert': lambda t: t.insert({'id': 7, 'name': 'c', 'qty': 3}),
    'update': lambda t: t.update({'id': 2, 'name': 'b', 'qty': 9}),
    'delete': lambda t: t.delete('b' if t.pks == ['name'] else 2),
    'delete missing': lambda t: t.delete('zz'),
}


@pytest.mark.parametrize('change', list(_REKEY))
@pytest.mark.parametrize('call', list(_CALLS))
def test_a_schema_change_elsewhere_reaches_the_remembered_keys(tmp_path, call, change):
    """Our quick calls remember a table's primary key from their first call; when another connection (another
    process) rebuilds the table with another key, the next call answers by the new key, as fastlite does."""
    out = {}
    for name, db in (('fastlite', fastlite.database(tmp_path / 'ref.db')), ('ours', database(str(tmp_path / 'o.db')))):
        items = db.t.item
        items.create(id=int, name=str, qty=int, pk='id')
        items.insert(id=1, name='a', qty=1)
        items.insert(id=2, name='b', qty=2)
        steps = [_outcome(lambda t=items: _CALLS[call](t))]
        other = apsw.Connection(str(tmp_path / ('ref.db' if name == 'fastlite' else 'o.db')))
        other.execute(_REKEY[change])
        other.close()
        steps.append(_outcome(lambda t=items: _CALLS[call](t)))
        steps.append(_outcome(lambda t=items: t['a' if change == 'name' else 1]))  # by the new key
        out[name] = (steps, _state(items), _contents(db))
    assert out['ours'] == out['fastlite']


def test_without_a_data_version_inserts_take_the_general_path(tmp_path, monkeypatch):
    "A file whose VFS gives no data version: the insert lane never opens, and inserts answer as before."
    from fasthtml._sqlite import Connection

    def no_data_version(self, schema=None):
        raise apsw.SQLError('no data version here')
    monkeypatch.setattr(Connection, 'data_version', no_data_version)
    db = database(str(tmp_path / 'o.db'))
    items = db.t.item
    items.create(id=int, name=str, qty=int, pk='id')
    cls = table_dataclass(items)
    got = [items.insert(cls(name=n, qty=1)) for n in 'abc']
    assert '_fh_lane' not in items.__dict__
    assert [(o.id, o.name) for o in got] == [(1, 'a'), (2, 'b'), (3, 'c')]
    assert (items.last_pk, items.last_rowid, items.result) == (3, 3, [{'id': 3, 'name': 'c', 'qty': 1}])


def test_an_insert_a_trigger_skips_answers_as_fastlite(tmp_path):
    "A BEFORE INSERT trigger that skips the row (RAISE(IGNORE)): nothing stored, and the call answers as fastlite's."
    out = {}
    for name, db in (('fastlite', fastlite.database(tmp_path / 'ref.db')), ('ours', database(str(tmp_path / 'o.db')))):
        items = db.t.item
        items.create(id=int, name=str, pk='id')
        items.insert(name='kept')
        db.execute("create trigger skip before insert on item when new.name = 'no' begin select raise(ignore); end")
        out[name] = ([_outcome(lambda t=items: t.insert(name='no')), _outcome(lambda t=items: t.insert(name='yes'))],
                     _state(items), _contents(db))
    assert out['ours'] == out['fastlite']


def _lane_ops(rng: random.Random):
    """(description, call on a side and its `item` table) for a sequence of what apps repeat most: inserting row
    objects of the table's class, in a few shapes, mixed with everything that changes how an insert must answer:
    values fastlite converts, keyword inserts, another connection changing the table (a column, a new key, triggers),
    a new row class, an `xtra` filter, an open transaction, and reads and deletes."""
    words = ['a', 'no', "o'neil", '', 'ünï']
    shapes = [('name', 'qty', 'tag'), ('name', 'qty', 'tag'), ('name',), ('id', 'name', 'qty', 'tag'), ('qty', 'tag')]

    def val():
        return rng.choice([rng.randint(0, 9), rng.choice(words), None, True, 2.5, b'\x01'])

    while True:
        k = rng.random()
        if k < 0.6:
            rec = {f: rng.randint(0, 40) if f == 'id' else val() for f in rng.choice(shapes)}
            if rng.random() < 0.05:
                rec[rng.choice(['tag', 'name'])] = rng.choice([Colour.red, date(2024, 1, 2), UNSET, {'k': 1}])
            intxn = rng.random() < 0.05

            def ins(side, r=rec, intxn=intxn):
                t = side.db.t.item
                try:
                    obj = t.cls(**r)
                except TypeError as e:
                    return ('no object', str(e))
                if not intxn:
                    return t.insert(obj)
                with side.db.conn:
                    return t.insert(obj)
            yield f'insert(obj {rec}{" in a transaction" if intxn else ""})', ins
        elif k < 0.65:
            n = val()
            yield 'insert(**kw)', lambda side, n=n: side.db.t.item.insert(name=n, qty=1)
        elif k < 0.69:
            ddl = rng.choice([
                'alter table item add column extra text',
                'create table item2 (tag text, qty integer, name text, id integer primary key); '  # columns reordered
                'insert into item2 (id, name, qty, tag) select id, name, qty, tag from item; '
                'drop table item; alter table item2 rename to item',
                "create trigger if not exists skip before insert on item when new.name = 'no' "
                'begin select raise(ignore); end',
                'drop trigger if exists skip',
                'create trigger if not exists logit after insert on item begin insert into log (v) values (new.qty); '
                'end',
                'drop trigger if exists logit',
                'create index if not exists item_qty on item (qty)'])
            yield f'ddl({ddl})', lambda side, s=ddl: side.raw.execute(s).fetchall()
        elif k < 0.72:  # data (or a schema) changed by another connection, or by this one
            sql, own = rng.choice([("insert into item (name, qty) values ('elsewhere', 1)", False),
                                   ('insert into log (v) values (1)', False),
                                   ('create index if not exists log_v on log (v)', True),
                                   ('drop index if exists log_v', True),
                                   ("insert into log (v) values ('own')", True)])
            yield f'{"own" if own else "other"}({sql})', lambda side, q=sql, o=own: (
                side.db.execute(q) if o else side.raw.execute(q)).fetchall()
        elif k < 0.76:  # a new row class, as an app that calls it again after a change
            yield 'new class', lambda side: (table_dataclass(side.db.t.item) if side.ours
                                             else side.db.t.item.dataclass()).__name__
        elif k < 0.81:
            tag = rng.choice([None, None, None, 'a'])  # (a filter stays on until it is turned off)
            yield f'xtra({tag})', lambda side, g=tag: side.db.t.item.xtra(**({'tag': g} if g else {}))
        elif k < 0.9:
            ident = rng.randint(0, 40)
            yield f'get({ident})', lambda side, i=ident: side.db.t.item.get(i, default='none')
        else:
            ident = rng.randint(0, 40)
            yield f'delete({ident})', lambda side, i=ident: side.db.t.item.delete(i)


@pytest.mark.parametrize('lane', [pytest.param('C', marks=needs_c), 'Python'])
@pytest.mark.parametrize("seed", range(10))
def test_repeated_object_inserts_answer_as_fastlite(tmp_path, seed, lane, monkeypatch):
    """Inserting row objects of one shape again and again takes a quicker lane once the first has run (see
    `Table._lane_insert`, and its usual case in C, `_crows.lane_insert`); whatever happens around them, every answer,
    the table state and the contents are fastlite's. Run with the C lane (as apps run) and without it."""
    from fasthtml import _sqlite
    from fasthtml._sqlite import Table as OurTable
    taken = []
    if lane == 'C':
        c_lane = _sqlite._c_lane
        assert c_lane is not None  # (the suite builds the C extension)

        def counted_c(*a):
            out = c_lane(*a)
            taken.append(out is not NotImplemented and out is not False and type(out) is not tuple)
            return out
        monkeypatch.setattr(_sqlite, '_c_lane', counted_c)
    else:
        monkeypatch.setattr(_sqlite, '_c_lane', None)
        py_lane = OurTable._lane_insert

        def counted(self, *a):
            out = py_lane(self, *a)
            taken.append(out[0])
            return out
        monkeypatch.setattr(OurTable, '_lane_insert', counted)
    sides = []
    for ours, db in ((False, fastlite.database(tmp_path / 'ref.db')), (True, database(str(tmp_path / 'ours.db')))):
        side = _Side(db, ours)
        db.t.log.create(id=int, v=str, pk='id')
        sides.append(side)
    ref, us = sides
    gen = _lane_ops(random.Random(seed))
    for i in range(300):
        desc, call = next(gen)
        a, b = _outcome(lambda c=call: c(ref)), _outcome(lambda c=call: c(us))
        assert b == a, f'step {i}: {desc}'
        assert _state(us.db.t.item) == _state(ref.db.t.item), f'step {i}: {desc} (table state)'
        if i % 10 == 0 or desc.startswith('ddl'):
            assert _contents(us.db) == _contents(ref.db), f'step {i}: {desc} (contents)'
    assert _contents(us.db) == _contents(ref.db)
    assert taken.count(True) >= 10, taken  # (the lane ran: this test is about it)
    assert not us.db.conn.lock._is_owned()  # (every path gave the connection back)


def _lane_table(tmp_path, name='o.db'):
    "An item table on a database of ours, its row class, and a lane opened and left clean by three inserts."
    db = database(str(tmp_path / name))
    items = db.t.item
    items.create(id=int, name=str, qty=int, pk='id')
    cls = table_dataclass(items)
    for n in 'abc':
        items.insert(cls(name=n, qty=1))
    lane = items.__dict__['_fh_lane']
    assert lane[5][0] is not None  # clean: the next insert runs unchecked
    return db, items, cls, lane


def _free_elsewhere(conn):
    "Whether another thread can take the connection now (so this one does not hold it)."
    got = []
    t = threading.Thread(target=lambda: got.append(conn.lock.acquire(True, 60) and (conn.lock.release() or True)))
    t.start()
    t.join(120)
    return got == [True]


@needs_c
def test_the_c_lane_inserts_as_the_python_lane(tmp_path):
    "The C lane's usual case: the object, the table state and the lane's state the Python lane leaves."
    from fasthtml._sqlite import _c_lane
    out = {}
    for which in ('C', 'Python'):
        db, items, cls, lane = _lane_table(tmp_path, f'{which}.db')
        if which == 'C':
            got = _c_lane(items, lane, cls(name='d', qty=2))
        else:
            db.conn.acquire()
            try:
                got = items._lane_insert(lane, cls(name='d', qty=2))[1]
            finally:
                db.conn.release()
        assert type(got) is cls and not db.conn.lock._is_owned()
        out[which] = (_norm(got), _state(items), lane[5], _contents(db), vars(got) is items.result[0])
    assert out['C'] == out['Python']
    assert out['C'][0] == ('obj', 'Item', [('id', 4), ('name', 'd'), ('qty', 2)])


@needs_c
def test_the_c_lane_leaves_what_it_does_not_take_to_the_caller(tmp_path):
    """NotImplemented, nothing written and the connection as it was, when another thread holds the connection, this
    thread holds a transaction, or the record is not the lane's; once another connection's commit is seen, the rest
    left to the Python code (the connection still held), and then checked inserts while the lane cools down."""
    from fasthtml._sqlite import _c_lane
    db, items, cls, lane = _lane_table(tmp_path)
    count = items.count
    rec = cls(name='x', qty=1)
    held, go = threading.Event(), threading.Event()

    def holder():
        db.conn.acquire()
        held.set()
        go.wait(120)
        db.conn.release()
    t = threading.Thread(target=holder)
    t.start()
    assert held.wait(120)
    assert _c_lane(items, lane, rec) is NotImplemented  # (without waiting for it)
    go.set()
    t.join(120)
    with db.conn:  # this thread's transaction
        assert _c_lane(items, lane, rec) is NotImplemented
        assert items.insert(rec).name == 'x'  # (fastlite's code, inside the transaction)
        db.conn.execute('select 1')
    assert _c_lane(items, lane, cls(name='y')) is NotImplemented  # another set of fields (qty not set)
    assert _c_lane(items, lane, items.result[0]) is NotImplemented  # not a row object
    assert items.insert(cls(name='z', qty=3)).id == count + 2  # (leaves the lane clean again)
    other = sqlite3.connect(str(tmp_path / 'o.db'), isolation_level=None)  # (apsw's would run PRAGMA optimize)
    other.execute("insert into item (name, qty) values ('other', 0)")
    assert lane[5][0] is not None
    got = _c_lane(items, lane, cls(name='w', qty=4))  # the data version moved by two: finished by the Python code
    assert type(got) is tuple and got[-1] is False and db.conn.lock._is_owned()
    try:
        obj = items._lane_finish(lane, *got)
    finally:
        db.conn.release()
    assert (obj.id, obj.name, items.last_pk) == (count + 4, 'w', count + 4)
    assert not db.conn.lock._is_owned() and _free_elsewhere(db.conn)
    assert lane[5] == [None, 64]  # (the next inserts return the schema version with their rows)
    for k in range(3):
        got = _c_lane(items, lane, cls(name=f'v{k}', qty=k))
        assert type(got) is cls and got.id == count + 5 + k and items.last_pk == got.id
        assert lane[5] == [None, 63 - k] and not db.conn.lock._is_owned()
    lane[5][1] = 0  # (cooled down: a checked insert that finds the schema it knows leaves the lane clean)
    assert type(_c_lane(items, lane, cls(name='u', qty=9))) is cls and lane[5][0] == db.conn.data_version()
    other.close()


def test_the_c_lane_on_a_failing_statement(tmp_path):
    """A statement that fails (a trigger aborts it): fastlite's code runs after it and raises what it raises, as
    fastlite alone does; the connection is given back, and the lane goes on."""
    out = {}
    for name, db in (('fastlite', fastlite.database(tmp_path / 'ref.db')), ('ours', database(str(tmp_path / 'o.db')))):
        items = db.t.item
        items.create(id=int, name=str, qty=int, pk='id')
        cls = table_dataclass(items) if name == 'ours' else items.dataclass()
        db.execute("create trigger no before insert on item when new.name = 'bad' begin select raise(abort, 'no'); "
                   "end")
        steps = [_outcome(lambda t=items, n=n, k=cls: t.insert(k(name=n, qty=1))) for n in ['a', 'b', 'bad', 'c', 'd']]
        if name == 'ours':
            assert not db.conn.lock._is_owned() and _free_elsewhere(db.conn)
            assert items.__dict__['_fh_lane'][5][0] is not None  # (clean again: 'c' checked the schema)
        out[name] = (steps, _state(items), _contents(db))
    assert out['ours'] == out['fastlite']
    assert out['ours'][0][2][0] == 'err'


@needs_c
def test_the_c_lane_keeps_its_references(tmp_path):
    "Many C lane inserts leave the reference counts of what they touch as they were."
    from fasthtml._sqlite import _c_lane
    db, items, cls, lane = _lane_table(tmp_path)
    rec = cls(name='r', qty=5)
    way = next(iter(lane[4].values()))
    watched = [rec, lane, way, cls, items, db.conn, 'r', lane[5], way[4], NotImplemented]
    for _ in range(20):
        _c_lane(items, lane, rec)
    before = [sys.getrefcount(x) for x in watched]
    for _ in range(200):
        got = _c_lane(items, lane, rec)
        assert type(got) is cls
    del got
    items.result = None
    assert [sys.getrefcount(x) for x in watched] == before


@pytest.mark.parametrize('change', list(_REKEY))
def test_a_schema_change_elsewhere_reaches_the_insert_lane(tmp_path, change):
    """Once inserts of row objects take the quicker lane, another connection rebuilding the table (another key, no
    key, a new column) is seen by the very next insert, as fastlite sees it."""
    out = {}
    for name, db in (('fastlite', fastlite.database(tmp_path / 'ref.db')), ('ours', database(str(tmp_path / 'o.db')))):
        items = db.t.item
        items.create(id=int, name=str, qty=int, pk='id')
        cls = table_dataclass(items) if name == 'ours' else items.dataclass()
        steps = [_outcome(lambda t=items, n=n, k=cls: t.insert(k(name=n, qty=1))) for n in 'abc']
        if name == 'ours':  # the lane is open and its last insert left it clean: the next runs unchecked
            assert items.__dict__['_fh_lane'][5][0] is not None
        other = apsw.Connection(str(tmp_path / ('ref.db' if name == 'fastlite' else 'o.db')))
        other.execute(_REKEY[change])
        other.close()
        steps += [_outcome(lambda t=items, n=n, k=cls: t.insert(k(name=n, qty=2))) for n in 'de']
        out[name] = (steps, _state(items), _contents(db))
    assert out['ours'] == out['fastlite']


# ---------------------------------------------------------------------------------------------------------------
# Threads

def _run_threads(n, work):
    errors = []

    def guard(i):
        try:
            work(i)
        except BaseException as e:  # noqa: BLE001  (reported below, with its thread)
            errors.append((i, repr(e)))
    ts = [threading.Thread(target=guard, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert not any(t.is_alive() for t in ts), 'a thread did not finish'
    return errors


@pytest.mark.parametrize('where', ['file', 'memory'])
def test_threads_share_one_database(tmp_path, where):
    "What raised ThreadingViolationError in fastlite when threads overlapped: each call gets its own answer."
    db = database(str(tmp_path / 'x.db') if where == 'file' else ':memory:')
    todos = db.create(_todo_class())
    items = db.t.item
    items.create(id=int, name=str, qty=int, pk='id')
    Item = table_dataclass(items)
    kept = {}

    def work(i):
        mine = []
        for j in range(60):
            t = todos.insert(title=f't{i}-{j}', done=False, prio=i)
            assert t.title == f't{i}-{j}' and todos[t.id].title == t.title  # its own row, not another thread's
            it = items.insert(Item(name=f'n{i}-{j}', qty=j))
            assert (it.name, it.qty) == (f'n{i}-{j}', j)
            it.qty += 1
            assert items.update(it).qty == j + 1
            assert [r.id for r in todos(where='prio = ? and title = ?', where_args=[i, t.title])] == [t.id]
            assert db.q('select title from todo where id = ?', [t.id]) == [{'title': t.title}]
            cur = db.execute('select id from item where name like ?', [f'n{i}-%'])  # a cursor stepped row by row
            assert len([r for r in cur]) == len(mine) + 1
            assert db.conn.execute('select count(*) from todo where prio = ?', (i,)).fetchone()[0] == j + 1
            mine.append(it.id)
            if j % 3 == 0:
                items.delete(mine.pop(0))
        kept[i] = mine
    assert _run_threads(8, work) == []
    assert sorted(r['id'] for r in db.q('select id from item')) == sorted(x for m in kept.values() for x in m)
    assert todos.count == 8 * 60


def test_rows_are_made_with_the_connection_given_back(tmp_path):
    """`tbl()` makes its rows' objects once the query is done and the connection given back, so other threads'
    queries do not wait for that; an error making them still answers as fastlite does."""
    db = database(str(tmp_path / 'x.db'))
    held = []

    @dataclasses.dataclass
    class Thing:
        id: int = None
        name: str = None

        def __post_init__(self):
            held.append(db.conn.lock._is_owned())
            if self.name == 'bad':
                raise ValueError('no bad things')
    things = db.create(Thing, pk='id')
    things.insert(name='a')
    things.insert(name='b')
    held.clear()
    assert [t.name for t in things(order_by='id')] == ['a', 'b'] and held == [False, False]
    db.execute("insert into thing (name) values ('bad')")
    with pytest.raises(ValueError, match='no bad things'):
        things(order_by='id')
    assert not db.conn.lock._is_owned()
    assert [t.name for t in things(where="name != 'bad'")] == ['a', 'b']


def test_a_transaction_belongs_to_its_thread(tmp_path):
    "Another thread's write waits for the transaction to end instead of joining it (and being rolled back with it)."
    db = database(str(tmp_path / 'x.db'))
    items = db.t.item
    items.create(id=int, name=str, pk='id')
    inside, done = threading.Event(), []

    def owner(i):
        try:
            with db.conn:
                items.insert(name='rolled back')
                inside.set()
                time.sleep(0.3)  # the other thread reaches its insert meanwhile (if it is late, it waits less)
                raise RuntimeError('undo')
        except RuntimeError:
            done.append('rolled back')

    def other(i):
        assert inside.wait(60)
        items.insert(name='kept')
        db.execute('BEGIN')                       # an explicit transaction is its thread's too
        items.insert(name='kept too')
        db.execute('COMMIT')

    assert _run_threads(2, lambda i: (owner if i == 0 else other)(i)) == []
    assert done == ['rolled back']
    assert [r['name'] for r in db.q('select name from item order by id')] == ['kept', 'kept too']
    assert not db.conn.in_transaction


def test_a_transaction_left_open_makes_others_wait_then_fail(tmp_path, monkeypatch):
    import fasthtml._sqlite as sq
    monkeypatch.setattr(sq, 'WAIT_S', 0.2)
    db = database(str(tmp_path / 'x.db'))
    db.t.item.create(id=int, name=str, pk='id')
    opened, closing = threading.Event(), threading.Event()
    seen = []

    def owner():
        db.execute('BEGIN')
        db.t.item.insert(name='x')
        opened.set()
        assert closing.wait(60)
        db.execute('COMMIT')

    t = threading.Thread(target=owner)
    t.start()
    assert opened.wait(60)
    try:
        db.q('select * from item')
    except apsw.BusyError as e:
        seen.append(str(e))
    closing.set()
    t.join(60)
    assert seen and 'another thread held its connection' in seen[0]
    assert db.q('select name from item') == [{'name': 'x'}]  # and the connection is free again


def _holding(db, then, hold=60.0):
    """Run `then()` while another thread holds `db`'s connection (given back once `then` returns, or after `hold`
    seconds), and return what it returned and whether the other thread still held the connection at that moment."""
    got, release, giving_back = threading.Event(), threading.Event(), threading.Event()

    def holder():
        db.conn.acquire()
        try:
            got.set()
            release.wait(hold)
        finally:
            giving_back.set()
            db.conn.release()
    t = threading.Thread(target=holder)
    t.start()
    try:
        assert got.wait(60)
        out = then()
        return out, not giving_back.is_set()
    finally:
        release.set()
        t.join(60)


def _aside_db(tmp_path, **kw):
    db = database(str(tmp_path / 'x.db'), **kw)
    items = db.t.item
    items.create(id=int, name=str, pk='id')
    table_dataclass(items)  # rows as objects
    for n in 'abc':
        items.insert(name=n)
    return db, items


def test_a_read_while_another_thread_holds_the_connection_reads_aside(tmp_path):
    """`tbl()` while another thread has the connection reads on this thread's own read-only connection instead of
    waiting: the same rows, objects, filters and order."""
    db, items = _aside_db(tmp_path)
    Item = items.cls
    rows, held = _holding(db, lambda: (items(order_by='id desc'), items(where='name != ?', where_args=['b']),
                                       items(as_cls=False, limit=1), items(where='name = ?', where_args=['zz']),
                                       items(xtra={'name': 'c'}), items(where='name = :n', where_args={'n': 'b'})))
    assert held  # answered while the other thread still had the connection
    assert [r.name for r in rows[0]] == ['c', 'b', 'a'] and all(type(r) is Item for r in rows[0])
    assert [r.name for r in rows[1]] == ['a', 'c']
    assert rows[2] == [{'id': 1, 'name': 'a'}]
    assert rows[3] == []
    assert [r.name for r in rows[4]] == ['c'] and [r.name for r in rows[5]] == ['b']
    assert db.conn.reader() is not None and db.conn.reader() is db.conn.reader()  # one per thread, kept
    assert items() == rows[0][::-1]  # with the connection free: the shared one, the same answer
    readers = list(db.conn._readers)
    db.conn.close()
    assert readers
    for r in readers:  # closed with it
        with pytest.raises(apsw.ConnectionClosedError):
            r.execute('select 1')


def test_a_read_aside_that_fails_raises_as_fastlite_and_leaves_its_reader_current(tmp_path):
    "A read the reader fails on goes to the shared connection (same error); the reader then sees later commits."
    db, items = _aside_db(tmp_path)
    _, held = _holding(db, lambda: [r.name for r in items()])  # this thread has a reader now
    assert held

    def bad():
        with pytest.raises(Exception) as e:
            items(where='name = ?', where_args=[object()])
        return e.type
    alone = bad()
    contended, held = _holding(db, bad, hold=0.3)
    assert contended is alone and not held  # it waited for the shared connection, which raised
    items.insert(name='d')
    rows, held = _holding(db, lambda: [r.name for r in items(order_by='id')])
    assert held and rows == ['a', 'b', 'c', 'd']


def test_a_read_aside_sees_what_was_committed_not_another_threads_open_transaction(tmp_path):
    db, items = _aside_db(tmp_path)
    inside, finish = threading.Event(), threading.Event()
    seen = []

    def owner():
        with db.conn:
            items.insert(name='d')
            inside.set()
            assert finish.wait(60)

    def reader():
        assert inside.wait(60)
        seen.append([r.name for r in items(order_by='id')])  # without waiting for the transaction to end
        finish.set()
    assert _run_threads(2, lambda i: (owner, reader)[i]()) == []
    assert seen == [['a', 'b', 'c']]
    assert [r.name for r in items(order_by='id')] == ['a', 'b', 'c', 'd']  # committed: seen by every read


def test_a_thread_reads_its_own_transaction_on_the_shared_connection(tmp_path):
    db, items = _aside_db(tmp_path)
    with db.conn:
        items.insert(name='d')
        assert [r.name for r in items(order_by='id')] == ['a', 'b', 'c', 'd']
    assert getattr(db.conn._aside, 'r', None) is None  # no reader was needed


@pytest.mark.parametrize('where', ['memory', 'rollback journal'])
def test_no_read_aside_where_another_connection_would_not_do(tmp_path, where, monkeypatch):
    """An in-memory database is its connection's alone, and a reader of a file in rollback-journal mode would hold up
    its writers: there a read waits for the connection."""
    monkeypatch.setattr(apsw, 'connection_hooks', [])  # (apswutils' hooks turn WAL on for every connection)
    if where == 'memory':
        db = database(':memory:')
        items = db.t.item
        items.create(id=int, name=str, pk='id')
        table_dataclass(items)
        items.insert(name='a')
    else:
        db, items = _aside_db(tmp_path, wal=False)
        assert db.q('PRAGMA journal_mode') == [{'journal_mode': 'delete'}]
    rows, held = _holding(db, lambda: [r.name for r in items(order_by='id')], hold=0.3)
    assert not held and rows[0] == 'a'
    assert db.conn.reader() is None and db.conn._aside_file is None


def _temp_table(db):
    db.execute('create temp table item (id integer primary key, name text)')
    db.execute("insert into temp.item (name) values ('temporary')")


@pytest.mark.parametrize('setting', [
    _temp_table,
    lambda db: db.conn.create_scalar_function('shout', lambda s: s.upper()),
    lambda db: db.conn.create_collation('rev', lambda a, b: (a < b) - (a > b)),
    lambda db: setattr(db.conn, 'authorizer', lambda *a: apsw.SQLITE_OK),
    lambda db: setattr(db.conn, 'row_trace', lambda cur, row: row),
    lambda db: db.conn.set_exec_trace(lambda *a: True),
    lambda db: db.execute('PRAGMA case_sensitive_like = 1'),
    lambda db: db.execute("PRAGMA main.journal_mode = 'delete'"),
    lambda db: db.execute("ATTACH ':memory:' AS other"),
    lambda db: db.q('PRAGMA case_sensitive_like = 1'),
    lambda db: db.conn.execute('create temporary view v as select 1'),
    lambda db: db.conn.executemany('PRAGMA reverse_unordered_selects = 1', [()]),
], ids=['temp table', 'function', 'collation', 'authorizer', 'row trace', 'exec trace', 'pragma', 'journal mode',
        'attach', 'pragma by q', 'temporary view', 'pragma by executemany'])
def test_anything_set_on_the_connection_stops_reads_aside(tmp_path, setting):
    "What a second connection would not have (and a query could see) keeps every read on the shared connection."
    db, items = _aside_db(tmp_path)
    for sql in ('PRAGMA table_info(item)', "PRAGMA journal_mode = 'wal'", 'PRAGMA schema_version', 'select 1'):
        db.execute(sql)
    assert db.conn._plain  # reading PRAGMAs and the WAL this module turns on set nothing
    setting(db)
    shared = [r['name'] for r in items(as_cls=False)]  # what the shared connection answers now
    rows, held = _holding(db, lambda: [r['name'] for r in items(as_cls=False)], hold=0.3)
    assert not held and rows == shared
    if setting is _temp_table:
        assert shared == ['temporary']  # (a reader of the file would have answered a, b, c)


def test_a_table_only_another_threads_open_transaction_has_waits_for_it(tmp_path):
    "A read the reader cannot run (the table is not committed yet) waits for the shared connection, then and after."
    db, _ = _aside_db(tmp_path)
    inside, finish = threading.Event(), threading.Event()
    seen = []

    def owner():
        with db.conn:
            db.t.fresh.create(id=int, name=str, pk='id')
            db.t.fresh.insert(name='new')
            assert [r['name'] for r in db.t.fresh()] == ['new']
            inside.set()
            assert finish.wait(0.3) is False  # the other thread is waiting for the connection, not reading aside

    def reader():
        assert inside.wait(60)
        seen.append([r['name'] for r in db.t.fresh()])
        finish.set()
    assert _run_threads(2, lambda i: (owner, reader)[i]()) == []
    assert seen == [['new']]
    assert any('fresh' in q for q in db.conn._aside_skip)


def test_reads_aside_under_concurrent_writes_see_whole_commits_in_order(tmp_path):
    """Threads reading while others insert: every read is the start of the final list (nothing half-written, nothing
    out of order), and a thread's reads never go back in time."""
    db, items = _aside_db(tmp_path)
    writers, readers, per = 3, 5, 150
    ends, bad = [], []

    def work(i):
        if i < writers:
            for j in range(per):
                items.insert(name=f'w{i}-{j}')
            return
        last = 0
        for _ in range(per):
            ids = [r.id for r in items(order_by='id')]
            if ids != sorted(ids) or len(ids) < last or len(set(ids)) != len(ids):
                bad.append(ids)
            last = len(ids)
            ends.append(ids)
    assert _run_threads(writers + readers, work) == []
    final = [r.id for r in items(order_by='id')]
    assert len(final) == 3 + writers * per and not bad
    assert all(ids == final[:len(ids)] for ids in ends)


# ---------------------------------------------------------------------------------------------------------------
# A real server: `def` handlers in uvicorn's thread pool, concurrent clients

APP = '''
from fasthtml.common import *

app, rt, todos, Todo = fast_app('data/todos.db', todos=dict(id=int, title=str, done=bool, pk='id'))


@rt('/')
async def get():  # the event loop's thread uses the database while the pool's threads do
    return Ul(*[Li(t.title, id=f'todo-{t.id}') for t in todos(order_by='id')])


@rt('/add')
def post(title: str):
    t = todos.insert(Todo(title=title, done=False))
    assert t.title == title, (t, title)
    return Li(t.title, id=f'todo-{t.id}')


@rt('/toggle/{tid}')
def post(tid: int):
    t = todos[tid]
    t.done = not t.done
    return Li(todos.update(t).title, id=f'todo-{tid}')


@rt('/del/{tid}')
def delete(tid: int):
    todos.delete(tid)
    return ''


@rt('/count')
def get():
    return str(todos.count)
'''


def test_def_handlers_under_concurrent_requests(tmp_path):
    import re

    import httpx
    from redis_server import free_port, kill_group
    (tmp_path / 'app.py').write_text(APP)
    port = free_port()
    log = tmp_path / 'uvicorn.log'
    with open(log, 'wb') as out:
        proc = subprocess.Popen([sys.executable, '-m', 'uvicorn', 'app:app', '--host', '127.0.0.1', '--port',
                                 str(port), '--no-access-log'],
                                cwd=tmp_path, env={**os.environ, 'PYTHONPATH': str(REPO)}, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    url = f'http://127.0.0.1:{port}'
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                httpx.get(url + '/count', timeout=10)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        statuses, added, deleted = [], [], []
        lock = threading.Lock()

        def client(i):
            with httpx.Client(base_url=url, timeout=60, headers={'HX-Request': 'true'}) as c:
                for j in range(40):
                    r = c.post('/add', data={'title': f'c{i}-{j}'})
                    tid = int(re.search(r'todo-(\d+)', r.text).group(1))
                    got = [r.status_code, c.post(f'/toggle/{tid}').status_code, c.get('/').status_code]
                    if j % 4 == 0:  # (a deleted last row's id is given again, as SQLite does)
                        got.append(c.delete(f'/del/{tid}').status_code)
                    with lock:
                        statuses.extend(got)
                        added.append(f'c{i}-{j}')
                        if j % 4 == 0:
                            deleted.append(f'c{i}-{j}')
        assert _run_threads(12, client) == []
        assert statuses and all(s == 200 for s in statuses), sorted(set(statuses))
        page = httpx.get(url + '/', timeout=30).text
        assert sorted(re.findall(r'>(c\d+-\d+)<', page)) == sorted(set(added) - set(deleted))
        assert httpx.get(url + '/count', timeout=30).text == str(12 * 40 - 12 * 10)
        assert proc.poll() is None
    finally:
        kill_group(proc)
    assert 'Traceback' not in log.read_text(), log.read_text()[-3000:]
