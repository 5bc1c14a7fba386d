"""Tests for fasthtml._crows, the C row builders: through fasthtml._rows they give exactly what the generated Python
functions give (values by identity, key order, row types, instance dicts, exceptions) over hypothesis-generated names,
rows and skips and over inputs the C code leaves to Python; they keep reference counts and memory flat and free what
a failing call built; SQLite tables (fasthtml.db.database) give the same rows and objects with the accelerator on and
off, and through it; and the Python twin passes the database tests on its own (FASTHTML_PURE_PYTHON=1).

`make test` builds the extension, so unless FASTHTML_PURE_PYTHON=1 is set, a missing extension fails this module."""
from __future__ import annotations

import abc
import dataclasses
import datetime
import decimal
import gc
import os
import subprocess
import sys
import tracemalloc
import uuid
import weakref
from pathlib import Path
from typing import Any

import fastlite
import pytest
from fastcore.xtras import UNSET
from hypothesis import given
from hypothesis import strategies as st

from fasthtml import _rows
from fasthtml.db import database, table_dataclass

ROOT = Path(__file__).resolve().parents[1]
PURE = os.environ.get('FASTHTML_PURE_PYTHON') == '1'
needs_c = pytest.mark.skipif(PURE, reason='FASTHTML_PURE_PYTHON=1 turns the C accelerator off in this process')


def _c_module() -> Any:
    """fasthtml._crows. `make test` builds it, so without FASTHTML_PURE_PYTHON=1 it must be the one _rows uses; with
    it, the extension (if built) is imported here so the comparisons still run."""
    if not PURE:
        assert _rows._crows is not None, 'fasthtml._crows is not built: run `make ext`'
        return _rows._crows
    try:
        from fasthtml import _crows
    except ImportError:
        pytest.skip('FASTHTML_PURE_PYTHON=1 and fasthtml._crows is not built: nothing to compare')
    return _crows


@pytest.fixture(scope='module')
def crows():
    "The C module, used by fasthtml._rows for this module's tests (as it is anyway unless FASTHTML_PURE_PYTHON=1)."
    c = _c_module()
    before = _rows._crows
    _rows._crows = c
    try:
        yield c
    finally:
        _rows._crows = before


def table_class(names: tuple, name: str = 'Row', **ns: Any) -> type:
    "A class that `_rows.direct_fields` accepts for `names`, as fasthtml.db.table_dataclass marks its classes."
    return type(name, (), {'__fasthtml_fields__': names, **ns})


def same(a: Any, b: Any) -> None:
    "`a` and `b` are the same rows: lists of rows of one type each, keys in the same order, the very same values."
    assert type(a) is list and type(b) is list and len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert type(x) is type(y)
        dx, dy = (x, y) if type(x) is dict else (vars(x), vars(y))
        assert type(dx) is dict and type(dy) is dict
        assert list(dx) == list(dy)
        assert all(dx[k] is dy[k] for k in dx)


def outcome(f: Any) -> tuple:
    "What a call gives: ('ok', result), or the exception's type and message."
    try:
        return ('ok', f())
    except Exception as e:  # noqa: BLE001 (the exception is the compared outcome)
        return ('err', type(e), str(e))


def same_outcome(a: tuple, b: tuple) -> None:
    assert a[0] == b[0], (a, b)
    if a[0] == 'ok':
        same(a[1], b[1])
    else:
        assert a == b


def py_dicts(names: Any, rows: Any, skip: int = 0) -> list:
    "The reference: fasthtml._rows' generated functions."
    return _rows._row_dicts_py(tuple(names), rows, skip)


def py_objects(cls: Any, names: Any, rows: Any, skip: int = 0) -> list:
    "The reference for `row_objects`: the generated functions, as row_objects runs them without the accelerator."
    names = tuple(names)
    if _rows.direct_fields(cls) == names:
        return _rows._row_objects_py(cls, names, rows, skip)
    return [cls(**d) for d in py_dicts(names, rows, skip)]


