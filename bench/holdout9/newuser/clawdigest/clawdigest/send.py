"""Send the digest by SMTP, and remember how each send went."""

from __future__ import annotations

import json
import os
import smtplib
import socket
import time
from email.message import EmailMessage
from pathlib import Path

from .collect import snapshot
from .render import render

OUTBOX = Path(os.environ.get("CLAWDIGEST_OUTBOX", Path.home() / ".cache" / "clawdigest" / "sends.jsonl"))


def send(subject: str, body: str) -> str:
    """'done', 'timeout' or 'failed': how this send went."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = os.environ["CLAWDIGEST_FROM"]
    msg["To"] = os.environ["CLAWDIGEST_TO"]
    msg.set_content(body)
    try:
        with smtplib.SMTP(os.environ.get("CLAWDIGEST_SMTP", "localhost"), timeout=30) as smtp:
            smtp.starttls()
            if os.environ.get("CLAWDIGEST_USER"):
                smtp.login(os.environ["CLAWDIGEST_USER"], os.environ["CLAWDIGEST_PASSWORD"])
            smtp.send_message(msg)
    except (socket.timeout, TimeoutError):
        return "timeout"
    except (smtplib.SMTPException, OSError):
        return "failed"
    return "done"


def main() -> int:
    subject, body = render(snapshot())
    result = send(subject, body)
    OUTBOX.parent.mkdir(parents=True, exist_ok=True)
    with OUTBOX.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"at": int(time.time()), "subject": subject, "result": result}) + "\n")
    return 0 if result == "done" else 1


if __name__ == "__main__":
    raise SystemExit(main())
