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
