"""Command-line tools: `fh_railway_deploy NAME` deploys the app in `main.py` to Railway, `fh_railway_link` links the
current directory to its Railway service. Both drive the Railway CLI (`railway`), which must be installed and logged in.

Each is also a Python function (`railway_deploy('myapp', mount=False)`) returning the exit status: a step that cannot
go ahead (no `railway` on PATH, an old CLI, no `main.py`, a failing `railway` command) prints what to do on stderr
and returns 1.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ['MIN_RAILWAY_VERSION', 'RailwayError', 'railway_deploy', 'railway_link']

MIN_RAILWAY_VERSION = (3, 8)
_INSTALL = 'Install it (https://docs.railway.app/guides/cli) and run `railway login`.'


class RailwayError(Exception):
    "A deployment step that cannot go ahead; the message says what to do."


def _railway() -> str:
    exe = shutil.which('railway')
    if exe is None:
        raise RailwayError(f'The Railway CLI (`railway`) was not found on PATH. {_INSTALL}')
    return exe


def _run(args: Sequence[str], capture: bool = False, check: bool = True) -> subprocess.CompletedProcess:
    "Run `railway *args`, echoing the command; output goes to the terminal unless `capture`."
    cmd = [_railway(), *args]
    if not capture:
        print('# railway ' + ' '.join(args), flush=True)
    r = subprocess.run(cmd, capture_output=capture, text=True, check=False)
    if check and r.returncode != 0:
        detail = (r.stderr or r.stdout or '').strip() if capture else ''
        raise RailwayError(f'`railway {" ".join(args)}` failed with exit status {r.returncode}'
                           + (f': {detail}' if detail else '.'))
    return r


def _check_version() -> None:
    out = _run(['--version'], capture=True).stdout
    m = re.search(r'(\d+)\.(\d+)', out)
    if m is None:
        raise RailwayError(f'Could not read the Railway CLI version from {out.strip()!r}.')
    if (int(m.group(1)), int(m.group(2))) < MIN_RAILWAY_VERSION:
        need = '.'.join(map(str, MIN_RAILWAY_VERSION))
        raise RailwayError(f'Railway CLI {m.group(0)} is too old: version {need} or newer is needed. '
                           f'Update it (https://docs.railway.app/guides/cli).')


def _status() -> dict | None:
    "The linked project's status as JSON, or None when this directory is not linked to a project."
    r = _run(['status', '--json'], capture=True, check=False)
    if r.returncode != 0:
        return None
    try:
        return json.loads(r.stdout)
    except json.JSONDecodeError:
        raise RailwayError(f'`railway status --json` printed something that is not JSON: {r.stdout[:200]!r}') from None


def _edges(d: Any, *keys: str) -> list:
    for k in keys:
        d = d.get(k) if isinstance(d, dict) else None
    return [e.get('node', {}) for e in (d or {}).get('edges', [])] if isinstance(d, dict) else []


def _link_ids(status: dict) -> tuple[str, str, str]:
    "(environment, project, service) ids of the linked project: its first environment and service."
    envs = _edges(status, 'environments')
    if not envs:
        raise RailwayError('The Railway project has no environment; create one in the Railway dashboard.')
    services = _edges(status, 'services')
    sid = services[0].get('id') if services else None
    if sid is None:
        insts = _edges(envs[0], 'serviceInstances')
        sid = insts[0].get('serviceId') if insts else None
    if sid is None:
        raise RailwayError('The Railway project has no service yet: deploy once with `railway up`, then link.')
    return envs[0]['id'], status['id'], sid


def _link() -> None:
    status = _status()
    if status is None:
        raise RailwayError('This directory is not linked to a Railway project: run `fh_railway_deploy NAME` '
                           '(or `railway init`) first.')
    env, proj, svc = _link_ids(status)
    _run(['link', '-e', env, '-p', proj, '-s', svc])


def _deploy(name: str, mount: bool) -> None:
    _check_version()
    if not Path('main.py').exists():
        raise RailwayError('fh_railway_deploy deploys the app in main.py, and there is no main.py in '
                           f'{Path.cwd()}: run it from your app folder.')
    status = _status()
    if status is not None:
        print(f'This directory is already deployed as Railway project {status.get("name", status.get("id"))!r}. '
              'Run `railway up` to deploy a new version, or `railway open` to see it.')
        return
    req = Path('requirements.txt')
    if not req.exists():
        req.write_text('python-fasthtml\n')
    elif 'python-fasthtml' not in req.read_text():
        print('Note: requirements.txt does not list python-fasthtml; Railway installs only what it lists.')
    _run(['init', '-n', name])
    _run(['up', '-c'])
    _run(['domain'])
    _link()
    if mount:
        _run(['volume', 'add', '-m', '/app/data'])
    _run(['up', '-c'])


def _report(prog: str, f: Any, *args: Any) -> int:
    "Run a step, printing a `RailwayError` as `prog: error: ...` on stderr; the exit status."
    try:
        f(*args)
    except RailwayError as e:
        print(f'{prog}: error: {e}', file=sys.stderr)
        return 1
    return 0


def _bool(s: str) -> bool:
    v = s.strip().lower()
    if v in ('1', 'true', 'yes', 'y', 'on'):
        return True
    if v in ('0', 'false', 'no', 'n', 'off'):
        return False
    raise argparse.ArgumentTypeError(f'expected true or false, got {s!r}')


def _as_script(prog: str) -> bool:
    "Is this process the console script `prog` (so the command line is ours to read)?"
    return Path(sys.argv[0]).stem == prog


def railway_link() -> int:
    """Link the current directory to the current project's Railway service (its first environment and service).
    Returns the exit status: 0, or 1 after printing what went wrong."""
    if _as_script('fh_railway_link'):
        argparse.ArgumentParser(prog='fh_railway_link', description='Link the current directory to the current '
                                "project's Railway service").parse_args()
    return _report('fh_railway_link', lambda: (_railway(), _link()))


def railway_deploy(name: str | None = None, mount: bool = True) -> int:
    """Deploy the FastHTML app in `main.py` to Railway as project `name`; with `mount`, a volume is mounted at
    `/app/data` so what the app stores in `data/` persists. Run as `fh_railway_deploy NAME [--mount BOOL |
    --no-mount]`, it reads the command line. Returns the exit status: 0, or 1 after printing what went wrong."""
    if name is None:
        if not _as_script('fh_railway_deploy'):
            raise TypeError('railway_deploy() needs the project name: railway_deploy("myapp")')
        p = argparse.ArgumentParser(prog='fh_railway_deploy', description='Deploy a FastHTML app to Railway')
        p.add_argument('name', help='The project name to deploy')
        p.add_argument('--mount', type=_bool, default=True, metavar='BOOL',
                       help='Create a mounted volume at /app/data? (default: true)')
        p.add_argument('--no-mount', dest='mount', action='store_false', help='Same as --mount false')
        a = p.parse_args()
        name, mount = a.name, a.mount
    return _report('fh_railway_deploy', _deploy, name, mount)
