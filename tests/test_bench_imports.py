"""The benchmarks import what selfbook still has: a module moved by a restructuring keeps its
benches running (bench/organize.py once imported REVIEW.md's weak-title rule from
``selfbook.book.render`` after it had moved to ``selfbook.book.review``). The benches are read,
not run: they need ../shared and minutes."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _selfbook_imports(path: Path) -> list[tuple[str, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("selfbook"):
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names if alias.name.startswith("selfbook")]
    return found


@pytest.mark.parametrize("bench", sorted(BENCH.glob("*.py")), ids=lambda p: p.name)
def test_every_name_a_bench_imports_from_selfbook_exists(bench: Path):
    for module, name in _selfbook_imports(bench):
        imported = importlib.import_module(module)
        if name and not hasattr(imported, name):
            importlib.import_module(f"{module}.{name}")  # a submodule, or the ImportError says which name is gone
