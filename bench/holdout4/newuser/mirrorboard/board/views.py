from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import sync
from .models import ExportJob, SessionMirror


def index(request):
    show = request.GET.get("show", "problems")
    sessions = SessionMirror.objects.order_by("-ended_at")
    if show == "problems":
        sessions = sessions.filter(status__in=["failed", "timeout"])
    elif show == "stopped":
        sessions = sessions.filter(status="killed")
    failed_exports = ExportJob.objects.filter(state="failed").select_related("session")[:20]
    return render(request, "board/index.html", {"sessions": sessions, "failed_exports": failed_exports, "show": show})


def counts(request):
    data = {
        "finished": SessionMirror.objects.filter(status="done").count(),
        "problems": SessionMirror.objects.filter(status__in=["failed", "timeout"]).count(),
        "exportsDone": ExportJob.objects.filter(state="done").count(),
    }
    return JsonResponse(data)


@require_POST
def stop(request, pk):
    """Abort the session's run, then show it stopped until the next sync says otherwise."""
    mirror = get_object_or_404(SessionMirror, pk=pk)
    sync.abort(mirror.key)
    mirror.status = "killed"
    mirror.aborted_last_run = True
    mirror.save(update_fields=["status", "aborted_last_run"])
    return JsonResponse({"key": mirror.key, "status": mirror.status})


def run_export(job: ExportJob) -> None:
    try:
        path = sync.export_transcript(job.session.key)
    except Exception as exc:  # a failed export is shown on the board, never raised
        job.state, job.error = "failed", str(exc)
    else:
        job.state, job.error = "done", path
    job.finished_at = timezone.now()
    job.save()
