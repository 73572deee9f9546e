"""Engines: one per kind of file. Each turns the bytes of a file into findings
and proposed new bytes (or a store plan); none reads other files or writes.

An engine is registered in :data:`ENGINES`; the pipeline asks each, in order,
whether it claims a discovered file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Protocol

from migrator.config import Options
from migrator.files import SourcePath
from migrator.findings import FileResult
from migrator.rules import Rule


@dataclass(frozen=True)
class Context:
    """What an engine may know beyond its own file: the options, and the facts
    every engine gathered from the whole tree in the survey step."""

    options: Options
    facts: dict[str, Any] = field(default_factory=dict)


class Engine(Protocol):
    """The interface every engine implements."""

    kind: str
    #: False for files the engine opens itself (a database): the pipeline then
    #: neither reads nor prefilters them.
    reads_bytes: bool
    #: False when a result depends on more than the file and the tree facts
    #: (a store's result depends on its gateway's version, read from another
    #: file): the content cache must not answer for it.
    cacheable: bool
    #: True when ``gather`` needs the facts of every file of the project the
    #: run's paths lie in (a run on a few of its files, as a pre-commit hook
    #: makes): the pipeline surveys the project's other files for it, and
    #: reports on none of them.
    project_facts: bool

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule id this engine can emit, each explaining itself."""

    def claims(self, source: SourcePath, options: Options) -> bool:
        """Whether this engine handles the file."""

    def prefilter(self, data: bytes) -> bool:
        """Cheap byte test: False means the file cannot hold a finding."""

    def survey(self, source: SourcePath, data: bytes) -> Any:
        """A small, picklable fact about any claimed file (even one the
        prefilter rejects), or None. Collected before any file is processed."""

    def gather(
        self, surveyed: Iterable[tuple[SourcePath, Any]], options: Options, digests: Mapping[str, str] | None = None
    ) -> Any:
        """Combine the survey facts into the tree-wide fact for :class:`Context`.
        ``digests``: the content digest of each surveyed file (by its path,
        as ``str(source.path)``), which an engine may key a memo of its answer with."""

    def adopted(self, fact: Any) -> set[str]:
        """The files (by ``rel``) the prefilter passed over that the
        tree-wide fact shows to hold findings after all: they are processed too."""

    def process(self, source: SourcePath, data: bytes | None, context: Context) -> FileResult:
        """Findings and proposed changes for one file."""

    def verify(self, source: SourcePath, result: FileResult, context: Context) -> str | None:
        """Safety check of a proposed change: None, or why it must not land."""

    def load(self) -> None:
        """Import what processing needs and claiming does not (called before
        workers fork, and never by a run the caches answer)."""


class BaseEngine:
    """Defaults for the optional steps: no byte filter, no survey, no
    tree-wide facts, nothing to verify beyond what ``process`` proves."""

    reads_bytes = True
    cacheable = True
    project_facts = False

    @property
    def rules(self) -> tuple[Rule, ...]:
        return ()

    def prefilter(self, data: bytes) -> bool:
        return True

    def survey(self, source: SourcePath, data: bytes) -> Any:
        return None

    def gather(
        self, surveyed: Iterable[tuple[SourcePath, Any]], options: Options, digests: Mapping[str, str] | None = None
    ) -> Any:
        return None

    def adopted(self, fact: Any) -> set[str]:
        return set()

    def verify(self, source: SourcePath, result: FileResult, context: Context) -> str | None:
        return None

    def load(self) -> None:
        return None


def registered(options: Options | None = None) -> list[Engine]:
    """The engines in the order they are asked, built for ``options`` (which
    they compile their patterns from, once). Without options they serve only
    to list their rules."""
    from migrator.engines.data import DataEngine, JsonlEngine
    from migrator.engines.python import PythonEngine
    from migrator.engines.sqlite import SqliteEngine
    from migrator.engines.prompts import TextEngine

    # Data engines before text: a store or data rule is edited as data.
    # The Python engine still prepares its patterns on its first claim.
    return [PythonEngine(), SqliteEngine(), JsonlEngine(), DataEngine(options), TextEngine(options)]


@functools.lru_cache(maxsize=8)  # a run or two at a time; tests make many
def engines_for(options: Options) -> dict[str, Engine]:
    """This run's engines by kind, in the order they are asked: built once
    per (hashable, frozen) options."""
    return {engine.kind: engine for engine in registered(options)}
