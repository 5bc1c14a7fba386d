"""Tests for fasthtml.xtend: exact HTML for every helper, including defaults, escaping and HTMX passthrough."""
from __future__ import annotations

import pytest

from fasthtml._render import render_compact
from fasthtml.components import Input, P
from fasthtml.xtend import (
    AX,
    A,
    AnyNow,
    CheckboxX,
    Favicon,
    Form,
    Hidden,
    HtmxOn,
    Nbsp,
    Now,
    On,
    Prev,
    Script,
    ScriptX,
    Socials,
    Style,
    StyleX,
    Surreal,
    Titled,
    YouTubeEmbed,
    clear,
    double_braces,
    jsd,
    loose_format,
    replace_css_vars,
    run_js,
    undouble_braces,
)


def html(x: object) -> str:
    "The plain compact form (`to_xml` keeps a newline around inputs, tested in test_render)."
    return render_compact((x,), True, False)


# ---------------------------------------------------------------------------------------------------------------
# Tags with defaults

@pytest.mark.parametrize('ft, expected', [
    (lambda: A('hi'), '<a href="#">hi</a>'),
    (lambda: A('hi', hx_get='/x', target_id='t', href='/h', cls='c', id='i'),
     '<a href="/h" hx-get="/x" hx-target="#t" id="i" class="c" name="i">hi</a>'),
    (lambda: A(hx_get='/x'), '<a href="#" hx-get="/x"></a>'),
    (lambda: A('x', href=None), '<a>x</a>'),
    (lambda: A('<b>'), '<a href="#">&lt;b&gt;</a>'),
    (lambda: A('x', hx_post='/p', hx_confirm='Sure?', hx_on__after_request='go()'),
     '<a href="#" hx-post="/p" hx-confirm="Sure?" hx-on--after-request="go()">x</a>'),
])
def test_a(ft, expected):
    assert html(ft()) == expected


@pytest.mark.parametrize('c, kw', [
    ((), {}),
    (('Item 1',), {'hx_get': '/item/1', 'id': 'item-1'}),
    (('x',), {'style': 'color:red', 'title': 't', 'cls': 'c', 'id': 'i', 'hx_swap': 'outerHTML'}),
    (('x', P('y')), {'cls': ['a', 'b'], 'hx_get': 3, 'href': None}),
    (('x',), {'style': {'color': 'red'}, 'cls': [], 'id': None}),
    (('x',), {'hx_get': True, 'title': False}),
    ((['x', ['y']], {'data-k': 'v'}), {'id': 'i'}),  # children that need flattening: the general path
    (('x',), {'name': 'n', 'id': 'i'}),  # other keywords: the general path
    (('x',), {'target_id': 't', 'hx_target': '#u'}),
])
def test_a_fast_path_matches_the_tag_function(c, kw):
    "`A`'s own layout of its usual keywords gives what the general tag function gives for the same call."
    from fasthtml.components import A as plain_a
    full = {'href': '#', 'hx_get': None, 'target_id': None, 'hx_swap': None, **kw}
    got, want = A(*c, **kw), plain_a(*c, **full)
    assert (got.tag, got.children, got.attrs) == (want.tag, want.children, want.attrs)
    assert list(got.attrs) == list(want.attrs)
    assert html(got) == html(want)


@pytest.mark.parametrize('ft, expected', [
    (lambda: AX('t'), '<a href="#">t</a>'),
    (lambda: AX('t', '/g', 'tid', 'outerHTML', cls='c'),
     '<a href="#" hx-get="/g" hx-swap="outerHTML" hx-target="#tid" class="c">t</a>'),
    (lambda: AX('t<&', hx_get='/g'), '<a href="#" hx-get="/g">t&lt;&amp;</a>'),
    (lambda: AX('t', href='/h', hx_push_url='true'), '<a href="/h" hx-push-url="true">t</a>'),
])
def test_ax(ft, expected):
    assert html(ft()) == expected


