"""Render a :class:`~migrator.pipeline.Run`: text, JSON, unified diffs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import click

from migrator.config import Options
from migrator.files import display_path
from migrator.findings import Finding
from migrator.pipeline import Run

SCHEMA = "migrator.scan/1"
# The distribution's name on PyPI (`migrator` there is an unrelated project);
# the command and the import package stay `migrator`.
DISTRIBUTION = "openclaw-migrator"


def tool_version() -> str | None:
    """The installed version, or None when running from a bare checkout."""
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


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
        # Several projects in other phases: "mixed", each named in "projects".
        "phase": _one({o.phase for o in _projects(run)}, "mixed"),
        "phase_source": _one({o.phase_source for o in _projects(run)}, "per project"),
    }


def _projects(run: Run) -> tuple[Options, ...]:
    return run.projects or (run.options,)


def _one(values: set[str], several: str) -> str:
    return next(iter(values)) if len(values) == 1 else several


def phase_text(run: Run) -> str:
    """``expand phase``; with projects in other phases, each named by its
    root: ``contract phase in a, expand phase in b``."""
    projects = _projects(run)
    if len({o.phase for o in projects}) == 1:
        return f"{projects[0].phase} phase"
    cwd = Path.cwd()
    return ", ".join(f"{o.phase} phase in {display_path(o.root.absolute(), cwd)}" for o in projects)


def projects(run: Run) -> list[dict[str, Any]]:
    """Each project of the run: its configuration, root, paths and phase."""
    return [{
        "config": str(o.config_file) if o.config_file else None,
        "root": str(o.root),
        "paths": [str(p) for p in o.paths],
        "phase": o.phase,
        "phase_source": o.phase_source,
    } for o in _projects(run)]


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def summary_line(run: Run) -> str:
    s = summary(run)
    line = (
        f"{count(s['files_scanned'], 'file')} scanned, {count(s['findings'], 'finding')}: "
        f"{s['rewrite']} to rewrite, {s['review']} to review ({phase_text(run)})"
    )
    if s["kept"]:
        line += f"; {count(s['kept'], 'store')} kept for {'its' if s['kept'] == 1 else 'their'} gateway"
    # A path that does not exist is a usage error (exit 2), not an unreadable input.
    absent = sum(1 for m in run.missing if m.usage)
    if absent:
        line += f"; {count(absent, 'path')} not found"
    if s["errors"] - absent:
        line += f"; {s['errors'] - absent} could not be read or parsed"
    return line


def state_dirs(run: Run) -> list[dict[str, Any]]:
    """The state dirs of the run, each with the stores found and where from."""
    return [{
        "root": str(state.root),
        "config": str(state.config),
        "gateway": state.version_text,
        "stores": [{"path": str(store.path), "store": store.surface, "from": store.origin, "agents": list(store.agents)}
                   for store in state.stores],
        "warnings": list(state.warnings),
    } for state in run.state_dirs]


def state_dir_lines(run: Run) -> list[str]:
    """What ``scan`` says of each state dir: every store found, and where from."""
    cwd = Path.cwd()
    lines = []
    for state in run.state_dirs:
        written = f", last written by {state.version_text}" if state.version_text else ""
        lines.append(f"OpenClaw state dir {display_path(state.root, cwd)} "
                     f"(config {display_path(state.config, cwd)}{written}): {count(len(state.stores), 'store')}")
        for store in state.stores:
            agents = f", shared by agents {', '.join(store.agents)}" if len(store.agents) > 1 else \
                "".join(f", agent {a}" for a in store.agents)
            lines.append(f"  {display_path(store.path, cwd)}: {store.surface}, from {store.origin}{agents}")
    return lines


def render_json(run: Run) -> str:
    document = {
        "schema": SCHEMA,
        "findings": [f.to_json() for f in run.findings],
        "summary": summary(run),
        "errors": [{"path": path, "kind": p.kind, "message": p.message} for path, p in run.problems if p.is_error],
        "kept": [{"path": path, "message": message} for path, message in run.kept],
        "notes": run.notes,
        "state_dirs": state_dirs(run),
        "projects": projects(run),
    }
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def _where(f: Finding) -> str:
    """``path:line:column``; a database row is named by its table, column and
    session key (its rowid means nothing to a person)."""
    if f.table is not None:
        return f"{f.path}: {f.table}.{f.column_name} of {f.key}"
    return f"{f.path}:{f.line}:{f.column}"


_STYLES = {"rewrite": "yellow", "review": "cyan"}


def finding_line(f: Finding, *, show_why: bool = False, colour: bool = False) -> str:
    """One finding on one short line (``path:line:col: rule [confidence,
    action] 'old' -> 'new'``), with the why appended on request."""
    where, rule = _where(f), f.rule
    if colour:
        where = click.style(where, bold=True)
        rule = click.style(rule, fg=_STYLES[f.action], bold=True)
    line = f"{where}: {rule} [{f.confidence}, {f.action}] {f.old!r} -> {f.new!r}"
    if f.pointer is not None:
        # After the arrow: `path:line:col: ` stays what editors and CI matchers parse.
        line += f" at {f.pointer}"
    return f"{line}: {f.why}" if show_why else line


def statistics_lines(run: Run) -> list[str]:
    """Counts per rule, then per kind of file, largest first (ruff's --statistics)."""
    findings = run.findings
    lines = []
    for title, counter in (("rule", Counter(f.rule for f in findings)), ("kind", Counter(f.kind for f in findings))):
        width = max((len(str(n)) for n in counter.values()), default=1)
        lines.append(f"by {title}:")
        for name, n in sorted(counter.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  {n:>{width}}  {name}")
    return lines


def render_text(run: Run, *, show_why: bool = False, statistics: bool = False, quiet: bool = False,
                colour: bool = False) -> str:
    """The default report: one short line per finding (rewrites, then those
    to review), the notes and a summary; ``quiet`` keeps the findings only."""
    lines = []
    if statistics:
        lines += statistics_lines(run)
    else:
        # Rewrites first, then what a person has to go through, grouped.
        review = [f for f in run.findings if f.action == "review"]
        for f in [f for f in run.findings if f.action != "review"] + review:
            if f is (review[0] if review else None) and not quiet:
                lines.append(f"to review ({len(review)}):")
            lines.append(finding_line(f, show_why=show_why, colour=colour))
    if not quiet:
        lines.extend(run.notes)
        lines.extend(state_dir_lines(run))
        lines.append(summary_line(run))
    return "".join(line + "\n" for line in lines)



def check_summary(run: Run) -> str:
    """black's closing line for --check: ``1 file would be rewritten, 4 files
    would be left unchanged.``"""
    changed = len(run.changed)
    # A store kept for its gateway is left unchanged; one that failed is counted apart.
    failed = sum(1 for r in run.results if r.error and r.error.is_error)
    parts = [f"{count(changed, 'file')} would be rewritten"] if changed else []
    parts.append(f"{count(max(run.files_seen - changed - failed, 0), 'file')} would be left unchanged")
    if run.errors:
        parts.append(f"{count(len(run.errors), 'file')} could not be read or parsed")
    return ", ".join(parts) + "."


def render_errors(run: Run) -> list[str]:
    """One line per input that could not be used, then per store kept, then
    per warning (a store a state dir's config names that does not exist)."""
    problems = run.problems
    warnings = [f"warning: {w}" for state in run.state_dirs for w in state.warnings]
    return [f"error: {p.line(path)}" for path, p in problems if p.is_error] + [
        f"kept: {p.line(path)}" for path, p in problems if not p.is_error] + warnings


def _diff_names(display: str) -> tuple[str, str]:
    """git's ``a/``/``b/`` prefixes for relative paths; an absolute path
    (outside the current directory) stands as it is."""
    if display.startswith("/"):
        return display, display
    return f"a/{display}", f"b/{display}"


def render_diff(run: Run) -> str:
    """A unified diff of every proposed change (``--- a/path`` / ``+++ b/path``)."""
    import difflib  # here: only a diff needs it, not every command

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
        # A database row has no line to annotate: the message names its key.
        position = f"line={f.line},col={f.column}," if f.table is None else ""
        props = f"file={_escape_property(f.path)},{position}title={_escape_property(f'migrator ({f.rule})')}"
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
