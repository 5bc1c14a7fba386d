"""Aggregator: just the FT building blocks (components, xtend, Pico, SVG, JS helpers)."""
from .components import *  # noqa: F403
from .xtend import *  # noqa: F403
from .pico import *  # noqa: F403
from .svg import *  # noqa: F403
from .js import *  # noqa: F403
# fastcore.xml's XML helpers, which FastHTML's `ft` (and so `common`) also exports
from fastcore.xml import E, XML, attrmap, dict2xml, highlight, mk_getattr, showtags, valmap  # noqa: F401
