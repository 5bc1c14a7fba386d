"""The data layer: the same MiniDataAPI tests on SQLite (fastlite) and on a real PostgreSQL server (fasthtml._sqldb).

Every test taking `db` runs twice, once per backend, and expects the same answers: what fastlite gives on SQLite is
the reference. PostgreSQL-only tests at the end cover what SQLite has no counterpart for (a pool shared by threads,
a server dropping connections, several processes creating the same tables).
"""
# (no `from __future__ import annotations`: fastlite reads the table classes' annotations as types)

import json
import subprocess
import sys
import textwrap
import threading
from datetime import date, datetime
from pathlib import Path

import pytest
from fastcore.xtras import UNSET

from fasthtml.common import NotFoundError, database, fast_app
from fasthtml.core import Client
from fasthtml.db import is_url

REPO = Path(__file__).resolve().parents[1]
HX = {'HX-Request': 'true'}


@pytest.fixture
def db(db_target):
    d = database(db_target)
    yield d
    if is_url(db_target):
        d.close()


class Todo:
    id: int
    title: str
    done: bool
    owner: str


class Pub:
    authors: str
    year: int
    title: str


@pytest.fixture
def todos(db):
    return db.create(Todo)


def fill(todos):
    todos.insert(Todo(title='a', done=False, owner='x'))
    todos.insert(title='b', done=True, owner='y')
    todos.insert(dict(title='c', done=False, owner='x'))
    return todos


# ---------------------------------------------------------------------------------------------------------------
# Both backends, same answers

def test_database_kinds(db_target, db):
    if is_url(db_target):
        assert type(db).__name__ == 'SQLDatabase' and repr(db).startswith('SQLDatabase(postgresql+psycopg://')
    else:
        import fastlite
        assert isinstance(db, fastlite.Database)  # a path gives exactly what fastlite's `database` gives


def test_create_and_table_access(db, todos):
    assert repr(todos) == '<Table todo (id, title, done, owner)>'
    assert 'todo' in db.t and todos in db.t and 'nope' not in db.t
    assert db.t.todo.pks == ['id'] and db.t['todo'].pks == ['id']
    again = db.create(Todo)  # an existing table is opened (ignore=True)
    assert repr(again) == repr(todos)
    pubs = db.create(Pub, pk=('authors', 'year'))
    assert pubs.pks == ['authors', 'year']


def test_insert_assigns_ids(todos):
    Cls = todos.cls
    a = todos.insert(Todo(title='a', done=False, owner='x'))
    assert (type(a), a.id, a.title, a.done, a.owner) == (Cls, 1, 'a', 0, 'x')
    assert todos.insert(title='b', done=True, owner='y').id == 2
    assert todos.insert(dict(title='c', done=False, owner='x')).id == 3
    assert todos.insert(dict(id=None, title='d', done=False, owner='x')).id == 4  # NULL id: the next one
    assert todos.insert(Cls(title='e')).id == 5                                   # fields left UNSET
    assert todos.insert({}) == {}


def test_explicit_ids_move_the_counter(todos):
    todos.insert(title='a')
    assert todos.insert(id=10, title='ten').id == 10
    assert todos.insert(title='after').id == 11
    assert todos.upsert(id=20, title='twenty').id == 20
    assert todos.insert(title='after upsert').id == 21


def test_bools_are_stored_as_0_and_1(db, todos):
    fill(todos)
    assert [t.done for t in todos(order_by='id')] == [0, 1, 0]
    assert [r['id'] for r in db.q('SELECT id FROM todo WHERE done = 0 ORDER BY id')] == [1, 3]
    assert [t.id for t in todos('done = ?', [True])] == [2]
    t = todos[1]
    t.done = not t.done
    assert todos.update(t).done == 1


def test_values_stored_as_fastlite_stores_them(db):
    class Thing:
        id: int
        name: str
        when: str
        day: str
        data: str
        amount: float
    things = db.create(Thing)
    r = things.insert(name='a', when=datetime(2024, 1, 2, 3, 4, 5), day=date(2024, 1, 2), data={'x': 1}, amount=3)
    assert (r.when, r.day, r.data, r.amount) == ('2024-01-02T03:04:05', '2024-01-02', '{"x": 1}', 3.0)
    assert json.loads(things.insert(name='b', data=[1, 2]).data) == [1, 2]
    assert things[2].amount is None and things[2].when is None


def test_get_contains_and_not_found(todos):
    fill(todos)
    assert todos[1].title == 'a' and todos.get(2).title == 'b'
    with pytest.raises(NotFoundError):
        todos[99]
    assert todos.get(99, default=None) is None
    assert (1 in todos, 99 in todos) == (True, False)
    assert todos.get(1, as_cls=False) == {'id': 1, 'title': 'a', 'done': 0, 'owner': 'x'}


