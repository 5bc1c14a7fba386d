"""A small OAuth2 provider for tests: authorize, token and user-info endpoints (plus OpenID discovery), on loopback.

Run: `python tests/fake_oauth_provider.py PORT`. It consents at once: `/authorize` redirects straight back to the
app with a one-time code. `POST /_control` with JSON `{"mode": ...}` makes it misbehave:
`ok`, `deny` (authorize answers `error=access_denied`), `token_500`, `token_error` (a 400 `invalid_grant`),
`token_garbage` (200 with an HTML body), `info_500`, `info_list` (user info that is not a JSON object),
`no_id` (user info without an id). `{"user": {...}}` sets the user that logs in next. Like real providers it
enforces PKCE (RFC 7636): a code issued with a `code_challenge` is only exchanged with the matching `code_verifier`.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import sys
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse
from starlette.routing import Route

CLIENTS = {'cid': 'csecret'}
STATE: dict = {'mode': 'ok', 'user': {'sub': 'u-1', 'id': 1, 'email': 'ann@example.com', 'email_verified': True,
                                      'name': 'Ann', 'login': 'ann'}}
CODES: dict = {}  # code -> (client_id, redirect_uri, user, PKCE challenge or None, challenge method)
TOKENS: dict = {}  # access token -> user
REFRESH: dict = {}  # refresh token -> user
LOG: list = []


async def authorize(req: Request):
    q = req.query_params
    LOG.append(('authorize', dict(q)))
    if q.get('response_type') != 'code' or q.get('client_id') not in CLIENTS or not q.get('redirect_uri'):
        return PlainTextResponse('bad authorization request', status_code=400)
    back = {'state': q['state']} if 'state' in q else {}
    if STATE['mode'] == 'deny':
        return RedirectResponse(q['redirect_uri'] + '?' + urlencode({'error': 'access_denied', **back}), 302)
    code = secrets.token_urlsafe(12)
    CODES[code] = (q['client_id'], q['redirect_uri'], dict(STATE['user']), q.get('code_challenge'),
                   q.get('code_challenge_method', 'plain'))
    return RedirectResponse(q['redirect_uri'] + '?' + urlencode({'code': code, **back}), 302)


def _client(req: Request, form) -> str | None:
    "The client id when its credentials are right: HTTP Basic (Discord style) or form fields."
    h = req.headers.get('authorization', '')
    if h.startswith('Basic '):
        cid, _, sec = base64.b64decode(h[6:]).decode().partition(':')
    else:
        cid, sec = form.get('client_id'), form.get('client_secret')
    return cid if CLIENTS.get(cid) == sec else None


def _pkce_ok(challenge: str, method: str, verifier: str | None) -> bool:
    if not verifier:
        return False
    if method == 'S256':
        verifier = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b'=').decode()
    return secrets.compare_digest(verifier, challenge)


async def token(req: Request):
    form = await req.form()
    LOG.append(('token', {k: v for k, v in form.items() if k != 'client_secret'}))
    mode = STATE['mode']
    if mode == 'token_500':
        return PlainTextResponse('internal error', status_code=500)
    if mode == 'token_garbage':
        return PlainTextResponse('<html>oops</html>', status_code=200)
    cid = _client(req, form)
    if cid is None:
        return JSONResponse({'error': 'invalid_client'}, status_code=401)
    if form.get('grant_type') == 'refresh_token':  # a refresh token (issued with each code) gives a new access token
        user = REFRESH.get(form.get('refresh_token', ''))
        if user is None:
            return JSONResponse({'error': 'invalid_grant', 'error_description': 'bad refresh token'}, 400)
        tok = secrets.token_urlsafe(16)
        TOKENS[tok] = user
        return JSONResponse({'access_token': tok, 'token_type': 'Bearer', 'expires_in': 3600})
    entry = CODES.pop(form.get('code', ''), None)
    if mode == 'token_error' or entry is None or entry[0] != cid or entry[1] != form.get('redirect_uri'):
        return JSONResponse({'error': 'invalid_grant', 'error_description': 'bad code'}, status_code=400)
    if form.get('grant_type') != 'authorization_code':
        return JSONResponse({'error': 'unsupported_grant_type'}, status_code=400)
    if entry[3] is not None and not _pkce_ok(entry[3], entry[4], form.get('code_verifier')):
        return JSONResponse({'error': 'invalid_grant', 'error_description': 'PKCE verification failed'}, 400)
    tok, refresh = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    TOKENS[tok] = REFRESH[refresh] = entry[2]
    return JSONResponse({'access_token': tok, 'token_type': 'Bearer', 'expires_in': 3600, 'refresh_token': refresh})


async def userinfo(req: Request):
    LOG.append(('userinfo', {}))
    mode = STATE['mode']
    if mode == 'info_500':
        return PlainTextResponse('internal error', status_code=500)
    h = req.headers.get('authorization', '')
    user = TOKENS.get(h[7:]) if h.startswith('Bearer ') else None
    if user is None:
        return JSONResponse({'error': 'invalid_token'}, status_code=401)
    if mode == 'info_list':
        return JSONResponse([user])
    if mode == 'no_id':
        return JSONResponse({k: v for k, v in user.items() if k not in ('sub', 'id')})
    return JSONResponse(user)


async def discovery(req: Request):
    base = str(req.base_url).rstrip('/')
    return JSONResponse({'issuer': base, 'authorization_endpoint': f'{base}/authorize',
                         'token_endpoint': f'{base}/token', 'userinfo_endpoint': f'{base}/userinfo'})


async def control(req: Request):
    d = await req.json()
    if 'mode' in d:
        STATE['mode'] = d['mode']
    if 'user' in d:
        STATE['user'] = d['user']
    if d.get('clear_log'):
        LOG.clear()
    return JSONResponse({'mode': STATE['mode'], 'log': LOG, 'codes': len(CODES)})


app = Starlette(routes=[Route('/authorize', authorize), Route('/token', token, methods=['POST']),
                        Route('/userinfo', userinfo), Route('/.well-known/openid-configuration', discovery),
                        Route('/_control', control, methods=['POST'])])

if __name__ == '__main__':
    import uvicorn
    uvicorn.run(app, host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')
