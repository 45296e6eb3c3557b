"""The built wheel, installed into a fresh virtual environment, builds a book on both stores.

Every other test imports selfbook from the source tree (an editable install), so a data file the
wheel leaves out (a migration, a template) goes unnoticed there. This one builds the wheel from a
copy of the project, installs it (no dependencies: they come from this interpreter's
site-packages), and runs the installed ``selfbook`` from an empty folder with a clean PYTHONPATH.
A fast test beside them checks pyproject.toml's package-data against the files on disk.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import pg_helpers
from conftest import SMALL_DUMP

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "selfbook"


def run(command: list, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SELFBOOK_", "VIRTUAL_ENV"))}
    result = subprocess.run(command, cwd=cwd, env={**clean, **env}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of pyproject.toml, README.md and src/ (the tree stays clean)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(PACKAGE, source / "src" / "selfbook", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(out), str(source)], cwd=out)
    (built,) = out.glob("selfbook-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed, seeing this interpreter's packages for the dependencies."""
    env = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--without-pip", str(env)], cwd=env)
    python = env / "bin" / "python"
    purelib = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=env).stdout.strip())
    (purelib / "_selfbook_test_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)], cwd=env)
    where = run([str(python), "-c", "import selfbook; print(selfbook.__file__)"], cwd=env).stdout.strip()
    assert Path(where).is_relative_to(env), f"the test venv imports selfbook from {where}, not from its install"
    return env


def test_package_data_names_every_data_file():
    """Every file under src/selfbook that is not Python (migrations of both stores, templates,
    static files, vocabularies) matches a glob of package-data: setuptools ships nothing else."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    shipped = {path for pattern in setuptools["package-data"]["selfbook"] for path in PACKAGE.glob(pattern)}
    data = {
        path for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".py", ".pyc")
    }
    assert data, "no data files found under src/selfbook"
    assert sorted(path.relative_to(PACKAGE).as_posix() for path in data - shipped) == []


@pytest.mark.slow
def test_the_wheel_holds_every_file_of_the_package(wheel: Path):
    """Every file under src/selfbook, code or data (migrations, templates, static, taxonomy)."""
    wanted = {
        path.relative_to(PACKAGE.parent).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    shipped = set(zipfile.ZipFile(wheel).namelist())
    assert wanted - shipped == set()


@pytest.mark.slow
@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_the_installed_wheel_builds_a_book(venv: Path, store: str, tmp_path: Path):
    url = "" if store == "sqlite" else pg_helpers.fresh_database()
    dump = tmp_path / "self.md"
    dump.write_text(SMALL_DUMP, encoding="utf-8")
    book = tmp_path / "book"
    selfbook = str(venv / "bin" / "selfbook")
    run([selfbook, "build", str(dump), "--book", str(book), "--embedder", "hashing", "--store", url or "sqlite"], cwd=tmp_path, SOURCE_DATE_EPOCH="1780272000")
    assert (book / "README.md").is_file() and (book / "INDEX.md").is_file()
    found = run([selfbook, "search", "dosa batter", "--book", str(book), "--json"], cwd=tmp_path)
    assert json.loads(found.stdout.splitlines()[0])["title"].startswith("Dosa batter")
