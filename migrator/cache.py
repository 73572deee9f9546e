"""The content cache: an unchanged file is not analysed twice.

An entry is found by a key over everything that decides a file's result: its
bytes, where it is (paths appear in findings), migrator's own code, the
manifest, the options that change results, and the tree-wide facts of its
engine (a file's findings can depend on what other modules import). Any change
to one of those is a different key, so an entry is never stale, only unused.

Entries are JSON, never pickle (a cache shipped inside a scanned repository
must not be able to run code), written atomically, and checked on reading: a
damaged entry is a miss, and is replaced.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from migrator.config import Options
from migrator.files import SourcePath
from migrator.findings import FileResult, Finding, Problem
from migrator.journal import MIGRATOR_DIR, atomic_replace, migrator_home

# Bump when the layout of an entry changes.
FORMAT = 2
_PACKAGES = ("migrator", "codemods")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A digest of migrator's own sources and data files.

    A version number alone would miss an edited checkout; hashing ~40 small
    files costs a few milliseconds once per run.
    """
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    base = Path(__file__).resolve().parent.parent
    for package in _PACKAGES:
        for path in sorted((base / package).rglob("*")):
            if path.suffix in (".py", ".toml") and "__pycache__" not in path.parts:
                digest.update(path.relative_to(base).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    """A JSON-ready form of survey facts in a stable order: engines keep
    dataclasses, sets and tuple-keyed dicts there."""
    if isinstance(value, str):
        return value  # most of what a key holds: the memo's parts are mostly strings
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return sorted(([_canonical(k), _canonical(v)] for k, v in value.items()), key=repr)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=repr)
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def fingerprint(value: Any) -> str:
    """A digest of facts (dataclasses, sets, tuple-keyed dicts, bytes) in a stable order."""
    text = json.dumps(_canonical(value), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def options_fingerprint(options: Options) -> str:
    """A digest of the code and every option that changes a file's result
    (:meth:`Options.cache_key`: not paths, jobs or output format)."""
    return fingerprint({"code": code_fingerprint(), "options": options.cache_key()})


class Cache:
    """Entries under ``directory`` (``.migrator/cache`` of the project root)."""

    def __init__(self, directory: Path, options: Options, facts: dict[str, Any]) -> None:
        self.directory = directory
        self._salt = options_fingerprint(options)
        self._facts = {kind: fingerprint(value) for kind, value in facts.items()}
        self.hits = 0
        self.misses = 0

    def key(self, kind: str, source: SourcePath, content: str) -> str:
        """The key of one file's result under this run's options and facts;
        ``content`` is the digest of its bytes (:func:`content_digest`)."""
        digest = hashlib.sha256()
        for part in (self._salt, kind, self._facts.get(kind, ""), source.display, source.rel, content):
            digest.update(part.encode("utf-8", errors="surrogateescape") + b"\0")
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def load(self, key: str, source: SourcePath, kind: str, data: bytes | None) -> FileResult | None:
        """The cached result, or None when there is none or it is damaged."""
        try:
            raw = self._path(key).read_bytes()
        except OSError:
            self.misses += 1
            return None
        try:
            entry = json.loads(raw)
            if entry["key"] != key or entry["format"] != FORMAT:
                raise ValueError("entry does not match its key")
            updated = entry["updated"]
            result = FileResult(
                source.path,
                source.display,
                kind,
                findings=[Finding(**finding) for finding in entry["findings"]],
                original=data,
                updated=base64.b64decode(updated, validate=True) if updated is not None else None,
                error=Problem(**entry["error"]) if entry["error"] is not None else None,
                notes=[str(note) for note in entry["notes"]],
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            # Damaged (a crash mid-write on a filesystem without ordering, a
            # hand edit): analyse again and overwrite it.
            self.misses += 1
            return None
        self.hits += 1
        return result

    def store(self, key: str, result: FileResult) -> None:
        """Write one entry atomically; a cache that cannot be written is no error."""
        if result.plan is not None:
            return  # store plans are re-derived from the live database
        entry = {
            "format": FORMAT,
            "key": key,
            "findings": [dataclasses.asdict(f) for f in result.findings],
            "updated": base64.b64encode(result.updated).decode() if result.updated is not None else None,
            "error": dataclasses.asdict(result.error) if result.error is not None else None,
            "notes": result.notes,
        }
        _write_entry(self.directory, self._path(key), entry)


def _write_entry(cache_dir: Path, path: Path, entry: Any) -> None:
    """Write one JSON entry atomically; a cache that cannot be written is no
    error (the run just does the work again next time)."""
    try:
        _prepare(cache_dir, path.parent)
        # Not durable: a cache entry lost to a power cut is only a miss.
        with atomic_replace(path, 0o644, durable=False) as out:
            out.write(json.dumps(entry, separators=(",", ":")).encode("utf-8"))
    except OSError:
        pass


def _prepare(cache_dir: Path, directory: Path) -> None:
    if directory.is_dir():
        return
    if cache_dir.parent.name == MIGRATOR_DIR:
        migrator_home(cache_dir.parent.parent)  # private, and ignored by git as a whole
    directory.mkdir(parents=True, exist_ok=True)
    ignore = cache_dir / ".gitignore"
    if not ignore.exists():
        # Like .ruff_cache: the cache never shows up in `git status`.
        ignore.write_text("# Created by migrator; safe to delete.\n*\n", encoding="utf-8")


class Memo:
    """Cached answers of a tree-wide step (an engine's ``gather``), keyed by
    the run's options and whatever the step says its answer depends on.

    Same rules as file entries: JSON only, atomic writes, a damaged entry is a
    miss. Answers are also held for the rest of the run, with caching off too
    (``directory`` None): the gathering asks some questions again in later
    rounds with the same inputs.
    """

    def __init__(self, directory: Path | None, options: Options) -> None:
        self.directory = directory
        self._salt = options_fingerprint(options)
        # The run's answers as JSON text: each get returns a fresh value, as a
        # read from disk does, so no caller shares one with another.
        self._held: dict[str, str] = {}

    def _key(self, namespace: str, parts: list[Any]) -> str:
        return fingerprint([FORMAT, self._salt, namespace, parts])

    def _path(self, directory: Path, key: str) -> Path:
        return directory / "memo" / key[:2] / f"{key}.json"

    def get(self, namespace: str, parts: list[Any]) -> Any:
        """The stored answer, or None."""
        key = self._key(namespace, parts)
        held = self._held.get(key)
        if held is not None:
            return json.loads(held)
        if self.directory is None:
            return None
        try:
            value = json.loads(self._path(self.directory, key).read_bytes())["value"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        self._held[key] = json.dumps(value, separators=(",", ":"))
        return value

    def put(self, namespace: str, parts: list[Any], value: Any) -> None:
        key = self._key(namespace, parts)
        self._held[key] = json.dumps(value, separators=(",", ":"))
        if self.directory is not None:
            _write_entry(self.directory, self._path(self.directory, key), {"value": value})


def open_memo(options: Options) -> Memo:
    """The memo for tree-wide steps: on disk beside the cache, or held for
    this run only when caching is off."""
    return Memo(options.cache_dir, options)


def open_cache(options: Options, facts: dict[str, Any]) -> Cache | None:
    """The run's cache, or None when caching is off (``--no-cache``)."""
    if options.cache_dir is None:
        return None
    return Cache(options.cache_dir, options, facts)


def content_digest(data: bytes) -> str:
    """The digest of a file's bytes that keys its cached answers."""
    return hashlib.sha256(data).hexdigest()


# --- the stat index ----------------------------------------------------------

# Files changed this recently may change again within the same mtime tick:
# their stat data is not trusted (the next run checks their digest instead).
_RACY_NS = 2_000_000_000


def stat_key(path: Path) -> list[int] | None:
    """What a memo may key a file's answer by instead of its bytes (size,
    mtime in ns, inode), as the stat index trusts them; None for a file
    changed too recently to trust (see ``_RACY_NS``) or not there."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if time.time_ns() - stat.st_mtime_ns < _RACY_NS:
        return None
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


@dataclasses.dataclass(frozen=True)
class Known:
    """What a run learnt of one file without analysing it: the digest of its
    bytes, whether its engine's prefilter passed them, and its survey fact."""

    digest: str
    passed: bool
    fact: Any


class StatIndex:
    """Beside the content cache: per file its path, size, mtime (ns) and
    inode, with what :class:`Known` says of its bytes, all under the key of
    the options and code that shaped the answer (as ruff's cache keeps one
    file per settings). An unchanged file is answered without being opened;
    one whose stat data changed is read, and its digest decides.

    One JSON file, read once and written atomically at the end of a run;
    survey facts are stored as tagged JSON (never pickle), and only
    dataclasses of an engine's own module are rebuilt from it.
    """

    def __init__(self, directory: Path, options: Options, modules: dict[str, str]) -> None:
        self.directory = directory
        self.path = directory / f"index-{options_fingerprint(options)[:32]}.json"
        self._modules = modules
        self._started = time.time_ns()
        self._dirty = False
        self._entries: dict[str, list[Any]] = {}
        try:
            loaded = json.loads(self.path.read_bytes())
            if isinstance(loaded, dict) and loaded.get("format") == FORMAT and isinstance(loaded.get("files"), dict):
                self._entries = loaded["files"]
        except (OSError, ValueError):
            pass  # none yet, or damaged: every file is read once more

    def recall(self, kind: str, source: SourcePath) -> tuple[os.stat_result | None, Known | None]:
        """The file's stat data, and what is known of it if that is unchanged."""
        try:
            stat = os.stat(source.path)
        except OSError:
            return None, None
        entry = self._entries.get(str(source.path))
        if (entry is None or entry[0] != kind or entry[1] != source.rel or entry[2] != source.display
                or entry[3:6] != [stat.st_size, stat.st_mtime_ns, stat.st_ino]):
            return stat, None
        return stat, self._known(entry)

    def by_digest(self, kind: str, source: SourcePath, digest: str) -> Known | None:
        """What is known of the file if its bytes are unchanged (a touched
        file, a checkout that rewrote it as it was)."""
        entry = self._entries.get(str(source.path))
        if entry is None or entry[0] != kind or entry[1] != source.rel or entry[2] != source.display or entry[6] != digest:
            return None
        return self._known(entry)

    def _known(self, entry: list[Any]) -> Known | None:
        try:
            return Known(entry[6], bool(entry[7]), decode_fact(entry[8], self._modules.get(entry[0], "")))
        except (ValueError, TypeError, KeyError, AttributeError, IndexError):
            return None  # damaged: read the file again

    def remember(self, kind: str, source: SourcePath, stat: os.stat_result | None, known: Known) -> None:
        """Record the file as this run saw it."""
        if stat is None:
            return
        try:
            fact = encode_fact(known.fact)
        except TypeError:
            return  # a fact JSON cannot hold: the file is surveyed every run
        racy = self._started - stat.st_mtime_ns < _RACY_NS
        entry = [kind, source.rel, source.display, stat.st_size, -1 if racy else stat.st_mtime_ns, stat.st_ino,
                 known.digest, known.passed, fact]
        if self._entries.get(str(source.path)) != entry:
            self._entries[str(source.path)] = entry
            self._dirty = True

    def save(self) -> None:
        """Write the index if anything changed; failing to is no error."""
        if self._dirty:
            _write_entry(self.directory, self.path, {"format": FORMAT, "files": self._entries})
            self._dirty = False


def open_index(options: Options, modules: dict[str, str]) -> StatIndex | None:
    """The run's stat index (``modules``: each engine kind's module, whose
    dataclasses its survey facts may be), or None when caching is off."""
    if options.cache_dir is None:
        return None
    return StatIndex(options.cache_dir, options, modules)


def encode_fact(value: Any) -> Any:
    """Survey facts as JSON that :func:`decode_fact` turns back into equal values."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, bytes):
        return {"b": base64.b64encode(value).decode()}
    if isinstance(value, tuple):
        return {"t": [encode_fact(v) for v in value]}
    if isinstance(value, list):
        return {"l": [encode_fact(v) for v in value]}
    if isinstance(value, dict):
        return {"m": [[encode_fact(k), encode_fact(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"d": type(value).__qualname__,
                "f": {f.name: encode_fact(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    raise TypeError(f"a survey fact of type {type(value).__name__} cannot be stored")


def decode_fact(value: Any, module: str) -> Any:
    if not isinstance(value, dict):
        return value
    if "b" in value:
        return base64.b64decode(value["b"], validate=True)
    if "t" in value:
        return tuple(decode_fact(v, module) for v in value["t"])
    if "l" in value:
        return [decode_fact(v, module) for v in value["l"]]
    if "m" in value:
        return {decode_fact(k, module): decode_fact(v, module) for k, v in value["m"]}
    # Only a dataclass of the engine's own module: the index cannot name code to run.
    cls = getattr(sys.modules[module], value["d"])
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise ValueError("not a survey dataclass")
    return cls(**{name: decode_fact(v, module) for name, v in value["f"].items()})
