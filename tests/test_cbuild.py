"""Tests for fasthtml._cbuild, the C tag functions: each builds exactly what its pure-Python twin builds (node class,
tag, children, attributes in order with their types, instance dict) and raises what it raises, over a hand-written
corpus and a seeded random fuzz; common calls really take the C path; fh_cfg is honoured; no reference or memory
leaks; nodes and tag functions in cycles are collected; tag functions still look like functions to tools (inspect,
help, pickle, fastcore's delegates); and the existing tests pass with FASTHTML_PURE_PYTHON=1 (pure Python).

`make test` builds the extension, so unless FASTHTML_PURE_PYTHON=1 is set, a missing extension fails this module."""
import copy
import gc
import inspect
import os
import pickle
import pydoc
import random
import subprocess
import sys
import tracemalloc
import typing
import weakref
from pathlib import Path

import pytest
from fastcore.meta import delegates
from fastcore.xml import FT as BaseFT

import fasthtml.components as C
import fasthtml.xtend as X
from fasthtml.components import NotStr, Safe, fh_cfg

ROOT = Path(__file__).resolve().parents[1]
PURE = os.environ.get('FASTHTML_PURE_PYTHON') == '1'
if not PURE:  # an ImportError here fails the module: the extension must be built
    from fasthtml import _cbuild

needs_c = pytest.mark.skipif(PURE, reason='FASTHTML_PURE_PYTHON=1 turns the C accelerator off in this process')


def _twins() -> list:
    "(C function, its Python twin) for every tag function, a custom tag and xtend.A."
    fns = [getattr(C, n) for n in C.tag_names] + [C.Uk_select, C.Some_custom_tag, X.A]
    return [(f, f._pure) for f in fns]


# ---------------------------------------------------------------------------------------------------------------
# Comparing results


def shape(o: object) -> object:
    "Everything observable about a built value: nodes by class, tag, children, attributes (ordered, typed), dict."
    if isinstance(o, BaseFT):
        return ('node', type(o), o.tag, tuple(shape(c) for c in o.children),
                [(k, type(v), v) for k, v in o.attrs.items()], dict(o.__dict__))
    if isinstance(o, tuple):
        return ('tuple', tuple(shape(c) for c in o))
    return (type(o), o)


def outcome(fn, args, kw) -> tuple:
    "The shape of `fn(*args(), **kw)`, or the exception's type and message."
    try:
        return ('ok', shape(fn(*args(), **kw)))
    except Exception as e:  # noqa: BLE001 - comparing whatever each raises
        return ('raised', type(e), str(e))


def same(cfn, pyfn, args, kw=None) -> None:
    "Assert the C and Python functions agree on this call (`args` makes fresh positional arguments each time)."
    kw = kw or {}
    a, b = outcome(cfn, args, kw), outcome(pyfn, args, kw)
    assert a == b, (cfn, args(), kw)


class BadStr:
    "A value whose str() raises (target_id formats it)."

    def __str__(self) -> str:
        raise ValueError('no str for you')


class MyList(list):
    "A list subclass: not flattened (only exact list/tuple/... are)."


class MyStr(str):
    "A str subclass: stored as is, but not one of the C path's plain value types."


# ---------------------------------------------------------------------------------------------------------------
# A hand-written corpus

