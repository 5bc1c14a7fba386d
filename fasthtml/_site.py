"""Site-level helpers, exported from `fasthtml.xtend`: robots.txt, sitemap.xml, JSON-LD structured data, per-tab
session ids (`sid_scr`/`with_sid`) and the upload progress attributes."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from starlette.responses import PlainTextResponse, Response

from ._render import FT, to_xml
from .components import Div, ft_hx
from .xtend import Script

__all__ = ['robots_txt', 'sitemap_url', 'sitemap_xml', 'LdJson', 'LdContactPoint', 'LdOrg', 'LdWebsite',
           'LdCourseInstance', 'LdCourse', 'sid_scr', 'with_sid', 'upload_pb_attrs']


# ---------------------------------------------------------------------------------------------------------------
# Routes that must answer at a fixed path

def _add_fixed_route(app: Any, path: str, endpoint: Callable, name: str) -> None:
    """Register a GET route at `path` ahead of every other route, so a catch-all registered earlier (fast_app's
    static-file route matches `/robots.txt`) cannot shadow it."""
    app.route(path, methods=['get'], name=name)(endpoint)
    routes = app.router.routes
    for i, r in enumerate(routes):
        if getattr(r, 'path', None) == path and getattr(r, 'name', None) == name:
            routes.insert(0, routes.pop(i))
            return


def _one_line(what: str, s: Any) -> str:
    "A value written on a line of its own: a line break in it would start a new directive."
    s = str(s)
    if '\n' in s or '\r' in s:
        raise ValueError(f'robots_txt: {what} {s!r} contains a line break')
    return s


def robots_txt(app: Any, allow_all: bool = True, disallow_paths: Iterable[str] | str | None = None,
               sitemap_url: str | None = None, crawl_delay: int | float | None = None) -> None:
    """Serve `/robots.txt` (text/plain): `Allow: /` (or with `allow_all=False`, `Disallow: /`) unless
    `disallow_paths` are given, then an optional `Crawl-delay` and `Sitemap`."""
    if isinstance(disallow_paths, str):
        disallow_paths = [disallow_paths]
    lines = ['User-agent: *']
    if disallow_paths:
        lines += ['Disallow: ' + _one_line('path', p) for p in disallow_paths]
    else:
        lines.append('Allow: /' if allow_all else 'Disallow: /')
    if crawl_delay:
        lines.append('Crawl-delay: ' + _one_line('crawl_delay', crawl_delay))
    if sitemap_url:
        lines.append('Sitemap: ' + _one_line('sitemap_url', sitemap_url))
    text = '\n'.join(lines) + '\n'

    async def robots() -> Response:
        return PlainTextResponse(text)
    _add_fixed_route(app, '/robots.txt', robots, 'robots_txt')


_SITEMAP_KEYS = ('loc', 'lastmod', 'changefreq', 'priority')


def _join(base: str, url: str) -> str:
    "Prefix `url` with `base` unless it is already absolute, with exactly one slash between them."
    if not base or '://' in url:
        return url
    if base.endswith('/') and url.startswith('/'):
        return base + url[1:]
    return base + url


def _text(v: Any) -> str:
    return v.isoformat() if isinstance(v, (date, datetime)) else str(v)


def sitemap_url(url_info: str | dict, loc_base: str = '') -> FT:
    """A sitemap `<url>` element from a URL, or a dict with `loc` and optionally `lastmod` (str or date),
    `changefreq` and `priority`; other keys are ignored."""
    if isinstance(url_info, str):
        url_info = {'loc': url_info}
    if not isinstance(url_info, dict) or not url_info.get('loc'):
        raise ValueError(f"sitemap_url: expected a URL or a dict with a 'loc', got {url_info!r}")
    kids = []
    for k in _SITEMAP_KEYS:
        v = url_info.get(k)
        if v is None:
            continue
        v = _join(loc_base, str(v)) if k == 'loc' else _text(v)
        kids.append(ft_hx(k, v))
    return ft_hx('url', *kids)


def sitemap_xml(app: Any, urls: Iterable[str | dict], loc_base: str = '') -> None:
    "Serve `/sitemap.xml` (application/xml) listing `urls` (see `sitemap_url`); the XML is built once, here."
    body = ft_hx('urlset', *[sitemap_url(u, loc_base) for u in urls], xmlns='http://www.sitemaps.org/schemas/sitemap/0.9')
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n' + to_xml(body)

    async def sitemap() -> Response:
        return Response(xml, media_type='application/xml')
    _add_fixed_route(app, '/sitemap.xml', sitemap, 'sitemap_xml')


# ---------------------------------------------------------------------------------------------------------------
# JSON-LD structured data

def _ld_default(o: Any) -> Any:
    if isinstance(o, (date, datetime)):
        return o.isoformat()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    raise TypeError(f'LdJson: cannot write a {type(o).__name__} as JSON-LD: {o!r}')


def _ld_text(d: dict) -> str:
    """JSON for a `<script type="application/ld+json">`: `<`, `>` and `&` become `\\u003c`... (JSON reads them back
    unchanged), so no value can close the script or open a comment, whatever renders it."""
    s = json.dumps(d, indent=1, default=_ld_default)
    return s.replace('<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026')


def LdJson(typ: str, data: dict, script: bool = False, extra: dict | None = None, **kwargs: Any) -> dict | FT:
    """schema.org JSON-LD: a dict with `@type` and `@context`, or with `script=True` a
    `<script type="application/ld+json">` (keyword arguments become its attributes)."""
    d = {'@type': typ, '@context': 'https://schema.org', **data, **(extra or {})}
    if not script:
        return d
    return Script(_ld_text(d), type='application/ld+json', **kwargs)


def _some(**kw: Any) -> dict:
    return {k: v for k, v in kw.items() if v is not None}


def LdContactPoint(contact_type: str, email: str | None = None, phone: str | None = None, script: bool = False,
                   **extra: Any) -> dict | FT:
    "A schema.org ContactPoint; other keywords are added as properties."
    return LdJson('ContactPoint', _some(contactType=contact_type, email=email, telephone=phone), script, extra)


def LdOrg(name: str, url: str | None = None, logo: str | None = None, alt_name: str | None = None,
          same_as: list | None = None, contact_points: list | None = None, script: bool = False,
          **extra: Any) -> dict | FT:
    "A schema.org Organization; other keywords are added as properties."
    return LdJson('Organization', _some(name=name, alternateName=alt_name, url=url, logo=logo, sameAs=same_as,
                                        contactPoint=contact_points), script, extra)


def LdWebsite(name: str, url: str, script: bool = False, **extra: Any) -> dict | FT:
    "A schema.org WebSite; other keywords are added as properties."
    return LdJson('WebSite', {'name': name, 'url': url}, script, extra)


def LdCourseInstance(course_mode: str = 'Online', start_date: str | date | None = None,
                     end_date: str | date | None = None, location: dict | None = None, instructor: dict | None = None,
                     script: bool = False, **extra: Any) -> dict | FT:
    "A schema.org CourseInstance; other keywords are added as properties."
    return LdJson('CourseInstance', _some(courseMode=course_mode, startDate=start_date, endDate=end_date,
                                          location=location, instructor=instructor), script, extra)


def LdCourse(name: str, description: str, provider: dict, course_instance: dict | None = None, script: bool = False,
             **extra: Any) -> dict | FT:
    "A schema.org Course; other keywords are added as properties."
    return LdJson('Course', _some(name=name, description=description, provider=provider,
                                  hasCourseInstance=course_instance), script, extra)


# ---------------------------------------------------------------------------------------------------------------
# Per-tab session ids

# A random id per browser tab (sessionStorage survives reloads but is not shared between tabs), added as a `sid`
# query parameter to every same-origin HTMX request (htmx 2's `htmx:configRequest`, htmx 4's `htmx:config:request`).
# Requests to other origins are left alone, so the id never leaks to them.
_SID_JS = '''
(function () {
  var sid = sessionStorage.getItem('sid');
  if (!sid) {
    sid = Array.from(crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return b.toString(16).padStart(2, '0'); }).join('');
    sessionStorage.setItem('sid', sid);
  }
  function withSid(url) {
    var u = new URL(url, location.href);
    if (u.origin !== location.origin) return url;
    u.searchParams.set('sid', sid);
    return u.pathname + u.search + u.hash;
  }
  document.addEventListener('htmx:configRequest', function (e) { e.detail.path = withSid(e.detail.path); });
  document.addEventListener('htmx:config:request', function (e) {
    var r = e.detail && e.detail.ctx && e.detail.ctx.request;
    if (r && r.action) r.action = withSid(r.action);
  });
})();
'''
sid_scr = Script(_SID_JS)


def with_sid(app: Any, dest: str, path: str = '/') -> None:
    """Serve `path` as a page that immediately loads `dest` with HTMX, so that request (and every later HTMX
    request) carries the tab's `sid`; adds `sid_scr` to the app's headers if it is not there yet."""
    if not any(h is sid_scr for h in app.hdrs):
        app.hdrs.append(sid_scr)
    loader = Div(hx_get=dest, hx_trigger='load', hx_swap='outerHTML')

    def sid_loader() -> FT:
        return loader
    app.route(path, methods=['get'], name='with_sid')(sid_loader)


# ---------------------------------------------------------------------------------------------------------------
# Upload progress

def upload_pb_attrs(id: str = 'uploadprog') -> dict:
    """Attributes for an HTMX upload `Form` that show and update the `<progress>` element with this `id` (give it
    `cls='hidden'`; the class is removed once the upload starts)."""
    js = ('{ const p = document.getElementById(' + json.dumps(id) + ');\n'
          '  if (p && event.detail.total) { p.classList.remove("hidden"); '
          'p.value = event.detail.loaded / event.detail.total * 100; } }')
    return {'hx-on::xhr:progress': js}