# ---------------------------------------------------------------------------------------------------------------
# C and Python agree

NAME = st.one_of(
    st.sampled_from(['id', 'title', 'done', 'id', 'a', '', 'é', '日本語', "it's", 'back\\slash', '"q"', 'new\nline',
                     '\ud800', '\x00', 'x' * 300, 'def', '__dict__', 'r', 'c0']),
    st.text(max_size=8))
NAMES = st.lists(NAME, max_size=12).map(tuple)
VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63, max_value=2**300), st.floats(),
    st.text(max_size=20), st.binary(max_size=20), st.decimals(), st.datetimes(), st.dates(), st.times(),
    st.timedeltas(), st.uuids(), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@st.composite
def calls(draw: Any) -> tuple:
    "names, rows (tuples of skip + len(names) values) and skip, as a database result gives them."
    names, skip = draw(NAMES), draw(st.integers(0, 2))
    rows = draw(st.lists(st.tuples(*[VALUE] * (skip + len(names))), max_size=25))
    return names, rows, skip


@given(calls())
def test_row_dicts_match_the_python_code(crows, call):
    names, rows, skip = call
    same_outcome(outcome(lambda: _rows.row_dicts(list(names), rows, skip)),
                 outcome(lambda: py_dicts(names, rows, skip)))
    if names or skip:  # (zero columns: the Python code raises, see test_zero_columns)
        same(crows.dicts(names, rows, skip), py_dicts(names, rows, skip))


@given(calls())
def test_row_objects_match_the_python_code(crows, call):
    names, rows, skip = call
    inits = []
    cls = table_class(names, __init__=lambda self, **kw: inits.append(kw))
    a, b = outcome(lambda: _rows.row_objects(cls, list(names), rows, skip)), outcome(lambda: py_objects(cls, names,
                                                                                                         rows, skip))
    same_outcome(a, b)
    if a[0] == 'ok':
        assert all(type(o) is cls for o in a[1])
    if names or skip:
        same(crows.objects(cls, names, rows, skip), py_objects(cls, names, rows, skip))
    assert inits == []  # neither calls __init__


@given(calls())
def test_rows_of_other_classes_go_through_init(call):
    names, rows, skip = call

    class Loose:
        def __init__(self, **kw: Any) -> None:
            self.kw = kw
    a, b = outcome(lambda: _rows.row_objects(Loose, names, rows, skip)), outcome(lambda: py_objects(Loose, names,
                                                                                                    rows, skip))
    assert a[0] == b[0]
    if a[0] == 'ok':
        assert [o.kw for o in a[1]] == [o.kw for o in b[1]]
    else:
        assert a == b


def test_dataclass_rows_equal_their_init(crows):
    "A table_dataclass row filled directly is the object its __init__ makes (fields, order, eq, repr)."
    @dataclasses.dataclass
    class Todo:
        id: int | None = None
        title: str | None = None
        done: bool | None = None
    Todo.__fasthtml_fields__ = ('id', 'title', 'done')  # type: ignore[attr-defined]
    rows = [(1, 'a', False), (2, 'b', None), (3, None, True)]
    got = _rows.row_objects(Todo, ['id', 'title', 'done'], rows)
    assert got == [Todo(*r) for r in rows]
    assert [repr(o) for o in got] == [repr(Todo(*r)) for r in rows]
    assert [vars(o) for o in got] == [vars(Todo(*r)) for r in rows]
    got[0].title = 'changed'
    got[0].extra = 1  # type: ignore[attr-defined]
    assert vars(got[0]) == {'id': 1, 'title': 'changed', 'done': False, 'extra': 1}


def test_repeated_names_keep_the_first_position_and_the_last_value(crows):
    for names in (('a', 'b', 'a'), ('a', 'b', 'c', 'd', 'e', 'f', 'a', 'g')):
        rows = [tuple(range(1, len(names) + 1))] * 3
        want = [list(dict(zip(names, r, strict=True)).items()) for r in rows]
        assert want[0][0] == ('a', len(names) - names[::-1].index('a'))  # first position, last value
        for got in (crows.dicts(names, rows, 0), _rows.row_dicts(names, rows)):
            assert [list(d.items()) for d in got] == want


