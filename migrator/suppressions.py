"""Suppression comments, parsed and matched in one place for every engine.

``# migrator: ignore`` leaves every finding of its line alone;
``# migrator: ignore[status-compare, status-match]`` only those of the rules
named; ``# migrator: ignore-file`` (optionally with rules) the whole file;
``# migrator: session-status`` marks a value as a session status (the
engines read it as evidence, it suppresses nothing). Markdown spells them as
``<!-- migrator: ignore -->``; there a comment alone on its line covers the
next line too. JSON5 spells them with its own comment, ``// migrator: ignore``.

As ruff does for ``noqa``, a directive that is not one of these, or a rule id
that no engine emits, is reported (and the unknown id suppresses nothing),
and so is a suppression that suppressed nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Literal

from migrator.config import closest

Style = Literal["#", "<!--", "//"]
IGNORE, IGNORE_FILE, MARK = "ignore", "ignore-file", "session-status"
DIRECTIVES = (IGNORE, IGNORE_FILE, MARK)
_PATTERNS = {
    "#": re.compile(r"#\s*migrator:\s*(?P<word>[\w-]*)\s*(?:\[(?P<codes>[^\]\n]*)\])?"),
    "//": re.compile(r"//\s*migrator:\s*(?P<word>[\w-]*)\s*(?:\[(?P<codes>[^\]\n]*)\])?"),
    "<!--": re.compile(r"<!--\s*migrator:\s*(?P<word>[\w-]*)\s*(?:\[(?P<codes>[^\]\n]*)\])?\s*-->"),
}


def known_rules() -> frozenset[str]:
    """Every rule id an engine can emit (the one registry)."""
    from migrator.rules import all_rules

    return frozenset(rule.name for rule in all_rules())


@dataclass
class Directive:
    """One suppression comment: where it is, the lines it covers, and the
    rules it names (None: every rule)."""

    line: int
    text: str
    lines: frozenset[int]
    codes: frozenset[str] | None
    used: bool = False


@dataclass
class Suppressions:
    """The suppression comments of one file, and what they matched."""

    style: Style = "#"
    directives: list[Directive] = field(default_factory=list)
    file: Directive | None = None
    #: Lines marked ``session-status`` (evidence for the engines).
    marked: set[int] = field(default_factory=set)
    #: ``(line, message)`` for each malformed directive or unknown rule id.
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ignore_lines(self) -> set[int]:
        """Every line some ``ignore`` covers (whatever its rules)."""
        return {line for d in self.directives for line in d.lines}

    @property
    def ignore_file(self) -> bool:
        """Whether the whole file is left alone (an ``ignore-file`` for every rule)."""
        return self.file is not None and self.file.codes is None

    def covers(self, lines: Iterable[int], rule: str | None, *, mark: bool = True) -> bool:
        """Whether a finding of ``rule`` on any of ``lines`` is suppressed.
        ``rule`` None asks about directives for every rule only. A match
        counts as a use unless ``mark`` is False."""
        wanted = set(lines)
        hit = False
        for d in ([self.file] if self.file else []) + [d for d in self.directives if d.lines & wanted]:
            if d.codes is None or (rule is not None and rule in d.codes):
                hit = True
                if mark:
                    d.used = True
        return hit

    def notes(self, display: str, offset: int = 0) -> list[str]:
        """One line per problem and per suppression that suppressed nothing,
        by line (``offset`` for a code block inside a larger file)."""
        out = [(line, message) for line, message in self.problems]
        for d in self.directives + ([self.file] if self.file else []):
            if not d.used and d.codes != frozenset():
                out.append((d.line, f"unused suppression `{d.text}`"))
        return [f"{display}:{line + offset}: {message}" for line, message in sorted(out)]


def parse(lines: Iterable[str], style: Style = "#", known: frozenset[str] | None = None) -> Suppressions:
    """The suppression comments of a file given as its lines (1-based)."""
    pattern = _PATTERNS[style]
    out = Suppressions(style)
    for number, text in enumerate(lines, start=1):
        if "migrator" not in text:
            continue
        for match in pattern.finditer(text):
            comment = match.group(0).strip()
            word = match.group("word")
            covered = {number}
            if style == "<!--" and not pattern.sub("", text).strip():
                covered.add(number + 1)  # alone on its line: the next line too
            if word not in DIRECTIVES:
                close = closest(word, DIRECTIVES)
                hint = f"; did you mean `{close}`?" if close else f" (known: {', '.join(DIRECTIVES)})"
                out.problems.append((number, f"unknown suppression directive `{comment}`{hint}"))
                continue
            if word == MARK:
                out.marked |= covered
                continue
            codes = _codes(match.group("codes"), number, comment, out, known)
            directive = Directive(number, comment, frozenset(covered), codes)
            if word == IGNORE_FILE:
                out.file = directive
            else:
                out.directives.append(directive)
    return out


def _codes(
    raw: str | None, number: int, comment: str, out: Suppressions, known: frozenset[str] | None
) -> frozenset[str] | None:
    """The known rule ids of ``[a, b]``; an unknown one is reported and
    dropped (so ``ignore[no-such-rule]`` suppresses nothing)."""
    if raw is None:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if not names:
        out.problems.append((number, f"empty rule list in `{comment}` (for every rule: drop the brackets)"))
        return frozenset()
    known = known_rules() if known is None else known
    for name in names:
        if name not in known:
            close = closest(name, known)
            hint = f"; did you mean `{close}`?" if close else " (see `migrator rules`)"
            out.problems.append((number, f"unknown rule `{name}` in `{comment}`{hint}"))
    return frozenset(name for name in names if name in known)


# Data formats whose comments start with `#`: their values can be suppressed.
# The line comment of each data format that has one.
COMMENT_STYLES: dict[str, Style] = {"yaml": "#", "toml": "#", "json5": "//"}


def for_document(text: str, fmt: str) -> Suppressions | None:
    """The suppressions of a data document, or None when its format has no
    line comments or it names none."""
    style = COMMENT_STYLES.get(fmt)
    if style is None or "migrator" not in text:
        return None
    found = parse(text.splitlines(), style)
    return found if found.directives or found.file or found.problems else None
