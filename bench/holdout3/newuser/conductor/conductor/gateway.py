"""Talking to the OpenClaw gateway over POST /tools/invoke."""
import json
import os

import httpx

from .vocab import SessionRowDict


class Gateway:
    def __init__(self, base: str | None = None, token: str | None = None) -> None:
        self.http = httpx.Client(
            base_url=base or os.environ.get("OPENCLAW_URL", "http://127.0.0.1:18789"),
            headers={"Authorization": f"Bearer {token or os.environ.get('OPENCLAW_GATEWAY_TOKEN', '')}"},
            timeout=90,
        )

    def tool(self, name: str, **args) -> dict:
        r = self.http.post("/tools/invoke", json={"tool": name, "args": args})
        if r.status_code == 404:
            raise LookupError(f"tool {name} is not allowed for this token")
        r.raise_for_status()
        body = r.json()
        if not body.get("ok"):
            raise RuntimeError(f"{name}: {body.get('error')}")
        res = body["result"]
        return res.get("details") or json.loads(res["content"][0]["text"])

    def sessions(self) -> list[SessionRowDict]:
        return self.tool("sessions_list", limit=500)["sessions"]

    def send(self, key: str, message: str, wait: int = 30) -> dict:
        return self.tool("sessions_send", sessionKey=key, message=message, timeoutSeconds=wait)

    def spawn(self, task: str, label: str) -> dict:
        return self.tool("sessions_spawn", task=task, label=label)

    def wait_children(self, run_ids: list[str]) -> dict:
        return self.tool("agents_wait", runIds=list(run_ids))