def test_compound_primary_keys(db):
    pubs = db.create(Pub, pk=('authors', 'year'))
    pubs.insert(Pub(authors='Alma', year=2019, title='FastHTML'))
    pubs.insert(authors='Alma', year=2030, title='Beyond')
    assert pubs[['Alma', 2019]].title == 'FastHTML' and pubs['Alma', 2030].title == 'Beyond'
    assert ['Alma', 2019] in pubs and ('John', 1967) not in pubs
    assert repr(pubs.delete(['Alma', 2019])) == repr(pubs)
    with pytest.raises(NotFoundError):
        pubs.delete(['Alma', 2019])
    with pytest.raises(NotFoundError):
        pubs['Alma']  # a compound key needs all its values


def test_queries(todos):
    fill(todos)
    todos.insert(title='d', done=False, owner='x')
    ids = lambda rows: [t.id for t in rows]  # noqa: E731
    assert ids(todos()) == [1, 2, 3, 4]
    assert ids(todos('owner=?', ('x',))) == [1, 3, 4]
    assert ids(todos(where='owner = ?', where_args=['x'], order_by='id desc', limit=2)) == [4, 3]
    assert ids(todos('owner=:o', {'o': 'x'})) == [1, 3, 4]
    assert ids(todos(limit=2, offset=1)) == [2, 3]
    assert ids(todos(where="title = 'a' or title = 'b'")) == [1, 2]
    assert ids(todos(where="title like 'a%'")) == [1]
    assert ids(todos(where="title like ? or title = '?'", where_args=['b%'])) == [2]
    assert todos(with_pk=True, limit=1)[0][0] == 1 and todos(with_pk=True, limit=1)[0][1].title == 'a'
    assert todos(as_cls=False, limit=1) == [{'id': 1, 'title': 'a', 'done': 0, 'owner': 'x'}]
    part = todos(select='id, title', limit=1)[0]
    assert (part.id, part.title, part.done, part.owner) == (1, 'a', UNSET, UNSET)
    assert todos.selectone('id=?', (2,)).title == 'b'
    with pytest.raises(NotFoundError):
        todos.selectone('id=?', (99,))
    with pytest.raises(ValueError, match='Not unique'):
        todos.selectone('owner=?', ('x',))


def test_default_order_after_updates(todos):
    "Without order_by rows come in primary-key order on both (PostgreSQL would otherwise move updated rows last)."
    fill(todos)
    todos.update(id=1, title='A')
    assert [t.id for t in todos()] == [1, 2, 3]


def test_update(todos):
    Cls = todos.cls
    fill(todos)
    u = todos.update(Cls(id=1, title='A', done=True, owner='x'))
    assert (u.id, u.title, u.done) == (1, 'A', 1)
    u = todos.update(id=2, title='B')
    assert (u.title, u.done, u.owner) == ('B', 1, 'y')  # other fields kept
    assert todos.update(dict(id=3, title='C')).title == 'C'
    with pytest.raises(NotFoundError):
        todos.update(id=99, title='Z')
    with pytest.raises(KeyError):
        todos.update(title='no id')
    assert todos.update({}) == {}


def test_upsert(todos):
    fill(todos)
    assert todos.upsert(id=10, title='u', done=False, owner='z').title == 'u'
    assert todos.upsert(id=10, title='u2').title == 'u2' and todos[10].owner == 'z'
    assert todos.upsert(id=1, title='A').title == 'A' and todos[1].owner == 'x'
    with pytest.raises(KeyError):
        todos.upsert(title='no id')


def test_delete(todos):
    fill(todos)
    assert str(todos.delete(3)) == '"todo"'  # the table, as fastlite returns it
    assert [t.id for t in todos()] == [1, 2]
    with pytest.raises(NotFoundError):
        todos.delete(3)


def test_xtra_limits_every_operation_but_insert_sets_it(todos):
    fill(todos)
    todos.xtra(owner='x')
    assert [t.id for t in todos()] == [1, 3]
    assert [t.id for t in todos(where='id > ?', where_args=[1])] == [3]
    assert todos[1].title == 'a'
    with pytest.raises(NotFoundError):
        todos[2]
    assert 2 not in todos
    with pytest.raises(NotFoundError):
        todos.update(id=2, title='hack')
    with pytest.raises(NotFoundError):
        todos.delete(2)
    e = todos.insert(title='e', done=False)
    assert e.owner == 'x'
    assert todos.update(id=1, title='mine').title == 'mine'