@pytest.mark.parametrize('k', [1, 5, 6, 30])
def test_many_rows_small_and_wide(crows, k):
    "Both ways of making each dict (an empty dict, or a copy of the previous row's for more than five names)."
    names = tuple(f'col{i}' for i in range(k))
    rows = [tuple(range(i, i + k + 1)) for i in range(50)]
    same(crows.dicts(names, rows, 1), py_dicts(names, rows, 1))
    cls = table_class(names)
    same(crows.objects(cls, names, rows, 1), py_objects(cls, names, rows, 1))
    rows = [(1, [i], {'x': i}) + (None,) * (k - 2) for i in range(10)]  # values that are containers
    if k > 2:
        got = crows.dicts(names, [r[:k] for r in rows], 0)
        same(got, py_dicts(names, [r[:k] for r in rows], 0))
        assert all(gc.is_tracked(d) for d in got)
    plain = crows.dicts(names, [(1,) * k] * 10, 0)
    assert not any(gc.is_tracked(d) for d in plain)  # as a dict display of untracked values


# ---------------------------------------------------------------------------------------------------------------
# Inputs the C code leaves to the Python code, and wrong arguments

class Str(str):
    "A str subclass as a column name: the Python code's key is the plain str its repr() spells."


@dataclasses.dataclass(frozen=True)
class Frozen:
    id: int | None = None


class Abstract(abc.ABC):
    __fasthtml_fields__ = ('id',)

    @abc.abstractmethod
    def f(self) -> None: ...


class Slots:
    __slots__ = ('id',)
    __fasthtml_fields__ = ('id',)


class Logged:
    __fasthtml_fields__ = ('id',)
    log: list = []

    def __setattr__(self, name: str, value: Any) -> None:
        Logged.log.append((name, dict(value)))
        object.__setattr__(self, name, value)


class OwnNew:
    __fasthtml_fields__ = ('id',)

    def __new__(cls, *a: Any) -> Any:
        raise AssertionError('object.__new__ is what the Python code calls')


Frozen.__fasthtml_fields__ = ('id',)  # type: ignore[attr-defined]

ODD_DICTS = {
    'a list row': (('id', 'title'), lambda: [[1, 'a']], 0),
    'a list row after tuples': (('id', 'title'), lambda: [(1, 'a'), (2, 'b'), [3, 'c']], 0),
    'a short row': (('id', 'title'), lambda: [(1, 'a'), (2,)], 0),
    'a long row': (('id', 'title'), lambda: [(1, 'a', 'x')], 0),
    'a short row for the skip': (('id', 'title'), lambda: [(0, 1, 'a')], 2),
    'a tuple subclass row': (('id',), lambda: [type('T', (tuple,), {})((1,))], 0),
    'rows as a tuple': (('id',), lambda: ((1,), (2,)), 0),
    'rows as a generator': (('id',), lambda: (r for r in [(1,), (2,)]), 0),
    'rows not iterable': (('id',), lambda: 5, 0),
    'a non-str name': ((1, 'title'), lambda: [(1, 'a')], 0),
    'a str subclass name': ((Str('id'),), lambda: [(1,)], 0),
    'a name that is no literal': ((object(),), lambda: [(1,)], 0),
    'zero columns': ((), lambda: [(), ()], 0),
    'zero columns and no rows': ((), list, 0),
    'skip True': (('id',), lambda: [(0, 1)], True),
    'skip negative': (('id', 'x'), lambda: [(1, 2)], -1),
    'skip a float': (('id',), lambda: [(0, 1)], 1.0),
}