_obj = object()
CORPUS = [
    ((), {}),
    (('x',), {}),
    (('a', 1, 2.5, True, False, _obj, NotStr('<b>'), Safe('<i>'), b'bytes'), {}),
    (('a', ['b', ('c', None)], None), {}),
    ((['x', {'k': 'v'}], 'y'), {'cls': 'c'}),
    (({'hx_get': '/x', 'b': True, 'c': False, 'd': None, 'e': [1, 2]},), {}),
    (lambda: (range(3), map(str, [1, 2]), filter(None, [0, 1, 'a']), (x for x in 'gen')), {}),
    ((MyList([1, 2]), MyStr('s')), {}),
    ((), {'id': 'i', 'cls': 'c', 'title': 't', 'style': 's', 'x': 1}),
    ((), {'style': 's', 'title': 't', 'cls': 'c', 'id': 'i', 'hx_target': '#t', 'hx_vals': '{}'}),
    ((), {'x': 1, 'id': 'i', 'y': 2}),
    ((), {'id': 'i', 'x': 1}),
    ((), {'hx_vals': {'a': 1}, 'hx_target': 't', 'target_id': 'u'}),
    ((), {'target_id': 'u', 'hx_target': 't'}),
    ((), {'target_id': BadStr()}),
    ((), {'target_id': 5}),
    ((), {'cls': ['a', None, False, 'b'], 'style': {'color': 'red', 'margin': 0}, 'data_x': {'a': [1]}}),
    ((), {'cls': ('x', 1), 'klass': 'k', '_class': '_c', 'class_': 'c_', 'htmlClass': 'h'}),
    ((), {'_for': 'f', 'fr': 'g', 'for_': 'h', 'htmlFor': 'i'}),
    ((), {'hx_on__after_request': 'x', 'hx_on_click': 'y', '_': 'u', '__': 'v', 'Some_Mixed': 1}),
    ((), {'@click': 'go()', ':class': '{a: b}', 'x-on:click.prevent': 'z', 'x.y': 1}),
    ((), {'name': 'n', 'id': 'i'}),
    ((), {'id': 'i', 'name': None}),
    ((), {'id': None, 'cls': None}),
    ((), {'id': [], 'cls': {}, 'title': set()}),
    ((), {'value': 0, 'checked': True, 'disabled': False, 'step': 0.5, 'max': -3}),
    ((), {'value': MyStr('s')}),
    ((), {'value': _obj}),
    ((), {'hx_vals': {'a': _obj}}),  # json.dumps raises
    (({1: 'x'},), {}),  # a non-str attribute name from a dict child: both raise
    ((), {'href': '/h', 'hx_get': '/g', 'hx_swap': 'outerHTML', 'id': 'i'}),
    ((), {'id': 'i', 'hx_swap': 'none', 'href': None, 'hx_get': None}),
    ((), {'href': ['a', 'b'], 'cls': 'c'}),
    ((), {'c': 1, 'tag': 't', 'kw': 2, 'self': 3}),
]


@needs_c
@pytest.mark.parametrize('args, kw', CORPUS)
def test_corpus(args, kw):
    for cfn, pyfn in _twins():
        same(cfn, pyfn, args if callable(args) else lambda: args, kw)  # a callable makes fresh iterators per call


# ---------------------------------------------------------------------------------------------------------------
# Seeded random fuzz

_KEYS = ['id', 'cls', 'klass', '_class', 'class_', 'htmlClass', 'title', 'style', 'hx_vals', 'hx_target', 'target_id',
         'hx_get', 'hx_post', 'hx_swap', 'hx_swap_oob', 'href', '_for', 'fr', 'for_', 'htmlFor', 'name', 'data_x',
         'aria_label', 'value', 'type', 'checked', 'disabled', 'hx_on__after_request', 'hx_on_click', 'Some_Mixed',
         'foo_', '_', '__', '@click', ':class', 'x-on:click.prevent', 'x.y', 'c', 'kw']
_VALUES = [None, None, True, False, 0, 1, -3, 2**70, 2.5, 'str', '', 'a"b<c>&\'', MyStr('m'), [],
           ['a', 'b', None, False], ('x', 1), {'a', 'b'}, frozenset(), {}, {'a': 1}, {'color': 'red'}, NotStr('<n>'),
           _obj, BadStr()]
_CHILDREN = [lambda: 'txt', lambda: '<esc>', lambda: 7, lambda: 1.5, lambda: True, lambda: None, lambda: _obj,
             lambda: NotStr('<b>'), lambda: Safe('s'), lambda: MyList(['m']), lambda: MyStr('ms'),
             lambda: C.P._pure('p'),
             lambda: ['l', None, ['m']], lambda: ('t', ('u',)), lambda: (x for x in 'gen'), lambda: map(str, [1]),
             lambda: filter(None, [0, 'f']), lambda: range(2), lambda: {'dk': 'dv'}, lambda: {'cls': 'dc', 'id': None}]


def _random_call(rnd: random.Random) -> tuple:
    makers = [rnd.choice(_CHILDREN) for _ in range(rnd.choice([0, 0, 1, 1, 2, 3, 5]))]
    keys = rnd.sample(_KEYS, rnd.choice([0, 1, 2, 3, 4, 6, 9]))
    kw = {k: rnd.choice(_VALUES) for k in keys}
    if rnd.random() < 0.2:  # simple values only: the calls the C path handles itself
        makers = [m for m in makers if m in _CHILDREN[:2]]
        kw = {k: rnd.choice(['v', 1, True, 2.5, None]) for k in keys if k != 'target_id'}
    return (lambda: tuple(m() for m in makers)), kw


