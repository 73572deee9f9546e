"""Which data files a run migrates, where in them, and whether it may.

Shared by the JSON-family and SQLite engines: matching built-in store paths
(from the manifest) and user rules (``[[tool.migrator.data]]``), the paths
never touched, and the version gate: a store gets new names only when the
gateway that owns it can read them, because an older gateway turns an
unknown status into NULL.
"""

from __future__ import annotations

import fnmatch
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pathspec
from packaging.version import Version

from migrator.config import DataRule, Options
from migrator.files import SourcePath
from migrator.manifest import Manifest, StoreSurface, parse_version
from migrator.pointers import PointerPattern
from migrator.statedir import default_state_dir as default_state_dir  # where the CLI finds it
from migrator.statedir import given_stores
from migrator.statedir import load as load_state_dir

FORMATS_BY_SUFFIX = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json5": "json5",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
}
Action = Literal["rewrite", "review"]


def _match_tail(pattern: str, path: Path) -> Path | None:
    """If the last segments of ``path`` match ``pattern`` (``*`` per segment,
    ``**`` for any run), return the directory above them: the state root."""
    segments = pattern.split("/")
    parts = path.parts
    if "**" in segments:
        # Only a trailing ``**`` is used by the manifest (``cron/**``).
        head = segments[: segments.index("**")]
        for i in range(len(parts) - len(head)):
            window = parts[i : i + len(head)]
            if i + len(head) < len(parts) and all(fnmatch.fnmatchcase(p, s) for p, s in zip(window, head)):
                return Path(*parts[:i]) if i else Path(parts[0])
        return None
    if len(parts) <= len(segments):
        return None
    tail = parts[-len(segments) :]
    if all(fnmatch.fnmatchcase(p, s) for p, s in zip(tail, segments)):
        return Path(*parts[: -len(segments)])
    return None


def never_touched(path: Path, manifest: Manifest) -> bool:
    """Transcripts, subagent runs, cron and task files: same words, other
    meanings. No rule can claim them."""
    return any(_match_tail(p, path) is not None for p in manifest.never_paths)


def builtin_store(path: Path, manifest: Manifest) -> tuple[StoreSurface, Path] | None:
    """The built-in store ``path`` is, and its state root."""
    for store in manifest.stores:
        for pattern in store.paths:
            root = _match_tail(pattern, path)
            if root is not None:
                return store, root
    return None


@functools.lru_cache(maxsize=64)
def _rule_spec(paths: tuple[str, ...]) -> pathspec.PathSpec[Any]:
    return pathspec.GitIgnoreSpec.from_lines(list(paths))


def user_rule(path: Path, options: Options) -> DataRule | None:
    """The first ``[[tool.migrator.data]]`` rule whose globs (relative to the
    configuration's directory) match ``path``."""
    try:
        rel = path.absolute().relative_to(options.root.absolute()).as_posix()
    except ValueError:
        return None
    for rule in options.data_rules:
        if _rule_spec(rule.paths).match_file(rel):
            return rule
    return None


@dataclass(frozen=True)
class Target:
    """What to migrate in one data file."""

    format: str
    patterns: tuple[PointerPattern, ...]
    rule: str
    builtin: bool
    state_root: Path | None = None


# Per manifest (kept, so its id is not reused): asked of every discovered file.
_SUFFIXES: dict[int, tuple[Manifest, frozenset[str]]] = {}


def _store_suffixes(manifest: Manifest) -> frozenset[str]:
    known = _SUFFIXES.get(id(manifest))
    if known is None:
        suffixes = frozenset(Path(pattern).suffix.lower() for store in manifest.stores for pattern in store.paths)
        known = _SUFFIXES[id(manifest)] = (manifest, suffixes)
    return known[1]


# Every data engine asks about every discovered file: the answer is
# remembered per file and (hashable) options.
@functools.lru_cache(maxsize=1 << 17)
def target_for(source: SourcePath, options: Options) -> Target | None:
    """The target of a discovered file, or None if no store or rule names it."""
    configured = _configured_target(source, options)
    if configured is not None:
        return configured  # a store the state dir's config names, whatever its name
    suffix = source.path.suffix.lower()
    if not options.data_rules and suffix not in FORMATS_BY_SUFFIX and suffix not in _store_suffixes(options.manifest):
        return None  # a source file: no store or rule can name it
    return _target_for(source, options)