@pytest.mark.parametrize('case', list(ODD_DICTS))
def test_odd_dict_inputs_behave_as_the_python_code(crows, case):
    names, rows, skip = ODD_DICTS[case]
    same_outcome(outcome(lambda: _rows.row_dicts(names, rows(), skip)), outcome(lambda: py_dicts(names, rows(), skip)))
    cls = table_class(tuple(names))
    same_outcome(outcome(lambda: _rows.row_objects(cls, names, rows(), skip)),
                 outcome(lambda: py_objects(cls, names, rows(), skip)))


ODD_CLASSES = {
    'not a type': lambda **kw: kw,
    'a dict': dict,
    'a frozen dataclass': Frozen,
    'an abstract class': Abstract,
    'a class with slots and no __dict__': Slots,
    'a class with its own __setattr__': Logged,
    'a class with its own __new__': OwnNew,
    'an int subclass': type('I', (int,), {'__fasthtml_fields__': ('id',)}),
}


@pytest.mark.parametrize('case', list(ODD_CLASSES))
def test_odd_classes_behave_as_the_python_code(crows, case):
    cls = ODD_CLASSES[case]
    rows = [(1,), (2,)]
    Logged.log.clear()
    a = outcome(lambda: _rows.row_objects(cls, ['id'], rows))
    log_a = list(Logged.log)
    Logged.log.clear()
    b = outcome(lambda: py_objects(cls, ['id'], rows))
    assert log_a == Logged.log
    assert a[0] == b[0], (a, b)
    if a[0] == 'ok':
        assert [type(o) for o in a[1]] == [type(o) for o in b[1]]
        assert [o if type(o) is dict else vars(o) for o in a[1]] == [o if type(o) is dict else vars(o) for o in b[1]]
    else:
        assert a == b


class WithProperty:
    "A row class with a data descriptor for a field: the dict the Python code assigns does not run its setter."
    __fasthtml_fields__ = ('id', 'title')
    sets: list = []

    @property
    def title(self) -> Any:
        return 'from the property'

    @title.setter
    def title(self, v: Any) -> None:
        WithProperty.sets.append(v)


def test_data_descriptors_of_a_row_class_are_not_run(crows):
    rows = [(1, 'a'), (2, 'b')]
    got = crows.objects(WithProperty, ('id', 'title'), rows, 0)
    want = py_objects(WithProperty, ('id', 'title'), rows)
    assert [vars(o) for o in got] == [vars(o) for o in want] == [{'id': 1, 'title': 'a'}, {'id': 2, 'title': 'b'}]
    assert [o.title for o in got] == ['from the property'] * 2 and WithProperty.sets == []


def test_objects_keep_their_attributes_as_a_dict_would(crows):
    """Instances filled attribute by attribute (no dict per row) read, list, change and compare as ones holding the
    dict: in the names' order, a repeated name at its first place with its last value, `__dict__` stable."""
    cls = table_class(('b', 'a', 'b', 'c'))
    got = crows.objects(cls, ('b', 'a', 'b', 'c'), [(1, 2, 3, 4)], 0)[0]
    want = py_objects(cls, ('b', 'a', 'b', 'c'), [(1, 2, 3, 4)])[0]
    assert list(vars(got).items()) == list(vars(want).items()) == [('b', 3), ('a', 2), ('c', 4)]
    assert got.__dict__ is got.__dict__ and (got.a, got.b, got.c) == (2, 3, 4)
    got.d = 5
    del got.a
    assert list(vars(got)) == ['b', 'c', 'd']


def test_rows_are_keyed_by_interned_names(crows):
    """Column names come from the driver as new strs; the rows' keys and attributes are the interned strs equal to
    them (the ones code names them by), whatever objects the names given were."""
    named = ('title', 'title_x')  # (the compiler interns these)
    fresh = tuple(''.join(['ti', 'tle']) + s for s in ('', '_x'))  # equal to them, but other objects
    assert fresh == named and not any(f is n for f, n in zip(fresh, named, strict=True))
    cls = table_class(fresh)
    for rows in (crows.dicts(fresh, [(1, 2)], 0), [vars(o) for o in crows.objects(cls, fresh, [(1, 2)], 0)]):
        assert rows == [{'title': 1, 'title_x': 2}]
        assert [k is n for k, n in zip(rows[0], named, strict=True)] == [True, True]


