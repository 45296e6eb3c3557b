"""The import graph: the facts about the package's layout that an import-graph tool can check."""

from __future__ import annotations

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from importlib import import_module
from pathlib import Path

import selfbook

PACKAGE = Path(selfbook.__file__).parent


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute (``selfbook.x.y``), wherever the import statement is
    (at the top, in a function, under ``TYPE_CHECKING``)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = parts[:-1]  # the package a relative import starts from (for __init__.py, its own)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)  # from . import search
    return found


def test_imported_resolves_relative_imports():
    found = imported(PACKAGE / "search" / "index.py")
    assert "selfbook.store.base" in found and "selfbook.search.terms" in found and "numpy" in found


def _selfbook_imports(folder: str) -> dict[str, list[str]]:
    return {
        str(path.relative_to(PACKAGE)): sorted(m for m in imported(path) if m == "selfbook" or m.startswith("selfbook."))
        for path in sorted((PACKAGE / folder).rglob("*.py"))
    }


def test_the_store_imports_nothing_from_search():
    """search/ counts the lexical index and hands its rows to the store; the store only writes them."""
    upward = {path: [m for m in found if m.startswith("selfbook.search")] for path, found in _selfbook_imports("store").items()}
    assert {path: found for path, found in upward.items() if found} == {}


def test_the_store_imports_only_the_models_and_errors_from_above_it():
    """What the store writes (an index's rows, the back-of-book index's term groups) is its own
    type, filled by the stage that counts it; typing-only imports count too."""
    allowed = ("selfbook.store", "selfbook.models", "selfbook.errors")
    upward = {path: [m for m in found if not m.startswith(allowed)] for path, found in _selfbook_imports("store").items()}
    assert {path: found for path, found in upward.items() if found} == {}



def _folder(module: str) -> str:
    """The folder (or the module at the root) that ``module`` belongs to: ``selfbook.ingest.oneline``
    → ``selfbook.ingest``; a name the root exports (``selfbook.Hit``) counts as its module's."""
    parts = module.split(".")
    if len(parts) == 2 and parts[1] in selfbook._EXPORTS:
        parts = ["selfbook", *selfbook._EXPORTS[parts[1]].split(".")]
    return ".".join(parts[:2])


