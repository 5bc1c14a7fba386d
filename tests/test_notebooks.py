"""The documentation notebooks in nbs/ are executed, each in a fresh Jupyter kernel with this checkout on the path.

A notebook passes when every cell runs; its checks are `fastcore.test.test_eq` calls (a failing one raises), so the
documentation cannot drift from what the code does. Notebooks are stored without outputs.
"""
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted((ROOT / 'nbs').glob('*.ipynb'))
OURS = ['quickstart', 'components', 'routing', 'responses', 'realtime', 'jupyter', 'live']


def code_cells(path: Path) -> list[str]:
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == 'code']


def test_the_documentation_notebooks_exist():
    names = {p.stem for p in NBS}
    assert set(OURS) <= names, sorted(set(OURS) - names)


@pytest.mark.parametrize('path', NBS, ids=lambda p: p.stem)
def test_notebook_asserts_instead_of_printing(path):
    src = '\n'.join(code_cells(path))
    assert src.count('test_eq(') >= 3, f'{path.name}: check results with fastcore.test.test_eq'
    assert 'print(' not in src, f'{path.name}: assert with test_eq instead of printing'


@pytest.mark.parametrize('path', NBS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == 'code' and (c.outputs or c.execution_count)]
    assert dirty == [], f'{path.name}: clear the outputs of cells {dirty}'


@pytest.mark.timeout(180)
@pytest.mark.parametrize('path', NBS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path, monkeypatch):
    "Run every cell in a new kernel whose working directory is a scratch folder (sessions keys, databases land there)."
    nb = nbformat.read(path, as_version=4)
    monkeypatch.setenv('PYTHONPATH', os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')]).rstrip(os.pathsep))
    client = NotebookClient(nb, timeout=120, kernel_name='python3', resources={'metadata': {'path': str(tmp_path)}})
    try:
        client.execute()
    except CellExecutionError as e:
        pytest.fail(f'{path.name} failed:\n' + re.sub(r'\x1b\[[0-9;]*m', '', str(e)), pytrace=False)
    errors = [o for c in nb.cells for o in c.get('outputs', []) if o.get('output_type') == 'error']
    assert errors == []
