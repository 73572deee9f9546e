"""The Python engine: LibCST codemod over ``.py`` files, with provenance."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any, Iterable, Sequence

import libcst as cst

from codemods.session_status import StatusRewriter, equivalent_except_literals
from migrator.config import Options
from migrator.engines import Context
from migrator.files import SourcePath
from migrator.findings import FileResult, Finding


def module_name(rel: str) -> str:
    """``pkg/sub/mod.py`` -> ``pkg.sub.mod``; ``pkg/__init__.py`` -> ``pkg``."""
    parts = list(PurePosixPath(rel).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


class PythonEngine:
    kind = "python"
    reads_bytes = True

    def __init__(self) -> None:
        self._old: re.Pattern[bytes] | None = None
        self._evidence: re.Pattern[bytes] | None = None

    def _patterns(self, options: Options) -> None:
        if self._old is None:
            manifest = options.manifest
            words = sorted(manifest.vocabulary.old)
            self._old = re.compile(b"|".join(re.escape(w.encode()) for w in words))
            tokens = [*manifest.python.evidence, *options.markers]
            self._evidence = re.compile(
                b"|".join(re.escape(t.encode()) for t in tokens if t), re.IGNORECASE
            )

    def claims(self, source: SourcePath, options: Options) -> bool:
        self._patterns(options)
        return source.path.suffix in (".py", ".pyi")

    def prefilter(self, data: bytes) -> bool:
        assert self._old is not None
        return self._old.search(data) is not None

    def survey(self, source: SourcePath, data: bytes) -> Any:
        # Which modules of the tree talk to OpenClaw: a byte search, so files
        # without an old literal are never parsed.
        assert self._evidence is not None
        hit = self._evidence.search(data)
        return (module_name(source.rel), source.display, hit.group(0).decode(errors="replace") if hit else None)

    def gather(self, surveyed: Iterable[tuple[SourcePath, Any]], options: Options) -> Any:
        return {name: (display, token) for _, (name, display, token) in surveyed if token}

    def _import_evidence(self, source: SourcePath, context: Context) -> Any:
        talking: dict[str, tuple[str, str]] = context.facts.get(self.kind, {})
        package = module_name(source.rel).split(".")[:-1]
        if source.path.name == "__init__.py":
            package = module_name(source.rel).split(".")

        def resolve(imports: Sequence[tuple[str, int]]) -> list[str]:
            found = []
            for module, level in imports:
                if level:
                    base = package[: len(package) - (level - 1)] if level > 1 else package
                    full = ".".join([*base, module] if module else base)
                else:
                    full = module
                for candidate in (full, full.rsplit(".", 1)[0]):
                    if candidate in talking:
                        found.append(f"imports `{candidate}`, which uses {talking[candidate][1]}")
                        break
            return found

        return resolve

    def _rewriter(self, source: SourcePath, context: Context) -> StatusRewriter:
        # Every finding is reported; the threshold only decides which are rewritten.
        options = context.options
        return StatusRewriter(
            options.manifest,
            options.phase,
            options.min_confidence,
            options.markers,
            self._import_evidence(source, context),
        )

    def process(self, source: SourcePath, data: bytes | None, context: Context) -> FileResult:
        assert data is not None
        result = FileResult(source.path, source.display, self.kind, original=data)
        options = context.options
        try:
            rewritten = self._rewriter(source, context).rewrite(data)
        except cst.ParserSyntaxError as exc:
            result.error = f"cannot parse Python: {exc.message} (line {exc.raw_line}, column {exc.raw_column + 1})"
            return result
        except UnicodeDecodeError as exc:
            result.error = f"not valid UTF-8 (byte {exc.start}): {exc.reason}"
            return result
        except (SyntaxError, ValueError) as exc:
            if "encoding" in str(exc):
                result.error = "not valid UTF-8, and no coding declaration names another encoding"
            else:
                result.error = f"cannot read Python source: {exc}"
            return result
        for f in rewritten.findings:
            action = "rewrite" if f.rewrite else "review"
            result.findings.append(
                Finding(source.display, f.line, f.column, self.kind, f.old, f.new, f.confidence, action, f.rule, f.why)
            )
        for line in rewritten.unused_ignores:
            result.notes.append(f"{source.display}:{line}: unused suppression `# migrator: ignore`")
        if rewritten.code != data:
            result.updated = rewritten.code
        return result

    def verify(self, source: SourcePath, result: FileResult, context: Context) -> str | None:
        """The result parses, its AST differs only at status literals, and a
        second pass changes nothing."""
        if result.updated is None or result.original is None:
            return None
        vocab = context.options.manifest.vocabulary
        problem = equivalent_except_literals(result.original, result.updated, vocab)
        if problem:
            return problem
        again = self._rewriter(source, context).rewrite(result.updated)
        if again.code != result.updated:
            return "a second pass would change the file again"
        return None
