# ruff: noqa: E501 - the table holds the original's output verbatim
"""`to_xml(..., indent=True)` gives FastHTML's indented layout exactly: a corpus of trees and the original's output
(python-fasthtml 0.14.14, compared black-box), at level 0 and 2; and the compact form keeps the whitespace of that
layout that a browser shows (around `<input>`), nothing else."""
import pytest

from fasthtml._render import render_compact
from fasthtml.common import *
from fasthtml.components import Some_thing  # noqa: F401 - used by the table

# (expression, original to_xml(x, indent=True), original to_xml(x, lvl=2, indent=True))
LAYOUT = [
    ("Div('a<')",
     '<div>a&lt;</div>\n',
     '  <div>a&lt;</div>\n'),
    ('Div()',
     '<div></div>\n',
     '  <div></div>\n'),
    ('Div(Div())',
     '<div>\n  <div></div>\n</div>\n',
     '  <div>\n    <div></div>\n  </div>\n'),
    ("Div(Div('a'))",
     '<div>\n  <div>a</div>\n</div>\n',
     '  <div>\n    <div>a</div>\n  </div>\n'),
    ("Div(Span('a'), Span('b'))",
     '<div>\n<span>a</span><span>b</span></div>\n',
     '  <div>\n<span>a</span><span>b</span>  </div>\n'),
    ("Div('a', 'b')",
     '<div>\nab</div>\n',
     '  <div>\nab  </div>\n'),
    ('Div(1, 2.5, True, False)',
     '<div>\n12.5TrueFalse</div>\n',
     '  <div>\n12.5TrueFalse  </div>\n'),
    ("P('x', Br(), 'y')",
     '<p>\nx<br>y</p>\n',
     '  <p>\nx<br>y  </p>\n'),
    ("Ul(Li('a'), Li(A('b', href='/b')))",
     '<ul>\n  <li>a</li>\n  <li>\n<a href="/b">b</a>  </li>\n</ul>\n',
     '  <ul>\n    <li>a</li>\n    <li>\n<a href="/b">b</a>    </li>\n  </ul>\n'),
    ("Html(Head(Title('t')), Body(Div(P('x'))))",
     '<!doctype html>\n<html>\n  <head>\n    <title>t</title>\n  </head>\n  <body>\n    <div>\n      <p>x</p>\n    </div>\n  </body>\n</html>\n',
     '  <!doctype html>\n  <html>\n    <head>\n      <title>t</title>\n    </head>\n    <body>\n      <div>\n        <p>x</p>\n      </div>\n    </body>\n  </html>\n'),
    ("Div(Pre('a\\n  b'), P('y'))",
     '<div>\n<pre>a\n  b</pre>  <p>y</p>\n</div>\n',
     '  <div>\n<pre>a\n  b</pre>    <p>y</p>\n  </div>\n'),
    ("Div(Textarea('a\\n b'))",
     '<div>\n<textarea>a\n b</textarea></div>\n',
     '  <div>\n<textarea>a\n b</textarea>  </div>\n'),
    ("Pre(Code('x\\n y'))",
     '<pre><code>x\n y</code></pre>',
     '<pre><code>x\n y</code></pre>'),
    ("Div(Style('a{}'))",
     '<div>\n  <style>a{}</style>\n</div>\n',
     '  <div>\n    <style>a{}</style>\n  </div>\n'),
    ("Span(Div('x'))",
     '<span>  <div>x</div>\n</span>',
     '<span>    <div>x</div>\n</span>'),
    ("Div(Input(name='x'), Input(name='y'))",
     '<div>\n  <input name="x">\n  <input name="y">\n</div>\n',
     '  <div>\n    <input name="x">\n    <input name="y">\n  </div>\n'),
    ("Div(Img(src='a'), 'txt')",
     '<div>\n<img src="a">txt</div>\n',
     '  <div>\n<img src="a">txt  </div>\n'),
    ("Label('L', Input(name='a'))",
     '<label>L  <input name="a">\n</label>',
     '<label>L    <input name="a">\n</label>'),
    ("Form(Label('L', Input(name='a')), Button('b'))",
     '<form enctype="multipart/form-data"><label>L    <input name="a">\n</label><button>b</button></form>',
     '<form enctype="multipart/form-data"><label>L      <input name="a">\n</label><button>b</button></form>'),
    ("Div(B('a'), Div('b'), I('c'))",
     '<div>\n<b>a</b>  <div>b</div>\n<i>c</i></div>\n',
     '  <div>\n<b>a</b>    <div>b</div>\n<i>c</i>  </div>\n'),
    ("Table(Tr(Td('1'), Td('2')))",
     '<table>\n  <tr>\n    <td>1</td>\n    <td>2</td>\n  </tr>\n</table>\n',
     '  <table>\n    <tr>\n      <td>1</td>\n      <td>2</td>\n    </tr>\n  </table>\n'),
    ("Div(Safe('<b>x</b>'), 'y')",
     '<div>\n<b>x</b>y</div>\n',
     '  <div>\n<b>x</b>y  </div>\n'),
    ("Div(P('a'), 'text', P('b'))",
     '<div>\n  <p>a</p>\ntext  <p>b</p>\n</div>\n',
     '  <div>\n    <p>a</p>\ntext    <p>b</p>\n  </div>\n'),
    ("(Div('a'), Div('b'))",
     '<div>a</div>\n<div>b</div>\n',
     '  <div>a</div>\n  <div>b</div>\n'),
    ("Div(Div(Div('deep')))",
     '<div>\n  <div>\n    <div>deep</div>\n  </div>\n</div>\n',
     '  <div>\n    <div>\n      <div>deep</div>\n    </div>\n  </div>\n'),
    ("Select(Option('A'), Option('B'))",
     '<select><option>A</option><option>B</option></select>',
     '<select><option>A</option><option>B</option></select>'),
    ("Div(Title('x'))",
     '<div>\n  <title>x</title>\n</div>\n',
     '  <div>\n    <title>x</title>\n  </div>\n'),
    ("Div(Pre(Span(Div('x'))))",
     '<div>\n<pre><span><div>x</div></span></pre></div>\n',
     '  <div>\n<pre><span><div>x</div></span></pre>  </div>\n'),
    ("Div(Code(Div('x')))",
     '<div>\n<code><div>x</div></code></div>\n',
     '  <div>\n<code><div>x</div></code>  </div>\n'),
    ("Div(Meta(name='a'))",
     '<div>\n  <meta name="a">\n</div>\n',
     '  <div>\n    <meta name="a">\n  </div>\n'),
    ("Span(Span(Div('a')))",
     '<span><span>    <div>a</div>\n</span></span>',
     '<span><span>      <div>a</div>\n</span></span>'),
    ("Div(Some_thing(Div('x')))",
     '<div>\n<some-thing>    <div>x</div>\n</some-thing></div>\n',
     '  <div>\n<some-thing>      <div>x</div>\n</some-thing>  </div>\n'),
    ("Div('', Div())",
     '<div>\n  <div></div>\n</div>\n',
     '  <div>\n    <div></div>\n  </div>\n'),
    ('Div(Html())',
     '<div>\n  <!doctype html>\n  <html></html>\n</div>\n',
     '  <div>\n    <!doctype html>\n    <html></html>\n  </div>\n'),
    ("Label(Input(type='checkbox'), 'Remember')",
     '<label>  <input type="checkbox">\nRemember</label>',
     '<label>    <input type="checkbox">\nRemember</label>'),
    ("Div(Input(), Button('b'))",
     '<div>\n  <input>\n<button>b</button></div>\n',
     '  <div>\n    <input>\n<button>b</button>  </div>\n'),
    ("Pre('a', Input(), 'b')",
     '<pre>a<input>b</pre>',
     '<pre>a<input>b</pre>'),
    ("Nav(Ul(Li(A('Home', href='/')), Li(A('About', href='/about'))))",
     '<nav>\n  <ul>\n    <li>\n<a href="/">Home</a>    </li>\n    <li>\n<a href="/about">About</a>    </li>\n  </ul>\n</nav>\n',
     '  <nav>\n    <ul>\n      <li>\n<a href="/">Home</a>      </li>\n      <li>\n<a href="/about">About</a>      </li>\n    </ul>\n  </nav>\n'),
    ("Article(Header(H1('T')), P('x'), Footer('f'))",
     '<article>\n  <header>\n    <h1>T</h1>\n  </header>\n  <p>x</p>\n  <footer>f</footer>\n</article>\n',
     '  <article>\n    <header>\n      <h1>T</h1>\n    </header>\n    <p>x</p>\n    <footer>f</footer>\n  </article>\n'),
    ("Div(H1('Title', cls='t'), P('Hello ', Strong('you'), '!'), id='main')",
     '<div id="main">\n  <h1 class="t">Title</h1>\n  <p>\nHello <strong>you</strong>!  </p>\n</div>\n',
     '  <div id="main">\n    <h1 class="t">Title</h1>\n    <p>\nHello <strong>you</strong>!    </p>\n  </div>\n'),
    ("Titled('Tasks', P('Nothing'))",
     '<title>Tasks</title>\n<main class="container">  <h1>Tasks</h1>\n  <p>Nothing</p>\n</main>',
     '  <title>Tasks</title>\n<main class="container">    <h1>Tasks</h1>\n    <p>Nothing</p>\n</main>'),
    ("Form(Fieldset(Label('Name', Input(name='n')), Label('Age', Input(name='a', type='number'))), Button('Save'))",
     '<form enctype="multipart/form-data"><fieldset><label>Name      <input name="n">\n</label><label>Age      <input name="a" type="number">\n</label></fieldset><button>Save</button></form>',
     '<form enctype="multipart/form-data"><fieldset><label>Name        <input name="n">\n</label><label>Age        <input name="a" type="number">\n</label></fieldset><button>Save</button></form>'),
    ("Main(Section(H2('S'), Div(P('x'))), cls='container')",
     '<main class="container">  <section>\n    <h2>S</h2>\n    <div>\n      <p>x</p>\n    </div>\n  </section>\n</main>',
     '<main class="container">    <section>\n      <h2>S</h2>\n      <div>\n        <p>x</p>\n      </div>\n    </section>\n</main>'),
    ("Blockquote(P('q'))",
     '<blockquote>\n  <p>q</p>\n</blockquote>\n',
     '  <blockquote>\n    <p>q</p>\n  </blockquote>\n'),
    ("Details(Summary('s'), P('d'))",
     '<details><summary>s</summary>  <p>d</p>\n</details>',
     '<details><summary>s</summary>    <p>d</p>\n</details>'),
]


