"""The base of the engines that open their own files (an agent database, a
streamed JSONL file), and the rules every stored-data engine declares."""

from __future__ import annotations

import functools
from typing import Any

from migrator.config import Options
from migrator.engines import BaseEngine, Context
from migrator.files import SourcePath
from migrator.findings import FileResult, problem
from migrator.manifest import load_manifest
from migrator.rules import Rule
from migrator.targets import DATA_RULE, Target, symlink_escape, target_for


def store_rules(formats: tuple[str, ...], user_rules: bool) -> tuple[Rule, ...]:
    """The rules of an engine that edits stored data of ``formats``: one
    ``store:<name>`` per built-in store of the manifest in those formats, and
    ``data-rule`` for the files ``[[tool.migrator.data]]`` names."""
    manifest = load_manifest()
    pairs = ", ".join(f"`{old}` -> `{new}`" for old, new in manifest.vocabulary.old_to_new.items())
    safety = ("Only the named values change; every other byte is kept. Each write is journalled "
              "and `migrator rollback` restores the original. Before the sunset (expand) a store "
              "is migrated only once its gateway reads the new names; an older gateway keeps it.")
    out = []
    for store in manifest.stores:
        if store.format not in formats:
            continue
        where = [*store.pointers, *store.columns, *(f"{doc} {ptr}" for doc, ptrs in store.documents.items() for ptr in ptrs)]
        out.append(Rule(
            name=f"store:{store.name}",
            summary=f"An old session-status value in OpenClaw's {store.name} store ({', '.join(store.paths)}).",
            why=f"The gateway writes session statuses at {', '.join(where)}; after the rename it reads "
                f"the new names ({pairs}), so stored rows with old names must be migrated with it.",
            safety=safety,
        ))
    if user_rules:
        out.append(Rule(
            name=DATA_RULE,
            summary="An old session-status value at a pointer a [[tool.migrator.data]] rule names.",
            why="Your own copies of session rows (exports, caches, configs) keep the old names "
                f"unless migrated with the gateway ({pairs}).",
            safety=safety.replace(" Before the sunset (expand) a store is migrated only once its "
                                  "gateway reads the new names; an older gateway keeps it.",
                                  " Only values at the rule's pointers change."),
        ))
    return tuple(out)


class StoreEngine(BaseEngine):
    """What every engine of files it opens itself (a database, a streamed
    JSONL file) shares: it claims the files whose data target has its
    format, declares the rules of that format, and refuses a symlink that
    leads out of the root before :meth:`read` opens the file."""

    #: The format of the files, also the engine's kind.
    kind: str
    format: str
    #: Whether ``[[tool.migrator.data]]`` rules may name files of the format.
    user_rules: bool
    # Such a file is read by its engine, and its result depends on the
    # gateway's version in another file: never prefiltered, never cached.
    reads_bytes = False
    cacheable = False

    def __init_subclass__(cls, *, fmt: str, user_rules: bool, **kwargs: Any) -> None:
        """``class SqliteEngine(StoreEngine, fmt="sqlite", user_rules=False)``."""
        super().__init_subclass__(**kwargs)
        cls.kind = cls.format = fmt
        cls.user_rules = user_rules

    @functools.cached_property
    def rules(self) -> tuple[Rule, ...]:
        return store_rules((self.format,), self.user_rules)

    def claims(self, source: SourcePath, options: Options) -> bool:
        target = target_for(source, options)
        return target is not None and target.format == self.format

    def process(self, source: SourcePath, data: bytes | None, context: Context) -> FileResult:
        """The file's result: one that escapes the root is refused here, any
        other is read by :meth:`read`."""
        target = target_for(source, context.options)
        assert target is not None
        result = FileResult(source.path, source.display, self.kind)
        result.error = problem(symlink_escape(source), "unreadable")
        return result if result.error else self.read(source, target, result, context)

    def read(self, source: SourcePath, target: Target, result: FileResult, context: Context) -> FileResult:
        """Open the file, survey it and fill in ``result``."""
        raise NotImplementedError
