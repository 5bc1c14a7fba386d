"""Add-on libraries built for FastHTML run unchanged on fasthtml: MonsterUI, faststrap, fh-pydantic-form, fasthtml-auth
and cjm-fasthtml-daisyui (dev requirements, pinned in settings.ini), and the API uses of other published add-ons.

The expected HTML below is what each add-on produces on the original FastHTML 0.14.14 too (compared black-box, modulo
whitespace between tags), so these check that an add-on building trees with our tag functions and fastcore's FT API
gets the same markup, and that its routes answer as they do there."""
import re

import monsterui.all as mui  # a dev requirement (settings.ini)
import pytest

from fasthtml.common import (
    H1,
    A,
    Client,
    Div,
    FastHTML,
    Input,
    Label,
    Li,
    Link,
    Option,
    P,
    Pre,
    Script,
    fast_app,
    to_xml,
)
from fasthtml.common import Button as FhButton

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


# ---------------------------------------------------------------------------------------------------------------
# API uses found in published add-ons (each ran differently on fasthtml than on FastHTML 0.14.14): reproduced here in
# a few lines, without the add-on, with the original's answer.

def test_an_empty_id_fills_no_name():
    "MonsterUI's LabelRadio makes `Input(type='radio', id='')`: the original adds no `name` for an empty or zero id."
    from fasthtml.common import A, Input, Select
    assert Input(type='radio', id='').attrs == {'type': 'radio', 'id': ''}
    assert Select(id=0).attrs == {'id': 0}
    assert A('x', id='').attrs == {'href': '#', 'id': ''}
    assert Input(id='e').attrs == {'id': 'e', 'name': 'e'}
    assert Input(id=['e']).attrs == {'id': 'e', 'name': 'e'}


def test_an_id_given_after_construction_fills_no_name():
    "`e(id=...)` and `e.set(id=...)` set the id only, as in the original (the name comes from construction only)."
    from fasthtml.common import Input, Select
    assert Input()(id='i').attrs == {'id': 'i'}
    assert Input().set(id='c').attrs == {'id': 'c'}
    assert Select(id='a')(id='b').attrs == {'id': 'b', 'name': 'a'}


def test_a_trailing_underscore_is_a_dash():
    """cjm-fasthtml-daisyui checks `Label(..., for_=...).attrs['for-']` when its modal module is imported (an import
    error otherwise); faststrap's SplitPane writes `Script(..., defer_=True)`. FastHTML keeps a trailing `_` as `-`."""
    from fasthtml.common import Label, Script, to_xml
    assert Label('open modal', for_='my_modal_6', cls='btn').attrs == {'for-': 'my_modal_6', 'class': 'btn'}
    assert to_xml(Script('x()', defer_=True)) == '<script defer->x()</script>'
    assert Label('a', _for='x').attrs == {'for': 'x'}  # a leading one goes


def test_attribute_names_given_literally_keep_their_place():
    """fastmdui builds `{'name': ..., **kwargs}` and sets `attrs['class']` before calling `ft_hx(tag, **attrs)`: a
    literal `class` (or `hx-target`) arrives through `**kwargs` and keeps its call-order place, as in FastHTML; only
    the tag functions' own parameters (`cls`, `id`, ...) move to the end."""
    from fasthtml.common import Div, ft_hx
    assert list(ft_hx('mdui-icon', (), name='home', **{'class': 'material-symbols-outlined'}, id='i').attrs) == \
        ['name', 'class', 'id']
    assert Div(**{'class': 'k'}, cls='c', id='i').attrs == {'class': 'c', 'id': 'i'}  # cls's value, class's place
    assert list(Div(x=1, **{'class': 'k'}, y=2, title='t').attrs) == ['x', 'class', 'y', 'title']
    assert list(Div(**{'hx-target': 't'}, x=1, id='i').attrs) == ['hx-target', 'x', 'id']


