"""``python -m clawotel``: follow the gateway and export to an OTLP collector."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path

import aiohttp
from opentelemetry import metrics, trace
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from clawotel.metrics import observe_row, source_failed
from clawotel.source import GatewayEvents, SourceError
from clawotel.spans import SETTLED, session_span, subagent_span

log = logging.getLogger("clawotel")


def _setup() -> None:
    resource = Resource.create({"service.name": "openclaw-gateway", "service.namespace": "agents"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(), export_interval_millis=30_000)
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))


def _runs(state_dir: Path) -> dict[str, dict]:
    try:
        return json.loads((state_dir / "subagents" / "runs.json").read_text(encoding="utf-8")).get("runs") or {}
    except FileNotFoundError:
        return {}


async def follow(url: str, token: str, state_dir: Path) -> None:
    emitted: set[tuple[str, int]] = set()
    runs_done: set[str] = set()
    source = GatewayEvents(url, token)
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async for event, payload in source.events(http):
                    for row in source.roster:
                        observe_row(row)
                    source.roster = []
                    if event != "sessions.changed" or not payload.get("session"):
                        continue
                    row = payload["session"]
                    observe_row(row)
                    mark = (row["key"], int(row.get("endedAt") or 0))
                    if row.get("status") in SETTLED and mark not in emitted and session_span(row):
                        emitted.add(mark)
                        for run_id, run in _runs(state_dir).items():
                            if run_id not in runs_done and run.get("outcome") and run.get("childSessionKey") == row["key"]:
                                subagent_span(run_id, run)
                                runs_done.add(run_id)
            except SourceError as exc:
                source_failed(exc.kind)
                log.warning("source: %s", exc)
                await asyncio.sleep(5)


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    _setup()
    asyncio.run(
        follow(
            os.environ.get("OPENCLAW_GATEWAY_WS", "ws://127.0.0.1:18789"),
            os.environ.get("OPENCLAW_GATEWAY_TOKEN", ""),
            Path(os.environ.get("OPENCLAW_STATE_DIR") or Path.home() / ".openclaw"),
        )
    )


if __name__ == "__main__":
    main()
