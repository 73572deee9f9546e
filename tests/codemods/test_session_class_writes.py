"""Two causes of missed session statuses, each in one module.

A helper that returns one of two generators (`return archived(root)` or
`return live(root)`) is iterated as those generators are: its items are what
they yield. A plain class whose instances get their status set from a
session row (`seat.status = entry["status"]`, `seat = cache.get(key) or
Seat(key)`) carries session statuses, so its methods' tests of `self.status`
are session tests. The same shapes over `subagents/runs.json` outcomes and
over `sessions_send` replies stay another vocabulary's. The migrated modules
run here with old names, both, then new ones."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from codemods.session_status import StatusRewriter
from migrator.manifest import load_manifest

MANIFEST = load_manifest()

PICK = '''import json
from pathlib import Path


def live(root):
    for path in sorted(Path(root).glob("agents/*/sessions/sessions.json")):
        for key, entry in json.loads(path.read_text()).items():
            yield key, entry


def archived(root):
    for path in sorted(Path(root).glob("agents/*/sessions/archive/sessions.json")):
        for key, entry in json.loads(path.read_text()).items():
            yield key, entry


def runs(root):
    for path in sorted(Path(root).glob("agents/*/subagents/runs.json")):
        for key, run in json.loads(path.read_text()).items():
            yield key, run


def pick(root, old=False):
    if old:
        return archived(root)
    return live(root)


def finished_runs(root):
    return runs(root)


def answered(root):
    return sorted(key for key, entry in pick(root) if entry["status"] == "done")


def run_done(root):
    return sorted(key for key, run in finished_runs(root) if run["status"] == "done")
'''

SEATS = '''class Seat:
    def __init__(self, key):
        self.key = key
        self.status = None

    def stopped(self):
        return self.status == "killed"


class Reply:
    def __init__(self, key):
        self.key = key
        self.status = None

    def late(self):
        return self.status == "timeout"


CACHE = {}


def refresh(client):
    for entry in client.invoke("sessions_list", {})["sessions"]:
        seat = CACHE.get(entry["key"]) or Seat(entry["key"])
        seat.status = entry["status"]
        CACHE[seat.key] = seat
    return sorted(s.key for s in CACHE.values() if s.stopped())


def nudge(client, key):
    answer = client.invoke("sessions_send", {"sessionKey": key, "message": "ping"})
    reply = Reply(key)
    reply.status = answer["status"]
    return reply.late()
'''


def _rewrite(source: str, phase: str) -> str:
    return StatusRewriter(MANIFEST, phase).rewrite(source.encode()).code.decode()  # type: ignore[arg-type]


def _run(code: str, name: str, program: str, tmp_path: Path, *args: str) -> str:
    (tmp_path / f"{name}.py").write_text(code, "utf-8")
    ran = subprocess.run([sys.executable, "-c", program, str(tmp_path), *args], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.strip()


PICK_RUN = '''import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import pick
root = Path(sys.argv[1]) / "state"
for where, name in (("sessions/sessions.json", sys.argv[2]), ("subagents/runs.json", "done")):
    path = root / "agents" / "main" / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"a": {"status": name}, "b": {"status": "running"}}))
print(pick.answered(root), pick.run_done(root))
'''


def test_a_helper_returning_one_of_two_generators_gives_their_items(tmp_path: Path) -> None:
    expanded = PICK.replace('entry["status"] == "done"', 'entry["status"] in ("done", "agent_responded")')
    contracted = PICK.replace('entry["status"] == "done"', 'entry["status"] == "agent_responded"')
    assert _rewrite(PICK, "expand") == expanded
    assert _rewrite(PICK, "contract") == contracted
    assert _rewrite(expanded, "contract") == contracted
    # The subagent runs' outcome keeps its word in both phases (checked by the byte equality above).
    (tmp_path / "before").mkdir()
    assert _run(PICK, "pick", PICK_RUN, tmp_path / "before", "done") == "['a'] ['a']"
    (tmp_path / "expanded").mkdir()
    for name in ("done", "agent_responded"):
        assert _run(expanded, "pick", PICK_RUN, tmp_path / "expanded", name) == "['a'] ['a']"
    (tmp_path / "contracted").mkdir()
    assert _run(contracted, "pick", PICK_RUN, tmp_path / "contracted", "agent_responded") == "['a'] ['a']"


SEATS_RUN = '''import sys
sys.path.insert(0, sys.argv[1])
import seats
class Client:
    def invoke(self, tool, args):
        if tool == "sessions_list":
            return {"sessions": [{"key": "a", "status": sys.argv[2]}, {"key": "b", "status": "running"}]}
        return {"status": "timeout"}  # a sessions_send reply: its own word
print(seats.refresh(Client()), seats.nudge(Client(), "a"))
'''


def test_a_class_whose_instances_take_a_session_status_is_a_session_class(tmp_path: Path) -> None:
    expanded = SEATS.replace('return self.status == "killed"', 'return self.status in ("killed", "halted")')
    contracted = SEATS.replace('return self.status == "killed"', 'return self.status == "halted"')
    assert _rewrite(SEATS, "expand") == expanded
    assert _rewrite(SEATS, "contract") == contracted
    assert _rewrite(expanded, "contract") == contracted
    findings = StatusRewriter(MANIFEST, "expand").rewrite(SEATS.encode()).findings
    why = [f.why for f in findings if f.old == "killed"]
    assert why == ['compared with `self.status`, where `self` is a `Seat` whose `status` is set at line 25 from '
                   '`entry["status"]`, where `entry` iterates the `sessions` of a `sessions_list` result']
    # The reply's `timeout` is not even listed: the class holds `sessions_send` replies.
    assert [f.old for f in findings] == ["killed"]
    for folder, code, names in (("before", SEATS, ("killed",)), ("expanded", expanded, ("killed", "halted")),
                                ("contracted", contracted, ("halted",))):
        (tmp_path / folder).mkdir()
        for name in names:
            assert _run(code, "seats", SEATS_RUN, tmp_path / folder, name) == "['a'] True"
