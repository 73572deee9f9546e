"""Fenced code in prompts takes the engines' own paths: a ```json block goes
through the data engine's :func:`migrate_text`, a ```python block through
the Python engine's ``rewrite_source``; what they find and say matches a file."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from migrator.config import Options, TextOptions, load_options
from migrator.engines.data import Migrated, migrate_text
from migrator.engines.prompts import analyse
from migrator.engines.prose import ProseRules
from migrator.findings import Problem
from migrator.pointers import PointerPattern
from tests.conftest import run_cli

TOOL = "Call `sessions_list` to see your workers.\n\n"
MAPPING = {"done": "agent_responded", "failed": "interrupted", "killed": "halted", "timeout": "waiting_for_response"}


def _options(tmp_path: Path, phase: str = "contract", name_both: bool = False) -> Options:
    options = load_options([str(tmp_path)], phase=phase, cwd=tmp_path)
    return replace(options, text=TextOptions((), name_both))


def _analyse(text: str, options: Options):  # type: ignore[no-untyped-def]
    return analyse(text, "P.md", options, ProseRules(options.manifest, options.markers))


def test_migrate_text_is_the_data_engines_answer_for_a_piece_of_text() -> None:
    patterns = [PointerPattern.parse("/*/status")]
    migrated = migrate_text('\ufeff{"a": {"status": "done"}}\n', "json", patterns, MAPPING, store=True)
    assert isinstance(migrated, Migrated)
    assert migrated.text == '\ufeff{"a": {"status": "agent_responded"}}\n'  # the byte-order mark kept
    assert [(e.pointer, e.line, e.column, e.old, e.new) for e in migrated.edits] == [
        ("/a/status", 1, 18, "done", "agent_responded")]
    assert migrated.patch == [{"op": "test", "path": "/a/status", "value": "done"},
                              {"op": "replace", "path": "/a/status", "value": "agent_responded"}]
    assert migrate_text('[{"status": "done"}]', "json", patterns, MAPPING, store=True) == Problem(
        "not-a-store", "not an OpenClaw session store (its top level is an array)")
    assert migrate_text('{"a": ', "json", patterns, MAPPING) == Problem(
        "unparsable", "invalid JSON: Expecting value (line 1, column 7)")
    assert migrate_text("[" * 100_000 + "]" * 100_000, "json", patterns, MAPPING) == Problem(
        "crashed", "too deeply nested to analyse")


def test_jsonc_block_is_read_as_json5_and_keeps_its_comments(tmp_path: Path) -> None:
    # Was: "```json block does not parse; not examined" (read as strict JSON).
    block = '```jsonc\n// one row of the list\n{"key": "a", "status": "done",}\n```\n'
    out = _analyse(TOOL + block, _options(tmp_path))
    assert [(f.line, f.column, f.rule, f.old, f.action, f.pointer) for f in out.findings] == [
        (5, 24, "prompt-json", "done", "rewrite", "/status")]
    assert out.notes == []
    assert out.updated == TOOL + block.replace('"done"', '"agent_responded"')


def test_json_block_that_does_not_parse_is_a_note(tmp_path: Path) -> None:
    text = TOOL + '```json\n{"status": "done",}\n```\n'
    out = _analyse(text, _options(tmp_path))
    assert out.findings == []
    assert out.notes == ["P.md:3: ```json block does not parse; not examined"]
    assert out.updated == text


def test_deep_json_block_is_a_note_and_the_prompt_keeps_its_findings(tmp_path: Path) -> None:
    # Was: the whole prompt "too deeply nested to analyse" (exit 3), its prose findings lost.
    deep = "[" * 100_000 + '{"status": "done"}' + "]" * 100_000
    text = TOOL + f"```json\n{deep}\n```\n\nA session whose status is `failed` can be resumed.\n"
    (tmp_path / "AGENTS.md").write_text(text)
    proc = run_cli("scan", "--format", "json", ".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    document = json.loads(proc.stdout)
    assert [(f["path"], f["line"], f["column"], f["rule"], f["old"]) for f in document["findings"]] == [
        ("AGENTS.md", 7, 28, "prompt-status", "failed")]
    assert document["notes"] == ["AGENTS.md:3: ```json block is too deeply nested to analyse; not examined"]


def test_escaped_value_in_a_json_block_is_found(tmp_path: Path) -> None:
    # Was: no finding, the prefilter looked only for the words as written.
    (tmp_path / "AGENTS.md").write_bytes(
        b'Call `sessions_list`.\n\n```json\n{"sessions": [{"key": "b", "status": "\\u0066ailed"}]}\n```\n')
    proc = run_cli("apply", "--phase", "contract", "--write", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "AGENTS.md").read_bytes() == (
        b'Call `sessions_list`.\n\n```json\n{"sessions": [{"key": "b", "status": "interrupted"}]}\n```\n')


def test_expanded_python_block_is_noted_as_a_file_is(tmp_path: Path) -> None:
    # Was: no note; a .py file with the same code says the contract is pending.
    code = 'if row["status"] in ("failed", "interrupted"):\n    pass\n'
    out = _analyse(TOOL + "```python\n" + code + "```\n", _options(tmp_path, "expand", True))
    assert out.findings == []
    assert out.notes == ["P.md:4:22: status-membership: expanded (accepts `failed` and `interrupted`), "
                         "contract pending"]
    (tmp_path / "poll.py").write_text("import openclaw\n\n" + code)
    proc = run_cli("scan", "--format", "json", "poll.py", cwd=tmp_path)
    assert json.loads(proc.stdout)["notes"] == [
        "poll.py:3:22: status-membership: expanded (accepts `failed` and `interrupted`), contract pending"]
