"""SARIF 2.1.0 for code scanning: one run, the rules with their help text,
and each rewrite finding carrying the change ``apply`` would make as a fix.

Fixes are computed from the engine's own proposed bytes (original against
updated), not re-derived from the finding: in the expand phase a comparison
gains a second name rather than swapping one, and the fix must say exactly that.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from migrator.findings import FileResult, Finding
from migrator.pipeline import Run

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# Paths are reported relative to where migrator ran; code scanning resolves
# this base to the checkout root.
SRCROOT = "%SRCROOT%"
LEVELS = {"rewrite": "warning", "review": "note"}
# Diffing whole string literals, words and punctuation (not characters) keeps
# each replacement readable: `"agent_responded", ` rather than shared letters.
_TOKEN = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|\w+|\s+|[^\w\s]")


@dataclass(frozen=True)
class Replacement:
    """Delete ``[start, end)`` of the original (1-based line and column,
    end exclusive) and insert ``text``."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    text: str

    def to_sarif(self) -> dict[str, Any]:
        return {
            "deletedRegion": {
                "startLine": self.start_line,
                "startColumn": self.start_column,
                "endLine": self.end_line,
                "endColumn": self.end_column,
            },
            "insertedContent": {"text": self.text},
        }


@dataclass(frozen=True)
class Hunk:
    """Consecutive changed lines ``first..last`` of the original, as the
    smallest character replacements that turn them into the new lines."""

    first: int
    last: int
    replacements: tuple[Replacement, ...]


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")


def _position(lines: list[str], first: int, offset: int) -> tuple[int, int]:
    """1-based (line, column) of character ``offset`` into ``lines[first:]``."""
    line = first
    while line < len(lines) and offset >= len(lines[line]):
        offset -= len(lines[line])
        line += 1
    return line + 1, offset + 1


def _offsets(tokens: list[str]) -> list[int]:
    """Character offset of each token, and of the end."""
    out = [0]
    for token in tokens:
        out.append(out[-1] + len(token))
    return out


def hunks(original: bytes, updated: bytes) -> list[Hunk]:
    """The changes between two versions of a text file, line hunks refined to
    character replacements (so a fix touches only what really changes)."""
    before = _decode(original).splitlines(keepends=True)
    after = _decode(updated).splitlines(keepends=True)
    out: list[Hunk] = []
    lines = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in lines.get_opcodes():
        if tag == "equal":
            continue
        old, new = "".join(before[i1:i2]), "".join(after[j1:j2])
        replacements = []
        old_tokens, new_tokens = _TOKEN.findall(old), _TOKEN.findall(new)
        old_at, new_at = _offsets(old_tokens), _offsets(new_tokens)
        tokens = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
        for ttag, t1, t2, u1, u2 in tokens.get_opcodes():
            if ttag == "equal":
                continue
            start = _position(before, i1, old_at[t1])
            end = _position(before, i1, old_at[t2])
            replacements.append(Replacement(*start, *end, new[new_at[u1] : new_at[u2]]))
        out.append(Hunk(i1 + 1, max(i1 + 1, i2), tuple(replacements)))
    return out


def _literal_end(lines: list[str], finding: Finding) -> int | None:
    """End column (exclusive) of the quoted literal at the finding, when the
    source there is exactly ``'old'`` or ``"old"``."""
    if not 0 < finding.line <= len(lines):
        return None
    text = lines[finding.line - 1]
    at = finding.column - 1
    quoted = text[at : at + len(finding.old) + 2]
    if len(quoted) >= 2 and quoted[0] in "'\"" and quoted[-1] == quoted[0] and quoted[1:-1] == finding.old:
        return finding.column + len(quoted)
    return None


def _location(finding: Finding, lines: list[str]) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": finding.path, "uriBaseId": SRCROOT}}
    location: dict[str, Any] = {"physicalLocation": physical}
    if finding.table is not None:
        # A database row has no line: it is named by table, column and session key.
        name = f"{finding.table}.{finding.column_name}[{finding.key}]" + (finding.pointer or "")
        location["logicalLocations"] = [{"fullyQualifiedName": name, "kind": "member"}]
        return location
    region: dict[str, Any] = {"startLine": finding.line, "startColumn": finding.column}
    end = _literal_end(lines, finding)
    if end is not None:
        region["endLine"] = finding.line
        region["endColumn"] = end
    physical["region"] = region
    if finding.pointer is not None:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.pointer, "kind": "member"}]
    return location


def _span(finding: Finding, lines: list[str]) -> tuple[tuple[int, int], tuple[int, int]]:
    """(start, end) of the finding's literal, end exclusive; empty when the
    source there is not the quoted value."""
    start = (finding.line, finding.column)
    end = _literal_end(lines, finding)
    return start, ((finding.line, end) if end is not None else start)


