"""Tests for fasthtml._render: escaping, attribute rendering, raw text, child types, mixed trees, purity, forms."""
import copy
import pickle

import fastcore.xml as fx
import pytest
from fastcore.basics import NotStr
from fastcore.foundation import L

from fasthtml._render import FT, BaseFT, attr_value, escape, escape_attr, render_attrs, to_xml
from fasthtml.components import (
    A,
    B,
    Body,
    Br,
    Div,
    Head,
    Html,
    Img,
    Input,
    Li,
    P,
    Pre,
    Safe,
    Script,
    Span,
    Style,
    Table,
    Td,
    Textarea,
    Title,
    Tr,
    Ul,
)
from fasthtml.components import ft as C_ft

# ---------------------------------------------------------------------------------------------------------------
# Escaping


@pytest.mark.parametrize('s, out', [
    ('plain', 'plain'),
    ('a < b', 'a &lt; b'),
    ('a > b', 'a &gt; b'),
    ('Tom & Jerry', 'Tom &amp; Jerry'),
    ('&amp;', '&amp;amp;'),  # text is text: an entity in it is shown, not decoded
    ('"quoted" \'single\'', '"quoted" \'single\''),  # quotes are harmless in text
])
def test_escape(s, out):
    assert escape(s) == out


@pytest.mark.parametrize('v, out', [
    ('x', '"x"'),
    ('a"b', "'a\"b'"),
    ("a'b", '"a\'b"'),
    ('a"b\'c', "'a\"b&#39;c'"),
    ('<&>', '"&lt;&amp;&gt;"'),
    ('', '""'),
])
def test_escape_attr(v, out):
    assert escape_attr(v) == out


XSS_TEXT = '<script>alert(1)</script>'
XSS_ATTRS = ['" onmouseover="alert(1)', "' onmouseover='alert(1)", '"\' onx=1 \'"', '><script>alert(1)</script>']


def test_text_xss_is_escaped():
    assert to_xml(Div(XSS_TEXT)) == '<div>&lt;script&gt;alert(1)&lt;/script&gt;</div>'
    assert to_xml(P('a', XSS_TEXT, 'b')) == '<p>a&lt;script&gt;alert(1)&lt;/script&gt;b</p>'


@pytest.mark.parametrize('payload', XSS_ATTRS)
def test_attribute_xss_cannot_break_out(payload):
    html = to_xml(Div(title=payload))
    # Whatever the quote chosen, the value stays one attribute: no tag opens and the element has one attribute.
    assert '<script' not in html
    q = html[len('<div title=')]
    assert q in '"\''
    value = html[len('<div title=') + 1:html.rindex(q)]
    assert q not in value
    assert html.endswith(q + '></div>')


def test_attribute_values_exact():
    assert to_xml(Div(title='" onmouseover="alert(1)')) == "<div title='\" onmouseover=\"alert(1)'></div>"
    assert to_xml(Div(title="' onmouseover='alert(1)")) == '<div title="\' onmouseover=\'alert(1)"></div>'
    assert to_xml(Div(title='"\' x')) == "<div title='\"&#39; x'></div>"
    assert to_xml(A('x', href='/a?b=1&c=<2>')) == '<a href="/a?b=1&amp;c=&lt;2&gt;">x</a>'


# ---------------------------------------------------------------------------------------------------------------
# Attributes


def test_render_attrs():
    assert render_attrs({}) == ''
    assert render_attrs({'a': 'x', 'b': True, 'c': False, 'd': None, 'e': 0, 'f': 1.5}) == ' a="x" b e="0" f="1.5"'


@pytest.mark.parametrize('v, k, out', [
    (None, 'x', None), (False, 'x', None), (True, 'x', ''), (3, 'x', '3'), (2.5, 'x', '2.5'),
    ({'a': 1}, 'hx-vals', '{"a": 1}'), ({'color': 'red', 'margin': 0}, 'style', 'color:red; margin:0'),
    ({}, 'x', None), (['a', None, False, 'b'], 'class', 'a b'), ((), 'class', None), (NotStr('n'), 'x', 'n'),
])
def test_attr_value(v, k, out):
    assert attr_value(v, k) == out


def test_non_string_attrs_set_after_construction_render():
    e = Div()
    e.attrs.update({'data-n': 3, 'hx-vals': {'a': 1}, 'style': {'color': 'red'}, 'class': ['a', 'b'], 'hidden': True,
                    'x': None, 'y': False, 'hx-target': P(id='t')})
    assert to_xml(e) == ('<div data-n="3" hx-vals=\'{"a": 1}\' style="color:red" class="a b" hidden '
                         'hx-target="t"></div>')


# ---------------------------------------------------------------------------------------------------------------
# Elements and children