@needs_c
def test_fuzz_against_the_python_twins():
    rnd = random.Random(20261121)
    twins = _twins()
    for _ in range(12000):
        cfn, pyfn = rnd.choice(twins)
        args, kw = _random_call(rnd)
        same(cfn, pyfn, args, kw)


@needs_c
def test_fuzz_ranked_keywords_in_every_order():
    import itertools
    ranked = ['hx_vals', 'hx_target', 'id', 'cls', 'title', 'style']
    for n in (2, 3):
        for perm in itertools.permutations(ranked, n):
            for extra in ([], ['x'], ['x', 'y']):
                for pos in range(n + 1):
                    keys = list(perm)
                    for e in extra:
                        keys.insert(pos, e)
                    kw = {k: f'v-{k}' for k in keys}
                    for cfn, pyfn in ((C.Div, C.Div._pure), (C.Input, C.Input._pure), (X.A, X.A._pure)):
                        same(cfn, pyfn, tuple, kw)


@needs_c
def test_a_full_keys_cache_changes_nothing():
    "With `_KEYS` full, misses are computed each time (C and Python alike); results stay the same."
    saved = dict(C._KEYS)
    try:
        for i in range(C._KEYS_MAX - len(C._KEYS)):
            C._KEYS[f'filler_{i}'] = (f'filler-{i}', 0)
        assert len(C._KEYS) == C._KEYS_MAX
        rnd = random.Random(7)
        for _ in range(500):
            cfn, pyfn = rnd.choice(_twins())
            args, kw = _random_call(rnd)
            kw[f'unseen_{rnd.randrange(10**9)}'] = 'u'
            same(cfn, pyfn, args, kw)
        assert len(C._KEYS) == C._KEYS_MAX
    finally:
        C._KEYS.clear()  # the C functions hold this very dict: refill it in place
        C._KEYS.update(saved)


@needs_c
def test_unusual_keys_cache_entries_change_nothing():
    "Entries `_key_spec` would not make (a rank that is not its name's, names not interned) give the same results."
    def fresh(s: str) -> str:  # an equal string that is not the interned one
        o = (s + '.')[:-1]
        assert o == s and o is not sys.intern(s)
        return o
    odd = {'odd_plain_id': ('id', 0), 'odd_ranked_foo': ('foo', 3), 'odd_rank_big': ('x', 2**80),
           'odd_list': ['style', 6], 'odd_bool': ('title', True), 'odd_class': (fresh('class'), 4),
           'odd_style': (fresh('style'), 6), 'odd_value': (fresh('value'), 0)}
    C._KEYS.update(odd)
    try:
        keys = [*odd, 'id', 'cls', 'x', 'title', 'hx_vals']
        rnd = random.Random(11)
        for _ in range(400):
            kw = {k: rnd.choice(['v', 1, None]) for k in rnd.sample(keys, rnd.randrange(1, 6))}
            for cfn in (C.Div, C.Input, X.A):
                same(cfn, cfn._pure, tuple, kw)
        assert not _python_ran(C.Div, odd_class='c', odd_value='v', odd_style='s')  # equal names, not interned
        assert _python_ran(C.Div, odd_plain_id='i') and _python_ran(C.Div, odd_ranked_foo='f')
    finally:
        for k in odd:
            del C._KEYS[k]


# ---------------------------------------------------------------------------------------------------------------
# The C path is really taken


def _python_ran(fn, *a, **kw) -> bool:
    "Did calling `fn` run its Python twin?"
    codes = set()

    def prof(frame, event, arg):
        if event == 'call':
            codes.add(frame.f_code)
    sys.setprofile(prof)
    try:
        fn(*a, **kw)
    finally:
        sys.setprofile(None)
    return fn._pure.__code__ in codes