def folder_graph() -> dict[str, set[str]]:
    """Which folders (and root modules) each one imports, imports in functions and under
    ``TYPE_CHECKING`` included; the package root, which names everything lazily, left out."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if path == PACKAGE / "__init__.py":
            continue
        here = _folder("selfbook." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts))
        found = {_folder(m) for m in imported(path) if m.startswith("selfbook.")}
        graph.setdefault(here, set()).update(found - {here, "selfbook"})
    return graph


def test_no_import_cycle_across_folders():
    """Each folder (and each module at the root) only imports what sits below it: models imports
    dates, not ingest (which reads dates into models)."""
    try:
        TopologicalSorter(folder_graph()).prepare()
    except CycleError as exc:
        raise AssertionError(f"an import cycle: {' → '.join(exc.args[1])}") from None


def test_the_cycle_check_sees_a_cycle():
    assert _folder("selfbook.ingest.oneline") == "selfbook.ingest" and _folder("selfbook.Hit") == "selfbook.search"
    graph = folder_graph()
    graph["selfbook.models"].add("selfbook.ingest")  # what models.py did before selfbook.text.dates
    try:
        TopologicalSorter(graph).prepare()
    except CycleError:
        return
    raise AssertionError("the check missed models → ingest → models")


MAX_LINES = 500
"""A module past this is two ideas (../shared/STYLE.md)."""


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_the_facade_is_short():
    """``library/__init__.py`` opens the book and hands each verb on (to the pipeline, the search, ask)."""
    assert _lines(PACKAGE / "library" / "__init__.py") <= 300


def test_no_module_is_over_the_limit():
    """The four modules over it when the limit came in (cli.py, organize/__init__.py,
    book/render.py, ingest/markdown.py) were split by idea in session 9."""
    over = {str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py") if _lines(path) > MAX_LINES}
    assert over == set(), "split it: a module over 500 lines is two ideas"


FRONT_ENDS = (
    "cli", "mcp", "web", "export",
)
"""The front ends: the command line (``cli/``: the group and the command modules), the web app, the
MCP server (``mcp/``), the exporters. The one rule for who may reach ``serve`` and ``mcp`` is
``web/access.py``. A front end imports only the facade layer below
(and the other front ends: ``cli`` registers the commands the others define)."""

FACADE = ("selfbook.library", "selfbook.settings", "selfbook.errors", "selfbook.models", "selfbook.reports")
"""The facade layer: what the package root re-exports from, and what a front end may import beside the root."""


def _front_end_files() -> list[Path]:
    found = []
    for name in FRONT_ENDS:
        path = PACKAGE / name
        found.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return found


def _allowed(module: str, front_ends: tuple[str, ...]) -> bool:
    """Whether a front end may import ``module``: the root or a name it exports
    (``from selfbook import Hit`` reads as ``selfbook.Hit``), the facade layer, another front end."""
    if module == "selfbook" or module.removeprefix("selfbook.") in {*selfbook._EXPORTS, "__version__"}:
        return True
    return any(module == allowed or module.startswith(allowed + ".") for allowed in (*FACADE, *front_ends))


def test_the_front_ends_import_only_the_root_and_the_facade_layer():
    """No front end reaches below the facade: every value type and function one needs is exported
    by the package root (``selfbook.__all__``). Imports in functions and under ``TYPE_CHECKING``
    count; so would ``import selfbook.search``."""
    front_ends = tuple("selfbook." + name.removesuffix(".py") for name in FRONT_ENDS)
    below = {
        str(path.relative_to(PACKAGE)): sorted(m for m in imported(path) if m.startswith("selfbook") and not _allowed(m, front_ends))
        for path in _front_end_files()
    }
    assert {path: found for path, found in below.items() if found} == {}


def test_the_check_sees_an_import_below_the_facade():
    front_ends = ("selfbook.cli",)
    assert not _allowed("selfbook.search", front_ends) and not _allowed("selfbook.search.METHODS", front_ends)
    assert not _allowed("selfbook.organize.curate", front_ends) and not _allowed("selfbook.describe_it", front_ends)
    assert _allowed("selfbook.describe", front_ends) and _allowed("selfbook.reports.PlacedEntry", front_ends)
    assert not _allowed("selfbook.libraryx", front_ends)  # a prefix of a name is not the module


def test_every_name_the_root_exports_is_listed_and_resolves():
    assert set(selfbook.__all__) == {*selfbook._EXPORTS, "__version__"}
    for name in selfbook._EXPORTS:
        assert getattr(selfbook, name) is getattr(import_module(f"selfbook.{selfbook._EXPORTS[name]}"), name), name


LIBRARY_INNARDS = {"query_vectors", "embedding"}
"""Attributes a Library has for the library layer's own use (the search's query-vector cache, the
embedder's keeper): a front end asks :class:`~selfbook.SharedBook` or a Library method instead."""


def reached_inside(source: str, name: str) -> list[str]:
    """Where the module ``name`` (its ``source``) reads an attribute of another object that is not
    its to read: a private one (``library._search``, ``view._map``; ``self._x`` is its own) or one
    of :data:`LIBRARY_INNARDS`."""
    found = []
    for node in ast.walk(ast.parse(source, name)):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value.id if isinstance(node.value, ast.Name) else ""
        private = node.attr.startswith("_") and not node.attr.startswith("__") and owner not in ("self", "cls")
        if (private and f"{owner}.{node.attr}" != "os._exit") or node.attr in LIBRARY_INNARDS:
            found.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_front_ends_reach_no_private_attribute_nor_the_library_innards():
    """The web app and the MCP server share the book through SharedBook's public methods (read,
    write, search, ask…), not by reaching into a Library or each other's objects."""
    reached = [hit for path in _front_end_files() for hit in reached_inside(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE)))]
    assert reached == []


def test_the_reach_check_sees_what_the_web_did():
    source = "q = service._searcher.query_vectors\nview._map = None\nself._lock = 1\nos._exit(0)\n"
    assert sorted(reached_inside(source, "web/service.py")) == [
        "web/service.py:1: service._searcher", "web/service.py:1: service._searcher.query_vectors", "web/service.py:2: view._map",
    ]


AT_THE_ROOT = {"__init__", "settings", "models", "reports", "errors"}
"""The modules that may sit loose in ``src/selfbook/``: the package root and what the facade hands
out. Every other module lives in the folder of its stage (ingest, normalize, embed, organize,
book, store, search, answer), of the words they share (``text/``), of a front end, or of the
library itself (``library/``: the facade, the pipeline of every write, the policy that shares a
book between threads)."""


