"""Writing the book's files so that a crash leaves it as it was or as it should be, never between.

The protocol, driven by the library::

    staged = stage(book, files, txid)   # 1. every new file written under .selfbook/staging/<txid>/
                                        #    and a journal .selfbook/journal-<txid>.json
    store.commit(txid)                  # 2. the store records the transaction (the decision point)
    staged.apply()                      # 3. files moved into place, obsolete ones removed,
                                        #    the manifest rewritten, staging and journal removed

and, whenever a book is opened, :func:`recover` looks for leftover journals: a transaction the store
says committed is rolled forward (``apply`` again, which finishes whatever was left), any other is
discarded. Before step 2 the book folder itself has not been touched.

What selfbook may touch
-----------------------
``.selfbook/manifest.json`` lists every file selfbook wrote, with the SHA-256 of what it wrote.
Only those files are ever overwritten or removed, and only while they still hold what selfbook wrote:

- a file we want to write that exists and is not in the manifest is the user's: :func:`stage`
  raises :class:`BookError` naming it, before anything is written;
- a file of ours that the user has edited since is not overwritten either (same error);
- a user's file that already holds exactly what selfbook would write is left as it is and stays
  out of the manifest: selfbook never claims a file it did not write;
- a file of ours that the new book no longer has is removed, unless the user edited it: then it is
  left alone, dropped from the manifest (it is the user's now) and reported in ``kept``.

Files whose content is unchanged are not rewritten, so their modification times stay.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import regex

from selfbook.errors import BookError

__all__ = ["STATE_DIR", "Staged", "WriteResult", "discard", "recover", "stage"]

log = logging.getLogger(__name__)

STATE_DIR = ".selfbook"
MANIFEST = "manifest.json"
STAGING = "staging"
MANIFEST_VERSION = 1
_TXID = regex.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class WriteResult:
    """What a write did, by path relative to the book folder, each tuple sorted."""

    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]
    kept: tuple[str, ...] = ()
    """Files selfbook wrote before, no longer in the book, left in place because the user edited them."""


# -- small file helpers --------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str | None:
    """The file's hash, or None when there is no file there."""
    try:
        with open(path, "rb") as fh:
            digest = hashlib.sha256()
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
            return digest.hexdigest()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        return "<directory>"


