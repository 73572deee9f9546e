"""The rename as data: load, validate and expose one manifest.

Every part of migrator (codemods, data rules, the gateway compatibility layer,
the deprecation headers, MIGRATION.md's table) reads the rename from the object
returned by :func:`load_manifest`. No status word appears in engine code.
"""

from __future__ import annotations

import datetime as _dt
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Mapping

from packaging.version import InvalidVersion, Version

from migrator.errors import ConfigError

Phase = Literal["expand", "contract"]
PHASES: tuple[Phase, ...] = ("expand", "contract")

DEFAULT_MANIFEST = "session_status.toml"

_CALVER_PREFIX = re.compile(r"^[vV](?=\d)")
# OpenClaw stamps build metadata after the version in some places
# ("2026.9.6-release-eb377ac5..."); only the leading version counts.
_CALVER_RELEASE = re.compile(r"^(\d+\.\d+\.\d+)-release\b.*$")


def parse_version(text: str) -> Version:
    """Parse an OpenClaw CalVer version (``2026.4.12``, ``2026.4.12-beta.1``,
    ``2026.4.7-1``, ``2027.1.0-alpha.2``) into an orderable ``Version``.

    ``-beta.N`` and ``-alpha.N`` are pre-releases (ordered before the release),
    ``-N`` is a correction (ordered after it): this is PEP 440's reading of the
    same spellings, so ``packaging`` does the comparison; never compare as text.
    """
    cleaned = _CALVER_PREFIX.sub("", text.strip())
    cleaned = _CALVER_RELEASE.sub(r"\1", cleaned)
    try:
        return Version(cleaned)
    except InvalidVersion:
        raise ValueError(f"not an OpenClaw version: {text!r}") from None


@dataclass(frozen=True)
class Vocabulary:
    """The old and new names of one renamed field, as a bijection."""

    field: str
    old_to_new: Mapping[str, str]
    unchanged: tuple[str, ...]

    @property
    def new_to_old(self) -> dict[str, str]:
        return {new: old for old, new in self.old_to_new.items()}

    @property
    def old(self) -> frozenset[str]:
        return frozenset(self.old_to_new)

    @property
    def new(self) -> frozenset[str]:
        return frozenset(self.old_to_new.values())

    @property
    def all_values(self) -> frozenset[str]:
        """Every value of the vocabulary: old, new and unchanged names."""
        return self.old | self.new | frozenset(self.unchanged)

    def to_new(self, value: str) -> str:
        return self.old_to_new.get(value, value)

    def to_old(self, value: str) -> str:
        return self.new_to_old.get(value, value)


@dataclass(frozen=True)
class Schedule:
    """Gateway versions and HTTP dates of the deprecation window."""

    introduced: Version
    sunset: Version
    introduced_text: str
    sunset_text: str
    deprecation_date: _dt.date
    sunset_date: _dt.date
    link: str

    def phase_for(self, gateway_version: Version) -> Phase:
        """The code phase for code that must talk to ``gateway_version``."""
        return "contract" if gateway_version >= self.sunset else "expand"


@dataclass(frozen=True)
class StoreSurface:
    """A built-in store (a file kind under an OpenClaw state dir)."""

    name: str
    format: str
    paths: tuple[str, ...]
    pointers: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    documents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class GatewaySurface:
    """A gateway frame that carries the field: a response, event or tool result."""

    kind: Literal["response", "event", "tool"]
    name: str
    pointers: tuple[str, ...]
    text_pointers: tuple[str, ...] = ()


@dataclass(frozen=True)
class PythonSources:
    """Where values come from in Python code: session sources (rows of the
    renamed vocabulary) or foreign ones (another vocabulary's records)."""

    calls: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    containers: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()

    @property
    def tokens(self) -> tuple[str, ...]:
        """Every name of a source, for substring tests of calls and strings."""
        return (*self.calls, *self.paths, *self.tables, *self.events, *self.commands)


