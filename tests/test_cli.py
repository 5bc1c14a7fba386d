"""fh_railway_deploy / fh_railway_link drive the Railway CLI: a fake `railway` on PATH records every call."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fasthtml.cli import railway_deploy, railway_link

BIN = Path(sys.executable).parent

FAKE = '''#!{python} -S
import json, os, sys
args = sys.argv[1:]
with open(os.environ['RW_LOG'], 'a') as f:
    f.write(json.dumps(args) + '\\n')
state = os.environ['RW_STATE']
linked = os.path.join(state, 'linked')
if os.environ.get('RW_FAIL') == ' '.join(args[:1]):
    print('boom: ' + args[0], file=sys.stderr)
    sys.exit(3)
if args == ['--version']:
    print('railway ' + os.environ.get('RW_VERSION', '3.17.1'))
elif args[:1] == ['init']:
    open(linked, 'w').write(args[2])
elif args == ['status', '--json']:
    if not os.path.exists(linked):
        print('No linked project found. Run railway link to connect to a project', file=sys.stderr)
        sys.exit(1)
    status = {{'id': 'proj-1', 'name': open(linked).read(),
              'environments': {{'edges': [{{'node': {{'id': 'env-1', 'name': 'production', 'serviceInstances':
                  {{'edges': [{{'node': {{'serviceId': 'svc-1'}}}}]}}}}}}]}},
              'services': {{'edges': [{{'node': {{'id': 'svc-1', 'name': 'web'}}}}]}}}}
    if os.environ.get('RW_NO_SERVICE'):
        status['services'] = {{'edges': []}}
        status['environments']['edges'][0]['node']['serviceInstances'] = {{'edges': []}}
    print(json.dumps(status))
elif args == ['domain']:
    print('https://myapp-production.up.railway.app')
'''


@pytest.fixture
def railway(tmp_path, monkeypatch):
    "A fake `railway` first on PATH and an app folder with main.py as the working directory; returns the call log."
    fake_bin = tmp_path / 'bin'
    fake_bin.mkdir()
    exe = fake_bin / 'railway'
    exe.write_text(FAKE.format(python=sys.executable))
    exe.chmod(0o755)
    (tmp_path / 'state').mkdir()
    app = tmp_path / 'app'
    app.mkdir()
    (app / 'main.py').write_text('from fasthtml.common import *\n')
    log = tmp_path / 'calls.jsonl'
    monkeypatch.setenv('PATH', f'{fake_bin}{os.pathsep}{os.environ["PATH"]}')
    monkeypatch.setenv('RW_LOG', str(log))
    monkeypatch.setenv('RW_STATE', str(tmp_path / 'state'))
    monkeypatch.chdir(app)

    class Railway:
        dir = app

        def calls(self) -> list:
            return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

        def link_to_existing(self):
            (tmp_path / 'state' / 'linked').write_text('existing')
    return Railway()


DEPLOY_CALLS = [['--version'], ['status', '--json'], ['init', '-n', 'myapp'], ['up', '-c'], ['domain'],
                ['status', '--json'], ['link', '-e', 'env-1', '-p', 'proj-1', '-s', 'svc-1']]


def test_deploy_new_project(railway, capfd):
    assert railway_deploy('myapp') == 0
    assert railway.calls() == DEPLOY_CALLS + [['volume', 'add', '-m', '/app/data'], ['up', '-c']]
    assert (railway.dir / 'requirements.txt').read_text() == 'python-fasthtml\n'
    out = capfd.readouterr().out  # railway's own output goes straight to the terminal
    assert '# railway init -n myapp' in out and 'https://myapp-production.up.railway.app' in out


def test_deploy_without_mount_keeps_existing_requirements(railway, capsys):
    (railway.dir / 'requirements.txt').write_text('numpy\n')
    assert railway_deploy('myapp', mount=False) == 0
    assert railway.calls() == DEPLOY_CALLS + [['up', '-c']]
    assert (railway.dir / 'requirements.txt').read_text() == 'numpy\n'
    assert 'does not list python-fasthtml' in capsys.readouterr().out


def test_deploy_when_already_deployed_changes_nothing(railway, capsys):
    railway.link_to_existing()
    assert railway_deploy('myapp') == 0
    assert railway.calls() == [['--version'], ['status', '--json']]
    assert "already deployed as Railway project 'existing'" in capsys.readouterr().out
    assert not (railway.dir / 'requirements.txt').exists()


def test_link(railway):
    railway.link_to_existing()
    assert railway_link() == 0
    assert railway.calls() == [['status', '--json'], ['link', '-e', 'env-1', '-p', 'proj-1', '-s', 'svc-1']]


def test_link_when_not_linked(railway, capsys):
    assert railway_link() == 1
    assert 'not linked to a Railway project' in capsys.readouterr().err
    assert railway.calls() == [['status', '--json']]


def test_link_without_a_service(railway, capsys, monkeypatch):
    railway.link_to_existing()
    monkeypatch.setenv('RW_NO_SERVICE', '1')
    assert railway_link() == 1
    assert 'has no service yet' in capsys.readouterr().err


def test_old_railway_cli_is_refused(railway, capsys, monkeypatch):
    monkeypatch.setenv('RW_VERSION', '3.7.2')
    assert railway_deploy('myapp') == 1
    assert 'Railway CLI 3.7 is too old: version 3.8 or newer' in capsys.readouterr().err
    assert railway.calls() == [['--version']]


def test_missing_main_py(railway, capsys):
    (railway.dir / 'main.py').unlink()
    assert railway_deploy('myapp') == 1
    assert 'there is no main.py' in capsys.readouterr().err
    assert not (railway.dir / 'requirements.txt').exists()


def test_failing_railway_step_stops_the_deploy(railway, capsys, monkeypatch):
    monkeypatch.setenv('RW_FAIL', 'up')
    assert railway_deploy('myapp') == 1
    assert '`railway up -c` failed with exit status 3' in capsys.readouterr().err
    assert railway.calls()[-1] == ['up', '-c']  # nothing after the failing step


def test_missing_railway_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv('PATH', str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert railway_deploy('myapp') == 1
    assert railway_link() == 1
    err = capsys.readouterr().err
    assert err.count('The Railway CLI (`railway`) was not found on PATH') == 2
    assert 'https://docs.railway.app/guides/cli' in err


def test_name_is_required_from_python():
    with pytest.raises(TypeError, match='needs the project name'):
        railway_deploy()


def script(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / name), *args], capture_output=True, text=True, cwd=cwd, timeout=60,
                          check=False)


def test_console_scripts(railway):
    r = script('fh_railway_deploy', 'myapp', '--mount', 'false', cwd=railway.dir)
    assert r.returncode == 0, r.stderr
    assert railway.calls() == DEPLOY_CALLS + [['up', '-c']]
    r = script('fh_railway_link', cwd=railway.dir)
    assert r.returncode == 0, r.stderr
    assert railway.calls()[-1] == ['link', '-e', 'env-1', '-p', 'proj-1', '-s', 'svc-1']


def test_console_script_arguments(railway):
    r = script('fh_railway_deploy', cwd=railway.dir)
    assert r.returncode == 2 and 'the following arguments are required: name' in r.stderr
    r = script('fh_railway_deploy', 'x', '--mount', 'maybe', cwd=railway.dir)
    assert r.returncode == 2 and "expected true or false, got 'maybe'" in r.stderr
    r = script('fh_railway_deploy', '--help', cwd=railway.dir)
    assert r.returncode == 0 and '/app/data' in r.stdout
    assert railway.calls() == []
    r = script('fh_railway_deploy', 'myapp', '--no-mount', cwd=railway.dir)
    assert r.returncode == 0 and ['volume', 'add', '-m', '/app/data'] not in railway.calls()


def test_console_script_error_exit_status(tmp_path):
    r = subprocess.run([str(BIN / 'fh_railway_deploy'), 'myapp'], capture_output=True, text=True, cwd=tmp_path,
                       env={**os.environ, 'PATH': str(tmp_path)}, timeout=60, check=False)
    assert r.returncode == 1
    assert r.stderr.startswith('fh_railway_deploy: error: The Railway CLI (`railway`) was not found on PATH')
