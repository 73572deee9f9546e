"""Find the files a run looks at: walk the given paths, honour ``.gitignore``,
``[tool.migrator]`` include/exclude, and skip what is never the user's code.

Symlinks are never followed: a run cannot wander out of the roots it was given.
"""

from __future__ import annotations

import operator
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

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


_NAME = operator.attrgetter("name")


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
    """A path given on the command line that cannot be used; ``usage`` when
    it does not exist (a usage error, exit 2) rather than exists unusably."""

    display: str
    reason: str
    usage: bool = True


def display_path(path: Path, cwd: Path) -> str:
    """``path`` relative to the current directory when under it, else absolute."""
    try:
        return path.relative_to(cwd).as_posix() or "."
    except ValueError:
        return str(path)


def _spec(lines: list[str]) -> pathspec.PathSpec[Any]:
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _gitignore(directory: Path) -> pathspec.PathSpec[Any] | None:
    try:
        text = (directory / ".gitignore").read_text("utf-8", errors="replace")
    except OSError:
        return None
    return _spec(text.splitlines())


def _is_virtualenv(directory: str) -> bool:
    return os.path.exists(os.path.join(directory, "pyvenv.cfg"))


def _relative(path: str, base: str) -> str | None:
    """``path`` below ``base`` with ``/`` separators, or None if not below it.
    Plain strings: discovery touches every entry of the tree, and pathlib's
    objects cost more than the walk itself."""
    if path == base:
        return ""
    prefix = base if base.endswith(os.sep) else base + os.sep
    if not path.startswith(prefix):
        return None
    rel = path[len(prefix) :]
    return rel if os.sep == "/" else rel.replace(os.sep, "/")


def discover(options: Options, cwd: Path | None = None) -> Iterator[SourcePath | Missing]:
    """Yield every file under the given paths that a run may look at, and a
    :class:`Missing` for each given path that does not exist."""
    cwd = (cwd or Path.cwd()).absolute()
    root = str(options.root.absolute())
    exclude = _spec(list(options.exclude)) if options.exclude else None
    include = _spec(list(options.include)) if options.include else None
    seen: set[str] = set()
    walked: list[str] = []  # the directories walked, whose files were all considered
    cwd_text = str(cwd)

    def keep(path: str, is_dir: bool) -> bool:
        """Not excluded, and (for files) included, by ``[tool.migrator]``."""
        if exclude is None and (include is None or is_dir):
            return True
        rel = _relative(path, root)
        if rel is None:
            return True
        if exclude is not None and exclude.match_file(rel + "/" if is_dir else rel):
            return False
        return is_dir or include is None or include.match_file(rel)

    def display(path: str) -> str:
        rel = _relative(path, cwd_text)
        return path if rel is None else (rel or ".")

    for given in options.paths:
        start = given if given.is_absolute() else cwd / given
        start = Path(os.path.normpath(start))
        if not os.path.lexists(start):
            yield Missing(display_path(start, cwd), "no such file or directory")
            continue
        # Files are known by their real path: a symlink to a given directory
        # and the directory itself reach the same files once.
        real = os.path.realpath(start)
        if start.is_file():
            if real not in seen:
                seen.add(real)
                yield SourcePath(start, display_path(start, cwd), start.parent, start.name, True)
            continue
        if not start.is_dir():
            yield Missing(display_path(start, cwd), "not a regular file or directory", usage=False)
            continue
        # Ignore files apply below the directory that holds them; those above
        # the start directory (up to the project root) apply too.
        inherited: list[tuple[str, pathspec.PathSpec[Any]]] = []
        if options.respect_gitignore:
            for parent in reversed(start.parents):
                if str(parent) == root or _relative(str(parent), root) is not None:
                    spec = _gitignore(parent)
                    if spec is not None:
                        inherited.append((str(parent), spec))
        shown = display
        if not given.is_absolute() and _relative(str(start), cwd_text) is None:
            # Outside the current directory but given relative (``../state``):
            # paths are shown as the user wrote them.
            def shown(path: str, base: str = str(start), prefix: str = str(given)) -> str:
                return os.path.join(prefix, _relative(path, base) or "")

        yield from _walk(str(start), start, inherited, options.respect_gitignore, keep, shown, seen, real)
        walked.append(str(start))
    yield from _configured_stores(options, cwd, seen, walked)


def _configured_stores(options: Options, cwd: Path, seen: set[str], walked: list[str]) -> Iterator[SourcePath]:
    """The stores that a given state dir's config moved out of the walked
    trees (``session.store``): the gateway reads them, so the run does. One
    inside a walked tree that the walk skipped (ignored, excluded, a
    symlink) stays skipped."""
    from migrator.statedir import given_stores

    for path_text, (_, store) in given_stores(options.paths, options.manifest, cwd).items():
        if path_text in seen or os.path.realpath(path_text) in seen or not os.path.isfile(path_text):
            continue
        if any(_relative(path_text, top) is not None for top in walked):
            continue
        seen.add(path_text)
        yield SourcePath(store.path, display_path(store.path, cwd), store.path.parent, store.path.name, False)


def _ignored(path: str, is_dir: bool, specs: list[tuple[str, pathspec.PathSpec[Any]]]) -> bool:
    for base, spec in specs:
        rel = _relative(path, base)
        if rel is not None and spec.match_file(rel + "/" if is_dir else rel):
            return True
    return False


def _walk(
    top: str,
    start: Path,
    specs: list[tuple[str, pathspec.PathSpec[Any]]],
    gitignore: bool,
    keep: Callable[[str, bool], bool],
    display: Callable[[str], str],
    seen: set[str],
    real: str,
) -> Iterator[SourcePath | Missing]:
    try:
        entries = sorted(os.scandir(top), key=_NAME)
    except OSError as exc:
        # Its files would go unseen: named, as an input that cannot be read (exit 3).
        yield Missing(display(top), f"cannot read directory: {exc.strerror or exc}", usage=False)
        return
    if gitignore and any(entry.name == ".gitignore" for entry in entries):  # most directories have none
        own = _gitignore(Path(top))
        if own is not None:
            specs = specs + [(top, own)]
    start_text = str(start)
    subdirs: list[str] = []
    for entry in entries:
        if entry.is_symlink():
            continue  # never followed: it could lead out of the root
        path = entry.path
        if entry.is_dir(follow_symlinks=False):
            if entry.name in SKIP_DIRS or _is_virtualenv(path):
                continue
            if (specs and _ignored(path, True, specs)) or not keep(path, True):
                continue
            subdirs.append(path)
        elif entry.is_file(follow_symlinks=False):
            if (specs and _ignored(path, False, specs)) or not keep(path, False):
                continue
            key = real + path[len(start_text):]  # nothing below a start is a symlink
            if key in seen:
                continue
            seen.add(key)
            yield SourcePath(Path(path), display(path), start, _relative(path, start_text) or entry.name, False)
    for sub in subdirs:
        yield from _walk(sub, start, specs, gitignore, keep, display, seen, real)
