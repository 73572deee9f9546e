"""The manifest: the rename as validated data, and versions compared right."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from migrator.errors import ConfigError
from migrator.manifest import load_manifest, parse_version

REPO = Path(__file__).resolve().parents[2]
BUILTIN = REPO / "migrator" / "renames" / "session_status.toml"


def test_builtin_manifest_is_the_session_status_rename() -> None:
    m = load_manifest()
    assert dict(m.vocabulary.old_to_new) == {
        "failed": "interrupted",
        "timeout": "waiting_for_response",
        "done": "agent_responded",
        "killed": "halted",
    }
    assert m.vocabulary.unchanged == ("queued", "running")
    assert "queued" not in m.python.foreign_words
    sqlite = next(s for s in m.stores if s.format == "sqlite")
    assert sqlite.absent_from_columns == ("queued",)
    assert m.capability == "session-status-v2"
    assert str(m.schedule.introduced) == "2027.1.0"
    assert str(m.schedule.sunset) == "2027.4.0"


def test_rename_is_a_bijection_and_round_trips() -> None:
    vocab = load_manifest().vocabulary
    for old in vocab.old:
        assert vocab.to_old(vocab.to_new(old)) == old
    assert not (vocab.new & vocab.old)
    assert not (vocab.new & set(vocab.unchanged))


@pytest.mark.parametrize(
    "ordered",
    [
        ["2026.4.7", "2026.4.7-1", "2026.4.12-beta.1", "2026.4.12", "2026.9.6", "2026.10.1", "2027.1.0-alpha.2", "2027.1.0"],
    ],
)
def test_openclaw_calver_orders_by_version_not_text(ordered: list[str]) -> None:
    shuffled = list(reversed(ordered))
    assert sorted(shuffled, key=parse_version) == ordered
    # as text, 2026.10.1 would sort before 2026.9.6
    assert sorted(["2026.9.6", "2026.10.1"]) == ["2026.10.1", "2026.9.6"]


def test_build_metadata_and_v_prefix_parse() -> None:
    assert parse_version("2026.9.6-release-eb377ac59e6c-2026-09-23T16-33-12.144Z") == parse_version("2026.9.6")
    assert parse_version("v2026.9.6") == parse_version("2026.9.6")
    with pytest.raises(ValueError, match="not an OpenClaw version"):
        parse_version("dev")


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = BUILTIN.read_text("utf-8")
    assert old in text
    path = tmp_path / "manifest.toml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('timeout = "waiting_for_response"', 'timeout = "interrupted"', r"not a bijection"),
        ('done = "agent_responded"', 'done = "failed"', r"values\.done.*also an old name"),
        ('killed = "halted"', 'killed = "running"', r"values\.killed.*collides"),
        ('sunset = "2027.4.0"', 'sunset = "2026.12.0"', r"schedule\.sunset"),
        ('introduced = "2027.1.0"', 'introduced = "soon"', r"schedule\.introduced"),
        ("sunset-date = 2027-04-15", 'sunset-date = "someday"', r"schedule\.sunset-date"),
        ('[capability]\nname = "session-status-v2"', "[capability]", r"missing key 'name'"),
        ('absent-from-columns = ["queued"]', 'absent-from-columns = ["paused"]', r"absent-from-columns.*outside"),
        ('values = ["queued", "running"]', 'values = ["queued", "running", "ok"]', r"foreign-words.*vocabulary"),
    ],
)
def test_bad_manifest_names_the_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_manifest(_broken(tmp_path, old, new))
    assert "manifest.toml" in str(info.value)
    assert "\n" not in str(info.value)


def test_manifest_that_is_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text("values = [", "utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_manifest(path)


def test_migration_guide_table_matches_manifest() -> None:
    m = load_manifest()
    text = (REPO / "MIGRATION.md").read_text("utf-8")
    block = text.split("<!-- rename-table")[1].split("<!-- end rename-table")[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| `([a-z_]+)`", block, re.M)
    expected = [(old, new) for old, new in m.vocabulary.old_to_new.items()]
    expected += [(v, v) for v in m.vocabulary.unchanged]
    assert rows == expected
    schedule = text.split("<!-- schedule")[1].split("<!-- end schedule")[0]
    assert f"**{m.schedule.introduced_text}**" in schedule
    assert f"**{m.schedule.sunset_text}**" in schedule
    assert f"`{m.capability}`" in schedule