def test_form_defaults_to_multipart():
    assert html(Form(Input(id='a'))) == '<form enctype="multipart/form-data"><input id="a" name="a"></form>'
    assert html(Form(hx_post='/p', id='f')) == \
        '<form enctype="multipart/form-data" hx-post="/p" id="f" name="f"></form>'
    assert html(Form(enctype=None)) == '<form></form>'
    assert html(Form(enctype='application/x-www-form-urlencoded', target_id='out')) == \
        '<form enctype="application/x-www-form-urlencoded" hx-target="#out"></form>'


@pytest.mark.parametrize('ft, expected', [
    (lambda: Hidden(), '<input type="hidden" value="">'),
    (lambda: Hidden(3, 'h'), '<input type="hidden" value="3" id="h" name="h">'),
    (lambda: Hidden('v<&"', id='x', cls='c'), '<input type="hidden" value=\'v&lt;&amp;"\' id="x" class="c" name="x">'),
    (lambda: Hidden(None), '<input type="hidden">'),
    (lambda: Hidden('v', name='n', hx_swap_oob='true'), '<input type="hidden" value="v" name="n" hx-swap-oob="true">'),
])
def test_hidden(ft, expected):
    assert html(ft()) == expected


@pytest.mark.parametrize('ft, expected', [
    (lambda: CheckboxX(), '<input type="hidden" value="" skip><input type="checkbox" value="1">'),
    (lambda: CheckboxX(True, 'Lab<', id='c'),
     ('<input type="hidden" value="" name="c" skip>'
      '<label><input type="checkbox" name="c" checked value="1" id="c">Lab&lt;</label>')),
    (lambda: CheckboxX(False, None, 'v', 'i', 'n'),
     '<input type="hidden" value="" name="n" skip><input type="checkbox" name="n" value="v" id="i">'),
    (lambda: CheckboxX(name='n'),
     '<input type="hidden" value="" name="n" skip><input type="checkbox" name="n" value="1">'),
    (lambda: CheckboxX(label='L'),
     '<input type="hidden" value="" skip><label><input type="checkbox" value="1">L</label>'),
    (lambda: CheckboxX(True, id='c', name='n', cls='k', hx_post='/x'),
     ('<input type="hidden" value="" name="n" skip>'
      '<input type="checkbox" name="n" checked value="1" hx-post="/x" id="c" class="k">')),
])
def test_checkboxx(ft, expected):
    res = ft()
    assert isinstance(res, tuple) and len(res) == 2
    assert html(res) == expected


def test_script_and_style_do_not_escape():
    assert html(Script('a<b && c')) == '<script>a<b && c</script>'
    assert html(Script()) == '<script></script>'
    assert html(Script('x', type='module', id='s')) == '<script type="module" id="s">x</script>'
    assert html(Style('a>b{}', 'c{}')) == '<style>a>b{}c{}</style>'
    assert html(Style()) == '<style></style>'
    assert html(Style('x', media='print')) == '<style media="print">x</style>'


def test_script_cannot_close_itself_early():
    # The renderer should neutralise a closing tag inside raw text, so a script can never end early.
    assert '</script><b>' not in html(Script('var s = "</script><b>";'))


def test_style_keeps_non_string_children():
    # The original wraps every child in NotStr and so crashes on an FT child; we keep FT children as they are.
    assert html(Style('a{}', P('x'))) == '<style>a{}<p>x</p></style>'


# ---------------------------------------------------------------------------------------------------------------
# Braces and formatting

