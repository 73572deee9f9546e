"""An operator's assistant: a chat loop with tools, and a nightly digest through the Batch API."""

from __future__ import annotations

import json
import time

from openai import OpenAI

from .tools import HANDLERS, TOOLS, list_openclaw_sessions

MODEL = "gpt-4.1-mini"
SYSTEM = (
    "You help an operator look after their OpenClaw agents. Use the tools to look at sessions "
    "before you answer, and never message a session unless asked to."
)
BATCH_OVER = ("completed", "failed", "expired", "cancelled")

client = OpenAI()


def ask(question: str, max_turns: int = 6) -> str:
    messages: list[dict] = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
    for _ in range(max_turns):
        resp = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
        msg = resp.choices[0].message
        if not msg.tool_calls:
            return msg.content or ""
        messages.append(msg.model_dump(exclude_none=True))
        for call in msg.tool_calls:
            handler = HANDLERS.get(call.function.name)
            try:
                out = handler(**json.loads(call.function.arguments)) if handler else f"no tool {call.function.name}"
            except Exception as exc:  # the model should see the error and decide
                out = f"error: {exc}"
            messages.append({"role": "tool", "tool_call_id": call.id, "content": out})
    return "I could not finish in the allowed number of steps."


def nightly_digest(path: str = "digest.jsonl") -> str | None:
    """One summary request per session that ended on an error last night, sent as one batch."""
    broken = json.loads(list_openclaw_sessions(status="failed"))
    if not broken:
        return None
    with open(path, "w", encoding="utf-8") as fh:
        for row in broken:
            body = {"model": MODEL, "messages": [{"role": "user", "content": f"Summarise what to check for {row['key']}."}]}
            fh.write(json.dumps({"custom_id": row["key"], "method": "POST", "url": "/v1/chat/completions", "body": body}) + "\n")
    upload = client.files.create(file=open(path, "rb"), purpose="batch")
    batch = client.batches.create(input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h")
    while batch.status not in BATCH_OVER:
        time.sleep(60)
        batch = client.batches.retrieve(batch.id)
    if batch.status == "failed":
        errors = batch.errors.data if batch.errors else []
        raise RuntimeError("digest batch failed: " + "; ".join(e.message or "" for e in errors))
    if batch.status != "completed" or not batch.output_file_id:
        return None
    return client.files.content(batch.output_file_id).text
