"""Several FastHTML apps served as one site, each under its own path prefix, with one session and one login.

    from blog import app as blog
    from shop import app as shop

    site, rt = fast_app()
    accounts = Accounts(site, 'data/users.db')        # one login for the whole site
    combine({'/blog': blog, '/shop': shop}, site)      # or: site = combine({...}, secret_key=...)

A mounted app keeps its own routes, headers, Beforeware, static files, exception handlers and 404 page. What it
shares with the site: the session (the site's cookie and key; the app's own session layer is taken out), the site's
Beforeware (which runs first for every route of the app, so `Accounts` on the site protects it and fills `auth`), and
its lifespan (the app's startup and shutdown run with the site's). Its route functions carry the prefix: after
mounting, `str(handler)`, `hx_get=handler` and `handler.to(id=1)` give `/blog/...`.

A plain Starlette `Mount('/blog', blog)` still works as in FastHTML: none of the above (its own session, no shared
Beforeware, unprefixed route functions).
"""
from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import AsyncIterator, Mapping
from typing import Any

from starlette.middleware.sessions import SessionMiddleware as _StarletteSessions
from starlette.responses import RedirectResponse
from starlette.routing import Mount

from .core import FastHTML

__all__ = ['combine', 'mount', 'AppMount']

_PREFIX = re.compile(r'^(?:/[A-Za-z0-9._~!$&\'()*+,;=:@%-]+)+$')


class AppMount(Mount):
    "The route `mount` adds to a site: a Starlette `Mount` that remembers the FastHTML app and its own prefix."

    def __init__(self, prefix: str, app: FastHTML, name: str | None = None):
        super().__init__(prefix, app=app, name=name)
        self.prefix, self.sub = prefix, app


def mount(site: FastHTML, prefix: str, app: FastHTML, name: str | None = None) -> AppMount:
    """Serve `app` under `prefix` (like '/blog') in `site`, sharing the site's session and login (see the module
    docstring). Returns the route added to the site. Mount apps before serving requests."""
    if not isinstance(site, FastHTML):
        raise TypeError(f'mount: the site must be a FastHTML app, got {type(site).__name__}')
    if not isinstance(app, FastHTML):
        raise TypeError(f'mount: {prefix!r} must be a FastHTML app, got {type(app).__name__}; for another ASGI app '
                        f'use starlette.routing.Mount (it then has its own session and no share of the login)')
    if not isinstance(prefix, str) or not _PREFIX.match(prefix):
        raise ValueError(f'mount: prefix {prefix!r} must be a path like "/blog" (starting with "/", no trailing "/"; '
                         f'the site itself serves "/")')
    if app is site or app in site._outer:
        raise ValueError('mount: an app cannot be mounted in itself')
    if app._outer:
        raise ValueError(f'mount: this app is already mounted at {app.url_prefix!r}; mount each app once')
    for r in site.router.routes:
        if isinstance(r, Mount) and r.path == prefix:
            raise ValueError(f'mount: {prefix!r} is already mounted in this site')
    login = _own_login(app)
    if login is not None:
        raise ValueError(f'mount: the app for {prefix!r} has its own {login} (its login pages and redirects assume it '
                         f'is served at "/"); set up {login} on the site instead: its login then covers every app')
    _share_session(site, app)
    route = AppMount(prefix, app, name)
    # In front of the site's own routes, as `fast_app(routes=[Mount(...)])` puts it: everything under the prefix is
    # the app's (the site's static-file route would otherwise answer /blog/style.css); deeper prefixes first.
    routes, i = site.router.routes, 0
    while i < len(routes) and isinstance(r := routes[i], AppMount) and r.prefix.startswith(prefix + '/'):
        i += 1
    routes.insert(i, route)
    _place(app, site.url_prefix + prefix, site._outer + (site,))
    _run_lifespans_with(site, route)
    return route


