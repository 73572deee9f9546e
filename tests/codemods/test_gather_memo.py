"""The tree's facts depend on the surveys alone: a warm run whose surveys
are those of the run before takes that run's facts from the memo and
gathers nothing; a changed module's survey gathers them again. The facts
come back from the memo's JSON equal to what was gathered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import main
from migrator.engines import python as engine
from tests.codemods.test_flow_across_modules import _tree


def test_a_warm_run_takes_the_facts_from_the_memo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path)
    monkeypatch.chdir(root)
    gathered: list[engine.TreeFacts] = []
    real = engine.PythonEngine._gather

    def counting(self: engine.PythonEngine, *args: object) -> engine.TreeFacts:
        facts = real(self, *args)  # type: ignore[arg-type]
        gathered.append(facts)
        return facts

    monkeypatch.setattr(engine.PythonEngine, "_gather", counting)
    runner = CliRunner()
    cold = runner.invoke(main, ["scan", ".", "-j", "1", "--show-why"])
    assert cold.exit_code == 1 and "5 findings: 3 to rewrite, 2 to review" in cold.output
    assert len(gathered) == 1
    facts = gathered[0]
    assert facts.exports and facts.passed and facts.talking  # facts worth keeping
    assert engine.TreeFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts

    warm = runner.invoke(main, ["scan", ".", "-j", "1", "--show-why"])
    assert (warm.exit_code, warm.output) == (cold.exit_code, cold.output)
    assert len(gathered) == 1  # nothing gathered again

    shift = root / "crew" / "shift.py"
    shift.write_text(shift.read_text("utf-8").replace("if row.crashed", "if row.crashed and row.key"), "utf-8")
    again = runner.invoke(main, ["scan", ".", "-j", "1", "--show-why"])
    assert len(gathered) == 2  # a survey changed: gathered again
    assert (again.exit_code, again.output) == (cold.exit_code, cold.output)
    nocache = runner.invoke(main, ["scan", ".", "-j", "1", "--show-why", "--no-cache"])
    assert len(gathered) == 3 and nocache.output == again.output


def test_a_damaged_memo_entry_is_gathered_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path)
    monkeypatch.chdir(root)
    runner = CliRunner()
    cold = runner.invoke(main, ["scan", ".", "-j", "1"])
    damaged = 0
    for entry in (root / ".migrator").rglob("memo/*/*.json"):
        held = json.loads(entry.read_bytes())
        if isinstance(held.get("value"), dict) and "m" in held["value"]:  # tagged facts: the gather's entry
            entry.write_text(json.dumps({"value": {"m": [["talking", 3]]}}), "utf-8")
            damaged += 1
    assert damaged >= 1
    warm = runner.invoke(main, ["scan", ".", "-j", "1"])
    assert (warm.exit_code, warm.output) == (cold.exit_code, cold.output)


WATCH = '''from . import gateway
from .settings import ENDED


def ended():
    return [r["key"] for r in gateway.list_sessions() if r["status"] in ENDED]
'''


def test_a_file_changed_in_one_of_two_folders_gathers_again(tmp_path: Path) -> None:
    """Two folders with the same files: the memo's key holds each file's own
    digest, so an edit in one folder that leaves its survey as it was still
    gathers the facts again, and the warm run says what a cold one says."""
    from tests.codemods.test_flow_across_modules import GATEWAY
    from tests.conftest import run_cli

    for svc in ("svc_a", "svc_b"):
        (tmp_path / svc).mkdir()
        files = {"__init__.py": "", "gateway.py": GATEWAY, "settings.py": 'ENDED = {"failed", "killed"}\n',
                 "watch.py": WATCH}
        for name, text in files.items():
            (tmp_path / svc / name).write_text(text, "utf-8")
    first = run_cli("scan", "svc_a", "svc_b", "-j", "1", cwd=tmp_path)
    assert "svc_a/settings.py" in first.stdout and "svc_b/settings.py" in first.stdout
    (tmp_path / "svc_a" / "watch.py").write_text(WATCH.replace('r["status"] in ENDED', "ENDED"), "utf-8")
    warm = run_cli("scan", "svc_a", "svc_b", "-j", "1", cwd=tmp_path)
    cold = run_cli("scan", "svc_a", "svc_b", "-j", "1", "--no-cache", cwd=tmp_path)
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout)
    assert first.stdout != cold.stdout  # svc_a's constant is no longer tested as a session status


def test_a_file_edited_while_the_facts_are_gathered_leaves_no_memo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The gathering reads some modules again from disk. An edit made after
    the survey and undone later must not leave facts of the edited bytes
    under the key of the surveyed ones."""
    from tests.codemods.test_flow_across_modules import GATEWAY

    root = tmp_path / "svc"
    root.mkdir()
    for name, text in {"__init__.py": "", "gateway.py": GATEWAY, "settings.py": 'ENDED = {"failed", "killed"}\n',
                       "watch.py": WATCH}.items():
        (root / name).write_text(text, "utf-8")
    watch = root / "watch.py"
    monkeypatch.chdir(tmp_path)
    real = engine.PythonEngine._gather

    def editing(self: engine.PythonEngine, *args: object) -> engine.TreeFacts:
        watch.write_text(WATCH.replace('r["status"] in ENDED', "ENDED"), "utf-8")  # after the survey
        return real(self, *args)  # type: ignore[arg-type]

    runner = CliRunner()
    monkeypatch.setattr(engine.PythonEngine, "_gather", editing)
    runner.invoke(main, ["scan", "svc", "-j", "1"])
    monkeypatch.setattr(engine.PythonEngine, "_gather", real)
    watch.write_text(WATCH, "utf-8")  # the surveyed bytes again
    warm = runner.invoke(main, ["scan", "svc", "-j", "1"])
    cold = runner.invoke(main, ["scan", "svc", "-j", "1", "--no-cache"])
    assert (warm.exit_code, warm.output) == (cold.exit_code, cold.output)
    assert "svc/settings.py:1:10: status-constant [certain, rewrite]" in cold.output


def test_a_warm_run_imports_no_parser(tmp_path: Path) -> None:
    """Facts from the memo, results from the cache: the run needs neither
    LibCST nor the provenance built on it (they cost more than the rest)."""
    from tests.conftest import REPO, run_cli

    root = _tree(tmp_path)
    first = run_cli("scan", ".", "-j", "1", cwd=root)
    assert first.returncode == 1
    code = ("import runpy, sys; sys.argv = ['migrator', 'scan', '.', '-j', '1']\n"
            "try:\n    runpy.run_module('migrator', run_name='__main__', alter_sys=True)\n"
            "except SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m == 'libcst' or m.startswith('codemods.provenance')))")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("CI", None)
    warm = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert warm.stdout.splitlines()[-1] == "[]", warm.stdout + warm.stderr
    assert warm.stdout.startswith(first.stdout)  # the same report