@pytest.mark.parametrize('expr,level0,level2', LAYOUT, ids=[r[0][:40] for r in LAYOUT])
def test_indented_layout_is_the_originals(expr, level0, level2):
    o = eval(expr)  # noqa: S307 - expressions from the table above
    assert to_xml(o, indent=True) == level0
    assert to_xml(o, lvl=2, indent=True) == level2



# The compact form (pages, to_xml) adds no whitespace between tags, except where the original's layout puts whitespace
# that a browser shows: around an <input>, an inline element it puts on a line of its own. One space before and a
# newline after show the same as its indentation and line end; none inside pre/code/textarea, as the original.
@pytest.mark.parametrize('tree,compact,plain', [
    (Label('Email', Input(name='e')), '<label>Email <input name="e">\n</label>', '<label>Email<input name="e"></label>'),
    (Label(Input(type='checkbox'), 'Remember me'), '<label> <input type="checkbox">\nRemember me</label>',
     '<label><input type="checkbox">Remember me</label>'),
    (Div(Input(name='q'), Button('Go')), '<div> <input name="q">\n<button>Go</button></div>',
     '<div><input name="q"><button>Go</button></div>'),
    (Input(name='x'), '<input name="x">\n', '<input name="x">'),
    ((Input(name='a'), Button('b')), '<input name="a">\n<button>b</button>', '<input name="a"><button>b</button>'),
    (Pre('a', Input(), 'b'), '<pre>a<input>b</pre>', '<pre>a<input>b</pre>'),
    (Div(Code(Span(Input()))), '<div><code><span><input></span></code></div>', '<div><code><span><input></span></code></div>'),
    (Div(Textarea('x'), Img(src='i'), Br()), '<div><textarea>x</textarea><img src="i"><br></div>',
     '<div><textarea>x</textarea><img src="i"><br></div>'),
])
def test_compact_keeps_the_visible_whitespace_around_inputs(tree, compact, plain):
    assert to_xml(tree) == compact
    assert render_compact((tree,), True, False) == plain
    if not isinstance(tree, tuple):
        assert tree.__html__() == plain  # str()/__html__ are the original's plain compact form


def test_pages_keep_the_whitespace_around_inputs():
    app, rt = fast_app()

    @rt('/')
    def index():
        return Form(Label('Name', Input(name='n')), Button('Save'))
    html = Client(app).get('/').text
    assert '<label>Name <input name="n">\n</label><button>Save</button>' in html
