"""fasthtml.stripe_otp against a fake Stripe API served on loopback (tests/fake_stripe.py, its own process).

What each step sends to Stripe and what the app answers were compared black-box with FastHTML's module (with the
demo's data, run against the same fake). Names, signatures and pages are the original's; the departures are a 404
page for an unknown payment (the original raises: a 500), a webhook that records a retried event once (the original
fails on the duplicate), and importing a helper without building the demo app (and calling Stripe)."""
import hashlib
import hmac
import importlib
import inspect
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

stripe = pytest.importorskip('stripe')  # a dev requirement (settings.ini); apps that do not take payments need not

import fake_stripe as fake_api  # noqa: E402

from fasthtml.common import Client  # noqa: E402

HERE = Path(__file__).parent
HX = {'HX-Request': 'true'}
SECRET = 'whsec_test_secret'


@pytest.fixture(scope='module')
def fake_stripe():
    "The fake Stripe API in its own process (stopped by PID), with the stripe client pointed at it."
    old = stripe.api_base, stripe.api_key
    with fake_api.running() as url:
        stripe.api_base, stripe.api_key = url, 'sk_test_fasthtml'
        try:
            yield url
        finally:
            stripe.api_base, stripe.api_key = old


def requests_seen(url) -> list:
    return httpx2.get(f'{url}/_log', timeout=5).json()


@pytest.fixture
def so(fake_stripe, tmp_path, monkeypatch):
    "A fresh fasthtml.stripe_otp (its demo app not built yet), working in a temp dir, with a webhook secret."
    httpx2.post(f'{fake_stripe}/_reset', timeout=5)
    monkeypatch.chdir(tmp_path)
    import fasthtml.stripe_otp as mod
    mod = importlib.reload(mod)
    monkeypatch.setattr(mod, 'WEBHOOK_SECRET', SECRET)
    stripe.api_base, stripe.api_key = fake_stripe, 'sk_test_fasthtml'
    return mod


def signed(event: dict, secret: str = SECRET) -> tuple[str, dict]:
    "A webhook body and headers signed as Stripe signs them (HMAC-SHA256 over `timestamp.payload`)."
    payload = json.dumps(event)
    t = int(time.time())
    sig = hmac.new(secret.encode(), f'{t}.{payload}'.encode(), hashlib.sha256).hexdigest()
    return payload, {'stripe-signature': f't={t},v1={sig}', 'content-type': 'application/json'}


def session_obj(url: str, sid: str) -> dict:
    return httpx2.get(f'{url}/v1/checkout/sessions/{sid}', headers={'authorization': 'Bearer sk_test_x'},
                      timeout=5).json()


def completed(url: str, sid: str) -> dict:
    return {'id': 'evt_1', 'object': 'event', 'type': 'checkout.session.completed',
            'data': {'object': session_obj(url, sid)}}


# ---------------------------------------------------------------------------------------------------------------
# The module's names

def test_public_names_and_signatures_are_the_originals():
    import fasthtml.stripe_otp as mod
    assert mod.__all__ == ['DOMAIN_URL', 'app_nm', 'price_list', 'price', 'bware', 'app', 'rt', 'WEBHOOK_SECRET', 'db',
                           'payments', 'create_price', 'archive_price', 'before', 'home', 'create_checkout_session',
                           'Payment', 'post', 'success', 'cancel', 'refund', 'account_management']
    def params(f):
        return [(p.name, p.default) for p in inspect.signature(f).parameters.values()]
    e = inspect.Parameter.empty
    assert params(mod.create_price) == [('app_nm', e), ('amt', e), ('currency', 'usd')]
    assert params(mod.archive_price) == [('app_nm', e)] and params(mod._search_app) == [('app_nm', e), ('limit', 1)]
    assert params(mod.success) == params(mod.refund) == [('sess', e), ('checkout_sid', e)]
    for f in (mod.before, mod.home, mod.create_checkout_session, mod.account_management):
        assert params(f) == [('sess', e)]
    assert params(mod.cancel) == [] and params(mod.post) == [('req', e)]
    assert [f for f in mod.Payment.__dataclass_fields__] == ['checkout_session_id', 'email', 'amount',
                                                             'payment_status', 'created_at', 'metadata']
    assert mod.app_nm == '[FastHTML Docs] Demo Product'
    assert mod.DOMAIN_URL == os.environ.get('DOMAIN_URL', 'http://localhost:5001')


def test_importing_a_helper_calls_no_one(fake_stripe, tmp_path, monkeypatch):
    httpx2.post(f'{fake_stripe}/_reset', timeout=5)
    monkeypatch.chdir(tmp_path)
    import fasthtml.stripe_otp as mod
    importlib.reload(mod)
    assert requests_seen(fake_stripe) == [] and not (tmp_path / 'stripe_payments.db').exists()