@pytest.mark.parametrize('s, doubled, undoubled', [
    ('a{b}', 'a{b}', 'a{b}'),
    ('function(){ x }', 'function(){{ x }}', 'function(){ x }'),
    ('{\n}', '{{\n}}', '{\n}'),
    ('f{\nx}', 'f{{\nx}', 'f{\nx}'),
    ('${x}', '${x}', '${x}'),
    ('{}', '{}', '{}'),
    ('x{', 'x{{', 'x{'),
    ('}x', '}}x', '}x'),
    ("{'a'}", "{{'a'}}", "{'a'}"),
    ('{"a": 1}', '{{"a": 1}', '{"a": 1}'),
    ('{;', '{{;', '{;'),
    ('a{{ b }}c', 'a{{{ b }}}c', 'a{ b }c'),
    ('{{x}}', '{{x}}', '{{x}}'),
    ('{{', '{{{', '{'),
    ('}}}', '}}}}', '}}'),
    ('', '', ''),
])
def test_double_and_undouble_braces(s, doubled, undoubled):
    assert double_braces(s) == doubled
    assert undouble_braces(s) == undoubled


@pytest.mark.parametrize('s, expected', [
    ('function() { {a} }', 'function() { A }'),
    ('function(){ let a={a}; }', 'function(){ let a=A; }'),
    ('{{ x }}', '{ x }'),
    ('{a}{{b}}', 'A{b}'),
    ('a{{ b }}c', 'a{ b }c'),
    ('x {{a}} {a}', 'x {a} A'),
    ('{x}\n{\n  y: {a}\n}', '{x}\n{\n  y: A\n}'),
    ('{b}', '{b}'),
    ('x{a}{', 'xA{'),
    ('{a:>3}', '  A'),
    ('{a!r}', "'A'"),
])
def test_loose_format(s, expected):
    assert loose_format(s, a='A') == expected


def test_loose_format_still_reports_broken_templates():
    with pytest.raises(ValueError):
        loose_format('{a} }}', a='A')


def test_replace_css_vars():
    css = 'a { color: var(--tpl-col); b: var(--tpl-x); c: var(--other-y) }'
    assert replace_css_vars(css, col='red') == 'a { color: red; b: var(--tpl-x); c: var(--other-y) }'
    assert replace_css_vars('a { color: var(--my-col) }', pre='my', col='red') == 'a { color: red }'
    assert replace_css_vars('', col='red') == ''
    assert replace_css_vars('var(--tpl-a)') == 'var(--tpl-a)'
    assert replace_css_vars('var(--tpl-a) var(--tpl-b)', a=0, b=None) == '0 '
    assert replace_css_vars('var(--tpl-a-b) var(--tpl-A) var(--tpla) var(--tpl-a, red)', a='Q', a_b='R') == \
        'R var(--tpl-A) var(--tpla) var(--tpl-a, red)'
    # The prefix is literal text, not a pattern.
    assert replace_css_vars('var(--a.b-x) var(--aXb-x)', pre='a.b', x='1') == '1 var(--aXb-x)'


# ---------------------------------------------------------------------------------------------------------------
# Files

JS = 'let a = 1;\nconsole.log("<b>")\n'
CSS = 'a { color: var(--tpl-col); x: var(--tpl-my-col); y: var(--tpl-my_col);z:var(--tpl-n) }\n'


def test_scriptx(tmp_path):
    f = tmp_path / 's.js'
    f.write_text(JS)
    assert html(ScriptX(f)) == f'<script>{JS}</script>'
    assert html(ScriptX(str(f), src='x', nomodule=True, type='module', _async=True, defer=True, charset='utf8',
                        crossorigin='anon', integrity='sha')) == \
        ('<script src="x" nomodule type="module" async defer charset="utf8" crossorigin="anon" integrity="sha">'
         f'{JS}</script>')
    assert html(ScriptX(f, defer=False)) == f'<script>{JS}</script>'
    # Other keywords fill `{name}` fields of the code, as the original (compared black-box); code braces stay.
    t = tmp_path / 't.js'
    t.write_text('var a = "{a}"; var id = "{id}"; if (x) { y(); } let t = `${a}`; {{lit}} {missing}')
    assert html(ScriptX(t, id='x', a='A')) == \
        '<script>var a = "A"; var id = "x"; if (x) { y(); } let t = `$A`; {lit} {missing}</script>'
    assert html(ScriptX(t, type='module', a=2)) == \
        '<script type="module">var a = "2"; var id = "{id}"; if (x) { y(); } let t = `$2`; {lit} {missing}</script>'
    assert html(ScriptX(t)) == \
        '<script>var a = "{a}"; var id = "{id}"; if (x) { y(); } let t = `${a}`; {{lit}} {missing}</script>'
    # a substituted value can still never end the script early
    assert html(ScriptX(t, a='</script>')).count('</script>') == 1


