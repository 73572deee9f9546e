"""Session rows as shiftboss sees them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from .states import BROKEN, ENDED, KNOWN


def checked(value: Any, allowed: Iterable[str]) -> str | None:
    """``value`` as a lower-case word if it is one of ``allowed``, else None."""
    word = str(value or "").strip().lower()
    return word if word in allowed else None


@dataclass
class SessionRow:
    key: str
    status: str | None
    aborted: bool = False
    label: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "SessionRow":
        return cls(
            key=str(row.get("key") or ""),
            status=checked(row.get("status"), KNOWN),
            aborted=bool(row.get("abortedLastRun")),
            label=str(row.get("label") or ""),
        )

    @classmethod
    def stopped(cls, key: str) -> "SessionRow":
        """What a row looks like right after we stopped its run ourselves."""
        return cls(key, "killed", aborted=True)

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @property
    def broken(self) -> bool:
        return self.status in BROKEN or self.aborted

    @property
    def crashed(self) -> bool:
        return self.status in {"failed", "killed"} and not self.aborted


def rows_of(raw: Iterable[dict[str, Any]]) -> list[SessionRow]:
    return [SessionRow.from_row(r) for r in raw if r.get("key")]
