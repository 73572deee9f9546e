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
