"The types of the C tag functions (fasthtml/_cbuild.c), for editors and type checkers."
from collections.abc import Callable
from typing import Any

class TagFn:
    "A tag function in C: builds its elements as its Python function `_pure` would, and calls it for the rest."
    _pure: Callable[..., Any]
    _tag: str | None
    def __init__(self, tag: str | None, named: Any, void: Any, fallback: Callable[..., Any], defaults: tuple = ...,
                 trailing: tuple = ..., reserved: tuple = ...) -> None: ...
    def __call__(self, *c: Any, **kw: Any) -> Any: ...

def init(ft_cls: type, keys: dict, key_spec: Callable[..., Any], prep: Any, /) -> None:
    "Share components' node class, its keyword cache, the cache-miss function and the child types it prepares."
def set_cfg(flag: object, /) -> None:
    "Tell the tag functions whether fh_cfg differs from its defaults (then every call takes the Python path)."
