"""The JSON shapes, as TypedDicts and Literals (no behaviour here)."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

SessionStatus = Literal["running", "done", "failed", "killed", "timeout"]
SendStatus = Literal["ok", "accepted", "timeout", "error", "forbidden", "no_reply"]
SpawnStatus = Literal["accepted", "forbidden", "error"]
ChildStatus = Literal["done", "failed", "killed", "timeout"]
AcpState = Literal["idle", "running", "error"]


class AcpInfo(TypedDict, total=False):
    state: AcpState
    agent: str


class SessionRow(TypedDict):
    key: str
    sessionId: str
    status: NotRequired[SessionStatus]
    startedAt: NotRequired[int]
    endedAt: NotRequired[int]
    runtimeMs: NotRequired[int]
    abortedLastRun: NotRequired[bool]
    label: NotRequired[str]
    acp: NotRequired[AcpInfo]


class SessionsListDetails(TypedDict):
    count: int
    sessions: list[SessionRow]
    hasMore: NotRequired[bool]


class AgentsWaitItem(TypedDict):
    runId: str
    status: ChildStatus
    result: str
    sessionKey: str
    error: NotRequired[str]
