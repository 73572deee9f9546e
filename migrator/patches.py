"""``--emit-patches DIR``: the RFC 6902 documents of a run, for review.

One file per changed data file, named after its path (``/`` -> ``__``):
``.json`` holding the patch of a whole document, ``.jsonl`` one
``{"line": n, "patch": [...]}`` per changed line, or for a database the
per-row patches and the widened CHECKs. These are reports, not user files,
so they are written plainly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from migrator.pipeline import Run


def _name(display: str) -> str:
    return display.replace("\\", "/").lstrip("./").replace("/", "__") or "document"


def emit(run: Run, directory: Path) -> Iterator[str]:
    """Write the patch of every changed data file of ``run``; yield each path."""
    directory.mkdir(parents=True, exist_ok=True)
    for result in run.changed:
        if result.patch is not None:
            target = directory / (_name(result.display) + ".patch.json")
            target.write_text(json.dumps(result.patch, indent=2) + "\n", encoding="utf-8")
        elif result.plan is not None and hasattr(result.plan, "write_patches"):
            suffix = ".patch.jsonl" if result.kind == "jsonl" else ".patch.json"
            target = directory / (_name(result.display) + suffix)
            with open(target, "w", encoding="utf-8") as handle:
                result.plan.write_patches(handle)
        else:
            continue
        yield str(target)
