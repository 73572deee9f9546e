"""The text engine: agent prompts and skills that teach agents the old names.

Markdown and plain-text prompt files (``AGENTS.md``, ``SOUL.md``,
``TOOLS.md``, ``skills/*/SKILL.md`` at any depth, the Markdown of an OpenClaw
workspace, and the globs of ``[tool.migrator.text] paths``) get:

- ``prompt-status``: an old value in a status context (see
  :mod:`migrator.engines.prose`);
- ``prompt-respawn``: an instruction that spawns a new session because of a
  status, with the sentence to add (OpenClaw issue #64103, option D);
- the Python rules inside ```python blocks, and stored-data rules inside
  ```json blocks.

Findings are for review by default. The contract phase rewrites quoted and
back-ticked values in a status context and the fenced code; the expand phase
names both (`` `failed` / `interrupted` ``) only with ``name-both = true``.
Everything else stays byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pathspec

from migrator.config import Options
from migrator.engines import BaseEngine, Context
from migrator.engines.markdown import Document, Fence, parse
from migrator.engines.prose import RULE_JSON, RULE_STATUS, Edit, ProseRules
from migrator.engines.prompt_rules import RULES
from migrator.files import SourcePath
from migrator.manifest import Manifest, load_manifest
from migrator.pointers import PointerPattern
from migrator.rules import Rule
from migrator.statedir import config_path, workspaces
from migrator.suppressions import Suppressions, parse as parse_suppressions
from migrator.findings import Action, Confidence, FileResult, Finding, Problem, unparsable

DEFAULT_GLOBS = ("AGENTS.md", "SOUL.md", "TOOLS.md", "**/skills/*/SKILL.md")
# A project's own documentation: scanned with the same rules, for review only,
# when it names OpenClaw (a table of session statuses in a README).
DOC_GLOBS = ("README.md", "**/docs/**/*.md")
DOC_EVIDENCE = re.compile(r"\bopenclaw\b", re.IGNORECASE)
# Given by name on the command line, these are prompts whatever their name.
TEXT_SUFFIXES = (".md", ".markdown", ".mdx", ".txt")
# Inside an OpenClaw workspace: its bootstrap files, memory notes and skills.
WORKSPACE_GLOBS = ("/*.md", "/memory/*.md", "/skills/**/SKILL.md")
PYTHON_FENCES = frozenset({"python", "py", "python3"})
JSON_FENCES = frozenset({"json", "jsonc", "json5"})

__all__ = ["RULES", "TextEngine", "analyse", "workspaces"]


class TextEngine(BaseEngine):
    """Findings and rewrites for Markdown and plain-text prompts."""

    kind = "text"
    cacheable = True
    reads_bytes = True

    @property
    def rules(self) -> tuple[Rule, ...]:
        return RULES

    def __init__(self, options: Options | None = None) -> None:
        self._defaults = pathspec.GitIgnoreSpec.from_lines(DEFAULT_GLOBS)
        self._workspace_spec = pathspec.GitIgnoreSpec.from_lines(WORKSPACE_GLOBS)
        self._docs = pathspec.GitIgnoreSpec.from_lines(DOC_GLOBS)
        self._configs: dict[Path, tuple[Path, ...]] = {}
        self._rules: ProseRules | None = None
        manifest = options.manifest if options else load_manifest()
        self._old = manifest.vocabulary.pattern("prose")
        # A ```json block may write an old value with escapes ("\u0064one").
        self._escaped = manifest.vocabulary.pattern("json")
        self._user = pathspec.GitIgnoreSpec.from_lines(list(options.text.paths if options else ()))

    # -- claiming --------------------------------------------------------
    def claims(self, source: SourcePath, options: Options) -> bool:
        if source.path.suffix in (".py", ".pyi"):
            return False
        if source.explicit and source.path.suffix.lower() in TEXT_SUFFIXES:
            return True
        if self._defaults.match_file(source.rel):
            return True
        try:
            rel_root = source.path.relative_to(options.root).as_posix()
        except ValueError:
            rel_root = source.rel
        if self._user.match_file(rel_root):
            return True
        return source.path.suffix == ".md" and (self._in_workspace(source) or self._is_doc(source))

    def _is_doc(self, source: SourcePath) -> bool:
        """Project documentation (README.md, docs/**/*.md) rather than a prompt."""
        return bool(self._docs.match_file(source.rel)) and not self._defaults.match_file(source.rel)

    def _in_workspace(self, source: SourcePath) -> bool:
        """Whether the file is Markdown of an OpenClaw workspace: the state dir
        holding ``openclaw.json`` is the root or one of the directories between
        the root and the file (or just above the root, for a workspace given
        by itself)."""
        root = source.root
        directory = source.path.parent
        candidates = []
        while True:
            candidates.append(directory)
            if directory == root or directory == directory.parent:
                break
            directory = directory.parent
        candidates.append(root.parent)
        for state in candidates:
            for workspace in self._workspaces(state):
                try:
                    rel = source.path.relative_to(workspace).as_posix()
                except ValueError:
                    continue
                if self._workspace_spec.match_file(rel):
                    return True
        return False

    def _workspaces(self, state: Path) -> tuple[Path, ...]:
        if state in self._configs:
            return self._configs[state]
        found: tuple[Path, ...] = ()
        config = config_path(state)
        if config.is_file() and not config.is_symlink():
            found = workspaces(config, state)
        self._configs[state] = found
        return found

    def prefilter(self, data: bytes) -> bool:
        if self._old.search(data) is not None:
            return True
        # Only text with an escape can hold a value the word search misses.
        return b"\\u" in data and self._escaped.search(data) is not None

    # -- processing ------------------------------------------------------
    def process(self, source: SourcePath, data: bytes | None, context: Context) -> FileResult:
        assert data is not None
        result = FileResult(source.path, source.display, self.kind, original=data)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            result.error = unparsable(f"not valid UTF-8 (byte {exc.start}); save it as UTF-8 or exclude it")
            return result
        doc = self._is_doc(source)
        if doc and not self._talks_to_openclaw(text, context.options):
            return result  # a README of another project: its `done` is not ours
        analysis = analyse(text, source.display, context.options, self._prose(context.options), review_only=doc)
        result.findings.extend(analysis.findings)
        result.notes.extend(analysis.notes)
        if analysis.updated != text:
            result.updated = analysis.updated.encode("utf-8")
        return result

    def _talks_to_openclaw(self, text: str, options: Options) -> bool:
        return DOC_EVIDENCE.search(text) is not None or self._prose(options).file_evidence(text) is not None

    def _prose(self, options: Options) -> ProseRules:
        if self._rules is None:
            self._rules = ProseRules(options.manifest, options.markers)
        return self._rules

    def verify(self, source: SourcePath, result: FileResult, context: Context) -> str | None:
        """Only values changed: same lines, same line breaks, every Python
        block equivalent but for its literals, and a second pass is a no-op."""
        if result.updated is None or result.original is None:
            return None
        before = result.original.decode("utf-8")
        after = result.updated.decode("utf-8")
        if [_ending(x) for x in before.splitlines(True)] != [_ending(x) for x in after.splitlines(True)]:
            return "the rewritten prompt has different lines or line breaks"
        vocab = context.options.manifest.vocabulary
        old_doc, new_doc = parse(before), parse(after)
        if len(old_doc.fences) != len(new_doc.fences):
            return "the rewritten prompt has different code blocks"
        for old, new in zip(old_doc.fences, new_doc.fences):
            if old.info in PYTHON_FENCES:
                a = _dedent(before[old.body_start : old.body_end], old.indent)[0]
                b = _dedent(after[new.body_start : new.body_end], new.indent)[0]
                if a != b:
                    try:
                        from migrator.engines.python import literals_only

                        problem = literals_only(a.encode(), b.encode(), vocab)
                    except SyntaxError:
                        problem = "a Python block that did not parse was changed"
                    if problem:
                        return f"```python block at line {old.line}: {problem}"
        again = analyse(after, source.display, context.options, self._prose(context.options))
        if again.updated != after:
            return "a second pass would change the prompt again"
        return None


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


# -- analysis of one prompt ------------------------------------------------
class Analysis:
    """Findings, notes and the proposed text of one prompt."""

    def __init__(self, text: str) -> None:
        self.findings: list[Finding] = []
        self.notes: list[str] = []
        self.updated = text


def analyse(text: str, display: str, options: Options, rules: ProseRules, review_only: bool = False) -> Analysis:
    """Findings for one prompt and its text after the phase's rewrites
    (``review_only``: project documentation, listed and never rewritten)."""
    out = Analysis(text)
    doc = parse(text)
    # `<!-- migrator: ignore[...] -->` comments, matched by rule (see migrator.suppressions).
    sup = parse_suppressions(text.splitlines(), "<!--")
    if sup.ignore_file:
        return out
    marked = sup.marked
    vocab = options.manifest.vocabulary
    phase = options.phase
    name_both = options.text.name_both and not review_only
    edits: list[Edit] = []
    prose_outside = _without_fences(text, doc)
    evidence = rules.file_evidence(prose_outside)

    for hit in rules.scan(doc, evidence, phase):
        line, column = doc.position(hit.start)
        if sup.covers({line}, hit.rule):
            continue
        confidence: Confidence = "certain" if line in marked else hit.confidence
        edit = None
        if hit.rule == RULE_STATUS and options.allows(confidence) and not review_only:
            if phase == "contract":
                edit = hit.contract
            elif name_both:
                edit = hit.expand
        why = hit.why
        if hit.named_both and phase == "expand":
            why += "; already names both"
        if review_only:
            why += "; in the project's documentation (listed for review, never rewritten)"
        out.findings.append(
            Finding(display, line, column, "text", hit.old, vocab.to_new(hit.old), confidence,
                    "rewrite" if edit else "review", hit.rule, why)
        )
        if edit is not None:
            edits.append(edit)

    rewrite_code = (phase == "contract" or name_both) and not review_only
    context = FenceContext(display, options, rules, evidence, rewrite_code, sup)
    for fence in doc.fences:
        block = FENCES.get(fence.info)
        if block is not None:
            edit = block(text[fence.body_start : fence.body_end], fence, doc, context, out)
            if edit is not None:
                edits.append(edit)
    out.notes.extend(sup.notes(display))
    out.findings.sort(key=lambda f: (f.line, f.column, f.rule))
    out.updated = _splice(text, edits)
    return out


def _splice(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits; the bytes between them are untouched."""
    pieces = []
    position = 0
    for edit in sorted(edits, key=lambda e: e.start):
        if edit.start < position:
            continue  # overlapping: the first one wins, the next pass sees the rest
        pieces.append(text[position : edit.start])
        pieces.append(edit.new)
        position = edit.end
    pieces.append(text[position:])
    return "".join(pieces)


