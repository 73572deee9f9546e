"""What a newcomer hit trying every command: each case through the real CLI."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli


def test_plugin_never_overwrites_a_projects_own_files(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "my-app"}\n', "utf-8")
    (tmp_path / "index.js").write_text("console.log(1)\n", "utf-8")
    done = run_cli("plugin", ".", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == ("migrator plugin: package.json: exists and is not this plugin's; "
                           "write the plugin into a new or empty directory\n")
    assert (tmp_path / "package.json").read_text("utf-8") == '{"name": "my-app"}\n'
    assert (tmp_path / "index.js").read_text("utf-8") == "console.log(1)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.js", "package.json"]


def test_plugin_into_a_directory_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", "utf-8")
    done = run_cli("plugin", "file/sub", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "migrator plugin: file/sub: cannot write the plugin: Not a directory\n"
