"""A sessions store named by a setting, not by its file name: the path comes
from a configuration's key (`config["sessionsStorePath"]`, as a real session
keeper reads it, or OpenClaw's own `session.store`), and is decoded through
the project's `read_json` helper. The entries are session rows: the set
their status is tested against is rewritten. A name read as a status and
then used with a fallback (`st or "done"`) gives the fallback as a written
status. A jobs file named by another key, read the same way, stays."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import imported, run_cli, write_package

KEEPER = '''import json
from pathlib import Path

IDLE = {None, "", "done", "idle", "killed", "failed"}


def read_json(path, default=None):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return default


class Keeper:
    def __init__(self, config):
        self.config = config

    def _sessions(self):
        return read_json(Path(self.config["sessionsStorePath"]).expanduser(), {})

    def _is_idle(self, entry):
        return entry.get("status") in IDLE

    def idle_keys(self):
        return sorted(key for key, entry in self._sessions().items() if self._is_idle(entry))

    def effective(self, key):
        entry = self._sessions()[key]
        status = entry.get("status")
        return {"effectiveStatus": status or "done"}
'''

OPENCLAW_CONFIG = '''import json
from pathlib import Path


def entries(config_path):
    config = json.loads(Path(config_path).read_text())
    store = Path(config["session"]["store"])
    return json.loads(store.read_text())


def finished(config_path):
    return [key for key, entry in entries(config_path).items() if entry.get("status") == "done"]
'''

JOBS = '''import json
from pathlib import Path


def jobs(config):
    return json.loads(Path(config["jobsPath"]).read_text())


def finished(config):
    return [j["id"] for j in jobs(config) if j["status"] in ("done", "failed")]


def effective(job):
    status = job.get("status")
    return status or "done"
'''

KEEPER_EXPANDED = KEEPER.replace('{None, "", "done", "idle", "killed", "failed"}',
                                 '{None, "", "done", "agent_responded", "idle", "killed", "halted", "failed", "interrupted"}')
KEEPER_CONTRACTED = KEEPER.replace('{None, "", "done", "idle", "killed", "failed"}',
                                   '{None, "", "agent_responded", "idle", "halted", "interrupted"}').replace(
    'status or "done"', 'status or "agent_responded"')
CONFIG_EXPANDED = OPENCLAW_CONFIG.replace('entry.get("status") == "done"', 'entry.get("status") in ("done", "agent_responded")')
CONFIG_CONTRACTED = OPENCLAW_CONFIG.replace('entry.get("status") == "done"', 'entry.get("status") == "agent_responded"')


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    write_package(root, "keeper", {"keeper.py": KEEPER, "stores.py": OPENCLAW_CONFIG, "jobs.py": JOBS})
    return root


def test_scan_names_the_setting_in_the_why(tmp_path: Path) -> None:
    scan = run_cli("scan", ".", "--show-why", cwd=_tree(tmp_path))
    assert (scan.returncode, scan.stderr) == (1, "")
    lines = [line.split(" -> ")[0] for line in scan.stdout.splitlines() if line.startswith("keeper/")]
    assert lines == [
        "keeper/keeper.py:4:19: status-constant [certain, rewrite] 'done'",
        "keeper/keeper.py:4:35: status-constant [certain, rewrite] 'killed'",
        "keeper/keeper.py:4:45: status-constant [certain, rewrite] 'failed'",
        "keeper/stores.py:12:90: status-compare [certain, rewrite] 'done'",
        "keeper/keeper.py:30:46: status-default: `done` kept in expand (a written or single value),"
        " `agent_responded` in contract: contract pending",
    ]
    assert "a path from the `sessionsStorePath` setting" in scan.stdout
    assert "a path from the `session.store` setting" in scan.stdout
    assert "keeper/jobs.py" not in scan.stdout


def test_expand_and_contract_bytes_and_behaviour(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    store = tmp_path / "sessions.json"
    jobs_file = tmp_path / "jobs.json"
    jobs_file.write_text(json.dumps([{"id": "j1", "status": "done"}, {"id": "j2", "status": "running"}]), "utf-8")
    config_file = tmp_path / "openclaw.json"
    config_file.write_text(json.dumps({"session": {"store": str(store)}}), "utf-8")
    config = {"sessionsStorePath": str(store), "jobsPath": str(jobs_file)}
    phases = (
        ("expand", KEEPER_EXPANDED, CONFIG_EXPANDED, ("done", "agent_responded"), "done"),
        ("contract", KEEPER_CONTRACTED, CONFIG_CONTRACTED, ("agent_responded",), "agent_responded"),
    )
    for phase, keeper_text, config_text, speaks, fallback in phases:
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        assert (root / "keeper" / "keeper.py").read_text("utf-8") == keeper_text, phase
        assert (root / "keeper" / "stores.py").read_text("utf-8") == config_text, phase
        assert (root / "keeper" / "jobs.py").read_text("utf-8") == JOBS, phase
        with imported(root, "keeper"):
            from keeper import jobs, keeper, stores  # type: ignore[import-not-found]

            for status in speaks:
                store.write_text(json.dumps({"a": {"status": status}, "b": {"status": "running"}, "c": {}}), "utf-8")
                k = keeper.Keeper(config)
                assert k.idle_keys() == ["a", "c"], (phase, status)
                assert k.effective("c") == {"effectiveStatus": fallback}, phase
                assert stores.finished(config_file) == ["a"], (phase, status)
            assert jobs.finished(config) == ["j1"], phase
            assert jobs.effective({}) == "done", phase
