"""One home for the old-value byte patterns (the vocabulary's ``pattern``),
and the bug it fixed: a data file whose only old value is escaped JSON
(``"\\u0064one"``) was skipped by the data engine's prefilter."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator import load_options, run
from migrator.manifest import load_manifest

VOCAB = load_manifest().vocabulary


@pytest.mark.parametrize("syntax, text, found", [
    ("json", b'{"status": "\\u0064one"}', True),
    ("json", b'{"status": "\\u0044one"}', False),  # "Done": not an old value
    ("json", b'{"status": "don"}', False),
    ("json", b'{"status": "d\\u006FNE"}', False),
    ("json-unescaped", b'{"status":"failed"}', True),
    ("json-unescaped", b'{"status":"\\u0066ailed"}', False),
    ("yaml", b"status: \\x6billed", True),
    ("yaml", b"status: killed\n", True),
    ("toml", b'status = "\\U00000074imeout"', True),
    ("python", b'if s == "done":', True),
    ("python", b'if s == "undone":', False),
    ("prose", b"when a worker is undone", True),
])
def test_each_syntax_spells_the_old_values_its_way(syntax: str, text: bytes, found: bool) -> None:
    assert (VOCAB.pattern(syntax).search(text) is not None) is found  # type: ignore[arg-type]


def test_an_escaped_old_value_in_a_data_file_is_a_finding(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "last.json").write_text('{"status": "\\u0064one", "note": "kept"}\n')
    (tmp_path / "pyproject.toml").write_text(
        '[tool.migrator]\n[[tool.migrator.data]]\npaths = ["exports/*.json"]\npointers = ["/status"]\n')
    outcome = run(load_options([str(tmp_path)], cwd=tmp_path, phase="contract", use_cache=False))
    assert [(f.line, f.old, f.new, f.action) for f in outcome.findings] == [(1, "done", "agent_responded", "rewrite")]
    assert outcome.results[0].updated == b'{"status": "agent_responded", "note": "kept"}\n'


@pytest.mark.parametrize("text", [
    b'if s == "done":', b"if s == 'done':", b'x = """done"""', b'r"failed"', b"b'killed'",
    b'"undone"', b'"done ', b' done"', b'"done', b'done"', b'"Done"', b"", b'"', b'""',
    b'"timeout\'', b'x = "doneXfailed" or "timeou"', b"'timeout'\n", b'"don"e"', b'fails "failed"x',
    b'prefix "killed"', b'"done""done"', b"done 'done",
])
def test_the_quoted_literal_test_finds_what_the_pattern_finds(text: bytes) -> None:
    # The prefilter asks by substring search: it must agree with the pattern
    # the sites use, byte for byte, on a match at the edges of the data too.
    assert VOCAB.quoted_in(text) is (VOCAB.pattern("python-literal").search(text) is not None)


def test_the_quoted_literal_test_agrees_with_the_pattern_on_every_nearby_spelling() -> None:
    # Every placement of an old word and its neighbours among quotes and
    # letters, within four bytes either side.
    alphabet = [b'"', b"'", b"x", b" "]
    for word in (b"done", b"timeout"):
        for left in (a + b for a in alphabet for b in alphabet):
            for right in (a + b for a in alphabet for b in alphabet):
                text = left + word + right
                assert VOCAB.quoted_in(text) is (VOCAB.pattern("python-literal").search(text) is not None), text
