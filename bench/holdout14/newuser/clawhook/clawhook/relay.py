"""Subscribes to the gateway's session events and posts each one to the webhook.

Run next to the gateway: `python -m clawhook.relay`.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid

import httpx
import websockets

GATEWAY_WS = os.environ.get("OPENCLAW_GATEWAY_WS", "ws://127.0.0.1:18789")
TOKEN = os.environ["OPENCLAW_GATEWAY_TOKEN"]
HOOK_URL = os.environ.get("CLAWHOOK_URL", "http://127.0.0.1:8088/hooks/openclaw")

# how our own POST to the webhook can go wrong, and which of those we retry
RETRYABLE = {"timeout", "refused"}


async def _request(ws, method: str, params: dict) -> dict:
    req_id = str(uuid.uuid4())
    await ws.send(json.dumps({"type": "req", "id": req_id, "method": method, "params": params}))
    while True:
        frame = json.loads(await ws.recv())
        if frame.get("type") == "res" and frame.get("id") == req_id:
            if not frame.get("ok"):
                raise RuntimeError(frame.get("error"))
            return frame.get("payload") or {}


async def _post(client: httpx.AsyncClient, body: dict) -> str:
    for attempt in range(4):
        try:
            r = await client.post(HOOK_URL, json=body, timeout=5)
            return "sent" if r.status_code < 300 else "rejected"
        except httpx.TimeoutException:
            outcome = "timeout"
        except httpx.ConnectError:
            outcome = "refused"
        if outcome not in RETRYABLE:
            break
        await asyncio.sleep(2**attempt)
    return outcome


async def main() -> None:
    async with websockets.connect(GATEWAY_WS, max_size=8 * 1024 * 1024) as ws, httpx.AsyncClient() as client:
        challenge = json.loads(await ws.recv())
        assert challenge.get("event") == "connect.challenge"
        await _request(
            ws,
            "connect",
            {
                "minProtocol": 4,
                "maxProtocol": 4,
                "client": {"id": "gateway-client", "version": "0.1.0", "platform": "linux", "mode": "backend"},
                "role": "operator",
                "scopes": ["operator.read"],
                "auth": {"token": TOKEN},
            },
        )
        listed = await _request(ws, "sessions.list", {"limit": 500})
        for row in listed.get("sessions", []):
            await _post(client, {"event": "sessions.snapshot", "payload": row})
        await _request(ws, "sessions.subscribe", {})
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "event" and frame.get("event") == "sessions.changed":
                result = await _post(client, {"event": "sessions.changed", "payload": frame.get("payload") or {}})
                if result == "timeout":
                    print("webhook slow; event", frame.get("seq"), "dropped")


if __name__ == "__main__":
    asyncio.run(main())
