"""`fast_app`: create an app (and optionally database tables: SQLite through fastlite, or PostgreSQL) in one call."""
from __future__ import annotations

import inspect
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol, Union  # noqa: UP035 (the module's Callable stays typing's)

from .core import Beforeware, FastHTML, noop_body
from .db import table_dataclass

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ['fast_app']


class RouteDecorator(Protocol):
    "The type of `rt` (the app's `route` method), for editors: `@rt`, `@rt('/path')`, `@rt('/path', methods=[...])`."

    def __call__(self, path: Any = None, methods: Any = None, name: Optional[str] = None,
                 include_in_schema: bool = True, body_wrap: Optional[Callable] = None) -> Any: ...


def _get_tbl(db: Any, name: str, schema: dict) -> tuple[Any, Any]:
    "Create (or open) table `name` from a `{'col': type, ..., 'pk': 'col'}` schema; return it and its dataclass."
    schema = dict(schema)
    render = schema.pop('render', None)
    pk = schema.pop('pk', None)
    tbl = db.t[name]
    if tbl not in db.t:
        # if_not_exists: several workers starting at once may all find the table missing; one creates it.
        tbl.create(columns=schema, pk=pk, if_not_exists=True)
    else:
        tbl.create(columns=schema, pk=pk, transform=True)
    dc = table_dataclass(tbl)  # fastlite's tbl.dataclass(), a plain dataclass: cheaper per row
    if render is not None:
        dc.__ft__ = render
    return tbl, dc


_APP_PARAMS = frozenset(inspect.signature(FastHTML).parameters) - {'bodykw'}


def fast_app(db_file: Optional[str] = None, render: Optional[Callable] = None, hdrs: Optional[tuple] = None,
             ftrs: Optional[tuple] = None, tbls: Optional[dict] = None,
             before: Union[tuple, None, Beforeware] = None, middleware: Optional[tuple] = None,
             live: bool = False, debug: bool = False, title: str = 'FastHTML page', routes: Optional[tuple] = None,
             exception_handlers: Optional[dict] = None, on_startup: Optional[Callable] = None,
             on_shutdown: Optional[Callable] = None, lifespan: Optional[Callable] = None, default_hdrs: bool = True,
             pico: Optional[bool] = None, surreal: Optional[bool] = True, htmx: Optional[bool] = True,
             htmx4: bool = False, exts: Union[list, str, None] = None, canonical: bool = True,
             secret_key: Optional[str] = None, key_fname: str = '.sesskey',
             session_cookie: str = 'session_', max_age: int = 365 * 24 * 3600, sess_path: str = '/',
             same_site: str = 'lax', sess_https_only: bool = False, sess_domain: Optional[str] = None,
             htmlkw: Optional[dict] = None, bodykw: Optional[dict] = None, reload_attempts: Optional[int] = 1,
             reload_interval: Optional[int] = 1000, static_path: str = '.', body_wrap: Callable = noop_body,
             nb_hdrs: bool = False, sync_inline: bool = False, csrf: bool = True,
             trusted_origins: Optional[list] = None, limits: Any = None, max_part_size: Optional[int] = None,
             db: Any = None,
             **kwargs: Any) -> tuple[FastHTML, RouteDecorator, Unpack[tuple[Any, ...]]]:
    """Create a FastHTML app (a live-reloading one with `live=True`) with Pico CSS and static files by default.

    Returns `(app, rt)`; with `db_file` and table schemas given as keyword arguments (`todos={'id': int, 'title':
    str, 'pk': 'id'}`) or `tbls`, returns `(app, rt, table, Dataclass)` for one table, or `(app, rt, (table,
    Dataclass), ...)` for several. `db` takes the same as `db_file` and more: a SQLite path, a database URL
    (`db='postgresql://user:pw@host/app'`, see fasthtml.db) or an opened database; `app.db` is the database."""
    if db is not None and db_file is not None:
        raise ValueError('fast_app: give the database as db_file or as db, not both')
    target = db if db is not None else db_file
    h = list(hdrs or ())
    if pico or (pico is None and default_hdrs):
        from .pico import picolink
        h = [*(picolink if isinstance(picolink, (list, tuple)) else [picolink]), *h]
    tables = dict(tbls or {})
    if target is not None:
        named = {k: kwargs.pop(k) for k in list(kwargs) if isinstance(kwargs[k], dict)}
        if not named and kwargs and all(isinstance(v, type) or k == 'pk' for k, v in kwargs.items()):
            # `fast_app('data/app.db', id=int, name=str, pk='id')`: keyword columns define one table, `items`.
            named, kwargs = {'items': dict(kwargs)}, {}
        tables.update(named)
    # FastHTML(...)'s own keywords that fast_app does not list (gc_threshold, after, ...) go to it; FastHTML ignores
    # any other keyword (they are not body attributes): say so, where only developers look.
    bkw = {k: kwargs.pop(k) for k in list(kwargs) if k in _APP_PARAMS}
    if kwargs:
        warnings.warn(f'fast_app() ignores {", ".join(map(repr, kwargs))}: pass body attributes as '
                      f'bodykw={{...}}, table schemas (dicts) with db_file', stacklevel=2)
    bkw.update(bodykw or {})
    app_kw: dict = dict(debug=debug, routes=routes, middleware=middleware, title=title,
                        exception_handlers=exception_handlers,
                        on_startup=[on_startup] if callable(on_startup) else on_startup,
                        on_shutdown=[on_shutdown] if callable(on_shutdown) else on_shutdown,
                        lifespan=lifespan, hdrs=h, ftrs=ftrs, exts=exts, before=before, surreal=surreal,
                        htmx=htmx, default_hdrs=default_hdrs, secret_key=secret_key, key_fname=key_fname,
                        session_cookie=session_cookie, max_age=max_age, sess_path=sess_path, same_site=same_site,
                        sess_https_only=sess_https_only, sess_domain=sess_domain, body_wrap=body_wrap,
                        htmlkw=htmlkw, nb_hdrs=nb_hdrs, sync_inline=sync_inline, csrf=csrf,
                        trusted_origins=trusted_origins, limits=limits, htmx4=htmx4, canonical=canonical,
                        max_part_size=max_part_size)
    if live:
        from .live_reload import FastHTMLWithLiveReload
        app: FastHTML = FastHTMLWithLiveReload(reload_attempts=reload_attempts, reload_interval=reload_interval,
                                               **app_kw, **bkw)
    else:
        app = FastHTML(**app_kw, **bkw)
    app.static_route_exts(static_path=static_path)
    if target is None:
        if tables:
            raise ValueError('fast_app: table schemas were given but no db_file to store them in')
        return app, app.route
    if isinstance(target, (str, Path)):
        from .db import database
        target = database(target)  # creates the folder of `fast_app('data/app.db')` on a fresh checkout
    app.db = target  # pyright: ignore[reportAttributeAccessIssue] (only an app with a database has one)
    made = [_get_tbl(target, name, schema) for name, schema in tables.items()]
    if render is not None and len(made) == 1:
        made[0][1].__ft__ = render
    if not made:
        return app, app.route
    if len(made) == 1:
        return app, app.route, *made[0]
    return app, app.route, *made
