"""Tests for fasthtml.svg: exact markup for Svg, the shapes, PathFT chains, transformd and the SVG tag functions."""
from __future__ import annotations

import pytest

from fasthtml import svg
from fasthtml.components import Div, to_xml
from fasthtml.svg import (
    Circle,
    ClipPath,
    Color_profile,
    Ellipse,
    FeGaussianBlur,
    Font_face,
    ForeignObject,
    G,
    Line,
    LinearGradient,
    Path,
    PathFT,
    Polygon,
    Polyline,
    Rect,
    Stop,
    Svg,
    SvgInb,
    SvgOob,
    Template,
    Text,
    TextPath,
    Tspan,
    Use,
    ft_svg,
    svg_inb,
    transformd,
)

NS = 'xmlns="http://www.w3.org/2000/svg"'


def html(x: object) -> str:
    return to_xml(x)


@pytest.mark.parametrize('ft, expected', [
    (lambda: Svg(), f'<svg {NS}></svg>'),
    (lambda: Svg(Rect(1, 2), w=10, h=20),
     f'<svg {NS} viewbox="0 0 10 20" height="20" width="10"><rect width="1" height="2" x="0" y="0"></rect></svg>'),
    (lambda: Svg(width=10, height=20), f'<svg {NS} viewbox="0 0 10 20" height="20" width="10"></svg>'),
    (lambda: Svg(viewBox='0 0 5 5', w=1, h=2), f'<svg {NS} viewbox="0 0 5 5" height="2" width="1"></svg>'),
    (lambda: Svg(w=10), f'<svg {NS} width="10"></svg>'),
    (lambda: Svg(h=10), f'<svg {NS} height="10"></svg>'),
    # `w`/`h` win over `width`/`height`.
    (lambda: Svg(w=10, h=20, width=30, height=40), f'<svg {NS} viewbox="0 0 10 20" height="20" width="10"></svg>'),
    (lambda: Svg(id='s', cls='c', preserveAspectRatio='none', hx_get='/x', stroke_width=2),
     f'<svg {NS} preserveaspectratio="none" hx-get="/x" stroke-width="2" id="s" class="c"></svg>'),
    # Percentages do not make a viewBox (the original writes the invalid `0 0 100% 50%`).
    (lambda: Svg(w='100%', h='50%'), f'<svg {NS} height="50%" width="100%"></svg>'),
    (lambda: Svg(w='10', h='20.5'), f'<svg {NS} viewbox="0 0 10 20.5" height="20.5" width="10"></svg>'),
    (lambda: Svg(xmlns=None), '<svg></svg>'),
])
def test_svg(ft, expected):
    assert html(ft()) == expected


def test_children_flatten_and_dicts_become_attributes():
    assert html(G([Circle(1), None, (Circle(2),)], {'fillOpacity': 0.5}, id='g')) == \
        '<g fillopacity="0.5" id="g"><circle r="1" cx="0" cy="0"></circle><circle r="2" cx="0" cy="0"></circle></g>'
    assert html(G(x for x in ['a', 'b'])) == '<g>ab</g>'
    # target_id wins over hx_target; empty class lists are left out; hx-vals/hx-target/id/class go last.
    assert html(G(target_id='t', hx_target='#u', cls=[], id='i', hx_vals={'a': 1}, fill='red')) == \
        '<g fill="red" hx-vals=\'{"a": 1}\' hx-target="#t" id="i"></g>'


def test_svg_lowercases_names_as_the_original():
    # As in FastHTML, SVG names are lowercased like HTML ones (the HTML parser restores SVG's case in a page).
    assert html(Div(viewBox='x')) == '<div viewbox="x"></div>'
    assert html(Svg(viewBox='0 0 1 1')) == f'<svg {NS} viewbox="0 0 1 1"></svg>'


