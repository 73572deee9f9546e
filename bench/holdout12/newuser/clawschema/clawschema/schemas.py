"""The schemas, and the small records they load into."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

SESSION_STATUSES = ("running", "queued", "done", "failed", "timeout", "killed")
RUN_OUTCOMES = ("ok", "error", "timeout", "unknown")
JOB_STATES = ("pending", "running", "done", "failed")


@dataclass
class Session:
    key: str
    status: str | None
    started_at: int | None = None
    ended_at: int | None = None
    runtime_ms: int | None = None
    aborted: bool = False
    model: str | None = None
    tokens: int = 0

    @property
    def finished_well(self) -> bool:
        return self.status == "done"


@dataclass
class ExportJob:
    month: str
    state: str = "pending"
    written: int = 0
    errors: list[str] = field(default_factory=list)


class SessionSchema(Schema):
    """One row of ``sessions_list``, as archived (camelCase on the wire)."""

    class Meta:
        unknown = EXCLUDE

    key = fields.String(required=True)
    status = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(SESSION_STATUSES))
    started_at = fields.Integer(data_key="startedAt", allow_none=True, load_default=None)
    ended_at = fields.Integer(data_key="endedAt", allow_none=True, load_default=None)
    runtime_ms = fields.Integer(data_key="runtimeMs", allow_none=True, load_default=None)
    aborted = fields.Boolean(data_key="abortedLastRun", load_default=False)
    model = fields.String(allow_none=True, load_default=None)
    tokens = fields.Integer(data_key="totalTokens", load_default=0)
    stopped_by_user = fields.Method("_stopped", dump_only=True, data_key="stoppedByUser")

    @pre_load
    def _tidy(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        # Rows copied by hand into old archives sometimes say "Failed " and the like.
        status = data.get("status")
        if isinstance(status, str):
            data = {**data, "status": status.strip().lower() or None}
        return data

    @validates_schema
    def _ended_has_end(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("status") in ("done", "failed", "timeout", "killed") and data.get("ended_at") is None:
            raise ValidationError("an ended session needs endedAt", "ended_at")

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Session:
        return Session(**data)

    def _stopped(self, obj: Session) -> bool:
        return obj.aborted or obj.status == "killed"


class SubagentRunSchema(Schema):
    """A run of ``subagents/runs.json``, flattened."""

    class Meta:
        unknown = EXCLUDE

    run_id = fields.String(data_key="runId", required=True)
    child_session_key = fields.String(data_key="childSessionKey", allow_none=True)
    outcome = fields.String(validate=validate.OneOf(RUN_OUTCOMES), allow_none=True)
    ended_reason = fields.String(data_key="endedReason", allow_none=True)

    @pre_load
    def _flatten(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        outcome = data.get("outcome")
        return {**data, "outcome": outcome.get("status") if isinstance(outcome, dict) else outcome}


class ExportJobSchema(Schema):
    month = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}$"))
    state = fields.String(validate=validate.OneOf(JOB_STATES), load_default="pending")
    written = fields.Integer(load_default=0)
    errors = fields.List(fields.String(), load_default=list)

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> ExportJob:
        return ExportJob(**data)


class ArchiveSchema(Schema):
    """The whole monthly file."""

    month = fields.String(required=True)
    sessions = fields.List(fields.Nested(SessionSchema), required=True)
    runs = fields.List(fields.Nested(SubagentRunSchema), load_default=list)
    job = fields.Nested(ExportJobSchema)