def test_the_c_code_takes_plain_calls_only(crows):
    "NotImplemented (the Python code's turn) for anything but str names and a list of tuples of the right length."
    ni = NotImplemented
    assert crows.dicts(('a',), [[1]], 0) is ni
    assert crows.dicts(('a',), [(1, 2)], 0) is ni
    assert crows.dicts((1,), [(1,)], 0) is ni
    assert crows.dicts((Str('a'),), [(1,)], 0) is ni
    assert crows.dicts(('a',), ((1,),), 0) is ni
    assert crows.dicts(('a',), [(0, 1)], True) is ni
    assert crows.dicts(('a',), [(1,)], -1) is ni
    assert crows.dicts(('a',), [(1,)], 2**80) is ni
    assert crows.dicts((), [()], 0) is ni
    assert crows.dicts((), [(1,)], 1) == [{}]
    assert crows.dicts(('a',), [], 0) == []
    for cls in (Frozen, Abstract, Logged, OwnNew, ODD_CLASSES['an int subclass']):
        assert crows.objects(cls, ('id',), [(1,)], 0) is ni


def test_wrong_arguments_raise_type_errors(crows):
    with pytest.raises(TypeError, match=r'dicts\(\) takes exactly 3 arguments \(2 given\)'):
        crows.dicts(('a',), [])
    with pytest.raises(TypeError, match=r'objects\(\) takes exactly 4 arguments \(5 given\)'):
        crows.objects(dict, ('a',), [], 0, 0)
    with pytest.raises(TypeError, match=r'names must be a tuple of str, not list'):
        crows.dicts(['a'], [], 0)
    with pytest.raises(TypeError, match=r'names must be a tuple of str, not str'):
        crows.objects(dict, 'a', [], 0)
    with pytest.raises(TypeError, match=r'cls must be a class, not function'):
        crows.objects(lambda: 0, ('a',), [], 0)
    with pytest.raises(TypeError):
        crows.dicts(names=('a',), rows=[], skip=0)


# ---------------------------------------------------------------------------------------------------------------
# References and memory

def test_reference_counts_stay_flat(crows):
    val, key, row_obj = object(), 'k' + str(id(crows)), object()
    names = (key, 'b', key) + tuple(f'c{i}' for i in range(6))
    rows = [(row_obj, val) + (val,) * 8 for _ in range(20)]
    cls = table_class(names)
    watched = (val, key, row_obj, cls, rows[0], names, rows)

    def work() -> None:
        crows.dicts(names, rows, 1)
        crows.objects(cls, names, rows, 1)
        crows.dicts(names, rows, 0)  # NotImplemented (rows too long)
        _rows.row_dicts(names, [list(r) for r in rows[:2]], 1)  # the Python code

    work()  # (the Python code caches its function, keyed by the names)
    gc.collect()
    before = [sys.getrefcount(o) for o in watched]
    for _ in range(300):
        work()
    gc.collect()
    assert [sys.getrefcount(o) for o in watched] == before


def _blocks() -> int:
    "Blocks tracemalloc sees allocated now."
    return sum(s.count for s in tracemalloc.take_snapshot().statistics('filename'))


def test_memory_stays_flat_over_many_rows(crows):
    names4 = ('id', 'title', 'done', 'owner')
    names8 = names4 + ('a', 'b', 'c', 'd')
    rows4 = [(i, f'todo {i}', i % 2, b'me') for i in range(20)]
    rows8 = [(10**30 + i, 'x', 1.5, None) + r for i, r in enumerate(rows4)]
    cls4, cls8 = table_class(names4), table_class(names8)

    def work() -> None:
        crows.dicts(names4, rows4, 0)
        crows.dicts(names8, rows8, 0)
        crows.objects(cls4, names4, rows4, 0)
        crows.objects(cls8, names4, rows8, 4)
        outcome(lambda: _rows.row_objects(Frozen, ['id'], [(1,), (2,)]))  # an error, through the Python code
        crows.objects(cls4, names4, rows4 + [[1, 2, 3, 4]], 0)  # NotImplemented

    for _ in range(50):
        work()
    gc.collect()
    tracemalloc.start()
    try:
        start = _blocks()
        for _ in range(500):  # 40,000 rows built
            work()
        gc.collect()
        grown = _blocks() - start
    finally:
        tracemalloc.stop()
    assert grown < 200, grown  # (a leak of one block per row would be 40,000)