def test_stripe_key_and_settings_come_from_the_environment(tmp_path):
    code = ('import stripe, fasthtml.stripe_otp as s\n'
            'print(stripe.api_key, s.DOMAIN_URL, s.WEBHOOK_SECRET)\n')
    env = {**os.environ, 'STRIPE_SECRET_KEY': 'sk_test_env', 'DOMAIN_URL': 'https://shop.example',
           'STRIPE_LOCAL_TEST_WEBHOOK_SECRET': 'whsec_env'}
    p = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=120, check=False)
    assert p.stdout.split() == ['sk_test_env', 'https://shop.example', 'whsec_env'], p.stderr[-2000:]


# ---------------------------------------------------------------------------------------------------------------
# Products and prices

def test_create_price_creates_once_then_lists(so, fake_stripe):
    prices = so.create_price('Widget', 700, currency='eur')
    assert [(p.unit_amount, p.currency) for p in prices] == [(700, 'eur')]
    seen = requests_seen(fake_stripe)
    assert seen[0] == ['GET', '/v1/products/search', {'query': "name:'Widget' AND active:'True'", 'limit': '1'}]
    assert seen[1] == ['POST', '/v1/products', {'name': 'Widget'}]
    assert seen[2][:2] == ['POST', '/v1/prices'] and seen[2][2]['unit_amount'] == '700'
    again = so.create_price('Widget', 999)  # the product exists: its prices, as they are
    assert [p.id for p in again] == [prices[0].id] and again[0].unit_amount == 700
    assert requests_seen(fake_stripe)[-1] == ['GET', '/v1/prices', {'product': prices[0].product}]
    assert [p.name for p in so._search_app('Widget')] == ['Widget'] and so._search_app('Nothing') == []


def test_a_quote_in_a_product_name_stays_inside_the_search(so, fake_stripe):
    so.create_price("Bob's book", 100)
    assert requests_seen(fake_stripe)[0][2]['query'] == "name:'Bob\\'s book' AND active:'True'"


def test_archive_price_retires_prices_and_the_product(so, fake_stripe):
    so.create_price('Old', 100)
    assert so.archive_price('Old') is None
    tail = [r[:2] + [r[2].get('active')] for r in requests_seen(fake_stripe)[-4:]]
    assert tail[0][:2] == ['GET', '/v1/products/search'] and tail[1][:2] == ['GET', '/v1/prices']
    assert tail[2][0] == 'POST' and tail[2][1].startswith('/v1/prices/') and tail[2][2].lower() == 'false'
    assert tail[3][0] == 'POST' and tail[3][1].startswith('/v1/products/') and tail[3][2].lower() == 'false'
    assert so._search_app('Old') == []
    assert so.create_price('Old', 200)[0].unit_amount == 200  # a new product and price


# ---------------------------------------------------------------------------------------------------------------
# The demo app: buy, webhook, success, account, refund

def buy(cli, url) -> str:
    r = cli.post('/create-checkout-session', headers=HX)
    assert r.status_code == 200 and r.headers['hx-redirect'].startswith('https://checkout.stripe.com/c/pay/')
    sid = r.headers['hx-redirect'].rsplit('/', 1)[1]
    httpx2.post(f'{url}/_pay/{sid}', timeout=5)  # what Stripe's hosted page does when the buyer pays
    return sid


def test_home_and_checkout(so, fake_stripe):
    cli = Client(so.app)
    assert so.price.unit_amount == 1999 and so.price_list == [so.price]
    page = cli.get('/', headers=HX).text
    assert page == ('<title>Buy Now</title><main class="container"><h1>Buy Now</h1><div>'
                    '<h2>Demo Product - $19.99</h2><p>Welcome, hamel@hamel.com</p>'
                    '<button hx-post="/create-checkout-session" hx-swap="none">Buy Now</button>'
                    '<a href="/account">View Account</a></div></main>')
    r = cli.post('/create-checkout-session', follow_redirects=False)
    assert r.status_code == 303 and r.headers['location'].startswith('https://checkout.stripe.com/c/pay/cs_test_')
    sent = requests_seen(fake_stripe)[-1]
    assert sent[:2] == ['POST', '/v1/checkout/sessions']
    assert sent[2] == {'line_items': [{'price': so.price.id, 'quantity': '1'}], 'mode': 'payment',
                       'payment_method_types': ['card'], 'customer_email': 'hamel@hamel.com',
                       'metadata': {'app_name': so.app_nm, 'AnyOther': 'Metadata'},
                       'success_url': so.DOMAIN_URL + '/success?checkout_sid={CHECKOUT_SESSION_ID}',
                       'cancel_url': so.DOMAIN_URL + '/cancel'}
    assert cli.get('/cancel', headers=HX).text == (
        '<title>Cancelled</title><main class="container"><h1>Cancelled</h1><div><h2>Payment Cancelled</h2>'
        '<p>Your payment was cancelled.</p><a href="/">Back to Home</a></div></main>')