def test_stylex(tmp_path):
    f = tmp_path / 's.css'
    f.write_text(CSS)
    assert html(StyleX(f)) == f'<style>{CSS}</style>'
    assert html(StyleX(f, col='red', my_col='blue', n=3)) == \
        '<style>a { color: red; x: blue; y: blue;z:3 }\n</style>'
    assert html(StyleX(f, col='red', media='m', nonce='n', title='t', type='text/css', my_col='z')) == \
        '<style type="text/css" media="m" nonce="n" title="t">a { color: red; x: z; y: z;z:var(--tpl-n) }\n</style>'
    assert html(StyleX(f, id='st')) == f'<style id="st">{CSS}</style>'


def test_nbsp():
    assert html(Nbsp()) == '&nbsp;'
    assert html(P('a', Nbsp(), 'b')) == '<p>a&nbsp;b</p>'


# ---------------------------------------------------------------------------------------------------------------
# surreal.js blocks

SURREAL = ('<script>\n{\n    const m=me();\n    const _p = document.currentScript.previousElementSibling;\n'
           '    const p = _p ? me(_p) : null;\n    domReadyExecute(() => {\n        %s\n    });\n}</script>')


def on_body(target: str, event: str, code: str) -> str:
    return SURREAL % f'\n{target}.on("{event}", async ev=>{{\n    let e = me(ev);\n    {code}\n}});'


def test_surreal():
    assert html(Surreal('x=1')) == SURREAL % 'x=1'
    assert html(Surreal('')) == SURREAL % ''


@pytest.mark.parametrize('ft, target, event, code', [
    (lambda: On('alert(1)'), 'm', 'click', 'alert(1)'),
    (lambda: On('a', 'submit', '#f', False), 'any("#f", m)', 'submit', 'a'),
    (lambda: On('a', sel='#f'), 'me("#f", m)', 'click', 'a'),
    (lambda: On('a', sel='-'), 'p', 'click', 'a'),
    (lambda: On('a', sel='-', me=False), 'p', 'click', 'a'),
    (lambda: On('a', me=False), 'm', 'click', 'a'),
    (lambda: Prev('x'), 'p', 'click', 'x'),
    (lambda: Prev('x', 'input'), 'p', 'input', 'x'),
    # A quote in the selector is escaped, so the script stays valid JavaScript.
    (lambda: On('a', sel='[name="q"]'), 'me("[name=\\"q\\"]", m)', 'click', 'a'),
])
def test_on_and_prev(ft, target, event, code):
    assert html(ft()) == on_body(target, event, code)


def test_now_and_anynow():
    assert html(Now('x')) == '<script>(async (ee = me()) => {\nlet e = me(ee);\nx\n})()\n</script>'
    assert html(Now('x', '#a')) == '<script>(async (ee = me("#a")) => {\nlet e = me(ee);\nx\n})()\n</script>'
    assert html(AnyNow('.a', 'x')) == '<script>(async (e = any(".a")) => {\nx\n})()\n</script>'
    assert html(AnyNow('a"b', 'x')) == '<script>(async (e = any("a\\"b")) => {\nx\n})()\n</script>'


def test_run_js():
    assert html(run_js('alert({a})', id='j', a="x'y")) == '<script hx-swap-oob="true" id="j">alert("x\'y")</script>'
    assert html(run_js('f({a},{b})', id='j', a=[1, 2], b={'k': None})) == \
        '<script hx-swap-oob="true" id="j">f([1, 2],{"k": null})</script>'
    assert html(run_js('{a} {{b}} {c}', id='q', a=None, c=True)) == \
        '<script hx-swap-oob="true" id="q">null {b} true</script>'
    # Keyword arguments are template values, never attributes.
    assert html(run_js('x', cls='c', id='q')) == '<script hx-swap-oob="true" id="q">x</script>'


