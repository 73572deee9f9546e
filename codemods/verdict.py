"""What the provenance says of one value: a session status, and how sure,
or not one (``confidence`` None), with the chain that shows it.

Kept apart from the provenance package, which imports the parser: a run
whose tree facts come from the memo rebuilds its verdicts without it."""

from __future__ import annotations

from dataclasses import dataclass

from migrator.findings import Confidence


@dataclass(frozen=True)
class Verdict:
    confidence: Confidence | None  # None: not a session status (leave alone)
    why: str
