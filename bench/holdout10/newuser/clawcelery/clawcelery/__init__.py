"""Celery workers that keep an eye on OpenClaw: ``celery -A clawcelery worker -B``."""

from celery import Celery

app = Celery("clawcelery")
app.config_from_object("clawcelery.celeryconfig")
app.autodiscover_tasks(["clawcelery"])
