"""Precision and recall of the default ``apply`` on the project's fixtures.

The expected rewrites are the reviewed after-files in fixtures/python/expected
(per phase); the unrelated corpus expects none. The unit is a changed line of
the original file: a line the tool changes but should not is a false positive,
a line it should change but does not is a false negative.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_cli, snapshot


def _changed_lines(before: bytes, after: bytes) -> set[int]:
    a, b = before.decode().splitlines(), after.decode().splitlines()
    out: set[int] = set()
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag != "equal":
            out.update(range(i1 + 1, max(i2, i1 + 1) + 1) if i2 == i1 else range(i1 + 1, i2 + 1))
    return out


def measure(tmp_path: Path, phase: str) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) over both corpora."""
    tp = fp = fn = 0
    expected = FIXTURES / "python" / "expected" / phase
    for corpus, expected_root, package in (
        ("callers", expected, "app/"), ("orchestrator", expected, "orch/"), ("unrelated", None, ""),
    ):
        original = FIXTURES / "python" / corpus
        root = tmp_path / f"{corpus}-{phase}"
        shutil.copytree(original, root, ignore=shutil.ignore_patterns(".migrator"))
        assert run_cli("apply", "--write", "--phase", phase, ".", cwd=root).returncode == 0
        before, after = snapshot(original), snapshot(root)
        for rel, data in before.items():
            if not rel.endswith(".py"):
                continue
            want_after = data
            if expected_root is not None and rel.startswith(package):
                want_after = (expected_root / rel).read_bytes()
            want, got = _changed_lines(data, want_after), _changed_lines(data, after[rel])
            tp += len(want & got)
            fp += len(got - want)
            fn += len(want - got)
    return tp, fp, fn


@pytest.mark.parametrize("phase", ["expand", "contract"])
def test_precision_and_recall(tmp_path: Path, phase: str, capsys: pytest.CaptureFixture[str]) -> None:
    tp, fp, fn = measure(tmp_path, phase)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    with capsys.disabled():
        print(f"\n{phase}: precision {precision:.2f}, recall {recall:.2f} (tp {tp}, fp {fp}, fn {fn})")
    assert precision == 1.0 and recall >= 0.9
