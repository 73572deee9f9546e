"""Options: one frozen object built from the command line and ``[tool.migrator]``.

It travels through the whole pipeline instead of a dozen keyword arguments.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, TypedDict, Unpack

from migrator.errors import ConfigError
from migrator.findings import CONFIDENCES, Confidence
from migrator.manifest import PHASES, Manifest, Phase, load_manifest, parse_version

CONFIG_KEYS = {
    "include",
    "exclude",
    "target-version",
    "phase",
    "min-confidence",
    "markers",
    "data",
    "text",
    "gateway-version",
    "respect-gitignore",
    "cache",
}
DATA_RULE_KEYS = {"paths", "pointers", "format"}
DATA_FORMATS = ("json", "jsonl", "json5", "yaml", "toml")
TEXT_KEYS = {"paths", "name-both"}


@dataclass(frozen=True)
class DataRule:
    """A user rule: which of their own files hold statuses, and where."""

    paths: tuple[str, ...]
    pointers: tuple[str, ...]
    format: str | None = None


@dataclass(frozen=True)
class TextOptions:
    """``[tool.migrator.text]``: extra prompt globs and the expand-phase wording."""

    paths: tuple[str, ...] = ()
    name_both: bool = False


@dataclass(frozen=True)
class Options:
    """Everything a project of a run needs to know. Build it with
    :func:`load_options` (one project for every path) or :func:`load_projects`
    (one per project the paths lie in)."""

    manifest: Manifest
    paths: tuple[Path, ...]
    root: Path
    phase: Phase
    phase_source: str
    min_confidence: Confidence = "likely"
    jobs: int = 1
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()
    data_rules: tuple[DataRule, ...] = ()
    text: TextOptions = TextOptions()
    gateway_version: str | None = None
    respect_gitignore: bool = True
    config_file: Path | None = None
    cache_dir: Path | None = None
    #: ``apply --write``: engines that stream a file may write its new
    #: content beside it while planning, so the write needs no second pass.
    stage: bool = False

    def cache_key(self) -> str:
        """A digest of every setting that shapes a file's result (not the
        paths, jobs or output format): cached answers are kept under it, as
        Black keeps its cache under ``Mode.get_cache_key()``."""
        import hashlib

        parts = [
            self.manifest.fingerprint,
            self.phase,
            self.min_confidence,
            ",".join(self.markers),
            repr(self.data_rules),
            repr(self.text),
            self.gateway_version or "",
        ]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def allows(self, confidence: str) -> bool:
        """Whether a finding of this confidence is rewritten by ``apply``."""
        return CONFIDENCES.index(confidence) >= CONFIDENCES.index(self.min_confidence)  # type: ignore[arg-type,unused-ignore]


def project_root(options: Options, path: Path) -> Path | None:
    """The root of the project ``path`` (absolute) is in: where the run's
    configuration is, else the nearest ``pyproject.toml`` above it (a
    project need not configure migrator to be one), or None."""
    if options.config_file is not None:
        return options.root.absolute()
    for directory in (path if path.is_dir() else path.parent, *path.parents):
        if (directory / "pyproject.toml").is_file():
            return directory
    return None


def find_config(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.migrator]`` table, walking up."""
    here = start if start.is_dir() else start.parent
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text("utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"{candidate}: cannot read configuration: {exc}") from None
            if "migrator" in data.get("tool", {}):
                return candidate
    return None


def read_config(path: Path) -> dict[str, Any]:
    """The ``[tool.migrator]`` table of a pyproject.toml, with every key checked."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None
    table = data.get("tool", {}).get("migrator", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.migrator] must be a table")
    for key in table:
        if key not in CONFIG_KEYS:
            raise ConfigError(f"{path}: {_unknown('[tool.migrator]', key, CONFIG_KEYS)}")
    _check_types(table, path)
    return table


def closest(word: str, known: Iterable[str]) -> str | None:
    """The known name ``word`` most likely misspells (for "did you mean"), or None."""
    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return close[0] if close else None


def _unknown(table: str, key: str, known: set[str]) -> str:
    """``unknown key 'exclud', did you mean 'exclude'? (known: ...)``"""
    close = closest(key, known)
    hint = f", did you mean '{close}'?" if close else ""
    return f"{table} unknown key '{key}'{hint} (known: {', '.join(sorted(known))})"


# The type each scalar key must have, as TOML spells it for the message.
_SCALARS: dict[str, tuple[type, str]] = {
    "target-version": (str, 'a string such as "2026.9.6"'),
    "gateway-version": (str, 'a string such as "2026.9.6"'),
    "phase": (str, f"one of {', '.join(PHASES)}"),
    "min-confidence": (str, f"one of {', '.join(CONFIDENCES)}"),
    "respect-gitignore": (bool, "true or false"),
    "cache": (bool, "true or false"),
}


def _check_types(table: Mapping[str, Any], path: Path) -> None:
    """Every scalar key has its type: `cache = "no"` is an error, not a cache left on."""
    for key, (kind, expected) in _SCALARS.items():
        if key in table and not isinstance(table[key], kind):
            raise ConfigError(f"{path}: [tool.migrator] key '{key}' must be {expected}, not {_toml(table[key])}")


def _toml(value: Any) -> str:
    """A value as it was written in TOML (for messages)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return str(value)


def _string_list(value: Any, path: Path, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: [tool.migrator] key '{key}' must be a list of strings")
    return tuple(value)


def _data_rules(value: Any, path: Path) -> tuple[DataRule, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{path}: [[tool.migrator.data]] must be an array of tables")
    rules = []
    for i, entry in enumerate(value):
        where = f"[[tool.migrator.data]] entry {i + 1}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: {where} must be a table")
        for key in entry:
            if key not in DATA_RULE_KEYS:
                raise ConfigError(f"{path}: {_unknown(where, key, DATA_RULE_KEYS)}")
        fmt = entry.get("format")
        if fmt is not None and fmt not in DATA_FORMATS:
            raise ConfigError(f"{path}: {where} key 'format' must be one of {', '.join(DATA_FORMATS)}")
        pointers = _string_list(entry.get("pointers", []), path, "data.pointers")
        for pointer in pointers:
            if not pointer.startswith("/"):
                raise ConfigError(f"{path}: {where} pointer {pointer!r} must start with '/'")
        paths = _string_list(entry.get("paths", []), path, "data.paths")
        if not paths or not pointers:
            raise ConfigError(f"{path}: {where} needs both 'paths' and 'pointers'")
        rules.append(DataRule(paths, pointers, fmt))
    return tuple(rules)


def _text_table(value: Any, path: Path) -> dict[str, Any]:
    """``[tool.migrator.text]``: extra prompt globs and the expand-phase wording."""
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [tool.migrator] key 'text' must be a table")
    for key in value:
        if key not in TEXT_KEYS:
            raise ConfigError(f"{path}: {_unknown('[tool.migrator.text]', key, TEXT_KEYS)}")
    out: dict[str, Any] = {"paths": _string_list(value.get("paths", []), path, "text.paths")}
    name_both = value.get("name-both", False)
    if not isinstance(name_both, bool):
        raise ConfigError(f"{path}: [tool.migrator.text] key 'name-both' must be true or false")
    out["name-both"] = name_both
    return out


class Settings(TypedDict, total=False):
    """The keywords of :func:`load_options` and :func:`load_projects`: the
    command line's settings, each None when not given."""

    phase: str | None
    min_confidence: str | None
    jobs: int | None
    target_version: str | None
    gateway_version: str | None
    config: str | Path | None
    manifest: Manifest | None
    cwd: Path | None
    use_cache: bool | None
    exclude: tuple[str, ...] | None
    extend_exclude: tuple[str, ...]


def load_options(paths: tuple[str, ...] | list[str] = (), **settings: Unpack[Settings]) -> Options:
    """The options of a run over ``paths`` as one project: that of ``config``,
    else of the first path (:func:`load_projects` gives each path its own).
    Explicit arguments win over ``[tool.migrator]``, which wins over defaults.
    ``exclude`` replaces the configured globs, ``extend_exclude`` adds to them
    (as ruff's flags do).
    """
    given, flags, manifest, cwd = _settings(paths, settings)
    config = settings.get("config")
    config_file = _given_config(config) if config is not None else find_config(_absolute(given[0], cwd))
    return _build(given, config_file, flags, manifest, cwd)


def load_projects(paths: tuple[str, ...] | list[str] = (), **settings: Unpack[Settings]) -> tuple[Options, ...]:
    """The options of a run, one per project: each path goes with the nearest
    ``[tool.migrator]`` above it, and paths under the same table share one
    :class:`Options` (in the order the paths were given). A path under no
    table (an OpenClaw state dir, a loose file) goes with the first project
    given, as every path did before projects were told apart. ``config``
    names one table for every path. Explicit arguments win over every
    project's table. Every table is read before anything runs, so a bad one
    stops the run before it writes anything.
    """
    given, flags, manifest, cwd = _settings(paths, settings)
    config = settings.get("config")
    if config is not None:
        return (_build(given, _given_config(config), flags, manifest, cwd),)
    # Keyed by the real file (two spellings of one project are one project),
    # built from the path as found (displayed and matched as the user wrote it).
    found: dict[Path, Path] = {}
    groups: dict[Path | None, list[Path]] = {}
    # A project nested in a given directory is a project of the run too: its
    # files get its table whether the directory is walked (CI) or the files
    # are given one by one (the pre-commit hook). The nearer project wins.
    nested = (n for p in given for n in _nested_projects(_absolute(p, cwd), p))
    for path in dict.fromkeys([*given, *nested]):
        config_file = find_config(_absolute(path, cwd))
        key = config_file.resolve() if config_file is not None else None
        if config_file is not None:
            found.setdefault(config_file.resolve(), config_file)
        groups.setdefault(key, []).append(path)
    loose = groups.pop(None, [])
    if not groups:
        return (_build(given, None, flags, manifest, cwd),)
    first = next(iter(groups))
    groups[first] = [p for p in given if p in groups[first] or p in loose]
    return tuple(_build(tuple(members), found[key], flags, manifest, cwd)
                 for key, members in groups.items() if key is not None)


def _nested_projects(directory: Path, shown: Path) -> list[Path]:
    """The directories below ``directory`` (spelt from ``shown``) holding a
    ``pyproject.toml`` with a ``[tool.migrator]`` table, past the folders a
    scan skips and without following links."""
    from migrator.files import SKIP_DIRS

    if not directory.is_dir():
        return []
    out: list[Path] = []
    for here, dirs, files in os.walk(directory):
        if "pyvenv.cfg" in files:  # a virtualenv: skipped, as a scan skips it
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        if here == str(directory) or "pyproject.toml" not in files:
            continue
        try:
            text = Path(here, "pyproject.toml").read_bytes()
        except OSError:
            continue  # an unreadable table is said when its files are read
        if b"[tool.migrator" in text:
            out.append(shown / Path(here).relative_to(directory))
    return out


def _settings(paths: tuple[str, ...] | list[str], settings: Settings) -> tuple[tuple[Path, ...], "_Flags", Manifest, Path]:
    """The given paths (``.`` when none), the flags, the manifest and the directory of a run."""
    given = tuple(Path(p) for p in (paths or ["."]))
    flags = _Flags(settings.get("phase"), settings.get("min_confidence"), settings.get("jobs"),
                   settings.get("target_version"), settings.get("gateway_version"), settings.get("use_cache"),
                   settings.get("exclude"), tuple(settings.get("extend_exclude", ())))
    return given, flags, settings.get("manifest") or load_manifest(), settings.get("cwd") or Path.cwd()


@dataclass(frozen=True)
class _Flags:
    """The command line's settings, which win over every project's table."""

    phase: str | None
    min_confidence: str | None
    jobs: int | None
    target_version: str | None
    gateway_version: str | None
    use_cache: bool | None
    exclude: tuple[str, ...] | None
    extend_exclude: tuple[str, ...]


def _absolute(path: Path, cwd: Path) -> Path:
    # Normalised, so the walk up for a config (``../b``) climbs real parents.
    # A path that does not exist (a --stdin-filename) still finds the config above it.
    return Path(os.path.normpath(path if path.is_absolute() else cwd / path))


def _given_config(config: str | Path) -> Path:
    config_file = Path(config)
    if not config_file.is_file():
        raise ConfigError(f"{config_file}: configuration file not found")
    return config_file


def _build(given: tuple[Path, ...], config_file: Path | None, flags: _Flags, manifest: Manifest,
           cwd: Path) -> Options:
    """One project's options: its table under the command line's flags."""
    table = read_config(config_file) if config_file else {}
    where = config_file or Path("pyproject.toml")
    root = config_file.parent if config_file else cwd
    target_version, gateway_version, phase = flags.target_version, flags.gateway_version, flags.phase

    target = target_version or table.get("target-version")
    if phase is None:
        phase = table.get("phase")
        source = "[tool.migrator] phase" if phase else ""
    else:
        source = "--phase"
    if phase is None and target:
        try:
            version = parse_version(str(target))
        except ValueError as exc:
            named = "--target-version" if target_version else f"{where}: [tool.migrator] key 'target-version'"
            raise ConfigError(f"{named}: {exc}") from None
        phase = manifest.schedule.phase_for(version)
        source = f"target-version {target} (sunset {manifest.schedule.sunset_text})"
    if phase is None:
        phase, source = "expand", "default"
    if phase not in PHASES:
        raise ConfigError(f"{where}: [tool.migrator] key 'phase' must be one of {', '.join(PHASES)}, not {phase!r}")

    confidence = flags.min_confidence or table.get("min-confidence", "likely")
    if confidence not in CONFIDENCES:
        raise ConfigError(f"{where}: [tool.migrator] key 'min-confidence' must be one of "
                          f"{', '.join(CONFIDENCES)}, not {confidence!r}")

    jobs = flags.jobs
    if jobs is None or jobs <= 0:
        # Auto: every core; the pipeline still runs small jobs in-process.
        jobs = os.cpu_count() or 1
    respect = table.get("respect-gitignore", True)
    if not isinstance(respect, bool):
        raise ConfigError(f"{where}: [tool.migrator] key 'respect-gitignore' must be true or false")
    cache = table.get("cache", True) if flags.use_cache is None else flags.use_cache
    text = _text_table(table.get("text", {}), where)
    gw = gateway_version or table.get("gateway-version")
    if gw is not None:
        try:
            parse_version(str(gw))
        except ValueError as exc:
            named = "--gateway-version" if gateway_version else f"{where}: [tool.migrator] key 'gateway-version'"
            raise ConfigError(f"{named}: {exc}") from None
    exclude = _string_list(table.get("exclude", []), where, "exclude") if flags.exclude is None else flags.exclude
    return Options(
        manifest=manifest,
        paths=given,
        root=root,
        phase=phase,  # type: ignore[arg-type,unused-ignore]
        phase_source=source,
        min_confidence=confidence,
        jobs=jobs,
        include=_string_list(table.get("include", []), where, "include"),
        exclude=exclude + flags.extend_exclude,
        markers=_string_list(table.get("markers", []), where, "markers"),
        data_rules=_data_rules(table.get("data", []), where),
        text=TextOptions(tuple(text["paths"]), bool(text["name-both"])),
        gateway_version=str(gw) if gw is not None else None,
        respect_gitignore=respect,
        config_file=config_file,
        cache_dir=(root / ".migrator" / "cache") if cache else None,
    )