def test_run_js_ids_itself_after_its_caller():
    def refresh():
        return run_js('x')
    assert html(refresh()) == '<script hx-swap-oob="true" id="refresh">x</script>'
    anonymous = lambda: run_js('x')  # noqa: E731 (a lambda is the case under test: its name is '<lambda>')
    assert html(anonymous()) == '<script hx-swap-oob="true" id="run_js">x</script>'


@pytest.mark.parametrize('name, v2, v4', [
    ('beforeRequest', 'htmx:beforeRequest', 'htmx-before-request'),
    ('load', 'htmx:load', 'htmx-load'),
    ('historyCacheMissError', 'htmx:historyCacheMissError', 'htmx-history-cache-miss-error'),
    ('xhr:loadstart', 'htmx:xhr:loadstart', 'htmx-xhr-loadstart'),
])
def test_htmx_on(name, v2, v4):
    assert html(HtmxOn(name, 'f(event)')) == (
        f'<script>domReadyExecute(function() {{\n["{v2}","{v4}"].forEach(evt => '
        'document.body.addEventListener(evt, function(event) { f(event) }))\n})</script>')


# ---------------------------------------------------------------------------------------------------------------
# jsdelivr

@pytest.mark.parametrize('ft, expected', [
    (lambda: jsd('org', 'repo', 'dist', 'f.js'), '<script src="https://cdn.jsdelivr.net/gh/org/repo/dist/f.js"></script>'),
    (lambda: jsd('org', 'repo', 'dist', 'f.css', typ='css'),
     '<link rel="stylesheet" href="https://cdn.jsdelivr.net/gh/org/repo/dist/f.css">'),
    (lambda: jsd('org', 'repo', 'dist', 'f.js', typ='url'), 'https://cdn.jsdelivr.net/gh/org/repo/dist/f.js'),
    (lambda: jsd('org', 'repo', 'dist', 'f.js', prov='npm', ver='1.2'),
     '<script src="https://cdn.jsdelivr.net/npm/org/repo@1.2/dist/f.js"></script>'),
    (lambda: jsd('org', 'repo', 'dist', 'f.js', esm=True),
     '<script src="https://cdn.jsdelivr.net/gh/org/repo/dist/f.js/+esm"></script>'),
    (lambda: jsd('org', 'repo', 'dist', 'f.js', defer=True, id='x'),
     '<script src="https://cdn.jsdelivr.net/gh/org/repo/dist/f.js" defer id="x"></script>'),
    (lambda: jsd('org', 'repo', 'dist', 'f.css', typ='css', media='x'),
     '<link rel="stylesheet" href="https://cdn.jsdelivr.net/gh/org/repo/dist/f.css" media="x">'),
    (lambda: jsd('org', 'repo', 'dist', 'f.js', typ='css', prov='npm', ver='2', esm=True),
     '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/org/repo@2/dist/f.js/+esm">'),
    # An empty root leaves no empty path segment (the original writes `repo//f.js`).
    (lambda: jsd('org', 'repo', '', 'f.js', typ='url'), 'https://cdn.jsdelivr.net/gh/org/repo/f.js'),
])
def test_jsd(ft, expected):
    assert html(ft()) == expected


def test_jsd_rejects_unknown_type():
    with pytest.raises(ValueError, match='typ'):
        jsd('org', 'repo', 'dist', 'f.js', typ='module')


# ---------------------------------------------------------------------------------------------------------------
# Page helpers

