"""Aggregator: everything a typical app imports with `from fasthtml.common import *`.

`Path` here is `pathlib.Path` (handlers annotate parameters with it, and scripts build file paths with it); the SVG
`<path>` element is `fasthtml.svg.Path`, also exported here as `SvgPath`. Likewise `Set` and `Any` are typing's, as
in FastHTML (apps annotate `Set[str]` after the star import); the SVG `<set>` element is `fasthtml.svg.Set`.
tests/test_typing.py lists every standard-library name this import rebinds.

The features a typical app does not touch on every request (fastlite, accounts, API tokens, live components, health
checks, composition, pub/sub) load on first use: `import fasthtml.common` imports none of them, and each name
resolves, to the same object as in its own module, when it is first read (PEP 562). `__all__` lists every name but
fastlite's `NotFoundError` (see below), so `from fasthtml.common import *` still binds them all."""
# (not sorted, see ruff.toml: the order of the star imports decides which of two same-named objects a name is)
import typing as _typing

from .basics import *  # noqa: F403
from .pico import *  # noqa: F403
from .svg import *  # noqa: F403
from .svg import Path as SvgPath  # noqa: F401
from .components import Svg  # noqa: F401 (FastHTML's common `Svg` is the plain tag: no xmlns added)
from .js import *  # noqa: F403
from .live_reload import *  # noqa: F403
from .authmw import *  # noqa: F403
from .csrf import csrf_exempt  # noqa: F401
from .limits import Limits  # noqa: F401
from .db import database  # noqa: F401 (SQLite through fastlite, imported when a database is opened, or a URL)

from pathlib import Path  # noqa: F401
from typing import Any, Set  # noqa: F401, UP035
from dataclasses import dataclass  # noqa: F401

# FastHTML's `common` also carries fastcore.xml's XML helpers and a few standard-library names (its authmw module
# leaks them); apps written against it may use them without importing them, so they are here too.
from fastcore.xml import E, XML, attrmap, dict2xml, highlight, mk_getattr, showtags, valmap  # noqa: F401
from typing import Mapping  # noqa: F401, UP035
from hmac import compare_digest  # noqa: F401
import base64  # noqa: F401
import binascii  # noqa: F401

# Loaded on first use: name -> the module that defines it. (User: `from fasthtml.accounts import User`; mount,
# AppMount: `from fasthtml.compose import ...`; Widget: `from fasthtml.live import Widget`.)
_LAZY = {
    'Accounts': 'fasthtml.accounts', 'require_login': 'fasthtml.accounts',
    'ApiTokens': 'fasthtml.tokens',
    'Live': 'fasthtml.live', 'LiveComponent': 'fasthtml.live',
    'HealthChecks': 'fasthtml.health', 'add_ready_check': 'fasthtml.health',
    'combine': 'fasthtml.compose',
    'PUBSUB_URL_ENV': 'fasthtml.pubsub', 'PubSub': 'fasthtml.pubsub', 'Subscription': 'fasthtml.pubsub',
    # fastlite's, imported when first read (`from fasthtml.common import NotFoundError`; not in the star import)
    'NotFoundError': 'fasthtml.db',
}

if _typing.TYPE_CHECKING:  # what editors and type checkers see (the star import's names, resolved eagerly)
    from .accounts import Accounts, require_login  # noqa: F401
    from .compose import combine  # noqa: F401
    from .health import HealthChecks, add_ready_check  # noqa: F401
    from .live import Live, LiveComponent  # noqa: F401
    from .pubsub import PUBSUB_URL_ENV, PubSub, Subscription  # noqa: F401
    from .tokens import ApiTokens  # noqa: F401


def __getattr__(name: str) -> _typing.Any:
    "Import the module behind a deferred name on first use, and keep the name here from then on."
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'fasthtml.common' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


# Every public name, the deferred ones included, but NotFoundError: binding it means importing fastlite and apsw
# (~35 ms and 4 MiB, 16 MiB where numpy is installed) for every app, with or without a database, and FastHTML
# 0.14.14's star import does not bind it either (import it by name, as the to-do walkthrough does, or from fastlite).
# A star import binds each of these, except that one FastHTML's common lacks (a Pico helper, an SVG element, our own
# features) never replaces a name the importing module already has (see _starnames); a deferred name is only then
# imported. Keep this last: a name bound after it is not star-imported.
from ._starnames import StarNames as _StarNames  # noqa: E402

# (a list subclass, which neither ruff nor pyright reads as an __all__)
__all__ = _StarNames(sorted({n for n in dict(globals()) if not n.startswith('_')} | set(_LAZY) - {'NotFoundError'}))  # noqa: PLE0605  # pyright: ignore[reportUnsupportedDunderAll]
