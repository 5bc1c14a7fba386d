"""Apps composed into one site (fasthtml.compose): prefixed links, one session, one login, each app's own pages."""
import logging

import pytest
from starlette.routing import Mount
from variants import variant

from fasthtml.accounts import Accounts, User
from fasthtml.components import Div, Link, P, Title
from fasthtml.compose import AppMount, combine, mount
from fasthtml.core import APIRouter, Beforeware, Client, FastHTML
from fasthtml.csrf import csrf_exempt
from fasthtml.fastapp import fast_app
from fasthtml.pubsub import PubSub

PW = 'correct horse battery'
CROSS = {'Origin': 'https://evil.example', 'Sec-Fetch-Site': 'cross-site'}
HX = {'HX-Request': 'true'}


def blog_app(kind='sync', **kw):
    "A small app with links between its pages, as one written to run on its own."
    app = FastHTML(secret_key='blog-key-' * 4, **kw)

    def index():
        return Div(P('blog home'), P('read', hx_get=post, id='lnk'), P(post.to(n=3), id='to'))

    def article(n: int = 1):
        return P(f'post {n}', href=index)

    def whoami(auth, session):
        return P(f'auth={auth} session={session.get("who")}')

    def remember(session, who: str):
        session['who'] = who
        return P('stored')
    index = app.route('/')(variant(kind, index))
    post = app.route('/post')(variant(kind, article))
    app.route('/whoami')(variant(kind, whoami))
    app.route('/remember')(variant(kind, remember))
    return app, index, post


def site_app(**kw):
    return FastHTML(secret_key='site-key-' * 4, **kw)


# ---------------------------------------------------------------------------------------------------------------
# Links

def test_route_functions_carry_the_prefix_after_mounting(kind):
    blog, index, post = blog_app(kind)
    assert (str(index), str(post), post.to(n=2)) == ('/', '/post', '/post?n=2')
    site = site_app()
    route = mount(site, '/blog', blog)
    assert isinstance(route, AppMount) and isinstance(route, Mount) and route in site.routes
    assert (str(index), str(post), post.to(n=2), post.path) == ('/blog/', '/blog/post', '/blog/post?n=2', '/blog/post')
    assert blog.url_prefix == '/blog' and site.url_prefix == ''
    c = Client(site)
    r = c.get('/blog/', headers=HX)
    assert r.status_code == 200
    assert r.text == '<div><p>blog home</p><p hx-get="/blog/post" id="lnk">read</p><p id="to">/blog/post?n=3</p></div>'
    r = c.get(post.to(n=5), headers=HX)
    assert r.text == '<p href="/blog/">post 5</p>'
    # a plain request gets the full page, with the same prefixed links
    r = c.get('/blog/post?n=6')
    assert r.text.startswith('<!doctype html>') and '<p href="/blog/">post 6</p>' in r.text


def test_routes_added_after_mounting_and_websockets_and_routers_are_prefixed():
    blog, _, _ = blog_app()
    router = APIRouter('/api')

    @router('/items')
    def items(): return 'items'
    router.to_app(blog)
    site = site_app()
    mount(site, '/blog', blog)

    @blog.route('/later', name='later')
    def later(): return P('later', hx_get=later)

    @blog.ws('/live')
    async def live(msg: str, send): await send(P(msg))
    assert (str(later), str(live), str(items), items.to(q=1)) == ('/blog/later', '/blog/live', '/blog/api/items',
                                                                   '/blog/api/items?q=1')
    assert blog.rt_funcs.later.path == '/blog/later'
    c = Client(site)
    assert c.get('/blog/later', headers=HX).text == '<p hx-get="/blog/later">later</p>'
    assert c.get('/blog/api/items').text == 'items'
    with c.cli.websocket_connect('/blog/live') as ws:
        ws.send_text('hello')
        assert ws.receive_text() == '<p>hello</p>'


def test_nested_sites_prefix_all_the_way_down():
    inner, index, post = blog_app()
    section = FastHTML(secret_key='section-' * 4)
    mount(section, '/blog', inner)
    assert str(post) == '/blog/post'
    site = site_app()
    mount(site, '/news', section)  # the section is mounted after its own app: both move
    assert (str(post), str(index), inner.url_prefix, section.url_prefix) == ('/news/blog/post', '/news/blog/',
                                                                            '/news/blog', '/news')
    c = Client(site)
    assert c.get('/news/blog/post?n=2', headers=HX).text == '<p href="/news/blog/">post 2</p>'


