"""What the pipeline produces: findings, and the result of one file."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from migrator.errors import StalePlan as StalePlan  # re-exported: engines raise it

if TYPE_CHECKING:
    from migrator.changes import Change

Confidence = Literal["possible", "likely", "certain"]
CONFIDENCES: tuple[Confidence, ...] = ("possible", "likely", "certain")
Action = Literal["rewrite", "review"]


@dataclass(frozen=True)
class Finding:
    """One place where an old value of the vocabulary appears.

    ``action`` is ``rewrite`` when ``apply`` will change it under the current
    options, ``review`` when a person has to decide.
    """

    path: str
    line: int
    column: int
    kind: str
    old: str
    new: str
    confidence: Confidence
    action: Action
    rule: str
    why: str
    pointer: str | None = None
    table: str | None = None
    column_name: str | None = None
    key: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "kind": self.kind,
            "old": self.old,
            "new": self.new,
            "confidence": self.confidence,
            "action": self.action,
            "rule": self.rule,
            "why": self.why,
        }
        if self.pointer is not None:
            out["pointer"] = self.pointer
        if self.table is not None:
            # A database row has no text position: `line` is the rowid and
            # `column` names the SQLite column (SPEC 5).
            out["table"] = self.table
            out["column"] = self.column_name
        if self.key is not None:
            out["key"] = self.key
        return out


ProblemKind = Literal["unreadable", "unparsable", "not-a-store", "unsafe", "crashed", "kept"]


@dataclass(frozen=True)
class Problem:
    """Why a file was not used or not changed, in one line.

    ``kind`` says which outcome it is: ``unreadable`` (cannot be read),
    ``unparsable`` (cannot be parsed), ``not-a-store`` (at a store's path but
    not one), ``unsafe`` (the safety check refused the change), ``crashed``
    (its parser or worker died on it), ``kept`` (the version gate keeps a
    store: not an error, the work waits for the gateway). The report, the
    exit code and SARIF read the kind; the message is for people.
    """

    kind: ProblemKind
    message: str

    def __str__(self) -> str:
        return self.message

    def line(self, display: str) -> str:
        """The problem as one line naming the file (a file that is not a
        store is named after the verdict, which is the news)."""
        if self.kind == "not-a-store":
            head, _, detail = self.message.partition(" (")
            return f"{head}: {display}" + (f" ({detail}" if detail else "")
        return f"{display}: {self.message}"

    @property
    def is_error(self) -> bool:
        """An input that could not be used (exit 3); ``kept`` is not one."""
        return self.kind != "kept"


def unparsable(message: str) -> Problem:
    return Problem("unparsable", message)


def problem(message: str | None, kind: ProblemKind = "unparsable") -> Problem | None:
    """``message`` as a problem of ``kind`` (None stays None)."""
    return None if message is None else Problem(kind, message)


@dataclass
class FileResult:
    """Everything one engine learned about one file.

    ``updated`` holds the proposed new bytes of a text file (None: no change);
    ``plan`` a change for files that are not rewritten as bytes held in
    memory (a database, a streamed JSONL file); see :mod:`migrator.changes`.
    ``error`` is the problem when the file could not be used or changed.
    """

    path: Path
    display: str
    kind: str
    findings: list[Finding] = field(default_factory=list)
    original: bytes | None = None
    updated: bytes | None = None
    plan: Change | None = None
    error: Problem | None = None
    notes: list[str] = field(default_factory=list)
    #: The RFC 6902 patch behind ``updated``, for data files (``--emit-patches``).
    patch: list[dict[str, Any]] | None = None

    @property
    def changed(self) -> bool:
        return (self.updated is not None and self.updated != self.original) or self.plan is not None

    @property
    def digest(self) -> str | None:
        return digest(self.original) if self.original is not None else None


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

