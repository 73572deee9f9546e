"""A background worker's own plumbing between session rows and the tests
made on them, as a new user writes it: a row's status handed to a job
through a queue or an executor (`queue.enqueue(nudge, key, row["status"])`),
constants of a settings module read through it (`settings.ENDED`), rows kept
as Redis hashes and read back (`r.hgetall(ROW.format(key=k))`) with a status
written there (`mapping={"status": "killed"}`), and a model's function tool
whose JSON-schema `enum` lists the statuses its handler compares with the
rows. Beside each, the same words of another vocabulary: the worker's own
jobs, a `sessions_send` reply, the jobs' hash, a tool over the jobs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

CLIENT = '''"""The gateway, over POST /tools/invoke."""

import json
import urllib.request

URL = "http://127.0.0.1:18789/tools/invoke"


def _post(payload):
    req = urllib.request.Request(URL, data=json.dumps(payload).encode(), headers={"content-type": "application/json"})
    with urllib.request.urlopen(req) as resp:
        return json.load(resp)["result"]["details"]


def sessions():
    return _post({"tool": "sessions_list", "args": {}})["sessions"]


def send(key, text):
    return _post({"tool": "sessions_send", "args": {"sessionKey": key, "message": text, "timeoutSeconds": 5}})
'''

SETTINGS = '''ENDED = ("done", "failed", "killed")
JOB_OVER = ("finished", "failed")
'''

CACHE = '''import redis

r = redis.Redis()
ROW = "beacon:session:{key}"
JOB = "beacon:job:{id}"


def keep(rows):
    pipe = r.pipeline()
    for row in rows:
        pipe.hset(ROW.format(key=row["key"]), mapping={"key": row["key"], "status": row["status"]})
    pipe.execute()


def stopped(key):
    r.hset(ROW.format(key=key), mapping={"status": "killed"})


def kept(key):
    return r.hgetall(ROW.format(key=key))


def job_gave_up(job_id):
    r.hset(JOB.format(id=job_id), mapping={"status": "failed"})


def job(job_id):
    return r.hgetall(JOB.format(id=job_id))
'''

WORK = '''from concurrent.futures import ThreadPoolExecutor

from . import cache, client, settings

pool = ThreadPoolExecutor(2)


class Inline:
    """A queue that runs its jobs at once (rq's enqueue, for a test)."""

    def enqueue(self, func, *args, **options):
        return func(*args)


queue = Inline()


def nudge(key, status):
    if status == "timeout":
        return "retry"
    return "report"


def after_send(key, status):
    return "again" if status == "timeout" else "fine"


def retry_job(job_id, state):
    return state == "failed"


def sweep():
    rows = client.sessions()
    cache.keep(rows)
    out = [queue.enqueue(nudge, row["key"], row["status"], job_timeout=30) for row in rows]
    replies = [pool.submit(after_send, row["key"], client.send(row["key"], "hi")["status"]) for row in rows]
    return out, [f.result() for f in replies]


def ended(key):
    return cache.kept(key).get("status") in settings.ENDED


def jobs_over(jobs):
    return [j["id"] for j in jobs if j["state"] in settings.JOB_OVER or queue.enqueue(retry_job, j["id"], j["state"])]
'''

TOOLS = '''import json

from . import client

STATUSES = ["running", "done", "failed", "timeout"]


def list_sessions(status=None):
    rows = client.sessions()
    return json.dumps([r["key"] for r in rows if status is None or r["status"] == status])


def list_jobs(state=None):
    with open("jobs.json") as fh:
        jobs = json.load(fh)
    return json.dumps([j["id"] for j in jobs if state is None or j["state"] == state])


TOOLS = [
    {"type": "function", "function": {"name": "list_sessions", "parameters": {
        "type": "object", "properties": {"status": {"type": "string", "enum": STATUSES}}}}},
    {"type": "function", "function": {"name": "jobs", "parameters": {
        "type": "object", "properties": {"state": {"type": "string", "enum": ["queued", "failed", "finished"]}}}}},
]
HANDLERS = {"list_sessions": list_sessions, "jobs": list_jobs}
'''

FILES = {"client.py": CLIENT, "settings.py": SETTINGS, "cache.py": CACHE, "work.py": WORK, "tools.py": TOOLS}
EXPANDED = {
    "settings.py": SETTINGS.replace('ENDED = ("done", "failed", "killed")',
                                    'ENDED = ("done", "agent_responded", "failed", "interrupted", "killed", "halted")'),
    "work.py": WORK.replace('    if status == "timeout":\n        return "retry"',
                            '    if status in ("timeout", "waiting_for_response"):\n        return "retry"'),
    "tools.py": TOOLS.replace('STATUSES = ["running", "done", "failed", "timeout"]',
                              'STATUSES = ["running", "done", "agent_responded", "failed", "interrupted", "timeout", '
                              '"waiting_for_response"]'),
}
CONTRACTED = {
    "settings.py": SETTINGS.replace('ENDED = ("done", "failed", "killed")',
                                    'ENDED = ("agent_responded", "interrupted", "halted")'),
    "cache.py": CACHE.replace('mapping={"status": "killed"}', 'mapping={"status": "halted"}'),
    "work.py": WORK.replace('    if status == "timeout":\n        return "retry"',
                            '    if status == "waiting_for_response":\n        return "retry"'),
    "tools.py": TOOLS.replace('STATUSES = ["running", "done", "failed", "timeout"]',
                              'STATUSES = ["running", "agent_responded", "interrupted", "waiting_for_response"]'),
}

# Runs the package with the gateway and Redis answered in-process: the rows
# say `names` (old -> as the gateway says it), the sessions_send replies
# and the worker's jobs always speak their own words.
BEHAVIOUR = '''
import json, sys
import types
sys.modules["redis"] = types.SimpleNamespace(Redis=lambda: None)
from beacon import cache, client, tools, work

class Hashes:
    def __init__(self):
        self.data = {}
    def hset(self, key, mapping):
        self.data.setdefault(key, {}).update(mapping)
    def hgetall(self, key):
        return dict(self.data.get(key, {}))
    def pipeline(self):
        return self
    def execute(self):
        pass

names = json.loads(sys.argv[1])
rows = [{"key": old, "status": names[old]} for old in ("done", "failed", "timeout", "killed")]
def post(payload):
    if payload["tool"] == "sessions_list":
        return {"sessions": rows}
    return {"status": "timeout" if payload["args"]["sessionKey"] == "timeout" else "ok"}
client._post = post
cache.r = Hashes()
out, replies = work.sweep()
cache.stopped("running-one")
cache.job_gave_up("j1")
with open("jobs.json", "w") as fh:
    json.dump([{"id": "j1", "state": "failed"}, {"id": "j2", "state": "finished"}], fh)
print(json.dumps([
    out, replies, [work.ended(r["key"]) for r in rows], work.ended("running-one"),
    work.jobs_over([{"id": "j1", "state": "failed"}, {"id": "j2", "state": "queued"}]),
    cache.job("j1"),
    {s: json.loads(tools.HANDLERS["list_sessions"](status=s)) for s in tools.STATUSES},
    {s: json.loads(tools.HANDLERS["jobs"](state=s)) for s in ["queued", "failed", "finished"]},
]))
'''


def _tree(root: Path) -> Path:
    return write_package(root, "beacon", FILES)


def _run(root: Path, names: dict[str, str]) -> list[object]:
    done = subprocess.run([sys.executable, "-c", BEHAVIOUR, json.dumps(names)], cwd=root, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)


OLD = {"done": "done", "failed": "failed", "timeout": "timeout", "killed": "killed"}
NEW = {"done": "agent_responded", "failed": "interrupted", "timeout": "waiting_for_response", "killed": "halted"}


def _by_status(answers: list[object], names: dict[str, str]) -> list[object]:
    """The answers with the tool's listing keyed by old name (the enum lists the names as the phase does)."""
    listed = answers[6]
    assert isinstance(listed, dict)
    back = {new: old for old, new in NEW.items()} if names is NEW else {}
    merged: dict[str, list[str]] = {}
    for status, keys in listed.items():
        merged.setdefault(back.get(status, status), []).extend(keys)
    return [*answers[:6], {k: sorted(v) for k, v in sorted(merged.items()) if v}, answers[7]]


def test_a_status_through_a_job_queue_settings_a_redis_hash_and_a_tool_enum(tmp_path: Path) -> None:
    package = _tree(tmp_path)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "beacon/settings.py:1:10: status-constant [certain, rewrite] 'done' -> 'agent_responded'",
        "beacon/settings.py:1:18: status-constant [certain, rewrite] 'failed' -> 'interrupted'",
        "beacon/settings.py:1:28: status-constant [certain, rewrite] 'killed' -> 'halted'",
        "beacon/tools.py:5:24: status-tool-enum [certain, rewrite] 'done' -> 'agent_responded'",
        "beacon/tools.py:5:32: status-tool-enum [certain, rewrite] 'failed' -> 'interrupted'",
        "beacon/tools.py:5:42: status-tool-enum [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "beacon/work.py:19:18: status-compare [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "to review (1):",
        # Nothing says where the jobs' hash gets its rows: a dict with a status key, never rewritten.
        "beacon/cache.py:24:54: status-writer [possible, review] 'failed' -> 'interrupted'",
        "beacon/cache.py:16:52: status-store-writer: `killed` kept in expand (a written or single value), "
        "`halted` in contract: contract pending",
        "6 files scanned, 8 findings: 7 to rewrite, 1 to review (expand phase)",
    ], scan.stdout
    why = run_cli("scan", ".", "--show-why", cwd=tmp_path).stdout
    assert "`status` of `nudge()` is passed, at line 35, `row[\"status\"]`" in why, why
    assert "what `pipe.hset()` stores under `ROW.format(key=row[\"key\"])` at line 11" in why, why
    before = _run(tmp_path, OLD)
    assert before == [
        ["report", "report", "retry", "report"], ["fine", "fine", "again", "fine"],
        [True, True, False, True], True, ["j1"], {"status": "failed"},
        {"running": [], "done": ["done"], "failed": ["failed"], "timeout": ["timeout"]},
        {"queued": [], "failed": ["j1"], "finished": ["j2"]},
    ]
    apply_phase(tmp_path, "expand", package, FILES, EXPANDED)
    assert _by_status(_run(tmp_path, OLD), OLD) == _by_status(before, OLD)
    assert _by_status(_run(tmp_path, NEW), NEW) == _by_status(before, OLD)
    apply_phase(tmp_path, "contract", package, FILES, CONTRACTED)
    after = _run(tmp_path, NEW)
    # The worker writes the new name where it stops a session and reads it back as ended;
    # the jobs' own words stay.
    assert after[:6] == before[:6]
    assert after[6:] == [{"running": [], "agent_responded": ["done"], "interrupted": ["failed"],
                          "waiting_for_response": ["timeout"]}, before[7]]


def test_contract_from_the_original_tree_gives_the_same_bytes(tmp_path: Path) -> None:
    package = _tree(tmp_path)
    apply_phase(tmp_path, "contract", package, FILES, CONTRACTED)


TASKS = '''import threading

from . import client


def check(key, status, strict=False):
    return status == "failed"


def later(key, status):
    return status == "timeout"


def threaded(key, status):
    return status == "killed"


def job_state(job_id, state):
    return state == "done"


def fan_out():
    for row in client.sessions():
        check.delay(row["key"], row["status"])
        later.apply_async((row["key"], row["status"]), countdown=60)
        threading.Thread(target=threaded, args=(row["key"],), kwargs={"status": row["status"]}).start()
        ask.delay(row["key"], row["status"])
    for job in load_jobs():
        job_state.delay(job["id"], job["state"])


def ask(key, status):
    # The key of a session row given to a function that calls sessions_send: its reply's words.
    reply = client.send(key, "where did you stop?")
    return reply["status"] == "timeout"
'''


def test_a_task_s_own_methods_and_a_thread_pass_what_they_are_given(tmp_path: Path) -> None:
    """celery's `task.delay(...)` and `task.apply_async((...), ...)`, and a
    thread's `target=` with `args=` and `kwargs=`, call the function with
    those arguments; a job's own state handed the same way stays, and so
    does a `sessions_send` reply got with a session's key."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "fan"\n', "utf-8")
    (tmp_path / "fan").mkdir()
    (tmp_path / "fan" / "__init__.py").write_text("", "utf-8")
    (tmp_path / "fan" / "client.py").write_text(CLIENT, "utf-8")
    (tmp_path / "fan" / "tasks.py").write_text(TASKS, "utf-8")
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.stdout.splitlines() == [
        "fan/tasks.py:7:22: status-compare [certain, rewrite] 'failed' -> 'interrupted'",
        "fan/tasks.py:11:22: status-compare [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "fan/tasks.py:15:22: status-compare [certain, rewrite] 'killed' -> 'halted'",
        "3 files scanned, 3 findings: 3 to rewrite, 0 to review (expand phase)",
    ], scan.stdout
    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    head, tail = TASKS.split("def ask", 1)
    assert (tmp_path / "fan" / "tasks.py").read_text("utf-8") == head.replace(
        '"failed"', '"interrupted"').replace('"timeout"', '"waiting_for_response"').replace(
        '"killed"', '"halted"') + "def ask" + tail


JOBS = '''def nudge(key, status):
    return "retry" if status == "timeout" else "none"


def settle(job_id, state):
    return "drop" if state == "failed" else "keep"
'''

POLL = '''import json

from rq import Queue

from . import jobs
from .jobs import settle

q = Queue()


def poll():
    for row in json.load(open("agents/main/sessions/sessions.json")).values():
        q.enqueue(jobs.nudge, row["key"], row["status"])
    for job in json.load(open("queue/jobs.json")):
        q.enqueue(settle, job["id"], job["state"])
'''


def test_a_job_enqueued_in_another_module_learns_what_it_is_given(tmp_path: Path) -> None:
    """The job functions live in one module, the poll that enqueues them in
    another (`q.enqueue(jobs.nudge, key, row["status"])`): the parameter
    that says it holds a status takes what the enqueuing module passes; the
    job handed its own state stays."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "rqapp"\n', "utf-8")
    (tmp_path / "rqapp").mkdir()
    (tmp_path / "rqapp" / "__init__.py").write_text("", "utf-8")
    (tmp_path / "rqapp" / "jobs.py").write_text(JOBS, "utf-8")
    (tmp_path / "rqapp" / "poll.py").write_text(POLL, "utf-8")
    scan = run_cli("scan", ".", "--show-why", cwd=tmp_path)
    assert scan.stdout.splitlines() == [
        "rqapp/jobs.py:2:33: status-compare [certain, rewrite] 'timeout' -> 'waiting_for_response': compared with "
        "`status`, where `status` of `nudge()` is passed, at rqapp/poll.py:13, `row[\"status\"]`, `row` iterates "
        "decoded from a path naming `sessions.json`",
        "3 files scanned, 1 finding: 1 to rewrite, 0 to review (expand phase)",
    ], scan.stdout
    done = run_cli("apply", ".", "--write", "--phase", "expand", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    expanded = JOBS.replace('status == "timeout"', 'status in ("timeout", "waiting_for_response")')
    assert (tmp_path / "rqapp" / "jobs.py").read_text("utf-8") == expanded
    assert (tmp_path / "rqapp" / "poll.py").read_text("utf-8") == POLL
    namespace: dict[str, object] = {}
    exec(compile(expanded, "jobs.py", "exec"), namespace)
    nudge, settle = namespace["nudge"], namespace["settle"]
    assert callable(nudge) and callable(settle)
    assert [nudge("k", s) for s in ("timeout", "waiting_for_response", "done")] == ["retry", "retry", "none"]
    assert [settle("j", s) for s in ("failed", "interrupted")] == ["drop", "keep"]
    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "rqapp" / "jobs.py").read_text("utf-8") == JOBS.replace('"timeout"', '"waiting_for_response"')


KV = '''import json
import subprocess

import redis

r = redis.Redis()


def refresh():
    out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True).stdout
    for row in json.loads(out)["sessions"]:
        r.set(f"oc:{row['key']}", json.dumps(row))
    with open("subagents/runs.json") as fh:
        for run_id, run in json.load(fh)["runs"].items():
            r.set(f"run:{run_id}", json.dumps(run["outcome"]))


