"""What the pipeline produces: findings, and the result of one file."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

Confidence = Literal["possible", "likely", "certain"]
CONFIDENCES: tuple[Confidence, ...] = ("possible", "likely", "certain")
Action = Literal["rewrite", "review"]


def confidence_rank(value: str) -> int:
    """Order of confidences: possible < likely < certain."""
    return CONFIDENCES.index(value)  # type: ignore[arg-type,unused-ignore]


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


class StalePlan(Exception):
    """The file changed since the plan was made: it is left as it is."""


class StorePlan(Protocol):
    """A change to a file that is not rewritten as bytes held in memory (a
    database, a streamed JSONL file).

    Engines only describe it; :func:`migrator.write.write` calls ``apply``
    inside a journalled transaction. ``apply`` records its own journal entry
    (whose kind :func:`migrator.journal.rollback` dispatches on), raises
    :class:`StalePlan` when its guard finds the file changed, ``OSError`` or
    ``ValueError`` when it cannot be applied; in every case the file is
    either untouched or fully changed.
    """

    def describe(self) -> str: ...

    def apply(self, journal: Any) -> None: ...

    def write_patches(self, handle: Any) -> None:
        """Write the RFC 6902 documents of the change (``--emit-patches``)."""


@dataclass
class FileResult:
    """Everything one engine learned about one file.

    ``updated`` holds the proposed new bytes of a text file (None: no change);
    ``plan`` a store change for files that are not rewritten as bytes.
    ``error`` is a one-line message when the file could not be read or parsed.
    """

    path: Path
    display: str
    kind: str
    findings: list[Finding] = field(default_factory=list)
    original: bytes | None = None
    updated: bytes | None = None
    plan: StorePlan | None = None
    error: str | None = None
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
