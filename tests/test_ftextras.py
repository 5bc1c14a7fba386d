"""Tests for the FT helpers: File, show, fill_form, fill_dataclass, find_inputs, html2ft, sse_message."""
import ast
import sys
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum

import fastcore.xml as fx
import pytest
from fastcore.basics import NotStr
from starlette.datastructures import FormData

import fasthtml.components as C
from fasthtml._render import render_compact
from fasthtml.components import (
    Button,
    Div,
    Fieldset,
    File,
    Form,
    Input,
    Label,
    Optgroup,
    Option,
    P,
    Select,
    Textarea,
    fill_dataclass,
    fill_form,
    find_inputs,
    html2ft,
    show,
    sse_message,
    to_xml,
)


def plain(x: object) -> str:
    "The plain compact form (`to_xml` keeps a newline around inputs, tested in test_render)."
    return render_compact((x,), True, False)


# ---------------------------------------------------------------------------------------------------------------
# File and show


def test_file_is_unescaped(tmp_path):
    p = tmp_path / 'frag.html'
    p.write_text('a <b>&amp; "x"</b>\nline2 é\n', encoding='utf-8')
    f = File(p)
    assert isinstance(f, NotStr) and str(f) == 'a <b>&amp; "x"</b>\nline2 é\n'
    assert to_xml(Div(File(str(p)))) == '<div>a <b>&amp; "x"</b>\nline2 é\n</div>'


def test_show_displays_each_call_and_returns_none(capsys):
    "As in FastHTML: IPython's display() (so two calls in one cell show both); outside a notebook it prints the repr."
    pytest.importorskip('IPython')
    assert show(P('a'), Div('b')) is None
    assert show(P('c'), iframe=True) is None
    assert capsys.readouterr().out == '<IPython.core.display.HTML object>\n' * 2


def test_show_without_ipython(monkeypatch):
    monkeypatch.setitem(sys.modules, 'IPython', None)
    monkeypatch.setitem(sys.modules, 'IPython.display', None)
    r = show(P('a <b>'))
    assert r == '<p>a &lt;b&gt;</p>' and hasattr(r, '__html__')


def test_show_in_iframe(monkeypatch):
    monkeypatch.setitem(sys.modules, 'IPython', None)
    monkeypatch.setitem(sys.modules, 'IPython.display', None)
    r = show(P('a "q"'), iframe=True, height='200px', style='background: white')
    assert r == ('<iframe srcdoc=\'&lt;p&gt;a "q"&lt;/p&gt;\' style="width: 100%; border: none; height: 200px; '
                 'background: white"></iframe>')
    auto = show(P('x'), iframe=True)
    assert auto == ('<iframe srcdoc="&lt;p&gt;x&lt;/p&gt;" onload="this.style.height = '
                    'this.contentWindow.document.body.scrollHeight + \'px\'" style="width: 100%; border: none;">'
                    '</iframe>')


# ---------------------------------------------------------------------------------------------------------------
# fill_form


@dataclass
class Profile:
    email: str
    phone: str
    age: int


def profile_form():
    return Form(method='post', action='/profile')(
        Fieldset(
            Label('Email', Input(name='email')),
            Label('Phone', Input(name='phone')),
            Label('Age', Input(name='age')),
        ),
        Button('Save', type='submit'),
    )


def test_fill_form_spec_example():
    form = profile_form()
    before = plain(form)
    filled = fill_form(form, Profile(email='john@example.com', phone='123456789', age=5))
    assert plain(filled) == (
        '<form method="post" action="/profile"><fieldset><label>Email<input name="email" value="john@example.com">'
        '</label><label>Phone<input name="phone" value="123456789"></label><label>Age<input name="age" value="5">'
        '</label></fieldset><button type="submit">Save</button></form>')
    assert plain(form) == before  # the original fills the caller's form in place; we return a new tree


def test_fill_form_builds_a_new_tree():
    form = profile_form()
    filled = fill_form(form, {'email': 'a'})
    assert filled is not form and filled.children[0] is not form.children[0]
    inner = filled.children[0].children[0].children[1]
    inner.attrs['value'] = 'changed'
    assert 'value' not in form.children[0].children[0].children[1].attrs
    again = fill_form(form, {'phone': '1'})  # no leftovers from the first fill
    assert 'value="a"' not in plain(again)


def big_form():
    return Form(
        Input(id='title'), Input(type='checkbox', name='done'),
        Input(type='checkbox', name='tags', value='a'), Input(type='checkbox', name='tags', value='b'),
        Input(type='radio', name='r', value='x'), Input(type='radio', name='r', value='y', checked=True),
        Select(Option('One', value='1'), Option('Two', value='2', selected=True), Option('Three'), name='sel'),
        Select(Optgroup(Option('One', value='1'), Option('Two', value='2')), Option('3'), name='msel', multiple=True),
        Textarea('old', name='body'), Div(Div(Input(name='deep'))), Input(name='missing', value='keep'),
        Input(name='n'), Input(name='z'), Input(name='pw', type='password'),
        Input(type='submit', name='go', value='Go'))