def test_ft_svg():
    assert html(ft_svg('rect', transform='t', opacity=0.5, clip='c', mask='m', filter='f', vector_effect='v',
                       pointer_events='p', id='i', cls='c', title='t', style='s')) == (
        '<rect transform="t" opacity="0.5" clip="c" mask="m" filter="f" vector-effect="v" pointer-events="p" '
        'id="i" class="c" title="t" style="s"></rect>')
    assert html(ft_svg('g', 'x', fill_rule='evenodd', viewBox='v', hx_get='/x', target_id='t')) == \
        '<g fill-rule="evenodd" viewbox="v" hx-get="/x" hx-target="#t">x</g>'
    assert html(ft_svg('g', hx_vals={'a': 1}, cls=['a', 'b'])) == '<g hx-vals=\'{"a": 1}\' class="a b"></g>'
    assert html(ft_svg('text', '<&>')) == '<text>&lt;&amp;&gt;</text>'


@pytest.mark.parametrize('ft, expected', [
    (lambda: Rect(10, 20), '<rect width="10" height="20" x="0" y="0"></rect>'),
    (lambda: Rect(10, 20, 1, 2, 'red', 'blue', 3, 4, 5, id='r', transform='x'),
     ('<rect transform="x" width="10" height="20" x="1" y="2" fill="red" stroke="blue" stroke-width="3" rx="4" ry="5" '
     'id="r"></rect>')),
    (lambda: Rect(1, 2, stroke_dasharray='1 2', fill_opacity=0.3, cls='a', style='s'),
     '<rect width="1" height="2" x="0" y="0" stroke-dasharray="1 2" fill-opacity="0.3" class="a" style="s"></rect>'),
    (lambda: Circle(5), '<circle r="5" cx="0" cy="0"></circle>'),
    (lambda: Circle(5, 1, 2, 'r', 's', 3, cls='c'),
     '<circle r="5" cx="1" cy="2" fill="r" stroke="s" stroke-width="3" class="c"></circle>'),
    (lambda: Ellipse(5, 6), '<ellipse rx="5" ry="6" cx="0" cy="0"></ellipse>'),
    (lambda: Ellipse(5, 6, 1, 2, 'f', 's', 1),
     '<ellipse rx="5" ry="6" cx="1" cy="2" fill="f" stroke="s" stroke-width="1"></ellipse>'),
    (lambda: Line(0, 1), '<line x1="0" y1="1" x2="0" y2="0"></line>'),
    (lambda: Line(0, 1, 2, 3, 'red', 4), '<line x1="0" y1="1" x2="2" y2="3" stroke="red" stroke-width="4"></line>'),
    (lambda: Line(0, 1, 2, 3, stroke_width=5), '<line x1="0" y1="1" x2="2" y2="3" stroke-width="5"></line>'),
    (lambda: Line(0, 1, 2, 3, w=2, stroke_width=5), '<line x1="0" y1="1" x2="2" y2="3" stroke-width="2"></line>'),
    (lambda: Polyline((0, 0), (1, 2), (3, 4), fill='none'), '<polyline points="0,0 1,2 3,4" fill="none"></polyline>'),
    (lambda: Polyline(points='0,0 1,1'), '<polyline points="0,0 1,1"></polyline>'),
    (lambda: Polyline(), '<polyline points=""></polyline>'),
    (lambda: Polyline((0, 0), points='9,9'), '<polyline points="9,9"></polyline>'),
    (lambda: Polygon((0, 0), (1, 2), stroke='s', stroke_width=1),
     '<polygon points="0,0 1,2" stroke="s" stroke-width="1"></polygon>'),
    (lambda: Polygon([0, 0], [1.5, 2]), '<polygon points="0,0 1.5,2"></polygon>'),
    (lambda: Text('hi <x>'), '<text x="0" y="0">hi &lt;x&gt;</text>'),
    (lambda: Text('a', Tspan('b'), x=1, y=2, font_family='f', font_size=3, fill='r', text_anchor='middle',
                  dominant_baseline='central', font_weight='bold', font_style='italic', text_decoration='underline',
                  id='t'),
     ('<text x="1" y="2" font-family="f" font-size="3" fill="r" text-anchor="middle" dominant-baseline="central" '
     'font-weight="bold" font-style="italic" text-decoration="underline" id="t">a<tspan>b</tspan></text>')),
])
def test_shapes(ft, expected):
    assert html(ft()) == expected


