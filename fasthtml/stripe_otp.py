"""One-time payments with Stripe: products and prices, checkout sessions, the webhook that records payments, refunds.

The same names as FastHTML's `fasthtml.stripe_otp`. The helpers (`create_price`, `archive_price`, `Payment`, the
route functions) can be imported on their own; the demo app the original builds when the module is imported (`app`,
`rt`, `db`, `payments`, `price_list`, `price`, `bware`) is built here on first use of one of those names, so importing
a helper never calls Stripe or creates a database. Install with `pip install python-fasthtml[stripe]`.

Configuration, as in FastHTML, from the environment: `STRIPE_SECRET_KEY` (the API key), `DOMAIN_URL` (where Stripe
sends the buyer back; default http://localhost:5001), `STRIPE_LOCAL_TEST_WEBHOOK_SECRET` (the webhook signing
secret). `stripe.api_base` may point the client elsewhere (the tests use a fake Stripe API on loopback).

    from fasthtml.stripe_otp import app      # the demo: /, /create-checkout-session, /webhook, /success, /account...
    serve()

See `examples/stripe_app.py` for an app of your own built from the helpers.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

import stripe

from .common import H2, H3, A, Beforeware, Button, Div, P, Redirect, Table, Tbody, Td, Th, Thead, Titled, Tr, fast_app

__all__ = ['DOMAIN_URL', 'app_nm', 'price_list', 'price', 'bware', 'app', 'rt', 'WEBHOOK_SECRET', 'db', 'payments',
           'create_price', 'archive_price', 'before', 'home', 'create_checkout_session', 'Payment', 'post', 'success',
           'cancel', 'refund', 'account_management']

log = logging.getLogger('fasthtml.stripe_otp')

if os.environ.get('STRIPE_SECRET_KEY'):
    stripe.api_key = os.environ['STRIPE_SECRET_KEY']
DOMAIN_URL = os.environ.get('DOMAIN_URL', 'http://localhost:5001')
WEBHOOK_SECRET = os.environ.get('STRIPE_LOCAL_TEST_WEBHOOK_SECRET')
app_nm = '[FastHTML Docs] Demo Product'
# Who the demo app treats as signed in (the original's demo hard-codes one user; a real app uses its own login).
demo_user = os.environ.get('STRIPE_DEMO_USER', 'hamel@hamel.com')


# ---------------------------------------------------------------------------------------------------------------
# Products and prices

def _search_app(app_nm: str, limit: int = 1) -> list:
    "Checks for product based on app_nm and returns the product if it exists"
    return stripe.Product.search(query=f"name:'{_quoted(app_nm)}' AND active:'True'", limit=limit).data


def _quoted(s: str) -> str:
    "A value for Stripe's search language, inside single quotes: a quote or backslash in it is escaped."
    return s.replace('\\', '\\\\').replace("'", "\\'")


def create_price(app_nm: str, amt: int, currency: str = 'usd') -> list[stripe.Price]:
    "Create a product and bind it to a price object. If product already exist just return the price list."
    existing = _search_app(app_nm)
    if existing:
        return stripe.Price.list(product=existing[0].id).data
    product = stripe.Product.create(name=app_nm)
    return [stripe.Price.create(product=product.id, unit_amount=amt, currency=currency)]


def archive_price(app_nm: str) -> None:
    "Archive a price - useful for cleanup if testing."
    for product in _search_app(app_nm, limit=50):
        for p in stripe.Price.list(product=product.id).data:
            stripe.Price.modify(p.id, active=False)
        stripe.Product.modify(product.id, active=False)


@dataclass
class Payment:
    "One completed checkout, as the webhook records it (the `payment` table of the demo's database)."
    checkout_session_id: str
    email: str
    amount: int
    payment_status: str
    created_at: int
    metadata: str


# ---------------------------------------------------------------------------------------------------------------
# The demo app, built on first use of one of its names

_LAZY = ('price_list', 'price', 'bware', 'app', 'rt', 'db', 'payments')
# Declared, not assigned: reading one of them calls the module's `__getattr__`, which builds the demo.
price_list: list
price: Any
bware: Any
app: Any
rt: Any
db: Any
payments: Any
_built: dict[str, Any] = {}
_lock = threading.Lock()


def _demo() -> dict[str, Any]:
    "Build the demo once: the product's price (created at Stripe if needed), the app and its routes, the database."
    with _lock:
        if _built:
            return _built
        from fastlite import Database
        price_list = create_price(app_nm, amt=1999)
        bware = Beforeware(before, skip=['/webhook'])
        app, rt = fast_app(before=bware)
        db = Database('stripe_payments.db')
        payments = db.create(Payment, pk='checkout_session_id', transform=True)  # type: ignore[attr-defined]
        rt('/')(home)
        rt('/create-checkout-session', methods=['post'])(create_checkout_session)
        rt('/webhook', methods=['post'])(post)
        rt('/success')(success)
        rt('/cancel')(cancel)
        rt('/refund', methods=['post'])(refund)
        rt('/account')(account_management)
        _built.update(price_list=price_list, price=price_list[0], bware=bware, app=app, rt=rt, db=db,
                      payments=payments)
        return _built


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return _demo()[name]
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def _price() -> Any:
    return _demo()['price']


def _payments() -> Any:
    return _demo()['payments']


def _dollars(cents: Any) -> str:
    return f'${int(cents or 0) / 100:.2f}'


# ---------------------------------------------------------------------------------------------------------------
# Routes of the demo (plain functions: an app of your own can register them, or its own versions)

def before(sess: Any) -> None:
    "The demo's stand-in for a login: every visitor is the demo user."
    sess['auth'] = demo_user


def home(sess: Any) -> Any:
    "The product and a Buy Now button."
    auth = sess['auth']
    return Titled('Buy Now', Div(H2(f'Demo Product - {_dollars(_price().unit_amount)}'), P(f'Welcome, {auth}'),
                                 Button('Buy Now', hx_post='/create-checkout-session', hx_swap='none'),
                                 A('View Account', href='/account')))


def create_checkout_session(sess: Any) -> Any:
    "Start a Stripe Checkout session for the product and send the buyer to Stripe's payment page."
    params: dict[str, Any] = dict(
        line_items=[{'price': _price().id, 'quantity': 1}], mode='payment', payment_method_types=['card'],
        customer_email=sess['auth'], metadata={'app_name': app_nm, 'AnyOther': 'Metadata'},
        success_url=DOMAIN_URL + '/success?checkout_sid={CHECKOUT_SESSION_ID}', cancel_url=DOMAIN_URL + '/cancel')
    checkout = stripe.checkout.Session.create(**params)
    return Redirect(checkout.url)


async def post(req: Any) -> None:
    """Stripe's webhook: a signed `checkout.session.completed` event for this product records the payment (once,
    however often Stripe retries). Anything unsigned or signed with another secret is ignored and logged."""
    payload = await req.body()
    try:
        event = stripe.Webhook.construct_event(payload, req.headers.get('stripe-signature'), WEBHOOK_SECRET)
    except (ValueError, stripe.SignatureVerificationError, TypeError) as e:
        why = e if WEBHOOK_SECRET else 'STRIPE_LOCAL_TEST_WEBHOOK_SECRET is not set'
        log.warning('Webhook error: %s', why)
        return None
    if event.type != 'checkout.session.completed':
        return None
    s = event.data.object
    meta = _field(s, 'metadata') or {}
    meta = meta.to_dict() if isinstance(meta, stripe.StripeObject) else dict(meta)
    if meta.get('app_name') != app_nm:
        return None
    email = _field(s, 'customer_email') or ''
    _payments().upsert(Payment(checkout_session_id=s.id, email=email, amount=_field(s, 'amount_total') or 0,
                               payment_status=_field(s, 'payment_status') or '', created_at=_field(s, 'created') or 0,
                               metadata=json.dumps(meta, indent=2, sort_keys=True)))
    log.info('Payment recorded for user: %s', email)
    return None


def _field(o: Any, k: str) -> Any:
    "A field of a Stripe object (no longer a dict in recent versions of the stripe package), None when absent."
    return getattr(o, k, None)


def _payment(checkout_sid: str) -> Payment | None:
    from fastlite import NotFoundError
    try:
        return _payments()[checkout_sid]
    except NotFoundError:
        return None


def success(sess: Any, checkout_sid: str) -> Any:
    "Where Stripe sends the buyer after paying: the recorded payment (a 404 page for an unknown one)."
    p = _payment(checkout_sid)
    if p is None:
        from .common import FtResponse
        return FtResponse(Titled('Not found', P('No such payment.'), A('Back to Home', href='/')), status_code=404)
    return Titled('Success', Div(H2('Payment Successful!'), P(f"Thank you for your purchase, {sess['auth']}"),
                                 P(f'Amount Paid: {_dollars(p.amount)}'), P(f'Status: {p.payment_status}'),
                                 P(f'Transaction ID: {checkout_sid}'), A('Back to Home', href='/')))


def cancel() -> Any:
    "Where Stripe sends a buyer who gave up."
    return Titled('Cancelled', Div(H2('Payment Cancelled'), P('Your payment was cancelled.'),
                                   A('Back to Home', href='/')))


def refund(sess: Any, checkout_sid: str) -> Any:
    "Refund one of the signed-in user's paid payments at Stripe, and mark it refunded."
    p = _payment(checkout_sid)
    if p is None or p.email != sess.get('auth') or p.payment_status != 'paid':
        return P('Error: Payment not found or not eligible for refund')
    try:
        intent = stripe.checkout.Session.retrieve(checkout_sid).payment_intent
        intent = intent if isinstance(intent, str) or intent is None else intent.id
        r = stripe.Refund.create(payment_intent=intent or '', reason='requested_by_customer')
    except stripe.StripeError as e:
        return P(f'Refund failed: {e.user_message or e}')
    _payments().update(payment_status='refunded', checkout_session_id=checkout_sid)
    return Div(P('Refund processed successfully!'), P(f'Refund ID: {r.id}'))


def account_management(sess: Any) -> Any:
    "The signed-in user's payments, each paid one with a refund button."
    auth = sess['auth']
    rows = [Tr(Td(p.created_at), Td(p.amount), Td(p.payment_status),
               Td(Button('Request Refund', hx_post=f'/refund?checkout_sid={p.checkout_session_id}',
                         hx_target='#refund-status') if p.payment_status == 'paid' else 'Refunded'))
            for p in _payments()(where='email = ?', where_args=[auth])]
    return Titled('Account Management', Div(
        H2(f'Account: {auth}'), H3('Payment History'),
        Table(Thead(Tr(Th('Date'), Th('Amount'), Th('Status'), Th('Action'))), Tbody(*rows)),
        Div(id='refund-status'), A('Back to Home', href='/')))