def test_rows_are_freed(crows):
    names = ('id', 'title')
    cls = table_class(names)
    objs = crows.objects(cls, names, [(1, 'a'), (2, 'b')], 0)
    refs = [weakref.ref(o) for o in objs]
    del objs
    gc.collect()
    assert [r() for r in refs] == [None, None]
    assert not any(type(o) is cls for o in gc.get_objects())


def test_a_list_changed_mid_call_frees_what_was_built(crows):
    """A finalizer run by a collection inside the call (which an allocation can start on 3.11) that changes the rows
    list: RuntimeError, and the rows made so far are freed. Where collections wait for the call to end (3.12+), the
    call builds every row."""
    names = ('id',)
    cls = table_class(names)
    rows: list[Any] = [(i,) for i in range(10)]
    got: Any = None

    class Changer:
        def __del__(self) -> None:
            rows[3] = [3]

    old = gc.get_threshold()
    gc.collect()
    gc.disable()
    try:
        c = Changer()
        c.me = c  # type: ignore[attr-defined]  (garbage only a collection frees)
        del c
        gc.set_threshold(1)
        gc.enable()
        try:
            got = crows.objects(cls, names, rows, 0)
        except RuntimeError as e:
            got = e
    finally:
        gc.set_threshold(*old)
        gc.enable()
    gc.collect()
    if sys.version_info < (3, 12):
        assert isinstance(got, RuntimeError) and 'changed' in str(got)
    if isinstance(got, RuntimeError):
        del got
        gc.collect()
        assert not any(type(o) is cls for o in gc.get_objects())
    else:
        assert [vars(o) for o in got] == [{'id': i} for i in range(10)]


# ---------------------------------------------------------------------------------------------------------------
# set_fields: a record's set fields, for an insert

SKIP = (UNSET, dataclasses.MISSING)
PLAIN = (str, int, float, bool, type(None), bytes)
FIELD_VALUE = st.one_of(st.sampled_from(SKIP), st.none(), st.booleans(), st.integers(), st.floats(),
                        st.text(max_size=5), st.binary(max_size=3), st.dates(), st.decimals(),
                        st.lists(st.integers(), max_size=2),
                        st.sampled_from([True.__class__, decimal.Decimal, object()]))


class StrKey(str):
    "A str subclass, as a key or field name."


@st.composite
def records(draw: Any) -> tuple:
    """A record and its class's fields: mostly an instance holding exactly the fields, in order; now and then one
    with a field missing, added, reordered or keyed by a str subclass."""
    flds = tuple(dict.fromkeys(draw(st.lists(st.sampled_from(['id', 'title', 'done', 'a', 'é', '']), max_size=6))))
    o = table_class(flds)()
    d = {f: draw(FIELD_VALUE) for f in flds}
    odd = draw(st.integers(0, 9))
    if odd == 0 and d:
        d.pop(draw(st.sampled_from(list(d))))
    elif odd == 1:
        d['extra'] = 1
    elif odd == 2 and len(d) > 1:
        d = dict(reversed(d.items()))
    elif odd == 3 and d:
        k = draw(st.sampled_from(list(d)))
        d = {StrKey(k) if x == k else x: v for x, v in d.items()}
    o.__dict__.update(d)
    return o, flds


