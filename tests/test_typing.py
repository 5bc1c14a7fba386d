"""Editor support: pyright finds 0 errors in examples/ and generated apps, sees real types (FastHTML, tag functions,
pathlib's Path), flags real mistakes; fasthtml/components.pyi is current and matches `components.__all__`; and
`from fasthtml.common import *` rebinds only the standard-library names listed here.

`fasthtml/components.pyi` exists because the tag functions are made by a factory (`Div = _tag_fn('Div')`) and
custom tags come from a module `__getattr__`: the stub gives all of them one signature with every documented
htmx/HTML keyword (and the allowed values of `hx_swap` and friends) for completion. It is generated from the runtime
module; regenerate it with `python tests/test_typing.py --write-stub`.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import typing
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STUB = ROOT / 'fasthtml' / 'components.pyi'
PYRIGHT = Path(sys.executable).parent / 'pyright'

# ---------------------------------------------------------------------------------------------------------------
# The components stub, generated from the runtime module


def _tag_code():
    import fasthtml.components as comps
    return comps.Div.__code__


def _ann(a: object) -> str:
    "A parameter annotation for the stub: the allowed literal values where the runtime lists them, else Any."
    r = repr(a)
    if 'Literal[' not in r:
        return 'Any'
    lits = [x for x in typing.get_args(a) if typing.get_origin(x) is typing.Literal]
    if not lits and typing.get_origin(a) is typing.Literal:
        lits = [a]
    vals = ', '.join(repr(v) for lit in lits for v in typing.get_args(lit))
    return f'Literal[{vals}] | str | bool | None'


def _tag_params() -> list[str]:
    "The keyword parameters every tag function documents (from its runtime signature), as stub source."
    import fasthtml.components as comps
    out = []
    for p in inspect.signature(comps.Div).parameters.values():
        if p.kind is p.KEYWORD_ONLY:
            out.append(f'{p.name}: {_ann(p.annotation)} = None')
    return out


def _stub_def(fn: ast.FunctionDef) -> str:
    "A function's signature copied from the source, with defaults as `...` and the body as `...`."
    args = fn.args
    for i, d in enumerate(args.defaults):
        args.defaults[i] = ast.Constant(...) if d is not None else d
    args.kw_defaults = [ast.Constant(...) if d is not None else None for d in args.kw_defaults]
    fn.body = [ast.Expr(ast.Constant(...))]
    fn.decorator_list = []
    return ast.unparse(fn)


def _var_type(v: object) -> str:
    t = type(v)
    if t in (list, set, frozenset) and all(isinstance(x, str) for x in v):
        return f'{t.__name__}[str]'
    if t is dict:
        return 'dict[str, Any]'
    if t.__module__ != 'builtins':  # a class the stub cannot name (fh_cfg's AttrDict subclass)
        return 'Any'
    return t.__name__


def _private_imports() -> list[str]:
    "Private names that other fasthtml modules import from components."
    names = set()
    for f in (ROOT / 'fasthtml').glob('*.py'):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == 'components' and node.level == 1:
                names.update(a.name for a in node.names if a.name.startswith('_'))
    return sorted(names)


def components_stub() -> str:
    "The text of fasthtml/components.pyi, from fasthtml/components.py's source and runtime module."
    import fasthtml.components as comps
    src = (ROOT / 'fasthtml' / 'components.py').read_text()
    defs = {n.name: n for n in ast.parse(src).body if isinstance(n, ast.FunctionDef)}
    code = _tag_code()
    tags, funcs, values, reexports = [], [], [], {}
    for name in comps.__all__:
        obj = getattr(comps, name)
        if getattr(obj, '__code__', None) is code:
            tags.append(name)
        elif name in defs and getattr(obj, '__module__', None) == comps.__name__:
            funcs.append(name)
        elif inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismodule(obj):
            mod = obj.__name__ if inspect.ismodule(obj) else obj.__module__
            reexports.setdefault(mod, []).append(name)
        else:
            values.append(name)
    params = ',\n                 '.join(['*c: Any'] + _tag_params() + ['**kwargs: Any'])
    hx_params = ',\n          '.join(['tag: str', '*c: Any'] + _tag_params() + ['**kwargs: Any'])
    lines = ['', '__all__ = [' + ', '.join(repr(n) for n in comps.__all__) + ']', '', '',
             'class _Tag(Protocol):',
              '    "An HTML element function: positional arguments are children, keywords are attributes."',
              f'    def __call__(self, {params}) -> FT: ...', '', '']
    lines += [f'{n}: {_var_type(getattr(comps, n))}' for n in values]
    lines += ['', '']
    for n in funcs:
        if n == 'ft_hx':  # its runtime signature lists the same keywords as the tag functions
            lines.append(f'def ft_hx({hx_params}) -> FT: ...')
        else:
            lines.append(_stub_def(defs[n]))
    for n in _private_imports():  # sibling modules' imports of private helpers keep their real signatures
        lines.append(_stub_def(defs[n]) if n in defs else f'{n}: {_var_type(getattr(comps, n))}')
    lines += ['', ''] + [f'{n}: _Tag' for n in tags]
    lines += ['', '', 'def __getattr__(name: str) -> _Tag: ...', '']
    return '\n'.join(_stub_header(reexports, '\n'.join(lines)) + lines)


def _stub_header(reexports: dict[str, list[str]], body: str) -> list[str]:
    "The stub's docstring and imports, in ruff's order: the typing names the body uses, then each re-export."
    used = [n for n in ('Any', 'Literal', 'Optional', 'Protocol', 'Union') if re.search(rf'\b{n}\b', body)]
    head = ['# Generated from fasthtml/components.py by `python tests/test_typing.py --write-stub`: do not edit.',
            '"""Types for fasthtml.components: the tag functions are made by a factory at runtime, so their',
            'signature (every documented HTML/htmx keyword; any other keyword works too) is declared here."""']
    head += ['from collections.abc import Callable'] if re.search(r'\bCallable\b', body) else []
    head += ['from typing import ' + ', '.join(used), '']
    local = sorted(m for m in reexports if m.startswith('fasthtml.'))
    for group in (sorted(m for m in reexports if m not in local), local):
        for mod in group:
            rel = '.' + mod.split('.', 1)[1] if mod.startswith('fasthtml.') else mod
            head += [f'from {rel} import {n} as {n}' for n in sorted(reexports[mod])]
        head += [''] if group else []
    return head[:-1]  # the body opens with its own blank line


