"""The README's rule table is the rule registry, so every id a finding can
carry is documented (and explained by `migrator explain`)."""

from __future__ import annotations

import re
from pathlib import Path

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


def test_published_as_openclaw_migrator_with_the_migrator_command(tmp_path: Path) -> None:
    import tomllib

    from conftest import run_cli

    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["name"] == "openclaw-migrator"  # `migrator` on PyPI is another project
    # The entry tunes the process (the collector) and runs the click group.
    assert project["scripts"] == {"migrator": "migrator.cli:entry"}
    for doc in ("README.md", "MIGRATION.md", ".pre-commit-hooks.yaml"):
        text = (REPO / doc).read_text("utf-8")
        assert not re.search(r"pip install migrator\b", text), doc
    readme = (REPO / "README.md").read_text("utf-8")
    assert readme.splitlines()[3] == "pip install . && migrator scan fixtures/demo"
    assert "      - run: pip install openclaw-migrator\n" in readme
    assert "pip install openclaw-migrator" in (REPO / "MIGRATION.md").read_text("utf-8")
    version = run_cli("--version", cwd=tmp_path)
    assert version.returncode == 0
    assert version.stdout.startswith("openclaw-migrator ")
