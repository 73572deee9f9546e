"""The pages: the session list with filters, one session, stop, stuck runs, the audit."""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template_string, request, url_for

from . import audit, gateway

bp = Blueprint("sessions", __name__)

# The values the status filter accepts (and offers as checkboxes), in display order.
STATUS_CHOICES = ["running", "queued", "done", "failed", "timeout", "killed"]

# Bootstrap badge class for a row's status.
BADGE = {
    "running": "text-bg-primary",
    "queued": "text-bg-secondary",
    "done": "text-bg-success",
    "failed": "text-bg-danger",
    "timeout": "text-bg-warning",
    "killed": "text-bg-dark",
}

BANNER = {
    "timeout": "The gateway is slow to answer; the list may be stale.",
    "unreachable": "The gateway is not running or not reachable.",
    "forbidden": "The gateway token was refused.",
}

LIST_PAGE = """
{% extends "base.html" %}
{% block body %}
<form method="get">
  {% for s in choices %}
  <label><input type="checkbox" name="status" value="{{ s }}" {{ "checked" if s in wanted }}> {{ s }}</label>
  {% endfor %}
  <button>Filter</button>
</form>
<table class="table">
{% for row in rows %}
  <tr>
    <td><a href="{{ url_for('sessions.detail', key=row.key) }}">{{ row.key }}</a></td>
    <td><span class="badge {{ badge(row.status) }}">{{ row.status or "-" }}</span></td>
    <td>{{ row.model }}</td>
    <td>{% if row.status == "running" %}<form method="post" action="{{ url_for('sessions.stop', key=row.key) }}"><button>Stop</button></form>{% endif %}</td>
  </tr>
{% endfor %}
</table>
{% endblock %}
"""


def badge(status: str | None) -> str:
    return BADGE.get(status or "", "text-bg-light")


@bp.get("/")
def index():
    wanted = [s for s in request.args.getlist("status") if s in STATUS_CHOICES]
    try:
        rows = gateway.list_sessions(search=request.args.get("q") or None)
    except gateway.GatewayDown as down:
        flash(BANNER.get(down.reason, str(down)), "warning")
        rows = []
    if wanted:
        rows = [r for r in rows if r.get("status") in wanted]
    return render_template_string(LIST_PAGE, rows=rows, choices=STATUS_CHOICES, wanted=wanted, badge=badge)


@bp.get("/s/<path:key>")
def detail(key: str):
    try:
        card = gateway.session_card(key)
    except gateway.GatewayDown as down:
        if down.reason == "timeout":
            flash(BANNER["timeout"], "warning")
            return redirect(url_for(".index"))
        abort(502, str(down))
    return render_template_string(
        '{% extends "base.html" %}{% block body %}<pre>{{ card | tojson(indent=2) }}</pre>'
        "<h3>Actions here</h3><ul>{% for a in actions %}<li>{{ a.action }}: {{ a.state }}</li>{% endfor %}</ul>"
        "{% endblock %}",
        card=card,
        actions=audit.for_key(key),
    )


@bp.post("/s/<path:key>/stop")
def stop(key: str):
    action_id = audit.start(key, "stop", who=request.remote_user or "admin")
    ok, why = gateway.abort(key)
    audit.finish(action_id, ok, why)
    if ok:
        flash(f"Stop sent to {key}.", "success")
    else:
        flash(f"Could not stop {key}: {why}", "danger")
    return redirect(request.referrer or url_for(".index"))


@bp.get("/stuck")
def stuck():
    """Runs still going after the configured time, and runs that ended on a limit."""
    limit_ms = current_app.config["STUCK_AFTER_MIN"] * 60_000
    now_ms = int(time.time() * 1000)
    rows = gateway.list_sessions()
    long_running = [r for r in rows if r.get("status") == "running" and now_ms - (r.get("startedAt") or now_ms) > limit_ms]
    hit_limit = [r for r in rows if r.get("status") == "timeout"]
    return render_template_string(
        '{% extends "base.html" %}{% block body %}'
        "<h2>Running too long</h2>{% for r in a %}<p>{{ r.key }}</p>{% endfor %}"
        "<h2>Ended on a time limit</h2>{% for r in b %}<p>{{ r.key }}</p>{% endfor %}"
        "{% endblock %}",
        a=long_running,
        b=hit_limit,
    )


@bp.get("/audit")
def audit_page():
    state = request.args.get("state", "failed")
    if state not in audit.STATES:
        abort(400, f"unknown state {state!r}")
    return render_template_string(
        '{% extends "base.html" %}{% block body %}<table>{% for a in rows %}'
        "<tr><td>{{ a.at }}</td><td>{{ a.key }}</td><td>{{ a.action }}</td><td>{{ a.note }}</td></tr>"
        "{% endfor %}</table>{% endblock %}",
        rows=audit.by_state(state),
    )