@pytest.mark.parametrize('ft, expected', [
    (lambda: Path(), '<path d=""></path>'),
    (lambda: Path('M0 0'), '<path d="M0 0"></path>'),
    (lambda: Path(fill='r', stroke='s', stroke_width=2), '<path d="" fill="r" stroke="s" stroke-width="2"></path>'),
    (lambda: Path(transform='t', id='p'), '<path transform="t" d="" id="p"></path>'),
    # As the original: a command is appended after a space, also to an empty `d` (`d=None` has no `d` to extend)
    (lambda: Path().M(1, 2).L(3, 4).H(5).V(6).Z(), '<path d=" M1 2 L3 4 H5 V6 Z"></path>'),
    (lambda: Path(d=None).M(1, 2).Z(), '<path d="M1 2 Z"></path>'),
    (lambda: Path('M0 0').C(1, 2, 3, 4, 5, 6).S(1, 2, 3, 4).Q(1, 2, 3, 4).T(5, 6).A(1, 2, 3, 0, 1, 4, 5),
     '<path d="M0 0 C1 2 3 4 5 6 S1 2 3 4 Q1 2 3 4 T5 6 A1 2 3 0 1 4 5"></path>'),
    (lambda: Path(d='M 1 1').L(2, 2).Z(), '<path d="M 1 1 L2 2 Z"></path>'),
    (lambda: Path().M(1.5, -2).L(0.1, 1e-7), '<path d=" M1.5 -2 L0.1 1e-07"></path>'),
    # Arc flags given as booleans become 1/0 (the original writes `True False`, which is not path data).
    (lambda: Path().A(1, 2, 3, True, False, 4, 5), '<path d=" A1 2 3 1 0 4 5"></path>'),
])
def test_path(ft, expected):
    assert html(ft()) == expected


def test_path_builder_returns_itself():
    p = Path(fill='none')
    assert isinstance(p, PathFT)
    assert p.M(0, 0) is p
    assert p.L(1, 1).Z() is p
    assert p.attrs == {'d': ' M0 0 L1 1 Z', 'fill': 'none'}
    assert p.d == ' M0 0 L1 1 Z'
    assert p.tag == 'path'


@pytest.mark.parametrize('kw, expected', [
    ({}, {}),
    ({'scale': 2}, {'transform': 'scale(2)'}),
    ({'rotate': 45}, {'transform': 'rotate(45)'}),
    # the original's argument lists (compared black-box): ', ' for translate/scale/matrix, ',' for rotate
    ({'translate': (1, 2)}, {'transform': 'translate(1, 2)'}),
    ({'scale': (2, 3), 'rotate': (45, 1, 2), 'skewX': 10, 'skewY': 20, 'matrix': (1, 2, 3, 4, 5, 6)},
     {'transform': 'scale(2, 3) rotate(45,1,2) skewX(10) skewY(20) matrix(1, 2, 3, 4, 5, 6)'}),
    ({'translate': (1, 2), 'rotate': (3, 4, 5), 'scale': (1, 2), 'matrix': (1, 2, 3, 4, 5, 6), 'skewX': 3, 'skewY': 4},
     {'transform': 'translate(1, 2) scale(1, 2) rotate(3,4,5) skewX(3) skewY(4) matrix(1, 2, 3, 4, 5, 6)'}),
    # a single number where the original writes `translate3` / `scale2` (not SVG): the function form
    ({'matrix': [1, 0, 0, 1, 5, 5], 'translate': 3}, {'transform': 'translate(3) matrix(1, 0, 0, 1, 5, 5)'}),
])
def test_transformd(kw, expected):
    assert transformd(**kw) == expected


def test_transformd_feeds_shapes():
    assert html(Rect(1, 2, **transformd(scale=2, rotate=(3, 4, 5)))) == \
        '<rect transform="scale(2) rotate(3,4,5)" width="1" height="2" x="0" y="0"></rect>'
    assert html(G(Circle(1), **transformd(translate=(10, 20)))) == \
        '<g transform="translate(10, 20)"><circle r="1" cx="0" cy="0"></circle></g>'


def test_oob_and_inband():
    assert html(SvgOob(Rect(1, 2))) == \
        f'<template><svg {NS}><rect width="1" height="2" x="0" y="0"></rect></svg></template>'
    assert html(SvgOob(Rect(1, 2), id='x', hx_swap_oob='true')) == \
        f'<template><svg {NS} hx-swap-oob="true" id="x"><rect width="1" height="2" x="0" y="0"></rect></svg></template>'
    assert svg_inb == {'hx_select': 'svg>*'}


