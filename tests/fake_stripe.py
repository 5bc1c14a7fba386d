"""A small fake of the Stripe API for tests, on loopback: products (with search), prices, checkout sessions.

Run: `python tests/fake_stripe.py PORT`, then point the `stripe` package at it (`stripe.api_base`). It keeps
objects in memory and answers in Stripe's shapes (`object`, `id`, lists with `data`/`has_more`, errors as
`{"error": {...}}` with Stripe's status codes), which is what the `stripe` client parses. Every request needs a
bearer key starting with `sk_test_`. `GET /_log` returns the requests seen (method, path, form/query); `POST /_reset`
forgets everything; `POST /_pay/{session id}` marks a checkout session paid (what the hosted page does).
"""
from __future__ import annotations

import contextlib
import itertools
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

DB: dict[str, dict] = {'product': {}, 'price': {}, 'checkout.session': {}, 'refund': {}}
LOG: list = []
_ids = itertools.count(1)


def _id(prefix: str) -> str:
    return f'{prefix}_fake{next(_ids):06d}'


def _error(status: int, msg: str, typ: str = 'invalid_request_error', param: str | None = None) -> JSONResponse:
    return JSONResponse({'error': {'type': typ, 'message': msg, **({'param': param} if param else {})}}, status)


def _nested(form) -> dict:
    "Stripe's form encoding (`metadata[a]=1`, `line_items[0][price]=p`) back into dicts and lists."
    out: dict = {}
    for k, v in form.multi_items():
        parts = re.findall(r'[^\[\]]+', k)
        cur = out
        for i, p in enumerate(parts):
            last = i == len(parts) - 1
            key: object = int(p) if p.isdigit() else p
            if isinstance(cur, list):
                while len(cur) <= key:  # type: ignore[operator]
                    cur.append({})
                if last:
                    cur[key] = v  # type: ignore[index]
                else:
                    cur = cur[key]  # type: ignore[index]
                continue
            if last:
                cur[key] = v
            else:
                nxt = parts[i + 1]
                cur = cur.setdefault(key, [] if nxt.isdigit() else {})
    return out


async def _authorized(req: Request) -> JSONResponse | None:
    auth = req.headers.get('authorization', '')
    if not auth.startswith('Bearer sk_test_'):
        return _error(401, 'Invalid API Key provided', 'invalid_request_error')
    return None


async def _record(req: Request) -> dict:
    data = _nested(await req.form()) if req.method == 'POST' else dict(req.query_params)
    LOG.append([req.method, req.url.path, data])
    return data


def _list(url: str, items: list, limit: int = 10, search: bool = False) -> JSONResponse:
    return JSONResponse({'object': 'search_result' if search else 'list', 'url': url, 'has_more': len(items) > limit,
                         'data': items[:limit], **({'next_page': None} if search else {})})


def _matches(obj: dict, query: str) -> bool:
    "The subset of Stripe's search language the tests use: `field:'value'` clauses joined with AND."
    for field, value in re.findall(r"(\w+):'([^']*)'", query):
        have = obj.get(field)
        if isinstance(have, bool):
            have = 'true' if have else 'false'
            value = value.lower()
        if str(have) != value:
            return False
    return True


async def products(req: Request):
    if (r := await _authorized(req)) is not None:
        return r
    data = await _record(req)
    if req.method == 'POST':
        if not data.get('name'):
            return _error(400, 'Missing required param: name.', param='name')
        p = {'id': _id('prod'), 'object': 'product', 'active': data.get('active', 'true').lower() != 'false',
             'name': data['name'], 'description': data.get('description'), 'metadata': data.get('metadata', {}),
             'created': int(time.time()), 'livemode': False, 'default_price': None}
        DB['product'][p['id']] = p
        return JSONResponse(p)
    items = list(DB['product'].values())
    return _list('/v1/products', items, int(data.get('limit', 10)))


async def product_search(req: Request):
    if (r := await _authorized(req)) is not None:
        return r
    data = await _record(req)
    items = [p for p in DB['product'].values() if _matches(p, data.get('query', ''))]
    return _list('/v1/products/search', items, int(data.get('limit', 10)), search=True)


async def product(req: Request):
    if (r := await _authorized(req)) is not None:
        return r
    data = await _record(req)
    p = DB['product'].get(req.path_params['id'])
    if p is None:
        return _error(404, f"No such product: '{req.path_params['id']}'", param='id')
    if req.method == 'POST' and 'active' in data:
        p['active'] = data['active'].lower() != 'false'
    return JSONResponse(p)


async def prices(req: Request):
    if (r := await _authorized(req)) is not None:
        return r
    data = await _record(req)
    if req.method == 'POST':
        prod = data.get('product')
        if prod not in DB['product']:
            return _error(400, f"No such product: '{prod}'", param='product')
        try:
            amount = int(data['unit_amount'])
        except (KeyError, ValueError):
            return _error(400, 'Invalid integer: unit_amount', param='unit_amount')
        p = {'id': _id('price'), 'object': 'price', 'active': True, 'product': prod, 'unit_amount': amount,
             'currency': data.get('currency', 'usd'), 'type': 'one_time', 'metadata': data.get('metadata', {}),
             'created': int(time.time()), 'livemode': False}
        DB['price'][p['id']] = p
        return JSONResponse(p)
    items = [p for p in DB['price'].values()
             if ('product' not in data or p['product'] == data['product'])
             and ('active' not in data or str(p['active']).lower() == data['active'].lower())]
    return _list('/v1/prices', items, int(data.get('limit', 10)))


