"""Helpers for running one test with a sync (`def`) and an async (`async def`) handler (see the `kind` fixture)."""
import functools


def as_async(f):
    "The same handler as an `async def`, for parametrizing sync and async handlers."
    @functools.wraps(f)
    async def af(*a, **kw):
        return f(*a, **kw)
    return af


def variant(kind, f):
    "`f` itself for kind 'sync', its `async def` twin for 'async'."
    return f if kind == 'sync' else as_async(f)