def test_fill_form_every_control():
    d = dict(title='T<x>', done=True, tags=['b'], r='x', sel='1', msel=['2', '3'], body='new & <text>', deep=7,
             n=None, z=0, pw='secret', go='no')
    assert plain(fill_form(big_form(), d)) == (
        '<form><input id="title" name="title" value="T&lt;x&gt;"><input type="checkbox" name="done" checked="1">'
        '<input type="checkbox" name="tags" value="a"><input type="checkbox" name="tags" value="b" checked="1">'
        '<input type="radio" name="r" value="x" checked="1"><input type="radio" name="r" value="y">'
        '<select name="sel"><option value="1" selected="1">One</option><option value="2">Two</option>'
        '<option>Three</option></select>'
        '<select name="msel" multiple><optgroup><option value="1">One</option>'
        '<option value="2" selected="1">Two</option></optgroup><option selected="1">3</option></select>'
        '<textarea name="body">new &amp; &lt;text&gt;</textarea><div><div><input name="deep" value="7"></div></div>'
        '<input name="missing" value="keep"><input name="n"><input name="z" value="0">'
        '<input name="pw" type="password"><input type="submit" name="go" value="Go"></form>')


def test_fill_form_unchecks_and_clears():
    d = dict(done=False, tags='a', sel=2, body='')
    out = plain(fill_form(big_form(), d))
    assert '<input type="checkbox" name="done">' in out
    assert ('<input type="checkbox" name="tags" value="a" checked="1">'
            '<input type="checkbox" name="tags" value="b">') in out
    assert '<option value="1">One</option><option value="2" selected="1">Two</option>' in out
    assert '<textarea name="body"></textarea>' in out
    assert '<input type="radio" name="r" value="y" checked>' in out  # no value for r: left as it was


class Color(Enum):
    RED = 'red'


def test_fill_form_value_types():
    f = Form(Input(name='d', type='date'), Input(name='t', type='datetime-local'), Input(name='c'),
             Input(name='agree', type='checkbox', value='yes'))
    out = plain(fill_form(f, dict(d=date(2024, 5, 1), t=datetime(2024, 5, 1, 9, 30, 15), c=Color.RED,
                                   agree='yes')))
    assert out == ('<form><input name="d" type="date" value="2024-05-01">'
                   '<input name="t" type="datetime-local" value="2024-05-01T09:30">'
                   '<input name="c" value="red"><input name="agree" type="checkbox" value="yes" checked="1"></form>')


@pytest.mark.parametrize('obj', [
    {'a': 1, 'b': 'x'},
    namedtuple('N', 'a b')(1, 'x'),
    type('O', (), {'a': 1, 'b': 'x'})(),
    FormData([('a', '1'), ('b', 'x')]),
])
def test_fill_form_sources(obj):
    f = Form(Input(name='a'), Textarea(name='b'))
    assert plain(fill_form(f, obj)) == '<form><input name="a" value="1"><textarea name="b">x</textarea></form>'


def test_fill_form_multi_valued_form_data():
    f = Form(Input(type='checkbox', name='t', value='a'), Input(type='checkbox', name='t', value='b'))
    out = plain(fill_form(f, FormData([('t', 'a'), ('t', 'b')])))
    assert out == ('<form><input type="checkbox" name="t" value="a" checked="1">'
                   '<input type="checkbox" name="t" value="b" checked="1"></form>')


def test_fill_form_fastcore_nodes_and_only_by_name():
    f = fx.Form(fx.Input(name='a'), fx.Input(id='b'), Div(id='c'))
    out = fill_form(f, {'a': 1, 'b': 2, 'c': 3})
    assert type(out) is fx.FT and out is not f
    assert plain(out) == '<form><input name="a" value="1"><input id="b"><div id="c"></div></form>'
    assert 'value' not in f.children[0].attrs


# ---------------------------------------------------------------------------------------------------------------
# fill_dataclass


@dataclass
class Small:
    x: int = 0
    y: str = ''


@dataclass
class Big:
    x: int = 1
    y: str = 'b'
    z: list = field(default_factory=list)


def test_fill_dataclass():
    a = Small()
    r = fill_dataclass(Big(5, 'q', [9]), a)
    assert r is a and a == Small(5, 'q') and not hasattr(a, 'z')  # only the fields dest declares
    b = Big()
    src = Big(7, 'w', [1])
    fill_dataclass(src, b)
    assert b == Big(7, 'w', [1]) and b.z is not src.z  # values are copied, not shared
    assert fill_dataclass({'x': 3}, Small()) == Small(3, '')


