"""The exports are learnt in rounds, each with what the round before found.
A module's analysis reads them only through questions (``ExportsView``): when each
question has the same answer in a later round, what it found is used again
instead of analysing the module again. The scan reports exactly what it
reported when every module was analysed in every round."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, strategies as st

from codemods.provenance.known import ExportsView, select, tree_get
from migrator.cli import main
from migrator.engines import python as engine
from tests.codemods.test_flow_across_modules import _tree
from tests.codemods.test_tree_get import NAMES
from tests.conftest import run_cli


def test_each_question_is_kept_with_its_answer() -> None:
    known = ExportsView({"app.gw.list_sessions": "rows", "app.rows.Row#table:oc": "table"})
    assert known.get("app.gw.list_sessions") == "rows"
    assert "app.gw.missing" not in known
    assert tree_get(known, "gw.list_sessions") == "rows"  # a dotted tail
    assert select(known, lambda k, w: "#table:" in k) == {"app.rows.Row#table:oc": "table"}
    assert bool(known)
    # Keys nothing asked about may come and go; the answers stay.
    assert known.answers_alike({"app.gw.list_sessions": "rows", "app.rows.Row#table:oc": "table", "app.x.y": "new"})
    # A changed answer, a new key a question finds, an empty map: not alike.
    assert not known.answers_alike({"app.gw.list_sessions": "other", "app.rows.Row#table:oc": "table"})
    assert not known.answers_alike({"app.gw.list_sessions": "rows", "app.rows.Row#table:oc": "table",
                                    "app.gw.missing": "now known"})
    assert not known.answers_alike({"app.gw.list_sessions": "rows", "app.rows.Row#table:oc": "table",
                                    "b.Row#table:x": "another table"})
    assert not known.answers_alike({})


def test_iterating_asks_for_everything() -> None:
    known = ExportsView({"a.f": "rows"})
    assert list(known.items()) == [("a.f", "rows")]
    assert known.answers_alike({"a.f": "rows"})
    assert not known.answers_alike({"a.f": "rows", "b.g": "more"})


def test_a_missing_key_raises_as_a_dict_does() -> None:
    with pytest.raises(KeyError):
        ExportsView({})["a.f"]
    assert ExportsView({}).get("a.f", "default") == "default"


@given(st.lists(NAMES, max_size=12, unique=True), st.lists(NAMES, min_size=1, max_size=6))
def test_tree_get_answers_alike_through_the_view(keys: list[str], asked: list[str]) -> None:
    plain = {key: f"why {i}" for i, key in enumerate(keys)}
    known = ExportsView(plain)
    assert [tree_get(known, full) for full in asked] == [tree_get(plain, full) for full in asked]
    assert known.answers_alike(dict(plain))


def test_a_module_asked_alike_is_not_analysed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path)
    monkeypatch.chdir(root)
    runner = CliRunner()
    analysed: Counter[str] = Counter()
    real = engine.PythonEngine._module_exports
    alike = engine.PythonEngine._asked_alike

    def counting(self: engine.PythonEngine, source: object, *args: object, **kwargs: object) -> dict[str, str]:
        analysed[source.rel] += 1  # type: ignore[attr-defined]
        return real(self, source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.PythonEngine, "_module_exports", counting)
    monkeypatch.setattr(engine.PythonEngine, "_asked_alike", lambda self, rel, passed, known: None)
    every_round = runner.invoke(main, ["scan", ".", "--no-cache", "-j", "1", "--show-why"])
    rounds = sum(analysed.values())
    analysed.clear()
    monkeypatch.setattr(engine.PythonEngine, "_asked_alike", alike)
    reused = runner.invoke(main, ["scan", ".", "--no-cache", "-j", "1", "--show-why"])
    assert (reused.exit_code, reused.output) == (every_round.exit_code, every_round.output)
    assert reused.exit_code == 1 and "5 findings: 3 to rewrite, 2 to review" in reused.output
    # Seven analyses when every round analyses each module it takes part in;
    # the gateway's answers never change after its first, and `rows.py`'s
    # change as it learns what `shift.py` passes it.
    assert rounds == 7
    assert analysed == {"crew/gateway.py": 1, "crew/rows.py": 3}


def test_an_answer_in_another_order_is_another_answer() -> None:
    """The first key of a table a module keeps depends on the exports' order."""
    first = {"a.Row#table:oc": "a", "b.Row#table:oc": "b"}
    view = ExportsView(first)
    assert select(view, lambda k, w: "#table:" in k) == first
    assert view.answers_alike(dict(first))
    assert not view.answers_alike({"b.Row#table:oc": "b", "a.Row#table:oc": "a"})


def test_two_folders_with_the_same_files_are_analysed_each_as_itself(tmp_path: Path) -> None:
    """`migrator scan svc_a svc_b`: both folders hold `gateway.py`, `rows.py`
    and `shift.py` (the same `rel` each), and each gets its own analysis."""
    from tests.codemods.test_flow_across_modules import GATEWAY, ROWS, SHIFT

    for svc in ("svc_a", "svc_b"):
        (tmp_path / svc).mkdir()
        for name, text in {"__init__.py": "", "gateway.py": GATEWAY, "rows.py": ROWS, "shift.py": SHIFT}.items():
            (tmp_path / svc / name).write_text(text, "utf-8")
    done = run_cli("scan", "svc_a", "svc_b", "--no-cache", "-j", "1", cwd=tmp_path)
    lines = done.stdout.splitlines()
    for svc in ("svc_a", "svc_b"):
        mine = [line for line in lines if line.startswith(f"{svc}/rows.py:")]
        assert len(mine) == 3 and all("[certain, rewrite]" in line for line in mine), done.stdout
