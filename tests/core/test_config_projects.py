"""load_projects: one Options per project the paths lie in."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.config import load_options, load_projects
from migrator.errors import ConfigError


def _project(root: Path, table: str) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(f"[tool.migrator]\n{table}")
    return root


def test_paths_are_grouped_by_their_table_in_the_order_given(tmp_path: Path) -> None:
    a = _project(tmp_path / "a", 'phase = "contract"\nmarkers = ["rows"]\n')
    _project(tmp_path / "b", 'min-confidence = "certain"\n')
    (a / "sub").mkdir()
    (tmp_path / "loose.py").write_text("")
    projects = load_projects(["b", "a/sub", "loose.py", "a", "../" + tmp_path.name + "/b/x.py"], cwd=tmp_path)
    assert [(o.config_file, o.paths, o.phase, o.min_confidence, o.markers) for o in projects] == [
        (tmp_path / "b" / "pyproject.toml", (Path("b"), Path("loose.py"), Path("../" + tmp_path.name + "/b/x.py")),
         "expand", "certain", ()),
        (tmp_path / "a" / "pyproject.toml", (Path("a/sub"), Path("a")), "contract", "likely", ("rows",)),
    ]
    assert [o.cache_dir for o in projects] == [tmp_path / "b" / ".migrator" / "cache",
                                               tmp_path / "a" / ".migrator" / "cache"]
    # load_options keeps its meaning: every path under the first path's table.
    single = load_options(["b", "a"], cwd=tmp_path)
    assert (single.config_file, single.paths, single.min_confidence) == (
        tmp_path / "b" / "pyproject.toml", (Path("b"), Path("a")), "certain")


def test_flags_and_config_win_over_every_table(tmp_path: Path) -> None:
    _project(tmp_path / "a", 'phase = "contract"\n')
    _project(tmp_path / "b", 'phase = "expand"\nexclude = ["x/"]\n')
    assert [o.phase for o in load_projects(["a", "b"], cwd=tmp_path, phase="expand")] == ["expand", "expand"]
    assert [o.exclude for o in load_projects(["a", "b"], cwd=tmp_path, extend_exclude=("y/",))] == [
        ("y/",), ("x/", "y/")]
    (one,) = load_projects(["a", "b"], cwd=tmp_path, config=tmp_path / "b" / "pyproject.toml")
    assert (one.paths, one.phase, one.root) == ((Path("a"), Path("b")), "expand", tmp_path / "b")


def test_no_table_anywhere_is_one_project_of_defaults(tmp_path: Path) -> None:
    (one,) = load_projects(["x", "y"], cwd=tmp_path)
    assert (one.config_file, one.paths, one.root, one.phase_source) == (None, (Path("x"), Path("y")), tmp_path, "default")


def test_a_bad_table_anywhere_is_an_error_naming_it(tmp_path: Path) -> None:
    _project(tmp_path / "a", 'phase = "contract"\n')
    _project(tmp_path / "b", 'cache = "no"\n')
    with pytest.raises(ConfigError, match=f"^{tmp_path / 'b' / 'pyproject.toml'}: \\[tool.migrator\\] key 'cache' must be"):
        load_projects(["a", "b"], cwd=tmp_path)
