"""Celery settings, and what the watchers react to."""

import os

from celery.schedules import crontab

broker_url = os.environ.get("CLAWCELERY_BROKER", "redis://localhost:6379/3")
result_backend = os.environ.get("CLAWCELERY_BACKEND", "redis://localhost:6379/4")
task_serializer = result_serializer = "json"
accept_content = ["json"]
timezone = "UTC"
task_time_limit = 120
task_soft_time_limit = 90
worker_prefetch_multiplier = 1

beat_schedule = {
    "poll-sessions": {"task": "clawcelery.tasks.poll_sessions", "schedule": 60.0},
    "poll-tasks": {"task": "clawcelery.tasks.poll_background_tasks", "schedule": 300.0},
    "daily-digest": {"task": "clawcelery.tasks.daily_digest", "schedule": crontab(hour=7, minute=30)},
}

# Session statuses that page the on-call channel when a session reaches them.
ALERT_ON = ["failed", "timeout"]

# ...and the one that is only logged: somebody stopped it on purpose.
QUIET_ON = "killed"

# Our own call failures that are worth a retry of the task.
RETRY_ON = ("timeout", "busy")

WEBHOOK_URL = os.environ.get("CLAWCELERY_WEBHOOK", "")
OPENCLAW_BIN = os.environ.get("OPENCLAW_BIN", "openclaw")
