"""Forms in a real browser: an HTMX form post swaps a result fragment (no page load), a cookie remembers a value,
uploads post multipart from the page, and the custom 404 page renders with the app's layout."""
from pathlib import Path

from playwright.sync_api import expect

EXAMPLES = Path(__file__).resolve().parents[2] / 'examples'


def start(live_server, tmp_path, name, **env):
    return live_server(f'{name}:app', cwd=tmp_path, env=env, args=('--app-dir', str(EXAMPLES)))


def test_form_post_swaps_a_fragment(live_server, tmp_path, page, offline_log):
    server = start(live_server, tmp_path, 'forms_app')
    page.goto(server.url + '/')
    page.wait_for_function('() => window.htmx')
    page.evaluate('window.__marker = 1')
    page.fill('input[name=email]', 'ann@example.org')
    page.fill('input[name=name]', 'Ann')
    page.fill('input[name=age]', '41')
    page.check('#newsletter')
    page.click('button:has-text("Save")')
    result = page.locator('#result #saved')
    expect(result.locator('h3')).to_have_text('Saved Ann')
    expect(result).to_contain_text('Age: 41')
    expect(result).to_contain_text('Newsletter: yes')
    assert page.evaluate('window.__marker') == 1  # swapped in place: the page never reloaded

    # Posting again with the box unticked replaces the result.
    page.uncheck('#newsletter')
    page.fill('input[name=name]', 'Annie')
    page.click('button:has-text("Save")')
    expect(result.locator('h3')).to_have_text('Saved Annie')
    expect(result).to_contain_text('Newsletter: no')
    expect(page.locator('#saved')).to_have_count(1)

    # The email went into a cookie, so a new visit starts with it filled in.
    page.goto(server.url + '/')
    expect(page.locator('input[name=email]')).to_have_value('ann@example.org')
    assert offline_log.errors == []


def test_uploads_from_the_page(live_server, tmp_path, page):
    uploads = tmp_path / 'uploads'
    server = start(live_server, tmp_path, 'upload_app', UPLOAD_DIR=str(uploads))
    page.goto(server.url + '/')
    page.wait_for_function('() => window.htmx')
    page.evaluate('window.__marker = 1')
    page.set_input_files('#form-one input[type=file]',
                         files=[{'name': 'hello.txt', 'mimeType': 'text/plain', 'buffer': b'hello world'}])
    page.click('#form-one button')
    card = page.locator('#result-one .file-card')
    expect(card.locator('h3')).to_have_text('hello.txt')
    expect(card).to_contain_text('Size: 11')
    page.set_input_files('#form-many input[type=file]',
                         files=[{'name': 'a.txt', 'mimeType': 'text/plain', 'buffer': b'a'},
                                {'name': 'b.csv', 'mimeType': 'text/csv', 'buffer': b'b,c'}])
    page.click('#form-many button')
    expect(page.locator('#result-many .file-card')).to_have_count(2)
    expect(page.locator('#result-many')).to_contain_text('text/csv')
    assert page.evaluate('window.__marker') == 1
    assert (uploads / 'hello.txt').read_bytes() == b'hello world'
    assert (uploads / 'b.csv').read_bytes() == b'b,c'


def test_custom_404_page_and_fragment(live_server, tmp_path, page):
    server = start(live_server, tmp_path, 'custom_404')
    resp = page.goto(server.url + '/oops')
    assert resp.status == 404
    expect(page).to_have_title("404: I don't exist!")
    expect(page.locator('h1')).to_have_text("404: I don't exist!")
    page.goto(server.url + '/')
    page.wait_for_function('() => window.htmx')
    page.click('a:has-text("A book that does not exist")')
    expect(page.locator('main')).to_contain_text('There is no book 99.')
