"""SVG elements as FT components: `Svg`, shapes, `Path` with a chainable path builder, and every other SVG tag.

Tag and attribute names are lowercased as in FastHTML (`<lineargradient viewbox=...>`): inside an HTML page (and in
HTMX swaps) the HTML parser restores SVG's case, so this renders as `linearGradient`/`viewBox` do. Namespaced
attributes keep their colon (`xlink_href` -> `xlink:href`; the original's `xlink-href` means nothing to a browser).

Note for the aggregator: `from fasthtml.common import *` in the original exports this module's `Path`, which shadows
`pathlib.Path` in apps that star-import. This module only defines `Path`; whether `common` re-exports it is decided
there.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._render import copy_ft
from .components import _PREP, FT, Template, _build, _prep, valmap_x

__all__ = [
    'AltGlyph', 'AltGlyphDef', 'AltGlyphItem', 'Animate', 'AnimateColor', 'AnimateMotion', 'AnimateTransform',
    'Circle', 'ClipPath', 'Color_profile', 'Cursor', 'Defs', 'Desc', 'Ellipse', 'FeBlend', 'FeColorMatrix',
    'FeComponentTransfer', 'FeComposite', 'FeConvolveMatrix', 'FeDiffuseLighting', 'FeDisplacementMap',
    'FeDistantLight', 'FeDropShadow', 'FeFlood', 'FeFuncA', 'FeFuncB', 'FeFuncG', 'FeFuncR', 'FeGaussianBlur',
    'FeImage', 'FeMerge', 'FeMergeNode', 'FeMorphology', 'FeOffset', 'FePointLight', 'FeSpecularLighting',
    'FeSpotLight', 'FeTile', 'FeTurbulence', 'Filter', 'Font', 'Font_face', 'Font_face_format', 'Font_face_name',
    'Font_face_src', 'Font_face_uri', 'ForeignObject', 'G', 'Glyph', 'GlyphRef', 'Hkern', 'Image', 'Line',
    'LinearGradient', 'Marker', 'Mask', 'Metadata', 'Missing_glyph', 'Mpath', 'Path', 'PathFT', 'Pattern',
    'Polygon', 'Polyline', 'RadialGradient', 'Rect', 'Set', 'Stop', 'Svg', 'SvgInb', 'SvgOob', 'Switch', 'Symbol',
    'Template', 'Text', 'TextPath', 'Tref', 'Tspan', 'Use', 'View', 'Vkern', 'ft_svg', 'svg_inb', 'transformd',
]

SVG_NS = 'http://www.w3.org/2000/svg'
# Keyword arguments for an HTMX swap that replaces an element with the children of the returned `<svg>`.
svg_inb = {'hx_select': 'svg>*'}

# ---------------------------------------------------------------------------------------------------------------
# Attribute names, lowercased as in FastHTML; this table is separate from the HTML one (namespace prefixes differ).

_NAMES: dict[str, str] = {
    'cls': 'class', 'klass': 'class', '_class': 'class', 'class_': 'class', 'target_id': 'target_id',
}
_NS_PREFIXES = ('xlink_', 'xmlns_', 'xml_')
_PLAIN = frozenset((str, bool, int, float))
# Attributes that come after all others, in this order, as they do on HTML elements.
_TAIL = {'hx-vals': 1, 'hx-target': 2, 'id': 3, 'class': 4, 'title': 5, 'style': 6}


def _svg_name(k: str) -> str:
    "Map a keyword to an SVG attribute name: `stroke_width`->`stroke-width`, `xlink_href`->`xlink:href`."
    a = _NAMES.get(k)
    if a is None:
        a = k.strip('_')
        for p in _NS_PREFIXES:
            if a.startswith(p):
                a = p[:-1] + ':' + a[len(p):]
                break
        a = a.replace('_', '-').lower()
        if len(_NAMES) < 4096:  # keys come from source code, but `**{...}` could carry arbitrary ones
            _NAMES[k] = a
    return a


def _svg_build(tag: str, c: tuple, kw: dict[str, Any]) -> FT:
    "Build an SVG element: children as for HTML tags, attributes named by `_svg_name`, `id`/`class`/... last."
    if any(type(o) in _PREP for o in c):  # children are flattened exactly as for HTML tags
        c, extra = _prep(c)
        if extra:
            kw = {**kw, **extra}
    attrs: dict[str, Any] = {}
    for k, v in kw.items():
        if v is None:
            continue
        a = _svg_name(k)
        if a == 'target_id':
            a, v = 'hx-target', '#' + str(v)
        elif a == 'hx-target' and 'target_id' in kw and kw['target_id'] is not None:
            continue  # target_id wins, as on HTML elements
        if type(v) not in _PLAIN:
            v = valmap_x(v, a)
            if v is None:
                continue
        attrs[a] = v
    if not _TAIL.keys().isdisjoint(attrs):
        attrs = dict(sorted(attrs.items(), key=lambda kv: _TAIL.get(kv[0], 0)))
    e = _build(tag.lower(), c, {})
    e.attrs.update(attrs)
    return e


# ---------------------------------------------------------------------------------------------------------------
# The root element and the shapes

def _is_num(v: Any) -> bool:
    "True for a plain number or a numeric string: what a `viewBox` can be built from."
    if isinstance(v, bool):
        return False
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def Svg(*args: Any, viewBox: str | None = None, h: Any = None, w: Any = None, height: Any = None, width: Any = None,
        xmlns: str = SVG_NS, **kwargs: Any) -> FT:
    "An SVG tag; xmlns is added automatically, and viewBox defaults to height and width if not provided."
    if h is not None:
        height = h
    if w is not None:
        width = w
    # A viewBox is numbers only: sizes such as '100%' do not make one.
    if viewBox is None and _is_num(width) and _is_num(height):
        viewBox = f'0 0 {width} {height}'
    return _svg_build('svg', args, dict(xmlns=xmlns, viewBox=viewBox, height=height, width=width, **kwargs))


def ft_svg(tag: str, *c: Any, transform: Any = None, opacity: Any = None, clip: Any = None, mask: Any = None,
           filter: Any = None, vector_effect: Any = None, pointer_events: Any = None, **kwargs: Any) -> FT:
    "Create a standard `FT` element with some SVG-specific attrs."
    return _svg_build(tag, c, dict(transform=transform, opacity=opacity, clip=clip, mask=mask, filter=filter,
                                   vector_effect=vector_effect, pointer_events=pointer_events, **kwargs))


def Rect(width: Any, height: Any, x: Any = 0, y: Any = 0, fill: Any = None, stroke: Any = None,
         stroke_width: Any = None, rx: Any = None, ry: Any = None, **kwargs: Any) -> FT:
    "A standard SVG `rect` element."
    return ft_svg('rect', width=width, height=height, x=x, y=y, fill=fill, stroke=stroke, stroke_width=stroke_width,
                  rx=rx, ry=ry, **kwargs)


def Circle(r: Any, cx: Any = 0, cy: Any = 0, fill: Any = None, stroke: Any = None, stroke_width: Any = None,
           **kwargs: Any) -> FT:
    "A standard SVG `circle` element."
    return ft_svg('circle', r=r, cx=cx, cy=cy, fill=fill, stroke=stroke, stroke_width=stroke_width, **kwargs)


def Ellipse(rx: Any, ry: Any, cx: Any = 0, cy: Any = 0, fill: Any = None, stroke: Any = None,
            stroke_width: Any = None, **kwargs: Any) -> FT:
    "A standard SVG `ellipse` element."
    return ft_svg('ellipse', rx=rx, ry=ry, cx=cx, cy=cy, fill=fill, stroke=stroke, stroke_width=stroke_width,
                  **kwargs)


def _args(v: Any, sep: str) -> str:
    "The argument list of one transform function: a number, or a tuple/list of them joined with `sep`."
    if isinstance(v, (tuple, list)):
        return sep.join(str(o) for o in v)
    return str(v)


# How FastHTML writes each function's arguments: `translate(1, 2)`, `rotate(45,10,10)`.
_SEPS = {'translate': ', ', 'scale': ', ', 'rotate': ',', 'skewX': ',', 'skewY': ',', 'matrix': ', '}


def transformd(translate: Any = None, scale: Any = None, rotate: Any = None, skewX: Any = None, skewY: Any = None,
               matrix: Any = None) -> dict[str, str]:
    "Create an SVG `transform` kwarg dict."
    funcs = {'translate': translate, 'scale': scale, 'rotate': rotate, 'skewX': skewX, 'skewY': skewY,
             'matrix': matrix}
    parts = [f'{k}({_args(v, _SEPS[k])})' for k, v in funcs.items() if v is not None]
    return {'transform': ' '.join(parts)} if parts else {}


def Line(x1: Any, y1: Any, x2: Any = 0, y2: Any = 0, stroke: Any = None, w: Any = None, stroke_width: Any = None,
         **kwargs: Any) -> FT:
    "A standard SVG `line` element; `w` is a short name for `stroke_width`."
    if w is not None:
        stroke_width = w
    return ft_svg('line', x1=x1, y1=y1, x2=x2, y2=y2, stroke=stroke, stroke_width=stroke_width, **kwargs)


def _points(args: tuple, points: Any) -> Any:
    return points if points is not None else ' '.join(f'{x},{y}' for x, y in args)


def Polyline(*args: Any, points: Any = None, fill: Any = None, stroke: Any = None, stroke_width: Any = None,
             **kwargs: Any) -> FT:
    "A standard SVG `polyline` element; points are `(x, y)` positional args or a `points` string."
    return ft_svg('polyline', points=_points(args, points), fill=fill, stroke=stroke, stroke_width=stroke_width,
                  **kwargs)


def Polygon(*args: Any, points: Any = None, fill: Any = None, stroke: Any = None, stroke_width: Any = None,
            **kwargs: Any) -> FT:
    "A standard SVG `polygon` element; points are `(x, y)` positional args or a `points` string."
    return ft_svg('polygon', points=_points(args, points), fill=fill, stroke=stroke, stroke_width=stroke_width,
                  **kwargs)


def Text(*args: Any, x: Any = 0, y: Any = 0, font_family: Any = None, font_size: Any = None, fill: Any = None,
         text_anchor: Any = None, dominant_baseline: Any = None, font_weight: Any = None, font_style: Any = None,
         text_decoration: Any = None, **kwargs: Any) -> FT:
    "A standard SVG `text` element."
    return ft_svg('text', *args, x=x, y=y, font_family=font_family, font_size=font_size, fill=fill,
                  text_anchor=text_anchor, dominant_baseline=dominant_baseline, font_weight=font_weight,
                  font_style=font_style, text_decoration=text_decoration, **kwargs)


# ---------------------------------------------------------------------------------------------------------------
# Paths

def _num(v: Any) -> str:
    "A path-data number; booleans (the arc flags) become 1/0."
    if v is True or v is False:
        return '1' if v else '0'
    return str(v)


class PathFT(FT):
    "A `path` element whose `d` attribute is built by chaining commands: `Path().M(0, 0).L(10, 10).Z()`."
    __slots__ = ()

    def _cmd(self, cmd: str, *args: Any) -> PathFT:
        step = ' '.join([cmd + _num(args[0]), *map(_num, args[1:])]) if args else cmd
        d = self.attrs.get('d')
        # appended after a space, also to an empty `d` (`Path().M(0, 0)` gives d=" M0 0"), exactly as FastHTML
        self.attrs['d'] = step if d is None else f'{d} {step}'
        return self

    def M(self, x: Any, y: Any) -> PathFT:
        "Move to."
        return self._cmd('M', x, y)

    def L(self, x: Any, y: Any) -> PathFT:
        "Line to."
        return self._cmd('L', x, y)

    def H(self, x: Any) -> PathFT:
        "Horizontal line to."
        return self._cmd('H', x)

    def V(self, y: Any) -> PathFT:
        "Vertical line to."
        return self._cmd('V', y)

    def Z(self) -> PathFT:
        "Close path."
        return self._cmd('Z')

    def C(self, x1: Any, y1: Any, x2: Any, y2: Any, x: Any, y: Any) -> PathFT:
        "Cubic Bézier curve."
        return self._cmd('C', x1, y1, x2, y2, x, y)

    def S(self, x2: Any, y2: Any, x: Any, y: Any) -> PathFT:
        "Smooth cubic Bézier curve."
        return self._cmd('S', x2, y2, x, y)

    def Q(self, x1: Any, y1: Any, x: Any, y: Any) -> PathFT:
        "Quadratic Bézier curve."
        return self._cmd('Q', x1, y1, x, y)

    def T(self, x: Any, y: Any) -> PathFT:
        "Smooth quadratic Bézier curve."
        return self._cmd('T', x, y)

    def A(self, rx: Any, ry: Any, x_axis_rotation: Any, large_arc_flag: Any, sweep_flag: Any, x: Any,
          y: Any) -> PathFT:
        "Elliptical Arc."
        return self._cmd('A', rx, ry, x_axis_rotation, large_arc_flag, sweep_flag, x, y)


def Path(d: str = '', fill: Any = None, stroke: Any = None, stroke_width: Any = None, **kwargs: Any) -> PathFT:
    "Create a standard `path` SVG element. This is a special object: chain `.M()`, `.L()`, ... to build `d`."
    e = ft_svg('path', d=d, fill=fill, stroke=stroke, stroke_width=stroke_width, **kwargs)
    return copy_ft(e, PathFT)


# ---------------------------------------------------------------------------------------------------------------
# HTMX swaps of SVG content

def SvgOob(*args: Any, **kwargs: Any) -> FT:
    "Wraps an SVG shape as required for an HTMX OOB swap."
    # An SVG element only parses as SVG inside <svg>, and an OOB fragment must survive HTML parsing: <template> does.
    return Template(Svg(*args, **kwargs))


def SvgInb(*args: Any, **kwargs: Any) -> tuple[FT, Any]:
    "Wraps an SVG shape as required for an HTMX inband swap."
    from .core import HttpHeader  # only needed when answering a request; keeps this module free of the server stack
    return Svg(*args, **kwargs), HttpHeader('HX-Reselect', 'svg>*')


# ---------------------------------------------------------------------------------------------------------------
# Every other SVG element

def _svg_tag(name: str) -> Callable[..., FT]:
    "A tag function: `LinearGradient` -> `<lineargradient>`, `Font_face` -> `<font-face>`."
    tag = name.lower().replace('_', '-')

    def f(*c: Any, **kwargs: Any) -> FT:
        return _svg_build(tag, c, kwargs)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f'An SVG `<{tag}>` element.'
    f.__module__ = __name__
    return f


AltGlyph = _svg_tag('AltGlyph'); AltGlyphDef = _svg_tag('AltGlyphDef'); AltGlyphItem = _svg_tag('AltGlyphItem')
Animate = _svg_tag('Animate'); AnimateColor = _svg_tag('AnimateColor'); AnimateMotion = _svg_tag('AnimateMotion')
AnimateTransform = _svg_tag('AnimateTransform'); ClipPath = _svg_tag('ClipPath')
Color_profile = _svg_tag('Color_profile'); Cursor = _svg_tag('Cursor'); Defs = _svg_tag('Defs')
Desc = _svg_tag('Desc'); FeBlend = _svg_tag('FeBlend'); FeColorMatrix = _svg_tag('FeColorMatrix')
FeComponentTransfer = _svg_tag('FeComponentTransfer'); FeComposite = _svg_tag('FeComposite')
FeConvolveMatrix = _svg_tag('FeConvolveMatrix'); FeDiffuseLighting = _svg_tag('FeDiffuseLighting')
FeDisplacementMap = _svg_tag('FeDisplacementMap'); FeDistantLight = _svg_tag('FeDistantLight')
FeDropShadow = _svg_tag('FeDropShadow'); FeFlood = _svg_tag('FeFlood'); FeFuncA = _svg_tag('FeFuncA')
FeFuncB = _svg_tag('FeFuncB'); FeFuncG = _svg_tag('FeFuncG'); FeFuncR = _svg_tag('FeFuncR')
FeGaussianBlur = _svg_tag('FeGaussianBlur'); FeImage = _svg_tag('FeImage'); FeMerge = _svg_tag('FeMerge')
FeMergeNode = _svg_tag('FeMergeNode'); FeMorphology = _svg_tag('FeMorphology'); FeOffset = _svg_tag('FeOffset')
FePointLight = _svg_tag('FePointLight'); FeSpecularLighting = _svg_tag('FeSpecularLighting')
FeSpotLight = _svg_tag('FeSpotLight'); FeTile = _svg_tag('FeTile'); FeTurbulence = _svg_tag('FeTurbulence')
Filter = _svg_tag('Filter'); Font = _svg_tag('Font'); Font_face = _svg_tag('Font_face')
Font_face_format = _svg_tag('Font_face_format'); Font_face_name = _svg_tag('Font_face_name')
Font_face_src = _svg_tag('Font_face_src'); Font_face_uri = _svg_tag('Font_face_uri')
ForeignObject = _svg_tag('ForeignObject'); G = _svg_tag('G'); Glyph = _svg_tag('Glyph')
GlyphRef = _svg_tag('GlyphRef'); Hkern = _svg_tag('Hkern'); Image = _svg_tag('Image')
LinearGradient = _svg_tag('LinearGradient'); Marker = _svg_tag('Marker'); Mask = _svg_tag('Mask')
Metadata = _svg_tag('Metadata'); Missing_glyph = _svg_tag('Missing_glyph'); Mpath = _svg_tag('Mpath')
Pattern = _svg_tag('Pattern'); RadialGradient = _svg_tag('RadialGradient'); Set = _svg_tag('Set')
Stop = _svg_tag('Stop'); Switch = _svg_tag('Switch'); Symbol = _svg_tag('Symbol')
TextPath = _svg_tag('TextPath'); Tref = _svg_tag('Tref'); Tspan = _svg_tag('Tspan'); Use = _svg_tag('Use')
View = _svg_tag('View'); Vkern = _svg_tag('Vkern')
# `Template` is the HTML `<template>` (exported here as in the original), the same function as in `components`.
