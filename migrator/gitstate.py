"""Uncommitted changes in a git work tree, so ``apply --write`` does not mix a
user's own edits with the migration in one commit (as the Next.js and
Angular codemod runners refuse to run on a dirty tree).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def _work_tree(directory: Path, cache: dict[Path, Path | None]) -> Path | None:
    """The top of the git work tree holding ``directory``, or None."""
    trail: list[Path] = []
    here: Path | None = directory
    found: Path | None = None
    while here is not None:
        if here in cache:
            found = cache[here]
            break
        trail.append(here)
        if (here / ".git").exists():
            found = here
            break
        here = None if here.parent == here else here.parent
    for visited in trail:
        cache[visited] = found
    return found


def _dirty_in(top: Path) -> set[Path] | None:
    """Every path of the work tree with uncommitted or untracked changes;
    None when git cannot tell (not installed, not a repository)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(top), "status", "--porcelain=v1", "-z", "--untracked-files=all"],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    dirty: set[Path] = set()
    entries = out.split(b"\0")
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if len(entry) < 4:
            continue
        dirty.add(top / os.fsdecode(entry[3:]))
        if entry[:1] in (b"R", b"C"):
            i += 1  # a rename's second field is its old path
    return dirty


def uncommitted(paths: list[Path]) -> list[Path]:
    """Those of ``paths`` (absolute files) that differ from the last commit of
    their git work tree, in the order given. Files outside any work tree are
    never dirty."""
    trees: dict[Path, Path | None] = {}
    by_tree: dict[Path, list[Path]] = {}
    for path in paths:
        top = _work_tree(path.parent, trees)
        if top is not None:
            by_tree.setdefault(top, []).append(path)
    dirty: set[Path] = set()
    for top, members in by_tree.items():
        changed = _dirty_in(top)
        if changed:
            dirty |= {p for p in members if p in changed}
    return [p for p in paths if p in dirty]