def _owners(findings: list[Finding], lines: list[str], file_hunks: list[Hunk]) -> dict[int, list[Replacement]]:
    """Each replacement of the file given to exactly one rewrite finding, so
    every result's fix carries only its own change and the fixes together are
    the whole change: the finding whose literal it overlaps, else the last one
    before it in its hunk (an insertion after a literal), else the hunk's first."""
    owned: dict[int, list[Replacement]] = {}
    rewrites = [(i, f) for i, f in enumerate(findings) if f.action == "rewrite"]
    for hunk in file_hunks:
        members = [(i, *_span(f, lines)) for i, f in rewrites if hunk.first <= f.line <= hunk.last]
        if not members and rewrites:
            # A change on lines of no finding (a statement's later line): the
            # nearest finding above it owns it, so no change goes missing.
            above = [(i, f) for i, f in rewrites if f.line <= hunk.first] or rewrites[:1]
            i, f = above[-1]
            members = [(i, *_span(f, lines))]
        if not members:
            continue
        for r in hunk.replacements:
            start, end = (r.start_line, r.start_column), (r.end_line, r.end_column)
            owner = next((i for i, s, e in members if s < end and start < e), None)
            if owner is None:
                before = [i for i, s, _ in members if s < start]
                owner = before[-1] if before else members[0][0]
            owned.setdefault(owner, []).append(r)
    return owned


def _fix(finding: Finding, replacements: list[Replacement]) -> dict[str, Any]:
    return {
        "description": {"text": f"Apply the {finding.rule} rewrite ({finding.old} -> {finding.new})"},
        "artifactChanges": [
            {
                "artifactLocation": {"uri": finding.path, "uriBaseId": SRCROOT},
                "replacements": [r.to_sarif() for r in replacements],
            }
        ],
    }


def _rules(run: Run) -> list[dict[str, Any]]:
    from migrator.rules import rule_for

    out = []
    for name in sorted({f.rule for f in run.findings}):
        entry: dict[str, Any] = {"id": name, "defaultConfiguration": {"level": "warning"}}
        rule = rule_for(name)
        if rule is not None:
            entry["shortDescription"] = {"text": rule.summary}
            entry["fullDescription"] = {"text": rule.why}
            entry["help"] = {"text": rule.explain()}
        else:
            # A rule without a catalogue entry still explains itself in each finding's why.
            entry["shortDescription"] = {"text": f"Old session-status value ({name})"}
            entry["help"] = {"text": f"See `migrator explain {name}`."}
        out.append(entry)
    return out


def _result(finding: Finding, index: int, lines: list[str], replacements: list[Replacement] | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": LEVELS[finding.action],
        "message": {
            "text": f"'{finding.old}' -> '{finding.new}' [{finding.confidence}, {finding.action}]: {finding.why}"
        },
        "locations": [_location(finding, lines)],
        "properties": {
            "old": finding.old,
            "new": finding.new,
            "confidence": finding.confidence,
            "action": finding.action,
            "kind": finding.kind,
        },
    }
    if finding.action == "rewrite" and replacements:
        result["fixes"] = [_fix(finding, replacements)]
    return result


def _file_view(result: FileResult) -> tuple[list[str], list[Hunk]]:
    if result.original is None:
        return [], []
    lines = _decode(result.original).splitlines()
    if result.updated is None or result.updated == result.original or result.error:
        return lines, []
    return lines, hunks(result.original, result.updated)


def sarif_document(run: Run) -> dict[str, Any]:
    """The SARIF 2.1.0 log of a run, as a JSON-ready dict."""
    rules = _rules(run)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = []
    for file_result in run.results:
        if not file_result.findings:
            continue
        lines, file_hunks = _file_view(file_result)
        owned = _owners(file_result.findings, lines, file_hunks)
        for i, finding in enumerate(file_result.findings):
            results.append(_result(finding, index[finding.rule], lines, owned.get(i)))
    driver: dict[str, Any] = {"name": "migrator", "rules": rules}
    from migrator.report import tool_version

    version = tool_version()
    if version:
        driver["version"] = version
    notifications = [
        {
            "level": "error",
            "message": {"text": message},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": path, "uriBaseId": SRCROOT}}}],
        }
        for path, message in run.errors
    ]
    # A store kept by the version gate is no failure of the run: a note.
    kept = [
        {
            "level": "note",
            "message": {"text": f"kept: {message}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": path, "uriBaseId": SRCROOT}}}],
        }
        for path, message in run.kept
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "invocations": [{"executionSuccessful": not notifications,
                                 "toolExecutionNotifications": notifications + kept}],
                # Columns count characters, as Python strings do (not UTF-16 units).
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
