"""The Python engine: LibCST codemod over ``.py`` files, with provenance."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from pathlib import Path
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Sequence

from migrator.cache import content_digest, decode_fact, encode_fact, fingerprint, open_memo, stat_key
from migrator.config import Options
from migrator.engines import Context
from migrator.files import SourcePath
from migrator.findings import Action, FileResult, Finding, unparsable
from migrator.rules import Rule

if TYPE_CHECKING:
    # Imported where used: LibCST costs most of a second to import, and a run
    # answered from the cache never needs it.
    from codemods.provenance import TreeKnowledge, Verdict
    from codemods.session_status import ImportEvidence, RewriteResult, StatusRewriter
    from codemods.sites import Validator
    from migrator.manifest import Vocabulary


def module_name(rel: str) -> str:
    """``pkg/sub/mod.py`` -> ``pkg.sub.mod``; ``pkg/__init__.py`` -> ``pkg``."""
    # String operations, as pathlib's with_suffix("").parts would
    # give: this runs once per file of the tree.
    head, _, name = rel.rpartition("/")
    if "." in name.lstrip("."):
        name = name[: name.rindex(".")]
    parts = [p for p in (*head.split("/"), name) if p and p != "."]
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


# ``from X import A, B as C`` (also parenthesised over several lines).
_FROM_IMPORT = re.compile(rb"^[ \t]*from[ \t]+([.\w]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]+)", re.MULTILINE)
_IMPORTED = re.compile(rb"(\w+)(?:\s+as\s+(\w+))?")
_IMPORT = re.compile(rb"^[ \t]*import[ \t]+([\w.]+)", re.MULTILINE)
_IMPORT_AS = re.compile(rb"^[ \t]*import[ \t]+([\w.]+)(?:[ \t]+as[ \t]+(\w+))?", re.MULTILINE)
# A call's name, as bytes: `one_of(` in `one_of(row["status"], {"done"})`.
_CALLED = re.compile(rb"(\w+)\(")


def _unites(data: bytes, name: bytes) -> bool:
    """Whether ``data`` may make ``name`` part of a union (``name | B``,
    ``A + name``, ``{*name, *B}``): a byte test, the parse decides."""
    return any(u in data for u in (name + b" |", b"| " + name, b"*" + name, name + b" +", b"+ " + name))


def _from_import_locals(data: bytes) -> list[tuple[str, int, str, str]]:
    """``(module, level, name, local)`` of each ``from ... import name [as
    local]`` the bytes say (a byte scan: the parse decides)."""
    found: list[tuple[str, int, str, str]] = []
    for match in _FROM_IMPORT.finditer(data):
        spec = match.group(1).decode(errors="replace")
        module, level = spec.lstrip("."), len(spec) - len(spec.lstrip("."))
        for item in _IMPORTED.finditer(match.group(2).strip(b"()")):
            if item.group(1) != b"as":
                name = item.group(1).decode(errors="replace")
                found.append((module, level, name, (item.group(2) or item.group(1)).decode(errors="replace")))
    return found


def _local_names(data: bytes, imported: Sequence[tuple[str, int, str]]) -> set[str]:
    """The names the ``imported`` names (and the modules of ``import a.b
    [as c]``) go by in ``data``: each imported name, and what it is
    imported as (`from . import settings as cfg`, then `cfg.ENDED`)."""
    names = {n for _, _, n in imported}
    names |= {local for module, level, name, local in _from_import_locals(data) if (module, level, name) in imported}
    names |= {(m.group(2) or m.group(1)).decode(errors="replace") for m in _IMPORT_AS.finditer(data) if m.group(2)}
    return names


def _same_module(a: str, b: str) -> bool:
    """Whether two dotted names are one module, one seen from above the
    other's import root (``src.pkg.mod`` and ``pkg.mod``)."""
    return a == b or a.endswith("." + b) or b.endswith("." + a)


# A module-level binding (``NAME =`` or ``NAME: T =``) and the start of the
# next top-level line that is not a continuation (a closing bracket).
_TOP_ASSIGN = re.compile(rb"^([A-Za-z_]\w*)[ \t]*(?::[^=\n]+)?=(?!=)", re.MULTILINE)
# ``class SessionStatus(StrEnum):``: a class whose body quotes an old name is
# judged by its uses elsewhere (``row["status"] == SessionStatus.DONE``) too.
_TOP_CLASS = re.compile(rb"^class[ \t]+([A-Za-z_]\w*)[ \t]*[(:]", re.MULTILINE)
_NEXT_TOP_LEVEL = re.compile(rb"^(?=[^\s)\]}#])", re.MULTILINE)


@dataclass(frozen=True)
class ModuleSurvey:
    """What the survey learns of one module without parsing it."""

    name: str
    display: str
    evidence: str | None
    # Source kept only for modules that test a status against an imported
    # name: they are analysed once more in ``gather``, if they import one of
    # the tree's candidate constants.
    importer_source: bytes | None = None
    # ``(module, level, name)`` of each ``from ... import name`` of an importer.
    imported: tuple[tuple[str, int, str], ...] = ()
    # Module-level names bound to a literal that holds an old name in quotes:
    # the only names whose use in another module can change this one.
    constants: tuple[str, ...] = ()
    # Source kept for modules that talk to OpenClaw: they are analysed in
    # ``gather`` for what other modules need (helpers returning session rows,
    # classes built from them).
    talking_source: bytes | None = None
    is_package: bool = False
    # Passed the prefilter (quotes an old name), and what it imports.
    candidate: bool = False
    imports: tuple[tuple[str, int], ...] = ()
    # Whether the bytes say `import` at all: a module that does not cannot
    # import another's constant, and ``gather`` need not read it again.
    has_imports: bool = True
    # The bytes name every key of a session row's shape (the manifest's
    # ``gateway-rows``): the module may define a session row type
    # (`class SessionRow(TypedDict)`), which tells other modules what a
    # value annotated with it is, though nothing in it talks to OpenClaw.
    row_types: bool = False
    # The bytes quote a session command's program and its next word apart
    # (`"openclaw"` ... `"sessions"`): the module may run that command
    # through a helper (`_json("sessions", "--all-agents")` running
    # `[OPENCLAW, *args]`), which tells other modules what its values are.
    runs_command: bool = False
    # Module-level names bound to a statement that quotes a session command's
    # program (`OPENCLAW_BIN = os.environ.get("OPENCLAW_BIN", "openclaw")`),
    # with the program: another module may run `[settings.OPENCLAW_BIN, *args]`.
    programs: tuple[tuple[str, str], ...] = ()
    # A candidate that quotes a key only session rows have (the manifest's
    # ``shape``, `"abortedLastRun"`): it may read session rows by their
    # shape, and so tie the constants it tests with to them, though nothing
    # in the tree names the gateway.
    shaped: bool = False


@dataclass
class TreeFacts:
    """The tree-wide facts of the Python engine."""

    # module -> (display, evidence token) for modules that talk to OpenClaw
    talking: dict[str, tuple[str, str]] = field(default_factory=dict)
    # module.NAME -> the session command's program it names (ModuleSurvey.programs)
    programs: dict[str, str] = field(default_factory=dict)
    # (defining module, name) -> verdicts of status tests in other modules
    uses: dict[tuple[str, str], list[Verdict]] = field(default_factory=dict)
    # dotted name -> chain: functions that return session rows (or, marked
    # FOREIGN_EXPORT, another vocabulary's records), classes built from
    # session statuses, as the modules that build them show
    exports: dict[str, str] = field(default_factory=dict)
    # (defining module, function) -> (parameter index or keyword, origin
    # kind, strength, call site, why) of each argument other modules pass it
    passed: dict[tuple[str, str], list[tuple[str, str, str, str, str]]] = field(default_factory=dict)
    # (module, function) -> (defining module, name) of each signal another
    # module defines that the function is connected to: it is passed what
    # the signal is sent (`session_settled.send(key, status=...)`)
    receivers: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)
    # (module, union) -> (its display, (defining module, name) of each
    # constant it unites that another module defines): `ALL = GOOD | BAD`
    # after `from a import BAD, GOOD`
    unions: dict[tuple[str, str], tuple[str, list[tuple[str, str]]]] = field(default_factory=dict)
    # dotted name -> parameters of a validating helper (`one_of(value,
    # allowed)`) a candidate imports from another module of the tree
    validators: dict[str, Validator] = field(default_factory=dict)
    # (defining module, name) -> the files whose tests with it are session tests
    testers: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    # dotted name -> ``MEMBER=old ...`` of each str-valued session enum the run
    # migrates that another module tests a status with (TreeKnowledge.enums)
    enums: dict[str, str] = field(default_factory=dict)
    # Files with no old name in quotes that test a status with a member of
    # one of those enums: they have sites too (``== SessionStatus.DONE``).
    adopted: set[str] = field(default_factory=set)

    def to_json(self) -> Any:
        """The facts as tagged JSON (:func:`migrator.cache.encode_fact`), for the memo."""
        return encode_fact({
            "talking": self.talking, "programs": self.programs,
            "uses": {key: [(v.confidence, v.why) for v in verdicts] for key, verdicts in self.uses.items()},
            "exports": self.exports, "passed": self.passed, "receivers": self.receivers, "unions": self.unions,
            "validators": self.validators, "testers": {key: sorted(files) for key, files in self.testers.items()},
            "enums": self.enums, "adopted": sorted(self.adopted),
        })

    @classmethod
    def from_json(cls, value: Any) -> "TreeFacts":
        from codemods.verdict import Verdict  # (not the provenance package: it imports the parser)

        held = decode_fact(value, __name__)
        return cls(
            talking=held["talking"], programs=held["programs"],
            uses={key: [Verdict(confidence, why) for confidence, why in verdicts]
                  for key, verdicts in held["uses"].items()},
            exports=held["exports"], passed=held["passed"], receivers=held["receivers"], unions=held["unions"],
            validators=held["validators"], testers={key: set(files) for key, files in held["testers"].items()},
            enums=held["enums"], adopted=set(held["adopted"]),
        )

    def session_exports(self) -> list[str]:
        """The exports that carry session rows or statuses."""
        from codemods.words import COLLECTION_EXPORT, FOREIGN_EXPORT, VALUE_EXPORT

        return [k for k, why in self.exports.items()
                if not why.startswith((FOREIGN_EXPORT, COLLECTION_EXPORT, VALUE_EXPORT))]

    def through_unions(self, uses: Mapping[tuple[str, str], list[Verdict]]) -> dict[tuple[str, str], list[Verdict]]:
        """The verdicts ``uses`` of unions give the constants they unite,
        down every union of unions: a test with `ALL` in one module is a
        test with each of `GOOD` and `BAD` defined in another."""
        out: dict[tuple[str, str], list[Verdict]] = {}

        def push(key: tuple[str, str], verdicts: list[Verdict], seen: frozenset[tuple[str, str]]) -> None:
            for (module, union), (display, components) in self.unions.items():
                if union != key[1] or not _same_module(module, key[0]):
                    continue
                for component in components:
                    if component in seen:
                        continue
                    through = f"`{union}` of {display}"
                    moved = [
                        _verdict(v.confidence, f"through {through}: {v.why}" if v.confidence else f"{v.why} (through {through})")
                        for v in verdicts
                    ]
                    out.setdefault(component, []).extend(moved)
                    push(component, moved, seen | {component})

        for key, verdicts in uses.items():
            push(key, verdicts, frozenset({key}))
        return out

    def uses_of(self, module: str) -> dict[str, list[Verdict]]:
        out: dict[str, list[Verdict]] = {}
        for (defining, name), verdicts in self.uses.items():
            if defining == module:
                out.setdefault(name, []).extend(verdicts)
        return out


