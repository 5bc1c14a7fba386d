"""Call an ASGI app directly with a hand-built scope: raw paths, raw headers and chunked bodies that HTTP clients
would normalise away (used by the security and fuzz tests)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import unquote


@dataclass
class Resp:
    status: int = 0
    headers: list = field(default_factory=list)
    body: bytes = b''

    @property
    def text(self) -> str:
        return self.body.decode('utf-8', 'replace')

    def header(self, name: str) -> str | None:
        n = name.lower().encode()
        for k, v in self.headers:
            if k.lower() == n:
                return v.decode('latin-1')
        return None


async def call(app, method: str = 'GET', path: str = '/', *, query: bytes = b'', headers=(), body: bytes = b'',
               chunks: list[bytes] | None = None, raw_path: bytes | None = None, host: str = 'testserver') -> Resp:
    """One HTTP request through `app`. `path` is the decoded path as a server puts it in the scope (`raw_path`
    defaults to it, encoded); `chunks` sends the body in several messages without a Content-Length, declared by
    `Transfer-Encoding: chunked` (as an HTTP/1.1 server's scope shows it) unless `headers` name a transfer-encoding."""
    hdrs = [(b'host', host.encode())]
    for k, v in headers:
        hdrs.append((k.lower().encode() if isinstance(k, str) else k, v.encode('latin-1') if isinstance(v, str) else v))
    if chunks is None and body and not any(k == b'content-length' for k, _ in hdrs):
        hdrs.append((b'content-length', str(len(body)).encode()))
    if chunks is not None and not any(k == b'transfer-encoding' for k, _ in hdrs):
        hdrs.append((b'transfer-encoding', b'chunked'))
    scope = {'type': 'http', 'asgi': {'version': '3.0', 'spec_version': '2.3'}, 'http_version': '1.1',
             'method': method, 'scheme': 'http', 'path': path,
             'raw_path': raw_path if raw_path is not None else path.encode('utf-8', 'surrogateescape'),
             'query_string': query, 'root_path': '', 'headers': hdrs, 'client': ('127.0.0.1', 50000),
             'server': ('testserver', 80), 'state': {}}
    msgs = [{'type': 'http.request', 'body': c, 'more_body': True} for c in (chunks or [])]
    msgs.append({'type': 'http.request', 'body': b'' if chunks is not None else body, 'more_body': False})
    it = iter(msgs)
    out = Resp()
    finished = asyncio.Event()

    async def receive():
        m = next(it, None)
        if m is None:
            # Like a server: the client stays connected until the response is complete.
            await finished.wait()
            return {'type': 'http.disconnect'}
        return m

    async def send(m):
        if m['type'] == 'http.response.start':
            out.status = m['status']
            out.headers = list(m.get('headers', []))
        elif m['type'] == 'http.response.body':
            out.body += m.get('body', b'')
            if not m.get('more_body', False):
                finished.set()
    await app(scope, receive, send)
    return out


def path_of(url_path: str) -> str:
    "The decoded path a server would give the app for a raw request path (percent-escapes decoded)."
    return unquote(url_path)