def loose_modules(package: Path) -> set[str]:
    """The modules at the root of ``package`` that are not in :data:`AT_THE_ROOT`."""
    return {path.stem for path in package.glob("*.py")} - AT_THE_ROOT


def test_nothing_is_loose_at_the_root_but_the_facade_layer():
    assert loose_modules(PACKAGE) == set(), "move it into the folder of its stage (or its front end)"


def test_the_root_check_sees_a_loose_module(tmp_path):
    for name in ("__init__", "settings", "models", "ask"):
        (tmp_path / f"{name}.py").write_text("")
    (tmp_path / "answer").mkdir()
    (tmp_path / "answer" / "corpus.py").write_text("")
    assert loose_modules(tmp_path) == {"ask"}


def test_the_organizer_loads_on_first_use():
    """The organize folder holds placement and curation too; a command that only reads the book
    imports them (curation's rules, the decisions) without the organizer's numpy, tree and
    vocabularies, which ``selfbook.organize.organize`` loads on first use."""
    code = (
        "import sys, selfbook.organize.curate, selfbook.organize.assign\n"
        "assert 'selfbook.organize.outline' not in sys.modules, 'outline'\n"
        "assert 'threadpoolctl' not in sys.modules, 'threadpoolctl'\n"
        "from selfbook.organize import organize, MISC_TITLE, OrganizeParams\n"
        "assert 'selfbook.organize.outline' in sys.modules and MISC_TITLE == 'Miscellany'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


TESTS = Path(__file__).parent


def misplaced_tests(tests: Path, package: Path) -> list[str]:
    """The test files that are not where the layout puts them. The rule: ``tests/`` mirrors
    ``src/selfbook/``. A test file sits in ``tests/`` itself (the whole package, or a module at the
    package's root) or in a folder named after one of the package's folders. A file named after a
    folder or a module (``test_fusion.py``: ``search/fusion.py``; ``test_search.py``: ``search/``)
    sits in that folder, or in one of them when the name is in several (``test_index.py``: ``book/``
    or ``search/``), a module at the package's root counting as ``tests/`` (``test_phrases.py``). A
    file whose name names nothing (``test_build.py``) may sit in any of those places. Test files keep distinct names
    across folders (pytest imports them by name; ``pythonpath`` in pyproject.toml finds the helpers)."""
    folders = {path.parent.relative_to(package).as_posix() for path in package.rglob("__init__.py")} - {"."}
    homes: dict[str, set[str]] = {}
    for path in package.rglob("*.py"):
        where = path.parent.relative_to(package).as_posix()
        homes.setdefault(path.stem, set()).add("" if where == "." else where)
    for folder in folders:
        homes.setdefault(folder.rsplit("/", 1)[-1], set()).add(folder)
    wrong = []
    for path in sorted(tests.rglob("test_*.py")):
        where = path.parent.relative_to(tests).as_posix()
        where = "" if where == "." else where
        named = homes.get(path.stem.removeprefix("test_"), set())
        if where and where not in folders:
            wrong.append(f"{path.relative_to(tests)}: src/selfbook/{where}/ does not exist")
        elif named and where not in named:
            wrong.append(f"{path.relative_to(tests)}: belongs in {' or '.join(f'tests/{home}/'.replace('//', '/') for home in sorted(named))}")
    return wrong


def test_the_tests_mirror_the_package():
    assert misplaced_tests(TESTS, PACKAGE) == []


def test_the_mirror_check_sees_a_misplaced_test(tmp_path):
    package, tests = tmp_path / "selfbook", tmp_path / "tests"
    for name in ("__init__.py", "phrases.py", "search/__init__.py", "search/fusion.py", "search/index.py", "book/__init__.py", "book/index.py"):
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text("")
    for name in ("test_build.py", "test_phrases.py", "search/test_search.py", "book/test_index.py", "search/test_index.py",
                 "test_fusion.py", "book/test_fusion.py", "lost/test_build.py", "search/deeper/test_x.py", "book/test_phrases.py"):
        (tests / name).parent.mkdir(parents=True, exist_ok=True)
        (tests / name).write_text("")
    assert misplaced_tests(tests, package) == [
        "book/test_fusion.py: belongs in tests/search/",
        "book/test_phrases.py: belongs in tests/",
        "lost/test_build.py: src/selfbook/lost/ does not exist",
        "search/deeper/test_x.py: src/selfbook/search/deeper/ does not exist",
        "test_fusion.py: belongs in tests/search/",
    ]
