"""The ``dictConfig`` of the watcher and the structlog set-up.

``oncall`` is a file the pager tails; it only gets sessions that ended badly.
"""

from __future__ import annotations

import logging.config
from pathlib import Path

import structlog

from clawlog.filters import add_status_level, tag_problem


def logging_config(log_dir: Path) -> dict[str, object]:
    """The ``logging.config.dictConfig`` dict, with files under ``log_dir``."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "session_problems": {
                "()": "clawlog.filters.SessionStatusFilter",
                "statuses": ["failed", "timeout", "killed"],
            },
            "not_user_stops": {"()": "clawlog.filters.StoppedByUserFilter"},
            "bad_runs": {"()": "clawlog.filters.RunOutcomeFilter", "outcomes": ["error", "timeout"]},
        },
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {"()": structlog.stdlib.ProcessorFormatter, "processor": structlog.processors.JSONRenderer()},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "plain", "level": "INFO"},
            "oncall": {
                "class": "logging.handlers.WatchedFileHandler",
                "filename": str(log_dir / "oncall.log"),
                "formatter": "json",
                "filters": ["session_problems", "not_user_stops"],
            },
            "runs": {
                "class": "logging.handlers.WatchedFileHandler",
                "filename": str(log_dir / "subagent-runs.log"),
                "formatter": "json",
                "filters": ["bad_runs"],
            },
        },
        "loggers": {
            "clawlog.sessions": {"handlers": ["console", "oncall"], "level": "DEBUG", "propagate": False},
            "clawlog.runs": {"handlers": ["console", "runs"], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["console"], "level": "WARNING"},
    }


def configure(log_dir: Path) -> None:
    """Set up logging and structlog for the watcher."""
    log_dir.mkdir(parents=True, exist_ok=True)
    logging.config.dictConfig(logging_config(log_dir))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            add_status_level,
            tag_problem,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