def test_attributes_set_on_a_node_are_named_as_fastcore_does():
    """faststrap's SectionHeader does `heading.cls = 'mb-2'`: on FastHTML (fastcore's node class) that is an attribute
    named `cls` (no aliases after construction; `_` becomes `-`, leading ones go), stored as given."""
    from fasthtml.common import H2, Div, Span, to_xml
    h = H2(Span('Hello'))
    h.cls = 'mb-2'
    assert to_xml(h) == '<h2 cls="mb-2"><span>Hello</span></h2>'
    e = Div('x', id='a', cls='k', hx_get='/g')
    e.data_x, e._z, e.X_Y, e.for_ = [1], 'z', 'y', 'f'
    assert e.attrs == {'id': 'a', 'class': 'k', 'hx-get': '/g', 'data-x': [1], 'z': 'z', 'X-Y': 'y'}
    assert e.for_ == 'f'  # a trailing _ is a Python attribute of the node
    assert (e.get('hx_get'), e.get('cls'), e.get('_class'), e.cls, e.hx_get) == ('/g', None, 'k', None, '/g')


def test_call_and_set_keep_call_order():
    "`e(...)` and `e.set(...)` add attributes in call order (fastcore's), `target_id` being a plain name there."
    from fasthtml.common import Div
    assert list(Div('x', id='a', cls='k', hx_get='/g')(cls='z', hx_post='/p', title=None).attrs) == \
        ['hx-get', 'id', 'class', 'hx-post']
    assert Div('x', id='a', cls='k', hx_get='/g').set(cls='z', hx_post='/p').attrs == \
        {'id': 'a', 'class': 'z', 'hx-post': '/p'}
    assert Div()(target_id='t', for_='f').attrs == {'target-id': 't', 'for-': 'f'}


def test_jupyter_module_holds_the_common_names():
    """fh-matui's web_pages does `from fasthtml.jupyter import FastHTML, fast_app, JupyUvi, HTMX`: FastHTML's jupyter
    module star-imports common."""
    import fasthtml.common
    import fasthtml.jupyter
    from fasthtml.jupyter import HTMX, FastHTML, JupyUvi, fast_app  # noqa: F401
    assert FastHTML is fasthtml.common.FastHTML and fast_app is fasthtml.common.fast_app
    with pytest.raises(AttributeError):
        fasthtml.jupyter.no_such_name  # noqa: B018


def test_a_star_import_keeps_the_importers_own_names_that_fasthtml_lacks():
    """fh-matui's billing module does `from .components import *` then `from fasthtml.common import *`: on FastHTML its
    own `Card` survives (FastHTML 0.14.14's common has none), here too, though `common` exports the older Pico `Card`.
    Names FastHTML's common has (`Div`) are bound as usual, and a namespace without a `Card` gets ours."""
    import fasthtml.common as common
    ns: dict = {'Card': 'own card', 'Image': 'PIL image', 'Div': 'own div'}
    exec('from fasthtml.common import *', ns)
    assert (ns['Card'], ns['Image']) == ('own card', 'PIL image')
    assert ns['Div'] is common.Div and ns['Titled'] is common.Titled and ns['Grid'] is common.Grid
    fresh: dict = {}
    exec('from fasthtml.common import *', fresh)
    assert fresh['Card'] is common.Card and fresh['Image'] is common.Image
    local = {'Card': 1}
    exec('from fasthtml.common import *', {}, local)  # (a namespace with separate locals: they are the importer's)
    assert local['Card'] == 1 and local['Div'] is common.Div
    # elsewhere __all__ is the whole list
    assert 'Card' in common.__all__ and len(common.__all__) == len(list(common.__all__))
    assert common.__all__[common.__all__.index('Card')] == 'Card'
    # (the deferred names count whether or not they were read yet; fastlite's NotFoundError is never star-imported)
    public = {n for n in vars(common) if not n.startswith('_')} | set(common._LAZY)
    assert set(common.__all__) == public - {'NotFoundError'}


def test_the_names_fasthtml_common_always_binds_are_the_originals():
    import test_parity

    from fasthtml._starnames import FASTHTML_COMMON
    assert FASTHTML_COMMON == set(test_parity.ORIGINAL_COMMON)


# ---------------------------------------------------------------------------------------------------------------
# More add-ons (dev requirements, pinned): faststrap (Bootstrap 5), fh-pydantic-form (forms from pydantic models, with
# MonsterUI), fasthtml-auth (login, roles, admin) and cjm-fasthtml-daisyui (daisyUI classes). The expected HTML is what
# each produces on the original FastHTML 0.14.14 (compared black-box), modulo whitespace between tags.