def test_raw_sql(db, todos):
    fill(todos)
    assert db.q('SELECT id, title FROM todo WHERE owner = ? ORDER BY id', ['x']) == [{'id': 1, 'title': 'a'},
                                                                                    {'id': 3, 'title': 'c'}]
    assert db.q('SELECT id FROM todo WHERE owner = :o ORDER BY id', {'o': 'x'}) == [{'id': 1}, {'id': 3}]
    assert db.q("SELECT count(*) AS n FROM todo WHERE title LIKE 'a%'") == [{'n': 1}]
    assert db.q("SELECT count(*) AS n FROM todo WHERE title LIKE ? AND title <> '?'", ['%']) == [{'n': 3}]
    db.execute('UPDATE todo SET title = ? WHERE id = ?', ['q', 1])
    assert todos[1].title == 'q'
    db.execute('CREATE UNIQUE INDEX IF NOT EXISTS todo_title ON todo(title)')
    with pytest.raises(Exception):  # noqa: B017 (a unique violation: apsw's ConstraintError, psycopg's UniqueViolation)
        todos.insert(title='q')
    fine = todos.insert(title='fine')  # a failed statement leaves the connection usable
    assert todos[fine.id].title == 'fine'  # (PostgreSQL's sequence skips the id the failed insert drew: 5, not 4)


def test_table_create_and_transform(db):
    things = db.t.things
    things.create(id=int, name=str, pk='id')
    things.create(dict(id=int, name=str, extra=float), pk='id', transform=True)
    assert repr(db.t.things) == '<Table things (id, name, extra)>'
    Things = db.t.things.dataclass()
    assert Things.__name__ == 'Things' and Things().name is UNSET
    r = db.t.things.insert(Things(name='n', extra=1.5))
    assert (r.id, r.name, r.extra) == (1, 'n', 1.5)
    assert db.t.things.count == 1


def test_insert_all_and_where_helpers(todos):
    todos.insert_all([dict(title='a', owner='x'), dict(title='b', owner='y'), Todo()])
    assert [t.title for t in todos()] == ['a', 'b']
    assert todos.count == 2


def test_fast_app_tables(db_target):
    app, rt, items, Item = fast_app(db=db_target, items={'id': int, 'name': str, 'done': bool, 'pk': 'id'},
                                    render=lambda i: f'<{i.name}>')

    @rt('/')
    async def index():
        return items(order_by='id')

    @rt('/add')
    def add(name: str):
        return items.insert(Item(name=name, done=False))

    cli = Client(app)
    assert cli.post('/add', data={'name': 'x'}, headers=HX).text == '&lt;x&gt;'
    assert cli.post('/add', data={'name': 'y'}, headers=HX).text == '&lt;y&gt;'
    assert cli.get('/', headers=HX).text == '&lt;x&gt;&lt;y&gt;'
    assert [i.id for i in items()] == [1, 2]
    # the same schema again (a restart, another worker): the table is opened, and a new column added
    app2, _, items2, Item2 = fast_app(db=db_target, items={'id': int, 'name': str, 'done': bool, 'note': str,
                                                             'pk': 'id'})
    assert 'note' in Item2.__dataclass_fields__ and items2[1].name == 'x'
    with pytest.raises(ValueError, match='not both'):
        fast_app('x.db', db=db_target)


def test_threads_share_one_database(pg_url):
    """Handlers run in many threads: concurrent inserts and reads through one database object all succeed. (Only on
    PostgreSQL: fastlite's SQLite connection refuses a call while another thread uses it, ThreadingViolationError,
    as it does in the original; async handlers, which share the event loop's thread, avoid it.)"""
    db = database(pg_url)
    todos = db.create(Todo)
    errors: list = []

    def work(n: int) -> None:
        try:
            for i in range(10):
                todos.insert(title=f'{n}-{i}', owner=str(n))
                todos(where='owner = ?', where_args=[str(n)])
        except Exception as e:  # noqa: BLE001 (collected and asserted below)
            errors.append(e)
    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    rows = todos()
    assert len(rows) == 80 and len({t.id for t in rows}) == 80
    db.close()


# ---------------------------------------------------------------------------------------------------------------
# PostgreSQL only

def test_placeholders_translation():
    from fasthtml._sqldb import qmark_to_pyformat
    assert qmark_to_pyformat("a = ? AND b LIKE 'x%?' AND c::text = ?", False)[0] == \
        "a = %s AND b LIKE 'x%%?' AND c::text = %s"
    assert qmark_to_pyformat("a = :a AND b = ':b' AND c::int = :c_2", True) == \
        ("a = %(a)s AND b = ':b' AND c::int = %(c_2)s", ('a', 'c_2'))
    assert qmark_to_pyformat('"we?ird" = ?', False)[0] == '"we?ird" = %s'


