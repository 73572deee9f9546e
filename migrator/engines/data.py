"""The JSON-family engines: JSON, JSON5, YAML and TOML documents edited in
memory, and JSONL streamed. Built-in OpenClaw stores (``sessions.json``) and
user rules alike; every edit keeps the other bytes of the file.

Rules are pointer patterns compiled per document into RFC 6902 patches (see
:mod:`migrator.pointers`); :func:`migrate_json_text` is the entry point for
other engines holding JSON text (a fenced block in Markdown).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from migrator import jsonlines
from migrator.config import Options
from migrator.rules import Rule
from migrator.engines.store import StoreEngine, store_rules
from migrator.targets import Decision, Target, decide, symlink_escape, target_for
from migrator.engines import BaseEngine, Context
from migrator.files import SourcePath
from migrator.changes import HashingWriter, JsonlChange
from migrator.findings import FileResult, Finding, Problem
from migrator.jsonedit import Edit, JsonSyntaxError, migrate_json_text
from migrator.jsonedit import parse as parse_json
from migrator.journal import staged_path
from migrator.manifest import load_manifest
from migrator.pointers import PointerPattern, compile_patch
from migrator.suppressions import Suppressions, for_document
from migrator.yamltoml import SharedValue, Skip, migrate_toml, migrate_yaml

__all__ = ["DataEngine", "JsonlEngine", "migrate_json_text", "migrate_document"]

# A file can hold millions of changed values; past this many the report
# lists a count instead of every one (the change itself is complete).
FINDINGS_PER_FILE = 1000


def migrate_document(
    text: str, fmt: str, patterns: Sequence[PointerPattern], mapping: Mapping[str, str],
    skip: Skip | None = None,
) -> tuple[str, list[Edit], list[dict[str, Any]]]:
    """Migrate one whole document of ``fmt`` (json, json5, yaml, toml):
    the new text, the edits, and the RFC 6902 patch. ``skip``: lines whose
    values stay (suppression comments, YAML and TOML)."""
    if fmt in ("json", "json5"):
        json5_syntax = fmt == "json5"
        doc = parse_json(text, json5_syntax=json5_syntax)
        ops = compile_patch(doc, patterns, mapping)
        from migrator.jsonedit import apply_patch_text

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


def _finding(display: str, fmt: str, target: Target, decision: Decision, line: int, column: int,
             pointer: str, old: str, new: str) -> Finding:
    what = "an OpenClaw session store" if target.builtin else "a [[tool.migrator.data]] rule"
    return Finding(display, line, column, fmt, old, new, "certain", decision.action, target.rule,
                   f"the session status named by {what}; {decision.why}", pointer=pointer)


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
        # A byte-order mark is kept as it is; the document starts after it.
        bom = "\ufeff" if data.startswith(b"\xef\xbb\xbf") else ""
        try:
            text = data.decode("utf-8")[len(bom):]
        except UnicodeDecodeError as exc:
            result.error = Problem("unparsable", f"not valid UTF-8 (byte {exc.start})")
            return result
        sup = for_document(text, target.format)
        if sup is not None and sup.ignore_file:
            return result
        try:
            new_text, edits, ops = migrate_document(text, target.format, target.patterns,
                                                    options.manifest.vocabulary.old_to_new, _skip(sup, target.rule))
        except (JsonSyntaxError, ValueError) as exc:
            # Valid YAML (a shared value), or a message that names the format already.
            plain = isinstance(exc, SharedValue) or str(exc).startswith("invalid ")
            result.error = Problem("unparsable", str(exc) if plain else f"cannot parse {target.format.upper()}: {exc}")
            return result
        if target.builtin and target.format == "json" and not text.lstrip().startswith("{"):
            # Valid JSON, but an OpenClaw store is an object of sessions by key.
            kind = "an array" if text.lstrip().startswith("[") else "not an object"
            result.error = Problem("not-a-store", f"not an OpenClaw session store (its top level is {kind})")
            return result
        decision = decide(target, options)
        for edit in edits[:FINDINGS_PER_FILE]:
            result.findings.append(_finding(source.display, target.format, target, decision, edit.line,
                                            edit.column, edit.pointer, edit.old, edit.new))
        _cap(result, len(edits))
        if sup is not None:
            result.notes.extend(sup.notes(source.display))
        if decision.refusal and edits:
            result.error = Problem("kept", decision.refusal)
        elif decision.action == "rewrite" and edits:
            result.updated = (bom + new_text).encode("utf-8")
            result.patch = ops
        return result

    def verify(self, source: SourcePath, result: FileResult, context: Context) -> str | None:
        """A second pass over the new text changes nothing."""
        if result.updated is None:
            return None
        target = target_for(source, context.options)
        assert target is not None
        text = result.updated.decode("utf-8-sig")
        skip = _skip(for_document(text, target.format), target.rule)
        try:
            again, edits, _ = migrate_document(text, target.format, target.patterns,
                                               context.options.manifest.vocabulary.old_to_new, skip)
        except (JsonSyntaxError, ValueError) as exc:
            return f"the new text does not parse: {exc}"
        return "a second pass would change the file again" if edits else None


class JsonlEngine(StoreEngine, BaseEngine):
    """JSONL files named by user rules: streamed in constant memory."""

    kind = "jsonl"
    format = "jsonl"

    @functools.cached_property
    def rules(self) -> tuple[Rule, ...]:
        return store_rules((self.format,), user_rules=True)

    def process(self, source: SourcePath, data: bytes | None, context: Context) -> FileResult:
        options = context.options
        target, result = self.start(source, options, self.kind)
        if result.error:
            return result
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
        sink: HashingWriter | None = None
        try:
            with open(source.path, "rb") as handle, contextlib.ExitStack() as stack:
                if staged is not None:
                    sink = HashingWriter(stack.enter_context(open(staged, "wb")))
                # Findings are capped: past the cap the stream only counts.
                stats = jsonlines.stream(handle, target.patterns, mapping, sink,  # type: ignore[arg-type]
                                         on_edit=keep, edit_limit=FINDINGS_PER_FILE)
        except OSError as exc:
            if staged is not None:
                _discard(staged)
            result.error = Problem("unreadable", f"cannot read: {exc.strerror or exc}")
            return result
        result.findings = findings
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
                                      stats.changed_lines, stats.sample, staged,
                                      sink.hexdigest() if sink is not None else "")
            planned = True
        if staged is not None and not planned:
            _discard(staged)
        return result

    # verify: each changed line is proven by re-parsing as it is edited.


def _stage(path: Path) -> Path | None:
    """A private temp file beside ``path`` for its new content, or None
    where none can be made (the write then streams the file again)."""
    staged = staged_path(path)
    try:
        os.close(os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    except OSError:
        return None
    atexit.register(_discard, staged)  # a run that ends before its write
    return staged


def _discard(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
