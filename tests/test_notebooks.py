"""The notebooks in notebooks/: each runs top to bottom in a Jupyter kernel (nbclient, kernel
``python3`` running this interpreter, the repository's xfront on ``PYTHONPATH``), is committed
without outputs, and starts with the Colab setup cell (install xfront when missing, use the TPU
when there is one)."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = {"quickstart", "training", "sharding"}
CELL_TIMEOUT = 300  # seconds per cell
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def _first_code_cell(nb: dict) -> str:
    return next(_source(c) for c in nb["cells"] if c["cell_type"] == "code")


def _ids(paths):
    return [p.stem for p in paths]


def test_expected_notebooks_exist():
    assert EXPECTED <= {p.stem for p in NOTEBOOKS}, f"notebooks/ holds {_ids(NOTEBOOKS)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_committed_without_outputs(path):
    nb = _load(path)
    assert nb["nbformat"] == 4
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, (f"{path.name}: code cells {dirty} have outputs or execution counts; "
                       "clear them before committing (e.g. jupyter nbconvert --clear-output "
                       "--inplace)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_first_code_cell_is_colab_setup(path):
    src = _first_code_cell(_load(path))
    for needle in ('XFRONT_SOURCE = "git+https://github.com/xfront-dev/xfront"', "pip",
                   "install", "COLAB_TPU_ADDR", "/dev/accel", "libtpu", "XFRONT_PLATFORMS",
                   '"tpu,cpu"', "xf.devices()"):
        assert needle in src, f"{path.name}: the first code cell lacks {needle!r}"
    tree = ast.parse(src)
    # pip runs only when importing xfront fails.
    guarded = [node for node in ast.walk(tree) if isinstance(node, ast.Try)
               and any(isinstance(s, ast.Import) and s.names[0].name == "xfront"
                       for s in node.body)
               and any(h.type is not None and ast.unparse(h.type) == "ImportError"
                       and "pip" in ast.unparse(h) for h in node.handlers)]
    assert guarded, f"{path.name}: pip install must sit in `except ImportError` of import xfront"
    # The platform choice (and the CPU device count) must precede the first use of xfront.
    first_import = min(node.lineno for node in ast.walk(tree) if isinstance(node, ast.Import)
                       and any(a.name == "xfront" for a in node.names))
    for var in ("XFRONT_PLATFORMS", "XFRONT_NUM_CPU_DEVICES"):
        if var in src:
            line = src[:src.index(var)].count("\n") + 1
            assert line < first_import, f"{path.name}: set {var} before importing xfront"


def test_sharding_notebook_asks_for_cpu_devices():
    src = _first_code_cell(_load(NOTEBOOK_DIR / "sharding.ipynb"))
    assert 'os.environ["XFRONT_NUM_CPU_DEVICES"] = "8"' in src


def _run_setup_cell(src: str, **env) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items()
            if k not in ("XFRONT_PLATFORMS", "JAX_PLATFORMS", "COLAB_TPU_ADDR",
                         "TPU_LIBRARY_PATH")}
    full.update(PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), full.get("PYTHONPATH")])),
                **env)
    return subprocess.run([sys.executable, "-c", src], env=full, capture_output=True, text=True,
                          timeout=120)


def test_setup_cell_picks_tpu_when_colab_has_one(tmp_path):
    """COLAB_TPU_ADDR with a libtpu makes the cell ask for the TPU (here a fake library, so
    xfront reports that the requested TPU could not be loaded); without libtpu it stays on
    the CPU and says why."""
    src = _first_code_cell(_load(NOTEBOOK_DIR / "quickstart.ipynb"))
    fake = tmp_path / "libtpu.so"
    fake.write_bytes(b"")
    r = _run_setup_cell(src, COLAB_TPU_ADDR="10.0.0.2:8470", TPU_LIBRARY_PATH=str(fake))
    assert r.returncode != 0 and "tpu" in r.stderr.lower(), r.stdout + r.stderr
    if importlib.util.find_spec("libtpu") is None:
        r = _run_setup_cell(src, COLAB_TPU_ADDR="10.0.0.2:8470")
        assert r.returncode == 0, r.stderr
        assert "libtpu is not installed" in r.stdout and "on cpu" in r.stdout, r.stdout


@pytest.fixture
def kernel_env(tmp_path, monkeypatch):
    """The kernel's environment: a ``python3`` kernelspec running this interpreter (found first
    through JUPYTER_PATH), the repository on PYTHONPATH, and a default device setup (the
    notebooks choose their own device counts)."""
    spec_dir = tmp_path / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    for var in ("XFRONT_NUM_CPU_DEVICES", "XFRONT_PLATFORMS", "JAX_PLATFORMS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs(path, kernel_env):
    nbformat = pytest.importorskip("nbformat", reason="running notebooks needs nbformat")
    nbclient = pytest.importorskip("nbclient", reason="running notebooks needs nbclient")
    pytest.importorskip("ipykernel", reason="running notebooks needs ipykernel")

    nb = nbformat.read(path, as_version=4)
    current: list = [None]

    def on_cell_execute(cell, cell_index, **_):
        current[0] = (cell_index, cell)

    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=CELL_TIMEOUT, startup_timeout=120,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}}, on_cell_execute=on_cell_execute)
    try:
        client.execute()
    except Exception as e:
        if current[0] is None:
            raise
        index, cell = current[0]
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            detail = "\n".join(ANSI.sub("", line) for line in errors[0]["traceback"])
        else:
            detail = f"{type(e).__name__}: {e}"
        pytest.fail(f"{path.name}: cell {index} failed\n--- cell source ---\n{cell.source}\n"
                    f"--- error ---\n{detail}", pytrace=False)
