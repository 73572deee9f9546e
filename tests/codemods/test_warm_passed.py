"""A warm run answers as a cold one when a caller elsewhere changes what it
passes: `DEAD` is tested in `is_dead(row)`, which the gateway's rows reach;
once another module passes it `runs.json` records too, the constant is
shared and no longer rewritten, though `consts.py` and `checks.py` are
unchanged and their cached answers would say otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

FILES = {
    "crew/__init__.py": "",
    "crew/consts.py": 'DEAD = {"failed", "killed"}\n',
    "crew/checks.py": (
        "from .consts import DEAD\n\n\n"
        'def is_dead(row):\n    return row["status"] in DEAD\n\n\n'
        'def is_done(row):\n    return row["status"] == "done"\n'
    ),
    "crew/gateway.py": (
        "def list_sessions(client):\n"
        '    return client.invoke("sessions_list", {"limit": 50})["details"]["sessions"]\n'
    ),
    "crew/shift.py": (
        "from .checks import is_dead\nfrom .gateway import list_sessions\n\n\n"
        "def dead(client):\n    return [row for row in list_sessions(client) if is_dead(row)]\n"
    ),
}

RUNS = (
    "import json\nfrom pathlib import Path\n\nfrom .checks import is_dead\n\n\n"
    "def dead_runs(state):\n"
    '    runs = json.loads((Path(state) / "subagents" / "runs.json").read_text())\n'
    "    return [r for r in runs if is_dead(r)]\n"
)


def _constant(root: Path, *flags: str) -> list[tuple[str, str]]:
    done = run_cli("scan", ".", "--format", "json", "--min-confidence", "possible", *flags, cwd=root)
    return [(f["confidence"], f["action"]) for f in json.loads(done.stdout)["findings"] if f["path"] == "crew/consts.py"]


def test_a_warm_run_sees_what_a_changed_caller_passes(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.migrator]\n", "utf-8")
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, "utf-8")
    assert set(_constant(tmp_path)) == {("certain", "rewrite")}  # cold, and the cache filled
    (tmp_path / "crew" / "runs.py").write_text(RUNS, "utf-8")
    warm, cold = _constant(tmp_path), _constant(tmp_path, "--no-cache")
    assert warm == cold
    assert ("certain", "rewrite") not in cold


def test_a_warm_run_reads_the_parameter_readers_from_the_memo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Which functions read a status from a parameter depends on a module's
    bytes alone: a warm run takes it from the memo, and surveys only a
    module whose bytes changed."""
    from collections import Counter

    from click.testing import CliRunner

    from codemods.sites import Sites
    from migrator.cli import main

    (tmp_path / "pyproject.toml").write_text("[tool.migrator]\n", "utf-8")
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, "utf-8")
    monkeypatch.chdir(tmp_path)
    surveyed: Counter[bytes] = Counter()
    real = Sites.status_parameters

    def counting(self: Sites, source: bytes) -> set[str]:
        surveyed[source] += 1
        return real(self, source)

    monkeypatch.setattr(Sites, "status_parameters", counting)
    runner = CliRunner()
    cold = runner.invoke(main, ["scan", ".", "-j", "1"])
    checks = (tmp_path / "crew" / "checks.py").read_bytes()
    assert surveyed[checks] >= 1
    surveyed.clear()
    warm = runner.invoke(main, ["scan", ".", "-j", "1"])
    assert (warm.exit_code, warm.output) == (cold.exit_code, cold.output)
    assert checks not in surveyed
    (tmp_path / "crew" / "checks.py").write_bytes(checks + b"\n\ndef is_gone(row):\n    return row['status'] == 'killed'\n")
    again = runner.invoke(main, ["scan", ".", "-j", "1"])
    assert again.exit_code == 1
    assert surveyed[(tmp_path / "crew" / "checks.py").read_bytes()] >= 1