# ---------------------------------------------------------------------------------------------------------------
# find_inputs


def search_form():
    return Form(Input(name='a', type='text'), Div(Input(name='b', data_x='1', cls='k'), Select(name='s'),
                                                  Textarea(name='t')), Button(name='btn'),
                Input(name='c', type='checkbox'))


def test_find_inputs():
    f = search_form()
    names = lambda found: [e.attrs.get('name') for e in found]  # noqa: E731
    assert names(find_inputs(f)) == ['a', 'b', 'c']
    assert names(find_inputs(f, 'select')) == ['s']
    assert names(find_inputs(f, ['input', 'textarea'])) == ['a', 'b', 't', 'c']
    assert names(find_inputs(f, type='text')) == ['a']
    assert names(find_inputs(f, 'input', name='b')) == ['b']
    assert names(find_inputs(f, data_x='1')) == ['b']  # keywords are named as for tag functions
    assert names(find_inputs(f, cls='k')) == ['b']
    assert find_inputs(Div('x')) == [] and find_inputs('x') == []


def test_find_inputs_returns_the_nodes():
    inner = Input(name='q')
    assert find_inputs(Div(P(inner)))[0] is inner
    assert find_inputs(fx.Div(fx.Input(name='z')))[0].attrs == {'name': 'z'}


# ---------------------------------------------------------------------------------------------------------------
# html2ft


class _NS(dict):
    "Names for evaluating generated source: fasthtml.components, with custom tags created on demand."

    def __missing__(self, k):
        return getattr(C, k)


def run(src):
    "Evaluate generated source: one value per top-level expression (a list when there are several)."
    ns = _NS(vars(C))
    # the code under test wrote the source: evaluating it is the check
    code = [compile(ast.Expression(st.value), '<html2ft>', 'eval') for st in ast.parse(src).body]
    vals = [eval(c, {}, ns) for c in code]  # noqa: S307
    return vals[0] if len(vals) == 1 else vals


@pytest.mark.parametrize('html, src', [
    ('<div class="a" id="b">hi</div>', "Div('hi', id='b', cls='a')"),
    ('<a href="/x?a=1&amp;b=2" hx-get="/y" hx-target="#t" data-foo-bar="z">link &amp; &lt;stuff&gt;</a>',
     "A('link & <stuff>', href='/x?a=1&b=2', hx_get='/y', hx_target='#t', data_foo_bar='z')"),
    ('<label for="x">L</label><input id="x" name="x">', "Label('L', fr='x')\nInput(id='x', name='x')"),
    ('<div>&nbsp;&copy;&#x27;</div>', 'Div("\\xa0©\'")'),
    ('<div hidden class="">x</div>', "Div('x', hidden=True, cls='')"),
    ('<div aria-label="x" class="z" id="q" async></div>', "Div(aria_label='x', id='q', async_=True, cls='z')"),
    ('<div data-x_y="1" _="on click" x-on:click="go" 1a="4">q</div>',
     "Div('q', _='on click', **{'data-x_y': '1', 'x-on:click': 'go', '1a': '4'})"),
    ('<div>\n  <p>x</p>\n</div>', "Div(\n    P('x')\n)"),
    ('<p>\nabc\n</p>', "P('abc')"),
    ('<p>a<!-- c -->b</p>', "P('ab')"),
    ('<pre>  keep\n   this  </pre>', "Pre('  keep\\n   this  ')"),
    ('just text', "'just text'"),
    ('<p><b>a</b> <i>b</i></p>', "P(\n    B('a'),\n    ' ',\n    I('b')\n)"),
    ('<file>x</file>', "ft('file', 'x')"),
])
def test_html2ft_exact(html, src):
    assert html2ft(html) == src


def test_html2ft_nested_layout():
    html = ('<!DOCTYPE html><html lang="en"><head><title>T</title><meta charset="utf-8"><script src="a.js"></script>'
            '<script>if (a < b && c) { x = "</p>" }</script></head><body><h1 class="x y">Head</h1>\n  <ul>\n'
            '    <li>one</li>\n    <li>two</li>\n  </ul>\n<br><img src="i.png"></body></html>')
    assert html2ft(html) == '''Html(
    Head(
        Title('T'),
        Meta(charset='utf-8'),
        Script(src='a.js'),
        Script('if (a < b && c) { x = "</p>" }')
    ),
    Body(
        H1('Head', cls='x y'),
        Ul(
            Li('one'),
            Li('two')
        ),
        Br(),
        Img(src='i.png')
    ),
    lang='en'
)'''
    assert html2ft(html, attr1st=True) == '''Html(lang='en')(
    Head(
        Title()('T'),
        Meta(charset='utf-8')(),
        Script(src='a.js')(),
        Script()('if (a < b && c) { x = "</p>" }')
    ),
    Body(
        H1(cls='x y')('Head'),
        Ul(
            Li()('one'),
            Li()('two')
        ),
        Br()(),
        Img(src='i.png')()
    )
)'''


