"""bench/corpus/score.py scores a labelled set given as a directory, not only the corpus.

A two-file set is built in a temporary directory (one OpenClaw reader, one
module of another vocabulary), labelled, and scored through the real CLI; the
numbers read back from ``--json`` must be the ones its labels call for.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]

READER = '''import json
from pathlib import Path


def stuck(root: Path) -> list[str]:
    store = json.loads((root / "agents" / "main" / "sessions" / "sessions.json").read_text())
    return [key for key, entry in store.items() if entry.get("status") == "failed"]
'''
OTHER = '''def finished(job: dict) -> bool:
    return job["state"] == "done"
'''
LABELS = '''[files."modelled/reader/reader.py"]
labels = [
  { at = "7:75", old = "failed", verdict = "rewrite", role = "read", why = "status of a sessions.json entry" },
]

[files."unrelated/jobs/jobs.py"]
labels = [
  { at = "2:28", old = "done", verdict = "leave", why = "a job queue state" },
]
'''


def _load_score() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_score_dir", REPO / "bench" / "corpus" / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _project(root: Path, rel: str, name: str, text: str) -> None:
    (root / rel).mkdir(parents=True)
    (root / rel / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0"\n', encoding="utf-8")
    (root / rel / f"{name}.py").write_text(text, encoding="utf-8")


def test_scores_the_directory_given(tmp_path: Path, capsys: object) -> None:
    score = _load_score()
    held = tmp_path / "held"
    _project(held, "modelled/reader", "reader", READER)
    _project(held, "unrelated/jobs", "jobs", OTHER)
    (held / "labels.toml").write_text(LABELS, encoding="utf-8")
    out = tmp_path / "score.json"

    assert score.main([str(held), "--json", str(out)]) == 0

    runs = {r["name"]: r for r in json.loads(out.read_text(encoding="utf-8"))}
    expand, contract = runs["apply --phase expand"], runs["apply --phase contract"]
    assert (expand["tp"], expand["fp"], expand["fn"]) == (1, [], [])
    assert (contract["tp"], contract["fp"], contract["fn"]) == (1, [], [])
    assert expand["changed_files"] == contract["changed_files"] == ["modelled/reader/reader.py"]
    assert runs["scan (action rewrite)"]["tp"] == 1
    printed = capsys.readouterr().out  # type: ignore[attr-defined]
    assert printed.startswith("held: 2 files, 2 labelled literals 1 rewrite, 0 review, 1 leave")
