"""What importing fasthtml loads: `import fasthtml.common` leaves the features a typical app does not use on every
request unloaded (each is imported when one of its names is first read), and the star import still binds every name
(but fastlite's NotFoundError) to the same object as the module that defines it. Each check runs in a fresh
interpreter."""
import json
import subprocess
import sys
import textwrap

import pytest

# Modules `import fasthtml.common` must not load, and the names that bring them in.
DEFERRED_MODULES = [
    'fastlite', 'apswutils', 'apsw', 'numpy',  # the database layer, until a database is opened
    'oauthlib', 'jwt', 'redis', 'httpx', 'uvicorn', 'dateutil', 'IPython',  # OAuth, tokens, Redis, test client, ...
    'html.parser', 'decimal',  # html2ft's parser; Decimal answers
    'fasthtml.accounts', 'fasthtml.tokens', 'fasthtml.live', 'fasthtml._live_runner', 'fasthtml._live_widgets',
    'fasthtml.health', 'fasthtml.compose', 'fasthtml.pubsub', 'fasthtml.oauth', 'fasthtml.jupyter',
    'fasthtml._html2ft', 'fasthtml.scaffold', 'fasthtml.cli',
]
LAZY_NAMES = {
    'Accounts': 'fasthtml.accounts', 'require_login': 'fasthtml.accounts', 'ApiTokens': 'fasthtml.tokens',
    'Live': 'fasthtml.live', 'LiveComponent': 'fasthtml.live', 'HealthChecks': 'fasthtml.health',
    'add_ready_check': 'fasthtml.health', 'combine': 'fasthtml.compose', 'PubSub': 'fasthtml.pubsub',
    'Subscription': 'fasthtml.pubsub', 'PUBSUB_URL_ENV': 'fasthtml.pubsub', 'NotFoundError': 'fastlite',
}


def run(code: str) -> dict:
    "Run `code` in a fresh interpreter; it prints one JSON value, returned here."
    p = subprocess.run([sys.executable, '-c', textwrap.dedent(code)], capture_output=True, text=True, timeout=120,
                       check=False)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_import_common_loads_none_of_the_deferred_modules():
    loaded = run('''
        import json, sys
        import fasthtml.common
        print(json.dumps(sorted(sys.modules)))
    ''')
    assert [m for m in DEFERRED_MODULES if m in loaded] == []
    assert 'fasthtml.core' in loaded and 'fasthtml.components' in loaded


@pytest.mark.parametrize('name', sorted(LAZY_NAMES))
def test_a_deferred_name_loads_its_module_on_first_read_and_is_its_object(name):
    mod = LAZY_NAMES[name]
    out = run(f'''
        import json, sys
        import fasthtml.common as c
        before = {mod!r} in sys.modules
        x = c.{name}
        import {mod} as m
        print(json.dumps([before, x is m.{name}, c.{name} is x, {name!r} in vars(c), {name!r} in dir(c)]))
    ''')
    assert out == [False, True, True, True, True]


def test_from_import_of_a_deferred_name():
    assert run('''
        import json
        from fasthtml.common import Accounts, NotFoundError, database
        import fasthtml.accounts, fasthtml.db, fastlite
        print(json.dumps([Accounts is fasthtml.accounts.Accounts, database is fasthtml.db.database,
                          NotFoundError is fastlite.NotFoundError is fasthtml.db.NotFoundError]))
    ''') == [True, True, True]


def test_star_import_binds_every_name_to_the_same_object():
    "`__all__` lists every public name; the star import binds each to the object `fasthtml.common.<name>` is."
    out = run('''
        import json, sys
        import fasthtml.common as c
        ns = {}
        exec('from fasthtml.common import *', ns)
        ns.pop('__builtins__')
        public = sorted(n for n in vars(c) if not n.startswith('_'))
        print(json.dumps({'names': sorted(ns), 'all': c.__all__, 'public': public,
                          'same': all(ns[n] is getattr(c, n) for n in c.__all__),
                          'sorted': c.__all__ == sorted(set(c.__all__))}))
    ''')
    assert out['same'] and out['sorted']
    assert out['names'] == sorted(out['all']) == out['public']
    assert set(LAZY_NAMES) - {'NotFoundError'} <= set(out['all'])
    assert {'Div', 'FastHTML', 'fast_app', 'serve', 'Titled', 'Path', 'dataclass', 'base64', 'L'} <= set(out['all'])


def test_the_star_import_loads_no_database_layer():
    """The star import binds every name but fastlite's NotFoundError (as FastHTML 0.14.14's does): binding it would
    import fastlite and apsw in every app. `database` is bound; fastlite loads when a database is opened."""
    out = run('''
        import json, sys
        ns = {}
        exec('from fasthtml.common import *', ns)
        before = sorted(m for m in sys.modules if m.split('.')[0] in ('fastlite', 'apswutils', 'apsw', 'numpy'))
        ns['database'](':memory:').t
        after = 'fastlite' in sys.modules
        print(json.dumps([before, 'NotFoundError' in ns, 'database' in ns, after]))
    ''')
    assert out == [[], False, True, True]


def test_unknown_names_are_attribute_errors():
    assert run('''
        import json
        import fasthtml.common as c
        try:
            c.NoSuchThing
        except AttributeError as e:
            print(json.dumps(str(e)))
    ''') == "module 'fasthtml.common' has no attribute 'NoSuchThing'"