def test_html2ft_custom_tags_and_implied_ends():
    assert html2ft('<uk-select class="x"><option value="1" selected>One</option></uk-select>') == \
        "Uk_select(\n    Option('One', value='1', selected=True),\n    cls='x'\n)"
    assert html2ft('<ul><li>a<li>b</ul>') == "Ul(\n    Li('a'),\n    Li('b')\n)"
    assert html2ft('<p>a<div>b</div>') == "P('a')\nDiv('b')"
    assert html2ft('<div><span>a</div>') == "Div(\n    Span('a')\n)"
    assert html2ft('<html><body>x</body></html>') == "Html(\n    Body('x'),\n    doctype=False\n)"


ROUND_TRIPS = [
    ('<div class="card" id="c1"><h2>Title &amp; more</h2><p>Some <em>text</em> here.</p><br>'
     '<img src="/a.png" alt=""></div>',
     '<div id="c1" class="card"><h2>Title &amp; more</h2><p>Some <em>text</em> here.</p><br>'
     '<img src="/a.png" alt=""></div>'),
    ('<form hx-post="/todos" hx-target="#list" hx-swap="beforeend"><input id="title" name="title" '
     'placeholder="New todo" required><button type="submit" class="primary">Add</button></form>',
     '<form hx-post="/todos" hx-swap="beforeend" hx-target="#list"><input name="title" placeholder="New todo" '
     'required id="title"><button type="submit" class="primary">Add</button></form>'),
    ('<!doctype html>\n<html>\n<head><title>a &lt; b</title><style>p > a { color: red }</style></head>\n'
     '<body><main class="container"><h1>Hi</h1><p>x &gt; y</p></main></body>\n</html>',
     '<!doctype html><html><head><title>a &lt; b</title><style>p > a { color: red }</style></head>'
     '<body><main class="container"><h1>Hi</h1><p>x &gt; y</p></main></body></html>'),
    ('<table><thead><tr><th>A</th></tr></thead><tbody><tr><td data-v="1">1</td></tr></tbody></table>',
     '<table><thead><tr><th>A</th></tr></thead><tbody><tr><td data-v="1">1</td></tr></tbody></table>'),
    ('<div @click="open = !open" x-data=\'{"open": false}\' :class="{a: open}">t</div>',
     '<div x-data=\'{"open": false}\' @click="open = !open" :class="{a: open}">t</div>'),
    ('<label for="e">Email</label><select name="s"><option value="1">One</option><option selected>Two</option>'
     '</select><textarea name="t">a &lt;b&gt;</textarea>',
     '<label for="e">Email</label><select name="s"><option value="1">One</option><option selected>Two</option>'
     '</select><textarea name="t">a &lt;b&gt;</textarea>'),
]


@pytest.mark.parametrize('html, normalised', ROUND_TRIPS)
@pytest.mark.parametrize('attr1st', [False, True])
def test_html2ft_round_trip(html, normalised, attr1st):
    src = html2ft(html, attr1st=attr1st)
    tree = run(src)
    assert plain(tree) == normalised
    # and the normalised HTML is a fixed point of the round trip
    assert plain(run(html2ft(normalised, attr1st=attr1st))) == normalised


# ---------------------------------------------------------------------------------------------------------------
# sse_message


def test_sse_message_default_event():
    assert sse_message(Div('a')) == 'data: <div>a</div>\n\n'


def test_sse_message_named_event_and_multiline():
    assert sse_message(Div(P('a\nb'), P('c')), event='upd') == \
        'event: upd\ndata: <div><p>a\ndata: b</p><p>c</p></div>\n\n'
    assert sse_message(C.Pre('l1\nl2\n\nl4\n')) == 'data: <pre>l1\ndata: l2\ndata: \ndata: l4\ndata: </pre>\n\n'


def test_sse_message_line_endings_and_strings():
    assert sse_message('hello\r\nworld\rend') == 'data: hello\ndata: world\ndata: end\n\n'
    assert sse_message('') == 'data: \n\n'
    assert sse_message(P('<x>')) == 'data: <p>&lt;x&gt;</p>\n\n'
    assert sse_message(Div('a'), event='x\ny') == 'event: x y\ndata: <div>a</div>\n\n'  # no field injection


def test_fill_form_leaves_skip_marked_inputs_alone():
    # CheckboxX posts a hidden '' (marked `skip`) so an unticked box still sends its name: filling must not touch it
    f = Form(Input(type='hidden', name='a', skip=True, value=''), Input(name='a', type='checkbox', value='1'))
    assert plain(fill_form(f, {'a': '1'})) == \
        ('<form><input type="hidden" name="a" skip value="">'
         '<input name="a" type="checkbox" value="1" checked="1"></form>')
