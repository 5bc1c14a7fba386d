"""fasthtml: a fast, secure-by-default implementation of the FastHTML hypermedia framework."""
__version__ = '0.15.0'
from .core import *  # noqa: F403
