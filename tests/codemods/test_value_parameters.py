"""A function whose parameter holds a session status whatever it is called
(``def rank(label): return RANK_BY_LABEL.get(label.strip().lower(), 0)``):
every call passes a status read of a session row (``row.get("status")``, or
a name bound from one), in its own module or from another, so its table's
keys are session statuses. What is passed is judged, not the name: the same
function given another field of the row (``row.get("errorKind")``), or the
status of an ``agents_wait`` child, leaves its table alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import apply_phase, write_package

GRADES = '''"""Numbers for the dashboard's sort order."""

RANK_BY_LABEL = RANKS
ERROR_RANK = {"timeout": 1, "refused": 2}
CHILD_RANK = {"done": 1, "failed": 2, "timeout": 3}


def rank(label):
    if not label:
        return 0
    return RANK_BY_LABEL.get(label.strip().lower(), 0)


def error_rank(label):
    return ERROR_RANK.get(label, 0)


def child_rank(label):
    return CHILD_RANK.get(label, 0)
'''

FEED = '''"""Rows of the gateway's sessions_list, sorted for the dashboard."""

import json
import urllib.request

from board.grades import error_rank, rank


def rows():
    body = json.dumps({"tool": "sessions_list", "args": {"limit": 100}}).encode()
    req = urllib.request.Request("http://127.0.0.1:18789/tools/invoke", data=body, method="POST")
    with urllib.request.urlopen(req) as resp:
        return json.load(resp)["result"]["details"]["sessions"]


def ordered():
    out = []
    for row in rows():
        label = row.get("status")
        out.append((rank(label), error_rank(row.get("errorKind")), row["key"]))
    return sorted(out)
'''

# The same words, of the children an agents_wait answer reports.
CHILDREN = '''"""Child runs, sorted the same way."""

import json
import urllib.request

from board.grades import child_rank


def children(ids):
    body = json.dumps({"tool": "agents_wait", "args": {"ids": ids}}).encode()
    req = urllib.request.Request("http://127.0.0.1:18789/tools/invoke", data=body, method="POST")
    with urllib.request.urlopen(req) as resp:
        answer = json.load(resp)["result"]["details"]
    return sorted(answer.get("completed", []), key=lambda c: child_rank(c.get("status")))
'''

# One module: the table, its function and the call, over `openclaw sessions --json`.
LOCAL = '''import json
import subprocess

LEVEL = LEVELS


def level(word):
    return LEVEL.get(word, 0)


def levels():
    out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True, check=True).stdout
    return [level(s.get("status")) for s in json.loads(out)["sessions"]]
'''


def _files(ranks: str, levels: str) -> dict[str, str]:
    return {"grades.py": GRADES.replace("RANKS", ranks), "feed.py": FEED, "children.py": CHILDREN,
            "local.py": LOCAL.replace("LEVELS", levels)}


BEFORE = _files('{"running": 1, "done": 2, "failed": 3, "killed": 4}', '{"done": 1, "timeout": 2}')
EXPAND = _files('{"running": 1, "done": 2, "agent_responded": 2, "failed": 3, "interrupted": 3, "killed": 4, "halted": 4}',
                '{"done": 1, "agent_responded": 1, "timeout": 2, "waiting_for_response": 2}')
CONTRACT = _files('{"running": 1, "agent_responded": 2, "interrupted": 3, "halted": 4}',
                  '{"agent_responded": 1, "waiting_for_response": 2}')


def _ranks(root: Path, labels: list[str]) -> list[int]:
    code = f"from board.grades import rank\nfor s in {labels!r}:\n    print(rank(s))\n"
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    return [int(n) for n in done.stdout.split()]


def test_expand_keys_both_names_where_every_call_passes_a_session_status(tmp_path: Path) -> None:
    package = write_package(tmp_path, "board", BEFORE)
    apply_phase(tmp_path, "expand", package, BEFORE, EXPAND)
    assert _ranks(tmp_path, ["failed", " Interrupted ", "killed", "halted", "running", None]) == [3, 3, 4, 4, 1, 0]


def test_contract_keys_only_the_new_names(tmp_path: Path) -> None:
    package = write_package(tmp_path, "board", BEFORE)
    apply_phase(tmp_path, "contract", package, BEFORE, CONTRACT)
    assert _ranks(tmp_path, ["agent_responded", "HALTED", "done"]) == [2, 4, 0]


def test_another_field_of_the_row_or_a_childs_status_keeps_its_table(tmp_path: Path) -> None:
    # Without the status calls, only the other vocabularies are left: nothing changes.
    files = {"grades.py": BEFORE["grades.py"], "children.py": CHILDREN,
             "feed.py": FEED.replace("rank(label), ", "")}
    files["feed.py"] = files["feed.py"].replace("error_rank, rank", "error_rank")
    package = write_package(tmp_path, "board", files)
    apply_phase(tmp_path, "contract", package, files, {})
