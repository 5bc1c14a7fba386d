"""API tokens (fasthtml.tokens): issue, Bearer auth through Accounts, refresh rotation and reuse, revocation, limits."""
import base64
import json
import logging
import threading
import time

import jwt
import pytest
from variants import variant

from fasthtml.accounts import Accounts, User
from fasthtml.components import P
from fasthtml.core import Client, FastHTML
from fasthtml.tokens import ApiTokens, TokenError

PW = 'correct horse battery'
KEY = 'tokens-test-key-' * 3
CROSS = {'Origin': 'https://other.example', 'Sec-Fetch-Site': 'cross-site'}


def make(kind='sync', db=':memory:', key=KEY, **kw):
    app = FastHTML(secret_key=key)
    acc = Accounts(app, db, scrypt_n=2**10, public=['/open'])
    tokens = ApiTokens(acc, **kw)
    if acc.get_user('ann') is None:
        acc.create_user('ann', PW)
        acc.create_user('boss', PW, roles=['editor'])

    def notes(user: User, auth):
        return {'user': user.username, 'auth': auth.username}

    def edit(user: User):
        return P(f'{user.username} edits')

    def save(user: User, text: str):
        return P(f'{user.username} saved {text}')

    def open_page(user: User):
        return P(f'open to {user.username if user else "anyone"}')
    app.route('/notes')(variant(kind, notes))
    app.route('/edit')(acc.require('editor')(variant(kind, edit)))
    app.post('/save')(variant(kind, save))
    app.route('/open')(variant(kind, open_page))
    def items(user: User):
        return {'items': [], 'for': user.username}
    app.route('/api/items')(variant(kind, items))
    return app, acc, tokens


def get_tokens(c, username='ann', password=PW, **kw):
    r = c.post('/auth/token', data=dict(username=username, password=password), **kw)
    assert r.status_code == 200, r.text
    return r.json()


def bearer(tok):
    return {'Authorization': f'Bearer {tok}'}


# ---------------------------------------------------------------------------------------------------------------
# Issuing and using access tokens

def test_issue_with_a_form_or_json_and_use_as_bearer(kind):
    app, acc, tokens = make(kind)
    c = Client(app)
    r = c.post('/auth/token', data={'username': 'ann', 'password': PW})
    assert r.status_code == 200 and r.headers['cache-control'] == 'no-store' and 'set-cookie' not in r.headers
    body = r.json()
    assert set(body) == {'access_token', 'token_type', 'expires_in', 'refresh_token', 'refresh_expires_in'}
    assert (body['token_type'], body['expires_in'], body['refresh_expires_in']) == ('Bearer', 900, 30 * 24 * 3600)
    claims = jwt.decode(body['access_token'], options={'verify_signature': False})
    assert set(claims) == {'sub', 'fam', 'iat', 'exp', 'jti'} and claims['exp'] - claims['iat'] == 900
    assert jwt.get_unverified_header(body['access_token'])['alg'] == 'HS256'
    r = c.post('/auth/token', json={'username': 'ANN', 'password': PW, 'grant_type': 'password'})
    assert r.status_code == 200
    api = Client(app)  # a fresh client: no cookies at all
    r = api.get('/notes', headers=bearer(body['access_token']))
    assert (r.status_code, r.json()) == (200, {'user': 'ann', 'auth': 'ann'})
    assert 'set-cookie' not in r.headers
    r = api.post('/save', data={'text': 'hi'}, headers={**bearer(body['access_token']), 'HX-Request': '1'})
    assert r.text == '<p>ann saved hi</p>'
    r = api.get('/open', headers={**bearer(body['access_token']), 'HX-Request': '1'})
    assert r.text == '<p>open to ann</p>'


