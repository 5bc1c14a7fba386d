"""Aggregator: everything a typical app imports with `from fasthtml.common import *`.

`Path` here is `pathlib.Path` (handlers annotate parameters with it, and scripts build file paths with it); the SVG
`<path>` element is `fasthtml.svg.Path`, also exported here as `SvgPath`. Likewise `Set` and `Any` are typing's, as
in FastHTML (apps annotate `Set[str]` after the star import); the SVG `<set>` element is `fasthtml.svg.Set`.
tests/test_typing.py lists every standard-library name this import rebinds."""
from .basics import *  # noqa: F401,F403
from .pico import *  # noqa: F401,F403
from .svg import *  # noqa: F401,F403
from .svg import Path as SvgPath  # noqa: F401
from .components import Svg  # noqa: F401,E402,F811  (FastHTML's common `Svg` is the plain tag: no xmlns added)
from .js import *  # noqa: F401,F403
from .live_reload import *  # noqa: F401,F403
from .pubsub import *  # noqa: F401,F403
from .authmw import *  # noqa: F401,F403
from .accounts import Accounts, require_login  # noqa: F401,E402  (User: `from fasthtml.accounts import User`)
from .csrf import csrf_exempt  # noqa: F401,E402
from .limits import Limits  # noqa: F401,E402
from .compose import combine  # noqa: F401,E402  (mount, AppMount: `from fasthtml.compose import ...`)
from .health import HealthChecks, add_ready_check  # noqa: F401,E402
from .tokens import ApiTokens  # noqa: F401,E402
from .live import Live, LiveComponent  # noqa: F401,E402  (Widget: `from fasthtml.live import Widget`)

from .db import NotFoundError, database  # noqa: F401,E402  (fastlite's NotFoundError; database: SQLite or a URL)
from pathlib import Path  # noqa: F401,E402,F811
from typing import Any, Set  # noqa: F401,E402,F811,UP035
from dataclasses import dataclass  # noqa: F401,E402

# FastHTML's `common` also carries fastcore.xml's XML helpers and a few standard-library names (its authmw module
# leaks them); apps written against it may use them without importing them, so they are here too.
from fastcore.xml import E, XML, attrmap, dict2xml, highlight, mk_getattr, showtags, valmap  # noqa: F401,E402
from typing import Mapping  # noqa: F401,E402,UP035
from hmac import compare_digest  # noqa: F401,E402
import base64  # noqa: F401,E402
import binascii  # noqa: F401,E402

# A star import binds every public name above, except that one FastHTML's common lacks (a Pico helper, an SVG element,
# our own features) never replaces a name the importing module already has (see _starnames). Keep this last: a name
# bound after it is not star-imported.
from ._starnames import StarNames as _StarNames  # noqa: E402

__all__ = _StarNames(n for n in dict(globals()) if not n.startswith('_'))
