"The types of the C row builders (fasthtml/_crows.c), for editors and type checkers."
from typing import Any

def dicts(names: tuple[str, ...], rows: list, skip: int, /) -> Any:
    "`[dict(zip(names, r[skip:])) for r in rows]` for a plain call (a list of tuples, str names); else NotImplemented."
def objects(cls: type, names: tuple[str, ...], rows: list, skip: int, /) -> Any:
    "Instances of `cls` (made without `__init__`) holding the rows' dicts, as `dicts`; NotImplemented when not plain."
def set_fields(obj: Any, flds: tuple[str, ...], skip: tuple, plain: tuple[type, ...], /) -> tuple[tuple, tuple] | None:
    "The names and values of the fields set on `obj` when its `__dict__` holds exactly `flds`, plain values; else None."