def test_components_stub_is_current():
    assert STUB.exists(), 'run `python tests/test_typing.py --write-stub`'
    assert STUB.read_text() == components_stub(), \
        'fasthtml/components.pyi is out of date with components.py: run `python tests/test_typing.py --write-stub`'


def test_components_stub_compiles_and_matches_all():
    import fasthtml.components as comps
    text = STUB.read_text()
    tree = ast.parse(text)
    compile(text, str(STUB), 'exec')
    defined = set()
    declared_all = None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            defined.add(node.target.id)
        elif isinstance(node, ast.ImportFrom):
            defined.update(a.asname for a in node.names if a.asname == a.name)  # explicit re-exports
        elif isinstance(node, ast.Assign) and node.targets[0].id == '__all__':
            declared_all = ast.literal_eval(node.value)
    assert declared_all == comps.__all__
    assert set(comps.__all__) <= defined, sorted(set(comps.__all__) - defined)
    assert '__getattr__' in defined  # custom tags: `from fasthtml.components import Uk_select`
    tag_fns = [n for n in comps.__all__ if getattr(getattr(comps, n), '__code__', None) is _tag_code()]
    assert len(tag_fns) > 100
    for n in tag_fns:
        assert f'\n{n}: _Tag\n' in text, n
    # every keyword a tag function documents at runtime is in the stub's signature, and nothing else
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == '__call__')
    runtime = [p.name for p in inspect.signature(comps.Div).parameters.values() if p.kind is p.KEYWORD_ONLY]
    assert [a.arg for a in call.args.kwonlyargs] == runtime
    assert call.args.vararg.arg == 'c' and call.args.kwarg.arg == 'kwargs'


def test_stub_gives_literal_values_for_swap():
    text = STUB.read_text()
    assert "hx_swap: Literal['innerHTML', 'outerHTML'," in text
    assert 'hx_get: Any = None' in text  # URLs may be route functions, not only strings


# ---------------------------------------------------------------------------------------------------------------
# pyright

