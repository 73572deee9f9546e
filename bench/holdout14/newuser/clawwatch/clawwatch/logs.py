"""structlog configuration: a processor that raises the level of bad session news."""

from __future__ import annotations

import logging

import structlog

LOUD = ("failed", "timeout")


def _level_by_status(logger, method_name: str, event_dict: dict) -> dict:
    status = event_dict.get("status")
    if event_dict.get("kind") == "session" and status in LOUD:
        event_dict["level"] = "warning"
    if event_dict.get("kind") == "session" and status == "killed":
        event_dict["who"] = "user" if event_dict.get("aborted") else "gateway"
    return event_dict


def configure(debug: bool = False) -> None:
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            _level_by_status,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG if debug else logging.INFO),
    )