@needs_c
def test_common_calls_take_the_c_path():
    Div, Td, Input, Br, A = C.Div, C.Td, C.Input, C.Br, X.A
    assert not _python_ran(Td, 'x')
    assert not _python_ran(Td, 12)
    assert not _python_ran(Div, 'a', C.P('b'), NotStr('c'), id='i', cls='c', hx_get='/g', x=1, y=2.5, z=True)
    assert not _python_ran(Div, style='s', title='t', cls='c', id='i', hx_target='#t', hx_vals='{}', data_x='d')
    assert not _python_ran(Input, id='email', type='email', value='v')
    assert not _python_ran(Br)
    assert not _python_ran(A, 'Item', hx_get='/item/1', id='item-1')
    assert not _python_ran(A, 'x', href='/h', hx_swap='outerHTML', cls='c', **{'@click': 'go()'})
    assert not _python_ran(C.Uk_select, 'x', cls='u')
    # a key never seen before is computed (and cached) without the Python tag function
    k = f'data_fresh_{random.randrange(10**9)}'
    assert not _python_ran(Div, **{k: 'v'})
    assert C._KEYS[k] == (k.replace('_', '-'), 0)


@needs_c
@pytest.mark.parametrize('args, kw', [
    ((['a'],), {}), ((None,), {}), (({'x': 1},), {}), ((range(1),), {}), (('a', ('b',)), {}),
    ((), {'target_id': 't'}), ((), {'cls': ['a', 'b']}), ((), {'hx_vals': {'a': 1}}), ((), {'value': MyStr('s')}),
    ((), {'value': _obj}), ((), {MyStr('id'): 'i'}),
])
def test_unusual_calls_take_the_python_path(args, kw):
    assert _python_ran(C.Div, *args, **kw)
    assert _python_ran(X.A, *args, **kw)
    same(C.Div, C.Div._pure, lambda: args, kw)


# ---------------------------------------------------------------------------------------------------------------
# fh_cfg


@pytest.fixture
def cfg():
    saved = dict(fh_cfg)
    yield fh_cfg
    fh_cfg.clear()
    fh_cfg.update(saved)
    assert C._CFG is False


@needs_c
def test_fh_cfg_auto_id_and_auto_name_are_honoured(cfg):
    cfg.auto_id = True
    for f in (C.Div, C.Input, X.A, C.Uk_select):
        assert _python_ran(f, 'x')
        a, b = f('x', cls='c'), f._pure('x', cls='c')
        assert a.attrs['id'].startswith('_') and b.attrs['id'].startswith('_') and a.attrs['id'] != b.attrs['id']
        assert list(a.attrs) == list(b.attrs)
    cfg.auto_id = False
    cfg.auto_name = False
    same(C.Input, C.Input._pure, tuple, {'id': 'i'})
    assert 'name' not in C.Input(id='i').attrs and 'name' not in X.A(id='i').attrs
    cfg.auto_name = True
    assert C.Input(id='i').attrs['name'] == 'i' and not _python_ran(C.Input, id='i')


@needs_c
def test_fh_cfg_attrmap_valmap_and_ft_cls_are_honoured(cfg):
    class MyFT(C.FT):
        __slots__ = ()
    cfg.attrmap = lambda k: k.upper()
    cfg.valmap = lambda v: f'<{v}>'
    cfg.ft_cls = MyFT
    rnd = random.Random(3)
    for _ in range(300):
        cfn, pyfn = rnd.choice(_twins())
        same(cfn, pyfn, *_random_call(rnd))
    assert type(C.Div('x')) is MyFT and C.Div(x_y=1).attrs == {'X_Y': '<1>'}
    cfg.clear()  # every setting back to its default: the C path again
    assert C._CFG is False and not _python_ran(C.Div, 'x') and type(C.Div('x')) is C.FT


# ---------------------------------------------------------------------------------------------------------------
# Memory: references, leaks, garbage collection


def _mixed_calls(s, n, v) -> None:
    Div, Td, Li, Input, Br, A = C.Div, C.Td, C.Li, C.Input, C.Br, X.A
    Td(s)
    Td(n)
    Li(A(s, hx_get=v, id=v))
    Div(s, n, id=v, cls=v, x=n, y=s)
    Div(style=v, cls=v, id=v, z=v)
    Input(id=v, value=n)
    Br(cls=v)
    Div([s, n], cls=[v, s])  # Python path
    A(s, target_id=v)  # Python path
    C.Uk_select(s, **{'@click': v})
    try:
        Div(target_id=BadStr())
    except ValueError:
        pass


