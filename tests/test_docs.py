"""The README's rule table is the rule registry, so every id a finding can
carry is documented (and explained by `migrator explain`)."""

from __future__ import annotations

import re

from conftest import REPO
from migrator.rules import all_rules


def test_readme_lists_every_rule_of_the_registry() -> None:
    text = (REPO / "README.md").read_text("utf-8")
    block = text.split("<!-- rules-table:", 1)[1].split("\n\n", 1)[0]
    listed = re.findall(r"^\| `([^`]+)` \| (.*) \|$", block, re.M)
    assert listed == [(r.name, r.summary.replace("|", "\\|")) for r in all_rules()]


def test_readme_documents_every_config_key() -> None:
    from migrator.config import CONFIG_KEYS

    text = (REPO / "README.md").read_text("utf-8")
    table = text.split("| key | type | default | what it does |", 1)[1].split("\n\n", 1)[0]
    keys = {k.strip("[]").removeprefix("tool.migrator.") for k in re.findall(r"^\| `([^`]+)` \|", table, re.M)}
    assert keys == CONFIG_KEYS