REVEAL = '''
from fasthtml.common import *
from fasthtml.components import Uk_select

app, rt = fast_app()
reveal_type(app)
reveal_type(app.get)
reveal_type(Div)
reveal_type(Div('x'))
reveal_type(Uk_select)
reveal_type(Path)
reveal_type(SvgPath)
reveal_type(Set)
app2, rt2, todos, Todo = fast_app('data.db', todos=dict(id=int, pk='id'))
reveal_type(app2)
'''

MISTAKES = '''
from fasthtml.common import *
from fasthtml.components import Uk_select

app, rt = fast_app()
app.gett('/')
Div('x', hx_swap=3)
only_one, = fast_app()
n: int = P('x')
Uk_select(hx_push_url=1.5)
'''
# (line, rule) for every error MISTAKES must produce: attribute typos, wrong argument types, bad unpacking.
EXPECTED_MISTAKES = [(6, 'reportAttributeAccessIssue'), (7, 'reportArgumentType'), (8, 'reportAssignmentType'),
                     (9, 'reportAssignmentType'), (10, 'reportArgumentType')]


def _library_env(tmp: Path) -> tuple[Path, Path]:
    "A fake virtualenv where fasthtml is installed like a wheel (a py.typed library), beside the real dependencies."
    site = tmp / 'venv' / 'lib' / f'python{sys.version_info[0]}.{sys.version_info[1]}' / 'site-packages'
    site.mkdir(parents=True)
    shutil.copytree(ROOT / 'fasthtml', site / 'fasthtml', ignore=shutil.ignore_patterns('__pycache__'))
    real_site = next(p for p in map(Path, sys.path) if p.name == 'site-packages' and p.is_dir())
    cfg = tmp / 'pyrightconfig.json'
    cfg.write_text(json.dumps({'pythonVersion': '3.10', 'typeCheckingMode': 'standard', 'venvPath': str(tmp),
                               'venv': 'venv', 'extraPaths': [str(real_site)]}))
    return cfg, site


