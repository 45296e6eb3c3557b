"""``selfbook add``: installments join a finished book without moving what is already there."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import regex
from click.testing import CliRunner

from installment_helpers import book_files, built_with_later, by_title, dumps, library, placements
from selfbook import BookError, InputError
from selfbook.library import pipeline as pipeline_module
from selfbook.book import chapter_filename
from selfbook.book.render import render_installment_entry
from selfbook.cli import main
from selfbook.ingest import parse_markdown
from selfbook.models import DateRange, Entry, Span
from selfbook.search.index import full_index
from selfbook.search.terms import INDEX_VERSION
from selfbook.store.sqlite import SQLiteStore
from selfbook.organize.update import dump_period

pytestmark = pytest.mark.usefixtures("store_url")  # every test on SQLite and on PostgreSQL

ENV = {"SELFBOOK_EMBEDDER": "hashing", "SOURCE_DATE_EPOCH": "1767225600"}


@pytest.fixture
def built(tmp_path: Path, keywords):
    return built_with_later(tmp_path)


def test_new_entries_join_the_sections_they_fit(built):
    lib, later = built
    lib.add([later])
    assert by_title(lib, "Pongal recipe").section == "Recipes"
    assert by_title(lib, "Mixture of experts").chapter == "Machine Learning"
    assert by_title(lib, "ಪೂರ್ಣಚಂದ್ರ ತೇಜಸ್ವಿ ಅವರ ಮಾಯಾಲೋಕ").section == "ಕಾದಂಬರಿ ಮತ್ತು ಕಾವ್ಯ"


def test_a_real_new_group_gets_one_new_section_and_a_straggler_goes_to_miscellany(built):
    lib, later = built
    report = lib.add([later])
    (added,) = report.added
    assert len(added.sections) == 1 and added.sections[0][2] == 7
    garden = {p.section for p in lib.entries() if "terrace garden" in p.entry.title.lower()}
    assert len(garden) == 1 and garden != {"Recipes"}
    assert by_title(lib, "Parking ticket").section == "Miscellany"
    assert not added.chapters


def test_a_few_similar_entries_do_not_make_a_section(tmp_path: Path, built):
    lib, _ = built
    few = tmp_path / "few.md"
    text = (tmp_path / "self-1.md").read_text(encoding="utf-8")
    garden = [block for block in text.split("\n\n") if "terrace garden" in block.lower()]
    few.write_text("\n\n".join(garden[:2]) + "\n", encoding="utf-8")
    report = lib.add([few])
    assert report.added[0].sections == () and len(report.added[0].new) == 2


def test_a_link_saved_again_merges_into_its_entry_and_keeps_its_place(built):
    lib, later = built
    lora = by_title(lib, "LoRA: low-rank adaptation for fine-tuning")
    ragi = by_title(lib, "Ragi mudde recipe")
    report = lib.add([later])
    assert set(report.added[0].resaved) == {lora.entry.id, ragi.entry.id}
    after = by_title(lib, "LoRA: low-rank adaptation for fine-tuning")
    assert after.entry.id == lora.entry.id and after.section == lora.section
    assert any("re-read for the reading group" in n for n in after.entry.notes)
    assert [s.path for s in after.entry.sources] == [lora.entry.source.path, str(later)]
    assert "made it soft this time" in by_title(lib, "Ragi mudde recipe").entry.note


def test_a_note_saved_again_without_its_link_merges_by_its_text(built, tmp_path: Path):
    lib, _ = built
    dosa = by_title(lib, "Dosa batter recipe")
    again = tmp_path / "again.md"
    again.write_text(
        "DOSA BATTER RECIPE -- rice and urad dal soaked; ground, and fermented overnight!\n\n"  # the same words
        "Dosa batter recipe: rice and urad dal soaked, ground and fermented for two nights\n\n"  # the same first word only
        "Fermented overnight: dosa batter recipe with rice and urad dal, soaked and ground\n",   # the same words, reordered
        encoding="utf-8",
    )
    (added,) = lib.add([again]).added
    assert added.resaved == (dosa.entry.id,) and len(added.new) == 2
    with lib._open(create=False) as store:
        assert [m.reason for m in store.load_merges() if m.entry_id == dosa.entry.id] == ["saved again in again.md: same text"]


def _search_index(lib) -> tuple[list, list]:
    with lib._open(create=False) as store:  # the store's own tables: what search reads
        db = store._db
        return db.execute("SELECT * FROM search_terms ORDER BY term").fetchall(), db.execute("SELECT * FROM search_docs ORDER BY position").fetchall()


def test_add_patches_the_search_index_to_what_a_full_reindex_gives(built, monkeypatch, store_url):
    lib, later = built
    handed, patches = [], []
    count = pipeline_module.updated_index
    monkeypatch.setattr(pipeline_module, "updated_index", lambda store, now, base: handed.append((count(store, now, base), len(now) - len(base))) or handed[-1][0])
    rewrite = SQLiteStore._rewrite_entries
    monkeypatch.setattr(SQLiteStore, "_rewrite_entries", lambda self, db, state, changed: patches.append(changed) or rewrite(self, db, state, changed))
    lib.add([later])  # new entries, and two links saved again whose notes grow
    ((index, added),) = handed
    assert not index.full and index.version == INDEX_VERSION and len(index.docs) == 2 + added  # the rows of the changed and new entries
    assert len(patches) == (0 if store_url else 1) and all(len(p) == 2 for p in patches)  # SQLite rewrites only those entries
    patched = _search_index(lib)
    with lib._open(create=False) as store:
        store.save_search_index(full_index(store.load_entries()))
    assert _search_index(lib) == patched
    assert lib.search("re-read for the reading group", method="lexical")[0].placed.entry.title.startswith("LoRA")


def test_existing_entries_never_move(tmp_path: Path):
    """With the real organizer: every entry of the first build keeps its chapter and section."""
    base, later = dumps(tmp_path, "base.md", "self-1.md")
    lib = library(tmp_path / "book")
    lib.build([base])
    before = placements(lib)
    lib.add([later])
    after = placements(lib)
    assert {e: after[e] for e in before} == before
    assert len(after) > len(before)


def test_installment_block_in_the_reference_style(built):
    lib, later = built
    files = book_files(lib.book_dir)
    lib.add([later])
    cooking = next(name for name in book_files(lib.book_dir) if name.endswith("cooking.md"))
    text = (lib.book_dir / cooking).read_text(encoding="utf-8")
    body, _, block = text.partition("## From self-1.md (Mar 2026 – Oct 2026)\n")
    assert block, text
    pongal = regex.search(r'<a id="e-\w+"></a>\*\*Pongal recipe: rice and moong dal cooked with pepper and ghee\*\*\\\n(.*)\n', block)
    assert pongal is not None
    assert pongal.group(1) == "Mar 2026.\\"   # the one-line summary ends with the date
    assert "example.org — <https://example.org/recipes/pongal>" in block
    assert "Pongal" not in body  # shown in the block only, as in the reference chapter
    # the entries of earlier sections read as before (the re-saved one gains its note)
    old = files[cooking].decode("utf-8")
    for paragraph in old.split("\n\n"):
        if paragraph.startswith('<a id="e-') and "Ragi mudde" not in paragraph:
            assert paragraph in body


def test_the_block_comes_last_and_new_sections_are_titled_in_it(built):
    lib, later = built
    lib.add([later])
    placed = by_title(lib, "Terrace garden compost")
    chapters = lib.outline().chapters
    number = next(k for k, c in enumerate(chapters, 1) if c.id == placed.chapter_id)
    name = chapter_filename(number, chapters[number - 1])
    text = (lib.book_dir / name).read_text(encoding="utf-8")
    block = text.split("## From self-1.md (Mar 2026 – Oct 2026)\n", 1)[1]
    assert f'<a id="s-{placed.section_id}"></a>\n### {placed.section}' in block
    assert text.index("## From self-1.md") > text.rindex("\n## ", 0, text.index("## From self-1.md"))


def test_adding_the_same_dump_twice_changes_nothing(built):
    lib, later = built
    lib.add([later])
    files = book_files(lib.book_dir)
    entries, history = lib.entries(), lib.history()
    db = lib.state_dir / "book.db"
    before = db.read_bytes() if db.exists() else None  # SQLite: not a byte of the store changes
    report = lib.add([later])
    assert not report.changed and report.added[0].skipped == "already in the book"
    assert book_files(lib.book_dir) == files and lib.entries() == entries and lib.history() == history
    assert (db.read_bytes() if db.exists() else None) == before


def test_a_dump_already_built_is_not_added_again(built, tmp_path: Path):
    lib, _ = built
    files = book_files(lib.book_dir)
    report = lib.add([tmp_path / "base.md"])
    assert not report.changed and book_files(lib.book_dir) == files


def test_a_plain_build_of_the_same_dumps_replays_the_installment(built, tmp_path: Path):
    lib, later = built
    lib.add([later])
    files, where = book_files(lib.book_dir), placements(lib)
    report = lib.build([tmp_path / "base.md", later])
    assert report.installments == 1 and report.moved == ()
    assert book_files(lib.book_dir) == files and placements(lib) == where


def test_two_dumps_in_one_add_are_two_installments(built, tmp_path: Path):
    lib, later = built
    more = tmp_path / "self-2.md"
    more.write_text("## November 2026\n\nUpma recipe: semolina cooked with onion and mustard\nhttps://example.org/recipes/upma\n", encoding="utf-8")
    report = lib.add([later, more])
    assert [a.name for a in report.added] == ["self-1.md", "self-2.md"]
    _, installments = lib.history()
    assert [i.name for i in installments] == ["self-1.md", "self-2.md"]
    assert installments[1].period.label() == "Nov 2026"
    assert by_title(lib, "Upma recipe").section == "Recipes"


def test_a_bad_dump_leaves_the_book_untouched(built, tmp_path: Path):
    lib, later = built
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"fine line\n\xff\xfe not utf-8\n")
    files = book_files(lib.book_dir)
    with pytest.raises(InputError, match="bad.md:2"):
        lib.add([later, bad])
    assert book_files(lib.book_dir) == files and lib.history() == ([], [])


def test_add_needs_a_book(tmp_path: Path):
    (later,) = dumps(tmp_path, "self-1.md")
    with pytest.raises(BookError, match="selfbook build"):
        library(tmp_path / "nothing").add([later])


def test_the_period_of_a_dump():
    headed = parse_markdown("## March 2026\n\nA note\n\n## October 2026\n\nAnother note\n", "a.md")
    assert dump_period(headed).label() == "Mar 2026 – Oct 2026"
    written = parse_markdown("A note from Jan 2025\n\nAnother, Mar 2025\n", "b.md")
    assert dump_period(written).label() == "Jan 2025 – Mar 2025"
    fronted = parse_markdown("---\ncreated: 2026-03-02\n---\n\nA note\n", "c.md")
    assert dump_period(fronted).start == dt.date(2026, 3, 2)
    assert dump_period(parse_markdown("A note\n", "d.md")) is None


def test_cli_add_then_entries_json(tmp_path: Path, keywords):
    base, later = dumps(tmp_path, "base.md", "self-1.md")
    runner = CliRunner(env=ENV)
    book = str(tmp_path / "book")
    assert runner.invoke(main, ["build", str(base), "--book", book]).exit_code == 0
    result = runner.invoke(main, ["add", str(later), "--book", book])
    assert result.exit_code == 0, result.output
    assert "11 new entries, 2 saved again" in result.output and "new section:" in result.output
    rows = [json.loads(line) for line in runner.invoke(main, ["entries", "--book", book, "--json"]).output.splitlines()]
    pongal = next(r for r in rows if r["title"].startswith("Pongal"))
    assert pongal["chapter"] == "Cooking" and pongal["section"] == "Recipes"
    again = runner.invoke(main, ["add", str(later), "--book", book])
    assert "nothing to add — already in the book" in again.output and "unchanged" in again.output
    report = json.loads(runner.invoke(main, ["add", str(later), "--book", book, "--json"]).output)
    assert report["changed"] is False


def test_installment_entry_lines_english_and_kannada():
    def entry(title, note, date, urls=()):
        return Entry("e1", title, urls, (note,), "note", (), date, "en", "Latin", (Span("a.md", 1, 2),))

    march = DateRange(dt.date(2026, 3, 1), dt.date(2026, 3, 31), "March 2026")
    lines = render_installment_entry(entry("Bokashi", "ferment food waste.", march, ("https://en.wikipedia.org/wiki/Bokashi",))).split("\\\n")
    assert lines == ['<a id="e-e1"></a>**Bokashi**', "ferment food waste; Mar 2026.", "en.wikipedia.org — <https://en.wikipedia.org/wiki/Bokashi>"]
    july = DateRange(dt.date(2026, 7, 1), dt.date(2026, 7, 31), "ಜುಲೈ 2026")
    kannada = render_installment_entry(entry("ಕನ್ನಡ ವಿಕಿಪೀಡಿಯ", "ಮೊದಲ ಲೇಖನ ಬರೆದೆ, ಜುಲೈ 2026", july))
    assert kannada.split("\\\n")[1] == "ಮೊದಲ ಲೇಖನ ಬರೆದೆ, ಜುಲೈ 2026"  # the date is already written
    assert render_installment_entry(entry("A bare note", "", None)) == '<a id="e-e1"></a>**A bare note**'


def test_an_add_that_doubles_a_chapter_says_so(built, tmp_path: Path):
    # An add never re-cuts what is placed: once installments have at least doubled a chapter (by
    # ten entries or more), the report, REVIEW.md and the README's summary line say so.
    lib, later = built
    lib.add([later])
    dishes = ["Upma", "Kesari bath", "Neer dosa", "Chitranna", "Puliyogare", "Avalakki", "Akki rotti", "Ragi mudde",
              "Pongal", "Khara bath", "Vangi bath", "Saaru", "Huli", "Majjige huli", "Kosambari", "Obbattu",
              "Mysore pak", "Bonda", "Benne dosa", "Thatte idli"]
    more = tmp_path / "self-2.md"
    more.write_text("\n\n".join(f"{d} recipe\nhttps://example.org/recipes/{k}" for k, d in enumerate(dishes)) + "\n", encoding="utf-8")
    report = lib.add([more])
    assert [g[0] for g in report.grown] == ["Cooking"] and report.grown[0][2] >= max(report.grown[0][1], 10), report.grown
    review = (lib.book_dir / "REVIEW.md").read_text(encoding="utf-8")
    assert "## Chapters grown since the book was built" in review and "[Cooking](" in review
    assert "grown since the book was built" in (lib.book_dir / "README.md").read_text(encoding="utf-8")