async def sessions(req: Request):
    if (r := await _authorized(req)) is not None:
        return r
    data = await _record(req)
    items = data.get('line_items') or []
    if not items:
        return _error(400, 'Missing required param: line_items.', param='line_items')
    for it in items:
        if it.get('price') not in DB['price']:
            return _error(400, f"No such price: '{it.get('price')}'", param='line_items[0][price]')
    if data.get('mode') != 'payment':
        return _error(400, 'mode must be payment for one-time prices', param='mode')
    sid = _id('cs_test')
    total = sum(DB['price'][it['price']]['unit_amount'] * int(it.get('quantity', 1)) for it in items)
    s = {'id': sid, 'object': 'checkout.session', 'mode': 'payment', 'status': 'open', 'payment_status': 'unpaid',
         'url': f'https://checkout.stripe.com/c/pay/{sid}', 'success_url': data.get('success_url'),
         'cancel_url': data.get('cancel_url'), 'amount_total': total,
         'currency': DB['price'][items[0]['price']]['currency'], 'metadata': data.get('metadata', {}),
         'client_reference_id': data.get('client_reference_id'), 'customer_email': data.get('customer_email'),
         'line_items_sent': items, 'livemode': False, 'created': int(time.time()), 'payment_intent': None}
    DB['checkout.session'][sid] = s
    return JSONResponse(s)


async def session(req: Request):
    if (r := await _authorized(req)) is not None:
        return r
    await _record(req)
    s = DB['checkout.session'].get(req.path_params['id'])
    return JSONResponse(s) if s else _error(404, f"No such checkout.session: '{req.path_params['id']}'", param='id')


async def pay(req: Request):
    s = DB['checkout.session'].get(req.path_params['id'])
    if s is None:
        return _error(404, 'no such session')
    s.update(status='complete', payment_status='paid', payment_intent=_id('pi'))
    return JSONResponse(s)


async def refunds(req: Request):
    if (r := await _authorized(req)) is not None:
        return r
    data = await _record(req)
    pi = data.get('payment_intent')
    paid = [s for s in DB['checkout.session'].values() if pi and s.get('payment_intent') == pi]
    if not paid:
        return _error(400, f"No such payment_intent: '{pi}'", param='payment_intent')
    if any(r['payment_intent'] == pi for r in DB['refund'].values()):
        return _error(400, f'Charge for payment intent {pi} has already been refunded.', param='payment_intent')
    r = {'id': _id('re'), 'object': 'refund', 'payment_intent': pi, 'amount': paid[0]['amount_total'],
         'currency': paid[0]['currency'], 'status': 'succeeded', 'created': int(time.time())}
    DB['refund'][r['id']] = r
    return JSONResponse(r)


async def price(req: Request):
    if (r := await _authorized(req)) is not None:
        return r
    data = await _record(req)
    p = DB['price'].get(req.path_params['id'])
    if p is None:
        return _error(404, f"No such price: '{req.path_params['id']}'", param='id')
    if req.method == 'POST' and 'active' in data:
        p['active'] = data['active'].lower() != 'false'
    return JSONResponse(p)


async def unknown(req: Request):
    await _record(req)
    return _error(404, f'Unrecognized request URL ({req.method}: {req.url.path}).')


async def log(req: Request):
    return JSONResponse(LOG)


async def reset(req: Request):
    for d in DB.values():
        d.clear()
    LOG.clear()
    return JSONResponse({'ok': True})


app = Starlette(routes=[
    Route('/v1/products/search', product_search),
    Route('/v1/products', products, methods=['GET', 'POST']),
    Route('/v1/products/{id}', product, methods=['GET', 'POST']),
    Route('/v1/prices', prices, methods=['GET', 'POST']),
    Route('/v1/prices/{id}', price, methods=['GET', 'POST']),
    Route('/v1/checkout/sessions', sessions, methods=['POST']),
    Route('/v1/checkout/sessions/{id}', session),
    Route('/v1/refunds', refunds, methods=['POST']),
    Route('/_pay/{id}', pay, methods=['POST']),
    Route('/_log', log),
    Route('/_reset', reset, methods=['POST']),
    Route('/{path:path}', unknown, methods=['GET', 'POST', 'DELETE']),
])

@contextlib.contextmanager
def running() -> Iterator[str]:
    "Run this fake in its own process on a free loopback port; yields its URL; stops it by PID."
    import httpx2
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(Path(__file__)), str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    url = f'http://127.0.0.1:{port}'
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx2.post(f'{url}/_reset', timeout=1)
                break
            except httpx2.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f'fake Stripe did not start: {proc.stderr.read().decode()[-2000:]}') from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


if __name__ == '__main__':
    import uvicorn
    uvicorn.run(app, host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')
