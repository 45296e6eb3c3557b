"""Curation: move, rename, merge and pin are the person's decisions, and they hold through every
later add, plain build and ``build --reorganize``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from installment_helpers import book_files, by_title, dumps, library, placements
from selfbook import BookError
from selfbook.cli import main
from selfbook.organize.curate import EditableOutline, apply_decisions, decide_rename
from selfbook.models import Chapter, Outline, Section

pytestmark = pytest.mark.usefixtures("store_url")  # every test on SQLite and on PostgreSQL

ENV = {"SELFBOOK_EMBEDDER": "hashing", "SOURCE_DATE_EPOCH": "1767225600"}


@pytest.fixture
def book(tmp_path: Path, keywords):
    base, later = dumps(tmp_path, "base.md", "self-1.md")
    lib = library(tmp_path / "book")
    lib.build([base])
    return lib, base, later


def _survives(lib, base: Path, later: Path, check) -> None:
    """``check()`` holds now, after an add, after a plain build and after a reorganization."""
    check()
    lib.add([later])
    check()
    lib.build([base, later])
    check()
    report = lib.build([base, later], reorganize=True)
    assert report.installments == 0
    check()


def test_a_move_survives_add_and_reorganize(book):
    lib, base, later = book
    flash = by_title(lib, "FlashAttention")
    lib.move(flash.entry.id[:6], "Machine Learning/Fine-tuning")
    _survives(lib, base, later, lambda: _at(lib, "FlashAttention", "Machine Learning", "Fine-tuning"))


def test_a_move_to_a_new_section_makes_it(book):
    lib, base, later = book
    coffee = by_title(lib, "Filter coffee recipe")
    lib.move(coffee.entry.id, "Cooking/Drinks")
    _survives(lib, base, later, lambda: _at(lib, "Filter coffee recipe", "Cooking", "Drinks"))


def test_a_rename_survives_add_and_reorganize(book):
    lib, base, later = book
    lib.rename("Cooking/Recipes", "Karnataka kitchen")
    lib.rename("Machine Learning", "ML & AI")
    _survives(lib, base, later, lambda: (_at(lib, "Sambar recipe", "Cooking", "Karnataka kitchen"), _at(lib, "LoRA: low", "ML & AI", "Fine-tuning")))
    assert by_title(lib, "Pongal recipe").section == "Karnataka kitchen"


def test_merging_two_sections_survives_add_and_reorganize(book):
    lib, base, later = book
    lib.merge("Machine Learning/Transformers", "Machine Learning/Fine-tuning")

    def check():
        sections = {p.section for p in lib.entries() if p.chapter == "Machine Learning" and "garden" not in p.entry.title.lower()}
        assert sections == {"Transformers"}

    _survives(lib, base, later, check)


def test_merging_two_entries_survives_add_and_reorganize(book):
    lib, base, later = book
    a, b = by_title(lib, "Dosa batter recipe"), by_title(lib, "Masala dosa recipe")
    lib.merge(a.entry.id, b.entry.id)

    def check():
        ids = {p.entry.id for p in lib.entries()}
        assert a.entry.id in ids and b.entry.id not in ids
        merged = by_title(lib, "Dosa batter recipe").entry
        assert "https://example.org/recipes/masala-dosa" in merged.urls and len(merged.sources) == 2

    _survives(lib, base, later, check)


def test_a_pin_survives_reorganize(book, monkeypatch):
    lib, base, later = book
    kannada = by_title(lib, "ಬಸವಣ್ಣ ಅವರ ವಚನಗಳು")
    lib.move(kannada.entry.id, "ಕನ್ನಡ ಸಾಹಿತ್ಯ/ವಚನ")
    lib.pin(by_title(lib, "Rasam recipe").entry.id)
    _survives(lib, base, later, lambda: (_at(lib, "Rasam recipe", "Cooking", "Recipes"), _at(lib, "ಬಸವಣ್ಣ", "ಕನ್ನಡ ಸಾಹಿತ್ಯ", "ವಚನ")))


def test_reorganize_reports_what_moved(book):
    lib, base, later = book
    lib.add([later])
    garden = by_title(lib, "Terrace garden compost")
    report = lib.build([base, later], reorganize=True)
    moved = {entry_id: (was, now) for entry_id, was, now in report.moved}
    assert garden.entry.id in moved  # the keyword organizer files the garden under Cooking
    assert moved[garden.entry.id][1] == "Cooking/Garden"
    assert all(entry_id not in moved for entry_id in placements(lib) if "recipe" in by_id(lib, entry_id).title.lower())


def test_a_moved_entry_pulls_its_near_neighbours(book, tmp_path: Path):
    lib, base, later = book
    lib.move(by_title(lib, "Filter coffee recipe").entry.id, "Cooking/Coffee")
    brew = tmp_path / "brew.md"
    brew.write_text("Filter coffee decoction ratios with chicory, a stronger recipe\nhttps://example.org/coffee/strong\n", encoding="utf-8")
    report = lib.add([brew])
    assert report.added[0].pulled == 1
    assert by_title(lib, "Filter coffee decoction").section == "Coffee"


def test_history_lists_decisions_in_order(book):
    lib, _, _ = book
    lib.rename("Cooking/Recipes", "Recipes from home")
    lib.pin(by_title(lib, "Rasam recipe").entry.id)
    decisions, installments = lib.history()
    assert [d.action for d in decisions] == ["rename-section", "pin"]
    assert [d.number for d in decisions] == [1, 2] and all(d.made for d in decisions)
    assert installments == []


def test_names_that_match_nothing_are_clear_errors(book):
    lib, _, _ = book
    files = book_files(lib.book_dir)
    with pytest.raises(BookError, match="no entry 'zzz'"):
        lib.move("zzz", "Cooking/Recipes")
    with pytest.raises(BookError, match="no chapter"):
        lib.rename("Gardening", "Garden")
    with pytest.raises(BookError, match="not the same kind"):
        lib.merge("Cooking/Recipes", "Machine Learning")
    first = [p.entry.id[0] for p in lib.entries()]
    shared = next(c for c in first if first.count(c) > 1)
    with pytest.raises(BookError, match="is the start of .* type more"):
        lib.pin(shared)
    assert book_files(lib.book_dir) == files and lib.history() == ([], [])


def test_rename_finds_a_section_by_its_entries_after_titles_change():
    outline = Outline((Chapter("c", "Cooking", (Section("s", "Recipes", ("a", "b", "c")),)),))
    decision = decide_rename(outline, "Cooking/Recipes", "Kitchen")
    retitled = Outline((Chapter("c2", "Food", (Section("s2", "Dishes", ("a", "b", "x")),)),))
    applied = apply_decisions(retitled, {}, [decision])
    assert applied.outline.chapters[0].sections[0].title == "Kitchen" and not applied.skipped
    parts = (Section("p", "One", ("a", "x")), Section("q", "Two", ("b", "y")), Section("r", "Three", ("c", "z")))
    scattered = Outline((Chapter("c", "Cooking", parts),))
    assert apply_decisions(scattered, {}, [decision]).skipped == (decision,)
    assert EditableOutline.of(retitled).freeze() == retitled


def test_cli_curation_commands(tmp_path: Path, keywords, store_url):
    base, later = dumps(tmp_path, "base.md", "self-1.md")
    runner = CliRunner(env=ENV)
    book = str(tmp_path / "book")
    assert runner.invoke(main, ["build", str(base), "--book", book, *(["--store", store_url] if store_url else [])]).exit_code == 0
    lib = library(Path(book))
    rasam = by_title(lib, "Rasam recipe").entry.id
    for args in (
        ["rename", "Cooking/Recipes", "Everyday cooking"],
        ["move", rasam, "--to", "Cooking/Soups"],
        ["pin", by_title(lib, "Sambar recipe").entry.id[:8]],
        ["merge", "Machine Learning/Transformers", "Machine Learning/Fine-tuning"],
    ):
        result = runner.invoke(main, [*args, "--book", book])
        assert result.exit_code == 0 and "Decision" in result.output, result.output
    result = runner.invoke(main, ["history", "--book", book])
    assert result.exit_code == 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert "rename section Cooking/Recipes" in lines[0] and "move" in lines[1] and "pin" in lines[2] and "merge section" in lines[3]
    result = runner.invoke(main, ["build", str(base), "--book", book, "--reorganize"])
    assert result.exit_code == 0 and "moved" in result.output
    assert by_title(lib, "Rasam recipe").section == "Soups"
    bad = runner.invoke(main, ["move", "zzz", "--to", "Cooking/Soups", "--book", book])
    assert bad.exit_code == 1 and "selfbook entries" in bad.output


def _at(lib, title: str, chapter: str, section: str) -> None:
    placed = by_title(lib, title)
    assert (placed.chapter, placed.section) == (chapter, section)


def by_id(lib, entry_id: str):
    return next(p.entry for p in lib.entries() if p.entry.id == entry_id)