def test_webhook_records_a_signed_completed_checkout_once(so, fake_stripe):
    cli = Client(so.app)
    sid = buy(cli, fake_stripe)
    payload, h = signed(completed(fake_stripe, sid))
    for _ in range(2):  # Stripe retries deliveries: the payment is recorded once
        r = cli.post('/webhook', content=payload, headers=h)
        assert (r.status_code, r.text) == (200, '')
    [p] = so.payments()
    assert (p.checkout_session_id, p.email, p.amount, p.payment_status) == (sid, 'hamel@hamel.com', 1999, 'paid')
    assert json.loads(p.metadata) == {'AnyOther': 'Metadata', 'app_name': so.app_nm}
    page = cli.get(f'/success?checkout_sid={sid}', headers=HX).text
    assert page == ('<title>Success</title><main class="container"><h1>Success</h1><div><h2>Payment Successful!</h2>'
                    '<p>Thank you for your purchase, hamel@hamel.com</p><p>Amount Paid: $19.99</p>'
                    f'<p>Status: paid</p><p>Transaction ID: {sid}</p><a href="/">Back to Home</a></div></main>')


@pytest.mark.parametrize('case', ['wrong secret', 'no signature', 'other event', 'other product', 'garbage'])
def test_webhook_ignores_what_it_must(so, fake_stripe, case, caplog):
    cli = Client(so.app)
    sid = buy(cli, fake_stripe)
    evt = completed(fake_stripe, sid)
    if case == 'other event':
        evt['type'] = 'payment_intent.succeeded'
    if case == 'other product':
        evt['data']['object']['metadata'] = {'app_name': 'someone else'}
    payload, h = signed(evt, 'whsec_other' if case == 'wrong secret' else SECRET)
    if case == 'no signature':
        h = {}
    if case == 'garbage':
        payload = 'not json'
    r = cli.post('/webhook', content=payload, headers=h)
    assert (r.status_code, r.text) == (200, '')  # as the original: nothing to say to whoever sent it
    assert so.payments() == []
    if case in ('wrong secret', 'no signature', 'garbage'):
        assert any('Webhook error' in m for m in caplog.messages)


def test_account_and_refund(so, fake_stripe):
    cli = Client(so.app)
    sid = buy(cli, fake_stripe)
    payload, h = signed(completed(fake_stripe, sid))
    cli.post('/webhook', content=payload, headers=h)
    page = cli.get('/account', headers=HX).text
    assert f'<button hx-post="/refund?checkout_sid={sid}" hx-target="#refund-status">Request Refund</button>' in page
    assert '<h2>Account: hamel@hamel.com</h2><h3>Payment History</h3>' in page
    assert '<td>1999</td><td>paid</td>' in page and '<div id="refund-status"></div>' in page
    r = cli.post(f'/refund?checkout_sid={sid}', headers=HX)
    assert r.text.startswith('<div><p>Refund processed successfully!</p><p>Refund ID: re_')
    sent = requests_seen(fake_stripe)[-1]
    assert sent[:2] == ['POST', '/v1/refunds'] and sent[2]['reason'] == 'requested_by_customer'
    assert so.payments[sid].payment_status == 'refunded'
    assert '<td>refunded</td><td>Refunded</td>' in cli.get('/account', headers=HX).text
    again = cli.post('/refund', data={'checkout_sid': sid}, headers=HX).text
    assert again == '<p>Error: Payment not found or not eligible for refund</p>'
    assert cli.post('/refund', data={'checkout_sid': 'cs_nope'}, headers=HX).text == again


def test_refund_failure_at_stripe_is_reported(so, fake_stripe):
    cli = Client(so.app)
    sid = buy(cli, fake_stripe)
    obj = session_obj(fake_stripe, sid)
    so.payments.insert(so.Payment(sid, 'hamel@hamel.com', 1999, 'paid', obj['created'], '{}'))
    httpx2.post(f'{fake_stripe}/_reset', timeout=5)  # Stripe no longer knows the session
    text = cli.post(f'/refund?checkout_sid={sid}', headers=HX).text
    assert text.startswith('<p>Refund failed: ') and 'No such checkout.session' in text
    assert so.payments[sid].payment_status == 'paid'


def test_unknown_or_missing_payment(so, fake_stripe):
    cli = Client(so.app)
    r = cli.get('/success?checkout_sid=cs_nope', headers=HX)
    assert r.status_code == 404 and 'No such payment.' in r.text  # (the original fails with a 500)
    assert cli.get('/success').status_code == 400
    assert cli.post('/refund').status_code == 400