def combine(apps: Mapping[str, FastHTML], site: FastHTML | None = None, *, home: str | None = None,
            health: bool = True, **site_kw: Any) -> FastHTML:
    """One site serving each of `apps` (`{'/blog': blog, '/shop': shop}`) under its prefix with `mount`.

    `site`: the app whose own routes, session, middleware and Beforeware (put `Accounts` on it) come first; made
    with `FastHTML(**site_kw)` when not given. When the site has no page at '/', '/' redirects to `home` (default:
    the first app). `health=True` adds `/health` and `/ready` (`fasthtml.health.HealthChecks`) to the site, with the
    readiness checks of every mounted app; `health=False` leaves them out. Returns the site."""
    if site is None:
        site = FastHTML(**site_kw)
    elif site_kw:
        raise TypeError(f'combine: settings {sorted(site_kw)} are for a new site; pass them to your site instead')
    if not isinstance(apps, Mapping) or not apps:
        raise ValueError('combine: pass the apps as a dict {prefix: app}, at least one')
    for prefix, app in apps.items():
        mount(site, prefix, app)
    if not any(getattr(r, 'path', None) == '/' for r in site.router.routes):
        target = home or next(iter(apps)) + '/'

        async def combined_home() -> Any:
            return RedirectResponse(target, status_code=303)
        site.route('/', methods=['get'], name='combined_home')(combined_home)
    if health:
        from .health import HealthChecks
        if HealthChecks.of(site) is None:
            HealthChecks(site)
    return site


# ---------------------------------------------------------------------------------------------------------------

def _own_login(app: FastHTML) -> str | None:
    "The name of the login system (Accounts, OAuth) whose Beforeware `app` has, if any."
    from .accounts import Accounts
    oauth = sys.modules.get('fasthtml.oauth')  # loaded if the app uses OAuth; not imported here for nothing
    kinds: tuple = (Accounts, oauth.OAuth) if oauth is not None else (Accounts,)
    for b in app.before if isinstance(app.before, (list, tuple)) else [app.before]:
        owner = getattr(getattr(b, 'f', b), '__self__', None)
        if isinstance(owner, kinds):
            return 'Accounts' if isinstance(owner, Accounts) else 'OAuth'
    return None


def _place(app: FastHTML, url_prefix: str, outer: tuple) -> None:
    "Give `app` (and the apps mounted in it) its full URL prefix and enclosing sites; re-prefix its route functions."
    app.url_prefix, app._outer = url_prefix, outer
    for rf, base in app._links:
        rf.path = url_prefix + base
    for r in app.router.routes:
        if isinstance(r, AppMount):
            _place(r.sub, url_prefix + r.prefix, outer + (app,))


def _share_session(site: FastHTML, app: FastHTML) -> None:
    """The site's session layer decodes the cookie once for everything under it: take the app's own out (it would
    decode the same cookie with its own key and write a second cookie), and sign with the site's key from now on."""
    def is_session(m: Any) -> bool:
        cls = getattr(m, 'cls', None)
        kw = getattr(m, 'kwargs', None) or {}
        return (isinstance(cls, type) and issubclass(cls, _StarletteSessions)) or \
            ('session_cookie' in kw and kw.get('secret_key') == app.secret_key)
    app.user_middleware = [m for m in app.user_middleware if not is_session(m)]
    app.middleware_stack = None  # rebuilt on the next request, without it
    app.secret_key = site.secret_key


def _run_lifespans_with(site: FastHTML, route: AppMount) -> None:
    "The site's lifespan also runs the lifespans of the apps mounted in it, in mounting order (Mount does not)."
    current = site.router.lifespan_context
    mounts = getattr(current, '__fh_mounts__', None)
    if mounts is not None:
        mounts.append(route)
        return
    mounts = [route]

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        async with contextlib.AsyncExitStack() as stack:
            state = await stack.enter_async_context(current(app))
            for r in mounts:
                sub_state = await stack.enter_async_context(r.sub.router.lifespan_context(r.sub))
                if isinstance(sub_state, Mapping):
                    state = {**sub_state, **(state or {})}
            yield state
    lifespan.__fh_mounts__ = mounts  # type: ignore[attr-defined]
    site.router.lifespan_context = lifespan  # type: ignore[assignment]  # yields the combined state
