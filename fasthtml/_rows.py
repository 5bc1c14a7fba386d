"""Rows from database result tuples: dicts and table_dataclass objects, by functions made once per column list.

`dict(zip(names, row))` per row costs a zip object and a loop; a function holding the dict display
`{'id': r[0], 'title': r[1], ...}` does the same work in one step (about 4x quicker for a handful of columns). The
functions are generated from the column names (as `dataclasses` and `collections.namedtuple` generate theirs), cached
by column list, and give the same dicts as `dict(zip(...))`, repeated names included (the last one wins).

Whole results (`row_dicts`, `row_objects`) are built by the C accelerator `fasthtml._crows` when it is built and
FASTHTML_PURE_PYTHON is not 1 (about 2x quicker for objects); it takes only plain calls (str names, a list of tuples of
the right length) and gives NotImplemented for the rest, which the generated functions, its reference twin, then build.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ['direct_fields', 'row_dicts', 'row_objects', 'set_fields', 'to_dict', 'to_object']

# The optional C accelerator (fasthtml/_crows.c); FASTHTML_PURE_PYTHON=1 keeps the Python functions.
if os.environ.get('FASTHTML_PURE_PYTHON') == '1':
    _crows = None
else:
    try:
        from . import _crows
    except ImportError:  # not built (no compiler): the generated functions build every result
        _crows = None

_CACHE_MAX = 1024
_makers: dict[tuple, Callable[[Sequence], Any]] = {}


def direct_fields(cls: Any) -> tuple | None:
    """The fields of `cls` when its instances can be filled without calling `__init__` (a class made by
    fasthtml.db.table_dataclass, whose `__init__` only stores them; not a subclass of one); None otherwise."""
    return cls.__dict__.get('__fasthtml_fields__') if isinstance(cls, type) else None


def _made(key: tuple, cls: Any, src: Callable[[], str]) -> Callable:
    "The function `make` that the source `src()` defines, compiled once per `key` (a bounded cache)."
    f = _makers.get(key)
    if f is None:
        ns: dict[str, Any] = {'new': object.__new__, 'cls': cls}
        exec(src(), ns)  # (source built from repr() of the column names only)
        f = ns['make']
        if len(_makers) >= _CACHE_MAX:
            _makers.clear()
        _makers[key] = f
    return f


def _maker(names: tuple[str, ...], skip: int, cls: Any) -> Callable[[Sequence], Any]:
    "The function for rows whose columns from `skip` on are `names`: a dict, or an instance of `cls` holding it."
    def src() -> str:
        body = '{' + ', '.join(f'{n!r}: r[{i + skip}]' for i, n in enumerate(names)) + '}'
        if cls is None:
            return f'def make(r):\n    return {body}\n'
        return f'def make(r):\n    o = new(cls)\n    o.__dict__ = {body}\n    return o\n'
    return _made((names, skip, cls), cls, src)


def to_dict(names: Sequence[str], skip: int = 0) -> Callable[[Sequence], dict]:
    "A function giving `dict(zip(names, row[skip:]))` for a result tuple `row`."
    return _maker(tuple(names), skip, None)


def to_object(cls: type, names: Sequence[str], skip: int = 0) -> Callable[[Sequence], Any]:
    """The function making one row (a sequence whose columns from `skip` on are `names`) into an instance of `cls`
    holding the row's dict as its `__dict__`, as `row_objects` makes each (for a class whose `direct_fields` are
    `names`)."""
    return _maker(tuple(names), skip, cls)


def _all_maker(names: tuple[str, ...], skip: int, cls: Any) -> Callable[[list], list]:
    """The function for a whole result whose rows are `skip` columns then `names`: one loop that unpacks each row
    (quicker than indexing it) instead of one call per row."""
    def src() -> str:
        cols = ', '.join(f'c{i}' for i in range(skip + len(names))) + ','
        body = '{' + ', '.join(f'{n!r}: c{i + skip}' for i, n in enumerate(names)) + '}'
        if cls is None:
            return f'def make(rows):\n    return [{body} for {cols} in rows]\n'
        return (f'def make(rows):\n    out = []\n    add = out.append\n    for {cols} in rows:\n'
                f'        o = new(cls)\n        o.__dict__ = {body}\n        add(o)\n    return out\n')
    return _made((names, skip, cls, 'all'), cls, src)


def _row_dicts_py(names: tuple[str, ...], rows: list, skip: int = 0) -> list[dict]:
    "`row_dicts` by the generated functions: the reference twin of `fasthtml._crows.dicts`."
    return _all_maker(names, skip, None)(rows)


def _row_objects_py(cls: type, names: tuple[str, ...], rows: list, skip: int = 0) -> list:
    "`row_objects` for a class `direct_fields` accepts, by the generated functions: the twin of `_crows.objects`."
    return _all_maker(names, skip, cls)(rows)


def row_dicts(names: Sequence[str], rows: list, skip: int = 0) -> list[dict]:
    "`[dict(zip(names, r[skip:])) for r in rows]`, for the rows of a result whose columns are `skip` more than `names`."
    names = tuple(names)
    if _crows is not None:
        out = _crows.dicts(names, rows, skip)
        if out is not NotImplemented:
            return out
    return _row_dicts_py(names, rows, skip)


def row_objects(cls: Any, names: Sequence[str], rows: list, skip: int = 0) -> list:
    """`[cls(**dict(zip(names, r[skip:]))) for r in rows]`, for the rows of a result (as `row_dicts`); for a
    table_dataclass whose fields are exactly `names`, the instances are filled directly, which is what its `__init__`
    would do."""
    names = tuple(names)
    if direct_fields(cls) == names:
        if _crows is not None:
            out = _crows.objects(cls, names, rows, skip)
            if out is not NotImplemented:
                return out
        return _row_objects_py(cls, names, rows, skip)
    return [cls(**d) for d in row_dicts(names, rows, skip)]


def _set_fields_py(o: Any, flds: tuple[str, ...], skip: tuple, plain: tuple[type, ...]) -> tuple[tuple, tuple] | None:
    "The Python twin of `_crows.set_fields` (see `set_fields`)."
    d = getattr(o, '__dict__', None)
    if type(d) is not dict or len(d) != len(flds) or not flds:
        return None
    keys: list[str] = []
    vals: list[Any] = []
    for (k, v), f in zip(d.items(), flds, strict=True):
        if type(k) is not str or type(f) is not str or k != f:
            return None
        if any(v is s for s in skip):
            continue
        if not any(type(v) is t for t in plain):
            return None
        keys.append(k)
        vals.append(v)
    return (tuple(keys), tuple(vals)) if keys else None


# `set_fields(o, flds, skip, plain)`: the names and values of the fields set on a record `o` (two tuples) when its
# `__dict__` is a dict holding exactly the fields `flds` (strs, in that order) and each value is one of the objects
# `skip` (left out) or of exactly one of the types `plain`; None for any other record, or when no field is set.
set_fields: Callable[[Any, tuple[str, ...], tuple, tuple[type, ...]], tuple[tuple, tuple] | None]
set_fields = _crows.set_fields if _crows is not None else _set_fields_py