def is_over(key):
    row = json.loads(r.get(f"oc:{key}") or "{}")
    return row.get("status") in ("done", "failed")


def run_over(run_id):
    entry = json.loads(r.get(f"run:{run_id}") or "{}")
    return entry.get("status") in ("done", "failed")
'''


def test_rows_kept_as_json_strings_are_read_back_as_session_rows(tmp_path: Path) -> None:
    """`r.set(f"oc:{row['key']}", json.dumps(row))` of `openclaw sessions`
    rows, then `json.loads(r.get(f"oc:{key}"))`: the same key of the same
    store. Subagent run outcomes kept under another key speak their own
    words, in a module that talks to OpenClaw all the same."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "kv"\n', "utf-8")
    (tmp_path / "kv.py").write_text(KV, "utf-8")
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.stdout.splitlines() == [
        "kv.py:20:34: status-membership [certain, rewrite] 'done' -> 'agent_responded'",
        "kv.py:20:42: status-membership [certain, rewrite] 'failed' -> 'interrupted'",
        "1 file scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)",
    ], scan.stdout
    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    head, tail = KV.split("def run_over", 1)
    assert (tmp_path / "kv.py").read_text("utf-8") == head.replace(
        '("done", "failed")', '("agent_responded", "interrupted")') + "def run_over" + tail


TABLE = '''import json