@pytest.mark.parametrize('ft, expected', [
    (lambda: Titled(), '<title>FastHTML app</title><main class="container"><h1>FastHTML app</h1></main>'),
    (lambda: Titled('Hi <b>', P('x'), cls='c', id='i'),
     '<title>Hi &lt;b&gt;</title><main id="i" class="c"><h1>Hi &lt;b&gt;</h1><p>x</p></main>'),
    (lambda: Titled('T', P('a'), P('b'), style='s', hx_get='/x'),
     '<title>T</title><main hx-get="/x" class="container" style="s"><h1>T</h1><p>a</p><p>b</p></main>'),
    (lambda: Titled('T', cls=None), '<title>T</title><main><h1>T</h1></main>'),
])
def test_titled(ft, expected):
    res = ft()
    assert isinstance(res, tuple)
    assert html(res) == expected


def socials(image: str, url: str, w: int = 1200, h: int = 630, title: str = 'T', typ: str = 'image/png',
            card: str = 'summary', extra: str = '') -> str:
    return (f'<meta property="og:image" content="{image}"><meta property="og:site_name" content="S">'
            f'<meta property="og:image:type" content="{typ}"><meta property="og:image:width" content="{w}">'
            f'<meta property="og:image:height" content="{h}"><meta property="og:type" content="website">'
            f'<meta property="og:url" content="{url}"><meta property="og:title" content={title}>'
            f'<meta property="og:description" content="D"><meta name="twitter:image" content="{image}">'
            f'<meta name="twitter:card" content="{card}"><meta name="twitter:title" content={title}>'
            f'<meta name="twitter:description" content="D">{extra}')


def test_socials():
    assert html(Socials('T', 'S', 'D', 'https://x/img.png', url='https://u', w=10, h=20, twitter_site='@t',
                        creator='@c', card='big')) == socials(
        'https://x/img.png', 'https://u', 10, 20, '"T"', card='big',
        extra='<meta name="twitter:site" content="@t"><meta name="twitter:creator" content="@c">')
    assert html(Socials('T<"', 'S', 'D', '/img.png', url='https://u')) == \
        socials('https://u/img.png', 'https://u', title='\'T&lt;"\'')


def test_socials_joins_relative_images_and_types_them():
    # The original yields `https://Simg.png` and always says image/png; we join with one slash and read the extension.
    assert html(Socials('T', 'S', 'D', 'img.jpg')) == socials('https://S/img.jpg', 'https://S', title='"T"',
                                                              typ='image/jpeg')
    assert html(Socials('T', 'S', 'D', '/img.png', url='https://u/')) == socials('https://u/img.png', 'https://u/',
                                                                                 title='"T"')


def test_favicon():
    assert html(Favicon('l.ico', 'd.png')) == (
        '<link rel="icon" type="image/x-icon" href="l.ico" media="(prefers-color-scheme: light)">'
        '<link rel="icon" type="image/png" href="d.png" media="(prefers-color-scheme: dark)">')
    assert html(Favicon('/l', 'd.svg')) == (
        '<link rel="icon" type="image/x-icon" href="/l" media="(prefers-color-scheme: light)">'
        '<link rel="icon" type="image/svg+xml" href="d.svg" media="(prefers-color-scheme: dark)">')


YT_ALLOW = 'accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share'


def test_youtube_embed():
    assert html(YouTubeEmbed('abc')) == (
        '<div class=""><iframe width="560" height="315" src="https://www.youtube.com/embed/abc" frameborder="0" '
        f'allow="{YT_ALLOW}" referrerpolicy="strict-origin-when-cross-origin" allowfullscreen="" '
        'title="YouTube video player"></iframe></div>')
    assert html(YouTubeEmbed('abc', width=1, height=2, start_time=30, no_controls=True, title='t<', cls='c')) == (
        '<div class="c"><iframe width="1" height="2" src="https://www.youtube.com/embed/abc?start=30&amp;controls=0" '
        f'frameborder="0" allow="{YT_ALLOW}" referrerpolicy="strict-origin-when-cross-origin" allowfullscreen="" '
        'title="t&lt;"></iframe></div>')


def test_clear():
    assert html(clear('x')) == '<div hx-swap-oob="innerHTML" id="x"></div>'
