"""The bridge: poll the gateway, publish what changed, obey stop commands."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from typing import Any

import paho.mqtt.client as mqtt

from . import gateway, topics

log = logging.getLogger("clawmqtt")


class Bridge:
    """Keeps the last status it published for each session, to publish only changes."""

    def __init__(self, host: str, port: int = 1883, interval: float = 10.0) -> None:
        self.interval = interval
        self.last: dict[str, str] = {}
        self.agent_of: dict[str, str] = {}
        self.outcomes: Counter[str] = Counter()
        self.seen_procs: set[str] = set()
        self._lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="clawmqtt")
        self.client.will_set(topics.BRIDGE_STATE, "offline", qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.connect(host, port)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            log.error("broker refused us: %s", reason_code)
            return
        client.publish(topics.BRIDGE_STATE, "online", qos=1, retain=True)
        client.subscribe(topics.STOP_COMMAND, qos=1)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        key = msg.payload.decode().strip()
        with self._lock:
            status = self.last.get(key)
        if status is None:
            log.warning("stop asked for unknown session %s", key)
            return
        if status in topics.ENDED:
            log.info("%s already ended (%s), nothing to stop", key, status)
            return
        if gateway.abort(key):
            # The next poll will say so too; publish it now so the panel reacts at once.
            with self._lock:
                self.last[key] = "killed"
            self.publish(topics.session_topic(self.agent_of.get(key, "main"), key), "killed", retain=True)

    def publish(self, topic: str, payload: str, retain: bool = False) -> topics.PublishOutcome:
        """Publish at QoS 1 and wait a little for the broker's acknowledgement."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        if info.rc == mqtt.MQTT_ERR_NO_CONN:
            return "queued"
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return "refused"
        info.wait_for_publish(timeout=5)
        return "sent" if info.is_published() else "timeout"

    def tick(self) -> None:
        """One poll of the gateway."""
        counts = dict.fromkeys(topics.SUMMARY_FIELDS, 0)
        for row in gateway.sessions():
            key, status = row["key"], row.get("status")
            if status is None:
                continue
            if status in counts:
                counts[status] += 1
            agent = row.get("agentId") or key.split(":")[1]
            self.agent_of[key] = agent
            with self._lock:
                before = self.last.get(key)
                self.last[key] = status
            if status == before:
                continue
            outcome = self.publish(topics.session_topic(agent, key), status, retain=True)
            self.outcomes[outcome] += 1
            alert = topics.alert_topic(status)
            if alert and before == "running":
                body = {"key": key, "status": status, "runtimeMs": row.get("runtimeMs"),
                        "byUser": bool(row.get("abortedLastRun"))}
                self.outcomes[self.publish(alert, json.dumps(body))] += 1
        self.publish(topics.SUMMARY, json.dumps(counts), retain=True)
        for proc in gateway.processes():
            # Exec sessions have their own words: running, completed, failed, killed.
            if proc.get("status") in ("failed", "killed") and proc["sessionId"] not in self.seen_procs:
                self.seen_procs.add(proc["sessionId"])
                self.publish(topics.ALERT.format(kind="process"),
                             json.dumps({"id": proc["sessionId"], "status": proc["status"], "name": proc.get("name")}))
        if self.outcomes["timeout"]:
            log.warning("%d publishes not acknowledged so far", self.outcomes["timeout"])

    def run(self) -> None:
        """Poll forever; the network loop runs on paho's own thread."""
        self.client.loop_start()
        try:
            while True:
                try:
                    self.tick()
                except gateway.GatewayDown as exc:
                    log.error("gateway: %s", exc)
                time.sleep(self.interval)
        finally:
            self.client.publish(topics.BRIDGE_STATE, "offline", qos=1, retain=True)
            self.client.loop_stop()