def test_void_tags_have_no_closing_tag():
    assert to_xml(Br()) == '<br>'
    assert to_xml(Img(src='a.png', alt='')) == '<img src="a.png" alt="">'
    assert to_xml(Input(type='text')) == '<input type="text">\n'
    assert to_xml(fx.ft('br')) == '<br>'  # a void tag is void whoever built it
    assert to_xml(fx.ft('custom-void', void_=True)) == '<custom-void>'


def test_empty_and_nested():
    assert to_xml(Div()) == '<div></div>'
    assert to_xml(Div(P('a'), P('b', Span('c')))) == '<div><p>a</p><p>b<span>c</span></p></div>'


@pytest.mark.parametrize('child, out', [
    (1, '1'), (2.5, '2.5'), (10 ** 20, '100000000000000000000'), (True, 'True'), (False, 'False'),
    (None, ''), (b'a<b', 'a&lt;b'), (NotStr('<b>x</b>'), '<b>x</b>'), (Safe('<b>x</b>'), '<b>x</b>'),
    (object, "&lt;class 'object'&gt;"),  # any other object: str(), escaped (the original does not escape it)
])
def test_child_types(child, out):
    e = Div()
    e.children = (child,)
    assert to_xml(e) == f'<div>{out}</div>'


class HasFt:
    def __ft__(self):
        return P('from __ft__ <x>')


class HasHtml:
    def __html__(self):
        return '<em>raw</em>'


def test_ft_and_html_protocols():
    assert to_xml(Div(HasFt())) == '<div><p>from __ft__ &lt;x&gt;</p></div>'
    assert to_xml(Div(HasHtml())) == '<div><em>raw</em></div>'
    assert to_xml(HasFt()) == '<p>from __ft__ &lt;x&gt;</p>'


def test_sequences_set_after_construction_flatten_at_render():
    e = Div()
    e.children = (['a', ('b', [P('c')])], L(['d', 'e']), (x for x in 'fg'), range(2))
    assert to_xml(e) == '<div>ab<p>c</p>defg01</div>'


def test_top_level_values():
    # as the original: a string given to to_xml itself is markup, returned as it is (strings inside are text)
    assert to_xml('a<b') == 'a<b' and to_xml('a<b', indent=True) == 'a<b'
    assert to_xml(('a<', 'b>')) == 'a&lt;b&gt;'
    assert to_xml(None) == ''
    assert to_xml(5) == '5'  # (the original raises TypeError)
    assert to_xml([P('a'), 'b']) == '<p>a</p>b'
    assert to_xml((P('a'), P('b'))) == '<p>a</p><p>b</p>'
    # several items are separated by a newline, as the original
    assert to_xml(P('a'), P('b')) == '<p>a</p>\n<p>b</p>'
    assert to_xml('x<', Div('a')) == 'x<\n<div>a</div>'
    assert to_xml(Div('a'), Div('b'), indent=True) == '<div>a</div>\n\n<div>b</div>\n'
    assert to_xml() == ''


def test_to_xml_returns_safe_html():
    out = to_xml(P('a'))
    assert isinstance(out, Safe) and isinstance(out, str)
    assert to_xml(Div(out)) == '<div><p>a</p></div>'  # embedding rendered HTML does not escape it again


def test_do_escape_false():
    assert to_xml(Div('<b>x</b>', P('&')), do_escape=False) == '<div><b>x</b><p>&</p></div>'
    assert to_xml(Div(title='<'), do_escape=False) == '<div title="&lt;"></div>'  # attributes always escape


# ---------------------------------------------------------------------------------------------------------------
# Script and style


def test_script_and_style_content_is_raw():
    assert to_xml(Script('if (a < b && c > d) x = "&amp;";')) == '<script>if (a < b && c > d) x = "&amp;";</script>'
    assert to_xml(Style('p > a { content: "&" }')) == '<style>p > a { content: "&" }</style>'
    assert to_xml(Script(src='/a.js', type='module')) == '<script src="/a.js" type="module"></script>'


@pytest.mark.parametrize('child', ['x = "</script><b>";', NotStr('x = "</script><b>";'), Safe('x = "</script><b>";')])
def test_script_cannot_close_early(child):
    assert to_xml(Script(child)) == '<script>x = "<\\/script><b>";</script>'


def test_closing_tag_neutralised_in_any_case():
    assert to_xml(Script('a</SCRIPT >b</Script')) == '<script>a<\\/SCRIPT >b<\\/Script</script>'
    assert to_xml(Style('a</style>b')) == '<style>a<\\/style>b</style>'
    assert to_xml(Style('a</script>b')) == '<style>a</script>b</style>'  # only its own closing tag matters


def test_raw_tags_keep_element_children():
    assert to_xml(Style('a{}', P('x'))) == '<style>a{}<p>x</p></style>'


