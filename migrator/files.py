"""Find the files a run looks at: walk the given paths, honour ``.gitignore``,
``[tool.migrator]`` include/exclude, and skip what is never the user's code.

Symlinks are never followed: a run cannot wander out of the roots it was given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pathspec

from migrator.config import Options

# Directories that are never the user's own sources.
SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv",
        ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
        ".migrator", "site-packages", ".eggs",
    }
)


@dataclass(frozen=True)
class SourcePath:
    """A file found by discovery. ``rel`` is its path below the root it was
    found under, with ``/`` separators, for matching store and rule globs."""

    path: Path
    display: str
    root: Path
    rel: str
    explicit: bool


@dataclass(frozen=True)
class Missing:
    """A path given on the command line that cannot be used."""

    display: str
    reason: str


def display_path(path: Path, cwd: Path) -> str:
    """``path`` relative to the current directory when under it, else absolute."""
    try:
        return path.relative_to(cwd).as_posix() or "."
    except ValueError:
        return str(path)


def _spec(lines: list[str]) -> pathspec.PathSpec:
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _gitignore(directory: Path) -> pathspec.PathSpec | None:
    try:
        text = (directory / ".gitignore").read_text("utf-8", errors="replace")
    except OSError:
        return None
    return _spec(text.splitlines())


def _is_virtualenv(directory: str) -> bool:
    return os.path.exists(os.path.join(directory, "pyvenv.cfg"))


def discover(options: Options, cwd: Path | None = None) -> Iterator[SourcePath | Missing]:
    """Yield every file under the given paths that a run may look at, and a
    :class:`Missing` for each given path that does not exist."""
    cwd = (cwd or Path.cwd()).absolute()
    root = options.root.absolute()
    exclude = _spec(list(options.exclude)) if options.exclude else None
    include = _spec(list(options.include)) if options.include else None
    seen: set[Path] = set()

    def excluded(path: Path, is_dir: bool) -> bool:
        if exclude is None:
            return False
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:
            return False
        return exclude.match_file(rel + "/" if is_dir else rel)

    def included(path: Path) -> bool:
        if include is None:
            return True
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:
            return True
        return include.match_file(rel)

    for given in options.paths:
        start = given if given.is_absolute() else cwd / given
        start = Path(os.path.normpath(start))
        if not os.path.lexists(start):
            yield Missing(display_path(start, cwd), "no such file or directory")
            continue
        if start.is_file():
            if start not in seen:
                seen.add(start)
                yield SourcePath(start, display_path(start, cwd), start.parent, start.name, True)
            continue
        if not start.is_dir():
            yield Missing(display_path(start, cwd), "not a regular file or directory")
            continue
        # Ignore files apply below the directory that holds them; those above
        # the start directory (up to the project root) apply too.
        inherited: list[tuple[Path, pathspec.PathSpec]] = []
        if options.respect_gitignore:
            for parent in reversed(start.parents):
                if parent == root or root in parent.parents:
                    spec = _gitignore(parent)
                    if spec is not None:
                        inherited.append((parent, spec))
        yield from _walk(start, start, inherited, options, cwd, excluded, included, seen)


def _ignored(path: Path, is_dir: bool, specs: list[tuple[Path, pathspec.PathSpec]]) -> bool:
    for base, spec in specs:
        rel = path.relative_to(base).as_posix()
        if spec.match_file(rel + "/" if is_dir else rel):
            return True
    return False


def _walk(
    top: Path,
    start: Path,
    specs: list[tuple[Path, pathspec.PathSpec]],
    options: Options,
    cwd: Path,
    excluded: object,
    included: object,
    seen: set[Path],
) -> Iterator[SourcePath]:
    if options.respect_gitignore:
        own = _gitignore(top)
        if own is not None:
            specs = specs + [(top, own)]
    try:
        entries = sorted(os.scandir(top), key=lambda e: e.name)
    except OSError:
        return
    subdirs: list[Path] = []
    for entry in entries:
        if entry.is_symlink():
            continue  # never followed: it could lead out of the root
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            if entry.name in SKIP_DIRS or _is_virtualenv(entry.path):
                continue
            if _ignored(path, True, specs) or excluded(path, True):  # type: ignore[operator]
                continue
            subdirs.append(path)
        elif entry.is_file(follow_symlinks=False):
            if _ignored(path, False, specs) or excluded(path, False) or not included(path):  # type: ignore[operator]
                continue
            if path in seen:
                continue
            seen.add(path)
            yield SourcePath(path, display_path(path, cwd), start, path.relative_to(start).as_posix(), False)
    for sub in subdirs:
        yield from _walk(sub, start, specs, options, cwd, excluded, included, seen)
