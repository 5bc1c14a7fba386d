"""Selling one thing with Stripe Checkout: a product page, payment on Stripe's page, a webhook that records the sale.

    pip install python-fasthtml[stripe]
    STRIPE_SECRET_KEY=sk_test_... STRIPE_WEBHOOK_SECRET=whsec_... python examples/stripe_app.py

then forward Stripe's events to http://127.0.0.1:5001/webhook (`stripe listen --forward-to ...`). The sale is
recorded by the webhook, not by the page the buyer returns to: only Stripe's signed event proves the payment.
DOMAIN_URL (default http://localhost:5001) is where Stripe sends buyers back; SALES_DB where sales are kept.
"""
import json
import os

import stripe
from fastlite import Database

from fasthtml.common import *
from fasthtml.stripe_otp import Payment, create_price

PRODUCT = 'FastHTML example: the field guide (PDF)'
DOMAIN = os.environ.get('DOMAIN_URL', 'http://localhost:5001')
stripe.api_key = os.environ.get('STRIPE_SECRET_KEY') or stripe.api_key

app, rt = fast_app(title='Field guide shop')
db: Any = Database(os.environ.get('SALES_DB', 'sales.db'))  # (fastlite adds `create` to Database when imported)
sales = db.create(Payment, pk='checkout_session_id', transform=True)
_price = []


def price():
    "The product's price at Stripe, created the first time the shop needs it."
    if not _price:
        _price.extend(create_price(PRODUCT, amt=900, currency='usd'))
    return _price[0]


@rt('/')
def get():
    p = price()
    return Titled(PRODUCT, P(f'${p.unit_amount / 100:.2f}, one payment, yours to keep.'),
                  Form(Label('Email for the receipt', Input(name='email', type='email', required=True)),
                       Button('Buy with Stripe'), hx_post=buy, hx_swap='none'))


@rt
def buy(email: str):
    checkout = stripe.checkout.Session.create(
        line_items=[{'price': price().id, 'quantity': 1}], mode='payment', customer_email=email,
        metadata={'app_name': PRODUCT}, success_url=DOMAIN + '/thanks?sid={CHECKOUT_SESSION_ID}',
        cancel_url=DOMAIN + '/')
    return Redirect(checkout.url)


@rt
def thanks(sid: str):
    sale = sales.get(sid) if sid in sales else None  # the webhook may not have arrived yet
    if sale is None:
        return Titled('Thank you!', P('Your payment is being confirmed; your receipt will follow by email.'),
                      Div(hx_get=f'/thanks?sid={sid}', hx_trigger='load delay:2s', hx_select='main',
                          hx_target='main', hx_swap='outerHTML'))
    return Titled('Thank you!', P(f'{sale.email} paid ${sale.amount / 100:.2f}.'), A('Back to the shop', href='/'))


@app.post('/webhook')
@csrf_exempt  # Stripe posts here from its servers; the signature is what is checked
async def webhook(req):
    try:
        event = stripe.Webhook.construct_event(await req.body(), req.headers.get('stripe-signature'),
                                               os.environ.get('STRIPE_WEBHOOK_SECRET'))
    except (ValueError, TypeError, stripe.SignatureVerificationError):
        return Response('invalid signature', status_code=400)
    if event.type == 'checkout.session.completed':
        s = event.data.object
        meta = s.metadata.to_dict() if s.metadata else {}
        if meta.get('app_name') == PRODUCT:
            sales.upsert(Payment(s.id, s.customer_email or '', s.amount_total or 0, s.payment_status or '',
                                 s.created or 0, json.dumps(meta)))
    return Response(status_code=200)


serve()