def test_textarea_and_title_are_escaped():
    assert to_xml(Textarea('</textarea><b>')) == '<textarea>&lt;/textarea&gt;&lt;b&gt;</textarea>'
    assert to_xml(Title('a < b')) == '<title>a &lt; b</title>'


# ---------------------------------------------------------------------------------------------------------------
# Mixed trees, later edits, purity


def test_fastcore_nodes_inside_ours_and_ours_inside_theirs():
    theirs = fx.Div(fx.P('a <b>', hx_get='/x'), klass='k')
    assert to_xml(Div(theirs, id='q')) == '<div id="q"><div class="k"><p hx-get="/x">a &lt;b&gt;</p></div></div>'
    assert to_xml(fx.Div(P('ours', cls='c'))) == '<div><p class="c">ours</p></div>'


def test_edits_after_construction_render():
    e = Div('a')
    e.attrs['hx-get'] = '/x'
    e.children += (P('b'),)
    e.hx_post = '/p'
    e.klass = 'k'  # (as in FastHTML, names after construction have no aliases: this is an attribute `klass`)
    e.id = 'i'
    e._class = 'c'
    assert to_xml(e) == '<div hx-get="/x" hx-post="/p" klass="k" id="i" class="c">a<p>b</p></div>'
    assert e.get('hx_get') == '/x' and e.get('klass') == 'k' and e.id == 'i' and e.hx_post == '/p'
    assert e.get('cls') is None and e.cls is None and e.get('_class') == 'c'


def test_call_appends_children_and_attrs():
    # As fastcore's `e(...)`: new attributes in call order, no `name` from `id` (dicts are JSON here)
    e = Div(id='x')('child', P('p'), cls='c', hx_vals={'a': 1})
    assert to_xml(e) == '<div id="x" class="c" hx-vals=\'{"a": 1}\'>child<p>p</p></div>'
    f = Input()(id='n')
    assert to_xml(f) == '<input id="n">\n'
    assert to_xml(Div(id='y')(title='t', hx_swap='none', target_id='q', hx_get='')) == \
        '<div id="y" title="t" hx-swap="none" target-id="q" hx-get=""></div>'


def test_set_replaces_children_and_attrs_but_keeps_id_and_name():
    e = Input(id='n', cls='a', value='1')
    e.set(cls='b')
    assert to_xml(e) == '<input id="n" name="n" class="b">\n'
    d = Div('a', 'b')
    d.set('c')
    assert d.children == ('c',)
    # as FastHTML: call order, and a new id keeps the old name
    e = Input(id='y', cls='k', title='q').set(title='t', hx_swap='none', cls='c', id='n')
    assert to_xml(e) == '<input id="n" name="y" title="t" hx-swap="none" class="c">\n'


def test_listeners_are_called_on_change():
    seen = []
    e = Div()
    e.on(lambda n: seen.append(to_xml(n)))
    e(P('x'))
    e.title = 't'
    assert seen == ['<div><p>x</p></div>', '<div title="t"><p>x</p></div>']
    assert Div().listeners_ == ()  # nodes share an empty default until one registers


def big_tree():
    return Div(P('a', HasFt(), (x for x in ['g'])), Ul(Li('x'), Li(HasHtml())), fx.Span('fc'), id='root',
               style={'color': 'red'}, hx_vals={'a': 1})


def test_rendering_does_not_mutate():
    t = big_tree()
    before = copy.deepcopy(t.__dict__)
    kids = t.children
    first = to_xml(t)
    assert to_xml(t) == first
    assert to_xml(t, indent=True) == to_xml(t, indent=True)
    assert t.children is kids
    assert str(t.__dict__) == str(before)


# ---------------------------------------------------------------------------------------------------------------
# The node type


def test_node_type():
    e = Div('a', id='x')
    assert type(e) is FT and isinstance(e, BaseFT)
    assert e.tag == 'div' and e.children == ('a',) and e.attrs == {'id': 'x'} and e.void_ is False
    assert Br().void_ is True
    assert e[0] == 'a' and list(e) == ['a']
    assert e.list == ['div', ('a',), {'id': 'x'}]


def test_str_repr_and_concatenation():
    e = Div('a', id='x')
    f = Div(P('b'), cls='q')
    assert str(e) == 'x'  # an element with an id stands for its id: hx_target=f'#{e}'
    assert str(f) == '<div class="q"><p>b</p></div>'
    assert f'#{e}' == '#x'
    assert repr(e) == '<div id="x">a</div>'
    assert e.__html__() == '<div id="x">a</div>'
    assert e._repr_html_() == '<div id="x">a</div>'
    assert e + 'b' == 'xb' and 'b' + e == 'bx'
    assert f + '!' == '<div class="q"><p>b</p></div>!'


