"""``POST /tools/invoke`` over aiohttp: ``sessions_list`` pages and ``agents_wait``."""

from __future__ import annotations

import json
from typing import Any, Literal, TypedDict

import aiohttp

from .backoff import GatewayCallError, Policy, with_retry

# the `status` of a sessions_list row (the last run of the session)
RunStatus = Literal["queued", "running", "done", "failed", "killed", "timeout"]
# the `status` of one completed child in an agents_wait result
ChildStatus = Literal["done", "failed", "killed", "timeout"]


class SessionRow(TypedDict, total=False):
    key: str
    sessionId: str
    agentId: str
    kind: str
    status: RunStatus
    abortedLastRun: bool
    lastRunError: str
    updatedAt: int


class WaitedChild(TypedDict, total=False):
    runId: str
    status: ChildStatus
    sessionKey: str
    result: str
    error: str


class ToolsClient:
    def __init__(self, base_url: str, token: str, policy: Policy | None = None) -> None:
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._policy = policy or Policy()
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> ToolsClient:
        self._http = aiohttp.ClientSession(
            base_url=self._base_url,
            headers={"Authorization": f"Bearer {self._token}"},
            timeout=aiohttp.ClientTimeout(total=20),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._http is not None:
            await self._http.close()

    async def _invoke_once(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        assert self._http is not None, "use ToolsClient as an async context manager"
        async with self._http.post("/tools/invoke", json={"tool": tool, "args": args}) as resp:
            if resp.status == 429:
                raise GatewayCallError("throttled", "rate limited", float(resp.headers.get("Retry-After", "1")))
            if resp.status == 408:
                raise GatewayCallError("timeout", "the gateway timed out reading the request")
            if resp.status >= 500 and resp.content_type != "application/json":
                raise GatewayCallError("server", f"HTTP {resp.status}")
            if resp.status == 404:
                raise GatewayCallError("fatal", f"{tool} is not available to this token")
            body = await resp.json()
        if not body.get("ok"):
            err = body.get("error") or {}
            kind: Any = "server" if resp.status >= 500 else "fatal"
            raise GatewayCallError(kind, f"{tool}: {err.get('type')}: {err.get('message')}")
        return dict(body["result"])

    async def invoke(self, tool: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        return await with_retry(lambda: self._invoke_once(tool, args or {}), self._policy)

    @staticmethod
    def payload(result: dict[str, Any]) -> dict[str, Any]:
        """A tool result carries its payload in ``details``, and as JSON text in ``content``."""
        details = result.get("details")
        if isinstance(details, dict):
            return details
        for block in result.get("content") or []:
            if block.get("type") == "text":
                return dict(json.loads(block["text"]))
        return {}

    async def sessions(self, **filters: Any) -> list[SessionRow]:
        rows: list[SessionRow] = []
        offset = 0
        while True:
            page = self.payload(await self.invoke("sessions_list", {**filters, "offset": offset}))
            batch = page.get("sessions", [])
            rows.extend(batch)
            if not page.get("hasMore"):
                return rows
            offset = int(page.get("nextOffset", offset + len(batch)))

    async def wait_children(self, run_ids: list[str], timeout_seconds: int = 30) -> tuple[list[WaitedChild], list[str]]:
        page = self.payload(await self.invoke("agents_wait", {"ids": run_ids, "timeoutSeconds": timeout_seconds}))
        return list(page.get("completed", [])), list(page.get("pending", []))
