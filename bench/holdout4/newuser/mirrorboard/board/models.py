from django.db import models


class SessionStatus(models.TextChoices):
    """How the last run of an OpenClaw session ended (the gateway's row `status`)."""

    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    KILLED = "killed", "Stopped"
    TIMEOUT = "timeout", "Timed out"


class SessionMirror(models.Model):
    """Our copy of one sessions_list row, refreshed by board.sync."""

    agent_id = models.CharField(max_length=64)
    key = models.CharField(max_length=255, unique=True)
    session_id = models.CharField(max_length=64, blank=True)
    label = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=SessionStatus.choices, null=True, blank=True)
    started_at = models.DateTimeField(null=True)
    ended_at = models.DateTimeField(null=True)
    aborted_last_run = models.BooleanField(default=False)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["status"])]

    def needs_attention(self) -> bool:
        return self.status in (SessionStatus.FAILED, SessionStatus.TIMEOUT)


class ExportJob(models.Model):
    """A transcript export the board runs itself (a background job of ours)."""

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    session = models.ForeignKey(SessionMirror, on_delete=models.CASCADE, related_name="exports")
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)