@dataclass(frozen=True)
class PythonSurface:
    """How the field shows up in Python caller code."""

    keys: tuple[str, ...]
    attributes: tuple[str, ...]
    evidence: tuple[str, ...]
    evidence_imports: tuple[str, ...]
    mixed_sources: tuple[str, ...]
    foreign_sources: tuple[str, ...]
    foreign_words: frozenset[str]
    sources: PythonSources = field(default_factory=PythonSources)
    foreign: PythonSources = field(default_factory=PythonSources)


@dataclass(frozen=True)
class Manifest:
    """One rename, validated. Build it with :func:`load_manifest`."""

    id: str
    title: str
    reference: str
    vocabulary: Vocabulary
    schedule: Schedule
    capability: str
    python: PythonSurface
    stores: tuple[StoreSurface, ...]
    never_paths: tuple[str, ...]
    gateway: tuple[GatewaySurface, ...]
    source: str

    @property
    def fingerprint(self) -> str:
        """A stable digest of the manifest, for cache keys and journals."""
        import hashlib

        return hashlib.sha256(self.source.encode()).hexdigest()[:16]


def load_manifest(path: str | Path | None = None) -> Manifest:
    """Load and validate a manifest; the built-in session-status one by default.

    Raises :class:`ConfigError` naming the offending key on any problem.
    """
    if path is None:
        text = resources.files("migrator.renames").joinpath(DEFAULT_MANIFEST).read_text("utf-8")
        where = f"migrator/renames/{DEFAULT_MANIFEST}"
    else:
        where = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{where}: cannot read manifest: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: manifest is not valid TOML: {exc}") from None
    return _build(data, where, text)