@needs_c
def test_argument_reference_counts_are_unchanged():
    s = 'fresh-' + str(12345)  # objects of the test's own, so their reference counts are ours to watch
    n = int('123456789012')
    v = 'value-' + str(678)
    _mixed_calls(s, n, v)
    objs = [s, n, v, C.FT, C.Div, C.Div._pure, X.A, X.A._pure, C._KEYS, C.Div._tag, C.Td._tag, X.A._tag,
            *(C._KEYS[k] for k in ('id', 'cls', 'hx_get', 'href', 'x', '@click'))]  # the cache's (name, rank) pairs
    gc.collect()
    before = [sys.getrefcount(o) for o in objs]
    for _ in range(2000):
        _mixed_calls(s, n, v)
    gc.collect()
    assert [sys.getrefcount(o) for o in objs] == before


def _rss() -> int:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


@needs_c
def test_no_memory_growth_over_100k_nodes():
    s, n, v = 'x', 12345, 'v'
    for _ in range(2000):
        _mixed_calls(s, n, v)
    gc.collect()
    tracemalloc.start()
    try:
        for _ in range(200):
            _mixed_calls(s, n, v)
        gc.collect()
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(10000):  # ~130k nodes
            _mixed_calls(s, n, v)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert grown < 64 * 1024, grown
    if os.path.exists('/proc/self/statm'):
        rss = _rss()
        for _ in range(10000):
            _mixed_calls(s, n, v)
        gc.collect()
        assert _rss() - rss < 4 * 1024 * 1024


@needs_c
def test_nodes_and_tag_functions_in_cycles_are_collected():
    class Box:
        pass
    b = Box()
    node = C.Div(b, id='i')
    b.node = node
    node.attrs['me'] = node
    r = weakref.ref(node)
    del b, node
    gc.collect()
    assert r() is None
    t = C._tag_fn('Cyclic_tag')  # a TagFn whose __dict__ refers back to itself
    t.me = t
    rt = weakref.ref(t)
    del t
    gc.collect()
    assert rt() is None


@needs_c
def test_deep_chains_build_and_free():
    n = C.Td('leaf')
    for _ in range(100000):
        n = C.Div(n)
    assert n.children[0].tag == 'div'
    del n  # freed without overflowing the C stack
    gc.collect()


# ---------------------------------------------------------------------------------------------------------------
# Tag functions still look like functions


@needs_c
def test_type_and_identity():
    assert type(C.Div) is _cbuild.TagFn and type(X.A) is _cbuild.TagFn
    assert inspect.isfunction(C.Div._pure) and inspect.isfunction(X.A._pure)
    assert C.Div._tag == 'div' and C.HxPartial._tag == 'hx-partial' and X.A._tag == 'a'
    assert C._cbuild is _cbuild


@needs_c
def test_metadata_signature_and_help():
    for f in (C.Div, C.Br, C.HxPartial, C.Uk_select, X.A):
        p = f._pure
        assert (f.__name__, f.__qualname__, f.__doc__, f.__module__) == \
            (p.__name__, p.__qualname__, p.__doc__, p.__module__)
        assert inspect.signature(f) == inspect.signature(p)
        assert f.__code__ is p.__code__ and f.__defaults__ == p.__defaults__ and f.__kwdefaults__ == p.__kwdefaults__
        assert typing.get_type_hints(f) == typing.get_type_hints(p)
        assert inspect.isroutine(f) and callable(f)
        assert repr(f) == f'<function {p.__qualname__} at {hex(id(f))}>'
        # help(): the same text but for the title line, which names the type
        assert pydoc.render_doc(f, renderer=pydoc.plaintext).splitlines()[1:] == \
            pydoc.render_doc(p, renderer=pydoc.plaintext).splitlines()[1:]
    assert 'hx_get' in inspect.signature(C.Div).parameters
    assert list(inspect.signature(X.A).parameters) == ['c', 'hx_get', 'target_id', 'hx_swap', 'href', 'kwargs']
    assert X.A.__kwdefaults__ == {'href': '#', 'hx_get': None, 'target_id': None, 'hx_swap': None}
    assert C.Div.__code__ is C.Td.__code__  # tests/test_typing.py finds the tag functions this way


