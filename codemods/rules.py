"""The rules of the Python engine, each explaining itself.

Like ruff's rule docs and Fixit's examples: every rule carries what it does,
why, its fix safety, and VALID (left alone) / INVALID (rewritten) examples for
both phases. ``migrator explain RULE`` prints them and the test suite is
generated from them (tests/test_rule_examples.py).
"""

from __future__ import annotations

from migrator.rules import Example, Rule

__all__ = ["Example", "Rule", "RULES"]


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
            # Ordered comparisons sort statuses; they are not status tests.
            Example(_ROWS + '    if row["status"] < "done":\n        pass\n'),
            Example(_ROWS + '    rows = sorted(data["sessions"], key=lambda r: r["status"] >= "failed")\n'),
        ),
    ),
    Rule(
        name="status-set-call",
        summary="`set(...)` / `frozenset(...)` of old names, inline or as a constant.",
        why="A set built by a call is a membership collection like a literal one.",
        safety="The literal inside the call is edited like a membership collection; "
        "the call itself is kept.",
        invalid=(
            Example(
                _ROWS + '    if row["status"] in frozenset(("done", "killed")):\n        pass\n',
                _ROWS + '    if row["status"] in frozenset(("done", "agent_responded", "killed", "halted")):\n        pass\n',
                _ROWS + '    if row["status"] in frozenset(("agent_responded", "halted")):\n        pass\n',
            ),
            Example(
                'ENDED = set(["failed", "timeout"])\n' + _ROWS + '    if row["status"] in ENDED:\n        pass\n',
                'ENDED = set(["failed", "interrupted", "timeout", "waiting_for_response"])\n'
                + _ROWS + '    if row["status"] in ENDED:\n        pass\n',
                'ENDED = set(["interrupted", "waiting_for_response"])\n'
                + _ROWS + '    if row["status"] in ENDED:\n        pass\n',
            ),
        ),
        valid=(Example('ENDED = frozenset({"done", "failed"})\n\ndef over(task):\n    return task.state in ENDED\n'),),
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
        valid=(Example('def state(job):\n    return job.get("status", "done")\n'),),
    ),
    Rule(
        name="status-match",
        summary="`match` on a session status with literal and `|` patterns.",
        why="A `case \"done\":` never matches the new name a gateway sends after the rename.",
        safety="expand adds the new name as another alternative (`case \"done\" | \"agent_responded\":`); "
        "contract keeps only the new names; an `as` capture keeps its name. A case with a capture "
        "mixed in among the alternatives is listed for review.",
        invalid=(
            Example(
                _ROWS + '    match row["status"]:\n        case "done" | "failed" as st:\n            print(st)\n',
                _ROWS + '    match row["status"]:\n        case "done" | "agent_responded" | "failed" | "interrupted" as st:\n'
                '            print(st)\n',
                _ROWS + '    match row["status"]:\n        case "agent_responded" | "interrupted" as st:\n            print(st)\n',
            ),
            Example(
                _ROWS + '    match row["status"]:\n        case "done":\n            pass\n        case _:\n            pass\n',
                _ROWS + '    match row["status"]:\n        case "done" | "agent_responded":\n            pass\n'
                '        case _:\n            pass\n',
                _ROWS + '    match row["status"]:\n        case "agent_responded":\n            pass\n'
                '        case _:\n            pass\n',
            ),
            Example(
                _ROWS + '    match row.get("status"):\n        case "running":\n            pass\n'
                '        case "failed" | "killed":\n            pass\n',
                _ROWS + '    match row.get("status"):\n        case "running":\n            pass\n'
                '        case "failed" | "interrupted" | "killed" | "halted":\n            pass\n',
                _ROWS + '    match row.get("status"):\n        case "running":\n            pass\n'
                '        case "interrupted" | "halted":\n            pass\n',
            ),
        ),
        valid=(
            Example(
                'reply = client.invoke("sessions_send", {})\nmatch reply["status"]:\n'
                '    case "ok":\n        pass\n    case "timeout":\n        pass\n'
            ),
        ),
    ),
    Rule(
        name="status-dispatch",
        summary="A dict dispatch table keyed by session status (`HANDLERS[row[\"status\"]]`).",
        why="A table keyed by old names raises `KeyError` (or falls to the default) for every new name.",
        safety="expand adds each new key with the SAME value, only when that value is a name, an "
        "attribute or a literal (a label map's strings and numbers); any other value (a lambda, a "
        "call, a list) is listed for review, because copying it could run it twice or change "
        "identity. contract renames the keys; it reviews a table where the old and the new key map "
        "to different values.",
        invalid=(
            Example(
                'HANDLERS = {"done": archive, "failed": alerts.page}\n'
                + _ROWS + '    HANDLERS.get(row["status"], ignore)(row)\n',
                'HANDLERS = {"done": archive, "agent_responded": archive, "failed": alerts.page, '
                '"interrupted": alerts.page}\n' + _ROWS + '    HANDLERS.get(row["status"], ignore)(row)\n',
                'HANDLERS = {"agent_responded": archive, "interrupted": alerts.page}\n'
                + _ROWS + '    HANDLERS.get(row["status"], ignore)(row)\n',
            ),
            Example(
                'LABELS = {"done": "finished", "running": "busy"}\n'
                + _ROWS + '    print(LABELS[row["status"]])\n',
                'LABELS = {"done": "finished", "agent_responded": "finished", "running": "busy"}\n'
                + _ROWS + '    print(LABELS[row["status"]])\n',
                'LABELS = {"agent_responded": "finished", "running": "busy"}\n'
                + _ROWS + '    print(LABELS[row["status"]])\n',
            ),
            Example(
                _ROWS + '    print({"done": "finished", "running": "busy"}.get(row["status"], "?"))\n',
                _ROWS + '    print({"done": "finished", "agent_responded": "finished", "running": "busy"}.get(row["status"], "?"))\n',
                _ROWS + '    print({"agent_responded": "finished", "running": "busy"}.get(row["status"], "?"))\n',
            ),
            Example(
                'ACTIONS = {"done": lambda r: archive(r)}\n'
                + _ROWS + '    ACTIONS[row["status"]](row)\n',
                None,
                'ACTIONS = {"agent_responded": lambda r: archive(r)}\n'
                + _ROWS + '    ACTIONS[row["status"]](row)\n',
            ),
        ),
        valid=(Example('HANDLERS = {"done": archive}\n\ndef on(job):\n    HANDLERS[job.state](job)\n'),),
    ),
    Rule(
        name="status-literal-type",
        summary="`Literal[...]` annotations of session statuses.",
        why="A type checker rejects the new names a gateway sends if the `Literal` lists only old ones.",
        safety="expand adds each new name after its old one; contract keeps only the new names. "
        "Only a `Literal` made of session words is touched; one mixed with other words is "
        "another vocabulary.",
        invalid=(
            Example(
                'import openclaw\nfrom typing import Literal\n\nSessionStatus = Literal["running", "done", "failed"]\n',
                'import openclaw\nfrom typing import Literal\n\nSessionStatus = Literal["running", "done", "agent_responded", '
                '"failed", "interrupted"]\n',
                'import openclaw\nfrom typing import Literal\n\nSessionStatus = Literal["running", "agent_responded", "interrupted"]\n',
            ),
            Example(
                'import openclaw, typing\n\nclass SessionRow(typing.TypedDict):\n    status: typing.Literal["killed"]\n',
                'import openclaw, typing\n\nclass SessionRow(typing.TypedDict):\n    status: typing.Literal["killed", "halted"]\n',
                'import openclaw, typing\n\nclass SessionRow(typing.TypedDict):\n    status: typing.Literal["halted"]\n',
            ),
        ),
        valid=(
            Example('from typing import Literal\n\nJobState = Literal["pending", "done", "failed"]\n'),
            # A name is no evidence: a project that never talks to OpenClaw has its own sessions.
            Example('from typing import Literal\n\nSessionStatus = Literal["running", "done", "failed"]\n'),
        ),
    ),
    Rule(
        name="status-enum",
        summary="`Enum` classes whose members are session statuses.",
        why="`SessionStatus(row[\"status\"])` raises `ValueError` for a new name.",
        safety="An Enum value holds exactly one name, and adding members changes iteration and "
        "`len`, so expand lists the members for review (accepting both needs a `_missing_` "
        "hook a person writes). contract rewrites the values, unless the class already has a "
        "member with the new value (that would turn one member into an alias): review.",
        invalid=(
            Example(
                'from enum import Enum\n\nclass SessionStatus(str, Enum):\n    RUNNING = "running"\n'
                '    DONE = "done"\n\ndef states(gw):\n'
                '    return [SessionStatus(r["status"]) for r in gw.sessions_list()["sessions"]]\n',
                None,
                'from enum import Enum\n\nclass SessionStatus(str, Enum):\n    RUNNING = "running"\n'
                '    DONE = "agent_responded"\n\ndef states(gw):\n'
                '    return [SessionStatus(r["status"]) for r in gw.sessions_list()["sessions"]]\n',
            ),
            Example(
                'import openclaw\nfrom enum import Enum\n\nclass SessionStatus(Enum):\n    DONE = "done"\n'
                '    AGENT_RESPONDED = "agent_responded"\n',
            ),
        ),
        valid=(
            Example('from enum import Enum\n\nclass JobState(Enum):\n    DONE = "done"\n    QUEUED = "queued"\n'),
            # Another project's own session statuses: nothing ties them to OpenClaw.
            Example('from enum import StrEnum\n\nclass SessionStatus(StrEnum):\n    DONE = "done"\n'
                    '    FAILED = "failed"\n'),
        ),
    ),
    Rule(
        name="status-message",
        summary="An old name inside a message or f-string, in a module that talks to OpenClaw.",
        why="Messages that list the allowed values go stale after the rename, but prose cannot be "
        "rewritten mechanically.",
        safety="Never rewritten: listed for review. Docstrings and bytes are ignored.",
        invalid=(
            Example(
                _ROWS + '    if row["status"] not in ALLOWED:\n'
                '        raise ValueError(f"{row[\'status\']!r} is not one of running, done, failed")\n'
            ),
        ),
        valid=(
            Example('def report(jobs):\n    return f"{len(jobs)} done"\n'),
            # English, not a status: no "status" and no list of values.
            Example('import openclaw\n\ndef spawn(task):\n    print("spawn failed, giving up")\n'),
        ),
    ),
    Rule(
        name="status-return",
        summary="A function that returns an old name, in a module that talks to OpenClaw.",
        why="Mapping functions turn other codes into session statuses; whether a caller compares "
        "the result with a session status or stores it elsewhere decides the fix.",
        safety="Never rewritten: listed for review.",
        invalid=(
            Example(
                'import openclaw\n\ndef status_for(code):\n    return "done" if code == 0 else "failed"\n'
            ),
        ),
        valid=(Example('def state_for(code):\n    return "done" if code == 0 else "failed"\n'),),
    ),
)