def _without_fences(text: str, doc: Document) -> str:
    pieces = []
    position = 0
    for fence in doc.fences:
        pieces.append(text[position : fence.body_start])
        position = fence.body_end
    pieces.append(text[position:])
    return "".join(pieces)


def _dedent(body: str, indent: str) -> tuple[str, list[str]]:
    """Remove the fence's indentation from each body line, as CommonMark does;
    return the code and what was removed from each line."""
    lines = body.splitlines(keepends=True)
    removed = []
    out = []
    for line in lines:
        cut = 0
        while cut < len(indent) and cut < len(line) and line[cut] == " ":
            cut += 1
        removed.append(line[:cut])
        out.append(line[cut:])
    return "".join(out), removed


@dataclass(frozen=True)
class FenceContext:
    """What a fenced block knows of the prompt around it."""

    display: str
    options: Options
    rules: ProseRules
    #: The prose's evidence that it is about OpenClaw sessions, or None.
    evidence: str | None
    #: Whether the phase rewrites fenced code (otherwise it is for review).
    rewrite: bool
    #: The prompt's ``<!-- migrator: ignore -->`` comments.
    sup: Suppressions


def _python_fence(
    body: str, fence: Fence, doc: Document, context: FenceContext, out: Analysis,
) -> Edit | None:
    """Run the Python rules on a ```python block, in the prompt's coordinates,
    through the Python engine's own path (:func:`migrator.engines.python.rewrite_source`)."""
    code, removed = _dedent(body, fence.indent)
    evidence, display = context.evidence, context.display

    # The prose around the block is the module's context: a prompt about
    # sessions_list makes its examples OpenClaw code.
    def around(_imports: object) -> list[str]:
        return [f"the prompt around it mentions `{evidence}`"] if evidence else []

    # The Python engine's own path (LibCST is loaded only when a prompt holds Python code).
    from migrator.engines.python import block_rewriter, expanded_note, rewrite_source

    options = context.options
    result = rewrite_source(code.encode("utf-8"), block_rewriter(options, around))
    if isinstance(result, str):
        out.notes.append(f"{display}:{fence.line}: ```python block does not parse; its values are left for review")
        return None
    vocab = options.manifest.vocabulary
    blocked = False

    def place(line: int, column: int) -> tuple[int, int]:
        """A block's line and column in the prompt."""
        indent = len(removed[line - 1]) if line - 1 < len(removed) else 0
        return fence.line + line, column + indent

    for f in result.findings:
        line, column = place(f.line, f.column)
        if context.sup.covers({line}, f.rule):
            blocked = True
            continue
        action: Action = "rewrite" if f.rewrite and context.rewrite else "review"
        out.findings.append(
            Finding(display, line, column, "text", f.old, vocab.to_new(f.old), f.confidence, action, f.rule,
                    f"in a ```python block: {f.why}")
        )
    for f in result.expanded:
        # As the Python engine says of a file: this site already takes both names.
        line, column = place(f.line, f.column)
        if not context.sup.covers({line}, f.rule):
            out.notes.append(expanded_note(display, line, column, f.rule, f.old, f.new))
    out.notes.extend(result.suppressions.notes(display, fence.line))
    if not context.rewrite or blocked or result.code == code.encode("utf-8"):
        return None
    new_lines = result.code.decode("utf-8").splitlines(keepends=True)
    if len(new_lines) != len(removed):
        return None  # a rewrite never adds lines; if it did, a person decides
    new_body = "".join(prefix + line for prefix, line in zip(removed, new_lines))
    return Edit(fence.body_start, fence.body_end, new_body)


