"""The watcher: one TaskGroup, a task per concern."""

from __future__ import annotations

import asyncio
import os

import structlog

from .gateway import Gateway, GatewayError
from .logs import configure

log = structlog.get_logger()

WS_URL = os.environ.get("OPENCLAW_GATEWAY_WS", "ws://127.0.0.1:18789")
HTTP_URL = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
TOKEN = os.environ["OPENCLAW_GATEWAY_TOKEN"]
MAX_RUNTIME_MS = int(os.environ.get("CLAWWATCH_MAX_RUNTIME_MS", 45 * 60 * 1000))

EVENT_FOR = {
    "done": "session.finished",
    "failed": "session.errored",
    "timeout": "session.out_of_time",
    "killed": "session.stopped",
}


class Watcher:
    def __init__(self) -> None:
        self.gw = Gateway(WS_URL, TOKEN)
        self.cache: dict[str, dict] = {}
        self.state = "starting"

    async def snapshot(self) -> None:
        payload = await self.gw.request("sessions.list", {"limit": 1000})
        for row in payload.get("sessions", []):
            self.cache[row["key"]] = row

    async def follow(self) -> None:
        await self.gw.request("sessions.subscribe", {})
        async for frame in self.gw.listen():
            if frame.get("event") != "sessions.changed":
                continue
            ev = frame.get("payload") or {}
            key = ev.get("sessionKey")
            if not key:
                continue
            row = self.cache.setdefault(key, {"key": key})
            before = row.get("status")
            for name in ("status", "startedAt", "endedAt", "runtimeMs", "abortedLastRun"):
                if name in ev:
                    row[name] = ev[name]
            after = row.get("status")
            if after != before and after in EVENT_FOR:
                log.info(EVENT_FOR[after], kind="session", key=key, status=after, aborted=row.get("abortedLastRun"))

    async def reap(self) -> None:
        """Stop sessions that have run too long, and nudge the ones that errored."""
        while True:
            await asyncio.sleep(60)
            for key, row in list(self.cache.items()):
                if row.get("status") == "running" and (row.get("runtimeMs") or 0) > MAX_RUNTIME_MS:
                    try:
                        await self.gw.request("sessions.abort", {"key": key})
                    except GatewayError as exc:
                        if exc.code == "timeout":
                            log.warning("timeout", kind="rpc", method="sessions.abort", key=key)
                            continue
                        raise
                    row["status"] = "killed"
                    row["abortedLastRun"] = True
                    log.info("session.reaped", kind="session", key=key, status="killed", aborted=True)
                elif row.get("status") == "failed" and not row.get("nudged"):
                    reply = await self.gw.tools_invoke(
                        HTTP_URL, TOKEN, "sessions_send",
                        {"sessionKey": key, "message": "Your last run errored; please retry it.", "timeoutSeconds": 30},
                    )
                    row["nudged"] = True
                    if reply.get("status") == "timeout":
                        log.info("nudge.no_reply", kind="send", key=key)
                    elif reply.get("status") != "ok":
                        log.warning("nudge.refused", kind="send", key=key, reply=reply.get("status"))

    async def heartbeat(self) -> None:
        while True:
            await asyncio.sleep(300)
            counts: dict[str, int] = {}
            for row in self.cache.values():
                st = row.get("status") or "none"
                counts[st] = counts.get(st, 0) + 1
            log.info("heartbeat", kind="watch", sessions=len(self.cache), errored=counts.get("failed", 0))

    async def run(self) -> None:
        try:
            await self.gw.open()
        except (OSError, GatewayError) as exc:
            self.state = "failed"
            log.error("connect.failed", kind="watch", error=str(exc))
            return
        self.state = "running"
        await self.snapshot()
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self.follow())
            tg.create_task(self.reap())
            tg.create_task(self.heartbeat())
        self.state = "done"


def main() -> None:
    configure(debug=bool(os.environ.get("CLAWWATCH_DEBUG")))
    w = Watcher()
    asyncio.run(w.run())
    log.info("done", kind="watch", state=w.state)


if __name__ == "__main__":
    main()
