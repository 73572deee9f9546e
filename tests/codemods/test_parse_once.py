"""A module is parsed once per run. Its exports are asked for in several
rounds (before and after what its callers pass is known), then its findings:
each used to parse it, visit it and lay out its positions again, which on a
large OpenClaw-facing module was most of a scan. The facts a resolver extends
(the tests its validating helpers make) stay its own."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import libcst
import pytest
from click.testing import CliRunner

from codemods import session_status
from migrator.cli import main
from tests.codemods.test_flow_across_modules import _tree


def test_each_module_is_parsed_once_and_reports_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path)
    monkeypatch.chdir(root)
    runner = CliRunner()
    first = runner.invoke(main, ["scan", ".", "--no-cache", "-j", "1"])
    parsed: Counter[bytes] = Counter()
    real = libcst.parse_module

    def counting(source: str | bytes, *args: object, **kwargs: object) -> libcst.Module:
        parsed[source if isinstance(source, bytes) else source.encode()] += 1
        return real(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(libcst, "parse_module", counting)
    session_status._PARSED.clear()
    again = runner.invoke(main, ["scan", ".", "--no-cache", "-j", "1"])
    assert (again.exit_code, again.output) == (first.exit_code, first.output)
    assert again.exit_code == 1 and "5 findings: 3 to rewrite, 2 to review" in again.output
    # The modules with findings, and those whose exports they need.
    assert (root / "crew" / "rows.py").read_bytes() in parsed
    assert (root / "crew" / "gateway.py").read_bytes() in parsed
    assert sorted(parsed.values()) == [1] * len(parsed)
