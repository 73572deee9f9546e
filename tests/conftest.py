"""Shared test helpers: the real CLI in a subprocess, and fixture copies."""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Iterator, Mapping

import pytest
from hypothesis import settings

# In CI the property tests replay a fixed set of examples, so a landing never
# hangs on a new random find; on a developer's machine they keep exploring.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m migrator ARGS`` in a real subprocess, on this checkout."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    full_env.pop("CI", None)
    # The checkout's bytecode may be written and reused, as an installed
    # copy's is: an environment that forbids it would have every one of the
    # suite's thousands of runs compile the package again.
    full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    return subprocess.run(
        [sys.executable, "-m", "migrator", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def write_package(root: Path, name: str, files: Mapping[str, str]) -> Path:
    """A project at ``root`` (its ``pyproject.toml``) holding the package
    ``name`` with ``files``; returns the package directory."""
    (root / "pyproject.toml").write_text(f'[project]\nname = "{name}"\n', "utf-8")
    package = root / name
    package.mkdir()
    (package / "__init__.py").write_text("", "utf-8")
    for file, text in files.items():
        (package / file).write_text(text, "utf-8")
    return package


def apply_phase(root: Path, phase: str, package: Path, files: Mapping[str, str], expected: Mapping[str, str]) -> None:
    """``apply --write --phase PHASE`` on ``root``: it succeeds, and each of
    ``files`` holds its ``expected`` text (or its own, where none is given)."""
    done = run_cli("apply", ".", "--write", "--phase", phase, cwd=root)
    assert done.returncode == 0, done.stderr
    for file, text in files.items():
        assert (package / file).read_text("utf-8") == expected.get(file, text), file


@contextlib.contextmanager
def imported(root: Path, name: str) -> Iterator[ModuleType]:
    """The package ``name`` of the project at ``root``, imported as its own
    code would run after a phase, and forgotten afterwards (with its
    modules), so that the next phase's files are imported afresh."""
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(root))
        for module in [n for n in sys.modules if n == name or n.startswith(name + ".")]:
            del sys.modules[module]


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (but the journal) with its bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".migrator" not in p.parts and "__pycache__" not in p.parts
    }


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A private copy of fixtures/demo."""
    target = tmp_path / "demo"
    shutil.copytree(FIXTURES / "demo", target, ignore=shutil.ignore_patterns(".migrator"))
    return target
