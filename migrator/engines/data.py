"""The JSON-family engines: JSON, JSON5, YAML and TOML documents edited in
memory, and JSONL streamed. Built-in OpenClaw stores (``sessions.json``) and
user rules alike; every edit keeps the other bytes of the file.

Rules are pointer patterns compiled per document into RFC 6902 patches (see
:mod:`migrator.pointers`); :func:`migrate_text` is the one path for a piece
of data text, used by the data file engine and by other engines holding JSON
text (a fenced block in Markdown).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from migrator import jsonlines
from migrator.config import Options
from migrator.rules import Rule
from migrator.engines.store import StoreEngine, store_rules
from migrator.targets import DATA_RULE, Decision, Target, decide, symlink_escape, target_for
from migrator.engines import BaseEngine, Context
from migrator.files import SourcePath
from migrator.changes import HashingWriter, JsonlChange
from migrator.findings import FileResult, Finding, Problem
from migrator.jsonedit import Edit, JsonSyntaxError, migrate_json_text
from migrator.jsonedit import parse as parse_json
from migrator.journal import WriteBehind, staged_path
from migrator.manifest import load_manifest
from migrator.pointers import PointerPattern, compile_patch
from migrator.suppressions import Suppressions, for_document
from migrator.yamltoml import SharedValue, Skip, migrate_toml, migrate_yaml

__all__ = ["DataEngine", "JsonlEngine", "Migrated", "migrate_document", "migrate_json_text", "migrate_text"]

# A file can hold millions of changed values; past this many the report
# lists a count instead of every one (the change itself is complete).
FINDINGS_PER_FILE = 1000


def migrate_document(
    text: str, fmt: str, patterns: Sequence[PointerPattern], mapping: Mapping[str, str],
    skip: Skip | None = None,
) -> tuple[str, list[Edit], list[dict[str, Any]]]:
    """Migrate one whole document of ``fmt`` (json, json5, yaml, toml):
    the new text, the edits, and the RFC 6902 patch. ``skip``: lines whose
    values stay (suppression comments: YAML and TOML `#`, JSON5 `//`)."""
    if fmt in ("json", "json5"):
        json5_syntax = fmt == "json5"
        doc = parse_json(text, json5_syntax=json5_syntax)
        ops = compile_patch(doc, patterns, mapping)
        from migrator.jsonedit import apply_patch_text

        new_text, edits = apply_patch_text(text, doc, ops, json5_syntax=json5_syntax)
        kept = {e.pointer for e in edits if skip is not None and skip(e.line)}
        if kept:  # a JSON5 comment suppressed their lines: the patch leaves them out
            ops = [op for op in ops if op["path"] not in kept]
            new_text, edits = apply_patch_text(text, doc, ops, json5_syntax=json5_syntax)
        return new_text, edits, ops
    if fmt == "yaml":
        return migrate_yaml(text, patterns, mapping, skip)
    if fmt == "toml":
        return migrate_toml(text, patterns, mapping, skip)
    raise ValueError(f"unknown data format {fmt!r}")


def _skip(sup: Suppressions | None, rule: str) -> Skip | None:
    """The lines a data document's suppression comments keep as they are."""
    return None if sup is None else (lambda line: sup.covers({line}, rule))


@dataclass(frozen=True)
class Migrated:
    """A piece of data text after :func:`migrate_text`."""

    #: The new text (the byte-order mark kept), equal to the old without edits.
    text: str
    #: Each value changed, in the order of the text.
    edits: list[Edit]
    #: The RFC 6902 patch the edits apply.
    patch: list[dict[str, Any]]
    #: The document's suppression comments, whose notes are reported (None:
    #: it has none, or ``ignore-file`` leaves it out altogether).
    suppressions: Suppressions | None = None