@given(records())
def test_set_fields_matches_the_python_code(crows, rec):
    o, flds = rec
    got, want = crows.set_fields(o, flds, SKIP, PLAIN), _rows._set_fields_py(o, flds, SKIP, PLAIN)
    assert got == want
    if want is not None:
        assert [type(x) for x in got[0]] == [str] * len(want[0])
        assert all(a is b for a, b in zip(got[1], want[1], strict=True))
        assert got[0] and len(got[0]) == len(got[1])


def test_set_fields_of_other_objects_is_none(crows):
    class Slots:
        __slots__ = ('id',)

    class DictProperty:
        @property
        def __dict__(self) -> Any:  # type: ignore[override]
            return {'id': 1}

    class OwnDict(dict):
        pass

    odd = table_class(('id',))()
    odd.__dict__ = OwnDict(id=1)
    for o in (5, 'id', Slots(), None, odd):
        assert crows.set_fields(o, ('id',), SKIP, PLAIN) is None
        assert _rows._set_fields_py(o, ('id',), SKIP, PLAIN) is None
    got = crows.set_fields(DictProperty(), ('id',), SKIP, PLAIN)  # (what `__dict__` gives is read)
    assert got == _rows._set_fields_py(DictProperty(), ('id',), SKIP, PLAIN) == (('id',), (1,))
    none_set = table_class(('id', 'title'))()
    none_set.__dict__.update(id=UNSET, title=dataclasses.MISSING)
    assert crows.set_fields(none_set, ('id', 'title'), SKIP, PLAIN) is None
    assert _rows._set_fields_py(none_set, ('id', 'title'), SKIP, PLAIN) is None


def test_set_fields_errors(crows):
    class Failing:
        @property
        def __dict__(self) -> Any:  # type: ignore[override]
            raise ValueError('no dict here')

    for f in (crows.set_fields, _rows._set_fields_py):
        with pytest.raises(ValueError, match='no dict here'):
            f(Failing(), ('id',), SKIP, PLAIN)
    with pytest.raises(TypeError, match=r'set_fields\(\) takes exactly 4 arguments \(3 given\)'):
        crows.set_fields(object(), ('id',), SKIP)
    with pytest.raises(TypeError, match='must be tuples'):
        crows.set_fields(object(), ['id'], SKIP, PLAIN)


def test_set_fields_keeps_reference_counts_flat(crows):
    val, key = 'v' + str(id(crows)), 'k' + str(id(crows))
    flds = (key, 'b', 'c')
    o = table_class(flds)()
    o.__dict__.update({key: val, 'b': UNSET, 'c': 3})
    watched = (val, key, o, o.__dict__, flds)
    for _ in range(3):
        assert crows.set_fields(o, flds, SKIP, PLAIN) == ((key, 'c'), (val, 3))
    gc.collect()
    before = [sys.getrefcount(x) for x in watched]
    for _ in range(300):
        crows.set_fields(o, flds, SKIP, PLAIN)
        crows.set_fields(o, flds[:2], SKIP, PLAIN)  # None: fields differ
        crows.set_fields(o, flds, SKIP, (int,))  # None: a str value
    gc.collect()
    assert [sys.getrefcount(x) for x in watched] == before


# ---------------------------------------------------------------------------------------------------------------
# Database tables

class _Spy:
    "Stands in for the C module in fasthtml._rows: records each call and whether the C code built the rows."

    def __init__(self, c: Any) -> None:
        self.c, self.calls = c, []

    def dicts(self, *a: Any) -> Any:
        out = self.c.dicts(*a)
        self.calls.append(('dicts', out is not NotImplemented))
        return out

    def objects(self, *a: Any) -> Any:
        out = self.c.objects(*a)
        self.calls.append(('objects', out is not NotImplemented))
        return out


VALUES = [(1, 'plain', 0, 1.5, b'\x00\xff', None), (2, 'ünï 日本', 1, -0.0, b'', 'x'),
          (3, '', None, None, None, None), (4, "it's", 2**63 - 1, 1e300, b'blob', '')]


def _tables(db: Any) -> tuple:
    items = db.t.item
    items.create(id=int, name=str, qty=int, price=float, data=bytes, note=str, pk='id')
    return items, table_dataclass(items)