def test_xtra_is_parenthesised(pg_url):
    """A `where` with OR cannot escape the xtra filter on PostgreSQL (fastlite joins the two without parentheses,
    so on SQLite `todos(where="a or b")` after `todos.xtra(owner='x')` also returns others' rows matching b)."""
    db = database(pg_url)
    todos = fill(db.create(Todo))
    todos.xtra(owner='x')
    assert [t.id for t in todos(where="title = 'a' or title = 'b'")] == [1]
    db.close()


def test_reads_survive_a_dropped_connection(pg_url):
    "The server closing pooled connections (a restart, an idle timeout) costs no failed read: it is retried once."
    db = database(pg_url, engine_kws=dict(pool_size=2, max_overflow=0))
    todos = db.create(Todo)
    fill(todos)
    assert len(todos()) == 3
    db.q("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
         "AND pid <> pg_backend_pid()")
    assert len(todos()) == 3 and todos[1].title == 'a'
    db.close()


def test_ping(pg_url):
    db = database(pg_url)
    assert db.ping() is True
    db.close()
    bad = database('postgresql://fh@127.0.0.1:1/nothing', engine_kws=dict(connect_args={'connect_timeout': 2}))
    assert bad.ping(timeout=1) is False


def test_common_does_not_import_sqlalchemy():
    code = 'import sys, fasthtml.common; print("sqlalchemy" in sys.modules, "fasthtml._sqldb" in sys.modules)'
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.stdout.split() == ['False', 'False'], out.stderr


def test_missing_driver_message(monkeypatch):
    "Without the extra installed, a URL gets an ImportError naming the extra to install."
    monkeypatch.setitem(sys.modules, 'fasthtml._sqldb', None)
    with pytest.raises(ImportError, match=r'python-fasthtml\[postgres\]'):
        database('postgresql://u:secret@localhost/x')


def test_sqlite_urls_are_paths(tmp_path):
    db = database(f'sqlite:///{tmp_path}/u.db')
    import fastlite
    assert isinstance(db, fastlite.Database) and (tmp_path / 'u.db').exists()


WORKER = '''
import sys
from fasthtml.common import fast_app
app, rt, todos, Todo = fast_app(db=sys.argv[1], todos={'id': int, 'title': str, 'done': bool, 'pk': 'id'},
                                users={'name': str, 'pwd': str, 'pk': 'name'})
todos[0].insert(title='from ' + sys.argv[2])
print('ok')
'''


def test_processes_creating_the_same_tables_at_once(pg_url, tmp_path):
    "Workers starting together all create the tables they need: one does, the others wait and open them."
    script = tmp_path / 'worker.py'
    script.write_text(textwrap.dedent(WORKER))
    procs = [subprocess.Popen([sys.executable, str(script), pg_url, str(i)], cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [o[0].strip() for o in outs] == ['ok'] * 4, [o[1][-800:] for o in outs]
    db = database(pg_url)
    assert sorted(r['title'] for r in db.q('SELECT title FROM todos')) == [f'from {i}' for i in range(4)]
    db.close()


def test_table_dataclass_matches_fastlites(tmp_path):
    "fast_app's row class is fastlite's `tbl.dataclass()` in all but speed: same name, fields, types, defaults."
    import dataclasses

    from fasthtml.db import table_dataclass
    db = database(str(tmp_path / 'x.db'))
    t = db.t.things
    t.create(id=int, name=str, done=bool, score=float, pk='id')
    ref, ours = t.dataclass(store=False), table_dataclass(t, store=False)
    assert ours.__name__ == ref.__name__ == 'Things'
    assert [(f.name, f.type, f.default) for f in dataclasses.fields(ours)] == \
        [(f.name, f.type, f.default) for f in dataclasses.fields(ref)]
    assert repr(ours(name='x')) == repr(ref(name='x')).replace(ref.__qualname__, ours.__qualname__)
    assert ours(name='x') == ours(name='x') and ours().id is UNSET and ours._nullable
    table_dataclass(t)
    assert t.cls is not ref and t.insert(name='y').name == 'y'


def test_rows_built_directly_equal_rows_built_by_init(pg_url):
    "SQLDatabase fills table_dataclass rows without calling __init__: the objects are the same as __init__'s."
    db = database(pg_url)
    todos = fill(db.create(Todo))
    Cls = todos.dataclass()
    rows = todos(order_by='id')
    assert [type(r) for r in rows] == [Cls] * 3
    assert rows == [Cls(**r) for r in todos(order_by='id', as_cls=False)]
    assert rows[0].__dict__ == {'id': 1, 'title': 'a', 'done': 0, 'owner': 'x'}
    part = todos(select='id, title')[0]  # not every field: through __init__, the rest UNSET
    assert (part.id, part.done) == (1, UNSET)
    rows[0].title = 'changed'
    assert todos.update(rows[0]).title == 'changed'
    db.close()