def retry(key, status):
    return status == "timeout"


def archive(key, status):
    return status in ("done", "killed")


def job_retry(job_id, state):
    return state == "failed"


ACTIONS = {"retry": retry, "archive": archive}
JOB_ACTIONS = {"retry": job_retry}


def run(kind):
    for row in json.load(open("agents/main/sessions/sessions.json")).values():
        ACTIONS[kind](row["key"], row["status"])
    for job in json.load(open("queue/jobs.json")):
        act = JOB_ACTIONS.get(kind)
        act(job["id"], job["state"])
'''


def test_a_call_through_a_table_of_functions_is_a_call_of_each(tmp_path: Path) -> None:
    """`ACTIONS[kind](key, row["status"])` calls whichever function the
    table holds: each learns what it is given; the jobs' table, looked up
    into a name first, passes a job's own state."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "tbl"\n', "utf-8")
    (tmp_path / "tbl.py").write_text(TABLE, "utf-8")
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.stdout.splitlines() == [
        "tbl.py:5:22: status-compare [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "tbl.py:9:23: status-membership [certain, rewrite] 'done' -> 'agent_responded'",
        "tbl.py:9:31: status-membership [certain, rewrite] 'killed' -> 'halted'",
        "1 file scanned, 3 findings: 3 to rewrite, 0 to review (expand phase)",
    ], scan.stdout
    done = run_cli("apply", ".", "--write", "--phase", "expand", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    expanded = TABLE.replace('status == "timeout"', 'status in ("timeout", "waiting_for_response")').replace(
        '("done", "killed")', '("done", "agent_responded", "killed", "halted")')
    assert (tmp_path / "tbl.py").read_text("utf-8") == expanded
    namespace: dict[str, object] = {}
    exec(compile(expanded, "tbl.py", "exec"), namespace)
    actions, jobs = namespace["ACTIONS"], namespace["JOB_ACTIONS"]
    assert isinstance(actions, dict) and isinstance(jobs, dict)
    assert [actions["retry"]("k", s) for s in ("timeout", "waiting_for_response", "done")] == [True, True, False]
    assert [actions["archive"]("k", s) for s in ("done", "agent_responded", "halted", "failed")] == [
        True, True, True, False]
    assert [jobs["retry"]("j", s) for s in ("failed", "interrupted")] == [True, False]
    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "tbl.py").read_text("utf-8") == TABLE.replace('"timeout"', '"waiting_for_response"').replace(
        '("done", "killed")', '("agent_responded", "halted")')


HANDLERS = '''import json

