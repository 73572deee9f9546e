"""``--emit-patches DIR``: the RFC 6902 documents of a run, for review.

One file per changed data file, named after its path (``/`` -> ``__``), in
the form its change declares (see :mod:`migrator.changes`): ``.json`` holding
the patch of a whole document, ``.jsonl`` one ``{"line": n, "patch": [...]}``
per changed line, or for a database the per-row patches and the widened
CHECKs. These are reports, not user files, so they are written plainly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from migrator.changes import change_of
from migrator.pipeline import Run


def _name(display: str) -> str:
    return display.replace("\\", "/").lstrip("./").replace("/", "__") or "document"


def emit(run: Run, directory: Path) -> Iterator[str]:
    """Write the patch of every changed data file of ``run``; yield each path."""
    directory.mkdir(parents=True, exist_ok=True)
    for result in run.changed:
        change = change_of(result)
        suffix = change.patch_suffix if change is not None else None
        if change is None or suffix is None:
            continue
        target = directory / (_name(result.display) + suffix)
        with open(target, "w", encoding="utf-8") as handle:
            change.write_patch(handle)
        yield str(target)