def test_no_token_browsers_go_to_login_api_clients_get_401():
    app, acc, tokens = make(api_paths=[r'/api/.*'])
    c = Client(app)
    r = c.get('/notes', follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/login?next=/notes')
    r = c.get('/notes', headers={'Accept': 'application/json'})
    assert r.status_code == 401 and r.headers['www-authenticate'] == 'Bearer realm="api"'
    assert r.json()['error'] == 'unauthorized'
    r = c.get('/api/items')
    assert r.status_code == 401 and r.headers['www-authenticate'] == 'Bearer realm="api"'
    assert c.get('/notes', headers={'Accept': 'text/html,application/json'}, follow_redirects=False).status_code == 303


def forged(claims, key=b'a wrong key of thirty-two bytes!', alg='HS256'):
    return jwt.encode(claims, key, algorithm=alg)


def test_bad_tokens_get_a_clear_401(kind):
    app, acc, tokens = make(kind)
    c = Client(app)
    good = get_tokens(c)['access_token']
    claims = jwt.decode(good, options={'verify_signature': False})
    head, payload, sig = good.split('.')
    other_user = base64.urlsafe_b64encode(json.dumps({**claims, 'sub': '2'}).encode()).decode().rstrip('=')
    none_alg = (base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip('=') + '.' + payload + '.')
    expired = tokens.access_token(int(claims['sub']), claims['fam'], now=time.time() - 10_000)
    cases = {
        'garbage': ('not-a-token', 'not valid'),
        'tampered payload': (f'{head}.{other_user}.{sig}', 'not valid'),
        'alg none': (none_alg, 'not valid'),
        'other key': (forged(claims), 'not valid'),
        'missing fam': (forged({k: v for k, v in claims.items() if k != 'fam'}, key=tokens._key), 'not valid'),
        'expired': (expired, 'expired'),
        'unknown login': (tokens.access_token(1, 'nope'), 'revoked'),
        'too long': ('x' * 5000, 'not valid'),
    }
    api = Client(app)
    for name, (tok, why) in cases.items():
        r = api.get('/notes', headers=bearer(tok))
        assert r.status_code == 401, name
        assert r.json()['error'] == 'invalid_token' and why in r.json()['error_description'], name
        assert r.headers['www-authenticate'].startswith('Bearer realm="api", error="invalid_token"'), name
    # also on a public page: a bad token is never silently anonymous
    assert api.get('/open', headers=bearer('junk')).status_code == 401


def test_other_authorization_schemes_are_left_alone():
    app, acc, tokens = make()
    c = Client(app)
    r = c.get('/notes', headers={'Authorization': 'Basic YW5uOnB3'}, follow_redirects=False)
    assert r.status_code == 303
    r = c.get('/open', headers={'Authorization': 'Basic YW5uOnB3', 'HX-Request': '1'})
    assert r.text == '<p>open to anyone</p>'


def test_role_checks_apply_to_tokens(kind):
    app, acc, tokens = make(kind)
    acc.require_paths(r'/api/.*', 'reader')
    c = Client(app)
    ann = get_tokens(c)['access_token']
    boss = get_tokens(c, 'boss')['access_token']
    r = c.get('/edit', headers=bearer(ann))
    assert r.status_code == 403 and r.json()['error'] == 'insufficient_scope' and 'editor' in r.text
    assert 'error="insufficient_scope"' in r.headers['www-authenticate']
    assert c.get('/edit', headers={**bearer(boss), 'HX-Request': '1'}).text == '<p>boss edits</p>'
    assert c.get('/api/items', headers=bearer(boss)).status_code == 403
    acc.set_roles('boss', ['editor', 'reader'])  # role changes count at once, no new token needed
    assert c.get('/api/items', headers=bearer(boss)).json() == {'items': [], 'for': 'boss'}
    acc.set_roles('ann', [], is_admin=True)
    assert c.get('/edit', headers={**bearer(ann), 'HX-Request': '1'}).text == '<p>ann edits</p>'


def test_csrf_free_by_construction():
    "Tokens come without cookies: a cross-site call with a token passes; with the session cookie it is refused."
    app, acc, tokens = make()
    c = Client(app)
    tok = get_tokens(c)['access_token']
    api = Client(app)
    r = api.post('/save', data={'text': 'x'}, headers={**bearer(tok), **CROSS, 'HX-Request': '1'})
    assert r.text == '<p>ann saved x</p>'
    c.post('/login', data={'username': 'ann', 'password': PW})  # c now has a session cookie
    r = c.post('/save', data={'text': 'x'}, headers={**bearer(tok), **CROSS})
    assert r.status_code == 403
    r = c.post('/save', data={'text': 'x'}, headers=CROSS)
    assert r.status_code == 403


def test_tokens_work_across_processes_sharing_the_key_and_database(tmp_path):
    "Two app instances (two workers) with the same secret key and database accept each other's tokens."
    db = str(tmp_path / 'users.db')
    app1, _, _ = make(db=db)
    app2, _, _ = make(db=db)
    body = get_tokens(Client(app1))
    assert Client(app2).get('/notes', headers=bearer(body['access_token'])).json()['user'] == 'ann'
    r = Client(app2).post('/auth/token/refresh', data={'refresh_token': body['refresh_token']})
    assert r.status_code == 200
    app3, _, _ = make(db=db, key='another-key-' * 4)
    assert Client(app3).get('/notes', headers=bearer(body['access_token'])).status_code == 401


# ---------------------------------------------------------------------------------------------------------------
# Refresh rotation and reuse detection

def test_refresh_rotates_and_reuse_revokes_the_login(caplog):
    caplog.set_level(logging.WARNING, 'fasthtml.tokens')
    app, acc, tokens = make()
    c = Client(app)
    first = get_tokens(c)
    other_login = get_tokens(c)
    r = c.post('/auth/token/refresh', data={'refresh_token': first['refresh_token']})
    assert r.status_code == 200 and r.headers['cache-control'] == 'no-store'
    second = r.json()
    assert second['refresh_token'] != first['refresh_token'] and second['access_token'] != first['access_token']
    assert c.get('/notes', headers=bearer(second['access_token'])).status_code == 200
    assert c.get('/notes', headers=bearer(first['access_token'])).status_code == 200  # same login, still valid
    # the OAuth 2 form of the same request, on the token endpoint
    r = c.post('/auth/token', json={'grant_type': 'refresh_token', 'refresh_token': second['refresh_token']})
    third = r.json()
    assert r.status_code == 200
    # an attacker replays the first refresh token: the whole login ends
    r = c.post('/auth/token/refresh', data={'refresh_token': first['refresh_token']})
    assert r.status_code == 401 and r.json()['error'] == 'invalid_grant' and 'already used' in r.text
    assert r.headers['www-authenticate'] == 'Bearer realm="api"'
    for tok in (first['access_token'], second['access_token'], third['access_token']):
        assert c.get('/notes', headers=bearer(tok)).status_code == 401
    r = c.post('/auth/token/refresh', data={'refresh_token': third['refresh_token']})
    assert r.status_code == 401 and 'revoked' in r.text
    # another login of the same user is untouched
    assert c.get('/notes', headers=bearer(other_login['access_token'])).status_code == 200
    assert any('came back' in rec.getMessage() for rec in caplog.records)
    assert not any(first['refresh_token'] in rec.getMessage() for rec in caplog.records)


def test_concurrent_refreshes_with_one_token_never_both_succeed(tmp_path):
    app, acc, tokens = make(db=str(tmp_path / 'u.db'))
    body = tokens.issue(acc.get_user('ann'))
    results, barrier = [], threading.Barrier(4)

    def go():
        barrier.wait()
        try:
            results.append(tokens.refresh(body['refresh_token']))
        except TokenError as e:
            results.append(e)
    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 4
    assert sum(isinstance(r, dict) for r in results) <= 1
    # someone met a used token, so the login is gone, whoever won
    with pytest.raises(TokenError):
        tokens.verify(tokens.access_token(acc.get_user('ann').id, json.loads(
            base64.urlsafe_b64decode(body['access_token'].split('.')[1] + '==='))['fam']))


def test_expired_and_unknown_refresh_tokens(monkeypatch):
    app, acc, tokens = make(refresh_ttl=60)
    c = Client(app)
    body = get_tokens(c)
    for tok in ('nope', 'x' * 5000):
        r = c.post('/auth/token/refresh', data={'refresh_token': tok})
        assert r.status_code in (400, 401) and r.json()['error'] in ('invalid_grant', 'invalid_request')
    real = time.time
    monkeypatch.setattr(time, 'time', lambda: real() + 120)
    r = c.post('/auth/token/refresh', data={'refresh_token': body['refresh_token']})
    assert r.status_code == 401 and 'expired' in r.text


def test_a_login_cannot_be_refreshed_past_max_age(monkeypatch):
    app, acc, tokens = make(refresh_ttl=100, max_age=150)
    body = tokens.issue(acc.get_user('ann'))
    real = time.time
    monkeypatch.setattr(time, 'time', lambda: real() + 90)
    body = tokens.refresh(body['refresh_token'])
    assert 55 <= body['refresh_expires_in'] <= 61
    monkeypatch.setattr(time, 'time', lambda: real() + 160)
    with pytest.raises(TokenError, match='expired'):
        tokens.refresh(body['refresh_token'])


# ---------------------------------------------------------------------------------------------------------------
# Revocation

def test_revoke_endpoint_by_token_by_header_and_everything(kind):
    app, acc, tokens = make(kind)
    c = Client(app)
    a, b, d = get_tokens(c), get_tokens(c), get_tokens(c)
    boss = get_tokens(c, 'boss')
    # a refresh token in the body ends its login
    r = c.post('/auth/token/revoke', data={'token': a['refresh_token']})
    assert (r.status_code, r.json()) == (200, {'revoked': True})
    assert c.get('/notes', headers=bearer(a['access_token'])).status_code == 401
    # an access token in the body, likewise
    c.post('/auth/token/revoke', json={'token': b['access_token']})
    assert c.post('/auth/token/refresh', data={'refresh_token': b['refresh_token']}).status_code == 401
    # unknown tokens: the same answer (RFC 7009)
    assert c.post('/auth/token/revoke', data={'token': 'whatever'}).json() == {'revoked': True}
    # nothing named, with a Bearer header: that login
    assert c.post('/auth/token/revoke', headers=bearer(d['access_token'])).json() == {'revoked': True}
    assert c.get('/notes', headers=bearer(d['access_token'])).status_code == 401
    assert c.post('/auth/token/revoke').status_code == 400
    # all of a user's logins
    e, f = get_tokens(c), get_tokens(c)
    r = c.post('/auth/token/revoke', data={'all': 'true'}, headers=bearer(e['access_token']))
    assert r.json() == {'revoked': 2}
    assert c.get('/notes', headers=bearer(f['access_token'])).status_code == 401
    assert c.get('/notes', headers=bearer(boss['access_token'])).status_code == 200
    assert Client(app).post('/auth/token/revoke', data={'all': 'true'}).status_code == 401
    # from a browser session ("sign out all API clients")
    g = get_tokens(c, 'boss')
    c.post('/login', data={'username': 'boss', 'password': PW})
    assert c.post('/auth/token/revoke', data={'all': '1'}).json() == {'revoked': 2}
    assert c.get('/notes', headers=bearer(g['access_token'])).status_code == 401


@pytest.mark.parametrize('how', ['revoke_all', 'logout_everywhere', 'set_password', 'delete_user'])
def test_account_changes_end_tokens(how):
    app, acc, tokens = make()
    c = Client(app)
    body = get_tokens(c)
    if how == 'revoke_all':
        assert tokens.revoke_all('ann') == 1 and tokens.revoke_all('nobody') == 0
    elif how == 'set_password':
        acc.set_password('ann', 'another long password')
    else:
        getattr(acc, how)('ann')
    assert c.get('/notes', headers=bearer(body['access_token'])).status_code == 401
    assert c.post('/auth/token/refresh', data={'refresh_token': body['refresh_token']}).status_code == 401


def test_disabled_user_tokens_stop_working():
    app, acc, tokens = make()
    c = Client(app)
    body = get_tokens(c)
    acc._x(f'UPDATE {acc.t_users} SET disabled = 1 WHERE username = ?', ('ann',))
    assert c.get('/notes', headers=bearer(body['access_token'])).status_code == 401
    assert c.post('/auth/token/refresh', data={'refresh_token': body['refresh_token']}).status_code == 401


# ---------------------------------------------------------------------------------------------------------------
# The token endpoint: mistakes and limits

def test_token_endpoint_mistakes():
    app, acc, tokens = make()
    c = Client(app)
    r = c.post('/auth/token', data={'username': 'ann', 'password': 'wrong password'})
    assert r.status_code == 401 and r.json() == {'error': 'invalid_grant', 'error_description': 'Wrong username or '
                                                                                                 'password'}
    assert r.headers['www-authenticate'] == 'Bearer realm="api"'
    assert c.post('/auth/token', data={'username': 'nobody', 'password': PW}).status_code == 401
    for data in ({}, {'username': 'ann'}, {'password': PW}, {'username': ['ann', 'x'], 'password': PW}):
        r = c.post('/auth/token', json=data)
        assert r.status_code == 400 and r.json()['error'] == 'invalid_request', data
    r = c.post('/auth/token', data={'grant_type': 'client_credentials'})
    assert r.status_code == 400 and r.json()['error'] == 'unsupported_grant_type'
    assert c.post('/auth/token', content=b'{oops', headers={'content-type': 'application/json'}).status_code == 400
    assert c.get('/auth/token').status_code == 405
    assert c.post('/auth/token', data={'username': 'ann', 'password': 'x' * 2000}).status_code == 400


def test_failed_token_requests_share_the_login_limits():
    app, acc, tokens = make()
    acc.max_fail_account = 3
    c = Client(app)
    c.post('/login', data={'username': 'ann', 'password': 'wrong one'})
    for _ in range(2):
        assert c.post('/auth/token', data={'username': 'ann', 'password': 'wrong one'}).status_code == 401
    r = c.post('/auth/token', data={'username': 'ann', 'password': PW})
    assert r.status_code == 429 and int(r.headers['retry-after']) > 0 and r.json()['error'] == 'slow_down'
    # ... and the login form sees the token endpoint's failures
    assert c.post('/login', data={'username': 'ann', 'password': PW}).status_code == 429


def test_failed_refreshes_are_limited_per_address():
    app, acc, tokens = make()
    acc.max_fail_address = 3
    c = Client(app)
    body = get_tokens(c)
    for _ in range(3):
        assert c.post('/auth/token/refresh', data={'refresh_token': 'guess'}).status_code == 401
    r = c.post('/auth/token/refresh', data={'refresh_token': body['refresh_token']})
    assert r.status_code == 429 and 'retry-after' in r.headers


def test_setup_mistakes():
    app = FastHTML(secret_key=KEY)
    acc = Accounts(app, ':memory:', scrypt_n=2**10)
    with pytest.raises(TypeError, match='Accounts'):
        ApiTokens(app)
    for kw, msg in ((dict(access_ttl=0), 'access_ttl'), (dict(refresh_ttl=1.5), 'refresh_ttl'),
                    (dict(path='token'), 'path must'), (dict(revoke_path='x'), 'revoke_path')):
        with pytest.raises(ValueError, match=msg):
            ApiTokens(acc, **kw)
    ApiTokens(acc, path='/api/token')
    with pytest.raises(ValueError, match='already have'):
        ApiTokens(acc)
    assert [r.path for r in app.routes if 'token' in getattr(r, 'path', '')] == \
        ['/api/token', '/api/token/refresh', '/api/token/revoke']


def test_tokens_reach_mounted_apps():
    "A token issued by the site opens the apps mounted in it (fasthtml.compose), with their role checks."
    from fasthtml.compose import combine
    site = FastHTML(secret_key=KEY)
    acc = Accounts(site, ':memory:', scrypt_n=2**10)
    ApiTokens(acc)
    acc.create_user('ann', PW)
    blog = FastHTML(secret_key='blog' * 10)

    @blog.get('/mine')
    def mine(auth): return {'who': auth.username}

    @blog.get('/admin')
    @acc.require('admin')
    def admin(auth): return {'admin': auth.username}
    combine({'/blog': blog}, site)
    c = Client(site)
    tok = get_tokens(c)['access_token']
    assert Client(site).get('/blog/mine', headers=bearer(tok)).json() == {'who': 'ann'}
    assert Client(site).get('/blog/admin', headers=bearer(tok)).status_code == 403
    assert Client(site).get('/blog/mine', headers=bearer('bad')).status_code == 401
