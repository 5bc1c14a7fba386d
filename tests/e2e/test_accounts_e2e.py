"""The accounts example in a real browser: register -> protected page -> logout -> login, roles, wrong passwords,
and a session cookie the page's JavaScript cannot read."""
from pathlib import Path

from playwright.sync_api import expect

EXAMPLES = Path(__file__).resolve().parents[2] / 'examples'
PW = 'a long enough password'


def start(live_server, tmp_path):
    return live_server('accounts_app:app', cwd=tmp_path,
                       env={'ACCOUNTS_DATA': str(tmp_path / 'data'), 'ADMIN_PASSWORD': 'admin password 1'},
                       args=('--app-dir', str(EXAMPLES)))


def register(page, server, name='ann', password=PW):
    page.goto(server.url + '/notes')
    expect(page).to_have_url(server.url + '/login?next=/notes')
    page.click('text=Create an account')
    expect(page).to_have_title('Create an account')
    page.fill('input[name=username]', name)
    page.fill('input[name=password]', password)
    page.fill('input[name=password2]', password)
    page.click('button:has-text("Create account")')
    expect(page).to_have_url(server.url + '/notes')


def test_register_protected_page_logout_login(live_server, tmp_path, page, offline_log):
    server = start(live_server, tmp_path)
    page.goto(server.url + '/')
    expect(page.locator('#greeting')).to_contain_text('Hello, stranger')

    # register: the protected page sent us to log in, and registering brings us back to it
    register(page, server)
    expect(page.locator('h1')).to_have_text("ann's notes")
    expect(page.locator('#whoami')).to_have_text('ann')

    # the protected page works with HTMX
    page.fill('#new-note', 'buy milk <b>')
    page.click('#note-form button')
    expect(page.locator('#notes li')).to_have_text(['buy milk <b>'])
    expect(page.locator('#new-note')).to_have_value('')

    # the session cookie is HttpOnly and SameSite=Lax: scripts cannot read it
    cookies = {c['name']: c for c in page.context.cookies()}
    assert cookies['session_']['httpOnly'] is True and cookies['session_']['sameSite'] == 'Lax'
    assert 'session_' not in page.evaluate('document.cookie')

    # not an admin
    resp = page.goto(server.url + '/admin')
    assert resp.status == 403
    expect(page.locator('h1')).to_have_text('Forbidden')

    # log out: the protected page is closed again
    page.goto(server.url + '/notes')
    page.click('text=Log out')
    expect(page).to_have_url(server.url + '/login')
    page.goto(server.url + '/notes')
    expect(page).to_have_url(server.url + '/login?next=/notes')

    # a wrong password is refused with a message; the right one brings the notes back
    page.fill('input[name=username]', 'ann')
    page.fill('input[name=password]', 'not the password')
    page.click('button:has-text("Log in")')
    expect(page.locator('#error')).to_have_text('Wrong username or password.')
    expect(page.locator('input[name=password]')).to_have_value('')
    page.fill('input[name=password]', PW)
    page.click('button:has-text("Log in")')
    expect(page).to_have_url(server.url + '/notes')
    expect(page.locator('#notes li')).to_have_text(['buy milk <b>'])
    # the only console errors are the two refusals this test provoked (403 on /admin, 401 on the wrong password)
    refusals = sorted(e.rsplit("status of ", 1)[-1] for e in offline_log.errors)
    assert refusals == ["401 (Unauthorized)", "403 (Forbidden)"]


def test_notes_are_private_and_admin_sees_users(live_server, tmp_path, new_page):
    server = start(live_server, tmp_path)
    ann, bob, admin = new_page(), new_page(), new_page()
    register(ann, server, 'ann')
    ann.fill('#new-note', "ann's secret")
    ann.click('#note-form button')
    expect(ann.locator('#notes li')).to_have_count(1)

    register(bob, server, 'bob')
    expect(bob.locator('#notes li')).to_have_count(0)
    expect(bob.locator('body')).not_to_contain_text("ann's secret")

    admin.goto(server.url + '/login')
    admin.fill('input[name=username]', 'admin')
    admin.fill('input[name=password]', 'admin password 1')
    admin.click('button:has-text("Log in")')
    expect(admin).to_have_url(server.url + '/')
    admin.click('a[href="/admin"]')
    expect(admin.locator('#users tbody tr')).to_have_count(3)
    expect(admin.locator('#users')).to_contain_text('bob')

    # logging out in one browser does not touch the others
    ann.goto(server.url + '/logout')
    bob.goto(server.url + '/notes')
    expect(bob.locator('h1')).to_have_text("bob's notes")


def test_duplicate_username_and_short_password(live_server, tmp_path, page):
    server = start(live_server, tmp_path)
    page.goto(server.url + '/register')
    page.fill('input[name=username]', 'admin')
    page.fill('input[name=password]', PW)
    page.fill('input[name=password2]', PW)
    page.click('button:has-text("Create account")')
    expect(page.locator('#error')).to_have_text('That username is taken.')
    page.fill('input[name=username]', 'carol')
    page.fill('input[name=password]', 'short')
    page.fill('input[name=password2]', 'short')
    # the browser's own check (minlength) stops the form; the server check is the second wall
    page.evaluate("document.querySelector('#register-form').noValidate = true")
    page.click('button:has-text("Create account")')
    expect(page.locator('#error')).to_contain_text('at least 8 characters')
