"""An OpenClaw state dir, read once per run: its config, the gateway version
that last wrote it, its agents, their workspaces, and every session store.

The stores are found where the 2026.9 gateway and its Doctor look:

- the manifest's default paths (``agents/<id>/sessions/sessions.json``,
  ``agents/<id>/agent/openclaw-agent.sqlite``) and the single-agent
  ``sessions/sessions.json`` of old installs;
- the agent databases that the state database registers
  (``agent_databases`` in ``state/openclaw.sqlite``), external ones included;
- ``session.store`` in the config (``openclaw.json``, JSON5;
  ``$OPENCLAW_CONFIG_PATH`` for the gateway's own state dir): a legacy
  ``sessions.json`` per agent with an ``{agentId}`` template, or without one
  a "fixed" store that all agents share. Beside the legacy file the gateway
  keeps the store's SQLite database (``openclaw-agent.sqlite`` beside a
  ``sessions.json``, ``NAME.sqlite`` beside ``NAME.json``, the path itself
  for ``*.sqlite``) and, for agents other than a fixed store's owner,
  ``NAME.<agentId>[.<n>].sqlite`` partitions. A store the config names that
  holds neither file is a warning.

A file is one store however many agents share it, so it is migrated once.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from packaging.version import Version

from migrator.manifest import Manifest, parse_version

STATE_DIR_NAME = ".openclaw"
CONFIG_NAME = "openclaw.json"
# The state dir and configs of the releases before the OpenClaw name, still
# read by the gateway when nothing newer exists.
LEGACY_STATE_DIR_NAMES = (".clawdbot",)
LEGACY_CONFIG_NAMES = ("clawdbot.json",)
DEFAULT_AGENT = "main"
TEMPLATE = "{agentId}"
STORE_KEY = "session.store"
OWNER_KEY = "agents.defaults.sessionStore.agentId"
LEGACY_SINGLE_AGENT_DIR = "sessions"
# The shared state database, whose registry lists every agent database.
REGISTRY = "state/openclaw.sqlite"
REGISTRY_TABLE = "agent_databases"
# The suffix of the gateway's databases, and their sidecars, never stores of their own.
SQLITE_SUFFIX = ".sqlite"
_SIDECAR = re.compile(r"-(?:wal|shm|journal)$")
_AGENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$", re.I)


def default_state_dir() -> Path:
    """OpenClaw's state root: ``$OPENCLAW_STATE_DIR``, else ``~/.openclaw``
    (``~`` being ``$OPENCLAW_HOME`` when set), else the ``~/.clawdbot`` of
    installs from before the name, when only that exists."""
    env = os.environ.get("OPENCLAW_STATE_DIR", "").strip()
    if env:
        return _expand(env, Path.cwd())
    current = _home() / STATE_DIR_NAME
    if not current.exists():
        for name in LEGACY_STATE_DIR_NAMES:
            if (_home() / name).exists():
                return _home() / name
    return current


def _home() -> Path:
    """The home OpenClaw expands ``~`` with: ``$OPENCLAW_HOME``, else the user's."""
    env = os.environ.get("OPENCLAW_HOME", "").strip()
    return Path(env) if env else Path.home()


def _expand(value: str, base: Path) -> Path:
    """A path from the config: ``~`` is OpenClaw's home; a relative path is
    taken below ``base`` (the gateway resolves it against its own working
    directory, which is not known here: the state dir is the likeliest)."""
    text = value.strip()
    if text == "~" or text.startswith(("~/", "~\\")):
        text = str(_home()) + text[1:]
    path = Path(text)
    return Path(os.path.normpath(path if path.is_absolute() else base / path))


def config_path(root: Path) -> Path:
    """The config the gateway of ``root`` reads: ``$OPENCLAW_CONFIG_PATH`` when
    ``root`` is the gateway's own state dir, else ``openclaw.json`` in it (or a
    legacy name, when only that exists)."""
    env = os.environ.get("OPENCLAW_CONFIG_PATH", "").strip()
    if env and _same(root, default_state_dir()):
        return _expand(env, Path.cwd())
    for name in (CONFIG_NAME, *LEGACY_CONFIG_NAMES):
        if (root / name).is_file():
            return root / name
    return root / CONFIG_NAME


def _same(a: Path, b: Path) -> bool:
    return os.path.normpath(a.absolute()) == os.path.normpath(b.absolute())


@functools.lru_cache(maxsize=256)
def read_config(path: Path) -> tuple[Mapping[str, Any] | None, str | None]:
    """The parsed config at ``path`` (JSON5) and, when it cannot be used, why.
    Cached: the data engines, the text engine and the report all ask."""
    import json5

    try:
        data = json5.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None, f"no {path.name} in its state dir"
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return None, f"{path} cannot be read ({exc})"
    if not isinstance(data, dict):
        return None, f"{path} is not an object"
    return data, None


