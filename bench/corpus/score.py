"""Score migrator against the labelled corpus beside this file.

The corpus holds Python the project has never seen: real OpenClaw callers
(``openclaw/``), callers written after public code that cannot be copied
(``modelled/``), real projects with other vocabularies (``unrelated/``) and a
tree written as a new OpenClaw user would write it (``newuser/``). Every quoted
old status name in it is labelled in ``labels.toml`` with what a correct
migration does to it:

- ``rewrite`` (``role = "read"``: expand and contract change it; ``role =
  "write"``: only contract changes it, expand leaves writers alone),
- ``review`` (ambiguous: changed or only listed, both are fine),
- ``leave`` (another vocabulary: it must never change).

The script copies the corpus to a temporary directory, runs
``python -m migrator apply --write`` there in each phase (each on a fresh copy)
and ``scan --format json``, with the checkout this file lives in on
``PYTHONPATH``; then it compares, literal by literal, what changed or was found
with the labels. It only uses the CLI, so it measures any version of the code.
It always exits 0: it is a measurement, not a gate.

    python bench/corpus/score.py [DIR] [--json OUT]

``DIR`` (default: this corpus) scores another labelled set laid out the same
way, its own ``labels.toml`` at its root (``bench/holdout`` is one).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tokenize
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).resolve().parent
CHECKOUT = CORPUS.parent.parent
LABELS = CORPUS / "labels.toml"
GROUPS = ("openclaw", "modelled", "unrelated", "newuser")
PHASES = ("expand", "contract")

# The rename, old -> new. The scorer's own copy on purpose: it is the yardstick
# and must not move when the tool's manifest does.
RENAMES = {
    "failed": "interrupted",
    "timeout": "waiting_for_response",
    "done": "agent_responded",
    "killed": "halted",
}
OLD_OF = {new: old for old, new in RENAMES.items()}
VERDICTS = ("rewrite", "review", "leave")
ROLES = ("read", "write")
KEPT_NOTE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<rule>[\w-]+): `(?P<old>\w+)` kept in expand")
# How far (in tokens) an inserted new name may sit from the old literal it
# extends, as in `s in ("failed", "interrupted")` or a set that gains a name.
NEAR = 12


@dataclass(frozen=True)
class Literal:
    """One quoted old status name in a corpus file."""

    path: str  # relative to the corpus root, with "/"
    line: int  # 1-based
    col: int  # 1-based, at the opening quote (or string prefix)
    old: str


@dataclass(frozen=True)
class Label:
    """What a correct migration does to one literal, and why."""

    literal: Literal
    verdict: str
    role: str | None
    why: str

    def expected_change(self, phase: str) -> bool | None:
        """True if the phase must change it, False if it must not, None if either is fine."""
        if self.verdict == "review":
            return None
        if self.verdict == "leave":
            return False
        return phase == "contract" or self.role == "read"


@dataclass
class Outcome:
    """What one run of the tool did to the corpus."""

    name: str
    command: list[str]
    returncode: int
    stderr: str
    touched: set[Literal] = field(default_factory=set)
    changed_files: set[str] = field(default_factory=set)
    unlabelled: list[str] = field(default_factory=list)
    detail: dict[Literal, str] = field(default_factory=dict)  # what a scan said at a literal


def corpus_files(root: Path = CORPUS) -> list[Path]:
    """Every Python file of the corpus proper (not this scorer)."""
    return sorted(p for g in GROUPS for p in (root / g).rglob("*.py") if "__pycache__" not in p.parts)


def projects(root: Path = CORPUS) -> list[str]:
    """The project directories (``group/name``) handed to the CLI, one path each."""
    return sorted(f"{g}/{p.name}" for g in GROUPS if (root / g).is_dir() for p in (root / g).iterdir() if p.is_dir())


def old_literals(source: str, rel: str) -> list[Literal]:
    """Every string literal whose whole value is an old status name, in source order."""
    found: list[Literal] = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type != tokenize.STRING:
            continue
        try:
            value = ast.literal_eval(tok.string)
        except (ValueError, SyntaxError):  # f-strings and the like hold no plain literal
            continue
        if isinstance(value, str) and value in RENAMES:
            found.append(Literal(rel, tok.start[0], tok.start[1] + 1, value))
    return found


def load_labels(path: Path = LABELS) -> dict[Literal, Label]:
    """The labels, keyed by literal; raises ValueError on a malformed entry."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    labels: dict[Literal, Label] = {}
    for rel, entry in data.get("files", {}).items():
        for item in entry.get("labels", []):
            line, col = (int(x) for x in item["at"].split(":"))
            lit = Literal(rel, line, col, item["old"])
            verdict, role = item["verdict"], item.get("role")
            if verdict not in VERDICTS or (verdict == "rewrite") != (role in ROLES):
                raise ValueError(f"{rel}:{item['at']}: bad verdict/role {verdict!r}/{role!r}")
            if lit in labels:
                raise ValueError(f"{rel}:{item['at']}: labelled twice")
            labels[lit] = Label(lit, verdict, role, item["why"])
    return labels


