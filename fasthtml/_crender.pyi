"The types of the C renderer (fasthtml/_crender.c), for editors and type checkers."
from typing import Any

def init(**kw: Any) -> None:
    "Hand over fasthtml._render's FT classes, caches and Python fallbacks (called once, at its import)."
def render(elms: tuple, esc: bool, spaced: bool = False, /) -> str:
    "The compact HTML of `elms`, as `_render._render_compact_py` writes it."
