"""A blocking httpx client of ``POST /tools/invoke``."""

from __future__ import annotations

import json
import os
from typing import Any, Iterator, Literal

import httpx

from sessmodels.models import SessionRow, SessionsPage, WaitResult

ErrorKind = Literal["auth", "denied", "not_found", "timeout", "server", "bad_reply"]


class CallError(Exception):
    """A tool call that did not give a result."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


class ToolsClient:
    """``with ToolsClient() as gw: rows = list(gw.sessions())``."""

    def __init__(self, base_url: str | None = None, token: str | None = None, timeout: float = 15.0) -> None:
        base = base_url or os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
        token = token or os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")
        self._http = httpx.Client(base_url=base, timeout=timeout, headers={"Authorization": f"Bearer {token}"})

    def __enter__(self) -> "ToolsClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def invoke(self, tool: str, args: dict[str, Any] | None = None) -> Any:
        try:
            resp = self._http.post("/tools/invoke", json={"tool": tool, "args": args or {}})
        except httpx.TimeoutException as exc:
            raise CallError("timeout", f"{tool}: {exc}") from exc
        if resp.status_code == 401:
            raise CallError("auth", "gateway refused the token")
        if resp.status_code == 404:
            raise CallError("not_found", f"{tool} is not available to this caller")
        if resp.status_code == 408:
            raise CallError("timeout", "request body read timed out")
        body = resp.json()
        if not body.get("ok"):
            err = body.get("error") or {}
            kind: ErrorKind = "denied" if resp.status_code == 403 else "server"
            raise CallError(kind, str(err.get("message", resp.text)))
        return body["result"]

    @staticmethod
    def _payload(result: dict[str, Any]) -> dict[str, Any]:
        # The payload is in `details`, and again as JSON text in content[0].text.
        details = result.get("details")
        if isinstance(details, dict):
            return details
        for block in result.get("content", []):
            if block.get("type") == "text":
                return json.loads(block["text"])
        raise CallError("bad_reply", "tool result has neither details nor text")

    def sessions(self, page_size: int = 200, **filters: Any) -> Iterator[SessionRow]:
        offset = 0
        while True:
            result = self.invoke("sessions_list", {"limit": page_size, "offset": offset, **filters})
            text = next((b["text"] for b in result.get("content", []) if b.get("type") == "text"), None)
            page = SessionsPage.model_validate_json(text) if text else SessionsPage.model_validate(self._payload(result))
            yield from page.sessions
            if not page.has_more or page.next_offset is None:
                return
            offset = page.next_offset

    def wait(self, run_ids: list[str], timeout_s: int = 60) -> WaitResult:
        result = self.invoke("agents_wait", {"ids": run_ids, "timeoutSeconds": timeout_s})
        return WaitResult.model_validate(self._payload(result))