def test_inband_sets_reselect_header():
    core = pytest.importorskip('fasthtml.core')
    shape, hdr = SvgInb(Rect(1, 2), Circle(3))
    assert html(shape) == \
        f'<svg {NS}><rect width="1" height="2" x="0" y="0"></rect><circle r="3" cx="0" cy="0"></circle></svg>'
    assert isinstance(hdr, core.HttpHeader)
    assert (hdr.k, hdr.v) == ('HX-Reselect', 'svg>*')


@pytest.mark.parametrize('ft, expected', [
    (lambda: G(Rect(1, 2), id='g', transform='x', fill_opacity=0.5),
     '<g transform="x" fill-opacity="0.5" id="g"><rect width="1" height="2" x="0" y="0"></rect></g>'),
    (lambda: LinearGradient(Stop(offset='0%', stop_color='red'), id='lg', gradientUnits='userSpaceOnUse', x1=0),
     ('<lineargradient gradientunits="userSpaceOnUse" x1="0" id="lg"><stop offset="0%" stop-color="red"></stop>'
     '</lineargradient>')),
    (lambda: ClipPath(id='c', clipPathUnits='u'), '<clippath clippathunits="u" id="c"></clippath>'),
    (lambda: FeGaussianBlur(stdDeviation=5, in_='SourceGraphic'),
     '<fegaussianblur stddeviation="5" in="SourceGraphic"></fegaussianblur>'),
    (lambda: Use(href='#x', xlink_href='#y'), '<use href="#x" xlink:href="#y"></use>'),
    (lambda: Svg(xmlns_xlink='http://www.w3.org/1999/xlink', xml_space='preserve'),
     f'<svg {NS} xmlns:xlink="http://www.w3.org/1999/xlink" xml:space="preserve"></svg>'),
    (lambda: Font_face(font_family='x'), '<font-face font-family="x"></font-face>'),
    (lambda: Color_profile(), '<color-profile></color-profile>'),
    (lambda: TextPath('t', href='#p', startOffset='10%'), '<textpath href="#p" startoffset="10%">t</textpath>'),
    (lambda: ForeignObject(Div('x'), width=1), '<foreignobject width="1"><div>x</div></foreignobject>'),
    (lambda: Template('x'), '<template>x</template>'),
    (lambda: G(hx_post='/p', hx_on__after_request='f()', hx_trigger='click'),
     '<g hx-post="/p" hx-on--after-request="f()" hx-trigger="click"></g>'),
])
def test_svg_tags(ft, expected):
    assert html(ft()) == expected


def test_template_is_the_html_one():
    from fasthtml import components
    assert Template is components.Template


def test_every_export_exists_and_tag_functions_are_named():
    for name in svg.__all__:
        obj = getattr(svg, name)
        assert obj is not None
        if callable(obj) and name[0].isupper() and name not in ('PathFT',):
            assert obj.__doc__
    assert svg.AnimateMotion.__name__ == 'AnimateMotion'
    assert html(svg.AnimateMotion()) == '<animatemotion></animatemotion>'
    assert html(svg.Missing_glyph()) == '<missing-glyph></missing-glyph>'
    assert html(svg.FeDropShadow(dx=1)) == '<fedropshadow dx="1"></fedropshadow>'


def test_common_svg_is_the_plain_tag():
    # FastHTML's `from fasthtml.common import *` binds Svg to the components tag (no xmlns, viewBox as given);
    # fasthtml.svg's Svg (and fasthtml.ft's) adds the namespace.
    import fasthtml.common as common
    import fasthtml.components as components
    import fasthtml.ft as ft
    assert common.Svg is components.Svg and ft.Svg is svg.Svg
    assert to_xml(common.Svg(Circle(r=5, cx=1, cy=2), viewBox="0 0 1 1", id="s")) == \
        '<svg viewbox="0 0 1 1" id="s"><circle r="5" cx="1" cy="2"></circle></svg>'
    assert to_xml(Svg(viewBox='0 0 1 1')) == '<svg xmlns="http://www.w3.org/2000/svg" viewbox="0 0 1 1"></svg>'
