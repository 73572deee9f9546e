"""The site test on the stdlib ast: which files go on to the full analysis."""

from __future__ import annotations

import re
import textwrap

import pytest

from codemods.sites import Sites
from migrator.manifest import load_manifest

MANIFEST = load_manifest()
QUOTED = re.compile(rb"[\"'](?:done|failed|timeout|killed)[\"']")
SITES = Sites(MANIFEST, QUOTED)


@pytest.mark.parametrize(
    ("code", "talks", "site"),
    [
        ('if row["status"] == "done":\n    pass\n', False, True),
        ('st = row.get("status")\nother = st\nif other == "failed":\n    pass\n', False, True),
        ('if kind == "timeout":\n    pass\n', False, False),  # a name that is no status
        ('if "done" in result:\n    pass\n', False, False),  # the literal is the subject
        ('TABLE = {"done": 1}\nx = TABLE["other"]\n', False, False),  # a literal key is no dispatch
        ('TABLE = {"done": 1}\nx = TABLE.get(row["status"])\n', False, True),
        ('FINISHED = ("done", "failed")\nok = job.status in FINISHED\n', False, True),
        ('entry["status"] = "killed"\n', False, True),
        ('row = SessionRow(key, "killed")\n', False, True),
        ('State = Literal["done", "failed"]\n', False, False),  # a Literal counts where the module talks
        ('State = Literal["done", "failed"]\n', True, True),
        ('log("the job failed")\n', False, False),
        ('raise ValueError("status must be done or failed")\n', True, True),
    ],
)
def test_sites(code: str, talks: bool, site: bool) -> None:
    assert SITES.found(textwrap.dedent(code).encode(), talks) is site


def test_names_bound_from_names_do_not_recurse() -> None:
    chain = "st = row['status']\n" + "".join(f"n{i} = n{i - 1 if i else 'st'}\n" for i in range(2000))
    # Beyond the steps the provenance follows, a name is no status.
    assert SITES.found((chain + "if n1999 == 'done':\n    pass\n").encode(), False) is False
    assert SITES.found(b"a = b\nb = a\nif a == 'done':\n    pass\n", False) is False


@pytest.mark.parametrize(
    ("code", "site"),
    [
        # Compared with a word of another vocabulary in the same function: the
        # provenance leaves it, so a module tied to nothing never reaches LibCST.
        ('def f(video):\n    return video.status == "completed" or video.status == "failed"\n', False),
        ('def f(info):\n    return info["status"] in ("error", "timeout")\n', False),
        ('def f(job):\n    job.status = "timeout"\n', False),  # written to a record a foreign name holds
        # Read from a record a foreign name holds, or tested with a constant of another vocabulary.
        ('def f(job):\n    return job.get("status") == "done"\n', False),
        ('TERMINAL = ("completed", "timeout", "error")\n\ndef f(x):\n    return x.status in TERMINAL\n', False),
        ('TERMINAL = ("done", "timeout")\n\ndef f(x):\n    return x.status in TERMINAL\n', True),
        # The words of another function do not count; nor does an unrelated subject.
        ('def f(r):\n    return r["status"] == "failed"\n\ndef g(r):\n    return r["status"] == "error"\n', True),
        ('def f(r, v):\n    return r["status"] == "failed" or v.status == "error"\n', True),
        ('def f(row):\n    row["status"] = "killed"\n', True),
        ('entry = {"status": "failed"}\n', True),  # a dict literal with a status key: always listed
    ],
)
def test_sites_of_another_vocabulary_where_nothing_ties_the_module(code: str, site: bool) -> None:
    from codemods.session_status import StatusRewriter

    assert SITES.found(code.encode(), False) is True
    assert SITES.found(code.encode(), False, untied=True) is site
    if not site:  # the full analysis agrees: nothing to report, in either phase
        for phase in ("expand", "contract"):
            result = StatusRewriter(MANIFEST, phase).rewrite(code.encode())  # type: ignore[arg-type]
            assert not result.findings and not result.kept, phase


def test_the_untied_shortcut_drops_no_finding() -> None:
    """Over every Python file of the corpus and the fixtures: a file the
    shortcut stops has no finding in either phase."""
    from pathlib import Path

    from codemods.session_status import StatusRewriter

    root = Path(__file__).resolve().parents[2]
    files = [*(root / "bench" / "corpus").rglob("*.py"), *(root / "fixtures" / "python").rglob("*.py")]
    stopped = 0
    for path in files:
        data = path.read_bytes()
        tokens = [t.lower().encode() for t in (*MANIFEST.python.sources.tokens, *MANIFEST.python.evidence_imports)]
        if path.name == "score.py" or not QUOTED.search(data) or any(t in data.lower() for t in tokens):
            continue  # the engine calls a module untied only when it names no session source
        if SITES.found(data, False) and not SITES.found(data, False, untied=True):
            stopped += 1
            for phase in ("expand", "contract"):
                result = StatusRewriter(MANIFEST, phase).rewrite(data)  # type: ignore[arg-type]
                assert not result.findings and not result.kept, f"{path} ({phase})"
    assert stopped >= 1  # the shortcut is exercised
