"""The to-do demo in a real browser: login redirect, toasts after redirects, and add / toggle / edit / delete done
with HTMX swaps, never a page load (a marker set on `window` survives every step)."""
import re
from pathlib import Path

from playwright.sync_api import expect

EXAMPLES = Path(__file__).resolve().parents[2] / 'examples'


def start_todo(live_server, tmp_path):
    return live_server('todo_app:app', cwd=tmp_path, env={'TODO_DATA': str(tmp_path / 'data')},
                       args=('--app-dir', str(EXAMPLES)))


def log_in(page, server, name='ann'):
    page.goto(server.url + '/')
    expect(page).to_have_url(server.url + '/login')
    page.fill('#name', name)
    page.click('button:has-text("Log in")')
    expect(page).to_have_url(server.url + '/')
    page.wait_for_function('() => window.htmx && htmx.version.startsWith("2.")')


def test_login_redirect_and_welcome_toast(live_server, tmp_path, page, offline_log):
    server = start_todo(live_server, tmp_path)
    page.goto(server.url + '/')
    # Beforeware sent the visitor without a session to the login page.
    expect(page).to_have_url(server.url + '/login')
    expect(page).to_have_title('To-do list: log in')
    page.fill('#name', 'ann')
    page.click('button:has-text("Log in")')
    # POST /login redirected (303) to / and the toast queued before the redirect is shown there.
    expect(page).to_have_url(server.url + '/')
    expect(page).to_have_title("ann's to-dos")
    expect(page.locator('#fh-toast-container .fh-toast-success')).to_have_text('Welcome, ann!')
    expect(page.locator('h1')).to_have_text("ann's to-dos")
    assert offline_log.errors == []


def test_add_toggle_edit_delete_without_page_loads(live_server, tmp_path, page, offline_log):
    server = start_todo(live_server, tmp_path)
    log_in(page, server)
    page.evaluate('window.__marker = "still here"')
    navigations = []
    page.on('framenavigated', lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    items = page.locator('#todo-list li')

    # Add two to-dos: each is appended, the input is cleared (out of band), the counter updates (out of band).
    for title in ('milk', 'bread'):
        page.fill('#new-title', title)
        page.click('#add-form button')
        expect(items.filter(has_text=title)).to_have_count(1)
        expect(page.locator('#new-title')).to_have_value('')
    expect(items).to_have_count(2)
    expect(page.locator('#count')).to_have_text('2 to do')

    # Toggle: the item is swapped for its new version.
    milk = page.locator('#todo-1')
    milk.locator('input[type=checkbox]').click()
    expect(milk.locator('.title')).to_have_class(re.compile(r'\bdone\b'))
    expect(milk.locator('input[type=checkbox]')).to_be_checked()
    expect(page.locator('#count')).to_have_text('1 to do')

    # Edit in place, then save.
    milk.locator('button:has-text("edit")').click()
    title_input = page.locator('#todo-1 input[name=title]')
    expect(title_input).to_have_value('milk')
    title_input.fill('oat milk')
    page.locator('#todo-1 button:has-text("Save")').click()
    expect(page.locator('#todo-1 .title')).to_have_text('oat milk')
    expect(page.locator('#fh-toast-container')).to_contain_text('Saved.')

    # Edit, then cancel: the item comes back unchanged.
    page.locator('#todo-2 button:has-text("edit")').click()
    page.locator('#todo-2 button:has-text("Cancel")').click()
    expect(page.locator('#todo-2 .title')).to_have_text('bread')

    # Delete: the item is removed, the counter and a toast arrive out of band.
    page.locator('#todo-1 button:has-text("delete")').click()
    expect(page.locator('#todo-1')).to_have_count(0)
    expect(items).to_have_count(1)
    expect(page.locator('#count')).to_have_text('1 to do')
    expect(page.locator('#fh-toast-container')).to_contain_text('Deleted "oat milk".')

    assert page.evaluate('window.__marker') == 'still here'
    assert navigations == []
    assert offline_log.errors == []

    # The changes were stored: a fresh page load shows them.
    page.reload()
    expect(items).to_have_count(1)
    expect(items.first.locator('.title')).to_have_text('bread')


def test_logout_redirects_with_a_toast(live_server, tmp_path, page):
    server = start_todo(live_server, tmp_path)
    log_in(page, server, 'bob')
    page.click('a:has-text("log out")')
    expect(page).to_have_url(server.url + '/login')
    expect(page.locator('#fh-toast-container')).to_contain_text('Logged out.')
    page.goto(server.url + '/')
    expect(page).to_have_url(server.url + '/login')
