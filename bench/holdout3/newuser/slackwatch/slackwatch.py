#!/usr/bin/env python3
"""Post to Slack when an OpenClaw session's last run went wrong.

Runs as a systemd service. Every minute it asks the gateway for sessions_list
over POST /tools/invoke and posts once per (session, run) that ended badly.
For a failed run it asks the agent itself what went wrong (sessions_send).

env: OPENCLAW_URL, OPENCLAW_GATEWAY_TOKEN, SLACK_WEBHOOK_URL
"""
import json
import os
import sys
import time

import requests

GATEWAY = os.environ.get("OPENCLAW_URL", "http://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")
SLACK_HOOK = os.environ.get("SLACK_WEBHOOK_URL", "")
STATE_FILE = os.path.expanduser("~/.cache/slackwatch.json")

BAD = ("failed", "timeout", "killed")
EMOJI = {
    "failed": ":x:",
    "timeout": ":hourglass:",
    "killed": ":octagonal_sign:",
}


def invoke(tool, args=None):
    r = requests.post(
        f"{GATEWAY}/tools/invoke",
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={"tool": tool, "args": args or {}},
        timeout=30,
    )
    r.raise_for_status()
    body = r.json()
    if not body.get("ok"):
        raise RuntimeError(f"{tool}: {body.get('error')}")
    return body["result"]


def list_sessions():
    result = invoke("sessions_list", {"limit": 200})
    details = result.get("details")
    if details and "sessions" in details:
        return details["sessions"]
    # some gateways only fill the text part
    text = result["content"][0]["text"]
    return json.loads(text)["sessions"]


def load_seen():
    try:
        with open(STATE_FILE) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def save_seen(seen):
    os.makedirs(os.path.dirname(STATE_FILE), exist_ok=True)
    with open(STATE_FILE, "w") as f:
        json.dump(seen, f)


def post(text):
    if not SLACK_HOOK:
        print(text)
        return
    resp = requests.post(SLACK_HOOK, json={"text": text}, timeout=10)
    if resp.status_code != 200:
        print("slack said", resp.status_code, resp.text, file=sys.stderr)


def ask_why(key):
    """Ask the agent for one line about its last run; None if it does not answer in time."""
    res = invoke("sessions_send", {
        "sessionKey": key,
        "message": "Your last run ended badly. In one line: what happened?",
        "timeoutSeconds": 20,
    })
    answer = res.get("details") or {}
    if answer.get("status") == "timeout":
        return None
    if answer.get("status") == "ok":
        return answer.get("reply")
    return None


def check_once():
    seen = load_seen()
    for s in list_sessions():
        status = s.get("status")
        if status not in BAD:
            continue
        mark = str(s.get("endedAt"))
        if seen.get(s["key"]) == mark:
            continue
        seen[s["key"]] = mark
        line = f"{EMOJI[status]} `{s['key']}` last run: {status}"
        if status == "killed" and s.get("abortedLastRun"):
            line += " (stopped by a user)"
        elif status == "failed":
            why = ask_why(s["key"])
            if why:
                line += f" - {why}"
        post(line)
    save_seen(seen)


if __name__ == "__main__":
    while True:
        try:
            check_once()
        except requests.RequestException as e:
            print("gateway unreachable:", e, file=sys.stderr)
        time.sleep(60)
