"""``apply --write`` of a JSONL export in one pass: the plan writes the new
content beside the file, the write journals the original and renames the
staged file in. Byte for byte on the export shape of bench/bench_data.py
(nested decoy statuses, default-spaced lines, floats like ``1.0``,
non-ASCII text, a truncated last line), with the stale guard, crash safety
and rollback of the streamed write kept."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path

from conftest import REPO, run_cli

from migrator.journal import CRASH_ENV

TARGET = "exports/sessions.jsonl"
CONFIG = '[tool.migrator]\n[[tool.migrator.data]]\npaths = ["exports/*.jsonl"]\npointers = ["/status"]\n'


def _bench() -> object:
    spec = importlib.util.spec_from_file_location("bench_data", REPO / "bench" / "bench_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_data"] = module
    spec.loader.exec_module(module)
    return module


def _project(tmp: Path, records: int) -> tuple[Path, bytes, bytes]:
    """A project holding the bench's export of ``records`` records: the
    project, the export's bytes and the bytes expected after the rename."""
    project = tmp / "project"
    (project / "exports").mkdir(parents=True)
    (project / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    _, expected = _bench().make_export(project / TARGET, records)  # type: ignore[attr-defined]
    return project, (project / TARGET).read_bytes(), expected


def _temps(project: Path) -> list[str]:
    return sorted(p.name for p in (project / "exports").iterdir() if p.name != "sessions.jsonl")


def _ledger(project: Path) -> list[dict[str, object]]:
    [run] = [p for p in (project / ".migrator" / "journal").iterdir() if p.name != "blobs"]
    return [json.loads(line) for line in (run / "ledger.jsonl").read_text("utf-8").splitlines()]


def test_export_written_in_one_pass_byte_for_byte_then_rolled_back(tmp_path: Path) -> None:
    project, original, expected = _project(tmp_path, 3000)
    assert original.count(b'"status"') == 3 * 3000 + 1  # every record holds two nested decoys
    done = run_cli("apply", "--write", "--phase", "contract", "--no-cache", ".", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "rewrote exports/sessions.jsonl" in done.stderr
    new = (project / TARGET).read_bytes()
    assert new == expected  # only the top-level values: decoys and the truncated line as written
    assert new.endswith(b'{"key": "agent:main:subagent:tail", "status": "done", "last": {"kind": "to')
    assert _temps(project) == []  # the staged file was renamed in
    [intend] = [e for e in _ledger(project) if e["op"] == "intend"]
    assert intend["kind"] == "jsonl"
    assert intend["before"] == hashlib.sha256(original).hexdigest()
    assert intend["after"] == hashlib.sha256(expected).hexdigest()
    back = run_cli("rollback", ".", cwd=project)
    assert back.returncode == 0, back.stderr
    assert (project / TARGET).read_bytes() == original


def test_a_duplicate_inside_a_decoy_does_not_stop_the_rename(tmp_path: Path) -> None:
    # A duplicate key in a nested decoy (or of another top-level key) is not
    # on /status's path: the top-level value is renamed, every other byte of
    # the line kept, early in the file (line by line) and late (whole blocks).
    project, original, expected = _project(tmp_path, 3000)
    lines, want = original.split(b"\n"), expected.split(b"\n")
    odd = b'{"key":"odd%d","status":"failed","n":1,"n":2,"last":{"kind":"tool","status":"done","status":"killed"}}'
    for at in (3, 2700):
        lines[at], want[at] = odd % at, (odd % at).replace(b'"status":"failed"', b'"status":"interrupted"')
    (project / TARGET).write_bytes(b"\n".join(lines))
    done = run_cli("apply", "--write", "--phase", "contract", "--no-cache", ".", cwd=project)
    assert done.returncode == 0, done.stderr
    assert (project / TARGET).read_bytes() == b"\n".join(want)
    back = run_cli("rollback", ".", cwd=project)
    assert back.returncode == 0, back.stderr
    assert (project / TARGET).read_bytes() == b"\n".join(lines)


def test_dry_run_stages_nothing(tmp_path: Path) -> None:
    project, original, _ = _project(tmp_path, 50)
    shown = run_cli("apply", "--phase", "contract", "--no-cache", ".", cwd=project)
    assert shown.returncode == 0, shown.stderr
    assert (project / TARGET).read_bytes() == original
    assert _temps(project) == []


def test_file_changed_between_plan_and_write_is_kept_and_its_staged_copy_removed(tmp_path: Path) -> None:
    import dataclasses

    from migrator import pipeline
    from migrator.config import load_options
    from migrator.write import write

    project, original, _ = _project(tmp_path, 200)
    options = dataclasses.replace(load_options([str(project)], cwd=project, phase="contract", use_cache=False),
                                  stage=True)
    planned = pipeline.run(options)
    [result] = planned.changed
    assert result.plan is not None and _temps(project) != []  # staged while planned
    edited = original.replace(b'"status":"done"', b'"status":"queued"', 1)
    assert edited != original
    (project / TARGET).write_bytes(edited)
    outcome = write(planned)
    assert outcome.stale == [result.display] and not outcome.written
    assert (project / TARGET).read_bytes() == edited
    assert _temps(project) == []


def test_without_a_staged_copy_the_write_streams_from_the_journal(tmp_path: Path) -> None:
    from migrator import pipeline
    from migrator.config import load_options
    from migrator.write import write

    project, _, expected = _project(tmp_path, 200)
    planned = pipeline.run(load_options([str(project)], cwd=project, phase="contract", use_cache=False))
    assert _temps(project) == []  # a plan not made for --write stages nothing
    outcome = write(planned)
    assert len(outcome.written) == 1 and not outcome.failed
    assert (project / TARGET).read_bytes() == expected


def test_killed_at_every_step_the_export_is_old_or_new_and_recovers(tmp_path: Path) -> None:
    project, original, expected = _project(tmp_path, 300)
    step = 1
    while True:
        work = tmp_path / f"crash{step}"
        (work / "exports").mkdir(parents=True)
        (work / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
        (work / TARGET).write_bytes(original)
        killed = run_cli("apply", "--write", "--phase", "contract", "--no-cache", ".", cwd=work,
                         env={CRASH_ENV: str(step)})
        if killed.returncode == 0:
            break  # fewer steps than this: every point was covered
        assert killed.returncode == -9, killed.stderr
        assert (work / TARGET).read_bytes() in (original, expected)
        if step % 2:
            again = run_cli("apply", "--write", "--phase", "contract", "--no-cache", ".", cwd=work)
            assert again.returncode == 0, again.stderr
            assert (work / TARGET).read_bytes() == expected
            assert _temps(work) == []  # the staged file of the killed run was swept
        else:
            back = run_cli("rollback", ".", cwd=work)
            assert back.returncode in (0, 2), back.stderr
            assert "Traceback" not in back.stderr
            assert (work / TARGET).read_bytes() == original
        step += 1
    assert step > 3
