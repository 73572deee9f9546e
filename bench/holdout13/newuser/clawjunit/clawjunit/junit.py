"""JUnit XML: one testcase per session, the failure kind chosen by its status."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

# A crashed run is an error, a run cut by its time limit a failure, a run a
# person stopped is skipped; the rest pass.
ELEMENT = {"failed": "error", "timeout": "failure", "killed": "skipped"}


def testcase(suite: ET.Element, row: dict[str, Any]) -> None:
    status = row.get("status") or "unknown"
    runtime = (row.get("runtimeMs") or 0) / 1000
    case = ET.SubElement(
        suite,
        "testcase",
        name=row.get("label") or row["key"],
        classname=row.get("agentId", "main"),
        time="%.3f" % runtime,
    )
    kind = ELEMENT.get(status)
    if kind == "skipped":
        ET.SubElement(case, "skipped", message="stopped by a user")
    elif kind is not None:
        ET.SubElement(case, kind, message="session ended " + status, type=status)
    ET.SubElement(case, "system-out").text = row["key"]


def suite_xml(name: str, rows: Sequence[dict[str, Any]]) -> tuple[str, ET.ElementTree]:
    """The verdict of the CI job and the document to write."""
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", name=name, tests=str(len(rows)))
    for row in rows:
        testcase(suite, row)
    errors = sum(1 for row in rows if row.get("status") == "failed")
    failures = sum(1 for row in rows if row.get("status") == "timeout")
    suite.set("errors", str(errors))
    suite.set("failures", str(failures))
    verdict = "failed" if errors or failures else "passed"
    return verdict, ET.ElementTree(suites)