def migrate_text(
    text: str, fmt: str, patterns: Sequence[PointerPattern], mapping: Mapping[str, str],
    rule: str = DATA_RULE, *, store: bool = False,
) -> Migrated | Problem:
    """One piece of data text of ``fmt`` (json, json5, yaml, toml) through
    the data engine: its suppression comments (matched by ``rule``), the
    format-preserving edit (proven by parsing the result again), and, for a
    ``store`` in JSON, the check that its top level is an object of sessions.
    The result, or the problem that keeps the text as it is. The one path
    for a data file and for a ```json block of a prompt."""
    # A byte-order mark is kept as it is; the document starts after it.
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom):]
    sup = for_document(body, fmt)
    if sup is not None and sup.ignore_file:
        return Migrated(text, [], [])
    try:
        new_text, edits, ops = migrate_document(body, fmt, patterns, mapping, _skip(sup, rule))
    except (JsonSyntaxError, ValueError) as exc:
        # Valid YAML (a shared value), or a message that names the format already.
        plain = isinstance(exc, SharedValue) or str(exc).startswith("invalid ")
        return Problem("unparsable", str(exc) if plain else f"cannot parse {fmt.upper()}: {exc}")
    except RecursionError:
        # The words and kind the pipeline gives a file whose analysis recursed
        # too deep; said here, a prompt holding such a block keeps its findings.
        return Problem("crashed", "too deeply nested to analyse")
    if store and fmt == "json" and not body.lstrip().startswith("{"):
        # Valid JSON, but an OpenClaw store is an object of sessions by key.
        kind = "an array" if body.lstrip().startswith("[") else "not an object"
        return Problem("not-a-store", f"not an OpenClaw session store (its top level is {kind})")
    return Migrated(bom + new_text, edits, ops, sup)


def _finding(display: str, fmt: str, target: Target, decision: Decision, line: int, column: int,
             pointer: str, old: str, new: str) -> Finding:
    what = "an OpenClaw session store" if target.builtin else "a [[tool.migrator.data]] rule"
    return Finding(display, line, column, fmt, old, new, "certain", decision.action, target.rule,
                   f"the session status named by {what}; {decision.why}", pointer=pointer)


def _settle(result: FileResult, findings: list[Finding], target: Target, decision: Decision) -> None:
    """The findings of a file, or, for the user's own data in expand (kept in
    the old names by design: readers accept both), notes saying contract is
    pending, as for a writer kept in expand: expand has nothing left to do."""
    if target.builtin or decision.action != "review" or decision.refusal:
        result.findings.extend(findings)
        return
    result.notes.extend(f"{f.path}:{f.line}:{f.column}: {f.rule}: `{f.old}` kept in expand (your own data) at "
                        f"{f.pointer}, `{f.new}` in contract: contract pending" for f in findings)


def _cap(result: FileResult, total: int) -> None:
    if total > FINDINGS_PER_FILE:
        result.notes.append(f"{result.display}: {total - FINDINGS_PER_FILE} more values to migrate not listed")


class DataEngine(BaseEngine):
    """JSON, JSON5, YAML and TOML files: read whole, edited by splicing."""

    kind = "data"
    cacheable = False
    reads_bytes = True

    @functools.cached_property
    def rules(self) -> tuple[Rule, ...]:
        return store_rules(("json", "json5", "yaml", "toml"), user_rules=True)

    def __init__(self, options: Options | None = None) -> None:
        # Every spelling of an old value the claimed formats allow: a value
        # written "\u0064one" is a finding like "done".
        vocabulary = (options.manifest if options else load_manifest()).vocabulary
        self._words = vocabulary.pattern("json", "yaml", "toml")

    def claims(self, source: SourcePath, options: Options) -> bool:
        target = target_for(source, options)
        return target is not None and target.format in ("json", "json5", "yaml", "toml")

    def prefilter(self, data: bytes) -> bool:
        return self._words.search(data) is not None

    def process(self, source: SourcePath, data: bytes | None, context: Context) -> FileResult:
        assert data is not None
        options = context.options
        target = target_for(source, options)
        assert target is not None
        result = FileResult(source.path, source.display, self.kind, original=data)
        escape = symlink_escape(source)
        if escape:
            result.error = Problem("unreadable", escape)
            return result
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            result.error = Problem("unparsable", f"not valid UTF-8 (byte {exc.start})")
            return result
        migrated = migrate_text(text, target.format, target.patterns, options.manifest.vocabulary.old_to_new,
                                target.rule, store=target.builtin)
        if isinstance(migrated, Problem):
            result.error = migrated
            return result
        decision = decide(target, options)
        edits = migrated.edits
        _settle(result, [_finding(source.display, target.format, target, decision, edit.line, edit.column,
                                  edit.pointer, edit.old, edit.new) for edit in edits[:FINDINGS_PER_FILE]],
                target, decision)
        _cap(result, len(edits))
        if migrated.suppressions is not None:
            result.notes.extend(migrated.suppressions.notes(source.display))
        if decision.refusal and edits:
            result.error = Problem("kept", decision.refusal)
        elif decision.action == "rewrite" and edits:
            result.updated = migrated.text.encode("utf-8")
            result.patch = migrated.patch
        return result

    def verify(self, source: SourcePath, result: FileResult, context: Context) -> str | None:
        """A second pass over the new text changes nothing."""
        if result.updated is None:
            return None
        target = target_for(source, context.options)
        assert target is not None
        again = migrate_text(result.updated.decode("utf-8"), target.format, target.patterns,
                             context.options.manifest.vocabulary.old_to_new, target.rule)
        if isinstance(again, Problem):
            return f"the new text does not parse: {again.message}"
        return "a second pass would change the file again" if again.edits else None


