"""Two ways a session status reaches a test without being named there.

A row copied into a new dict (``{"agent": name, **entry}``) is still that
row: its status is the entry's. And a Click command's parameter holds what
its option declares: ``type=click.Choice(WATCH)`` and ``default=`` are the
collection a helper later tests a row's status against, joined over every
command that calls that helper, across modules. The same shapes over
subagent runs (their ``outcome``) are another vocabulary and never change."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

WORDS = '''"""Words the commands share."""

WATCH = ("done", "killed")
PROBLEMS = ["failed", "timeout"]
# A subagent run's `outcome.status`.
RESULTS = ("ok", "error", "timeout")
'''

STORE = '''import json
from pathlib import Path


def entries(home):
    """Every sessions.json entry, with the agent that holds it."""
    for agent in sorted(Path(home, "agents").iterdir()):
        path = agent / "sessions" / "sessions.json"
        if path.is_file():
            for key, entry in json.loads(path.read_text(encoding="utf-8")).items():
                yield {"agent": agent.name, "id": key, **entry}


def runs(home):
    data = json.loads((Path(home) / "subagents" / "runs.json").read_text(encoding="utf-8"))
    return [{"id": rid, **run.get("outcome", {})} for rid, run in data["runs"].items()]
'''

MAIN = '''import click

from lanes import store
from lanes.words import PROBLEMS, RESULTS, WATCH


def pick(home, wanted):
    return [e["id"] for e in store.entries(home) if e.get("status") in wanted]


def results(home, wanted):
    return [r["id"] for r in store.runs(home) if r.get("status") in wanted]


@click.group()
def cli():
    pass


@cli.command()
@click.option("--home", required=True)
@click.option("--state", "states", multiple=True, type=click.Choice(WATCH))
def show(home, states):
    click.echo(" ".join(pick(home, states)))


@cli.command()
@click.option("--home", required=True)
def problems(home):
    click.echo(" ".join(pick(home, PROBLEMS)))


@cli.command()
@click.option("--home", required=True)
@click.option("--result", multiple=True, type=click.Choice(RESULTS), default=("timeout",))
def slow(home, result):
    click.echo(" ".join(results(home, result)))


if __name__ == "__main__":
    cli()
'''

# One entry per old and new name, so a test that accepts both shows both.
ENTRIES = {
    "a": "done", "b": "agent_responded", "c": "killed", "d": "halted",
    "e": "failed", "f": "interrupted", "g": "timeout", "h": "waiting_for_response",
}


def _project(root: Path) -> None:
    (root / "lanes").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "lanes"\nversion = "0"\n', "utf-8")
    (root / "lanes" / "__init__.py").write_text("", "utf-8")
    (root / "lanes" / "words.py").write_text(WORDS, "utf-8")
    (root / "lanes" / "store.py").write_text(STORE, "utf-8")
    (root / "lanes" / "main.py").write_text(MAIN, "utf-8")


def _home(root: Path) -> Path:
    """A state directory beside the project (the migrator is run on the code alone)."""
    home = root.parent / "home"
    (home / "agents" / "main" / "sessions").mkdir(parents=True)
    (home / "agents" / "main" / "sessions" / "sessions.json").write_text(
        json.dumps({k: {"status": v} for k, v in ENTRIES.items()}), "utf-8")
    (home / "subagents").mkdir()
    (home / "subagents" / "runs.json").write_text(json.dumps({"runs": {
        "r1": {"outcome": {"status": "timeout"}}, "r2": {"outcome": {"status": "ok"}},
        "r3": {"outcome": {"status": "waiting_for_response"}},
    }}), "utf-8")
    return home


def _lanes(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lanes.main", *args, "--home", str(root.parent / "home")],
                          cwd=root, capture_output=True, text=True, timeout=60)


def test_choices_of_a_click_option_and_a_copied_row(tmp_path: Path) -> None:
    tmp_path = tmp_path / "project"
    _project(tmp_path)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "lanes/words.py:3:10: status-constant [certain, rewrite] 'done' -> 'agent_responded'",
        "lanes/words.py:3:18: status-constant [certain, rewrite] 'killed' -> 'halted'",
        "lanes/words.py:4:13: status-constant [certain, rewrite] 'failed' -> 'interrupted'",
        "lanes/words.py:4:23: status-constant [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "4 files scanned, 4 findings: 4 to rewrite, 0 to review (expand phase)",
    ]
    explained = run_cli("scan", ".", "--format", "json", cwd=tmp_path)
    whys = [f["why"] for f in json.loads(explained.stdout)["findings"] if f["line"] == 3]
    assert "the choices of `--state`" in whys[0] and "sessions.json" in whys[0], whys[0]

    done = run_cli("apply", ".", "--write", "--phase", "expand", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "lanes" / "words.py").read_text("utf-8") == WORDS.replace(
        '("done", "killed")', '("done", "agent_responded", "killed", "halted")').replace(
        '["failed", "timeout"]', '["failed", "interrupted", "timeout", "waiting_for_response"]')
    assert (tmp_path / "lanes" / "main.py").read_text("utf-8") == MAIN
    assert (tmp_path / "lanes" / "store.py").read_text("utf-8") == STORE
    _home(tmp_path)
    # Expanded: an old name still selects, and the new names a gateway writes are selected too.
    assert _lanes(tmp_path, "show", "--state", "done").stdout.split() == ["a"]
    assert _lanes(tmp_path, "show", "--state", "agent_responded", "--state", "killed").stdout.split() == ["b", "c"]
    assert _lanes(tmp_path, "problems").stdout.split() == ["e", "f", "g", "h"]
    # The runs' own vocabulary behaves as before: `timeout` is a run outcome there.
    assert _lanes(tmp_path, "slow").stdout.split() == ["r1"]
    assert _lanes(tmp_path, "slow", "--result", "waiting_for_response").returncode == 2

    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "lanes" / "words.py").read_text("utf-8") == WORDS.replace(
        '("done", "killed")', '("agent_responded", "halted")').replace(
        '["failed", "timeout"]', '["interrupted", "waiting_for_response"]')
    assert (tmp_path / "lanes" / "main.py").read_text("utf-8") == MAIN
    assert _lanes(tmp_path, "show", "--state", "halted").stdout.split() == ["d"]
    assert _lanes(tmp_path, "problems").stdout.split() == ["f", "h"]
    assert _lanes(tmp_path, "slow").stdout.split() == ["r1"]
    assert run_cli("scan", ".", "--phase", "contract", cwd=tmp_path).returncode == 0


def test_the_same_shapes_over_subagent_runs_change_nothing(tmp_path: Path) -> None:
    """Choices of an option tested against a copied run outcome only: another
    vocabulary's words, however close to the session ones."""
    _project(tmp_path)
    main = MAIN.replace("from lanes.words import PROBLEMS, RESULTS, WATCH", "from lanes.words import RESULTS, WATCH")
    main = main.replace("store.entries(home) if e.get", "store.runs(home) if e.get")
    main = main.replace('''@cli.command()
@click.option("--home", required=True)
def problems(home):
    click.echo(" ".join(pick(home, PROBLEMS)))


''', "")
    (tmp_path / "lanes" / "main.py").write_text(main, "utf-8")
    scan = run_cli("scan", ".", "--min-confidence", "possible", cwd=tmp_path)
    assert (scan.returncode, scan.stdout.splitlines()[-1]) == (0, "4 files scanned, 0 findings: 0 to rewrite, 0 to review (expand phase)"), scan.stdout
    for phase in ("expand", "contract"):
        done = run_cli("apply", ".", "--write", "--phase", phase, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "lanes" / "words.py").read_text("utf-8") == WORDS
    assert (tmp_path / "lanes" / "main.py").read_text("utf-8") == main