def _squash(html: str) -> str:
    "HTML without whitespace between tags (the one standing difference: FastHTML indents)."
    return re.sub(r'\s+<', '<', re.sub(r'>\s+', '>', html))


def test_faststrap_components_render_as_on_the_original():
    import faststrap as fs
    cases = [
        (fs.Card('Welcome to FastStrap!', header='Hello World!', footer=fs.Button('Get Started', variant='primary')),
         '<div class="card"><div class="card-header">Hello World!</div>'
         '<div class="card-body">Welcome to FastStrap!</div><div class="card-footer text-muted">'
         '<button type="button" class="btn btn-primary">Get Started</button></div></div>'),
        (fs.Alert('Saved', variant='info', dismissible=True),
         '<div role="alert" class="alert alert-info alert-dismissible fade show">Saved<button type="button"'
         ' data-bs-dismiss="alert" aria-label="Close" class="btn-close">'
         '</button></div>'),
        (fs.Button('As Link', as_='a', href='/page', variant='secondary'),
         '<a href="/page" role="button" class="btn btn-secondary">As Link</a>'),
        (fs.Button('Saving', loading=True, spinner=True, loading_text='Saving...'),
         '<button aria-busy="true" disabled type="button" class="btn btn-primary">'
         '<span role="status" aria-hidden="true" class="spinner-border spinner-border-sm me-2">'
         '</span>Saving...</button>'),
        (fs.Button('Styled', style={'background-color': '#7BA05B'}, data={'id': '123'}, aria={'label': 'Styled button'},
                   disabled=None, hidden=False),
         '<button data-id="123" aria-label="Styled button" type="button" class="btn btn-primary"'
         ' style="background-color: #7BA05B">Styled</button>'),
        # (heading.cls = ... after construction is an attribute `cls` on FastHTML too)
        (fs.SectionHeader('Hello', subtitle='Sub'),
         '<div class="d-flex flex-column flex-lg-row align-items-lg-center justify-content-between gap-2 mb-3">'
         '<div><h2 cls="mb-2"><span>Hello</span></h2><p class="text-muted mb-0">Sub</p></div></div>'),
        (fs.Badge('New', variant='success', pill=True),
         '<span class="badge text-bg-success rounded-pill">New</span>'),
        (fs.Input('email', label='Email', input_type='email', placeholder='you@example.com'),
         '<div class="mb-3"><label for="email" class="form-label">Email</label>'
         '<input name="email" type="email" placeholder="you@example.com" id="email" class="form-control">'
         '</div>'),
    ]
    for ft, html in cases:
        assert _squash(to_xml(ft)) == html


@pytest.mark.parametrize('is_async', [False, True])
def test_a_faststrap_app_serves_pages_and_fragments(is_async):
    import faststrap as fs
    app = FastHTML(secret_key='k')
    fs.add_bootstrap(app, theme=fs.create_theme(primary='#7BA05B'), mode='dark')

    def card():
        return fs.Card('Welcome', header='Hello', footer=fs.Button('Go', variant='primary'))
    if is_async:
        async def home(): return card()
    else:
        def home(): return card()
    app.route('/')(home)
    cli = Client(app)
    r = cli.get('/')
    assert r.status_code == 200 and r.headers['content-type'] == 'text/html; charset=utf-8'
    assert '<html data-bs-theme="dark">' in r.text
    assert '<link rel="stylesheet" href="/static/css/bootstrap.min.css">' in r.text
    assert cli.get('/static/css/bootstrap.min.css').status_code == 200
    r = cli.get('/', headers={'HX-Request': '1'})
    assert _squash(r.text) == (
        '<div class="card"><div class="card-header">Hello</div><div class="card-body">Welcome</div>'
        '<div class="card-footer text-muted"><button type="button" class="btn btn-primary">Go</button>'
        '</div></div>')


def _pydantic_form():
    from fh_pydantic_form import PydanticForm
    from pydantic import BaseModel

    class SimpleModel(BaseModel):
        name: str = 'Default Name'
        age: int
        is_active: bool = True
    return PydanticForm('my_form', SimpleModel)


