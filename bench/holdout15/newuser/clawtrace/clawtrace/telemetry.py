"""OpenTelemetry and Sentry set-up, with a sampler that keeps the sessions worth a look."""

from __future__ import annotations

import os

import sentry_sdk
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult, TraceIdRatioBased
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

STATUS_ATTR = "openclaw.session.status"

KEEP_ALWAYS = ("failed", "timeout", "killed")


class SessionStatusSampler(Sampler):
    """Every span of a session that ended badly; a tenth of the rest."""

    def __init__(self, rate: float = 0.1):
        self._rest = TraceIdRatioBased(rate)

    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None, trace_state=None):
        status = (attributes or {}).get(STATUS_ATTR)
        if status in KEEP_ALWAYS:
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)
        if status == "done" and name == "openclaw.session.poll":
            return SamplingResult(Decision.DROP)
        return self._rest.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return "SessionStatusSampler"


def before_send(event, hint):
    """Sentry: drop reports about sessions that simply finished; user stops are warnings."""
    tags = event.get("tags") or {}
    status = tags.get("session_status")
    if status == "done":
        return None
    if status == "killed":
        event["level"] = "warning"
    if tags.get("job_state") == "timeout":
        # the poller's own HTTP call timed out: group them together
        event["fingerprint"] = ["clawtrace-poll-timeout"]
    return event


def setup() -> trace.Tracer:
    provider = TracerProvider(sampler=SessionStatusSampler(float(os.environ.get("CLAWTRACE_RATE", "0.1"))))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    sentry_sdk.init(dsn=os.environ.get("SENTRY_DSN"), before_send=before_send, traces_sample_rate=0)
    return trace.get_tracer("clawtrace")
