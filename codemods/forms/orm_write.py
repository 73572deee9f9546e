"""A status written by a SQLAlchemy statement (`update(Row).values(status=
"failed")`, `insert(Row).values(...)`) into a mapped class whose status holds
session statuses."""

from __future__ import annotations

import libcst as cst

from codemods import orm
from codemods.forms.writer import write
from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver, Verdict
from codemods.session_status import Plan, StatusRewriter
from migrator.rules import Example, Rule

ORDER = 91  # beside status-writer

_MODEL = (
    "from sqlalchemy import String, update\n"
    "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
    "class Base(DeclarativeBase):\n    pass\n\n\n"
    "class Seat(Base):\n    __tablename__ = \"seat\"\n\n"
    "    key: Mapped[str] = mapped_column(String(200), primary_key=True)\n"
    "    status: Mapped[str] = mapped_column(String(20))\n\n\n"
    "def pull(db, client):\n"
    "    for entry in client.invoke(\"sessions_list\", {})[\"sessions\"]:\n"
    "        db.merge(Seat(key=entry[\"key\"], status=entry[\"status\"]))\n\n\n"
)

RULE = Rule(
    name="status-orm-write",
    summary="A status written by a SQLAlchemy `update(...)` / `insert(...)` statement's `.values(...)` (or a "
    "query's `.update({...})`) into a mapped class whose status is stored from session rows.",
    why="The rows are read back with the statuses the gateway sends: writers keep the old names while an "
    "old gateway's names are read, and switch once the window closes.",
    safety="Left alone in expand (noted as contract pending); rewritten in contract. Only a statement on a "
    "class known by its writers to hold session statuses; statements on other classes are left alone.",
    invalid=(
        Example(
            _MODEL + "def stop(db, key):\n    db.execute(update(Seat).where(Seat.key == key).values(status=\"killed\"))\n",
            None,
            _MODEL + "def stop(db, key):\n    db.execute(update(Seat).where(Seat.key == key).values(status=\"halted\"))\n",
        ),
        Example(
            _MODEL + "def stop(db, key):\n    db.execute(update(Seat).values({\"status\": \"failed\"}))\n",
            None,
            _MODEL + "def stop(db, key):\n    db.execute(update(Seat).values({\"status\": \"interrupted\"}))\n",
        ),
        # The legacy Query API's bulk update.
        Example(
            _MODEL + "def stop(db, key):\n    db.query(Seat).filter(Seat.key == key).update({Seat.status: \"killed\"})\n",
            None,
            _MODEL + "def stop(db, key):\n    db.query(Seat).filter(Seat.key == key).update({Seat.status: \"halted\"})\n",
        ),
    ),
    valid=(
        Example(
            "from sqlalchemy import update\n\n\n"
            "def fail(db, job_id):\n    db.execute(update(Job).where(Job.id == job_id).values(status=\"failed\"))\n"
        ),
    ),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    fields = facts.keys | facts.attributes
    for call, _ in facts.all_calls:
        model = orm.statement_model(call)
        func = call.func
        if model is None and isinstance(func, cst.Attribute) and func.attr.value == "update":
            model = orm.query_model(func.value)  # db.query(Seat).filter(...).update({"status": "failed"})
        if model is None:
            continue
        written: list[cst.BaseExpression] = [a.value for a in call.args if a.keyword is not None
                                             and a.keyword.value in fields]
        for arg in call.args:
            if (arg.keyword is None or arg.keyword.value == "values") and isinstance(arg.value, cst.Dict):
                # {"status": ...} or {Seat.status: ...}
                written += [e.value for e in arg.value.elements if isinstance(e, cst.DictElement) and (
                    string_value(e.key) in fields
                    or (isinstance(e.key, cst.Attribute) and e.key.attr.value in fields))]
        literals = [w for w in written if isinstance(w, cst.SimpleString) and string_value(w) in rw.vocab.old]
        if not literals:
            continue
        origin = resolver.class_origin(model)
        if origin is None or origin.kind != "session" or origin.strength != "strong":
            continue
        for literal in literals:
            assert isinstance(literal, cst.SimpleString)
            write(rw, facts, plan, literal, Verdict("certain", f"written into `{model}` rows, {origin.why}"), RULE.name)
