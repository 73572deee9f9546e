"""A small client of the OpenClaw gateway WebSocket (protocol 4)."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import AsyncIterator

import websockets

URL = os.environ.get("OPENCLAW_GATEWAY_WS", "ws://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")

_ids = itertools.count(1)


async def _request(ws, method: str, params: dict) -> dict:
    rid = str(next(_ids))
    await ws.send(json.dumps({"type": "req", "id": rid, "method": method, "params": params}))
    while True:
        frame = json.loads(await ws.recv())
        if frame.get("type") == "res" and frame.get("id") == rid:
            if not frame.get("ok"):
                raise RuntimeError(f"{method}: {frame.get('error')}")
            return frame.get("payload") or {}


async def connect():
    ws = await websockets.connect(URL, max_size=8 * 1024 * 1024)
    challenge = json.loads(await ws.recv())
    if challenge.get("event") != "connect.challenge":
        raise RuntimeError("the gateway did not send connect.challenge")
    await _request(
        ws,
        "connect",
        {
            "minProtocol": 4,
            "maxProtocol": 4,
            "client": {"id": "gateway-client", "version": "0.1.0", "platform": "linux", "mode": "backend"},
            "auth": {"token": TOKEN},
            "role": "operator",
            "scopes": ["operator.read"],
        },
    )
    return ws


async def snapshot(ws) -> list[dict]:
    payload = await _request(ws, "sessions.list", {"limit": 500})
    return payload.get("sessions", [])


async def changes(ws) -> AsyncIterator[dict]:
    """Each `sessions.changed` event's payload, a snapshot of one session."""
    async for raw in ws:
        frame = json.loads(raw)
        if frame.get("type") == "event" and frame.get("event") == "sessions.changed":
            yield frame.get("payload") or {}
