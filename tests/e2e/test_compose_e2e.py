"""Two apps combined into one site, in a real browser: log in once, both apps know you; their HTMX links (route
functions) carry the mount prefix; logging out closes both."""
from pathlib import Path

from playwright.sync_api import expect

EXAMPLES = Path(__file__).resolve().parents[2] / 'examples'
PW = 'a long enough password'


def test_log_in_once_across_two_mounted_apps(live_server, tmp_path, page, offline_log):
    server = live_server('combined_site:app', cwd=tmp_path, env={'SITE_DATA': str(tmp_path / 'data')},
                         args=('--app-dir', str(EXAMPLES)))
    url = server.url
    page.goto(url + '/')
    expect(page.locator('#greeting')).to_contain_text('Log in once')

    # the blog sends us to the site's login; registering there brings us back to the blog
    page.click('a:text-is("Blog")')
    expect(page).to_have_url(url + '/login?next=/blog/')
    page.click('text=Create an account')
    page.fill('input[name=username]', 'ann')
    page.fill('input[name=password]', PW)
    page.fill('input[name=password2]', PW)
    page.click('button:has-text("Create account")')
    expect(page).to_have_url(url + '/blog/')
    expect(page.locator('#who')).to_have_text('Writing as ann')

    # an HTMX post through the blog's own route function (hx_post=add_post -> /blog/add)
    page.fill('#title', 'Hello <world>')
    page.click('#post-form button')
    expect(page.locator('#posts article h3')).to_have_text(['Hello <world>'])
    page.click('#posts article h3 a')
    expect(page).to_have_url(url + '/blog/post?id=1')
    expect(page.locator('h1')).to_have_text('Hello <world>')

    # the shop: no second login, the same user, a cart kept in the shared session
    page.goto(url + '/shop/')
    expect(page).to_have_url(url + '/shop/')
    expect(page.locator('#who')).to_have_text('Shopping as ann')
    page.click('#add-tea')
    expect(page.locator('#cart li')).to_have_text(['Tea'])
    page.click('#add-cake')
    expect(page.locator('#cart li')).to_have_text(['Tea', 'Cake'])
    page.reload()
    expect(page.locator('#cart li')).to_have_text(['Tea', 'Cake'])
    page.click('a:text-is("Blog")')
    expect(page.locator('#who')).to_have_text('Writing as ann')

    # one session cookie for the whole site, out of the page's reach
    cookies = [c for c in page.context.cookies() if c['name'] == 'session_']
    assert len(cookies) == 1 and cookies[0]['path'] == '/' and cookies[0]['httpOnly'] is True

    # logging out on the blog closes the shop too
    page.click('a:text-is("Log out")')
    expect(page).to_have_url(url + '/login')
    page.goto(url + '/shop/')
    expect(page).to_have_url(url + '/login?next=/shop/')

    # health checks answer the load balancer, not the login page
    resp = page.goto(url + '/ready')
    assert resp.status == 200 and resp.json() == {'status': 'ready', 'checks': {'accounts': 'ok'}}
    assert offline_log.errors == []
