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


def test_each_candidate_is_read_on_the_stdlib_ast_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The site test and the validating helpers read a module on the stdlib
    ast in each pass of the gathering: one tree per module serves them all."""
    import ast

    from codemods import sites

    root = _tree(tmp_path)
    for n in range(12):  # more modules than a few trees kept at a time
        (root / "crew" / f"probe{n}.py").write_text(
            "import json\n\n\ndef ended(path):\n"
            f"    rows = json.load(open(path / 'sessions.json'))\n"
            f"    return [k for k, r in rows.items() if r.get('status') == 'failed' and {n} >= 0]\n", "utf-8")
    monkeypatch.chdir(root)
    parsed: Counter[bytes] = Counter()

    class Counting:
        def __getattr__(self, name: str) -> object:
            return getattr(ast, name)

        @staticmethod
        def parse(source: bytes) -> ast.Module:
            parsed[source] += 1
            return ast.parse(source)

    monkeypatch.setattr(sites, "ast", Counting())
    sites._TREES.clear()
    session_status._PARSED.clear()
    done = CliRunner().invoke(main, ["scan", ".", "--no-cache", "-j", "1"])
    assert done.exit_code == 1, done.output
    assert (root / "crew" / "rows.py").read_bytes() in parsed
    assert sorted(parsed.values()) == [1] * len(parsed)