@needs_c
def test_attributes_are_settable_like_a_function_s():
    f = C._tag_fn('Settable_tag')
    f.custom = 1
    f.__doc__ = 'doc'
    f.__name__ = 'N'
    f.__qualname__ = 'Q.N'
    f.__module__ = 'm'
    assert (f.custom, f.__doc__, f.__name__, f.__qualname__, f.__module__) == (1, 'doc', 'N', 'Q.N', 'm')
    assert vars(f)['custom'] == 1 and '__signature__' in vars(f)
    with pytest.raises(TypeError, match='__name__ must be set to a string object'):
        f.__name__ = 1
    with pytest.raises(TypeError, match='__qualname__ must be set to a string object'):
        del f.__qualname__
    with pytest.raises(AttributeError):
        f._pure = None
    f.__signature__ = inspect.Signature()
    assert str(inspect.signature(f)) == '()'


@needs_c
def test_pickle_copy_and_weakref():
    for f in (C.Div, C.Td, X.A, C.Uk_select):
        assert pickle.loads(pickle.dumps(f)) is f
        assert copy.copy(f) is f and copy.deepcopy(f) is f
        assert weakref.ref(f)() is f
    node = C.Div('x', C.Span('y'), id='i')
    assert shape(pickle.loads(pickle.dumps(node))) == shape(node)


@needs_c
def test_bound_as_a_method_like_a_function():
    class K:
        div = C.Div
        div_py = C.Div._pure
    k = K()
    assert shape(k.div('x', id='i')) == shape(k.div_py('x', id='i'))
    assert k.div('x').children[0] is k
    assert K.div is C.Div


@needs_c
def test_delegates_works_with_tag_functions():
    @delegates(C.Div)
    def card(*c, **kwargs):
        return C.Div(*c, **kwargs)
    assert 'hx_get' in inspect.signature(card).parameters
    f = C._tag_fn('Delegating_tag')

    def to(*c, flavour: str = 'x', **kw):
        pass
    assert delegates(to, keep=True)(f) is f
    assert 'flavour' in inspect.signature(f).parameters
    assert f('x', flavour='y').attrs == {'flavour': 'y'}


@needs_c
def test_constructor_and_init_validate_their_arguments():
    fb = C.Div._pure
    with pytest.raises(TypeError):
        _cbuild.TagFn(1, False, False, fb)
    with pytest.raises(TypeError, match='fallback must be callable'):
        _cbuild.TagFn('x', False, False, None)
    with pytest.raises(TypeError, match='defaults must be'):
        _cbuild.TagFn('x', False, False, fb, (('a',),))
    with pytest.raises(TypeError, match='object.__new__'):
        _cbuild.init(type('N', (), {'__new__': lambda cls: None}), {}, C._key_spec, ())
    with pytest.raises(TypeError, match='slot'):
        _cbuild.init(BaseFT, {}, C._key_spec, ())
    with pytest.raises(TypeError, match='prep must hold types'):
        _cbuild.init(C.FT, {}, C._key_spec, (1,))
    assert not _python_ran(C.Div, 'x', id='i')  # a failed init leaves the shared state alone


# ---------------------------------------------------------------------------------------------------------------
# Pure-Python mode


def test_pure_python_mode_uses_the_python_functions():
    code = ('import fasthtml.components as C, fasthtml.xtend as X, inspect; '
            'assert C._cbuild is None; assert inspect.isfunction(C.Div) and inspect.isfunction(X.A); '
            'assert inspect.isfunction(C.Uk_select); print(C.to_xml(C.Li(X.A("i", hx_get="/g", id="x"))))')
    r = subprocess.run([sys.executable, '-c', code], cwd=ROOT, env={**os.environ, 'FASTHTML_PURE_PYTHON': '1'},
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '<li><a href="#" hx-get="/g" id="x" name="x">i</a></li>'


@needs_c
def test_existing_tests_pass_in_pure_python_mode():
    files = ['tests/test_components.py', 'tests/test_xtend.py', 'tests/test_svg.py', 'tests/test_pico.py',
             'tests/test_ftextras.py', 'tests/test_addons.py']
    r = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-x', '-p', 'no:cacheprovider', *files], cwd=ROOT,
                       env={**os.environ, 'FASTHTML_PURE_PYTHON': '1'}, capture_output=True, text=True, timeout=600,
                       check=False)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    assert ' passed' in r.stdout and ' failed' not in r.stdout
