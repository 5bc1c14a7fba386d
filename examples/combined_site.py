"""Two apps served as one site with one login: a blog at /blog and a shop at /shop, plus health checks and API tokens.

Run `python examples/combined_site.py` and open http://127.0.0.1:5001. Create an account once: the blog and the shop
both know you. Each app is an ordinary FastHTML app (it would run on its own); `combine` mounts them under their
prefixes, and their links (`hx_post=add_post`, `article.to(id=1)`) get the prefix by themselves.

It shows `fasthtml.compose.combine` (one session, the site's `Accounts` protecting every app), `fasthtml.health`
(`/health` and `/ready`, which checks the user database) and `fasthtml.tokens` (for scripts):

    curl -d username=ann -d password=... http://127.0.0.1:5001/auth/token      # -> access_token, refresh_token
    curl -H 'Authorization: Bearer <access_token>' http://127.0.0.1:5001/blog/api/posts

Set SITE_DATA to keep the users and the session key somewhere else than examples/data.
"""
import os
from pathlib import Path

from fasthtml.accounts import Accounts, User
from fasthtml.common import *

DATA = Path(os.environ.get('SITE_DATA') or Path(__file__).parent / 'data')
DATA.mkdir(parents=True, exist_ok=True)

# ---------------------------------------------------------------------------------------------------------------
# The blog: an app of its own (in a real project, blog.py)

blog, blog_rt = fast_app(title='Blog', hdrs=(Style('article h3 {margin: 0}'),), key_fname=str(DATA / '.sesskey'))
posts: list[dict] = []


def post_card(p: dict):
    return Article(H3(A(p['title'], href=article.to(id=p['id']))), P(f"by {p['author']}"), id=f"post-{p['id']}")


@blog_rt('/')
def blog_index(user: User):
    return (Title('Blog'),
            Main(Nav(Ul(Li(Strong('Blog'))), Ul(Li(A('Shop', href='/shop/')), Li(A('Log out', href='/logout')))),
                 P(f'Writing as {user.username}', id='who'),
                 Form(Group(Input(name='title', id='title', placeholder='A title', required=True), Button('Post')),
                      hx_post=add_post, hx_target='#posts', hx_swap='afterbegin',
                      **{'hx-on::after-request': 'this.reset()'}, id='post-form'),
                 Div(*[post_card(p) for p in reversed(posts)], id='posts'), cls='container'))


@blog_rt('/add', methods=['post'])
def add_post(user: User, title: str):
    p = dict(id=len(posts) + 1, title=title.strip()[:200] or '(untitled)', author=user.username)
    posts.append(p)
    return post_card(p)


@blog_rt('/post')
def article(id: int):
    if not 0 < id <= len(posts):
        return P('No such post', id='missing')
    p = posts[id - 1]
    return Title(p['title']), Main(H1(p['title']), P(f"by {p['author']}"), A('All posts', href=blog_index),
                                   cls='container')


@blog_rt('/api/posts')
def api_posts(user: User):
    "JSON for scripts with an API token (or a browser session)."
    return {'user': user.username, 'posts': posts}


# ---------------------------------------------------------------------------------------------------------------
# The shop: another app (shop.py); the cart lives in the session the site shares with it

shop, shop_rt = fast_app(title='Shop', key_fname=str(DATA / '.sesskey'))
ITEMS = ['Tea', 'Coffee', 'Cake']


def cart_view(session):
    cart = session.get('cart', [])
    return Ul(*[Li(i) for i in cart], id='cart')


@shop_rt('/')
def shop_index(user: User, session):
    return (Title('Shop'),
            Main(Nav(Ul(Li(Strong('Shop'))), Ul(Li(A('Blog', href='/blog/')), Li(A('Log out', href='/logout')))),
                 P(f'Shopping as {user.username}', id='who'),
                 *[Button(f'Add {i}', hx_post=add_item.to(item=i), hx_target='#cart', hx_swap='outerHTML',
                          id=f'add-{i.lower()}') for i in ITEMS],
                 H2('Your cart'), cart_view(session), cls='container'))


@shop_rt('/add', methods=['post'])
def add_item(session, item: str):
    if item in ITEMS:
        session['cart'] = [*session.get('cart', []), item][-20:]
    return cart_view(session)


# ---------------------------------------------------------------------------------------------------------------
# The site: its own home page, the login for everything, health checks and tokens

app, rt = fast_app(title='Combined site', key_fname=str(DATA / '.sesskey'))
accounts = Accounts(app, DATA / 'site-users.db', public=['/'])
tokens = ApiTokens(accounts)


@rt('/')
def home(user: User):
    who = f'Hello, {user.username}.' if user else 'Hello. Log in once to use the blog and the shop.'
    return Title('Combined site'), Main(H1('Combined site'), P(who, id='greeting'),
                                        Ul(Li(A('Blog', href=blog_index)), Li(A('Shop', href=shop_index))),
                                        cls='container')


combine({'/blog': blog, '/shop': shop}, app)  # also adds /health and /ready

serve()