def test_plain_starlette_mount_keeps_fasthtml_behaviour():
    "With Starlette's Mount, as in FastHTML 0.14.14, route functions keep their unprefixed paths (pinned)."
    blog, index, post = blog_app()
    site = site_app(routes=[Mount('/blog', blog)])
    assert (str(post), post.to(n=1)) == ('/post', '/post?n=1')
    assert blog.url_prefix == ''
    c = Client(site)
    assert c.get('/blog/post', headers=HX).text == '<p href="/">post 1</p>'


# ---------------------------------------------------------------------------------------------------------------
# One session, one login

def test_one_session_for_the_site_and_its_apps(kind):
    blog, _, _ = blog_app(kind)
    site = site_app()

    @site.get('/login')
    def login(session):
        session['who'] = 'alice'
        return 'in'

    @site.get('/me')
    def me(session):
        return f'site sees {session.get("who")}'
    mount(site, '/blog', blog)
    assert blog.secret_key == site.secret_key
    c = Client(site)
    c.get('/login')
    assert c.get('/blog/whoami', headers=HX).text == '<p>auth=None session=alice</p>'
    r = c.get('/blog/remember?who=bob', headers=HX)
    # one cookie, written once, signed with the site's key
    assert r.headers.get_list('set-cookie') and len(r.headers.get_list('set-cookie')) == 1
    assert c.get('/me').text == 'site sees bob'


def test_site_beforeware_runs_first_and_fills_auth(kind):
    calls = []

    def site_before(req, session):
        calls.append(('site', req.url.path))
        req.scope['auth'] = session.get('who')

    def blog_before(req, auth):
        calls.append(('blog', auth))
    blog, _, _ = blog_app(kind, before=Beforeware(variant(kind, blog_before)))
    site = site_app(before=variant(kind, site_before))

    @site.get('/login')
    def login(session):
        session['who'] = 'alice'
    mount(site, '/blog', blog)
    c = Client(site)
    c.get('/login')
    calls.clear()
    assert c.get('/blog/whoami', headers=HX).text == '<p>auth=alice session=alice</p>'
    assert calls == [('site', '/blog/whoami'), ('blog', 'alice')]
    # Beforeware added to the site later applies too
    site.before.append(lambda req: calls.append(('late', req.url.path)))
    calls.clear()
    c.get('/blog/post', headers=HX)
    assert calls == [('site', '/blog/post'), ('late', '/blog/post'), ('blog', 'alice')]


