"""Static files with explicit caching, exported from `fasthtml.core`: `StaticNoCache` (revalidate on every use),
`StaticImmutable` (cache forever) and `vurl`, which versions a URL by its file's contents so that caching forever is
safe: the URL changes whenever the file does."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ['StaticNoCache', 'StaticImmutable', 'vurl']


class StaticNoCache(StaticFiles):
    """StaticFiles that sends `Cache-Control: no-cache`, so browsers revalidate (ETag/Last-Modified) on every use.
    A path the operating system refuses to look up (too long, a NUL, a symlink loop...) is a 404, never a 500."""
    cache_control = 'no-cache'

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        try:
            return super().lookup_path(path)
        except PermissionError:
            raise  # Starlette's 401, as before
        except (OSError, ValueError):
            return '', None  # no such file: Starlette answers 404

    def file_response(self, full_path: Any, stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        r = super().file_response(full_path, stat_result, scope, status_code)
        if status_code == 200:  # the file itself, or a 304 for it (RFC 9111 wants the header there too); not 404.html
            r.headers['cache-control'] = self.cache_control
        return r


class StaticImmutable(StaticNoCache):
    """StaticFiles whose responses may be cached forever (`public, max-age=31536000, immutable`): only for URLs that
    change when the file does, such as `vurl` links or content-hashed file names."""
    cache_control = 'public, max-age=31536000, immutable'


# (path, mtime_ns, size) -> hash: a file is hashed again only when it changes.
_hashes: dict[tuple[str, int, int], str] = {}


def _file_hash(p: Path) -> str:
    st = p.stat()
    key = (str(p), st.st_mtime_ns, st.st_size)
    h = _hashes.get(key)
    if h is None:
        h = hashlib.blake2b(p.read_bytes(), digest_size=4).hexdigest()
        if len(_hashes) > 4096:  # keys are the app's own asset files; bound it anyway
            _hashes.clear()
        _hashes[key] = h
    return h


def vurl(path: str, root: str | os.PathLike = '.') -> str:
    """`path` with a `v` query parameter hashing the contents of the file it names (relative to `root`), so the URL
    changes when the file does: `vurl('/css/app.css')` -> `/css/app.css?v=1a2b3c4d`. Other query parameters and the
    fragment are kept; URLs with a scheme or host are returned unchanged (there is no local file to hash)."""
    u = urlsplit(path)
    if u.scheme or u.netloc:
        return path
    p = Path(root) / u.path.lstrip('/')
    if not p.is_file():
        raise FileNotFoundError(f'vurl: no file {str(p)!r} for {path!r} (paths are relative to root={str(root)!r})')
    q = u.query + '&' if u.query else ''
    return urlunsplit(u._replace(query=f'{q}v={_file_hash(p)}'))
