"""The README's map of the package stays true: every path it names exists."""

from __future__ import annotations

import re

from conftest import REPO


def test_every_path_the_package_map_names_exists() -> None:
    text = (REPO / "README.md").read_text("utf-8")
    section = text.split("## Where things live", 1)[1].split("\n## ", 1)[0]
    paths = re.findall(r"`((?:migrator|codemods)/[^`]+)`", section)
    assert len(paths) >= 15
    missing = [p for p in paths if not (REPO / p).exists()]
    assert missing == []


def test_the_core_reaches_the_codemods_only_through_the_python_engine() -> None:
    """`codemods` depends on the core; the core reaches back only through
    the engine that runs it (migrator/engines/python.py), so a newcomer
    finds that seam in one file."""
    importing = re.compile(r"^\s*(?:from|import)\s+codemods\b", re.MULTILINE)
    found = sorted(
        str(path.relative_to(REPO))
        for path in (REPO / "migrator").rglob("*.py")
        if importing.search(path.read_text("utf-8"))
    )
    assert found == ["migrator/engines/python.py"]
