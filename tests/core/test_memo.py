"""The memo of tree-wide steps: answers held for the run (caching on or off)
and, with caching on, on disk for the next run."""

from __future__ import annotations

from pathlib import Path

from migrator.cache import Memo, open_memo
from migrator.config import Options, load_options


def _project(tmp_path: Path, **settings: bool) -> Options:
    (tmp_path / "pyproject.toml").write_text("[tool.migrator]\n", encoding="utf-8")
    return load_options([str(tmp_path)], **settings)  # type: ignore[misc]


def test_caching_off_still_answers_a_question_asked_again_in_the_run(tmp_path: Path) -> None:
    options = _project(tmp_path, use_cache=False)
    memo = open_memo(options)
    assert memo.get("python-exports", ["a", 1]) is None
    memo.put("python-exports", ["a", 1], {"pkg.rows": "returns session rows"})
    assert memo.get("python-exports", ["a", 1]) == {"pkg.rows": "returns session rows"}
    assert memo.get("python-exports", ["a", 2]) is None
    assert memo.get("python-passed", ["a", 1]) is None
    assert not (tmp_path / ".migrator").exists()  # nothing written with caching off


def test_each_answer_is_a_fresh_value_shaped_as_a_read_from_disk(tmp_path: Path) -> None:
    memo = Memo(None, _project(tmp_path, use_cache=False))
    memo.put("uses", [], [("m", 0, "NAME")])
    first = memo.get("uses", [])
    assert first == [["m", 0, "NAME"]]  # JSON's shapes, as from a cache file
    first.append(["changed"])
    assert memo.get("uses", []) == [["m", 0, "NAME"]]


def test_with_caching_on_the_next_run_reads_the_answer_from_disk(tmp_path: Path) -> None:
    options = _project(tmp_path)
    assert options.cache_dir == tmp_path / ".migrator" / "cache"
    open_memo(options).put("python-exports", ["x"], {"k": "why"})
    assert open_memo(options).get("python-exports", ["x"]) == {"k": "why"}
    assert list((tmp_path / ".migrator" / "cache" / "memo").rglob("*.json"))
