"""Render a :class:`~migrator.pipeline.Run`: text, JSON, unified diffs."""

from __future__ import annotations

import difflib
import json
from collections import Counter
from typing import Any

from migrator.pipeline import Run

SCHEMA = "migrator.scan/1"


def summary(run: Run) -> dict[str, Any]:
    findings = run.findings
    actions = Counter(f.action for f in findings)
    return {
        "files_scanned": run.files_seen,
        "files_parsed": run.files_parsed,
        "findings": len(findings),
        "rewrite": actions.get("rewrite", 0),
        "review": actions.get("review", 0),
        "by_confidence": dict(Counter(f.confidence for f in findings)),
        "errors": len(run.errors),
        "kept": len(run.kept),
        "phase": run.options.phase,
        "phase_source": run.options.phase_source,
    }


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def summary_line(run: Run) -> str:
    s = summary(run)
    line = (
        f"{count(s['files_scanned'], 'file')} scanned, {count(s['findings'], 'finding')}: "
        f"{s['rewrite']} to rewrite, {s['review']} to review ({s['phase']} phase)"
    )
    if s["kept"]:
        line += f"; {count(s['kept'], 'store')} kept for {'its' if s['kept'] == 1 else 'their'} gateway"
    if s["errors"]:
        line += f"; {s['errors']} could not be read or parsed"
    return line


def render_json(run: Run) -> str:
    document = {
        "schema": SCHEMA,
        "findings": [f.to_json() for f in run.findings],
        "summary": summary(run),
        "errors": [{"path": path, "kind": p.kind, "message": p.message} for path, p in run.problems if p.is_error],
        "kept": [{"path": path, "message": message} for path, message in run.kept],
        "notes": run.notes,
    }
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def render_text(run: Run) -> str:
    lines = []
    # Rewrites first, then what a person has to go through, grouped.
    review = [f for f in run.findings if f.action == "review"]
    for f in [f for f in run.findings if f.action != "review"] + review:
        if f is (review[0] if review else None):
            lines.append(f"to review ({len(review)}):")
        where = f"{f.path}:{f.line}:{f.column}"
        if f.pointer is not None:
            where += f" {f.pointer}"
        lines.append(f"{where}: {f.rule} [{f.confidence}, {f.action}] {f.old!r} -> {f.new!r}: {f.why}")
    lines.extend(run.notes)
    lines.append(summary_line(run))
    return "\n".join(lines) + "\n"


def render_errors(run: Run) -> list[str]:
    """One line per input that could not be used, then per store kept."""
    problems = run.problems
    return [f"error: {p.line(path)}" for path, p in problems if p.is_error] + [
        f"kept: {p.line(path)}" for path, p in problems if not p.is_error]


def _diff_names(display: str) -> tuple[str, str]:
    """git's ``a/``/``b/`` prefixes for relative paths; an absolute path
    (outside the current directory) stands as it is."""
    if display.startswith("/"):
        return display, display
    return f"a/{display}", f"b/{display}"


def render_diff(run: Run) -> str:
    """A unified diff of every proposed change (``--- a/path`` / ``+++ b/path``)."""
    out: list[str] = []
    for result in run.changed:
        if result.updated is not None and result.original is not None:
            before = result.original.decode("utf-8", errors="surrogateescape").splitlines(keepends=True)
            after = result.updated.decode("utf-8", errors="surrogateescape").splitlines(keepends=True)
            old_name, new_name = _diff_names(result.display)
            for line in difflib.unified_diff(before, after, old_name, new_name):
                out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        elif result.plan is not None:
            old_name, new_name = _diff_names(result.display)
            out.append(f"--- {old_name}\n+++ {new_name}\n{result.plan.describe()}\n")
    return "".join(out).encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


def render_sarif(run: Run) -> str:
    """SARIF 2.1.0 (for code scanning), each rewrite carrying its fix."""
    from migrator.sarif import sarif_document

    return json.dumps(sarif_document(run), indent=2) + "\n"


def _escape_data(text: str) -> str:
    # GitHub's workflow-command rules: '%' first, so escapes are not re-escaped.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


GITHUB_LEVELS = {"rewrite": "warning", "review": "notice"}


def render_github(run: Run) -> str:
    """GitHub Actions workflow commands: one annotation per finding, and an
    error annotation per input that could not be used."""
    lines = []
    for f in run.findings:
        props = (
            f"file={_escape_property(f.path)},line={f.line},col={f.column},"
            f"title={_escape_property(f'migrator ({f.rule})')}"
        )
        message = f"'{f.old}' -> '{f.new}' [{f.confidence}, {f.action}]: {f.why}"
        lines.append(f"::{GITHUB_LEVELS[f.action]} {props}::{_escape_data(message)}")
    for path, message in run.errors:
        lines.append(f"::error file={_escape_property(path)},title=migrator::{_escape_data(message)}")
    return "".join(line + "\n" for line in lines)


# `scan --format NAME`: every report format, by name.
RENDERERS = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
}
