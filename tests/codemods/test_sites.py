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