@pytest.fixture(scope='module')
def pyright_results(tmp_path_factory):
    "One pyright run over the repository's examples, generated apps and probes, and one as an installed library."
    from fasthtml.scaffold import new_app
    tmp = tmp_path_factory.mktemp('typing')
    apps = [new_app(tmp / 'plain') / 'main.py', new_app(tmp / 'full', db=True, live=True, auth=True) / 'main.py']
    (tmp / 'reveal.py').write_text(REVEAL)
    (tmp / 'mistakes.py').write_text(MISTAKES)
    examples = sorted((ROOT / 'examples').glob('*.py'))
    repo_files = examples + apps + [tmp / 'reveal.py', tmp / 'mistakes.py', STUB]
    lib = tmp_path_factory.mktemp('library')
    cfg, _ = _library_env(lib)
    (lib / 'app.py').write_text((ROOT / 'examples' / 'typed_sample.py').read_text())
    (lib / 'reveal.py').write_text(REVEAL)
    # both runs at once: each takes several seconds, mostly loading the dependencies' types
    procs = {}
    for key, cwd, files, config in (('repo', ROOT, repo_files, ROOT / 'pyrightconfig.json'),
                                    ('lib', lib, [lib / 'app.py', lib / 'reveal.py'], cfg)):
        procs[key] = subprocess.Popen([str(PYRIGHT), '--outputjson', '-p', str(config), *map(str, files)], cwd=cwd,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = {}
    for key, p in procs.items():
        stdout, stderr = p.communicate(timeout=120)
        try:
            out[key] = json.loads(stdout)['generalDiagnostics']
        except (json.JSONDecodeError, KeyError):
            raise AssertionError(f'pyright failed: {stdout[-2000:]} {stderr[-2000:]}') from None
    return {'diags': out, 'tmp': tmp, 'lib': lib, 'examples': examples, 'apps': apps}


def _errors(diags: list[dict], path: Path) -> list[str]:
    return [f"{d['range']['start']['line'] + 1}: {d['message']}" for d in diags
            if d['severity'] == 'error' and Path(d['file']) == path]


def _revealed(diags: list[dict], path: Path) -> list[str]:
    return [d['message'] for d in diags if d['severity'] == 'information' and Path(d['file']) == path]


def test_examples_and_generated_apps_have_no_errors(pyright_results):
    diags = pyright_results['diags']['repo']
    assert pyright_results['examples'], 'examples/ has apps to check'
    for f in pyright_results['examples'] + pyright_results['apps'] + [STUB]:
        assert _errors(diags, f) == [], f
    assert [d for d in diags if d['severity'] == 'warning'] == []


def test_types_are_visible(pyright_results):
    seen = _revealed(pyright_results['diags']['repo'], pyright_results['tmp'] / 'reveal.py')
    assert 'Type of "app" is "FastHTML"' in seen
    assert any(s.startswith('Type of "app.get" is "(path: Any = None, name: str | None = None') for s in seen)
    assert 'Type of "Div" is "_Tag"' in seen
    assert 'Type of "Div(\'x\')" is "FT"' in seen
    assert 'Type of "Uk_select" is "_Tag"' in seen
    assert 'Type of "Path" is "type[Path]"' in seen  # pathlib's
    assert 'Type of "Set" is "type[Set[Unknown]]"' in seen  # typing's
    assert any(s.startswith('Type of "SvgPath" is "(d: str') for s in seen)
    assert 'Type of "app2" is "FastHTML"' in seen


def test_mistakes_are_reported(pyright_results):
    diags = pyright_results['diags']['repo']
    path = pyright_results['tmp'] / 'mistakes.py'
    got = sorted({(d['range']['start']['line'] + 1, d.get('rule')) for d in diags
                  if d['severity'] == 'error' and Path(d['file']) == path})
    assert got == EXPECTED_MISTAKES


def test_installed_as_a_library(pyright_results):
    "Installed from a wheel (py.typed): still 0 errors; pyright warns about star imports from any library."
    diags = pyright_results['diags']['lib']
    lib = pyright_results['lib']
    assert _errors(diags, lib / 'app.py') == []
    assert _errors(diags, lib / 'reveal.py') == []
    warns = {d['rule'] for d in diags if d['severity'] == 'warning'}
    assert warns <= {'reportWildcardImportFromLibrary'}
    seen = _revealed(diags, lib / 'reveal.py')
    assert 'Type of "app" is "FastHTML"' in seen and 'Type of "Div" is "_Tag"' in seen


def test_pyright_config():
    cfg = json.loads((ROOT / 'pyrightconfig.json').read_text())
    # The package and the examples, in standard mode: `make test` runs `pyright` with this file and fails on an error.
    assert cfg['include'] == ['fasthtml', 'examples'] and cfg['typeCheckingMode'] == 'standard'
    # FastHTML handlers are named after their HTTP verb (`def get` for '/', another `def get` for '/edit'): the
    # route is registered by the decorator, so the redeclared name is intended, not a mistake.
    assert cfg['reportRedeclaration'] == 'none'


# ---------------------------------------------------------------------------------------------------------------
# What `from fasthtml.common import *` rebinds

# Every public name of these standard-library modules that the star import binds to something else, and where that
# something comes from. HTML/SVG element functions keep HTML's names (`I`, `S`, `U`, `A`, `Template`, `Text`,
# `Pattern`, `Filter`), and fastcore.utils' helpers come along as they do in FastHTML. `Path` stays pathlib's (the SVG
# element is `SvgPath`), and `Set` and `Any` typing's, so neither is in this table. No builtin is rebound.
STDLIB_MODULES = ['builtins', 'pathlib', 'datetime', 'dataclasses', 'enum', 'typing', 'os', 'sys', 'json', 're',
                  'string', 'collections', 'functools', 'itertools', 'time', 'inspect', 'asyncio', 'types', 'uuid',
                  'html', 'math', 'random', 'secrets', 'logging', 'copy', 'io', 'shutil', 'subprocess', 'threading',
                  'contextlib', 'abc', 'operator', 'textwrap', 'warnings', 'socket', 'base64', 'hashlib', 'tempfile',
                  'glob', 'urllib.parse', 'http']
REBOUND = {
    # element functions
    're.A': 'fasthtml.xtend', 're.I': 'fasthtml.components', 're.S': 'fasthtml.components',
    're.U': 'fasthtml.components', 'string.Template': 'fasthtml.components', 'typing.Text': 'fasthtml.svg',
    'typing.Pattern': 'fasthtml.svg', 're.Pattern': 'fasthtml.svg', 'logging.Filter': 'fasthtml.svg',
    'typing.Container': 'fasthtml.pico',
    # fastcore.utils helpers, as in FastHTML
    'dataclasses.asdict': 'fastcore.xtras', 'enum.StrEnum': 'fastcore.basics', 'typing.is_typeddict': 'fastcore.xtras',
    'typing.Self': 'fastcore.basics', 'os.mkdir': 'fastcore.xtras', 'os.walk': 'fastcore.xtras',
    'json.dumps': 'fastcore.xtras', 'json.loads': 'fastcore.xtras', 're.sub': 'fastcore.basics',
    're.L': 'fastcore.foundation', 'itertools.cycle': 'fastcore.basics', 'itertools.groupby': 'fastcore.basics',
    'itertools.product': 'fastcore.foundation', 'inspect.trace': 'fastcore.xtras', 'asyncio.run': 'fastcore.xtras',
    'subprocess.run': 'fastcore.xtras', 'logging.warn': '_warnings',
    're.Match': 'starlette.routing', 'typing.Match': 'starlette.routing',  # Starlette's, as in FastHTML
    **{f'operator.{n}': 'fastcore.basics' for n in ['add', 'concat', 'eq', 'ge', 'gt', 'is_', 'is_not', 'le', 'lt',
                                                    'mod', 'mul', 'ne', 'not_', 'sub', 'truediv']},
}


def _star_common() -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        ns: dict = {}
        exec('from fasthtml.common import *', ns)
    return ns


def test_common_star_import_rebinds_only_the_listed_stdlib_names():
    ns = _star_common()
    rebound = {}
    for m in STDLIB_MODULES:
        mod = importlib.import_module(m)
        names = getattr(mod, '__all__', None) or [n for n in dir(mod) if not n.startswith('_')]
        for n in names:
            if n in ns and hasattr(mod, n) and ns[n] is not getattr(mod, n):
                o = ns[n]
                rebound[f'{m}.{n}'] = getattr(o, '__module__', None) or type(o).__name__
    assert rebound == REBOUND


def test_common_keeps_the_standard_names_apps_use():
    import dataclasses
    import datetime
    import enum
    import pathlib

    import fasthtml.svg
    ns = _star_common()
    assert ns['Path'] is pathlib.Path
    assert ns['SvgPath'] is fasthtml.svg.Path
    assert ns['Set'] is typing.Set and ns['Any'] is typing.Any  # noqa: UP006 (typing's Set is the point)
    assert ns['dataclass'] is dataclasses.dataclass
    # As in FastHTML, these are not bound: an app's own `import datetime` (or `enum`) survives the star import.
    assert not {'date', 'datetime', 'Enum', 'field', 'fields'} & set(ns)
    ns = {'datetime': datetime, 'enum': enum}
    exec('from fasthtml.common import *', ns)
    assert ns['datetime'] is datetime and ns['enum'] is enum
    import builtins
    assert [n for n in dir(builtins) if n in ns and ns[n] is not getattr(builtins, n)] == []


if __name__ == '__main__':
    if sys.argv[1:] == ['--write-stub']:
        sys.path.insert(0, str(ROOT))
        STUB.write_text(components_stub())
        print(f'wrote {STUB}')
    else:
        print(textwrap.dedent(__doc__))
        os._exit(2)


def test_typed_sample_app_works():
    "examples/typed_sample.py is checked by pyright above, and it serves its pages."
    import importlib.util

    from fasthtml.core import Client
    spec = importlib.util.spec_from_file_location('typed_sample', ROOT / 'examples' / 'typed_sample.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    c = Client(mod.app)
    hx = {'HX-Request': 'true'}
    page = c.get('/')
    assert page.status_code == 200 and 'Visit number 1 from <code>/</code>' in page.text
    assert 'Visit number 2' in c.get('/').text
    assert c.post('/increment', headers=hx).text == '1'
    form = c.get('/profile').text
    assert 'id="name" name="name" value="Ada">' in form and 'name="age" value="36"' in form  # fill_form
    r = c.post('/profile', data={'name': 'Grace', 'age': '45'}, follow_redirects=False)
    assert r.status_code == 303 and r.headers['location'] == '/hello/Grace'
    assert '<h1>HELLO, GRACE!</h1>' in c.get('/hello/Grace?shout=true', headers=hx).text
    assert c.get('/api/items/7').json() == {'idx': 7, 'square': 49}
    assert c.get('/api/items/x').status_code in (400, 404)
    assert '<path d="M0 0 L10 10"></path>' in c.get('/svg', headers=hx).text
    assert [p.name for p in mod.files_here()] == sorted(p.name for p in (ROOT / 'examples').glob('*.py'))
