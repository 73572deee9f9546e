"""A daily digest of the sessions that ended, by email and ntfy."""

from __future__ import annotations

import json
import os
import smtplib
from email.message import EmailMessage
from pathlib import Path

import httpx

from .poll import fetch

STATE = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))
NTFY = os.environ.get("NTFY_URL", "https://ntfy.example.org/openclaw")

HEADINGS = {
    "failed": "Ended with an error",
    "timeout": "Ran out of time",
    "killed": "Stopped by someone",
    "done": "Finished",
}

# what happened to each channel of the digest itself
sent: dict[str, str] = {}


def sections(rows: list[dict]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in rows:
        heading = HEADINGS.get(row.get("status"))
        if heading:
            out.setdefault(heading, []).append(row["key"])
    return out


def late_subagents() -> list[str]:
    path = STATE / "subagents" / "runs.json"
    if not path.exists():
        return []
    runs = json.loads(path.read_text()).get("runs", {})
    return [rid for rid, run in runs.items() if (run.get("outcome") or {}).get("status") == "timeout"]


def render(rows: list[dict]) -> str:
    parts = []
    for heading, keys in sections(rows).items():
        parts.append(heading + ":\n" + "\n".join("  " + k for k in keys))
    late = late_subagents()
    if late:
        parts.append("Sub-agent runs that timed out:\n" + "\n".join("  " + r for r in late))
    return "\n\n".join(parts) or "No session ended today."


def send_ntfy(text: str) -> None:
    try:
        httpx.post(NTFY, content=text.encode(), headers={"Title": "OpenClaw digest"}, timeout=10).raise_for_status()
        sent["ntfy"] = "done"
    except httpx.TimeoutException:
        sent["ntfy"] = "timeout"
    except httpx.HTTPError:
        sent["ntfy"] = "failed"


def send_mail(text: str) -> None:
    msg = EmailMessage()
    msg["Subject"] = "OpenClaw sessions today"
    msg["From"] = os.environ.get("DIGEST_FROM", "openclaw@localhost")
    msg["To"] = os.environ.get("DIGEST_TO", "team@localhost")
    msg.set_content(text)
    try:
        with smtplib.SMTP(os.environ.get("SMTP_HOST", "localhost")) as smtp:
            smtp.send_message(msg)
        sent["mail"] = "done"
    except OSError:
        sent["mail"] = "failed"


def main() -> int:
    state, rows = fetch()
    if state != "done":
        return 1
    ended = [r for r in rows if r.get("status") != "running"]
    text = render(ended)
    send_ntfy(text)
    send_mail(text)
    return 0 if all(v == "done" for v in sent.values()) else 2


if __name__ == "__main__":
    raise SystemExit(main())
