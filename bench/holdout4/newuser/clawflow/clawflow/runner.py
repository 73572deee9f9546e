"""The long-running loop: watch sessions.changed and re-run what the policy allows."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from .retry import RetryPolicy, transport_backoff
from .wire import Gateway, GatewayError

log = logging.getLogger("clawflow")

NUDGE = "Your last run did not finish. Please pick up where you left off."


class Runner:
    def __init__(self, gw: Gateway, policy: RetryPolicy) -> None:
        self.gw = gw
        self.policy = policy
        self.last_status: dict[str, str | None] = {}
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def on_changed(self, payload: dict[str, Any]) -> None:
        row = payload.get("session")
        if row is None:  # a keyless change: the roster must be read again
            for fresh in await self.gw.list_sessions():
                await self.queue.put(fresh)
            return
        await self.queue.put(row)

    async def handle(self, row: dict[str, Any]) -> None:
        key = row["key"]
        status = row.get("status")
        before = self.last_status.get(key)
        self.last_status[key] = status
        if status == before:
            return
        match status:
            case "running":
                return
            case "done":
                self.policy.forget(key)
                log.info("%s finished", key)
            case "failed" | "timeout":
                if self.policy.should_retry(key, status):
                    await self.rerun(key, status)
                else:
                    log.warning("%s ended %s, no retries left", key, status)
            case "killed":
                self.policy.forget(key)
                log.info("%s was stopped by a user, leaving it", key)
            case _:
                log.debug("%s: status %r", key, status)

    async def rerun(self, key: str, status: str) -> None:
        delay = self.policy.record(key)
        log.info("%s ended %s; nudging it in %.0fs", key, status, delay)
        await asyncio.sleep(delay)
        ack = await self.gw.call("sessions.send", {"key": key, "message": NUDGE})
        if ack.get("status") != "started":
            log.warning("%s: send not started (%s)", key, ack.get("status"))

    async def run(self) -> None:
        self.gw.on("sessions.changed", self.on_changed)
        for row in await self.gw.subscribe_sessions():
            self.last_status[row["key"]] = row.get("status")
        while True:
            await self.handle(await self.queue.get())


async def main() -> None:
    attempt = 0
    policy = RetryPolicy(max_attempts=int(os.environ.get("CLAWFLOW_MAX_ATTEMPTS", "3")))
    while True:
        gw = Gateway(os.environ.get("OPENCLAW_GATEWAY_URL", "ws://127.0.0.1:18789"), os.environ["OPENCLAW_GATEWAY_TOKEN"])
        try:
            await gw.connect()
            attempt = 0
            await Runner(gw, policy).run()
        except GatewayError as exc:
            attempt += 1
            delay = transport_backoff(exc.kind, attempt)
            if delay is None:
                raise
            log.warning("gateway %s (%s); reconnecting in %.0fs", exc.kind, exc.method, delay)
            await asyncio.sleep(delay)
        finally:
            await gw.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(main())