def _need(data: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in data:
        raise ConfigError(f"{where}: missing key '{key}'")
    value = data[key]
    if not isinstance(value, kind):
        raise ConfigError(f"{where}: key '{key}' has the wrong type ({type(value).__name__})")
    return value


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: key '{key}' must be a list of strings")
    return tuple(value)


_SOURCE_KEYS = ("calls", "paths", "tables", "events", "commands", "containers", "keys")


def _sources(value: Any, where: str, key: str) -> PythonSources:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: key '{key}' must be a table")
    unknown = sorted(set(value) - set(_SOURCE_KEYS))
    if unknown:
        raise ConfigError(f"{where}: key '{key}.{unknown[0]}' is not one of {', '.join(_SOURCE_KEYS)}")
    return PythonSources(**{k: _strings(value.get(k, []), where, f"{key}.{k}") for k in _SOURCE_KEYS})


def _build(data: Mapping[str, Any], where: str, source: str) -> Manifest:
    values = _need(data, "values", where, dict)
    field_name = _need(data, "field", where, str)
    unchanged = _strings(data.get("unchanged", {}).get("values", []), where, "unchanged.values")
    for old, new in values.items():
        if not isinstance(new, str) or not new:
            raise ConfigError(f"{where}: key 'values.{old}' must be a non-empty string")
        if old == new:
            raise ConfigError(f"{where}: key 'values.{old}' renames a value to itself")
    news = list(values.values())
    if len(set(news)) != len(news):
        raise ConfigError(f"{where}: key 'values' is not a bijection: two old names share a new name")
    for old, new in values.items():
        if new in values:
            raise ConfigError(f"{where}: key 'values.{old}': new name '{new}' is also an old name")
        if new in unchanged or old in unchanged:
            raise ConfigError(f"{where}: key 'values.{old}' collides with 'unchanged.values'")
    vocabulary = Vocabulary(field_name, dict(values), unchanged)

    sched = _need(data, "schedule", where, dict)
    try:
        introduced = parse_version(_need(sched, "introduced", where, str))
    except ValueError as exc:
        raise ConfigError(f"{where}: key 'schedule.introduced': {exc}") from None
    try:
        sunset = parse_version(_need(sched, "sunset", where, str))
    except ValueError as exc:
        raise ConfigError(f"{where}: key 'schedule.sunset': {exc}") from None
    if not introduced < sunset:
        raise ConfigError(f"{where}: key 'schedule.sunset' must be a later version than 'schedule.introduced'")
    dates = {}
    for key in ("deprecation-date", "sunset-date"):
        raw = sched.get(key)
        if isinstance(raw, str):
            try:
                raw = _dt.date.fromisoformat(raw)
            except ValueError:
                raise ConfigError(f"{where}: key 'schedule.{key}' is not a date: {raw!r}") from None
        if not isinstance(raw, _dt.date) or isinstance(raw, _dt.datetime):
            raise ConfigError(f"{where}: key 'schedule.{key}' must be a date (YYYY-MM-DD)")
        dates[key] = raw
    if not dates["deprecation-date"] < dates["sunset-date"]:
        raise ConfigError(f"{where}: key 'schedule.sunset-date' must come after 'schedule.deprecation-date'")
    schedule = Schedule(
        introduced=introduced,
        sunset=sunset,
        introduced_text=sched["introduced"],
        sunset_text=sched["sunset"],
        deprecation_date=dates["deprecation-date"],
        sunset_date=dates["sunset-date"],
        link=_need(sched, "link", where, str),
    )

    capability = _need(_need(data, "capability", where, dict), "name", where, str)
    surfaces = _need(data, "surfaces", where, dict)
    py = _need(surfaces, "python", where, dict)
    python = PythonSurface(
        keys=_strings(py.get("keys", [field_name]), where, "surfaces.python.keys"),
        attributes=_strings(py.get("attributes", [field_name]), where, "surfaces.python.attributes"),
        evidence=_strings(py.get("evidence", []), where, "surfaces.python.evidence"),
        evidence_imports=_strings(py.get("evidence-imports", []), where, "surfaces.python.evidence-imports"),
        mixed_sources=_strings(py.get("mixed-sources", []), where, "surfaces.python.mixed-sources"),
        foreign_sources=_strings(py.get("foreign-sources", []), where, "surfaces.python.foreign-sources"),
        foreign_words=frozenset(_strings(py.get("foreign-words", []), where, "surfaces.python.foreign-words")),
        sources=_sources(py.get("sources", {}), where, "surfaces.python.sources"),
        foreign=_sources(py.get("foreign", {}), where, "surfaces.python.foreign"),
    )
    clash = python.foreign_words & vocabulary.all_values
    if clash:
        raise ConfigError(f"{where}: key 'surfaces.python.foreign-words' holds vocabulary values: {sorted(clash)}")

    stores = []
    for i, st in enumerate(surfaces.get("store", [])):
        key = f"surfaces.store[{i}]"
        docs = st.get("documents", {})
        if not isinstance(docs, dict):
            raise ConfigError(f"{where}: key '{key}.documents' must be a table")
        stores.append(
            StoreSurface(
                name=_need(st, "name", f"{where}: {key}", str),
                format=_need(st, "format", f"{where}: {key}", str),
                paths=_strings(st.get("paths", []), where, f"{key}.paths"),
                pointers=_strings(st.get("pointers", []), where, f"{key}.pointers"),
                columns=_strings(st.get("columns", []), where, f"{key}.columns"),
                documents={k: _strings(v, where, f"{key}.documents.{k}") for k, v in docs.items()},
            )
        )
    gateway = []
    for i, gw in enumerate(surfaces.get("gateway", [])):
        key = f"surfaces.gateway[{i}]"
        kind = _need(gw, "kind", f"{where}: {key}", str)
        if kind not in ("response", "event", "tool"):
            raise ConfigError(f"{where}: key '{key}.kind' must be response, event or tool")
        gateway.append(
            GatewaySurface(
                kind=kind,  # type: ignore[arg-type,unused-ignore]
                name=_need(gw, "name", f"{where}: {key}", str),
                pointers=_strings(gw.get("pointers", []), where, f"{key}.pointers"),
                text_pointers=_strings(gw.get("text-pointers", []), where, f"{key}.text-pointers"),
            )
        )
    never = _strings(surfaces.get("never", {}).get("paths", []), where, "surfaces.never.paths")
    return Manifest(
        id=_need(data, "id", where, str),
        title=data.get("title", ""),
        reference=data.get("reference", ""),
        vocabulary=vocabulary,
        schedule=schedule,
        capability=capability,
        python=python,
        stores=tuple(stores),
        never_paths=never,
        gateway=tuple(gateway),
        source=source,
    )
