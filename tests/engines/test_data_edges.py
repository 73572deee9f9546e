"""Data files at the edges of their formats: a byte-order mark, YAML anchors."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

RULES = '[tool.migrator]\n[[tool.migrator.data]]\npaths = ["*.json", "*.yaml"]\npointers = ["/status", "/*/status"]\n'


def test_json_with_a_byte_order_mark_keeps_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(RULES)
    (tmp_path / "a.json").write_bytes(b'\xef\xbb\xbf{"status": "done", "n": 1}\n')
    result = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "a.json").read_bytes() == b'\xef\xbb\xbf{"status": "agent_responded", "n": 1}\n'


def test_yaml_alias_is_renamed_once_where_it_is_defined(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(RULES)
    source = "anchor: &a {status: timeout}\nalias: *a\nother:\n  status: done  # keep me\n"
    (tmp_path / "w.yaml").write_text(source)
    result = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "w.yaml").read_text() == (
        "anchor: &a {status: waiting_for_response}\nalias: *a\nother:\n  status: agent_responded  # keep me\n"
    )
