"""Collect the results of swarm children through POST /tools/invoke agents_wait."""

from __future__ import annotations

import json
from typing import Any

import httpx

CHILD_OK = "done"


def _details(body: dict[str, Any]) -> dict[str, Any]:
    result = body.get("result") or {}
    if isinstance(result.get("details"), dict):
        return result["details"]
    content = result.get("content") or [{}]
    return json.loads(content[0].get("text") or "{}")


def wait_children(base_url: str, token: str, run_ids: list[str], timeout_s: int = 120) -> dict[str, Any]:
    resp = httpx.post(
        f"{base_url}/tools/invoke",
        headers={"Authorization": f"Bearer {token}"},
        json={"tool": "agents_wait", "args": {"ids": run_ids, "timeoutSeconds": timeout_s}},
        timeout=timeout_s + 10,
    )
    resp.raise_for_status()
    return _details(resp.json())


def split_results(waited: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """Texts of the children that finished well, and the records of those that did not."""
    good: list[str] = []
    bad: list[dict[str, Any]] = []
    for child in waited.get("completed", []):
        if child.get("status") == CHILD_OK:
            good.append(child.get("result", ""))
        elif child.get("status") in ("failed", "killed"):
            bad.append(child)
        elif child.get("status") == "timeout":
            bad.append({**child, "error": child.get("error") or "child run hit its time limit"})
    return good, bad
