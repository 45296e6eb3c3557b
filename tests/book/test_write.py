"""Writing the book safely: stage → (store commits) → apply, recovery after a crash, user files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from selfbook.book import WriteResult, discard, recover, stage
from selfbook.book.write import load_manifest
from selfbook.errors import BookError

OLD_TIME = 1_000_000_000  # 2001: any mtime a rewrite would change

V1 = {"README.md": "# Book\n", "01-ml.md": "# ML\n", "02-ಕನ್ನಡ.md": "# ಕನ್ನಡ\n", "INDEX.md": "# Index\n"}
V2 = {"README.md": "# Book, again\n", "01-ml.md": "# ML\n", "03-new.md": "# New\n", "INDEX.md": "# Index\n"}


def snapshot(book: Path) -> dict[str, bytes]:
    """Every file of the book folder except selfbook's state, by relative path."""
    return {
        p.relative_to(book).as_posix(): p.read_bytes()
        for p in sorted(book.rglob("*"))
        if p.is_file() and ".selfbook" not in p.relative_to(book).parts
    }


def leftovers(book: Path) -> list[str]:
    state = book / ".selfbook"
    journals = [p.name for p in state.glob("journal-*")]
    staging = [p.name for p in (state / "staging").iterdir()] if (state / "staging").is_dir() else []
    return journals + staging


def write(book: Path, files: dict[str, str], txid: str) -> WriteResult:
    return stage(book, files, txid).apply()


def as_bytes(files: dict[str, str]) -> dict[str, bytes]:
    return {k: v.encode("utf-8") for k, v in files.items()}


def test_first_write_puts_every_file_and_a_manifest(tmp_path: Path) -> None:
    result = write(tmp_path, V1, "t1")
    assert result == WriteResult(written=tuple(sorted(V1)), unchanged=(), removed=())
    assert snapshot(tmp_path) == as_bytes(V1)
    assert set(load_manifest(tmp_path)) == set(V1)
    assert leftovers(tmp_path) == []


def test_text_is_written_byte_for_byte(tmp_path: Path) -> None:
    write(tmp_path, {"a.md": "line\nಕನ್ನಡ\n"}, "t1")
    assert (tmp_path / "a.md").read_bytes() == "line\nಕನ್ನಡ\n".encode("utf-8")


def test_unchanged_files_are_not_rewritten(tmp_path: Path) -> None:
    write(tmp_path, V1, "t1")
    for name in V1:
        os.utime(tmp_path / name, (OLD_TIME, OLD_TIME))
    result = write(tmp_path, V1, "t2")
    assert result.written == () and result.unchanged == tuple(sorted(V1))
    assert all((tmp_path / n).stat().st_mtime == OLD_TIME for n in V1)


def test_changes_write_only_what_changed_and_remove_what_we_wrote(tmp_path: Path) -> None:
    write(tmp_path, V1, "t1")
    (tmp_path / "my-notes.txt").write_text("mine\n")
    (tmp_path / "01-ml.md").touch()
    os.utime(tmp_path / "01-ml.md", (OLD_TIME, OLD_TIME))
    result = write(tmp_path, V2, "t2")
    assert result.written == ("03-new.md", "README.md")
    assert result.unchanged == ("01-ml.md", "INDEX.md")
    assert result.removed == ("02-ಕನ್ನಡ.md",)
    assert (tmp_path / "01-ml.md").stat().st_mtime == OLD_TIME
    assert snapshot(tmp_path) == as_bytes(V2) | {"my-notes.txt": b"mine\n"}
    assert set(load_manifest(tmp_path)) == set(V2)


