"""A status written to a key-value store's copy of session rows:
`r.hset(ROW_KEY.format(key=key), mapping={"status": "killed"})` where the
module stores session rows under the same key of the same store
(`r.hset(ROW_KEY.format(key=row["key"]), mapping={"status": row["status"]})`
for the rows of `sessions_list`) and reads them back as session rows (see
:mod:`codemods.provenance.stores`). A writer: kept in expand, renamed in contract. A
key that holds another vocabulary's records (a job's, a `sessions_send`
reply's) is left alone."""

from __future__ import annotations

import libcst as cst

from codemods.forms.writer import write
from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver, Verdict
from codemods.session_status import Plan, StatusRewriter
from codemods.provenance.stores import stored_origin, written_value
from migrator.rules import Example, Rule

ORDER = 89

_HASHES = (
    "import redis\n\nr = redis.Redis()\nROW = \"oc:session:{{key}}\"\n\n\n"
    "def keep(rows):\n    for row in rows:\n"
    "        r.hset(ROW.format(key=row[\"key\"]), mapping={{\"key\": row[\"key\"], \"status\": row[\"status\"]}})\n\n\n"
    "def stopped(key):\n    r.hset(ROW.format(key=key), mapping={{\"status\": \"{}\"}})\n\n\n"
    "keep(client.invoke(\"sessions_list\", {{}})[\"details\"][\"sessions\"])\n"
)
_JOBS = (
    "import redis\n\nr = redis.Redis()\nJOB = \"worker:job:{id}\"\n\n\n"
    "def keep(jobs):\n    for job in jobs:\n        r.hset(JOB.format(id=job[\"id\"]), mapping={\"status\": job[\"status\"]})\n\n\n"
    "def gave_up(job_id):\n    r.hset(JOB.format(id=job_id), mapping={\"status\": \"failed\"})\n\n\n"
    "keep(load_jobs())\n"
)

RULE = Rule(
    name="status-store-writer",
    summary="A status written to a key-value store's copy of session rows (`r.hset(KEY, mapping={\"status\": ...})`).",
    why="The stored copies are read back and tested as session rows: a status written there must keep the "
    "old name while old readers remain, and take the new one after.",
    safety="Left alone in expand (noted as contract pending); rewritten in contract, only where the same "
    "key of the same store holds rows stored from a session source.",
    invalid=(Example(_HASHES.format("killed"), None, _HASHES.format("halted")),),
    valid=(Example(_JOBS),),
)


def stored_dicts(facts: ModuleFacts, resolver: Resolver) -> dict[int, Verdict]:
    """The dicts written under a key that holds session rows, by id, with
    the verdict of the status written in them: judged here, not as a dict
    literal with a status key (see :mod:`codemods.forms.writer`)."""
    out: dict[int, Verdict] = {}
    writes = resolver.manifest.python.key_value.writes
    for call, scope in facts.all_calls:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in writes):
            continue
        value = written_value(call)
        if value is None:
            continue
        origin = stored_origin(call, scope, resolver, 0, skip=call)
        if origin is None or origin.kind == "unknown":
            continue
        verdict = Verdict("certain" if origin.kind == "session" else None,
                          f"written to a stored copy of rows, {origin.why}")
        out[id(value)] = verdict
    return out


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    if not any(kind == "dict" for _, _, _, kind in facts.writers):
        return
    stored = stored_dicts(facts, resolver)
    for target, literal, _scope, kind in facts.writers:
        verdict = stored.get(id(target)) if kind == "dict" else None
        if verdict is None or verdict.confidence is None or string_value(literal) not in rw.vocab.old:
            continue
        write(rw, facts, plan, literal, verdict, RULE.name)