def test_site_beforeware_can_refuse_and_skips_by_full_path():
    from starlette.responses import RedirectResponse

    def gate(session):
        if not session.get('who'):
            return RedirectResponse('/login', 303)
    blog, _, _ = blog_app()
    site = site_app(before=Beforeware(gate, skip=[r'/login', r'/blog/post']))

    @site.get('/login')
    def login(session):
        session['who'] = 'x'
    mount(site, '/blog', blog)
    c = Client(site)
    r = c.get('/blog/whoami', follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/login')
    assert c.get('/blog/post', headers=HX).text == '<p href="/blog/">post 1</p>'  # skipped by its full path
    c.get('/login')
    assert c.get('/blog/whoami', headers=HX).status_code == 200


def make_accounts_site(kind='sync'):
    site = site_app()
    acc = Accounts(site, ':memory:', scrypt_n=2**10)
    acc.create_user('ann', PW)
    acc.create_user('root', PW, roles=['editor'])
    blog, _, _ = blog_app(kind)

    def mine(user: User):
        return P(f'{user.username} on the blog')

    def edit(user: User):
        return P(f'{user.username} edits')
    blog.route('/mine')(variant(kind, mine))
    blog.route('/edit')(acc.require('editor')(variant(kind, edit)))
    shop = FastHTML(secret_key='shop-key-' * 4)

    @shop.get('/cart')
    def cart(auth):
        return P(f'cart of {auth.username}')
    combine({'/blog': blog, '/shop': shop}, site)
    return site, acc


def test_log_in_once_every_app_sees_the_user(kind):
    site, acc = make_accounts_site(kind)
    c = Client(site)
    r = c.get('/blog/mine', follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/login?next=/blog/mine')
    r = c.get('/shop/cart', headers=HX)
    assert r.headers['hx-redirect'] == '/login?next=/shop/cart'
    r = c.post('/login', data={'username': 'ann', 'password': PW, 'next': '/blog/mine'}, follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/blog/mine')
    assert c.get('/blog/mine', headers=HX).text == '<p>ann on the blog</p>'
    assert c.get('/shop/cart', headers=HX).text == '<p>cart of ann</p>'
    # a role mark on a mounted app's handler is enforced by the site's Accounts
    assert c.get('/blog/edit', headers=HX).status_code == 403
    c.get('/logout')
    assert c.get('/shop/cart', follow_redirects=False).status_code == 303
    c.post('/login', data={'username': 'root', 'password': PW})
    assert c.get('/blog/edit', headers=HX).text == '<p>root edits</p>'


# ---------------------------------------------------------------------------------------------------------------
# Each app keeps its own pages

def test_each_app_keeps_its_headers_404_error_pages_and_static_files(tmp_path):
    (tmp_path / 'blog.css').write_text('p{color:red}')

    def blog_404(req, exc):
        return Title('Lost'), P(f'no such blog page {req.url.path}')

    def blog_oops(req, exc):
        return P(f'blog error: {exc}')
    blog, rt = fast_app(secret_key='b' * 40, hdrs=[Link(rel='stylesheet', href='blog.css')], static_path=str(tmp_path),
                        exception_handlers={404: blog_404, ValueError: blog_oops})

    @rt('/')
    def index():
        return Title('Blog'), P('hi')

    @rt('/boom')
    def boom():
        raise ValueError('bad value')
    site, srt = fast_app(secret_key='s' * 40, exception_handlers={404: lambda req, exc: P('site 404')})

    @srt('/')
    def home():
        return P('home')
    combine({'/blog': blog}, site)
    c = Client(site)
    page = c.get('/blog/').text
    assert '<title>Blog</title>' in page and 'href="blog.css"' in page
    assert 'blog.css' not in c.get('/').text
    r = c.get('/blog/nowhere')
    assert r.status_code == 404 and 'no such blog page /blog/nowhere' in r.text and '<title>Lost</title>' in r.text
    r = c.get('/elsewhere')
    assert r.status_code == 404 and 'site 404' in r.text
    r = c.get('/blog/boom')
    assert r.status_code == 500 and 'blog error: bad value' in r.text
    r = c.get('/blog/blog.css')
    assert r.status_code == 200 and r.text == 'p{color:red}'


def test_lifespans_of_mounted_apps_run_with_the_site():
    events = []
    blog = FastHTML(secret_key='b' * 40, on_startup=[lambda: events.append('blog up')],
                    on_shutdown=[lambda: events.append('blog down')])
    shop = FastHTML(secret_key='c' * 40, on_startup=[lambda: events.append('shop up')])
    site = site_app(on_startup=[lambda: events.append('site up')], on_shutdown=[lambda: events.append('site down')])
    combine({'/blog': blog, '/shop': shop}, site)
    with Client(site).cli:
        assert events == ['site up', 'blog up', 'shop up']
    assert events[3:] == ['blog down', 'site down']


def test_csrf_through_mounted_apps():
    blog, _, _ = blog_app()

    @blog.post('/hook')
    @csrf_exempt
    def hook(): return 'hooked'

    @blog.post('/save')
    def save(): return 'saved'
    plain = FastHTML(secret_key='p' * 40)

    @plain.post('/hook')
    @csrf_exempt
    def phook(): return 'plain hooked'
    site = site_app(routes=[Mount('/plain', plain)])
    mount(site, '/blog', blog)
    c = Client(site)
    assert c.post('/blog/save', headers=CROSS).status_code == 403
    assert c.post('/blog/hook', headers=CROSS).text == 'hooked'
    # an exempt route inside a plain Starlette Mount (this was a 500)
    assert c.post('/plain/hook', headers=CROSS).text == 'plain hooked'
    assert c.post('/plain/nothing', headers=CROSS).status_code == 403
    assert c.post('/blog/save', headers={'Origin': 'http://testserver'}).text == 'saved'


def test_pubsub_links_of_a_mounted_app_are_prefixed():
    chat = FastHTML(secret_key='c' * 40, exts='ws')
    hub = PubSub(chat)
    site = site_app()
    mount(site, '/chat', chat)
    assert hub.ws_url('room').startswith('/chat/_pubsub/ws?t=')
    assert hub.sse_url('room').startswith('/chat/_pubsub/sse?t=')
    c = Client(site)
    with c.cli.websocket_connect(hub.ws_url('room')):
        pass


# ---------------------------------------------------------------------------------------------------------------
# combine and mistakes

def test_combine_builds_a_site_with_a_home_redirect_and_health():
    blog, _, _ = blog_app()
    site = combine({'/blog': blog}, secret_key='k' * 40, title='Site')
    assert isinstance(site, FastHTML) and site.title == 'Site'
    c = Client(site)
    r = c.get('/', follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/blog/')
    assert c.get('/health').json() == {'status': 'ok'}
    assert c.get('/ready').json() == {'status': 'ready', 'checks': {}}
    shop = FastHTML(secret_key='s' * 40)
    site2 = combine({'/shop': shop}, home='/shop/cart', health=False, secret_key='k' * 40)
    c2 = Client(site2)
    assert c2.get('/', follow_redirects=False).headers['location'] == '/shop/cart'
    assert c2.get('/health').status_code == 404


def test_combine_keeps_the_sites_own_index():
    blog, _, _ = blog_app()
    site = site_app()

    @site.get('/')
    def home(): return 'the site'
    combine({'/blog': blog}, site)
    assert Client(site).get('/').text == 'the site'


@pytest.mark.parametrize('prefix', ['', '/', 'blog', '/blog/', '//x', '/a b', None])
def test_bad_prefixes_are_refused(prefix):
    blog, _, _ = blog_app()
    with pytest.raises(ValueError, match='prefix'):
        mount(site_app(), prefix, blog)


def test_mounting_mistakes_are_reported():
    from starlette.applications import Starlette
    site = site_app()
    with pytest.raises(TypeError, match='starlette.routing.Mount'):
        mount(site, '/raw', Starlette())
    with pytest.raises(TypeError, match='site must be a FastHTML'):
        mount(Starlette(), '/x', site_app())
    blog, _, _ = blog_app()
    mount(site, '/blog', blog)
    with pytest.raises(ValueError, match='already mounted at'):
        mount(site_app(), '/blog', blog)
    with pytest.raises(ValueError, match='already mounted in this site'):
        mount(site, '/blog', site_app())
    with pytest.raises(ValueError, match='in itself'):
        mount(site, '/self', site)
    with pytest.raises(ValueError, match='in itself'):
        mount(blog, '/up', site)
    with pytest.raises(TypeError, match='for a new site'):
        combine({'/x': site_app()}, site_app(), secret_key='k')
    with pytest.raises(ValueError, match='dict'):
        combine({}, site_app())


def test_log_shows_nothing_on_a_quiet_site(caplog):
    caplog.set_level(logging.WARNING)
    blog, _, _ = blog_app()
    site = combine({'/blog': blog}, secret_key='k' * 40)
    Client(site).get('/blog/')
    assert not [r for r in caplog.records if r.name.startswith('fasthtml')]


def test_an_app_with_its_own_login_is_refused_with_advice():
    from fasthtml.oauth import GitHubAppClient, OAuth
    blog, _, _ = blog_app()
    Accounts(blog, ':memory:', scrypt_n=2**10)
    with pytest.raises(ValueError, match='own Accounts.*on the site instead'):
        mount(site_app(), '/blog', blog)

    class MyAuth(OAuth):
        pass
    shop = FastHTML(secret_key='s' * 40)
    MyAuth(shop, GitHubAppClient('id', 'secret'))
    with pytest.raises(ValueError, match='own OAuth'):
        combine({'/shop': shop}, site_app())
