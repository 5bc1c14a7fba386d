"""Tests for fasthtml.pico: exact HTML for the Pico CSS components and links."""
from __future__ import annotations

import sys
import types

import pytest

from fasthtml._render import render_compact
from fasthtml.components import H3, Button, Div, Input, P
from fasthtml.pico import (
    Card,
    Container,
    DialogX,
    Grid,
    Group,
    PicoBusy,
    Search,
    picocondcss,
    picocondlink,
    picocss,
    picolink,
    set_pico_cls,
)


def html(x: object) -> str:
    "The plain compact form (`to_xml` keeps a newline around inputs, tested in test_render)."
    return render_compact((x,), True, False)


@pytest.mark.parametrize('ft, expected', [
    (lambda: Card('x'), '<article>x</article>'),
    (lambda: Card('x', P('y'), header=H3('h'), footer='f', cls='c', id='i', hx_get='/g'),
     '<article hx-get="/g" id="i" class="c"><header><h3>h</h3></header>x<p>y</p><footer>f</footer></article>'),
    (lambda: Card(), '<article></article>'),
    (lambda: Card(header='h'), '<article><header>h</header></article>'),
    (lambda: Card('a', footer='f<', target_id='t'), '<article hx-target="#t">a<footer>f&lt;</footer></article>'),
])
def test_card(ft, expected):
    assert html(ft()) == expected


def test_group_and_search():
    assert html(Group(Input(id='a'), Button('b'))) == \
        '<fieldset role="group"><input id="a" name="a"><button>b</button></fieldset>'
    assert html(Group(cls='c')) == '<fieldset role="group" class="c"></fieldset>'
    assert html(Search(Input(), Button('go'), hx_post='/s')) == \
        '<form enctype="multipart/form-data" role="search" hx-post="/s"><input><button>go</button></form>'
    assert html(Search()) == '<form enctype="multipart/form-data" role="search"></form>'


@pytest.mark.parametrize('ft, expected', [
    (lambda: Grid('a', P('b'), Div('c')),
     '<div class="grid"><div>a</div><div><p>b</p></div><div><div>c</div></div></div>'),
    (lambda: Grid(cls='g'), '<div class="g"></div>'),
    (lambda: Grid('a', cls='g', id='x'), '<div id="x" class="g"><div>a</div></div>'),
    (lambda: Grid(), '<div class="grid"></div>'),
])
def test_grid(ft, expected):
    assert html(ft()) == expected


@pytest.mark.parametrize('ft, expected', [
    (lambda: DialogX('x'), '<dialog><article>x</article></dialog>'),
    (lambda: DialogX('x', P('y'), open=True, header='h', footer=Button('ok'), id='d', cls='c'),
     ('<dialog open id="d"><article class="c"><header>h</header>x<p>y</p><footer><button>ok</button></footer>'
     '</article></dialog>')),
    (lambda: DialogX('x', open=False), '<dialog><article>x</article></dialog>'),
    (lambda: DialogX('x', hx_get='/x', style='s'), '<dialog><article hx-get="/x" style="s">x</article></dialog>'),
])
def test_dialogx(ft, expected):
    assert html(ft()) == expected


def test_container():
    assert html(Container('a', P('b'))) == '<main class="container">a<p>b</p></main>'
    assert html(Container(id='i', hx_get='/x')) == '<main hx-get="/x" id="i" class="container"></main>'
    # The original raises TypeError for `cls`; we add it to the container class.
    assert html(Container(cls='wide')) == '<main class="container wide"></main>'


def test_links():
    assert picocss == 'https://cdn.jsdelivr.net/npm/@anyblades/pico@latest/css/pico.min.css'
    assert picocondcss == 'https://cdn.jsdelivr.net/npm/@anyblades/pico@latest/css/pico.conditional.min.css'
    assert html(picolink) == (f'<link rel="stylesheet" href="{picocss}">'
                              '<style>:root { --pico-font-size: 100%; }</style>')
    assert html(picocondlink) == (f'<link rel="stylesheet" href="{picocondcss}">'
                                  '<style>:root { --pico-font-size: 100%; }</style>')


def test_pico_busy():
    elt = '(event.detail.ctx?.sourceElement || event.detail.elt)'
    assert html(PicoBusy()) == (
        '<script>domReadyExecute(function() {\n["htmx:beforeRequest","htmx-before-request"].forEach(evt => '
        f"document.body.addEventListener(evt, function(event) {{ {elt}.setAttribute('aria-busy', 'true' ) }}))\n}})"
        '</script>'
        '<script>domReadyExecute(function() {\n["htmx:afterRequest","htmx-after-request"].forEach(evt => '
        f"document.body.addEventListener(evt, function(event) {{ {elt}.setAttribute('aria-busy', 'false') }}))\n}})"
        '</script>')


def test_set_pico_cls_displays_javascript(monkeypatch):
    shown = []

    class Javascript:
        def __init__(self, data: str) -> None:
            self.data = data
    display_mod = types.ModuleType('IPython.display')
    display_mod.Javascript = Javascript
    display_mod.display = shown.append
    ipython = types.ModuleType('IPython')
    ipython.display = display_mod
    monkeypatch.setitem(sys.modules, 'IPython', ipython)
    monkeypatch.setitem(sys.modules, 'IPython.display', display_mod)
    set_pico_cls()
    assert len(shown) == 1
    assert "classList.add('pico')" in shown[0].data
    assert '.jp-OutputArea-output' in shown[0].data
