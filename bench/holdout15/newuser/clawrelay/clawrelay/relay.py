"""Read session changes from the gateway and produce the ended ones to Kafka."""

from __future__ import annotations

import asyncio
import json
import logging
import os

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, KafkaTimeoutError

from . import gateway

log = logging.getLogger("clawrelay")

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP", "localhost:9092")

ENDED = ("done", "failed", "killed", "timeout")

# one topic per way a session's last run ended
TOPIC_BY_STATUS = {
    "done": "openclaw.sessions.finished",
    "failed": "openclaw.sessions.failed",
    "timeout": "openclaw.sessions.stalled",
    "killed": "openclaw.sessions.stopped",
}

# the producer's own delivery outcomes, kept for the /health page
DELIVERY = {"sent": 0, "failed": 0, "timeout": 0}


def tidy(payload: dict) -> dict:
    """A session snapshot as the relay sends it on."""
    out = {k: payload.get(k) for k in ("key", "sessionId", "status", "startedAt", "endedAt", "runtimeMs", "abortedLastRun")}
    if out.get("abortedLastRun") and not out.get("status"):
        # older gateways sent the abort before the status; the row ends as a user stop
        out["status"] = "killed"
    return out


async def deliver(producer: AIOKafkaProducer, topic: str, event: dict) -> str:
    try:
        await asyncio.wait_for(producer.send_and_wait(topic, json.dumps(event).encode(), key=(event["key"] or "").encode()), 10)
    except (asyncio.TimeoutError, KafkaTimeoutError):
        outcome = "timeout"
    except KafkaError:
        outcome = "failed"
    else:
        outcome = "sent"
    DELIVERY[outcome] += 1
    return outcome


async def run() -> None:
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all")
    await producer.start()
    ws = await gateway.connect()
    try:
        for row in await gateway.snapshot(ws):
            if row.get("status") == "running":
                log.info("watching %s", row["key"])
        async for payload in gateway.changes(ws):
            event = tidy(payload)
            status = event.get("status")
            if status not in ENDED:
                continue
            topic = TOPIC_BY_STATUS[status]
            outcome = await deliver(producer, topic, event)
            if outcome == "timeout":
                log.warning("kafka slow for %s", event["key"])
            elif outcome == "failed":
                from .dlq import park

                park(topic, event, reason=outcome)
    finally:
        await ws.close()
        await producer.stop()


if __name__ == "__main__":
    asyncio.run(run())
