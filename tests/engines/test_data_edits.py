"""Format-preserving edits: only the renamed values' bytes change."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator import jsonlines
from migrator.engines.data import migrate_document, migrate_json_text
from migrator.jsonedit import JsonSyntaxError
from migrator.manifest import load_manifest
from migrator.pointers import PointerPattern

MAPPING = load_manifest().vocabulary.old_to_new
OLD = sorted(MAPPING)
P = PointerPattern.parse


def test_only_the_value_bytes_change_and_keys_are_rfc6901_escaped() -> None:
    text = '{\n  "a/b~c" :  {"status":"done",  "other": "done"},\n\t"x": {"status": "killed"}\n}\n'
    new, edits = migrate_json_text(text, [P("/*/status")], MAPPING)
    assert new == text.replace('"status":"done"', '"status":"agent_responded"').replace(
        '"status": "killed"', '"status": "halted"')
    assert [(e.pointer, e.line, e.column, e.old, e.new) for e in edits] == [
        ("/a~1b~0c/status", 2, 24, "done", "agent_responded"),
        ("/x/status", 3, 18, "killed", "halted"),
    ]


def test_pointer_names_exactly_the_values_to_migrate() -> None:
    text = '{"status": "failed", "inner": {"status": "failed"}}'
    new, _ = migrate_json_text(text, [P("/status")], MAPPING)
    assert new == '{"status": "interrupted", "inner": {"status": "failed"}}'


def test_escaped_spelling_is_found_by_meaning() -> None:
    text = '{"status": "\\u0064one", "note": "done"}'
    new, _ = migrate_json_text(text, [P("/status")], MAPPING)
    assert new == '{"status": "agent_responded", "note": "done"}'


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(JsonSyntaxError, match="duplicate key"):
        migrate_json_text('{"status": "done", "status": "failed"}', [P("/status")], MAPPING)


def test_json5_keeps_comments_quotes_and_trailing_commas() -> None:
    text = "// sessions\n{\n  a: {status: 'done', /* why */ n: +1,},\n  b: {\"status\": \"timeout\"},\n}\n"
    new, _, _ = migrate_document(text, "json5", [P("/*/status")], MAPPING)
    assert new == text.replace("'done'", "'agent_responded'").replace('"timeout"', '"waiting_for_response"')


def test_yaml_keeps_comments_and_quoting() -> None:
    text = "# watchdog\nsessions:\n  - status: done   # last turn\n    note: done\n  - {status: 'killed', n: 1}\n"
    new, edits, ops = migrate_document(text, "yaml", [P("/sessions/*/status")], MAPPING)
    assert new == text.replace("status: done", "status: agent_responded").replace("'killed'", "'halted'")
    assert [e.line for e in edits] == [3, 5]
    assert ops[0] == {"op": "test", "path": "/sessions/0/status", "value": "done"}


def test_toml_keeps_comments_and_literal_strings() -> None:
    text = "# dashboard\n[last]\nstatus = 'failed'  # shown red\nlabel = \"failed\"\n"
    new, _, _ = migrate_document(text, "toml", [P("/last/status")], MAPPING)
    assert new == text.replace("'failed'", "'interrupted'")


def test_jsonl_streams_untouched_lines_verbatim_and_keeps_a_truncated_tail() -> None:
    lines = [b'{"status":"done","n":1}\r\n', b'{"status":"running"}\n', b'\n', b'{"status": "timeout"}\n',
             b'{"status":"do']
    out = io.BytesIO()
    stats = jsonlines.stream(io.BytesIO(b"".join(lines)), [P("/status")], MAPPING, out)
    assert out.getvalue() == (b'{"status":"agent_responded","n":1}\r\n' + lines[1] + lines[2]
                              + b'{"status": "waiting_for_response"}\n' + lines[4])
    assert stats.truncated_tail and not stats.bad_lines and stats.changed_lines == 2


def test_jsonl_bad_line_is_kept_and_reported() -> None:
    data = b'{"status":"done"}\n{"status":"failed",,}\n'
    out = io.BytesIO()
    stats = jsonlines.stream(io.BytesIO(data), [P("/status")], MAPPING, out)
    assert stats.bad_lines and stats.bad_lines[0][0] == 2
    assert out.getvalue().endswith(b'{"status":"failed",,}\n')


_keys = st.text(alphabet="ab/~:* \u00e9", min_size=0, max_size=6)
_leaf = st.one_of(st.sampled_from(OLD + ["running", "x"]), st.integers(), st.none(), st.booleans())
_docs = st.recursive(_leaf, lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(_keys, kids, max_size=4)),
                     max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(doc=_docs, indent=st.sampled_from([None, 1, 2, "\t"]))
def test_property_result_is_the_patched_document_and_nothing_else_moves(doc: object, indent: object) -> None:
    text = json.dumps(doc, indent=indent, ensure_ascii=False)  # type: ignore[arg-type]
    patterns = [P("/*"), P("/*/*"), P("/*/*/status")]
    new, edits = migrate_json_text(text, patterns, MAPPING)
    again, more = migrate_json_text(new, patterns, MAPPING)
    assert more == [] and again == new
    # Splicing each edit into the original at its reported place gives the
    # new text: no other character moved.
    rebuilt = text
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    for edit in sorted(edits, key=lambda e: (e.line, e.column), reverse=True):
        at = starts[edit.line - 1] + edit.column - 1
        assert rebuilt[at:].startswith(json.dumps(edit.old, ensure_ascii=False)) or rebuilt[at] == '"'
        end = text.index('"', at + 1)
        while text[end - 1] == "\\":
            end = text.index('"', end + 1)
        rebuilt = rebuilt[:at] + json.dumps(edit.new) + rebuilt[end + 1:]
    assert rebuilt == new


def test_jsonl_fast_path_agrees_with_the_careful_path() -> None:
    patterns = [P("/status"), P("/rows/*/status")]
    for line in [b'{"status":"done","note":"x"}', b'{"done":"x","status":"\\u0064one"}',
                 b'{"rows":[{"status":"failed"},{"status":"failed"}]}', b'{"note":"done","status":"done"}']:
        fast, _, _ = jsonlines.migrate_line(line, patterns, MAPPING)
        careful, _ = migrate_json_text(line.decode(), patterns, MAPPING)
        assert fast.decode() == careful


def test_an_integer_past_64_bits_keeps_its_value_and_the_store_migrates() -> None:
    # A C parser that reads such a number as a float must not decide the
    # document's meaning: the value is kept exactly and the status renamed.
    text = '{\n  "agent:main:main": {"status": "done", "seq": -9223372036854775809, "n": 18446744073709551616}\n}\n'
    mapping = dict(load_manifest().vocabulary.old_to_new)
    new_text, edits = migrate_json_text(text, (PointerPattern.parse("/*/status"),), mapping)
    assert new_text == text.replace('"done"', '"agent_responded"')
    assert [e.old for e in edits] == ["done"]


@pytest.mark.parametrize("json5_syntax", [False, True])
def test_scanner_spans_past_empty_and_nested_containers(json5_syntax: bool) -> None:
    from migrator.jsonedit import string_spans

    text = '{"a": {}, "b": [], "c": [{}, [], {"s": "done"}, ["done"]], "d": {"e": {"s": "failed"}}}'
    spans = string_spans(text, {"done", "failed"}.__contains__, json5_syntax=json5_syntax)
    assert {p: text[a:b] for p, (a, b) in spans.items()} == {
        "/c/2/s": '"done"', "/c/3/0": '"done"', "/d/e/s": '"failed"'}
    with pytest.raises(JsonSyntaxError, match=r"expected a key \(line 1, column 2\)"):
        string_spans("{]", bool, json5_syntax=json5_syntax)