def _reads(db: Any, items: Any) -> dict:
    "What the read paths give, as comparable plain data."
    def objs(xs: list) -> list:
        return [(type(o).__name__, list(vars(o).items())) for o in xs]
    return {'objects': objs(items()), 'dicts': [list(d.items()) for d in items(as_cls=False)],
            'where': objs(items('qty > ?', [0], order_by='id desc')),
            'q': [list(d.items()) for d in db.q('select id, name, id, qty * 2 as dbl from item order by id')],
            'get': list(vars(items[2]).items()), 'limit': objs(items(limit=2, offset=1))}


def test_sqlite_tables_give_the_same_rows_with_and_without_c(crows, tmp_path, monkeypatch):
    db = database(str(tmp_path / 'c.db'))
    items, Item = _tables(db)
    for v in VALUES:
        items.insert(Item(*v))
    spy = _Spy(crows)
    monkeypatch.setattr(_rows, '_crows', spy)
    with_c = _reads(db, items)
    assert ('objects', True) in spy.calls and ('dicts', True) in spy.calls
    assert all(took for _, took in spy.calls)  # every result built by the C code
    monkeypatch.setattr(_rows, '_crows', None)
    assert _reads(db, items) == with_c
    assert with_c['dicts'][1] == list(zip(('id', 'name', 'qty', 'price', 'data', 'note'), VALUES[1], strict=True))


def test_sqlite_tables_give_what_fastlite_gives(crows, tmp_path):
    ours, ref = database(str(tmp_path / 'ours.db')), fastlite.database(tmp_path / 'ref.db')
    o_items, o_cls = _tables(ours)
    r_items = ref.t.item
    r_items.create(id=int, name=str, qty=int, price=float, data=bytes, note=str, pk='id')
    r_cls = r_items.dataclass()
    inserted = [(o_items.insert(o_cls(*v)), r_items.insert(r_cls(*v))) for v in VALUES]
    assert [vars(a) for a, _ in inserted] == [vars(b) for _, b in inserted]
    assert _reads(ours, o_items) == _reads(ref, r_items)
    assert vars(o_items.update(o_cls(1, 'new', 5, 2.5, b'z', 'n'))) == vars(r_items.update(r_cls(1, 'new', 5, 2.5,
                                                                                                   b'z', 'n')))
    assert _reads(ours, o_items) == _reads(ref, r_items)


# ---------------------------------------------------------------------------------------------------------------
# The pure-Python twin on its own

def test_pure_python_mode_uses_the_generated_functions():
    code = ('import fasthtml._rows as r; assert r._crows is None; '
            'print(r.row_dicts(["a", "b", "a"], [(1, 2, 3)]), r.row_dicts(["x"], [(0, 1)], 1))')
    p = subprocess.run([sys.executable, '-c', code], cwd=ROOT, env={**os.environ, 'FASTHTML_PURE_PYTHON': '1'},
                       capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip() == "[{'a': 3, 'b': 2}] [{'x': 1}]"


@needs_c
def test_database_tests_pass_in_pure_python_mode():
    files = ['tests/test_sqlite.py', 'tests/test_crows.py']
    p = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-x', '-p', 'no:cacheprovider', *files], cwd=ROOT,
                       env={**os.environ, 'FASTHTML_PURE_PYTHON': '1'}, capture_output=True, text=True, timeout=600,
                       check=False)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert ' passed' in p.stdout and ' failed' not in p.stdout


def test_dates_and_decimals_are_values_like_any_other(crows):
    "Values a PostgreSQL driver gives (dates, decimals, UUIDs, JSON) are stored as given."
    vals = (datetime.date(2024, 1, 2), decimal.Decimal('1.50'), uuid.UUID(int=7), {'j': [1]}, datetime.timedelta(1))
    names = ('d', 'n', 'u', 'j', 't')
    got = _rows.row_dicts(names, [vals, vals])
    assert all(all(g[k] is v for k, v in zip(names, vals, strict=True)) for g in got)