def test_fh_pydantic_form_renders_inputs_as_on_the_original():
    assert _squash(to_xml(_pydantic_form().render_inputs())) == (
        '<div class="fhpf-wrapper w-full flex-1"><div id="my_form-inputs-wrapper">'
        '<div class="flex flex-col items-center space-y-3 items-stretch"><div class="mb-4">'
        '<label for="my_form_name" class="block text-sm font-medium text-gray-700 mb-1"><span>Name</span>'
        '</label>'
        '<textarea name="my_form_name" placeholder="Enter name" rows="1" data-field-path="name" id="my_form_name"'
        ' class="uk-textarea w-full" style="resize: vertical; min-height: 2.5rem; padding: 0.5rem; line-height:'
        ' 1.25;">Default Name</textarea>'
        '</div><div class="mb-4">'
        '<label for="my_form_age" class="block text-sm font-medium text-gray-700 mb-1"><span>Age</span>'
        '</label>'
        '<input value="0" name="my_form_age" type="number" placeholder="Enter age" required step="1"'
        ' data-field-path="age" id="my_form_age" class="uk-input w-full">'
        '</div><div class="mb-4 w-full"><div class="flex items-center gap-2 w-full">'
        '<label for="my_form_is_active" class="block text-sm font-medium text-gray-700 mb-1">'
        '<span>Is Active</span></label>'
        '<input type="checkbox" name="my_form_is_active" checked data-field-path="is_active" id="my_form_is_active"'
        ' class="uk-checkbox ">'
        '</div></div></div></div></div>')


def test_fh_pydantic_form_validates_a_posted_form():
    from pydantic import ValidationError
    form = _pydantic_form()
    app, rt = fast_app(hdrs=[mui.Theme.blue.headers()], pico=False, secret_key='k')
    form.register_routes(app)

    @rt('/submit_form')
    async def post(req):
        try:
            return Pre((await form.model_validate_request(req)).model_dump_json())
        except ValidationError as e:
            return Pre('errors: ' + ','.join(str(x['loc']) for x in e.errors()))
    cli = Client(app)
    hx = {'HX-Request': '1'}
    ann = {'my_form_name': 'Ann', 'my_form_age': '7', 'my_form_is_active': 'on'}
    r = cli.post('/submit_form', data=ann, headers=hx)
    assert (r.status_code, r.text) == (200, '<pre>{"name":"Ann","age":7,"is_active":true}</pre>')
    r = cli.post('/submit_form', data={'my_form_name': 'Bo', 'my_form_age': '3'}, headers=hx)
    assert r.text == '<pre>{"name":"Bo","age":3,"is_active":false}</pre>'
    r = cli.post('/submit_form', data={'my_form_name': 'X', 'my_form_age': 'old'}, headers=hx)
    assert r.text == "<pre>errors: ('age',)</pre>"
    r = cli.post('/form/my_form/reset', headers=hx)
    assert r.status_code == 200 and _squash(r.text) == _squash(to_xml(form.render_inputs()))


def test_cjm_daisyui_modal_module_imports_and_renders():
    "Its modal module checks `attrs['for-']` when imported (it failed to import before a trailing _ became a -)."
    import cjm_fasthtml_daisyui.components.actions.modal  # noqa: F401
    from cjm_fasthtml_daisyui.components.actions.button import btn, btn_colors
    from cjm_fasthtml_daisyui.components.actions.modal import modal, modal_action, modal_box, modal_toggle
    from cjm_fasthtml_tailwind.core.base import combine_classes
    go = FhButton('Go', cls=combine_classes(btn, btn_colors.primary))
    assert to_xml(go) == '<button class="btn btn-primary">Go</button>'
    dialog = Div(Input(type='checkbox', id='m6', cls=str(modal_toggle)),
                 Div(Div(P('Hi'), Div(Label('Close!', for_='m6', cls=str(btn)), cls=str(modal_action)),
                         cls=str(modal_box)), cls=str(modal), role='dialog'))
    assert _squash(to_xml(dialog)) == (
        '<div><input type="checkbox" id="m6" class="modal-toggle" name="m6">'
        '<div role="dialog" class="modal"><div class="modal-box"><p>Hi</p><div class="modal-action">'
        '<label for-="m6" class="btn">Close!</label></div></div></div></div>')


