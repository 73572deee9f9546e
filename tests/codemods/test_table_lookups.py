"""A table of old keys looked up by a literal key (`TOPIC["failed"]`) as well
as by a session status (`TOPIC.get(row["status"])`). In its own module the
literal lookup is a use of the table, not a use of another vocabulary: expand
adds the new keys and keeps the lookup (the old key is still there), contract
renames the keys and the lookup together. A lookup by an old key in another
module is not renamed with it, so contract keeps the table for review there
instead of breaking that module with a KeyError."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import imported, run_cli, write_package

ROUTES = '''TOPIC = {"done": "s.done", "failed": "s.failed", "killed": "s.killed"}


def route(client):
    return [TOPIC.get(row["status"]) for row in client.invoke("sessions_list", {})["details"]["sessions"]]


def pager_topics():
    return [TOPIC["failed"], TOPIC.get("killed")]
'''

PAGER = '''from .routes import TOPIC


def topics():
    return [TOPIC["failed"], TOPIC["killed"]]
'''


class Client:
    def __init__(self, *statuses: str) -> None:
        self.statuses = statuses

    def invoke(self, tool: str, args: dict) -> dict:
        return {"details": {"sessions": [{"status": s} for s in self.statuses]}}


def _tree(tmp_path: Path, pager: bool) -> Path:
    root = tmp_path / ("two" if pager else "one")
    root.mkdir()
    write_package(root, "relay", {"routes.py": ROUTES, **({"pager.py": PAGER} if pager else {})})
    return root


def _run(root: Path, phase: str, *new: str) -> None:
    with imported(root, "relay"):
        from relay import routes  # type: ignore[import-not-found]

        assert routes.route(Client("failed", "done")) == ["s.failed", "s.done"] or phase == "contract"
        if new:
            assert routes.route(Client(*new)) == ["s.failed", "s.done"], phase
        assert routes.pager_topics() == ["s.failed", "s.killed"], phase
        if (root / "relay" / "pager.py").exists():
            from relay import pager  # type: ignore[import-not-found]

            assert pager.topics() == ["s.failed", "s.killed"], phase


EXPANDED = ROUTES.replace('{"done": "s.done", "failed": "s.failed", "killed": "s.killed"}',
                          '{"done": "s.done", "agent_responded": "s.done", "failed": "s.failed", '
                          '"interrupted": "s.failed", "killed": "s.killed", "halted": "s.killed"}')


def test_in_its_own_module_the_lookup_is_renamed_with_the_table(tmp_path: Path) -> None:
    root = _tree(tmp_path, pager=False)
    scan = run_cli("scan", ".", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "relay/routes.py:1:10: status-dispatch [certain, rewrite] 'done' -> 'agent_responded'",
        "relay/routes.py:1:28: status-dispatch [certain, rewrite] 'failed' -> 'interrupted'",
        "relay/routes.py:1:50: status-dispatch [certain, rewrite] 'killed' -> 'halted'",
        "relay/routes.py:9:19: status-constant: `failed` kept in expand (a written or single value), "
        "`interrupted` in contract: contract pending",
        "relay/routes.py:9:40: status-constant: `killed` kept in expand (a written or single value), "
        "`halted` in contract: contract pending",
        "2 files scanned, 3 findings: 3 to rewrite, 0 to review (expand phase)",
    ]
    contracted = ROUTES.replace('{"done": "s.done", "failed": "s.failed", "killed": "s.killed"}',
                                '{"agent_responded": "s.done", "interrupted": "s.failed", "halted": "s.killed"}'
                                ).replace('TOPIC["failed"], TOPIC.get("killed")', 'TOPIC["interrupted"], TOPIC.get("halted")')
    for phase, expected, new in (("expand", EXPANDED, ("interrupted", "agent_responded")),
                                 ("contract", contracted, ("interrupted", "agent_responded"))):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        assert (root / "relay" / "routes.py").read_text("utf-8") == expected, phase
        _run(root, phase, *new)


def test_a_lookup_by_an_old_key_in_another_module_keeps_the_table_in_contract(tmp_path: Path) -> None:
    root = _tree(tmp_path, pager=True)
    done = run_cli("apply", ".", "--write", "--phase", "expand", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "relay" / "routes.py").read_text("utf-8") == EXPANDED
    scan = run_cli("scan", ".", "--phase", "contract", "--show-why", cwd=root)
    assert scan.returncode == 1, scan.stderr
    assert "relay/routes.py:1:10: status-dispatch [certain, review] 'done' -> 'agent_responded'" in scan.stdout
    assert ("in relay/pager.py: `TOPIC[\"failed\"]` (line 5) looks up an old key, which contract would leave behind"
            in scan.stdout)
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    # Nothing renamed under the other module: the table keeps its old keys, the lookups their words.
    assert (root / "relay" / "routes.py").read_text("utf-8") == EXPANDED
    assert (root / "relay" / "pager.py").read_text("utf-8") == PAGER
    _run(root, "contract", "interrupted", "agent_responded")