def _verdict(confidence: str | None, why: str) -> "Verdict":
    from codemods.provenance import Verdict

    return Verdict(confidence, why)  # type: ignore[arg-type]


def resolve_import(importer: str, is_package: bool, module: str, level: int) -> str:
    """The absolute module name of ``from <level dots><module> import ...`` in ``importer``."""
    if not level:
        return module
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, module] if module else base)


def _defining_session_classes(
    items: Sequence[tuple[SourcePath, Any]], talking: Sequence[tuple[SourcePath, Any]], exports: Mapping[str, str]
) -> list[tuple[SourcePath, Any]]:
    """Candidates not yet asked whose classes other modules build from
    session rows (`Session.from_row(r)` elsewhere): what they build from
    those rows (`RunStatus(row["status"])` in `from_row`) is told too."""
    from codemods.words import FOREIGN_EXPORT

    asked = {v.name for _, v in talking}
    defining = {k.rpartition(".")[0] for k, why in exports.items() if not why.startswith(FOREIGN_EXPORT)}
    return [(s, v) for s, v in items if isinstance(v, ModuleSurvey) and v.candidate and v.name not in asked
            and v.talking_source is not None and v.name in defining]


def _with_classes(functions: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """``functions`` and, for a method (``Class.method``), its class: the
    name a module that calls it imports."""
    return functions | {(module, name.split(".", 1)[0]) for module, name in functions if "." in name}


def _lookup(table: Mapping[str, Any], name: str) -> str | None:
    """``name`` or the tree module it names when the tree was scanned from
    above its import root (``src.pkg.mod`` for ``pkg.mod``)."""
    if name in table:
        return name
    for candidate in table:
        if candidate.endswith("." + name):
            return candidate
    return None


def _syntax_error(data: bytes, exc: Exception) -> str:
    """The error as CPython's own parser places it (LibCST's native parser
    points at the next token); LibCST's words when CPython accepts the file."""
    import ast

    try:
        ast.parse(data)
    except SyntaxError as error:
        return f"cannot parse Python: {error.msg} (line {error.lineno}, column {error.offset})"
    except ValueError:
        pass
    return f"cannot parse Python: {getattr(exc, 'message', exc)}"


def too_deep(data: bytes) -> str | None:
    """Why CPython's parser refuses a file for its nesting, or None.

    LibCST's native parser has no such bound: on a few thousand nested
    brackets or a very long operator chain it overflows its stack and kills
    the process. The stdlib parser stops cleanly first, so it is asked first.
    Other syntax errors are left to LibCST (it reads newer grammar)."""
    from codemods.sites import parse  # the tree the site test parsed, when it did

    try:
        parse(data)
    except SyntaxError as error:
        if "too many nested" in str(error.msg) or "too complex" in str(error.msg):
            return f"cannot parse Python: {error.msg} (line {error.lineno}, column {error.offset})"
    except (RecursionError, MemoryError):
        return "cannot parse Python: too deeply nested to analyse"
    except ValueError:
        pass  # null bytes: LibCST's own error names them
    return None


def rewrite_source(data: bytes, rewriter: "StatusRewriter") -> "RewriteResult | str":
    """One piece of Python source through the nesting guard and the
    rewriter: its result, or why it cannot be read. The one path for a
    Python file and for a ```python block of a prompt."""
    deep = too_deep(data)
    if deep:
        return deep
    import libcst as cst

    try:
        return rewriter.rewrite(data)
    except cst.ParserSyntaxError as exc:
        return _syntax_error(data, exc)
    except UnicodeDecodeError as exc:
        return f"not valid UTF-8 (byte {exc.start}): {exc.reason}"
    except (SyntaxError, ValueError) as exc:
        if "encoding" in str(exc):
            return "not valid UTF-8, and no coding declaration names another encoding"
        return f"cannot read Python source: {exc}"


def block_rewriter(options: Options, around: Callable[[object], list[str]]) -> "StatusRewriter":
    """The rewriter for Python that is no module of the tree (a ```python
    block of a prompt): ``around`` says what ties its context to OpenClaw."""
    from codemods.session_status import StatusRewriter

    return StatusRewriter(options.manifest, options.phase, options.min_confidence, options.markers, around)


def literals_only(before: bytes, after: bytes, vocab: "Vocabulary") -> str | None:
    """Why ``after`` differs from ``before`` other than at status literals
    (None: it does not). The write check of a Python file and of a
    ```python block; a SyntaxError when either does not parse."""
    from codemods.session_status import equivalent_except_literals

    return equivalent_except_literals(before, after, vocab)


def expanded_note(display: str, line: int, column: int, rule: str, old: str, new: str) -> str:
    """The note for a site that already accepts the old and the new name:
    expand is done there, contract pending. One wording for a Python file
    and for a ```python block of a prompt."""
    return f"{display}:{line}:{column}: {rule}: expanded (accepts `{old}` and `{new}`), contract pending"


def _anchors(tokens: Sequence[bytes]) -> list[bytes]:
    """Few substrings that every one of ``tokens`` holds one of: each
    token's leading word, less a plural's ``s`` (``sessions_list`` ->
    ``session``), those another anchor holds dropped."""
    words = set()
    for token in tokens:
        word = re.match(rb"[a-z0-9]*", token).group(0) or token  # type: ignore[union-attr]
        words.add(word[:-1] if word.endswith(b"s") and len(word) > 3 else word)  # a prefix of the token still
    return sorted(w for w in words if not any(o != w and o in w for o in words))


class PythonEngine:
    kind = "python"
    cacheable = True
    reads_bytes = True
    project_facts = True  # a module's facts come from its callers and the constants it imports

    @property
    def rules(self) -> tuple[Rule, ...]:
        # Each form under codemods/forms/ holds its own rule.
        from codemods.forms import rules

        return rules()

    def __init__(self) -> None:
        self._old: re.Pattern[bytes] | None = None
        self._evidence: re.Pattern[bytes] | None = None
        self._status: re.Pattern[bytes] | None = None
        self._vocabulary: Vocabulary | None = None
        self._last_prefilter: tuple[bytes, bool] | None = None
        self._last_talks: tuple[bytes, str | None] | None = None
        self._sites: Any = None
        self._root: Path | None = None
        self._root_of: Path | None = None
        # The tree's program constants (TreeFacts.programs), known once gathered.
        self._programs: dict[str, str] = {}
        # Per module (its path, name and bytes' digest), each export analysis
        # of this gather: the calls it was given, what it asked of the exports
        # (an ExportsView), what it found.
        self._asked: dict[tuple[str, str, str], list[tuple[dict[str, Any], Any, dict[str, str]]]] = {}
        # The digests of each file the gathering read again from disk (by path).
        self._reread: dict[str, set[str]] = {}
        self._program_words: list[bytes] = []
        self._program_spellings: list[bytes] = []
        self._next_words: list[bytes] = []

    def _patterns(self, options: Options) -> None:
        if self._old is None:
            manifest = options.manifest
            # A candidate holds an old name as a whole word after an opening
            # quote on the same line: every form (a literal, a message) lives in
            # a string. Most files that merely say "timeout" or "failed" in
            # names and comments are never parsed; the cost of a run follows
            # the candidates. Only a word inside a multi-line triple-quoted
            # string (docstrings, which are never rewritten) goes unseen.
            # The word alone first (a fast scan); the quote test only on the
            # lines where it occurs.
            self._old = manifest.vocabulary.pattern("python")
            # Every form but a message holds an old name as a whole literal:
            # "done" or 'done' (any prefix, triple quotes too). The prefilter
            # asks it by substring search (Vocabulary.quoted_in), the sites
            # of a candidate by this pattern.
            self._quoted = manifest.vocabulary.pattern("python-literal")
            self._vocabulary = manifest.vocabulary
            # Substring tests on the lowercased bytes beat an IGNORECASE
            # alternation by an order of magnitude.
            self._tokens = [t.lower().encode() for t in (*manifest.python.evidence, *options.markers) if t]
            # Fewer scans still: the tokens' leading words (`session`,
            # `openclaw`), each a substring of some tokens; a file holding
            # none of them holds no token.
            self._anchors = _anchors(self._tokens)
            # Some tokens are evidence only inside a string, as the codemod
            # counts them: not in code (`sessions.list,` of another SDK,
            # `_get_cluster_session_nodes`) nor in a comment.
            self._string_only = {
                t.lower().encode() for t in manifest.python.string_evidence
            } - {m.lower().encode() for m in options.markers}
            self._evidence = re.compile(b"|".join(re.escape(t) for t in self._tokens))
            # Importing an OpenClaw package, or running its CLI's session list
            # (["openclaw", "sessions", ...]), as the codemod itself counts them.
            self._packages = [p.lower().encode() for p in manifest.python.evidence_imports]
            packages = b"|".join(re.escape(p.encode()) for p in manifest.python.evidence_imports) or b"(?!)"
            self._evidence_code = re.compile(
                rb"^[ \t]*(?:from|import)[ \t]+(?:" + packages + rb")\b|[\"'](?:" + packages + rb")[\"'][ \t]*,[ \t]*[\"']sessions[\"']",
                re.MULTILINE,
            )
            fields = {*manifest.python.keys, *manifest.python.attributes}
            self._status = re.compile(b"|".join(re.escape(f.encode()) for f in sorted(fields)))
            self._fields = [f.encode() for f in sorted(fields)]
            self._shape_keys = [q + k.encode() + q for k in manifest.python.sources.shape for q in (b'"', b"'")]
            self._session_tokens = [
                t.lower().encode() for t in (*manifest.python.sources.tokens, *manifest.python.evidence_imports) if t
            ]
            rows = manifest.gateway_rows
            self._row_identity = [k.encode() for k in rows.identity]
            # `openclaw sessions` -> ("openclaw", "sessions"): each word as a quoted string.
            self._command_words = [
                tuple((q + w + q).encode() for w in command.split()[:2] for q in "\"'")
                for command in manifest.python.sources.commands if len(command.split()) >= 2
            ]
            self._row_any = [k.encode() for k in rows.any_of]
            # The commands' programs, bare, and named in any case (`OPENCLAW_BIN`).
            programs = sorted({quoted[0][1:-1] for quoted in self._command_words})
            self._program_words = programs
            # The programs as a name spells them (`OPENCLAW_BIN`, `openclaw_cli`,
            # `OpenClawClient`): substring tests, several times faster than a
            # case-blind pattern.
            self._program_spellings = sorted({
                spelled for p in programs for spelled in (p, p.upper(), p.capitalize(), p.title())})
            self._next_words = sorted({w for quoted in self._command_words for w in quoted[2:]})

    def claims(self, source: SourcePath, options: Options) -> bool:
        self._patterns(options)
        if self._root_of is not options.root:  # asked of every file: absolute() once
            self._root_of, self._root = options.root, options.root.absolute()
        return source.path.suffix in (".py", ".pyi")

    def _module(self, source: SourcePath) -> str:
        """The module's dotted name in its project: from the project root
        when the file is below it, so a run on one file names its modules as
        a run on the whole project does."""
        if self._root is not None:
            path, root = os.path.abspath(source.path), str(self._root)
            if path.startswith(root + os.sep):
                return module_name(path[len(root) + 1 :].replace(os.sep, "/"))
        return module_name(source.rel)

    def prefilter(self, data: bytes) -> bool:
        # The survey asks first; the pipeline asks again about the same bytes.
        if self._last_prefilter is not None and self._last_prefilter[0] is data:
            return self._last_prefilter[1]
        assert self._old is not None
        assert self._vocabulary is not None
        found = self._vocabulary.quoted_in(data)
        if not found and self._talks(data):
            # A module that talks to OpenClaw may name an old value inside a
            # message: an old word after a quote on the same line.
            for match in self._old.finditer(data):
                line = data[data.rfind(b"\n", 0, match.start()) + 1 : match.start()]
                if b'"' in line or b"'" in line:
                    found = True
                    break
        self._last_prefilter = (data, found)
        return found

    def _talks(self, data: bytes) -> str | None:
        """The evidence token of a module that talks to OpenClaw, or None (a
        byte search, answered once per file)."""
        if self._last_talks is not None and self._last_talks[0] is data:
            return self._last_talks[1]
        assert self._evidence is not None
        token = None
        lowered = data.lower()
        # Substring tests first: an alternation of the tokens scans far slower.
        if any(a in lowered for a in self._anchors) and any(t in lowered for t in self._tokens):
            quoted: set[str] | None = None
            for hit in self._evidence.finditer(lowered):
                word = hit.group(0).decode(errors="replace")
                if hit.group(0) in self._string_only:
                    if quoted is None:
                        from codemods.sites import quoted_tokens

                        # Parsed once, and only for a file whose bytes say such a token.
                        every = {t.decode() for t in self._string_only}
                        quoted = quoted_tokens(data, every)
                        quoted = every if quoted is None else quoted  # unparsable: as the bytes say
                    if word not in quoted:
                        continue
                token = word
                break
        if token is None and any(p in lowered for p in self._packages):
            code = self._evidence_code.search(data)
            token = code.group(0).strip().decode(errors="replace") if code else None
        self._last_talks = (data, token)
        return token

    def survey(self, source: SourcePath, data: bytes) -> Any:
        # Which modules of the tree talk to OpenClaw: a byte search, so files
        # without an old literal are never parsed here.
        token = self._talks(data)
        name = self._module(source)
        # Which modules import a candidate constant is asked in ``gather``,
        # once the constants are known: parsing every file's imports here
        # would cost more than the whole prefilter.
        imported: tuple[tuple[str, int, str], ...] = ()
        candidate = self.prefilter(data)
        constants = self._candidate_constants(data) if candidate else ()
        imports = self._imports(data) if candidate else ()
        rows = self._names_row_keys(data)
        command = not token and (self._quotes_command(data) or self._names_program(data))
        programs = self._program_constants(data)
        # A base class may test a status in an attribute its subclasses set
        # (`r.get("status") in self.targets`): its bytes are kept, so the
        # exports can ask it without reading the file again.
        held = not (token or candidate or rows or command) and self._tests_own_attribute(data)
        return ModuleSurvey(
            name, source.display, token, data if imported else None, imported, constants,
            data if token or candidate or rows or command or held else None, source.path.name == "__init__.py",
            candidate,
            imports, b"import" in data, rows, command, programs,
            candidate and any(k in data for k in self._shape_keys),
        )

    def _tests_own_attribute(self, data: bytes) -> bool:
        """Whether the bytes test something in an attribute of ``self`` and
        read a status (substring tests: the parse decides)."""
        return b" in self." in data and any(
            b'"' + f + b'"' in data or b"'" + f + b"'" in data or b"." + f in data for f in self._fields)

    def _quotes_command(self, data: bytes) -> bool:
        """Whether the bytes quote a session command's program and its next
        word as strings of their own (substring tests: the parse decides)."""
        for quoted in self._command_words:
            program, word = quoted[:2], quoted[2:]
            # The bare program first: one scan of a file that never names it.
            if program[0][1:-1] in data and any(p in data for p in program) and any(w in data for w in word):
                return True
        return False

    def _names_program(self, data: bytes) -> bool:
        """Whether the bytes quote a session command's next word and name its
        program outside quotes (`[settings.OPENCLAW_BIN, "sessions", ...]`):
        the program may be a constant of another module."""
        return any(w in data for w in self._next_words) and any(p in data for p in self._program_spellings)

    def _program_constants(self, data: bytes) -> tuple[tuple[str, str], ...]:
        """``(name, program)`` of each module-level name bound to a statement
        that quotes a session command's program."""
        if not any(p in data for p in self._program_words):
            return ()  # most files: one substring search
        programs = [p for p in self._program_words if p in data]
        out = []
        for match in _TOP_ASSIGN.finditer(data):
            end = _NEXT_TOP_LEVEL.search(data, match.end())
            value = data[match.end(): end.start() if end else len(data)]
            for bare in programs:
                if b'"' + bare + b'"' in value or b"'" + bare + b"'" in value:
                    out.append((match.group(1).decode(), bare.decode()))
                    break
        return tuple(out)

    def _names_row_keys(self, data: bytes) -> bool:
        """Whether the bytes name a session row's identity keys and one of
        its other keys (substring tests; the class itself is read later)."""
        return bool(self._row_identity) and all(k in data for k in self._row_identity) and any(
            k in data for k in self._row_any)

    def _imports(self, data: bytes) -> tuple[tuple[str, int], ...]:
        """``(module, level)`` of each import of a candidate module: where its
        facts may come from. Each name of a ``from`` import counts as a
        possible submodule too (`from . import gateway`, then `gateway.rows()`)."""
        found, _ = self._from_imports(data)
        out = [(module, level) for module, level, _ in found]
        out += [(f"{module}.{name}".lstrip("."), level) for module, level, name in found]
        out += [(m.group(1).decode(errors="replace"), 0) for m in _IMPORT.finditer(data)]
        return tuple(dict.fromkeys(out))

    def _tests_imported_name(self, data: bytes) -> tuple[tuple[str, int, str], ...]:
        """Cheap: the imports of a module that reads a status and uses an
        imported name after ``in``/``==``/``!=`` or as a table (``NAME[``,
        ``NAME.get(``); empty for any other module."""
        assert self._status is not None
        # Any module that tests an imported name counts, whatever it tests:
        # `job["state"] in FINISHED` is a use that disagrees with the sessions'.
        if b"import" not in data:
            return ()
        found, names = self._from_imports(data)
        if not names:
            return ()
        # Substring tests, not a pattern compiled per file: most files import.
        for n in names:
            # `, NAME)` / `=NAME)`: passed to a helper that may test it (`one_of(status, NAME)`).
            if any(u in data for u in (b"in " + n, b"== " + n, b"!= " + n, n + b"[", n + b".get(", b", " + n + b")",
                                       b"=" + n + b")",
                                       # copied, aliased or a fallback of a local that is tested: `set(NAME)`
                                       b"(" + n + b")", b"or " + n, b"= " + n + b"\n",
                                       # through its module: `pl.col("status").is_in(settings.ENDED)`
                                       b"(" + n + b".")):
                return tuple(found)
            # A union of imported constants, tested under its own name: `ALL = DONE | FAIL`.
            if _unites(data, n):
                return tuple(found)
            # A table of the module looked up through it: `vocab.COLOURS.get(status)`.
            if n + b"." in data and re.search(rb"\b" + re.escape(n) + rb"\.[A-Z][A-Z0-9_]*(?:\[|\.get\()", data):
                return tuple(found)
        return ()

    @staticmethod
    def _from_imports(data: bytes) -> tuple[list[tuple[str, int, str]], set[bytes]]:
        """``(module, level, name)`` of each ``from ... import name``, and the
        local names they bind."""
        found = _from_import_locals(data)
        return [f[:3] for f in found], {f[3].encode() for f in found}

    def _candidate_constants(self, data: bytes) -> tuple[str, ...]:
        """Names bound at module level to a statement that quotes an old name."""
        assert self._old is not None
        out = []
        unions: list[tuple[str, bytes]] = []
        for match in _TOP_ASSIGN.finditer(data):
            end = _NEXT_TOP_LEVEL.search(data, match.end())
            statement = data[match.start() : end.start() if end else len(data)]
            if self._old.search(statement):
                out.append(match.group(1).decode())
            else:
                unions.append((match.group(1).decode(), statement[match.end() - match.start():]))
        for match in _TOP_CLASS.finditer(data):
            end = _NEXT_TOP_LEVEL.search(data, match.end())
            if self._old.search(data[match.end() : end.start() if end else len(data)]):
                out.append(match.group(1).decode())
        # `ALL = DONE_STATES | FAIL_STATES`: a union of those constants is one too.
        for name, value in unions:
            if any(re.search(rb"\b" + re.escape(c.encode()) + rb"\b", value) for c in out):
                out.append(name)
        return tuple(out)

    def gather(
        self, surveyed: Iterable[tuple[SourcePath, Any]], options: Options, digests: Mapping[str, str] | None = None
    ) -> Any:
        """Two stages over the tree: which modules talk to OpenClaw (bytes
        only), then, for modules that test a status against an imported name,
        the verdict of each such test, keyed by the module that defines it.

        The facts depend on the surveyed files alone (their bytes, and the
        options and code the memo's key holds): a run whose files are those
        of an earlier run takes that run's facts from the memo, and analyses
        nothing here. ``digests``: each surveyed file's content digest."""
        known = dict(digests or {})
        items = list(surveyed)
        memo = open_memo(options)
        parts: list[Any] = []
        if memo.directory is not None and all(str(source.path) in known for source, _ in items):
            # (a file whose bytes the run did not digest: no memo)
            parts = [fingerprint([(str(source.path), source.rel, source.display, known[str(source.path)], survey)
                                  for source, survey in items])]
        held = memo.get("python-gather", parts) if parts else None
        if held is not None:
            try:
                facts = TreeFacts.from_json(held)
            except (ValueError, TypeError, KeyError, AttributeError, IndexError):
                pass  # damaged: gathered again
            else:
                self._programs = facts.programs
                return facts
        self._reread = {}
        try:
            facts = self._gather(items, options, memo)
        finally:
            self._asked = {}  # each analysis's view holds a round's exports: not kept past the gather
        if parts and self._unchanged(known):
            memo.put("python-gather", parts, facts.to_json())
        return facts

    def _gather(self, items: list[tuple[SourcePath, Any]], options: Options, memo: Any) -> TreeFacts:
        facts = TreeFacts()
        for _, survey in items:
            if survey.evidence:
                facts.talking[survey.name] = (survey.display, survey.evidence)
            if isinstance(survey, ModuleSurvey):
                facts.programs.update((f"{survey.name}.{name}".lstrip("."), word) for name, word in survey.programs)
        self._programs = facts.programs
        exported = {
            (survey.name, constant) for _, survey in items for constant in survey.constants
        }
        # The modules that talk, and those they import, whose classes a
        # candidate's type alias types (`status: Status`): the module that
        # talks may build the class from session rows.
        typing = list(self._importers(
            self._near(items, [(s, v, v.talking_source) for s, v in items
                               if isinstance(v, ModuleSurvey) and v.evidence and v.talking_source], 1),
            exported, self._annotates(exported), tests_only=False,
        )) if facts.talking and exported else []
        facts.exports = self._exports(items, options, memo, {v.name for _, v in typing})
        self._talking_through_helpers(items, facts)
        if not facts.talking and not options.markers and not any(
                isinstance(v, ModuleSurvey) and v.shaped for _, v in items):
            # Nothing in the tree talks to OpenClaw, nor reads a row by a key
            # only session rows have: no test made elsewhere can make a
            # constant here a session status.
            return facts
        passing = self._gather_passed(items, facts, options, memo, exported)
        # The modules that pass a candidate's helpers may call helpers of
        # modules no candidate imports (`rows_of(gateway.list_sessions())`):
        # what those return is learnt, then what is passed is asked again.
        also = {m for _, v in passing for m in self._imported_modules(v, v.importer_source or b"")}
        if also:
            exports = self._exports(items, options, memo, {v.name for _, v in typing}, also=also)
            if exports != facts.exports:
                facts.exports, facts.passed = exports, {}
                self._gather_passed(items, facts, options, memo, exported)
        if any(kind == "session" for passed in facts.passed.values() for _, kind, _, _, _ in passed):
            # A helper given session rows by another module (`rows_of(raw)`)
            # builds its classes from them: what it exports follows.
            facts.exports = self._exports(items, options, memo, {v.name for _, v in typing}, facts, also)
        from codemods.sites import Sites

        # Only a class built from session rows can make an alias a session
        # type: one of the module's classes the exports name, or a module
        # that talks and may build its own.
        typing = [(s, v) for s, v in typing if v.evidence is not None or any(
            _same_module(k.rpartition(".")[0], v.name) for k in facts.session_exports())]
        self._record_uses(typing, facts, options, memo, aliases=True)
        sites = Sites(options.manifest, self._quoted)
        talking = sorted(facts.talking)
        given = self._given_sessions(facts)

        def reads_sessions(survey: ModuleSurvey, data: bytes) -> bool:
            # Only a module that talks to OpenClaw (or imports one that does)
            # can test a session status with an imported constant; elsewhere
            # a test is of unknown origin and proves nothing.
            if not any(f in data for f in self._fields):
                return False
            return bool(options.markers) or survey.evidence is not None or survey.shaped or survey.name in given or any(
                t.rsplit(".", 1)[-1].encode() in data and self._imports_module(data, t) for t in talking
            )

        self._gather_validators(items, facts, reads_sessions, {n for _, n in exported})
        readers = self._readers(items, reads_sessions) if exported else []
        # A module that tests a status with a candidate's constant may read
        # its rows from a module no candidate imports (`for row in
        # gw.list_sessions(): ... in settings.ENDED`): what those return is
        # learnt before the tests are judged.
        more = self._readers_imports(readers, exported) - set(also)
        if more:
            given_facts = facts if self._given_sessions(facts) else None
            facts.exports = self._exports(items, options, memo, {v.name for _, v in typing}, given_facts,
                                          set(also) | more)
        # Unions other modules make of those constants are constants too:
        # those the readers import, or the modules those import.
        facts.unions = self._gather_unions(
            self._near(items, [(s, v, v.importer_source or b"") for s, v in readers], 3), exported, options, memo
        )
        exported |= set(facts.unions)
        reading = [
            (s, v) for s, v in self._importers(readers, exported, reads_sessions)
            if sites.tests_with(v.importer_source or b"", _local_names(v.importer_source or b"", v.imported))
        ]
        self._record_uses(reading, facts, options, memo)
        # Then every other importer of a constant a session test uses (or
        # of one a union it uses is made of): `job["state"] in FINISHED`
        # disagrees with the sessions' use.
        uses = {**facts.uses}
        for key, verdicts in facts.through_unions(facts.uses).items():
            uses[key] = [*uses.get(key, []), *verdicts]
        ours = {name for (_, name), verdicts in uses.items() if any(v.confidence for v in verdicts)}
        ours |= {name for module, name in exported if _lookup(facts.talking, module)}
        done = {s.rel for s, _ in reading}
        shared = {(m, n) for m, n in exported if n in ours}
        rest = [(s, v) for s, v in self._importers(items, shared, lambda v, d: True) if s.rel not in done]
        # And an importer that looks a candidate table up by an old key
        # (`TOPIC_BY_STATUS["failed"]`): contract must not rename the table under it.
        done |= {s.rel for s, _ in rest}
        rest += [(s, v) for s, v in self._importers(
            items, exported, lambda v, d: self._looks_up_old(d, exported), tests_only=False) if s.rel not in done]
        self._record_uses(rest, facts, options, memo)
        for key, verdicts in facts.through_unions(facts.uses).items():
            facts.uses.setdefault(key, []).extend(verdicts)
        self._gather_enums(items, facts, options)
        return facts

    def _gather_enums(self, items: Sequence[tuple[SourcePath, Any]], facts: TreeFacts, options: Options) -> None:
        """The str-valued session enums the run migrates that other modules
        test a status with (``row["status"] == SessionStatus.DONE``): their
        old members, and the testing files, which then have sites of their own."""
        import libcst as cst

        tested = facts.testers
        for source, survey in items:
            if not (isinstance(survey, ModuleSurvey) and survey.candidate):
                continue
            keys = [(d, n) for d, n in tested if n in survey.constants and _same_module(d, survey.name)]
            data = self._source_bytes(source, survey) if keys else None
            if data is None or not any(b"class " + n.encode() in data for _, n in keys):
                continue
            try:
                found = self._rewriter(source, facts, options).migrated_enums(data)
            except (cst.ParserSyntaxError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
                continue  # reported when the file itself is processed
            for key in keys:
                members = found.get(key[1])
                if members:
                    facts.enums[f"{survey.name}.{key[1]}".lstrip(".")] = " ".join(f"{m}={v}" for m, v in members.items())
                    facts.adopted |= tested[key]

    def adopted(self, fact: Any) -> set[str]:
        """Files the prefilter passed over that the tree's facts give sites."""
        return fact.adopted if isinstance(fact, TreeFacts) else set()

    def _testing_bases(
        self, items: Sequence[tuple[SourcePath, Any]], needed: set[str], listed: set[str]
    ) -> list[tuple[SourcePath, ModuleSurvey]]:
        """The modules a candidate imports that test a status in an
        attribute of ``self`` (``r.get("status") in self.targets`` in a base
        class): what they test, their subclasses elsewhere set, so they
        tell the project (see :mod:`codemods.forms.class_collection`)."""
        out: list[tuple[SourcePath, ModuleSurvey]] = []
        for source, survey in items:
            if not isinstance(survey, ModuleSurvey) or survey.name in listed or not (
                    survey.name in needed or any(n.endswith("." + survey.name) for n in needed)):
                continue
            data = survey.talking_source  # kept by the survey: never read again (a warm run opens nothing)
            if data is None or not self._tests_own_attribute(data):
                continue
            out.append((source, survey))
        return out

    @staticmethod
    def _talking_through_helpers(items: Sequence[tuple[SourcePath, Any]], facts: TreeFacts) -> None:
        """A module whose bytes name no source but that runs the sessions
        command through a helper and exports what it returns
        (`_run_json("sessions", "--json")` running `[OPENCLAW, *args]`) talks
        to OpenClaw as much as one that names it. (A module that only
        defines a session row type does not: the type is no source.)"""
        carrying = {k.rpartition(".")[0] for k in facts.session_exports()}
        for _, survey in items:
            if isinstance(survey, ModuleSurvey) and survey.evidence is None and survey.name not in facts.talking \
                    and survey.runs_command \
                    and any(_same_module(c, survey.name) or c.startswith(survey.name + ".") for c in carrying):
                facts.talking[survey.name] = (survey.display, "a sessions command run through a helper")

    def _readers(
        self, items: Sequence[tuple[SourcePath, Any]], reads: Callable[[ModuleSurvey, bytes], bool]
    ) -> list[tuple[SourcePath, ModuleSurvey]]:
        """The modules that may read a session status (``reads``), their
        bytes kept: the passes below read only these again."""
        out = []
        for source, survey in items:
            if not isinstance(survey, ModuleSurvey) or not survey.has_imports:
                continue
            data = self._source_bytes(source, survey)
            if data is None:
                continue  # reported when the file itself is read
            if reads(survey, data):
                out.append((source, dataclasses.replace(survey, importer_source=data)))
        return out

    def _near(
        self, items: Sequence[tuple[SourcePath, Any]], seeds: Sequence[tuple[SourcePath, ModuleSurvey, bytes]],
        depth: int,
    ) -> list[tuple[SourcePath, ModuleSurvey]]:
        """The ``seeds`` and the tree's modules they import, and those these
        import, ``depth`` levels down (only these modules are read)."""
        by_name = {v.name: (s, v) for s, v in items if isinstance(v, ModuleSurvey)}
        # A tree scanned from above its import root names `src.pkg.mod` what
        # imports call `pkg.mod`: every dotted tail is looked up too.
        tails: dict[str, str] = {}
        for full in by_name:
            parts = full.split(".")
            for i in range(len(parts)):
                tails.setdefault(".".join(parts[i:]), full)
        found = {survey.name: (source, survey) for source, survey, _ in seeds}
        level = [(survey, data) for _, survey, data in seeds]
        for _ in range(depth):
            following: list[tuple[ModuleSurvey, bytes]] = []
            for survey, data in level:
                for name in self._imported_modules(survey, data):
                    hit = tails.get(name)
                    if hit is None or hit in found:
                        continue
                    source, other = by_name[hit]
                    found[hit] = (source, other)
                    more = self._source_bytes(source, other)
                    if more is not None:  # else reported when the file itself is read
                        following.append((other, more))
            level = following
        return list(found.values())

    def _imported_modules(self, survey: ModuleSurvey, data: bytes) -> set[str]:
        """The absolute names a module imports: each module, and each name
        of a ``from`` import as a possible submodule (`from pkg import mod`)."""
        out = set()
        for module, level, name in self._from_imports(data)[0]:
            full = resolve_import(survey.name, survey.is_package, module, level)
            out |= {full, f"{full}.{name}".lstrip(".")}
        out |= {m.group(1).decode(errors="replace") for m in _IMPORT.finditer(data)}
        return out

    def _gather_unions(
        self, near: Sequence[tuple[SourcePath, ModuleSurvey]], exported: set[tuple[str, str]], options: Options,
        memo: Any,
    ) -> dict[tuple[str, str], tuple[str, list[tuple[str, str]]]]:
        """The unions the modules ``near`` the readers make of constants
        other modules define, and of those unions: only the importers of a
        constant whose bytes may unite it are parsed."""
        import libcst as cst

        from codemods.session_status import StatusRewriter

        unions: dict[tuple[str, str], tuple[str, list[tuple[str, str]]]] = {}
        known = set(exported)
        looked: set[str] = set()
        for _ in range(3):  # a union of a union of a union: deep enough
            fresh: set[tuple[str, str]] = set()
            for source, survey in self._importers(near, known, self._uniting(known), tests_only=False):
                if source.rel in looked:
                    continue
                looked.add(source.rel)
                assert survey.importer_source is not None
                parts = [hashlib.sha256(survey.importer_source).hexdigest(), source.rel]
                found = memo.get("python-unions", parts) if memo else None
                if found is None:
                    try:
                        found = StatusRewriter(options.manifest).imported_unions(survey.importer_source)
                    except (cst.ParserSyntaxError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
                        found = {}  # reported when the file itself is processed
                    if memo is not None:
                        memo.put("python-unions", parts, found)
                for union, components in found.items():
                    united = []
                    for module, level, name in components:
                        defining = resolve_import(survey.name, survey.is_package, module, level)
                        hit = next((k for k in known if k[1] == name and _same_module(k[0], defining)), None)
                        if hit is not None:
                            united.append(hit)
                    if united:
                        unions[(survey.name, union)] = (source.display, united)
                        fresh.add((survey.name, union))
            if not fresh:
                break
            known |= fresh
        return unions

    def _gather_validators(
        self, items: Sequence[tuple[SourcePath, Any]], facts: TreeFacts, reads: Callable[[ModuleSurvey, bytes], bool],
        constants: set[str],
    ) -> None:
        """The validating helpers (`one_of(value, allowed)`) of the tree that
        modules which may read a session status (``reads``) import (by name,
        or through their module) and call, a status read and a quoted old
        name (or one of the candidate ``constants``) close by. Only the
        modules they import whose bytes define one of those names are parsed."""
        from codemods.sites import parse as parse_ast
        from codemods.sites import validating_helpers

        assert self._quoted is not None and self._status is not None
        seeds: list[tuple[SourcePath, ModuleSurvey, bytes]] = []
        called: set[str] = set()
        for source, survey in items:
            data = survey.talking_source if isinstance(survey, ModuleSurvey) else None
            if data is None or not survey.has_imports or not reads(survey, data):
                continue
            imported = self._from_imports(data)[1]
            marks = [m.start() for m in self._quoted.finditer(data)]
            named = {*survey.constants, *(n.decode() for n in imported if n.decode() in constants)}
            marks += [m.start() for c in named for m in re.finditer(rb"\b" + re.escape(c.encode()) + rb"\b", data)]
            found = set()
            for at in marks:
                # `one_of(row["status"], {"done"` / `checks.one_of(...`: the
                # call opens shortly before the old name, a status read near.
                for call in _CALLED.finditer(data, max(0, at - 300), at):
                    name = call.group(1)
                    dotted = data[call.start() - 1 : call.start()] == b"."
                    if (dotted or name in imported) and self._status.search(data, call.end(), call.end() + 300):
                        found.add(name.decode())
            if found:
                seeds.append((source, survey, data))
                called |= found
        for source, survey in self._near(items, seeds, 1) if called else ():
            data = self._source_bytes(source, survey)
            if data is None or not any(b"def " + n.encode() + b"(" in data for n in called):
                continue
            try:
                tree = parse_ast(data)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue  # reported when the file itself is processed
            for name, validator in validating_helpers(tree).items():
                if name in called:
                    facts.validators[f"{survey.name}.{name}".lstrip(".")] = validator

    def _gather_passed(
        self, items: Sequence[tuple[SourcePath, Any]], facts: TreeFacts, options: Options, memo: Any,
        exported: set[tuple[str, str]] | None = None,
    ) -> list[tuple[SourcePath, ModuleSurvey]]:
        """What other modules pass the candidates' functions. First the
        modules that talk to OpenClaw (or import one that does): only they
        can pass a session row. Then, for a function one of them passes a
        session value, every other caller: a job queue's rows disagree.
        Returns the first callers (the modules that may pass session rows)."""
        from codemods.sites import Sites

        sites = Sites(options.manifest, self._quoted)
        # Only functions that read a status from a parameter, or build a
        # class from one, can learn anything from their callers
        # (`def is_dead(row): row["status"] ...`, `def rows_of(raw): ...`).
        functions = {
            (survey.name, function) for _, survey in items
            if isinstance(survey, ModuleSurvey) and survey.candidate and survey.talking_source is not None
            for function in self._parameter_readers(sites, memo, survey.talking_source)
        }
        if exported:
            # A module that tests a status with a candidate's constant holds
            # no old name itself (`def is_dead(row): return row["status"] in
            # DEAD`, DEAD imported): what its callers pass decides it too.
            for _, survey in self._importers(items, exported, lambda v, d: any(f in d for f in self._fields)):
                if not survey.candidate:
                    functions |= {(survey.name, f) for f in sites.status_parameters(survey.importer_source or b"")}
        # A function connected to another module's signal is passed what
        # the signal is sent: the modules that send it are its callers.
        for _, survey in items:
            if isinstance(survey, ModuleSurvey) and survey.candidate and survey.talking_source is not None:
                for function, signals in sites.connected_signals(survey.talking_source).items():
                    if (survey.name, function) not in functions:
                        continue
                    for module, level, name in signals:
                        signal = (resolve_import(survey.name, survey.is_package, module, level), name)
                        facts.receivers.setdefault((survey.name, function), []).append(signal)
                        functions.add(signal)
        if not functions:
            return []
        talking = sorted(facts.talking)

        # A module whose classes other modules build from session rows
        # (`SessionMessage.from_row(row)`) holds session statuses too.
        building = {k.rpartition(".")[0] for k in facts.session_exports()}

        def may_pass_sessions(survey: ModuleSurvey, data: bytes) -> bool:
            return bool(options.markers) or survey.evidence is not None or any(
                t.rsplit(".", 1)[-1].encode() in data and self._imports_module(data, t) for t in talking
            ) or any(_same_module(m, survey.name) for m in building)

        first = list(self._importers(items, _with_classes(functions), may_pass_sessions, tests_only=False))
        names = {function for _, function in functions}
        self._record_passed(first, facts, options, memo, names)
        ours = {key for key, passed in facts.passed.items() if any(kind == "session" for _, kind, _, _, _ in passed)}
        # The other status-reading functions of a module given session rows
        # are asked of every caller too: `is_over(job)` beside `is_dead(row)`.
        given = {module for module, _ in ours}
        ours |= {(module, function) for module, function in functions if module in given}
        done = {s.rel for s, _ in first}
        rest = [(s, v) for s, v in self._importers(items, _with_classes(ours), lambda v, d: True, tests_only=False)
                if s.rel not in done]
        self._record_passed(rest, facts, options, memo, {function for _, function in ours})
        return first

    def _source_bytes(self, source: SourcePath, survey: ModuleSurvey) -> bytes | None:
        """A module's bytes: those its survey kept, else read again (None when
        it cannot be read now); a read is noted for :meth:`_unchanged`."""
        if survey.talking_source is not None:
            return survey.talking_source
        try:
            data = source.path.read_bytes()
        except OSError:
            return None
        self._reread.setdefault(str(source.path), set()).add(content_digest(data))
        return data

    def _unchanged(self, digests: Mapping[str, str]) -> bool:
        """Whether each file the gathering read again from disk had the digest
        the run surveyed: an edit made meanwhile must not leave facts of the
        new bytes under the key of the old ones."""
        return all(seen == {digests.get(path)} for path, seen in self._reread.items())

    @staticmethod
    def _parameter_readers(sites: Any, memo: Any, source: bytes) -> set[str]:
        """The functions of a module that read a status from a parameter,
        build a class from one, key a table with one or store one: a survey
        of its ``ast`` that depends on its bytes alone, so a warm run reads
        it from the memo."""
        parts = [content_digest(source)]
        found = memo.get("python-parameter-readers", parts)
        if found is None:
            found = sorted(
                sites.status_parameters(source) | sites.building_parameters(source) | sites.tested_methods(source)
                | sites.reading_methods(source) | sites.keyed_parameters(source) | sites.storing_methods(source)
            )
            memo.put("python-parameter-readers", parts, found)
        return set(found)

    def _record_passed(
        self, importers: Sequence[tuple[SourcePath, ModuleSurvey]], facts: TreeFacts, options: Options, memo: Any,
        functions: set[str],
    ) -> None:
        """The origin of each argument an importer passes a function of a candidate module."""
        import libcst as cst

        from codemods.provenance import TreeKnowledge
        from codemods.session_status import StatusRewriter

        talking_key = sorted(facts.talking.items())
        for source, survey in importers:
            assert survey.importer_source is not None
            parts = [hashlib.sha256(survey.importer_source).hexdigest(), source.rel, source.display, talking_key,
                     sorted(facts.exports.items()), sorted(functions), sorted(facts.programs.items())]
            passed = memo.get("python-passed", parts) if memo else None
            if passed is None:
                rewriter = StatusRewriter(
                    options.manifest, options.phase, options.min_confidence, options.markers,
                    self._import_evidence(source, facts),
                    tree=TreeKnowledge(survey.name, survey.is_package, source.display, facts.exports,
                                       programs=facts.programs),
                )
                try:
                    found = rewriter.passed_arguments(survey.importer_source, functions)
                except (cst.ParserSyntaxError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
                    found = []  # reported when the file itself is processed
                passed = [
                    (a.module, a.level, a.function, a.key, a.line, a.code, a.origin.kind, a.origin.strength, a.origin.why)
                    for a in found
                ]
                if memo is not None:
                    memo.put("python-passed", parts, passed)
            for module, level, function, key, line, code, kind, strength, why in passed:
                defining = resolve_import(survey.name, survey.is_package, module, level)
                facts.passed.setdefault((defining, function), []).append(
                    (key, kind, strength, f"at {source.display}:{line}, `{code}`", why)
                )

    def _imports_one(self, exported: set[tuple[str, str]], data: bytes) -> set[bytes]:
        """The names ``data`` binds with ``from ... import``, if one of them
        imports one of the ``exported`` names; else none."""
        wanted = {n for _, n in exported}
        found, local = self._from_imports(data)
        return local if any(name in wanted for _, _, name in found) else set()

    def _annotates(self, exported: set[tuple[str, str]]) -> Callable[[ModuleSurvey, bytes], bool]:
        """Whether a module's bytes may type a status field with a name it
        imports, one of the ``exported`` (`status: Status`, `Optional[Status]`)."""

        def annotates(survey: ModuleSurvey, data: bytes) -> bool:
            if not any(f in data for f in self._fields):
                return False
            return any(b": " + n in data or b"[" + n in data for n in self._imports_one(exported, data))

        return annotates

    def _uniting(self, exported: set[tuple[str, str]]) -> Callable[[ModuleSurvey, bytes], bool]:
        """Whether a module's bytes may unite names it imports, one of the
        ``exported`` (`ALL = GOOD | BAD`)."""

        def unites(survey: ModuleSurvey, data: bytes) -> bool:
            return any(_unites(data, n) for n in self._imports_one(exported, data))

        return unites

    def _record_uses(
        self, importers: Sequence[tuple[SourcePath, ModuleSurvey]], facts: TreeFacts, options: Options, memo: Any,
        aliases: bool = False,
    ) -> None:
        """The verdict of each test an importer makes with an imported
        constant (``aliases``: of each imported type alias typing a class
        built from session rows)."""
        talking_key = sorted(facts.talking.items())
        for source, survey in importers:
            assert survey.importer_source is not None
            is_package = source.path.name == "__init__.py"
            # The importer's answer depends on its bytes, where it is, which
            # modules talk to OpenClaw, and what the tree passes its
            # functions: unchanged, it is not parsed again.
            parts = [
                hashlib.sha256(survey.importer_source).hexdigest(), source.rel, source.display, talking_key,
                sorted(facts.exports.items()), sorted(facts.validators.items()),
                sorted(self._passed(survey.name, facts).items()),
            ]
            kind = "python-imported-aliases" if aliases else "python-imported-uses"
            uses = memo.get(kind, parts) if memo else None
            if uses is None:
                uses = self._imported_uses(source, survey, facts, options, aliases)
                if memo is not None:
                    memo.put(kind, parts, uses)
            for module, level, name, confidence, reason in uses:
                defining = resolve_import(survey.name, is_package, module, level)
                found = _lookup(facts.talking, defining) or defining
                why = f"in {survey.display}: {reason}"
                facts.uses.setdefault((found, name), []).append(_verdict(confidence, why))
                if confidence is not None:
                    facts.testers.setdefault((found, name), set()).add(source.rel)

    def _looks_up_old(self, data: bytes, exported: set[tuple[str, str]]) -> bool:
        """Whether the bytes look one of the ``exported`` names up by a quoted
        old name (``NAME["failed"]``, ``NAME.get('killed'``): substring tests."""
        for _, name in exported:
            for opening in (name.encode() + b"[", name.encode() + b".get("):
                at = data.find(opening)
                while at != -1:
                    if self._quoted.match(data, at + len(opening)):
                        return True
                    at = data.find(opening, at + 1)
        return False

    def _importers(
        self,
        items: Sequence[tuple[SourcePath, Any]],
        exported: set[tuple[str, str]],
        wanted: Callable[[ModuleSurvey, bytes], bool],
        tests_only: bool = True,
    ) -> Iterator[tuple[SourcePath, ModuleSurvey]]:
        """Modules (those ``wanted``) that test with a candidate constant
        imported from the module defining it, or (``tests_only`` false) that
        import one of ``exported`` at all, or its module. Only files that
        mention one of those few names are read again and have their imports
        parsed."""
        if not exported:
            return
        names = [c.encode() for c in sorted({c for _, c in exported})]
        modules = {m for m, _ in exported}
        suffixes: dict[str, str] = {}
        for m in modules:
            parts = m.split(".")
            for i in range(1, len(parts)):
                suffixes.setdefault(".".join(parts[i:]), m)

        def lookup(module: str) -> str:
            return module if module in modules else suffixes.get(module, module)

        for source, survey in items:
            if not isinstance(survey, ModuleSurvey) or not survey.has_imports:
                continue
            # Bytes a pass below already read are kept with the survey.
            data = survey.importer_source or self._source_bytes(source, survey)
            if data is None:
                continue  # reported when the file itself is read
            if not wanted(survey, data) or not any(n in data for n in names):
                continue
            imported = tuple(self._tests_imported_name(data) if tests_only else self._from_imports(data)[0])
            is_package = source.path.name == "__init__.py"
            if any(
                (lookup(resolve_import(survey.name, is_package, module, level)), name) in exported
                for module, level, name in imported
            ) or self._reads_through_module(data, survey, is_package, imported, exported, lookup) or not tests_only and (
                # `from pkg import checks` / `import pkg.checks`, then `checks.is_dead(row)`
                any(lookup(".".join(p for p in (resolve_import(survey.name, is_package, module, level), name) if p))
                    in modules for module, level, name in imported)
                or any(lookup(m.group(1).decode(errors="replace")) in modules for m in _IMPORT.finditer(data))
            ):
                yield source, dataclasses.replace(survey, importer_source=data, imported=imported)

    def _readers_imports(
        self, readers: Sequence[tuple[SourcePath, ModuleSurvey]], exported: set[tuple[str, str]]
    ) -> set[str]:
        """The modules imported by the ``readers`` that name one of the
        ``exported`` constants (by bytes): where their rows may come from."""
        names = [n.encode() for n in {n for _, n in exported}]
        out: set[str] = set()
        for _, survey in readers:
            data = survey.importer_source or b""
            if not survey.candidate and any(n in data for n in names):
                out |= self._imported_modules(survey, data)
        return out

    @staticmethod
    def _reads_through_module(
        data: bytes, survey: ModuleSurvey, is_package: bool, imported: Sequence[tuple[str, int, str]],
        exported: set[tuple[str, str]], lookup: Callable[[str], str],
    ) -> bool:
        """Whether ``data`` names one of the ``exported`` constants through
        its module (``settings.ENDED`` after ``from . import settings``,
        ``pkg.settings.ENDED`` after ``import pkg.settings``): the bytes
        say ``settings.ENDED``; the parse decides what is tested with it."""
        # Each module as the code spells it: its name, or the name it is
        # imported as (`from . import settings as cfg`, then `cfg.ENDED`).
        spelled = [(resolve_import(survey.name, is_package, module, level), name, local)
                   for module, level, name, local in _from_import_locals(data)
                   if (module, level, name) in imported]
        held = [(".".join(p for p in (base, name) if p), local) for base, name, local in spelled]
        held += [(m.group(1).decode(errors="replace"), (m.group(2) or m.group(1)).decode(errors="replace"))
                 for m in _IMPORT_AS.finditer(data)]
        for full, written in held:
            module = lookup(full)
            if any(m == module and (written + "." + c).encode() in data for m, c in exported):
                return True
        return False

    def _shaped_imports(
        self, items: Sequence[tuple[SourcePath, Any]], needed: set[str], listed: set[str], memo: Any,
    ) -> list[tuple[SourcePath, "ModuleSurvey"]]:
        """The modules a candidate imports that quote a key only session rows
        have (`row.get("abortedLastRun")` in `SessionRow.from_json`): their
        classes may be built from session rows that no caller here names.
        Read again only for the few modules candidates import, and only when
        their stat data changed or they hold such a key: a warm run opens no
        other file."""
        out = []
        for source, survey in items:
            if not isinstance(survey, ModuleSurvey) or survey.name in listed or survey.talking_source is not None:
                continue
            parts = survey.name.split(".")  # `src.pkg.records` is the `pkg.records` a candidate imports
            if not any(".".join(parts[i:]) in needed for i in range(len(parts))):
                continue
            stat = stat_key(source.path)
            key: list[Any] = [source.rel, *(stat or ())]
            shaped = memo.get("python-shaped", key) if memo and stat else None
            data: bytes | None = None
            if shaped is None:
                data = self._source_bytes(source, survey)
                shaped = data is not None and any(k in data for k in self._shape_keys)
                if memo is not None and stat:
                    memo.put("python-shaped", key, shaped)
            if shaped:
                data = data if data is not None else self._source_bytes(source, survey)
                if data is not None:
                    out.append((source, replace(survey, talking_source=data)))
        return out

    @staticmethod
    def _given_sessions(facts: TreeFacts) -> set[str]:
        """The modules whose functions another module passes a session value."""
        return {module for (module, _), passed in facts.passed.items() if any(p[1] == "session" for p in passed)}

    def _exports(
        self, items: Sequence[tuple[SourcePath, Any]], options: Options, memo: Any, typed: Iterable[str] = (),
        facts: TreeFacts | None = None, also: Iterable[str] = (),
    ) -> dict[str, str]:
        """What the modules that talk to OpenClaw tell the others: which of
        their functions return session rows, which classes they build from a
        session status (of candidates, or of the modules ``typed`` whose
        classes a candidate's alias types). Up to three rounds, so a helper over a
        helper of another module is found too."""
        # Modules that talk to OpenClaw, and candidates (they may build
        # objects from rows they get from one that talks).
        # ``facts``: what other modules pass, known once; a module given
        # session rows tells as much as one that talks.
        given = self._given_sessions(facts) if facts is not None else set()
        talking = [(s, v) for s, v in items if isinstance(v, ModuleSurvey) and v.evidence is not None]
        talking += [(s, v) for s, v in items if isinstance(v, ModuleSurvey) and v.evidence is None
                    and v.talking_source is not None and v.name in given]
        # A module that may define a session row type tells what a value
        # annotated with it is (`row: SessionRow`), as one that talks does.
        listed = {v.name for _, v in talking}
        talking += [(s, v) for s, v in items if isinstance(v, ModuleSurvey) and (v.row_types or v.runs_command)
                    and v.name not in listed and v.talking_source is not None]
        talking_names = {v.name for _, v in talking}
        for source, survey in items:
            # A candidate that imports a module that talks may build objects
            # from the rows it gets there.
            if isinstance(survey, ModuleSurvey) and survey.candidate and survey.evidence is None:
                for module, level in survey.imports:
                    full = resolve_import(survey.name, survey.is_package, module, level)
                    if _lookup(dict.fromkeys(talking_names), full) or _lookup(dict.fromkeys(talking_names), full.rsplit(".", 1)[0]):
                        talking.append((source, survey))
                        break
        # A candidate that a module that talks imports, and that types a
        # status with `Literal[...]`: its classes may hold another
        # vocabulary's status (`RefreshState`), which the importer must know.
        imported_by_talking = {
            resolve_import(v.name, v.is_package, module, level)
            for _, v in talking if v.evidence is not None and v.talking_source is not None
            for module, level in self._imports(v.talking_source)
        }
        listed = {v.name for _, v in talking}
        talking += [(s, v) for s, v in items if isinstance(v, ModuleSurvey) and v.candidate and v.name not in listed
                    and v.talking_source is not None and b"Literal[" in v.talking_source
                    and _lookup(dict.fromkeys(imported_by_talking), v.name)]
        # Only the modules a candidate is, or imports (one level: a helper over
        # a helper is found when the importer is itself a candidate).
        needed: set[str] = set(also)  # and (``also``) the modules the candidates' callers import
        for source, survey in items:
            if isinstance(survey, ModuleSurvey) and survey.candidate:
                needed.add(survey.name)
                for module, level in survey.imports:
                    full = resolve_import(survey.name, survey.is_package, module, level)
                    needed |= {full, full.rsplit(".", 1)[0]}
        candidates = {v.name for _, v in items if isinstance(v, ModuleSurvey) and v.candidate} | set(typed)
        talking += self._shaped_imports(items, needed, {v.name for _, v in talking}, memo)

        # The tree's modules a candidate imports: a module that talks and
        # imports one of them too may write its models' rows from session
        # rows (`Mirror.objects.update_or_create(...)` in a sync module, read
        # by a views module through the same models module).
        tree_modules = {v.name for _, v in items if isinstance(v, ModuleSurvey)}
        shared = dict.fromkeys(candidates | {n for n in needed if n in tree_modules})

        def builds_candidate_class(survey: ModuleSurvey) -> bool:
            # A module that talks and imports a candidate may build the
            # candidate's classes from session rows (`Row(r["key"], r["status"])`).
            assert survey.talking_source is not None
            return any(
                _lookup(shared, resolve_import(survey.name, survey.is_package, m, level))
                for m, level in self._imports(survey.talking_source)
            )

        talking = [(s, v) for s, v in talking if v.name in needed or any(n.endswith("." + v.name) or
                                                                          v.name.endswith("." + n) for n in needed)
                   or builds_candidate_class(v)]
        if not talking:
            return {}
        talking += self._testing_bases(items, needed, {v.name for _, v in talking})
        # Only the tree's own names are exported: `pd.DataFrame.from_dict(store)`
        # builds a DataFrame of session entries, not every DataFrame there is.
        # A tree scanned from above its import root names `src.app.x` where
        # an import says `app.x`: a module's dotted suffixes are its names too.
        modules = {".".join(parts[i:]) for v in (v for _, v in items if isinstance(v, ModuleSurvey))
                   for parts in [v.name.split(".")] for i in range(len(parts))}

        def ours(key: str) -> bool:
            parts = key.split(".")
            return any(".".join(parts[j:i]) in modules for i in range(1, len(parts)) for j in range(i))

        from codemods.provenance.known import ExportsView

        exports: dict[str, str] = {}
        programs = fingerprint(self._programs)
        for _ in range(3):
            before = dict(exports)
            # The memo keys of this round share what is known: digested once, not per module.
            told = fingerprint(before)
            talking += _defining_session_classes(items, talking, exports)
            for source, survey in talking:
                assert survey.talking_source is not None
                passed = self._passed(survey.name, facts) if facts is not None else {}
                digest = content_digest(survey.talking_source)
                parts = [digest, source.rel, source.display, told, sorted(passed.items()), programs]
                found = memo.get("python-exports", parts) if memo else None
                if found is None:
                    whose = (str(source.path), survey.name, digest)
                    found = self._asked_alike(whose, passed, before)
                    if found is None:
                        view = ExportsView(before)
                        found = self._module_exports(source, survey, view, options, passed)
                        self._asked.setdefault(whose, []).append((dict(passed), view, found))
                    if memo is not None:
                        memo.put("python-exports", parts, found)
                exports.update((k, why) for k, why in found.items() if ours(k))
            if exports == before:
                break
        return exports

    def _asked_alike(
        self, module: tuple[str, str, str], passed: Mapping[str, Any], known: Mapping[str, str]
    ) -> dict[str, str] | None:
        """What an earlier analysis of ``module`` (its path, name and bytes'
        digest) found, if it was given the same calls and every question it
        asked of the exports has the same answer in ``known``: the analysis
        would find it again."""
        for given, asked, found in self._asked.get(module, ()):
            if given == passed and asked.answers_alike(known):
                return found
        return None

    def _module_exports(
        self, source: SourcePath, survey: ModuleSurvey, known: Mapping[str, str], options: Options,
        passed: Mapping[str, Sequence[tuple[str, str, str, str, str]]] | None = None,
    ) -> dict[str, str]:
        import libcst as cst

        from codemods.provenance import TreeKnowledge
        from codemods.session_status import StatusRewriter

        tree = TreeKnowledge(survey.name, survey.is_package, source.display, known, passed or {},
                             programs=self._programs)
        rewriter = StatusRewriter(options.manifest, options.phase, options.min_confidence, options.markers, tree=tree)
        assert survey.talking_source is not None
        try:
            return rewriter.exports(survey.talking_source)
        except (cst.ParserSyntaxError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
            return {}  # reported when the file itself is processed

    def _imported_uses(
        self, source: SourcePath, survey: ModuleSurvey, facts: TreeFacts, options: Options, aliases: bool = False
    ) -> list[tuple[str, int, str, str | None, str]]:
        """``(module, level, name, confidence, why)`` of every status test the
        importer makes with an imported name, or (``aliases``) of each
        imported alias typing its session classes (parses the importer)."""
        import libcst as cst

        from codemods.session_status import StatusRewriter

        rewriter = StatusRewriter(
            options.manifest, options.phase, options.min_confidence, options.markers,
            self._import_evidence(source, facts), tree=self._knowledge(source, facts),
        )
        assert survey.importer_source is not None
        try:
            uses = (rewriter.imported_aliases if aliases else rewriter.imported_uses)(survey.importer_source)
        except (cst.ParserSyntaxError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
            return []  # reported when the file itself is processed
        return [(u.module, u.level, u.name, u.verdict.confidence, u.verdict.why) for u in uses]

    def _import_evidence(self, source: SourcePath, facts: TreeFacts) -> ImportEvidence:
        talking = facts.talking
        importer = self._module(source)
        is_package = source.path.name == "__init__.py"

        def resolve(imports: Sequence[tuple[str, int]]) -> list[str]:
            found = []
            for module, level in imports:
                full = resolve_import(importer, is_package, module, level)
                for candidate in (full, full.rsplit(".", 1)[0]):
                    hit = _lookup(talking, candidate)
                    if hit is not None:
                        found.append(f"imports `{candidate}`, which uses {talking[hit][1]}")
                        break
            # A module whose functions other modules pass session rows handles
            # session rows: as much a tie as importing a module that talks.
            found += given[:1]
            return found

        given = [
            f"through its callers: `{function}()` is given session rows {where}"
            for (module, function), passed in sorted(facts.passed.items()) if _same_module(module, importer)
            for _, kind, _, where, _ in passed[:1] if kind == "session"
        ]
        return resolve

    def load(self) -> None:
        """Import the site test before forking workers. LibCST (most of a
        second to import) is imported by a worker only when one of its files
        has a site: in most trees, none has."""
        import codemods.sites  # noqa: F401

    @staticmethod
    def _imports_module(data: bytes, module: str) -> bool:
        """Whether ``data`` may import ``module`` (its last name on an import line)."""
        last = re.escape(module.rsplit(".", 1)[-1].encode())
        return re.search(rb"^[ \t]*(?:from|import)[ \t][^\n]*\b" + last + rb"\b", data, re.MULTILINE) is not None

    def _remote(self, source: SourcePath, facts: TreeFacts) -> dict[str, list["Verdict"]]:
        """Status tests other modules make with this module's constants."""
        name = self._module(source)
        remote = facts.uses_of(name)
        if not remote:
            for defining, _ in facts.uses:
                if defining.endswith("." + name) or name.endswith("." + defining):
                    return facts.uses_of(defining)
        return remote

    def _has_sites(self, source: SourcePath, data: bytes, context: Context) -> bool:
        """Whether the full analysis can find anything here: a site on the
        stdlib ``ast``, a constant other modules test with, or a suppression
        comment to account for."""
        from codemods.sites import Sites

        facts: TreeFacts = context.facts.get(self.kind) or TreeFacts()
        if b"migrator:" in data or self._remote(source, facts) or self._given_status_reads(source, facts) \
                or self._gives_tested_attribute(data, facts) or source.rel in facts.adopted:
            return True
        if self._sites is None:
            self._sites = Sites(context.options.manifest, self._quoted)
        # Messages, returns, Literal types and enums count where the module
        # talks to OpenClaw, or may import one that does.
        name = self._module(source)
        talks = name in facts.talking or (
            b"import" in data and any(self._imports_module(data, t) for t in facts.talking)
        )
        # A class of this module built from session rows elsewhere: its
        # `Literal` status type is a site too.
        typed = any(k.rpartition(".")[0] == name or k.rpartition(".")[0].endswith("." + name)
                    for k in facts.session_exports())
        # Nothing ties the module to OpenClaw: no session source is named in
        # its bytes (nor `openclaw`, which a command line may split from its
        # words), none reaches it from another module, no marker. Its values
        # are then of unknown origin at best, and the ast can already tell the
        # sites the provenance would leave to another vocabulary.
        lowered = data.lower()
        untied = not (talks or typed or context.options.markers or self._passed(name, facts)) and not any(
            t in lowered for t in self._session_tokens
        )
        return bool(self._sites.found(data, talks, typed, untied))

    def _given_status_reads(self, source: SourcePath, facts: TreeFacts) -> bool:
        """Whether another module passes a function of this one a status
        read of a session row (``number(row.get("status"))``): a parameter
        named anything may then be a status, which only the full analysis sees."""
        from codemods.words import STATUS_READ

        return any(key.endswith(STATUS_READ) and kind == "session"
                   for passed in self._passed(self._module(source), facts).values() for key, kind, _, _, _ in passed)

    @staticmethod
    def _gives_tested_attribute(data: bytes, facts: TreeFacts) -> bool:
        """Whether the bytes name a class and an attribute of it that a
        method elsewhere tests a session status in (the exports'
        ``Class.attr#attr``): this module may define the class, subclass it
        or build it, and so give the attribute its names."""
        from codemods.words import ATTRIBUTE_EXPORT, COLLECTION_EXPORT

        for key, why in facts.exports.items():
            if key.endswith(ATTRIBUTE_EXPORT) and why.startswith(COLLECTION_EXPORT):
                held, _, attr = key[: -len(ATTRIBUTE_EXPORT)].rpartition(".")
                cls = held.rpartition(".")[2]
                if cls and cls.encode() in data and attr.encode() in data:
                    return True
        return False

    def _knowledge(self, source: SourcePath, facts: TreeFacts) -> "TreeKnowledge":
        from codemods.provenance import TreeKnowledge

        name = self._module(source)
        return TreeKnowledge(name, source.path.name == "__init__.py", source.display, facts.exports,
                             self._passed(name, facts), facts.validators, facts.programs, facts.enums)

    @staticmethod
    def _passed(name: str, facts: TreeFacts) -> dict[str, list[tuple[str, str, str, str, str]]]:
        """What other modules pass the functions of module ``name``, by function."""
        def same(module: str) -> bool:
            return module == name or module.endswith("." + name) or name.endswith("." + module)

        passed: dict[str, list[tuple[str, str, str, str, str]]] = {}
        for (module, function), arguments in facts.passed.items():
            if same(module):
                passed.setdefault(function, []).extend(arguments)
        for (module, function), signals in facts.receivers.items():
            if same(module):
                for signal in signals:
                    passed.setdefault(function, []).extend(facts.passed.get(signal, ()))
        return passed

    def _rewriter(self, source: SourcePath, facts: TreeFacts, options: Options) -> "StatusRewriter":
        """The rewriter of one file under the tree's facts, as it is processed."""
        from codemods.session_status import StatusRewriter

        # Every finding is reported; the threshold only decides which are rewritten.
        remote = self._remote(source, facts)
        return StatusRewriter(
            options.manifest,
            options.phase,
            options.min_confidence,
            options.markers,
            self._import_evidence(source, facts),
            remote,
            tree=self._knowledge(source, facts),
        )

    def process(self, source: SourcePath, data: bytes | None, context: Context) -> FileResult:
        assert data is not None
        result = FileResult(source.path, source.display, self.kind, original=data)
        if not self._has_sites(source, data, context):
            return result  # nothing any form could change: LibCST never sees it
        rewritten = rewrite_source(data, self._rewriter(source, context.facts.get(self.kind) or TreeFacts(), context.options))
        if isinstance(rewritten, str):
            result.error = unparsable(rewritten)
            return result
        for f in rewritten.findings:
            action: Action = "rewrite" if f.rewrite else "review"
            result.findings.append(
                Finding(source.display, f.line, f.column, self.kind, f.old, f.new, f.confidence, action, f.rule, f.why)
            )
        for f in rewritten.expanded:
            result.notes.append(expanded_note(source.display, f.line, f.column, f.rule, f.old, f.new))
        for f in rewritten.kept:
            result.notes.append(
                f"{source.display}:{f.line}:{f.column}: {f.rule}: `{f.old}` kept in expand (a written or single "
                f"value), `{f.new}` in contract: contract pending"
            )
        result.notes.extend(rewritten.suppressions.notes(source.display))
        if rewritten.code != data:
            result.updated = rewritten.code
        return result

    def verify(self, source: SourcePath, result: FileResult, context: Context) -> str | None:
        """The result parses, its AST differs only at status literals, and a
        second pass changes nothing."""
        if result.updated is None or result.original is None:
            return None
        vocab = context.options.manifest.vocabulary
        problem = literals_only(result.original, result.updated, vocab)
        if problem:
            return problem
        again = self._rewriter(source, context.facts.get(self.kind) or TreeFacts(), context.options).rewrite(result.updated)
        if again.code != result.updated:
            return "a second pass would change the file again"
        return None