import requests


def list_sessions(status=None):
    body = requests.post("http://127.0.0.1:18789/tools/invoke", json={"tool": "sessions_list", "args": {}}).json()
    rows = body["result"]["details"]["sessions"]
    return json.dumps([r["key"] for r in rows if status is None or r["status"] == status])


def list_batches(status=None):
    return json.dumps([b.id for b in client.batches.list() if status is None or b.status == status])
'''

SCHEMA = '''from .handlers import list_batches, list_sessions

TOOLS = [
    {"name": "list_sessions", "input_schema": {"type": "object", "properties": {
        "status": {"type": "string", "enum": ["running", "done", "failed"]}}}},
    {"name": "list_batches", "input_schema": {"type": "object", "properties": {
        "status": {"type": "string", "enum": ["completed", "failed", "expired"]}}}},
]
HANDLERS = {"list_sessions": list_sessions, "list_batches": list_batches}
'''


def test_a_tool_s_handler_in_another_module_speaks_for_its_enum(tmp_path: Path) -> None:
    """Anthropic's `input_schema`, the handlers imported from their own
    module: the enum of the tool whose handler compares a session row's
    status changes; the batch tool's (OpenAI Batch states) stays."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "bot"\n', "utf-8")
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "__init__.py").write_text("", "utf-8")
    (tmp_path / "bot" / "handlers.py").write_text(HANDLERS, "utf-8")
    (tmp_path / "bot" / "schema.py").write_text(SCHEMA, "utf-8")
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.stdout.splitlines() == [
        "bot/schema.py:5:58: status-tool-enum [certain, rewrite] 'done' -> 'agent_responded'",
        "bot/schema.py:5:66: status-tool-enum [certain, rewrite] 'failed' -> 'interrupted'",
        "3 files scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)",
    ], scan.stdout
    for phase, enum in (("expand", '["running", "done", "agent_responded", "failed", "interrupted"]'),
                        ("contract", '["running", "agent_responded", "interrupted"]')):
        done = run_cli("apply", ".", "--write", "--phase", phase, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "bot" / "schema.py").read_text("utf-8") == SCHEMA.replace(
            '["running", "done", "failed"]', enum), phase
        assert (tmp_path / "bot" / "handlers.py").read_text("utf-8") == HANDLERS


ARRAY = '''import json