def _configured_target(source: SourcePath, options: Options) -> Target | None:
    """The target of a store that a given state dir holds (at a default path
    or where its config moved it), with that state dir as its root."""
    path = source.path
    found = given_stores(options.paths, options.manifest).get(str(path if path.is_absolute() else path.absolute()))
    if found is None:
        return None
    root, store = found
    surface = next(s for s in options.manifest.stores if s.name == store.surface)
    return Target(surface.format, tuple(PointerPattern.parse(p) for p in surface.pointers),
                  f"store:{surface.name}", True, root)


def _target_for(source: SourcePath, options: Options) -> Target | None:
    path = source.path.absolute()
    manifest = options.manifest
    if never_touched(path, manifest):
        return None
    found = builtin_store(path, manifest)
    if found is not None:
        store, root = found
        return Target(store.format, tuple(PointerPattern.parse(p) for p in store.pointers),
                      f"store:{store.name}", True, root)
    rule = user_rule(path, options)
    if rule is None:
        return None
    fmt = rule.format or FORMATS_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        return None
    return Target(fmt, tuple(PointerPattern.parse(p) for p in rule.pointers), DATA_RULE, False)


@dataclass(frozen=True)
class Owner:
    """The version of the gateway that owns a store, and where it was read."""

    version: Version | None
    text: str | None
    source: str


def owner_gateway(state_root: Path | None, options: Options) -> Owner:
    """``--gateway-version`` (the user knows best), else the version that
    last wrote the config of the store's state dir (see :mod:`migrator.statedir`)."""
    if options.gateway_version:
        return Owner(parse_version(options.gateway_version), options.gateway_version, "--gateway-version")
    if state_root is None:
        return Owner(None, None, "no gateway owns this file")
    state = load_state_dir(state_root, options.manifest)
    if state.version_text is None:
        return Owner(None, None, state.version_source)
    if state.version is None:
        return Owner(None, state.version_text, f"{state.version_source} is not a version")
    return Owner(state.version, state.version_text, state.version_source)


@dataclass(frozen=True)
class Decision:
    """Whether a file's findings are rewritten, and why; ``refusal`` is the
    one line saying why a store is kept: its gateway cannot read the new
    names."""

    action: Action
    why: str
    refusal: str | None = None


def decide(target: Target, options: Options) -> Decision:
    """Data moves to new names when its owner gateway reads them, or (for the
    user's own files) in the contract phase. A built-in store under an
    older gateway is kept in either phase, with what to do."""
    schedule = options.manifest.schedule
    owner = owner_gateway(target.state_root if target.builtin else None, options)
    if owner.version is not None and owner.version >= schedule.introduced:
        return Decision("rewrite", f"its gateway {owner.text} ({owner.source}) reads the new names "
                                   f"(since {schedule.introduced_text})")
    if not target.builtin:
        if options.phase == "contract":
            return Decision("rewrite", "contract phase: your own data moves to the new names")
        return Decision("review", "expand phase: readers accept both names, so your data keeps the old "
                                  "ones until contract (--phase contract)")
    seen = f"{owner.text} ({owner.source})" if owner.text else f"of unknown version ({owner.source})"
    why = (f"kept: its gateway is {seen}; a gateway before {schedule.introduced_text} turns the new "
           f"names into NULL")
    # Kept in either phase (the gate is the gateway's, not the phase's), and
    # said so in either: expand would otherwise pass over it in silence.
    owner_text = owner.text or f"(version unknown: {owner.source})"
    refusal = f"its gateway {owner_text} stores old names; migrate after upgrading, or pass --gateway-version"
    return Decision("review", why, refusal)


def symlink_escape(source: SourcePath) -> str | None:
    """A one-line error when a given file is a symlink that leads out of its
    root: it is never followed."""
    path = source.path
    if not path.is_symlink():
        return None
    target = path.resolve()
    root = source.root.resolve()
    if target == root or root in target.parents:
        return None
    return f"symbolic link to {target}, outside {root}; not followed"


DATA_RULE = "data-rule"