def _json_fence(
    body: str, fence: Fence, doc: Document, context: FenceContext, out: Analysis,
) -> Edit | None:
    """A ```json example: the values the manifest's session surfaces name
    (a session list, a tool result, a single row), through the data engine's
    own path (:func:`migrator.engines.data.migrate_text`): the same parse,
    edit and proof as a stored document.

    JSON examples teach agents what a result looks like; one that quotes
    another vocabulary (a ``sessions_send`` reply) is left alone.
    """
    from migrator.engines.data import migrate_text

    options = context.options
    sessions = '"sessions"' in body
    if context.rules.foreign_word_re.search(body) and not sessions:
        return None  # e.g. a sessions_send reply: {"status": "ok"} and "timeout"
    # A ```jsonc or ```json5 block may hold comments and trailing commas.
    fmt = "json" if fence.info == "json" else "json5"
    migrated = migrate_text(body, fmt, _fence_patterns(options.manifest), options.manifest.vocabulary.old_to_new,
                            RULE_JSON)
    if isinstance(migrated, Problem):
        reason = "is too deeply nested to analyse" if migrated.kind == "crashed" else "does not parse"
        out.notes.append(f"{context.display}:{fence.line}: ```{fence.info} block {reason}; not examined")
        return None
    if any(set(options.manifest.python.foreign.keys) & set(c.pointer.split("/")) for c in migrated.edits):
        return None  # a record of another vocabulary (a run's `outcome`, `acp`) quoted whole
    evidence = context.evidence
    confidence: Confidence = "likely" if (sessions or evidence) else "possible"
    allowed = context.rewrite and options.allows(confidence)
    blocked = False
    for change in migrated.edits:
        line, column = doc.position(fence.body_start + _offset(body, change.line, change.column))
        if context.sup.covers({line}, RULE_JSON):
            blocked = True
            continue
        why = f"`{change.pointer}` in a ```json example"
        why += " of a session list" if sessions else ""
        why += f"; the prompt mentions `{evidence}`" if evidence else ""
        out.findings.append(
            Finding(context.display, line, column, "text", change.old, change.new, confidence,
                    "rewrite" if allowed else "review", RULE_JSON, why, pointer=change.pointer)
        )
    if not allowed or blocked or not migrated.edits:
        return None
    return Edit(fence.body_start, fence.body_end, migrated.text)


FenceHandler = Callable[[str, Fence, Document, FenceContext, Analysis], Edit | None]
# The code a prompt may quote, by the block's info string, and the engine path each takes.
FENCES: dict[str, FenceHandler] = {
    **dict.fromkeys(PYTHON_FENCES, _python_fence),
    **dict.fromkeys(JSON_FENCES, _json_fence),
}


def _fence_patterns(manifest: Manifest) -> list[PointerPattern]:
    """Where a status sits in the documents prompts quote: a row, a session
    list, a tool result, a sessions.json store (all from the manifest)."""
    texts = {"/" + manifest.vocabulary.field}
    for surface in manifest.gateway:
        texts.update(surface.pointers)
        texts.update(surface.text_pointers)
    for store in manifest.stores:
        texts.update(store.pointers)
    return [PointerPattern.parse(t) for t in sorted(texts)]


def _offset(body: str, line: int, column: int) -> int:
    """The offset in ``body`` of a 1-based line and column."""
    lines = body.splitlines(keepends=True)
    return sum(len(x) for x in lines[: line - 1]) + column - 1

