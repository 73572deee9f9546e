"""The downstream side: a consumer of the relayed topics that pages on bad endings."""

from __future__ import annotations

import asyncio
import json
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError

from .relay import BOOTSTRAP, TOPIC_BY_STATUS

log = logging.getLogger("clawrelay.consumer")

PAGE_ON = {"failed", "timeout"}

commit_state = {"last": "none"}


def wants_page(event: dict) -> bool:
    if event.get("status") == "killed":
        return False  # a person stopped it on purpose
    return event.get("status") in PAGE_ON


async def consume() -> None:
    topics = [TOPIC_BY_STATUS["failed"], TOPIC_BY_STATUS["timeout"], TOPIC_BY_STATUS["killed"]]
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=BOOTSTRAP, group_id="clawrelay-pager", enable_auto_commit=False)
    await consumer.start()
    try:
        async for msg in consumer:
            event = json.loads(msg.value)
            if wants_page(event):
                log.error("page: session %s ended %s", event["key"], event["status"])
            try:
                await consumer.commit({TopicPartition(msg.topic, msg.partition): msg.offset + 1})
                commit_state["last"] = "done"
            except CommitFailedError:
                commit_state["last"] = "failed"
    finally:
        await consumer.stop()


if __name__ == "__main__":
    asyncio.run(consume())