def test_user_file_in_the_way_is_never_clobbered(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("my own readme\n")
    with pytest.raises(BookError, match=r"README\.md.*selfbook did not write it.*move or rename"):
        stage(tmp_path, V1, "t1")
    assert (tmp_path / "README.md").read_text() == "my own readme\n"
    assert snapshot(tmp_path) == {"README.md": b"my own readme\n"}
    assert not (tmp_path / ".selfbook").exists() or leftovers(tmp_path) == []


def test_folder_in_the_way_is_reported(tmp_path: Path) -> None:
    (tmp_path / "INDEX.md").mkdir()
    with pytest.raises(BookError, match=r"INDEX\.md: is a folder"):
        stage(tmp_path, V1, "t1")


def test_a_file_the_user_edited_is_not_overwritten(tmp_path: Path) -> None:
    write(tmp_path, V1, "t1")
    (tmp_path / "README.md").write_text("# Book\nmy edits\n")
    with pytest.raises(BookError, match=r"README\.md: you edited this file"):
        stage(tmp_path, V2, "t2")
    assert (tmp_path / "README.md").read_text() == "# Book\nmy edits\n"


def test_an_edited_obsolete_file_is_kept_and_becomes_the_users(tmp_path: Path) -> None:
    write(tmp_path, V1, "t1")
    (tmp_path / "02-ಕನ್ನಡ.md").write_text("# ಕನ್ನಡ\nನನ್ನ ಟಿಪ್ಪಣಿ\n")
    result = write(tmp_path, V2, "t2")
    assert result.removed == () and result.kept == ("02-ಕನ್ನಡ.md",)
    assert (tmp_path / "02-ಕನ್ನಡ.md").exists()
    assert "02-ಕನ್ನಡ.md" not in load_manifest(tmp_path)


def test_a_file_we_wrote_that_the_user_deleted_is_written_again(tmp_path: Path) -> None:
    write(tmp_path, V1, "t1")
    (tmp_path / "INDEX.md").unlink()
    assert write(tmp_path, V1, "t2").written == ("INDEX.md",)


def test_stage_alone_leaves_the_book_untouched(tmp_path: Path) -> None:
    write(tmp_path, V1, "t1")
    before = snapshot(tmp_path)
    stage(tmp_path, V2, "t2")
    assert snapshot(tmp_path) == before
    journal = json.loads((tmp_path / ".selfbook" / "journal-t2.json").read_text())
    assert sorted(journal["write"]) == ["03-new.md", "README.md"]
    assert sorted(journal["remove"]) == ["02-ಕನ್ನಡ.md"]


def test_crash_before_commit_rolls_back(tmp_path: Path) -> None:
    write(tmp_path, V1, "t1")
    before = snapshot(tmp_path)
    stage(tmp_path, V2, "t2")  # ... and the process dies before the store commits t2
    recover(tmp_path, committed=lambda txid: False)
    assert snapshot(tmp_path) == before
    assert leftovers(tmp_path) == []
    assert set(load_manifest(tmp_path)) == set(V1)


def test_crash_after_commit_rolls_forward(tmp_path: Path) -> None:
    write(tmp_path, V1, "t1")
    stage(tmp_path, V2, "t2")  # the store commits t2, then the process dies before apply
    recover(tmp_path, committed=lambda txid: txid == "t2")
    assert snapshot(tmp_path) == as_bytes(V2)
    assert leftovers(tmp_path) == []
    assert set(load_manifest(tmp_path)) == set(V2)


def test_crash_in_the_middle_of_apply_is_finished_by_recover(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, V1, "t1")
    staged = stage(tmp_path, V2, "t2")
    real_replace, calls = os.replace, []

    def dies_on_second_move(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("power cut")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", dies_on_second_move)
    with pytest.raises(OSError, match="power cut"):
        staged.apply()
    monkeypatch.setattr(os, "replace", real_replace)
    assert snapshot(tmp_path) != as_bytes(V2)  # half-way: what recover must finish
    recover(tmp_path, committed=lambda txid: True)
    assert snapshot(tmp_path) == as_bytes(V2)
    assert leftovers(tmp_path) == []


def test_apply_is_idempotent(tmp_path: Path) -> None:
    write(tmp_path, V1, "t1")
    staged = stage(tmp_path, V2, "t2")
    first = staged.apply()
    assert staged.apply() == first
    assert snapshot(tmp_path) == as_bytes(V2)


def test_apply_refuses_a_file_created_after_staging(tmp_path: Path) -> None:
    staged = stage(tmp_path, V1, "t1")
    (tmp_path / "01-ml.md").write_text("written by someone else meanwhile\n")
    with pytest.raises(BookError, match=r"01-ml\.md: changed while"):
        staged.apply()
    assert snapshot(tmp_path) == {"01-ml.md": b"written by someone else meanwhile\n"}


def test_discard_forgets_a_staged_write(tmp_path: Path) -> None:
    stage(tmp_path, V1, "t1")
    discard(tmp_path, "t1")
    assert snapshot(tmp_path) == {} and leftovers(tmp_path) == []


def test_recover_removes_orphaned_staging(tmp_path: Path) -> None:
    orphan = tmp_path / ".selfbook" / "staging" / "t9"
    orphan.mkdir(parents=True)
    (orphan / "README.md").write_text("half-staged\n")
    recover(tmp_path, committed=lambda txid: True)
    assert leftovers(tmp_path) == []


def test_recover_on_a_folder_without_state_does_nothing(tmp_path: Path) -> None:
    recover(tmp_path, committed=lambda txid: True)
    assert list(tmp_path.iterdir()) == []


def test_nested_paths_are_written_and_removed(tmp_path: Path) -> None:
    write(tmp_path, {"README.md": "x\n", "assets/a.md": "a\n"}, "t1")
    assert (tmp_path / "assets" / "a.md").read_text() == "a\n"
    assert write(tmp_path, {"README.md": "x\n"}, "t2").removed == ("assets/a.md",)


@pytest.mark.parametrize("bad", ["../escape.md", "/abs.md", ".selfbook/manifest.json", "a/../b.md", "", "a\\b.md"])
def test_paths_outside_the_book_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        stage(tmp_path, {bad: "x"}, "t1")


def test_bad_transaction_ids_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        stage(tmp_path, V1, "../t")


def test_a_corrupt_manifest_is_an_error_not_a_guess(tmp_path: Path) -> None:
    write(tmp_path, V1, "t1")
    (tmp_path / ".selfbook" / "manifest.json").write_text("{not json")
    with pytest.raises(BookError, match="manifest.json"):
        stage(tmp_path, V2, "t2")


def test_a_user_file_that_matches_is_left_alone_and_not_claimed(tmp_path: Path) -> None:
    (tmp_path / "INDEX.md").write_text(V1["INDEX.md"])
    result = write(tmp_path, V1, "t1")
    assert "INDEX.md" in result.unchanged
    assert "INDEX.md" not in load_manifest(tmp_path)
    write(tmp_path, {"README.md": "# Book\n"}, "t2")
    assert (tmp_path / "INDEX.md").exists()  # never removed: selfbook did not write it