def _get(data: Mapping[str, Any] | None, dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


@dataclass(frozen=True)
class Store:
    """A session store of a state dir: its file, the manifest's store
    surface it is (by name), where it was learnt from, and the agents whose
    sessions it holds (more than one: a shared store, migrated once)."""

    path: Path
    surface: str
    format: str
    origin: str
    agents: tuple[str, ...] = ()


# The manifest's stores as the state dir needs them (hashable, for the cache):
# (name, format, default path patterns).
Surfaces = tuple[tuple[str, str, tuple[str, ...]], ...]


def surfaces_of(manifest: Manifest) -> Surfaces:
    """The manifest's store surfaces, as :func:`load` takes them."""
    return tuple((s.name, s.format, s.paths) for s in manifest.stores)


@dataclass(frozen=True)
class StateDir:
    """One OpenClaw state dir as its gateway sees it. Build it with :func:`load`."""

    root: Path
    config: Path
    data: Mapping[str, Any] | None = field(compare=False, repr=False)
    #: The version that last wrote the config, and where that was read (or why not).
    version_text: str | None
    version_source: str
    agents: tuple[str, ...]
    workspaces: tuple[Path, ...]
    stores: tuple[Store, ...]
    warnings: tuple[str, ...]

    @property
    def version(self) -> Version | None:
        """The config writer's version, or None when unknown or unparsable."""
        if self.version_text is None:
            return None
        try:
            return parse_version(self.version_text)
        except ValueError:
            return None


def _version(config: Path, data: Mapping[str, Any] | None, problem: str | None) -> tuple[str | None, str]:
    if data is None:
        return None, problem or f"{config} cannot be used"
    touched = _get(data, "meta.lastTouchedVersion")
    if not isinstance(touched, str):
        return None, f"{config} has no meta.lastTouchedVersion"
    return touched, f"meta.lastTouchedVersion in {config}"


def _agent_id(value: str) -> str:
    """OpenClaw's normalised agent id (lower case, other characters as ``-``)."""
    text = value.strip()
    if _AGENT_ID.match(text):
        return text.lower()
    cleaned = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")[:64]
    return cleaned or DEFAULT_AGENT


def _configured_agents(data: Mapping[str, Any] | None) -> tuple[str, ...]:
    listed = _get(data, "agents.list")
    ids = [_agent_id(a["id"]) for a in listed if isinstance(a, dict) and isinstance(a.get("id"), str)] \
        if isinstance(listed, list) else []
    return tuple(dict.fromkeys(ids)) or (DEFAULT_AGENT,)


def _workspaces(root: Path, data: Mapping[str, Any] | None) -> tuple[Path, ...]:
    """The workspace directories the config names (default agent and per-agent
    ones), then the state dir's own ``workspace`` and ``workspace-<id>``."""
    values = [_get(data, "agents.defaults.workspace")]
    listed = _get(data, "agents.list")
    if isinstance(listed, list):
        values += [a.get("workspace") for a in listed if isinstance(a, dict)]
    found = [_expand(v, root) for v in values if isinstance(v, str) and v.strip()]
    # The state dir's own workspace holds the bootstrap files even when the
    # config moved the default elsewhere (per-agent workspace-<id> too).
    found.append(root / "workspace")
    try:
        found += sorted(p for p in root.iterdir() if p.name.startswith("workspace-") and p.is_dir() and not p.is_symlink())
    except OSError:
        pass
    return tuple(dict.fromkeys(found))


def workspaces(config: Path, root: Path | None = None) -> tuple[Path, ...]:
    """The workspace directories an ``openclaw.json`` names, else the default
    ``workspace`` of its state dir ``root`` (by default, the config's directory)."""
    data, _ = read_config(config)
    return _workspaces(config.parent if root is None else root, data)


def _database_for(legacy: Path, legacy_pattern: str, database_pattern: str) -> tuple[Path, bool]:
    """The SQLite database the gateway keeps for the legacy store ``legacy``
    (2026.9's ``resolveUnsuffixedSqliteTargetFromSessionStorePath``), and
    whether other agents get partitions beside it: at the default layout, the
    agent's own database; a ``*.sqlite`` path itself (shared, no partitions);
    beside another ``sessions.json``, the default database name; beside
    ``NAME.json``, ``NAME.sqlite``."""
    if legacy.suffix == SQLITE_SUFFIX:
        return legacy, False
    if legacy.name != Path(legacy_pattern).name:
        return legacy.parent / (legacy.stem + SQLITE_SUFFIX), True
    segments = legacy_pattern.split("/")
    tail = legacy.parts[-len(segments):]
    if len(legacy.parts) > len(segments) and all(fnmatch.fnmatchcase(p, s) for p, s in zip(tail, segments)):
        agent = tail[segments.index("*")]
        return Path(*legacy.parts[: -len(segments)], *database_pattern.replace("*", agent).split("/")), False
    return legacy.parent / Path(database_pattern).name, True


def _partitions(database: Path) -> list[Path]:
    """``NAME.<agentId>[.<n>].sqlite`` beside ``NAME.sqlite``: the databases a
    fixed store keeps for agents other than its owner."""
    prefix = database.stem + "."
    try:
        names = sorted({_SIDECAR.sub("", e.name) for e in os.scandir(database.parent)})
    except OSError:
        return []
    return [database.parent / n for n in names
            if n.startswith(prefix) and n.endswith(SQLITE_SUFFIX) and n != database.name]


def _configured_stores(root: Path, config: Path, data: Mapping[str, Any] | None, agents: tuple[str, ...],
                       on_disk: tuple[str, ...], surfaces: Surfaces) -> tuple[list[Store], list[str]]:
    """The stores ``session.store`` names, and a warning for each that holds
    no file: per agent with ``{agentId}`` (the configured ones, and those
    with a directory under ``agents/``, whose absence is no news), else one
    store all agents share."""
    value = _get(data, STORE_KEY)
    legacy_kind = next((s for s in surfaces if s[1] == "json"), None)
    sqlite_kind = next((s for s in surfaces if s[1] == "sqlite"), None)
    if not isinstance(value, str) or not value.strip() or legacy_kind is None or sqlite_kind is None:
        return [], []
    origin = STORE_KEY
    owner = _get(data, OWNER_KEY)
    templated = TEMPLATE in value
    stores: list[Store] = []
    warnings: list[str] = []
    everyone = tuple(dict.fromkeys(agents + on_disk))
    for agent, holders in ([(a, (a,)) for a in everyone] if templated else [(None, everyone)]):
        legacy = _expand(value.replace(TEMPLATE, agent) if agent else value, root)
        database, partitioned = _database_for(legacy, legacy_kind[2][0], sqlite_kind[2][0])
        found = []
        if legacy != database and legacy.is_file():
            found.append(Store(legacy, legacy_kind[0], legacy_kind[1], origin, holders))
        if database.is_file():
            whose = f", owner {owner} ({OWNER_KEY})" if not templated and isinstance(owner, str) else ""
            found.append(Store(database, sqlite_kind[0], sqlite_kind[1], origin + whose, holders))
        if partitioned:
            found += [Store(p, sqlite_kind[0], sqlite_kind[1], f"{origin} (an agent's partition)",
                            (p.name[len(database.stem) + 1 :].split(".")[0],))
                      for p in _partitions(database) if p.is_file() and not p.is_symlink()]
        if not found and (agent is None or agent in agents):
            files = legacy.as_posix() if legacy == database else f"{legacy.as_posix()} or {database.as_posix()}"
            whose = f" (agent {agent})" if agent else ""
            warnings.append(f"{config}: {STORE_KEY} {value!r}{whose} names no existing store: no {files}")
        stores += found
    return stores, warnings


def _default_stores(root: Path, surfaces: Surfaces) -> list[Store]:
    """The stores at the manifest's default paths, and the single-agent
    store of old installs (``sessions/sessions.json``), which Doctor still
    imports."""
    out = []
    legacy = next((s for s in surfaces if s[1] == "json"), None)
    if legacy is not None:
        single = root / LEGACY_SINGLE_AGENT_DIR / Path(legacy[2][0]).name
        if single.is_file() and not single.is_symlink():
            out.append(Store(single, legacy[0], legacy[1], f"the single-agent store of old installs "
                             f"({LEGACY_SINGLE_AGENT_DIR}/{single.name})", (DEFAULT_AGENT,)))
    for name, fmt, patterns in surfaces:
        for pattern in patterns:
            for path in sorted(root.glob(pattern)):
                if path.is_file() and not path.is_symlink():
                    agent = path.relative_to(root).parts[1] if pattern.startswith("agents/*/") else None
                    out.append(Store(Path(os.path.normpath(path)), name, fmt, f"default path {pattern}",
                                     (agent,) if agent else ()))
    return out


def _registered_stores(root: Path, surfaces: Surfaces) -> list[Store]:
    """The agent databases the state database registers (``agent_databases``
    in ``state/openclaw.sqlite``): where the gateway keeps each agent's
    store, including external ones and those of agents no longer configured.
    A path inside the state dir is stored relative to it."""
    sqlite_kind = next((s for s in surfaces if s[1] == "sqlite"), None)
    registry = root.joinpath(*REGISTRY.split("/"))
    if sqlite_kind is None or not registry.is_file():
        return []
    try:
        conn = sqlite3.connect(f"{registry.as_uri()}?mode=ro", uri=True)
        try:
            rows = conn.execute(f"SELECT agent_id, path FROM {REGISTRY_TABLE} ORDER BY path, agent_id").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return []  # an older state database without the registry, or one being rebuilt
    out = []
    for agent, stored in rows:
        if not isinstance(stored, str) or not isinstance(agent, str):
            continue
        path = Path(os.path.normpath(Path(stored) if Path(stored).is_absolute() else root / stored))
        if path.is_file() and not path.is_symlink():
            out.append(Store(path, sqlite_kind[0], sqlite_kind[1], f"{REGISTRY} ({REGISTRY_TABLE})", (agent,)))
    return out


def _merge(stores: Iterable[Store]) -> tuple[Store, ...]:
    """One store per file: the last source that names it says where from
    (the config, over the registry, over a default path), and the agents of
    every source are kept."""
    merged: dict[str, Store] = {}
    for store in stores:
        key = os.path.normpath(store.path)
        before = merged.get(key)
        agents = tuple(dict.fromkeys((*before.agents, *store.agents))) if before else store.agents
        merged[key] = Store(store.path, store.surface, store.format, store.origin, agents)
    return tuple(merged.values())


@functools.lru_cache(maxsize=64)
def _load(root: Path, config: Path, surfaces: Surfaces) -> StateDir:
    data, problem = read_config(config)
    text, source = _version(config, data, problem)
    agents = _configured_agents(data)
    on_disk = tuple(sorted(p.name for p in (root / "agents").glob("*") if p.is_dir())) if (root / "agents").is_dir() else ()
    configured, warnings = _configured_stores(root, config, data, agents, on_disk, surfaces)
    if data is None and config.is_file():
        warnings.append(f"{problem}: the stores it may name are not looked for")
    stores = _merge([*_default_stores(root, surfaces), *_registered_stores(root, surfaces), *configured])
    return StateDir(root, config, data, text, source, agents, _workspaces(root, data), stores, tuple(warnings))


def forget() -> None:
    """Drop what was read: a new run reads every state dir again."""
    for cached in (read_config, _load, _state_dirs, _given_stores):
        cached.cache_clear()


def load(root: Path, manifest: Manifest) -> StateDir:
    """The state dir at ``root``, read once per run (cached by path)."""
    root = Path(os.path.normpath(root.absolute()))
    return _load(root, config_path(root), surfaces_of(manifest))


def is_state_dir(path: Path) -> bool:
    """Whether a directory is an OpenClaw state dir: it holds the config its
    gateway reads, or agents."""
    return path.is_dir() and (config_path(path).is_file() or (path / "agents").is_dir())


def state_dirs(paths: Iterable[Path], manifest: Manifest, cwd: Path | None = None) -> tuple[StateDir, ...]:
    """The state dirs among the directories a run was given."""
    return _state_dirs(tuple(paths), cwd or Path.cwd(), surfaces_of(manifest))


@functools.lru_cache(maxsize=16)
def _state_dirs(paths: tuple[Path, ...], cwd: Path, surfaces: Surfaces) -> tuple[StateDir, ...]:
    out: dict[Path, StateDir] = {}
    for given in paths:
        path = Path(os.path.normpath(given if given.is_absolute() else cwd / given))
        if is_state_dir(path):
            found = _load(path, config_path(path), surfaces)
            if found.config.is_file() or found.stores:  # not just any project with an agents/ folder
                out.setdefault(found.root, found)
    return tuple(out.values())


def given_stores(paths: Iterable[Path], manifest: Manifest, cwd: Path | None = None) -> Mapping[str, tuple[Path, Store]]:
    """Every store of the state dirs among ``paths``, by absolute path, with
    its state dir's root. A store that agents share is one entry."""
    return _given_stores(tuple(paths), cwd or Path.cwd(), surfaces_of(manifest))


@functools.lru_cache(maxsize=16)
def _given_stores(paths: tuple[Path, ...], cwd: Path, surfaces: Surfaces) -> Mapping[str, tuple[Path, Store]]:
    out: dict[str, tuple[Path, Store]] = {}
    for state in _state_dirs(paths, cwd, surfaces):
        for store in state.stores:
            out.setdefault(str(store.path), (state.root, store))
    return out