def _significant(source: str) -> list[tokenize.TokenInfo]:
    """Tokens that carry code (comments and layout left out: a note is no change)."""
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER}
    return [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in skip]


def _value(tok: tokenize.TokenInfo) -> str | None:
    if tok.type != tokenize.STRING:
        return None
    try:
        value = ast.literal_eval(tok.string)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def touched_literals(before: str, after: str, rel: str) -> set[Literal]:
    """The old literals of ``before`` that the edit to ``after`` replaced, removed or extended.

    Tokens are aligned with difflib. A literal inside a replaced or deleted span
    changed; a new name inserted near an old literal of the same pair (the
    expand forms) counts for the nearest such literal.
    """
    a, b = _significant(before), _significant(after)
    olds = [i for i, t in enumerate(a) if _value(t) in RENAMES]
    if not olds:
        return set()

    def lit(i: int) -> Literal:
        return Literal(rel, a[i].start[0], a[i].start[1] + 1, _value(a[i]) or "")

    hit: set[int] = set()
    matcher = difflib.SequenceMatcher(a=[t.string for t in a], b=[t.string for t in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        hit.update(i for i in olds if i1 <= i < i2)
        for tok in b[j1:j2]:
            old = OLD_OF.get(_value(tok) or "")
            if old is None:
                continue
            near = [i for i in olds if _value(a[i]) == old and abs(i - i1) <= NEAR]
            if near:
                hit.add(min(near, key=lambda i: abs(i - i1)))
    return {lit(i) for i in hit}


def copy_corpus(dest: Path, root: Path = CORPUS) -> None:
    """The corpus trees alone, without the scorer, labels or any journal."""
    ignore = shutil.ignore_patterns(".migrator", "__pycache__")
    for g in GROUPS:
        if (root / g).is_dir():
            shutil.copytree(root / g, dest / g, ignore=ignore)


def run_cli(args: list[str], cwd: Path, checkout: Path = CHECKOUT) -> subprocess.CompletedProcess[str]:
    """``python -m migrator ARGS`` on ``checkout``, in a real subprocess."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    env.pop("CI", None)
    return subprocess.run(
        [sys.executable, "-m", "migrator", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


def apply_phase(phase: str, work: Path, root: Path = CORPUS, checkout: Path = CHECKOUT) -> Outcome:
    """Copy the corpus into ``work``, apply one phase there, and say which literals it touched."""
    copy_corpus(work, root)
    args = ["apply", "--write", "--no-cache", "--phase", phase, *projects(root)]
    proc = run_cli(args, work, checkout)
    out = Outcome(f"apply --phase {phase}", args, proc.returncode, proc.stderr)
    for src in corpus_files(root):
        rel = src.relative_to(root).as_posix()
        before, after = src.read_bytes(), (work / rel).read_bytes()
        if before != after:
            out.changed_files.add(rel)
            out.touched |= touched_literals(before.decode("utf-8"), after.decode("utf-8"), rel)
    return out


def scan(work: Path, root: Path = CORPUS, checkout: Path = CHECKOUT) -> tuple[Outcome, Outcome]:
    """Copy the corpus into ``work``, scan it, and map each finding to the literal it names.

    Two views of one run: every finding (a listed review is a find), and only
    the findings the tool would rewrite (``action`` = ``rewrite``).
    """
    copy_corpus(work, root)
    args = ["scan", "--format", "json", "--no-cache", *projects(root)]
    proc = run_cli(args, work, checkout)
    out = Outcome("scan (any finding)", args, proc.returncode, proc.stderr)
    rewrites = Outcome("scan (action rewrite)", args, proc.returncode, proc.stderr)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        out.stderr += "\n(scan printed no JSON)"
        return out, rewrites
    findings = report.get("findings", [])
    # A site expand keeps by design (a writer) is a note, "PATH:LINE:COL: RULE:
    # `old` kept in expand ..., contract pending": the tool names it too.
    for note in report.get("notes", []):
        kept = KEPT_NOTE.match(str(note))
        if kept:
            findings.append({"kind": "python", "path": kept["path"], "line": int(kept["line"]),
                             "column": int(kept["col"]), "old": kept["old"], "confidence": "",
                             "action": "kept", "rule": kept["rule"]})
    by_line: dict[tuple[str, int], list[Literal]] = {}
    for src in corpus_files(root):
        rel = src.relative_to(root).as_posix()
        for lit in old_literals(src.read_text(encoding="utf-8"), rel):
            by_line.setdefault((rel, lit.line), []).append(lit)
    for f in findings:
        if f.get("kind") != "python":
            continue
        where = Path(str(f.get("path", "")))
        if where.is_absolute():  # a tool may print absolute paths; the labels are relative
            try:
                where = where.resolve().relative_to(work.resolve())
            except ValueError:
                pass
        rel = where.as_posix().removeprefix("./")
        here = by_line.get((rel, int(f.get("line", 0))), [])
        exact = [lit for lit in here if lit.col == int(f.get("column", 0))]
        same_word = [lit for lit in here if lit.old == f.get("old")]
        match = exact or same_word[:1] or here[:1]
        if match:
            out.touched.add(match[0])
            said = f"{f.get('confidence')} {f.get('action')} {f.get('rule')}"
            out.detail[match[0]] = rewrites.detail[match[0]] = said
            if f.get("action") == "rewrite":
                rewrites.touched.add(match[0])
        else:
            out.unlabelled.append(f"{rel}:{f.get('line')}:{f.get('column')} {f.get('old')} ({f.get('confidence')})")
    return out, rewrites


@dataclass
class Score:
    """Precision and recall of one run against the labels."""

    name: str
    tp: list[Label] = field(default_factory=list)
    fp: list[Label] = field(default_factory=list)
    fn: list[Label] = field(default_factory=list)
    review_touched: int = 0
    review_total: int = 0

    @property
    def precision(self) -> float:
        return len(self.tp) / (len(self.tp) + len(self.fp)) if self.tp or self.fp else 1.0

    @property
    def recall(self) -> float:
        return len(self.tp) / (len(self.tp) + len(self.fn)) if self.tp or self.fn else 1.0


def score(outcome: Outcome, labels: dict[Literal, Label], phase: str | None) -> Score:
    """Compare one run with the labels; ``phase`` None scores a scan (finding = expected)."""
    s = Score(outcome.name)
    for lit, label in sorted(labels.items(), key=lambda kv: (kv[0].path, kv[0].line, kv[0].col)):
        got = lit in outcome.touched
        if label.verdict == "review":
            s.review_total += 1
            s.review_touched += got
            continue
        # A scan should list every rewrite (writers too, in either phase).
        want = label.verdict == "rewrite" if phase is None else bool(label.expected_change(phase))
        if want and got:
            s.tp.append(label)
        elif want:
            s.fn.append(label)
        elif got:
            s.fp.append(label)
    return s


def _describe(label: Label, outcome: Outcome) -> str:
    lit = label.literal
    role = f"/{label.role}" if label.role else ""
    said = f" (scan: {outcome.detail[lit]})" if lit in outcome.detail else ""
    return f"    {lit.path}:{lit.line}:{lit.col} {lit.old!r} [{label.verdict}{role}] {label.why}{said}"


def report(
    scores: list[Score], outcomes: list[Outcome], labels: dict[Literal, Label], root: Path = CORPUS
) -> str:
    """The human report: numbers first, then every miss and wrong change with its label's reason."""
    counts = {v: sum(1 for lab in labels.values() if lab.verdict == v) for v in VERDICTS}
    lines = [
        f"{root.name}: {len(corpus_files(root))} files, {len(labels)} labelled literals "
        + ", ".join(f"{n} {v}" for v, n in counts.items()),
    ]
    leave_only = all_leave_files(labels)
    for sc, out in zip(scores, outcomes):
        lines.append("")
        lines.append(
            f"{sc.name}: precision {sc.precision:.2f} recall {sc.recall:.2f} "
            f"(tp {len(sc.tp)}, fp {len(sc.fp)}, fn {len(sc.fn)}; review touched {sc.review_touched}/{sc.review_total}; "
            f"exit {out.returncode})"
        )
        if out.returncode not in (0, 1):
            lines.append("    tool stderr: " + " | ".join(out.stderr.strip().splitlines()[-5:]))
        broken = sorted(leave_only & out.changed_files)
        if broken:
            lines.append(f"  files labelled all-leave that changed ({len(broken)}):")
            lines += [f"    {p}" for p in broken]
        if sc.fp:
            lines.append(f"  false positives ({len(sc.fp)}):")
            lines += [_describe(lab, out) for lab in sc.fp]
        if sc.fn:
            lines.append(f"  false negatives ({len(sc.fn)}):")
            lines += [_describe(lab, out) for lab in sc.fn]
        if out.unlabelled:
            lines.append(f"  findings at no labelled literal ({len(out.unlabelled)}):")
            lines += [f"    {u}" for u in out.unlabelled]
    return "\n".join(lines)


def all_leave_files(labels: dict[Literal, Label]) -> set[str]:
    """Files whose every label is ``leave``: not one byte of them may change."""
    verdicts: dict[str, set[str]] = {}
    for lit, lab in labels.items():
        verdicts.setdefault(lit.path, set()).add(lab.verdict)
    return {p for p, v in verdicts.items() if v == {"leave"}}


def main(argv: list[str] | None = None) -> int:
    """Run every measurement, print the report, and exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path, default=CORPUS,
                        help="the labelled set to score (default: this corpus); its labels.toml at its root")
    parser.add_argument("--json", type=Path, help="also write the numbers and lists here")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    labels = load_labels(root / "labels.toml")
    outcomes: list[Outcome] = []
    scores: list[Score] = []
    with tempfile.TemporaryDirectory(prefix="corpus-score-") as tmp:
        for phase in PHASES:
            out = apply_phase(phase, Path(tmp) / phase, root)
            outcomes.append(out)
            scores.append(score(out, labels, phase))
        for out in scan(Path(tmp) / "scan", root):
            outcomes.append(out)
            scores.append(score(out, labels, None))
    print(report(scores, outcomes, labels, root))
    if args.json:
        def rows(items: list[Label]) -> list[dict[str, object]]:
            return [{"at": f"{x.literal.path}:{x.literal.line}:{x.literal.col}", "old": x.literal.old,
                     "verdict": x.verdict, "role": x.role, "why": x.why} for x in items]
        args.json.write_text(json.dumps([
            {"name": s.name, "precision": s.precision, "recall": s.recall, "tp": len(s.tp),
             "fp": rows(s.fp), "fn": rows(s.fn), "review_touched": s.review_touched,
             "review_total": s.review_total, "exit": o.returncode, "changed_files": sorted(o.changed_files),
             "unlabelled_findings": o.unlabelled}
            for s, o in zip(scores, outcomes)
        ], indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