class JsonlEngine(StoreEngine, fmt="jsonl", user_rules=True):
    """JSONL files named by user rules: streamed in constant memory."""

    def read(self, source: SourcePath, target: Target, result: FileResult, context: Context) -> FileResult:
        options = context.options
        decision = decide(target, options)
        findings: list[Finding] = []

        def keep(line_edit: jsonlines.LineEdit) -> None:
            if len(findings) < FINDINGS_PER_FILE:
                e = line_edit.edit
                findings.append(_finding(source.display, "jsonl", target, decision, line_edit.number,
                                         e.column, e.pointer, e.old, e.new))

        mapping = options.manifest.vocabulary.old_to_new
        # Under apply --write the new content is written beside the file as
        # it is planned, so the write only journals and renames.
        stage = options.stage and decision.action == "rewrite" and not decision.refusal
        staged = _stage(source.path) if stage else None
        # The journal's copy of the original, written as it is read: the
        # write then compares the file with it instead of hashing it again.
        backup = _stage(source.path, "backup") if staged is not None else None
        sink: HashingWriter | None = None
        try:
            with open(source.path, "rb") as handle, contextlib.ExitStack() as stack:
                if staged is not None:
                    # Its writeback starts as it is written: the write's fsync waits less.
                    sink = HashingWriter(WriteBehind(stack.enter_context(open(staged, "wb"))))
                copy = WriteBehind(stack.enter_context(open(backup, "wb"))) if backup is not None else None
                # Findings are capped: past the cap the stream only counts.
                stats = jsonlines.stream(handle, target.patterns, mapping, sink,  # type: ignore[arg-type]
                                         copy=copy, on_edit=keep, edit_limit=FINDINGS_PER_FILE)  # type: ignore[arg-type]
            staged_sha256 = sink.hexdigest() if sink is not None else ""  # (its hashing ends here)
        except BaseException as exc:
            if sink is not None:
                sink.abandon()
            for path in (staged, backup):
                if path is not None:
                    _discard(path)
            if not isinstance(exc, OSError):
                raise
            result.error = Problem("unreadable", f"cannot read: {exc.strerror or exc}")
            return result
        _settle(result, findings, target, decision)
        _cap(result, stats.edits)
        if stats.truncated_tail:
            result.notes.append(f"{source.display}:{stats.lines}: last line is incomplete; left as it is")
        planned = False
        if stats.bad_lines:
            number, message = stats.bad_lines[0]
            more = f" (and {len(stats.bad_lines) - 1} more)" if len(stats.bad_lines) > 1 else ""
            result.error = Problem("unparsable", f"line {number} is not valid JSON{more}: {message}; file left "
                                                 f"unchanged, fix or remove the line and run again")
        elif decision.refusal and stats.edits:
            result.error = Problem("kept", decision.refusal)
        elif decision.action == "rewrite" and stats.changed_lines:
            result.plan = JsonlChange(source.path, source.display, stats.sha256, target.patterns, dict(mapping),
                                      stats.changed_lines, stats.sample, staged, staged_sha256, backup)
            planned = True
        for path in (staged, backup):
            if path is not None and not planned:
                _discard(path)
        return result

    # verify: each changed line is proven by re-parsing as it is edited.


def _stage(path: Path, role: str = "staged") -> Path | None:
    """A private temp file beside ``path`` for its new content (or, ``role``
    "backup", for a copy of the original), or None where none can be made
    (the write then streams the file again, or copies it)."""
    staged = staged_path(path, role)
    try:
        os.close(os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    except OSError:
        return None
    atexit.register(_discard, staged)  # a run that ends before its write
    return staged


def _discard(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
