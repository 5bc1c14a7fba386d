"""Add-on libraries built for FastHTML run unchanged on fasthtml: MonsterUI (a dev requirement) as the example.

The expected HTML below is what MonsterUI produces on the original FastHTML too (compared black-box), so these
check that an add-on building trees with our tag functions and fastcore's FT API gets the same markup."""
import monsterui.all as mui  # a dev requirement (settings.ini)
import pytest

from fasthtml.common import A, Client, Li, Option, P, fast_app, to_xml

# As in an app that does `from monsterui.all import *` after fasthtml's: its styled tags replace the plain ones.
Button, H3 = mui.Button, mui.H3


def test_components_render_as_on_the_original():
    card = mui.Card(P('Body'), header=H3('Card'), footer=Button('Save', cls=mui.ButtonT.primary))
    # (the plain compact form: to_xml keeps a newline around inputs, as the original's layout does)
    assert card.__html__() == (
        '<div class="uk-card "><div class="uk-card-header "><h3 class="uk-h3 ">Card</h3></div>'
        '<div class="uk-card-body space-y-6"><p>Body</p></div><div class="uk-card-footer ">'
        '<button type="submit" class="uk-btn uk-btn-primary">Save</button></div></div>')
    assert mui.LabelInput('Email', id='email').__html__() == (
        '<div class="space-y-2"><label for="email" class="uk-form-label ">Email</label>'
        '<input id="email" class="uk-input " name="email"></div>')
    assert mui.Alert('x', cls=mui.AlertT.success).__html__() == \
        '<div class="alert alert-success" role="alert"><span>x</span></div>'


def test_render_md_works():
    "The original raises a TypeError here (NotStr children it cannot join); fasthtml renders them."
    html = to_xml(mui.render_md('# Hello *md*\n\n- a\n- b'))
    assert '<h1' in html and '<em>md</em>' in html and '<li class="leading-relaxed">a</li>' in html


@pytest.mark.parametrize('is_async', [False, True])
def test_a_monsterui_app_serves_pages_and_fragments(is_async):
    app, rt = fast_app(hdrs=mui.Theme.blue.headers(), secret_key='k')

    def page():
        return mui.Container(
            mui.NavBar(A('Home', href='/'), brand=H3('Brand')),
            mui.Card(mui.Form(mui.LabelInput('Email', id='email'),
                              mui.LabelSelect(Option('A'), Option('B'), label='Pick', id='pick'),
                              Button('Go', cls=mui.ButtonT.primary, hx_post='/go', hx_target='#out')),
                     header=H3('Sign up')),
            mui.TableFromDicts(['a', 'b'], [{'a': 1, 'b': '<x>'}]),
            mui.TabContainer(Li(A('A', href='#')), Li(A('B', href='#'))), P(id='out'))

    def go(email: str):
        return mui.Alert(f'Got {email}', cls=mui.AlertT.success)
    if is_async:
        async def index(): return page()

        async def go_(email: str): return go(email)
    else:
        def index(): return page()

        def go_(email: str): return go(email)
    rt('/')(index)
    rt('/go')(go_)
    cli = Client(app)
    r = cli.get('/')
    assert r.status_code == 200 and r.text.startswith('<!doctype html>')
    assert 'franken-ui' in r.text and 'monster-navbar' in r.text and 'uk-card' in r.text
    assert '&lt;x&gt;' in r.text and '<x>' not in r.text  # table cells from data are escaped
    r = cli.post('/go', data={'email': 'a@b.c'}, headers={'HX-Request': '1'})
    assert r.text == '<div class="alert alert-success" role="alert"><span>Got a@b.c</span></div>'
    assert cli.post('/go', data={}, headers={'HX-Request': '1'}).status_code == 400
