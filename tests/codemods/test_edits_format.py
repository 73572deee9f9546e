"""Formatting around expanded collections: comments stay once."""

from __future__ import annotations

from codemods.session_status import StatusRewriter
from migrator.manifest import load_manifest

MANIFEST = load_manifest()
BEFORE = '''rows = invoke("sessions_list")["sessions"]
DONE_LIKE = (
    "done",  # the agent answered
    # stopped by a user
    "killed",  # the user stopped it
)
for r in rows:
    if r["status"] in DONE_LIKE:
        pass
'''


def test_comments_are_not_copied_when_a_new_name_is_added() -> None:
    expanded = StatusRewriter(MANIFEST, "expand").rewrite(BEFORE.encode()).code.decode()
    assert expanded.count("# the agent answered") == 1
    assert expanded.count("# stopped by a user") == 1
    assert expanded.count("# the user stopped it") == 1
    assert '    "done",\n    "agent_responded",  # the agent answered\n' in expanded


def test_contract_after_expand_keeps_the_comments_where_contract_puts_them() -> None:
    contract = StatusRewriter(MANIFEST, "contract")
    expanded = StatusRewriter(MANIFEST, "expand").rewrite(BEFORE.encode()).code
    assert contract.rewrite(expanded).code == contract.rewrite(BEFORE.encode()).code


PARENS = '''rows = invoke("sessions_list")["sessions"]
for r in rows:
    if r["status"] == ("done"):
        pass
    if r["status"] != ('failed'):
        pass
'''


def test_a_parenthesised_literal_becomes_one_flat_tuple() -> None:
    expanded = StatusRewriter(MANIFEST, "expand").rewrite(PARENS.encode()).code.decode()
    assert '    if r["status"] in ("done", "agent_responded"):\n' in expanded
    assert "    if r[\"status\"] not in ('failed', 'interrupted'):\n" in expanded
    contract = StatusRewriter(MANIFEST, "contract")
    assert contract.rewrite(expanded.encode()).code == contract.rewrite(PARENS.encode()).code


TABLE = '''rows = invoke("sessions_list")["sessions"]
ACTIONS = {
    "done": lambda r: archive(r),
    "failed": alert,
}
for r in rows:
    ACTIONS[r["status"]](r)
'''


def test_a_table_value_that_is_an_expression_is_reviewed_on_its_own_line() -> None:
    result = StatusRewriter(MANIFEST, "expand").rewrite(TABLE.encode())
    by_old = {f.old: f for f in result.findings}
    assert (by_old["done"].line, by_old["done"].rewrite) == (3, False)
    assert "the value for `done` (`lambda r: archive(r)`) is an expression" in by_old["done"].why
    assert (by_old["failed"].line, by_old["failed"].rewrite) == (4, True)
    assert "expression" not in by_old["failed"].why
    assert '    "failed": alert,\n    "interrupted": alert,\n' in result.code.decode()
    assert '"agent_responded"' not in result.code.decode()