def test_equality_copy_and_pickle():
    e = Div(P('a'), cls='c')
    assert e == Div(P('a'), cls='c') and e != Div(P('b'), cls='c')
    c = copy.deepcopy(e)
    assert c == e and c is not e and type(c) is FT
    p = pickle.loads(pickle.dumps(e))
    assert to_xml(p) == to_xml(e) and type(p) is FT


def test_fastcore_constructor_still_works_on_our_class():
    e = FT('div', ('a',), {'id': 'x'})
    assert to_xml(e) == '<div id="x">a</div>'


# ---------------------------------------------------------------------------------------------------------------
# The indented form


def test_indent_form():
    t = Div(P('Hello ', B('world'), '!'), Ul(Li('a'), Li(A('b', href='/b'))), Pre('  x\n  y'), id='m')
    # the original's layout exactly (whitespace inside inline runs is where the original puts it)
    assert to_xml(t, indent=True) == (
        '<div id="m">\n'
        '  <p>\nHello <b>world</b>!  </p>\n'
        '  <ul>\n'
        '    <li>a</li>\n'
        '    <li>\n<a href="/b">b</a>    </li>\n'
        '  </ul>\n'
        '<pre>  x\n  y</pre></div>\n')


def test_indent_form_page_and_levels():
    assert to_xml(Html(Head(Title('t')), Body(P('x'))), indent=True) == (
        '<!doctype html>\n<html>\n  <head>\n    <title>t</title>\n  </head>\n  <body>\n    <p>x</p>\n  </body>\n'
        '</html>\n')
    assert to_xml(Div('a', P('b'), 'c'), indent=True) == '<div>\na  <p>b</p>\nc</div>\n'
    assert to_xml(Div(P('b')), indent=True, lvl=1) == ' <div>\n   <p>b</p>\n </div>\n'


def test_table_hot_path_shape():
    t = Table(*[Tr(*[Td(f'{i}-{j}', cls='c') for j in range(2)]) for i in range(2)])
    assert to_xml(t) == ('<table><tr><td class="c">0-0</td><td class="c">0-1</td></tr>'
                         '<tr><td class="c">1-0</td><td class="c">1-1</td></tr></table>')


class Person:
    "The guide's example: `__ft__` may return a `[tag, children, attrs]` triple."

    def __init__(self, name, age):
        self.name, self.age = name, age

    def __ft__(self):
        return ['div', [f'{self.name} is {self.age} years old.'], {}]


def test_ft_triple_from_the_guide():
    p = Person('Jonathan', 28)
    assert to_xml(Div(p, 'more text', cls='container')) == \
        '<div class="container"><div>Jonathan is 28 years old.</div>more text</div>'
    assert to_xml(Div(p, 'more text', cls='container'), indent=True) == \
        '<div class="container">\n  <div>Jonathan is 28 years old.</div>\nmore text</div>\n'


def test_void_element_children_follow_it():
    # a void element cannot hold children; browsers put them after it, and so do we (nothing is dropped)
    assert to_xml(Input('x')) == '<input>x\n' and str(Input('x')) == '<input>x'
    assert to_xml(C_ft('foo', void_=True)) == '<foo>'


@pytest.mark.parametrize('name', ['a b', 'x"y', "x'y", 'a>b', 'on/click', 'x=1', '"><script>alert(1)</script>', '',
                                  'a\x00'])
def test_attribute_names_that_would_break_out_of_the_tag_are_refused(name):
    with pytest.raises(ValueError, match='attribute name'):
        to_xml(Div(**{name: 'v'}))
    d = Div()
    d.attrs[name] = True  # written after construction, as add-ons do
    with pytest.raises(ValueError, match='attribute name'):
        to_xml(d)
    with pytest.raises(ValueError, match='attribute name'):
        to_xml(d, indent=True)


@pytest.mark.parametrize('name', ['a b', 'div><script', '1abc', 'x"', ''])
def test_tag_names_that_would_break_out_are_refused(name):
    from fasthtml.components import ft
    if name == '':  # the empty tag is a fragment, not an error
        assert to_xml(ft(name, 'x')) == 'x'
        return
    with pytest.raises(ValueError, match='tag name'):
        to_xml(ft(name, 'x'))
    with pytest.raises(ValueError, match='tag name'):
        to_xml(Div(ft(name, P('x'))), indent=True)


def test_unusual_but_valid_names_render():
    from fasthtml.components import ft
    assert to_xml(ft('sl-button', **{'@click': 'go()', ':class': 'x', 'x-on:submit.prevent': 'y', 'data-ü': 1})) == \
        '<sl-button @click="go()" :class="x" x-on:submit.prevent="y" data-ü="1"></sl-button>'
    assert to_xml(ft('svg:rect')) == '<svg:rect></svg:rect>'
