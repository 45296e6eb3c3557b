from pathlib import Path

import pytest

from selfbook.errors import ConfigError
from selfbook.library import now_iso
from selfbook.settings import Settings, load_settings, today


def test_defaults():
    assert load_settings(env={}) == Settings()


def test_precedence_flags_over_env_over_file(tmp_path: Path):
    (tmp_path / ".selfbook").mkdir()
    (tmp_path / ".selfbook" / "config.toml").write_text('embedder = "hashing"\nseed = 3\ntitle = "File"\n')
    s = load_settings(tmp_path, env={"SELFBOOK_SEED": "5"}, title="Flag")
    assert (s.embedder, s.seed, s.title) == ("hashing", 5, "Flag")


def test_unknown_key_in_config_names_the_file(tmp_path: Path):
    (tmp_path / ".selfbook").mkdir()
    (tmp_path / ".selfbook" / "config.toml").write_text("colour = 1\n")
    with pytest.raises(ConfigError, match="config.toml: unknown setting 'colour'"):
        load_settings(tmp_path, env={})


def test_bad_integer_names_the_variable():
    with pytest.raises(ConfigError, match="SELFBOOK_SEED"):
        load_settings(env={"SELFBOOK_SEED": "many"})


def test_source_date_epoch():
    assert today({"SOURCE_DATE_EPOCH": "0"}).isoformat() == "1970-01-01"
    assert now_iso({"SOURCE_DATE_EPOCH": "1780272000"}) == "2026-06-01T00:00:00+00:00"


@pytest.mark.parametrize("read", [today, now_iso], ids=["today", "now_iso"])
def test_a_bad_source_date_epoch_is_refused_by_every_reader(read):
    """The book's dates and the times of decisions read SOURCE_DATE_EPOCH by one rule."""
    with pytest.raises(ConfigError, match="SOURCE_DATE_EPOCH must be a Unix time in seconds, not 'yesterday'"):
        read({"SOURCE_DATE_EPOCH": "yesterday"})
