"""The content cache: an unchanged file is answered from the cache, a changed
one is analysed again; damage to the cache costs a re-analysis, never a wrong
answer. Proved by counting analyses and reading entries, never by timing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from migrator import load_options, run
from migrator.pipeline import PARALLEL_THRESHOLD, Run
from migrator.report import render_json

MONITOR = "orchestrator/monitor.py"


def _scan(root: Path, **kwargs: object) -> Run:
    return run(load_options([str(root)], cwd=root, jobs=1, **kwargs))  # type: ignore[arg-type]


def _entries(root: Path) -> list[Path]:
    return sorted((root / ".migrator" / "cache").glob("*/*.json"))


@pytest.fixture
def project(demo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(demo)
    return demo


def test_warm_run_analyses_nothing_and_reports_the_same(project: Path) -> None:
    cold = _scan(project)
    assert cold.files_parsed > 0
    assert (cold.cache_hits, cold.files_analysed) == (0, cold.files_parsed)
    assert len(_entries(project)) == cold.files_parsed
    warm = _scan(project)
    assert (warm.cache_hits, warm.files_analysed) == (cold.files_parsed, 0)
    assert render_json(warm) == render_json(cold)
    assert [r.updated for r in warm.results] == [r.updated for r in cold.results]


def test_a_changed_file_is_analysed_again_and_only_it(project: Path) -> None:
    cold = _scan(project)
    monitor = project / MONITOR
    monitor.write_text(monitor.read_text() + "\n# touched\n")
    warm = _scan(project)
    assert warm.files_analysed == 1
    assert warm.cache_hits == cold.files_parsed - 1
    assert len(_entries(project)) == cold.files_parsed + 1  # old entry unused, not wrong


@pytest.mark.parametrize("change", [{"phase": "contract"}, {"min_confidence": "possible"}])
def test_options_that_change_results_miss(project: Path, change: dict[str, str]) -> None:
    cold = _scan(project)
    other = _scan(project, **change)
    assert other.cache_hits == 0 and other.files_analysed == cold.files_parsed


def test_markers_from_config_miss(project: Path) -> None:
    cold = _scan(project)
    config = project / "pyproject.toml"
    config.write_text(config.read_text() + 'markers = ["my_gateway"]\n')
    assert _scan(project).files_analysed == cold.files_parsed


def test_tree_wide_facts_are_part_of_the_key(project: Path) -> None:
    cold = _scan(project)
    # A new module that talks to OpenClaw changes what imports of it prove.
    (project / "orchestrator" / "extra.py").write_text('client.invoke("sessions_list", {})\n')
    assert _scan(project).files_analysed == cold.files_parsed


def test_a_damaged_entry_is_ignored_and_replaced(project: Path) -> None:
    cold = _scan(project)
    entries = _entries(project)
    entries[0].write_bytes(b'{"format": 1, "key": "tr')  # torn write
    entries[-1].write_text(json.dumps({"format": 1, "key": entries[-1].stem, "findings": [{"bogus": 1}]}))
    warm = _scan(project)
    assert warm.files_analysed == 2
    assert render_json(warm) == render_json(cold)
    for entry in (entries[0], entries[-1]):
        assert json.loads(entry.read_text())["key"] == entry.stem
    assert _scan(project).files_analysed == 0


def test_an_entry_under_another_key_is_not_trusted(project: Path) -> None:
    _scan(project)
    first, second = _entries(project)[:2]
    shutil.copy(second, first)  # right shape, wrong file
    assert _scan(project).files_analysed == 1


def test_no_temp_files_are_left_behind(project: Path) -> None:
    _scan(project)
    leftovers = [p for p in (project / ".migrator").rglob("*") if ".tmp" in p.name]
    assert leftovers == []
    assert (project / ".migrator" / "cache" / ".gitignore").read_text().splitlines()[-1] == "*"
    # The whole of .migrator/ is ignored (the journal too), and private.
    assert (project / ".migrator" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (project / ".migrator").stat().st_mode & 0o777 == 0o700


def test_the_suite_never_copies_a_cache_with_a_fixture_tree() -> None:
    """The README's first command (`migrator scan fixtures/demo`) leaves
    fixtures/demo/.migrator/cache behind; a test copying the tree with it
    would answer from that cache instead of analysing."""
    import re

    tests = Path(__file__).resolve().parents[1]
    calls = [(p.name, call) for p in sorted(tests.rglob("*.py"))
             for call in re.findall(r"shutil\.copytree\([^\n]*", p.read_text("utf-8"))]
    assert calls
    assert [c for c in calls if not re.search(r'ignore_patterns\("\.migrator"', c[1])] == []


def test_config_and_flag_turn_the_cache_off(project: Path) -> None:
    assert _scan(project, use_cache=False).files_analysed > 0
    assert not (project / ".migrator" / "cache").exists()
    done = run_cli("scan", "--no-cache", ".", cwd=project)
    assert done.returncode == 1, done.stderr
    assert not (project / ".migrator" / "cache").exists()
    config = project / "pyproject.toml"
    config.write_text(config.read_text() + "cache = false\n")
    assert run_cli("scan", ".", cwd=project).returncode == 1
    assert not (project / ".migrator" / "cache").exists()


def test_cli_warm_run_prints_the_same_report(project: Path) -> None:
    cold = run_cli("scan", "--format", "json", ".", cwd=project)
    warm = run_cli("scan", "--format", "json", ".", cwd=project)
    assert _entries(project)
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout)
    diff_cold = run_cli("apply", "--no-cache", ".", cwd=project)
    diff_warm = run_cli("apply", ".", cwd=project)
    assert diff_warm.stdout == diff_cold.stdout and diff_warm.stdout.startswith("--- a/")


def test_parallel_workers_give_the_serial_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "many"
    shutil.copytree(FIXTURES / "demo", root, ignore=shutil.ignore_patterns(".migrator"))
    monitor = (root / MONITOR).read_text()
    for i in range(PARALLEL_THRESHOLD):
        (root / "orchestrator" / f"copy_{i}.py").write_text(monitor)
    monkeypatch.chdir(root)
    serial = run(load_options([str(root)], cwd=root, jobs=1, use_cache=False))
    parallel = run(load_options([str(root)], cwd=root, jobs=2, use_cache=False))
    assert parallel.files_analysed >= PARALLEL_THRESHOLD
    assert render_json(parallel) == render_json(serial)
    assert [(r.original, r.updated) for r in parallel.results] == [(r.original, r.updated) for r in serial.results]


def test_store_results_follow_their_gateway_version_not_the_cache(tmp_path: Path) -> None:
    """A store's verdict depends on openclaw.json, another file: never cached."""
    state = tmp_path / "state"
    shutil.copytree(FIXTURES / "state", state, ignore=shutil.ignore_patterns(".migrator"))
    (tmp_path / "pyproject.toml").write_text("[tool.migrator]\n")
    first = json.loads(run_cli("scan", "state", "--format", "json", cwd=tmp_path).stdout)
    assert {f["action"] for f in first["findings"]} == {"review"}
    config = state / "openclaw.json"
    config.write_text(config.read_text().replace('"2026.7.2"', '"2027.1.0"'))
    second = json.loads(run_cli("scan", "state", "--format", "json", cwd=tmp_path).stdout)
    assert {f["action"] for f in second["findings"]} == {"rewrite"}
