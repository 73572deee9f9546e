"""The one client of the gateway: ``POST /tools/invoke`` over httpx."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx

# Statuses a row keeps once its run is over (``running`` and ``queued`` are not).
ENDED = frozenset({"done", "failed", "killed", "timeout"})


class UpstreamError(Exception):
    """The gateway could not be asked; ``kind`` picks the HTTP status we answer with."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class Gateway:
    def __init__(self, base_url: str, token: str, *, timeout: float = 15.0) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(timeout, connect=3.0),
        )

    @classmethod
    def from_env(cls) -> "Gateway":
        port = os.environ.get("OPENCLAW_GATEWAY_PORT", "18789")
        return cls(
            os.environ.get("CLAWAPI_GATEWAY_URL", f"http://127.0.0.1:{port}"),
            os.environ["OPENCLAW_GATEWAY_TOKEN"],
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def invoke(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        try:
            resp = await self._client.post("/tools/invoke", json={"tool": tool, "args": args})
        except httpx.TimeoutException as exc:
            raise UpstreamError("timeout", f"{tool}: {exc}") from exc
        except httpx.TransportError as exc:
            raise UpstreamError("unreachable", f"{tool}: {exc}") from exc
        if resp.status_code == 404:
            raise UpstreamError("not_allowed", f"{tool} is not allowed over HTTP")
        body = resp.json()
        if not body.get("ok"):
            err = body.get("error") or {}
            raise UpstreamError("tool_error", f"{err.get('type')}: {err.get('message')}")
        result = body["result"]
        details = result.get("details")
        if isinstance(details, dict):
            return details
        return json.loads(result["content"][0]["text"])

    async def sessions(self, *, agent_id: str | None = None, search: str | None = None) -> list[dict[str, Any]]:
        """Every visible row, page by page (the tool gives at most 200 at a time)."""
        args: dict[str, Any] = {"limit": 200, "offset": 0}
        if search:
            args["search"] = search
        rows: list[dict[str, Any]] = []
        while True:
            page = await self.invoke("sessions_list", {**args, **({"agentId": agent_id} if agent_id else {})})
            rows.extend(page.get("sessions") or [])
            if not page.get("hasMore"):
                return rows
            args["offset"] = page.get("nextOffset", args["offset"] + len(page.get("sessions") or []))

    async def ended(self, **kw: Any) -> list[dict[str, Any]]:
        return [row for row in await self.sessions(**kw) if row.get("status") in ENDED]


def read_runs(state_dir: Path) -> list[dict[str, Any]]:
    """Subagent runs from ``subagents/runs.json`` (version 2), newest first."""
    path = state_dir / "subagents" / "runs.json"
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    runs = [{"runId": run_id, **run} for run_id, run in (data.get("runs") or {}).items()]
    return sorted(runs, key=lambda r: r.get("createdAt") or 0, reverse=True)