def list_sessions(statuses=None):
    rows = client.invoke("sessions_list", {})["details"]["sessions"]
    return json.dumps([r["key"] for r in rows if not statuses or r["status"] in statuses])


def list_jobs(states=None):
    with open("jobs.json") as fh:
        return json.dumps([j["id"] for j in json.load(fh) if not states or j["state"] in states])


TOOLS = [
    {"type": "function", "function": {"name": "list_sessions", "parameters": {"type": "object", "properties": {
        "statuses": {"type": "array", "items": {"type": "string", "enum": ["running", "failed", "timeout"]}}}}}},
    {"type": "function", "function": {"name": "list_jobs", "parameters": {"type": "object", "properties": {
        "states": {"type": "array", "items": {"type": "string", "enum": ["queued", "failed"]}}}}}},
]
'''


def test_the_enum_of_an_array_parameter_tested_as_a_collection(tmp_path: Path) -> None:
    """An array parameter's `items.enum`, whose handler tests the rows'
    status in it (`r["status"] in statuses`); the jobs' tool stays."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "arr"\n', "utf-8")
    (tmp_path / "arr.py").write_text(ARRAY, "utf-8")
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.stdout.splitlines() == [
        "arr.py:16:87: status-tool-enum [certain, rewrite] 'failed' -> 'interrupted'",
        "arr.py:16:97: status-tool-enum [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "1 file scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)",
    ], scan.stdout
    for phase, enum in (("expand", '["running", "failed", "interrupted", "timeout", "waiting_for_response"]'),
                        ("contract", '["running", "interrupted", "waiting_for_response"]')):
        done = run_cli("apply", ".", "--write", "--phase", phase, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "arr.py").read_text("utf-8") == ARRAY.replace('["running", "failed", "timeout"]', enum)