def test_a_fasthtml_auth_app_logs_in_and_out(tmp_path, capsys):
    from fasthtml_auth import AuthManager
    auth = AuthManager(db_path=str(tmp_path / 'app.db'))
    auth.initialize()  # (creates the admin / admin123 account)
    app = FastHTML(before=auth.create_beforeware(), hdrs=mui.Theme.blue.headers(), secret_key='k')
    auth.register_routes(app)

    @app.route('/')
    def dashboard(req):
        return H1(f"Welcome, {req.scope['user'].username}!")

    @app.route('/admin')
    @auth.require_admin()
    def admin_only(req):
        return H1('Admin Area')
    cli = Client(app)
    r = cli.get('/', follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/auth/login')
    r = cli.get('/auth/login')
    assert r.status_code == 200 and '<form' in r.text and 'name="username"' in r.text
    r = cli.post('/auth/login', data={'username': 'admin', 'password': 'nope'}, follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/auth/login?error=invalid')
    r = cli.post('/auth/login', data={'username': 'admin', 'password': 'admin123'}, follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/')
    assert 'remember_user=' in r.headers['set-cookie']
    assert '<h1>Welcome, admin!</h1>' in cli.get('/').text
    assert '<h1>Admin Area</h1>' in cli.get('/admin').text
    r = cli.get('/auth/logout', follow_redirects=False)
    assert (r.status_code, r.headers['location']) == (303, '/auth/login')
    assert cli.get('/', follow_redirects=False).status_code == 303


def test_htmx_extension_scripts_come_after_the_apps_headers():
    """bloggy builds `FastHTML(hdrs=hdrs, exts='ws')`: FastHTML puts extension scripts after the app's own headers (so
    after the htmx they extend and any script the headers add), once each; with htmx 4, an extension's htmx 4 build."""
    def head(app):
        app.route('/')(lambda: P('x'))
        return re.findall(r'<(?:script|link)[^>]*>', Client(app).get('/').text.split('</head>')[0])[-3:]
    ws = '<script src="https://cdn.jsdelivr.net/npm/htmx-ext-ws@2.0.3/ws.js">'
    hs = '<script src="https://cdn.jsdelivr.net/npm/htmx-ext-head-support@2.0.4/head-support.js">'
    assert head(FastHTML(hdrs=(Link(rel='stylesheet', href='/u.css'),), exts='ws')) == \
        ['<script src="https://cdn.jsdelivr.net/gh/gnat/css-scope-inline@main/script.js">',
         '<link rel="stylesheet" href="/u.css">', ws]
    assert head(fast_app(hdrs=(Script(src='/u.js'),), exts=['ws', 'head-support', 'ws'], pico=True)[0]) == \
        ['<script src="/u.js">', ws, hs]
    assert head(FastHTML(exts=['ws', 'head-support'], htmx4=True))[-2:] == \
        ['<script src="https://cdn.jsdelivr.net/npm/htmx.org@4.0.0/dist/ext/hx-ws.min.js">', hs]


def test_a_router_an_add_on_builds_in_a_method_keeps_its_own_paths():
    """cjm-fasthtml-interactions builds its APIRouters inside `create_router` methods: on FastHTML the nested `index`
    is `/K.create_router_index` (the class's dot kept), not `/`, so a router with an empty prefix leaves the app's home
    page alone; a nested `get` is no verb (GET and POST)."""
    from fasthtml.common import APIRouter

    class Tabs:
        def create_router(self, prefix=''):
            ar = APIRouter(prefix=prefix)

            @ar
            def index():
                return P('tabs')

            @ar
            def get(t: str = ''):
                return P(f'tab {t}')
            return ar
    app, rt = fast_app(secret_key='k')
    Tabs().create_router().to_app(app)
    Tabs().create_router('/w').to_app(app)
    app.route('/')(lambda: P('home'))
    paths = sorted(r.path for r in app.routes if getattr(r, 'path', '/').startswith(('/w', '/Tabs', '/test')))
    prefix = '/test_a_router_an_add_on_builds_in_a_method_keeps_its_own_paths_Tabs.create_router'
    assert paths == [prefix + '_get', prefix + '_index', '/w' + prefix + '_get',
                     '/w' + prefix + '_index']
    cli = Client(app)
    hx = {'HX-Request': '1'}
    assert cli.get('/', headers=hx).text == '<p>home</p>'
    assert cli.get(prefix + '_index', headers=hx).text == '<p>tabs</p>'
    assert cli.post('/w' + prefix + '_get?t=a', headers=hx).text == '<p>tab a</p>'
