"""The rules of the Python engine, each explaining itself.

Like ruff's rule docs and Fixit's examples: every rule carries what it does,
why, its fix safety, and VALID (left alone) / INVALID (rewritten) examples for
both phases. ``migrator explain RULE`` prints them and the test suite is
generated from them (tests/test_rule_examples.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Example:
    """``before`` is a whole module; ``expand``/``contract`` are the expected
    results (None: the module is left byte-identical)."""

    before: str
    expand: str | None = None
    contract: str | None = None


@dataclass(frozen=True)
class Rule:
    name: str
    summary: str
    why: str
    safety: str
    invalid: tuple[Example, ...] = field(default_factory=tuple)
    valid: tuple[Example, ...] = field(default_factory=tuple)

    def explain(self) -> str:
        parts = [f"{self.name}: {self.summary}", "", "Why: " + self.why, "", "Fix safety: " + self.safety]
        for title, examples in (("Rewritten", self.invalid), ("Left alone", self.valid)):
            for example in examples:
                parts += ["", f"{title}:", _indent(example.before)]
                if example.expand is not None:
                    parts += ["expand ->", _indent(example.expand)]
                if example.contract is not None:
                    parts += ["contract ->", _indent(example.contract)]
        return "\n".join(parts)


def _indent(code: str) -> str:
    return "\n".join("    " + line for line in code.rstrip("\n").splitlines())


_ROWS = 'data = client.invoke("sessions_list", {})\nfor row in data["sessions"]:\n'

RULES: tuple[Rule, ...] = (
    Rule(
        name="status-compare",
        summary="`==` / `!=` between a session status and an old name.",
        why="After the rename a gateway may send the new name; a reader that only "
        "knows the old one silently takes the other branch.",
        safety="expand turns the test into membership of both names, so it behaves "
        "the same against old and new gateways; contract swaps in the new name.",
        invalid=(
            Example(
                _ROWS + '    if row["status"] == "done":\n        print(row["key"])\n',
                _ROWS + '    if row["status"] in ("done", "agent_responded"):\n        print(row["key"])\n',
                _ROWS + '    if row["status"] == "agent_responded":\n        print(row["key"])\n',
            ),
            Example(
                _ROWS + "    if row.get('status', '').strip().lower() != 'failed':\n        pass\n",
                _ROWS + "    if row.get('status', '').strip().lower() not in ('failed', 'interrupted'):\n        pass\n",
                _ROWS + "    if row.get('status', '').strip().lower() != 'interrupted':\n        pass\n",
            ),
        ),
        valid=(
            Example(
                'reply = client.invoke("sessions_send", {"message": "hi"})\n'
                'if reply["status"] == "timeout":\n    retry()\n'
            ),
            Example('def finished(job):\n    return job["status"] == "done"\n'),
        ),
    ),
    Rule(
        name="status-membership",
        summary="`in` / `not in` with a literal tuple, list or set of old names.",
        why="A collection of old names misses every new name a gateway sends.",
        safety="expand adds each new name right after its old one; contract keeps "
        "only the new names, and a one-element test becomes `==` / `!=`.",
        invalid=(
            Example(
                _ROWS + '    if row["status"] in ("done", "failed"):\n        pass\n',
                _ROWS + '    if row["status"] in ("done", "agent_responded", "failed", "interrupted"):\n        pass\n',
                _ROWS + '    if row["status"] in ("agent_responded", "interrupted"):\n        pass\n',
            ),
            Example(
                _ROWS + '    if row["status"] not in ["killed"]:\n        pass\n',
                _ROWS + '    if row["status"] not in ["killed", "halted"]:\n        pass\n',
                _ROWS + '    if row["status"] != "halted":\n        pass\n',
            ),
        ),
        valid=(
            Example(
                'proc = run_process()\nif proc["status"] in ("completed", "failed", "killed"):\n    pass\n'
            ),
        ),
    ),
    Rule(
        name="status-constant",
        summary="A module constant of old names used in a session-status test.",
        why="Terminal-status tuples are defined once and used in polling loops; "
        "the definition is where the names must change.",
        safety="Rewritten like a membership collection. A constant also used with "
        "another vocabulary is listed for review instead.",
        invalid=(
            Example(
                'TERMINAL = ("done", "failed")\n' + _ROWS + '    if row["status"] in TERMINAL:\n        pass\n',
                'TERMINAL = ("done", "agent_responded", "failed", "interrupted")\n'
                + _ROWS + '    if row["status"] in TERMINAL:\n        pass\n',
                'TERMINAL = ("agent_responded", "interrupted")\n'
                + _ROWS + '    if row["status"] in TERMINAL:\n        pass\n',
            ),
        ),
        valid=(
            Example('TERMINAL = ("done", "failed")\n\ndef over(job):\n    return job.state in TERMINAL\n'),
        ),
    ),
    Rule(
        name="status-writer",
        summary="A status assigned to a session record (`entry[\"status\"] = \"failed\"`).",
        why="Writers must keep old names while an old gateway may read the data, "
        "and switch to new names once the window closes.",
        safety="Left alone in expand (listed for review); rewritten in contract.",
        invalid=(
            Example(
                'store = load("sessions.json")\nfor key, entry in store.items():\n    entry["status"] = "killed"\n',
                None,
                'store = load("sessions.json")\nfor key, entry in store.items():\n    entry["status"] = "halted"\n',
            ),
        ),
        valid=(Example('task = {}\ntask["status"] = "failed"\n'),),
    ),
    Rule(
        name="status-default",
        summary="The default of `row.get(\"status\", ...)`.",
        why="A default stands in for a stored value, so it follows the writers.",
        safety="Left alone in expand; rewritten in contract.",
        invalid=(
            Example(
                _ROWS + '    state = row.get("status", "done")\n',
                None,
                _ROWS + '    state = row.get("status", "agent_responded")\n',
            ),
        ),
    ),
)
