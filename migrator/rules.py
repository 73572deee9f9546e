"""Rules: what each finding's rule id means, with examples, for every engine.

A rule explains itself (what it does, why, its fix safety, and examples that
are found or left alone), as ruff's rule docs and Fixit's rules do. Each
engine declares its rules (``Engine.rules``); :func:`all_rules` collects them
through the engine registry, so ``migrator explain``, ``migrator rules``,
SARIF and the docs read one list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache


@dataclass(frozen=True)
class Example:
    """``before`` is a whole input; ``expand``/``contract`` are the expected
    results (None: the input is left byte-identical, or listed for review)."""

    before: str
    expand: str | None = None
    contract: str | None = None


@dataclass(frozen=True)
class Rule:
    """A rule id any engine can emit: what it does, why, its fix safety, and
    its examples.

    INVALID examples are found (rewritten where the example shows a result,
    reported for review where it shows none); VALID ones are left alone.
    """

    name: str
    summary: str
    why: str
    safety: str
    invalid: tuple[Example, ...] = field(default_factory=tuple)
    valid: tuple[Example, ...] = field(default_factory=tuple)

    def explain(self) -> str:
        """The page ``migrator explain NAME`` prints."""
        parts = [f"{self.name}: {self.summary}", "", "Why: " + self.why, "", "Fix safety: " + self.safety]
        for title, examples in (("Found", self.invalid), ("Left alone", self.valid)):
            for example in examples:
                parts += ["", f"{title}:", _indent(example.before)]
                if examples is self.invalid:
                    for phase, result in (("expand", example.expand), ("contract", example.contract)):
                        parts += [f"{phase} ->", _indent(result) if result is not None else "    (unchanged; listed for review)"]
        return "\n".join(parts)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip("\n").splitlines())


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule of every registered engine, in engine order, each id once."""
    from migrator.engines import registered

    seen: dict[str, Rule] = {}
    for engine in registered():
        for rule in engine.rules:
            seen.setdefault(rule.name, rule)
    return tuple(seen.values())


def rule_for(name: str) -> Rule | None:
    """The rule with id ``name``, or None."""
    return next((rule for rule in all_rules() if rule.name == name), None)