def _fsync_dir(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_durably(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary sibling, then rename over ``path``: readers see old or new, never half."""
    tmp = path.with_name(path.name + ".tmp")
    _write_durably(tmp, data)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _json_bytes(data: object) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


# -- paths ---------------------------------------------------------------------------------------


def _state(book_dir: Path) -> Path:
    return book_dir / STATE_DIR


def _journal_path(book_dir: Path, txid: str) -> Path:
    return _state(book_dir) / f"journal-{txid}.json"


def _staging_dir(book_dir: Path, txid: str) -> Path:
    return _state(book_dir) / STAGING / txid


def _check_txid(txid: str) -> None:
    if not _TXID.match(txid):
        raise ValueError(f"transaction id {txid!r} must be letters, digits, '_', '.' or '-'")


def _check_relpath(rel: str) -> None:
    """Book paths are relative POSIX paths inside the book folder and outside .selfbook/."""
    pure = PurePosixPath(rel)
    bad = (
        not rel
        or "\\" in rel
        or "\x00" in rel
        or pure.is_absolute()
        or any(part in ("", ".", "..") for part in rel.split("/"))
        or pure.parts[0] == STATE_DIR
    )
    if bad:
        raise ValueError(f"{rel!r} is not a path selfbook may write inside a book folder")


# -- manifest ------------------------------------------------------------------------------------


def load_manifest(book_dir: Path) -> dict[str, str]:
    """The files selfbook wrote last time: relative path → SHA-256 of what it wrote."""
    path = _state(book_dir) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise BookError(
            f"{path}: cannot read the list of files selfbook wrote ({exc}) — restore it from a backup, "
            "or move the book's markdown files away and delete it to rebuild from scratch"
        ) from exc
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        raise BookError(f"{path}: not a selfbook manifest — restore it, or move the book's markdown files away and delete it")
    return {str(k): str(v) for k, v in files.items()}


def _save_manifest(book_dir: Path, files: Mapping[str, str]) -> None:
    data = {"version": MANIFEST_VERSION, "files": dict(sorted(files.items()))}
    _write_atomically(_state(book_dir) / MANIFEST, _json_bytes(data))


# -- stage / apply / discard / recover -----------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """A journal's content: what to put in place, what to remove, and the manifest to leave."""

    txid: str
    write: dict[str, str]  # path -> sha256 of the new content (staged)
    before: dict[str, str | None]  # path -> sha256 of what is there now (None: nothing)
    remove: dict[str, str]  # path -> sha256 selfbook wrote there last time
    unchanged: tuple[str, ...]
    kept: tuple[str, ...]
    manifest: dict[str, str]

    def to_json(self) -> dict:
        return {
            "txid": self.txid,
            "write": self.write,
            "before": self.before,
            "remove": self.remove,
            "unchanged": list(self.unchanged),
            "kept": list(self.kept),
            "manifest": self.manifest,
        }

    @classmethod
    def from_json(cls, data: dict) -> _Plan:
        return cls(
            txid=data["txid"],
            write=dict(data["write"]),
            before=dict(data["before"]),
            remove=dict(data["remove"]),
            unchanged=tuple(data["unchanged"]),
            kept=tuple(data["kept"]),
            manifest=dict(data["manifest"]),
        )


@dataclass(frozen=True)
class Staged:
    """A staged write, ready to be applied once the store has committed ``txid``."""

    book_dir: Path
    txid: str
    plan: _Plan = field(repr=False)

    def apply(self) -> WriteResult:
        """Put the staged files in place, remove obsolete ones, write the manifest, clean up.

        Idempotent: applied again after a crash part-way (or after success), it finishes the job.
        Before moving anything it checks that no file changed under it since :func:`stage`; if one
        did, it raises :class:`BookError` with the book untouched.
        """
        book, staging = self.book_dir, _staging_dir(self.book_dir, self.txid)
        self._check_targets(staging)
        for rel, sha in sorted(self.plan.write.items()):
            source, target = staging / rel, book / rel
            if source.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
                _fsync_dir(target.parent)
            elif _file_sha256(target) != sha:
                raise BookError(f"{target}: its staged copy is gone — run the build again to rewrite the book")
        removed = []
        for rel, sha in sorted(self.plan.remove.items()):
            target = book / rel
            current = _file_sha256(target)
            if current == sha:
                target.unlink()
                _fsync_dir(target.parent)
            if current in (sha, None):
                removed.append(rel)
        _save_manifest(book, self.plan.manifest)
        shutil.rmtree(staging, ignore_errors=True)
        _journal_path(book, self.txid).unlink(missing_ok=True)
        _fsync_dir(_state(book))
        log.debug("applied %s: %d written, %d removed", self.txid, len(self.plan.write), len(removed))
        return WriteResult(
            written=tuple(sorted(self.plan.write)),
            unchanged=self.plan.unchanged,
            removed=tuple(removed),
            kept=self.plan.kept,
        )

    def _check_targets(self, staging: Path) -> None:
        for rel, sha in sorted(self.plan.write.items()):
            current = _file_sha256(self.book_dir / rel)
            done = not (staging / rel).exists() and current == sha
            if not done and current not in (self.plan.before.get(rel), sha):
                raise BookError(
                    f"{self.book_dir / rel}: changed while the book was being written — "
                    "move your file elsewhere and run the build again"
                )


def _plan(book_dir: Path, files: Mapping[str, bytes], txid: str) -> _Plan:
    old = load_manifest(book_dir)
    write, before, unchanged, manifest = {}, {}, [], {}
    for rel, data in sorted(files.items()):
        sha = _sha256(data)
        target = book_dir / rel
        current = _file_sha256(target)
        if current == sha:
            unchanged.append(rel)
            if rel in old:  # a user's file that happens to match stays the user's
                manifest[rel] = sha
            continue
        manifest[rel] = sha
        if current == "<directory>":
            raise BookError(f"{target}: is a folder where selfbook writes a file — move it elsewhere and build again")
        if current is not None and rel not in old:
            raise BookError(
                f"{target}: exists and selfbook did not write it — move or rename your file, then build again"
            )
        if current is not None and old[rel] != current:
            raise BookError(
                f"{target}: you edited this file since selfbook wrote it — "
                "copy your changes elsewhere and delete the file, then build again"
            )
        write[rel], before[rel] = sha, current
    remove, kept = {}, []
    for rel, sha in sorted(old.items()):
        if rel in files:
            continue
        current = _file_sha256(book_dir / rel)
        if current is None or current == sha:
            remove[rel] = sha
        else:
            log.warning("%s: no longer part of the book but edited since selfbook wrote it; left in place", rel)
            kept.append(rel)
    return _Plan(txid, write, before, remove, tuple(unchanged), tuple(kept), manifest)


def stage(book_dir: Path, files: Mapping[str, str | bytes], txid: str) -> Staged:
    """Write every changed file to ``.selfbook/staging/<txid>/`` and a journal describing the write.

    ``files`` maps paths relative to the book folder to their text (written as UTF-8, byte for
    byte) or, for pictures, their bytes. Nothing in the book folder itself is touched. Raises
    :class:`BookError` naming the file when one of the user's files is in the way (see the
    module docstring).
    """
    book_dir = Path(book_dir)
    _check_txid(txid)
    for rel in files:
        _check_relpath(rel)
    data = {rel: text if isinstance(text, bytes) else text.encode("utf-8") for rel, text in files.items()}
    plan = _plan(book_dir, data, txid)
    staging = _staging_dir(book_dir, txid)
    if staging.exists():
        shutil.rmtree(staging)
    for rel in plan.write:
        _write_durably(staging / rel, data[rel])
    staging.mkdir(parents=True, exist_ok=True)
    for folder in sorted({(staging / rel).parent for rel in plan.write} | {staging, staging.parent}):
        _fsync_dir(folder)
    _write_atomically(_journal_path(book_dir, txid), _json_bytes(plan.to_json()))
    return Staged(book_dir, txid, plan)


def discard(book_dir: Path, txid: str) -> None:
    """Forget a staged write: the journal first (the decision), then the staged files."""
    book_dir = Path(book_dir)
    _check_txid(txid)
    _journal_path(book_dir, txid).unlink(missing_ok=True)
    _fsync_dir(_state(book_dir))
    shutil.rmtree(_staging_dir(book_dir, txid), ignore_errors=True)


def _load_staged(book_dir: Path, journal: Path) -> Staged:
    try:
        plan = _Plan.from_json(json.loads(journal.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BookError(f"{journal}: unreadable journal of a committed write ({exc}) — run the build again") from exc
    return Staged(book_dir, plan.txid, plan)


def recover(book_dir: Path, committed: Callable[[str], bool]) -> None:
    """Finish or forget writes a crash interrupted: roll forward every journal whose transaction
    the store committed (``committed(txid)``), discard the others and any orphaned staging."""
    book_dir = Path(book_dir)
    state = _state(book_dir)
    if not state.is_dir():
        return
    for journal in sorted(state.glob("journal-*.json")):
        txid = journal.name.removeprefix("journal-").removesuffix(".json")
        if not _TXID.match(txid):
            continue
        if committed(txid):
            log.info("finishing the interrupted write %s", txid)
            _load_staged(book_dir, journal).apply()
        else:
            log.info("discarding the uncommitted write %s", txid)
            discard(book_dir, txid)
    for leftover in sorted(state.glob("journal-*.json.tmp")):
        leftover.unlink(missing_ok=True)
    staging_root = state / STAGING
    if staging_root.is_dir():
        for orphan in sorted(staging_root.iterdir()):
            if not _journal_path(book_dir, orphan.name).exists():
                shutil.rmtree(orphan, ignore_errors=True)
