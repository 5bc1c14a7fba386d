"""Aggregator: Starlette's common names, the core app, FT components and xtend (no Pico, no fastlite)."""
# FastHTML apps rely on fastcore's helpers (L, store_attr, first...) from this star import.
from fastcore.utils import *  # noqa: F403  # pyright: ignore[reportWildcardImportFromLibrary]
from fastcore.xml import FT as BaseFT  # noqa: F401

from .starlette import *  # noqa: F403
from .components import *  # noqa: F403
from .xtend import *  # noqa: F403
from .core import *  # noqa: F403
from .toaster import *  # noqa: F403
from .fastapp import *  # noqa: F403

# `dataclass` as in FastHTML (`asdict` is fastcore's: it also takes namedtuples). Not `date`, `datetime`, `Enum`,
# `field`: FastHTML's star import does not bind them, and `import datetime` before it must keep the module.
from dataclasses import dataclass  # noqa: F401
from pathlib import Path  # noqa: F401  (pathlib's Path; the SVG element is fasthtml.svg.Path / SvgPath)
