"""Check `migrator plugin` inside a REAL OpenClaw 2026.9.6 gateway, with a scripted model (not in CI).

    python bench/real_plugin.py            # about 3-5 minutes; exit 1 on any FAIL
    python bench/real_plugin.py --save     # also write the frames the model saw to fixtures/plugin/

No model provider is reachable here, so a real OpenAI-compatible HTTP server on
loopback answers as a model would: to the check's message it first calls
`sessions_list` (through Tool Search's `tool_call` bridge when the gateway hides
the tool, directly when `tools.toolSearch` is off), then records the tool result
and the system prompt it was sent, and answers. Every other request (restart
recovery re-runs a `running` main session) gets a plain answer.

The gateway is `openclaw@2026.9.6` (installed by bench/real_gateway.py's helper)
on a copy of fixtures/state imported with `openclaw doctor --fix`, configured
with `openclaw config set` to use the scripted model. One copy is settled first
(restart recovery ends its `running` rows), then every run starts from a copy of
that: without the plugin, with it (new names), with `--resumable` (old names plus
`resumable` and a note), with Tool Search off, and after `--uninstall`.
"""

from __future__ import annotations

import argparse
import http.server
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real_gateway as rg  # noqa: E402  (install, spawn, stop, the gateway's env)

ROOT = rg.ROOT
FIXTURES = ROOT / "fixtures" / "plugin"
MARK = "migrator-plugin-check"  # in the check's message: the only turn that calls the tool
MODEL = "scripted-model"
PROVIDER = "scripted"
TOOL, BRIDGE = "sessions_list", "tool_call"


class ScriptedModel:
    """An OpenAI-compatible chat-completions server that plays a model."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []  # the check's second turns: what the model was shown
        self.requests = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        model = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # /v1/models
                self._json({"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": PROVIDER}]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                model.requests += 1
                reply = model.answer(body)
                if body.get("stream"):
                    self._stream(reply)
                else:
                    self._json({"id": "chatcmpl-scripted", "object": "chat.completion", "created": 0, "model": MODEL,
                                "choices": [{"index": 0, "message": {"role": "assistant", **reply},
                                             "finish_reason": "tool_calls" if reply.get("tool_calls") else "stop"}],
                                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

            def _json(self, value: Any) -> None:
                data = json.dumps(value).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, reply: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                base = {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 0, "model": MODEL}
                calls = reply.get("tool_calls")
                delta: dict[str, Any] = {"role": "assistant"}
                if calls:
                    delta["tool_calls"] = [{"index": i, **c} for i, c in enumerate(calls)]
                else:
                    delta["content"] = reply["content"]
                chunks = [{**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
                          {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls" if calls else "stop"}],
                           "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}]
                for chunk in chunks:
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        messages = body.get("messages") or []
        if not any(MARK in _text(m.get("content")) for m in messages if m.get("role") == "user"):
            return {"content": "ok"}
        results = [m for m in messages if m.get("role") == "tool"]
        if not results:
            offered = {t.get("function", {}).get("name") for t in body.get("tools") or []}
            if TOOL in offered:
                call = {"name": TOOL, "arguments": "{}"}
            else:
                call = {"name": BRIDGE, "arguments": json.dumps({"id": TOOL, "args": {}})}
            return {"tool_calls": [{"id": "call1", "type": "function", "function": call}]}
        system = "\n".join(_text(m.get("content")) for m in messages if m.get("role") in ("system", "developer"))
        self.seen.append({"tools": sorted(t.get("function", {}).get("name") for t in body.get("tools") or []),
                          "system": system, "tool_result": _text(results[-1].get("content"))})
        return {"content": "Checked the sessions."}


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def openclaw(bin_dir: Path, cli: Path, state: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_dir / "node"), str(cli), *args], env=rg.oc_env(bin_dir, state),
                          capture_output=True, text=True, timeout=timeout, check=False)


def configure(bin_dir: Path, cli: Path, state: Path, port: int) -> bool:
    provider = {"baseUrl": f"http://127.0.0.1:{port}/v1", "apiKey": "scripted-key", "api": "openai-completions",
                "models": [{"id": MODEL, "name": MODEL}]}
    ok = True
    for path, value in ((f"models.providers.{PROVIDER}", provider),
                        ("agents.defaults.model.primary", f"{PROVIDER}/{MODEL}")):
        done = openclaw(bin_dir, cli, state, "config", "set", path, json.dumps(value), "--strict-json")
        if done.returncode != 0:
            print(f"INFO config set {path}: {(done.stdout + done.stderr).strip()[-400:]}")
            ok = False
    return ok


def agent_turn(bin_dir: Path, cli: Path, state: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = dict(rg.oc_env(bin_dir, state), OPENCLAW_GATEWAY_PORT=str(port))
    return subprocess.run([str(bin_dir / "node"), str(cli), "agent", "--session-key", "agent:main:main",
                           "--message", f"{MARK}: which sessions can I resume?", "--json", "--timeout", "120"],
                          env=env, capture_output=True, text=True, timeout=240, check=False)


def run_turn(bin_dir: Path, cli: Path, state: Path, model: ScriptedModel, log: Path) -> dict[str, Any] | None:
    """Start the gateway on ``state``, run the check's turn, stop it; what the model saw."""
    before = len(model.seen)
    proc, port = rg.start_gateway(bin_dir, cli, state, log)
    try:
        if port is None:
            print(f"INFO gateway did not start, see {log}")
            return None
        done = agent_turn(bin_dir, cli, state, port)
        if done.returncode != 0:
            print(f"INFO openclaw agent exit {done.returncode}: {(done.stdout + done.stderr).strip()[-600:]}")
    finally:
        rg.stop(proc)
    return model.seen[before] if len(model.seen) > before else None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--save", action="store_true", help="write the frames the model saw to fixtures/plugin/")
    parser.add_argument("--keep", metavar="DIR", help="copy the scratch dir here at the end")
    args = parser.parse_args()
    started = time.monotonic()
    bin_dir, cli = rg.install()
    model = ScriptedModel()
    seen: dict[str, dict[str, Any] | None] = {}
    with tempfile.TemporaryDirectory(prefix="realplugin-") as name:
        tmp = Path(name)
        settled = tmp / "settled"
        shutil.copytree(ROOT / "fixtures" / "state", settled)
        doctor = openclaw(bin_dir, cli, settled, "doctor", "--fix", "--non-interactive")
        rg.check("openclaw doctor --fix imports the legacy state", doctor.returncode == 0 and (settled / rg.DB).exists())
        rg.check("openclaw config set: the scripted model is the agents' provider", configure(bin_dir, cli, settled, model.port))
        proc, port = rg.start_gateway(bin_dir, cli, settled, tmp / "settle.log")
        rg.check("openclaw gateway run is ready on the settled copy", port is not None, f"log: {tmp / 'settle.log'}")
        time.sleep(5)
        rg.stop(proc)
        try:
            for run, steps in SCENARIOS:
                state = tmp / run
                shutil.copytree(settled, state)
                ok = True
                for step in steps:
                    ok = step(bin_dir, cli, state) and ok
                seen[run] = run_turn(bin_dir, cli, state, model, tmp / f"{run}.log") if ok else None
                rg.check(f"{run}: the scripted model was sent the tool result", seen[run] is not None, f"log: {tmp / f'{run}.log'}")
                (tmp / f"seen-{run}.json").write_text(json.dumps(seen[run], indent=1))
        finally:
            for p in rg.procs:
                rg.stop(p)
            model.close()
            if args.keep:
                shutil.copytree(tmp, args.keep, dirs_exist_ok=True)
    print(f"{len(rg.failures)} FAIL in {time.monotonic() - started:.0f}s" + (f": {rg.failures}" if rg.failures else ""))
    return 1 if rg.failures else 0


def migrator_plugin(*extra: str) -> Any:
    def step(bin_dir: Path, cli: Path, state: Path) -> bool:
        env = dict(rg.oc_env(bin_dir, state), PYTHONPATH=rg.py_env()["PYTHONPATH"])
        done = subprocess.run([sys.executable, "-m", "migrator", "plugin", *extra, "--state-dir", str(state),
                               "--openclaw", f"{bin_dir / 'node'} {cli}"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
        rg.check(f"migrator plugin {' '.join(extra)} --state-dir: exit 0", done.returncode == 0,
                 (done.stdout + done.stderr).strip().splitlines()[-1:])
        return done.returncode == 0
    return step


def tool_search_off(bin_dir: Path, cli: Path, state: Path) -> bool:
    done = openclaw(bin_dir, cli, state, "config", "set", "tools.toolSearch", "false", "--strict-json")
    rg.check("openclaw config set tools.toolSearch false", done.returncode == 0, done.stderr.strip()[-300:])
    return done.returncode == 0


SCENARIOS: list[tuple[str, list[Any]]] = [
    ("without", []),
    ("with", [migrator_plugin("--install")]),
    ("resumable", [migrator_plugin("--install", "--resumable")]),
    ("uninstalled", [migrator_plugin("--install"), migrator_plugin("--uninstall")]),
    ("direct-without", [tool_search_off]),
    ("direct-with", [tool_search_off, migrator_plugin("--install")]),
]


if __name__ == "__main__":
    sys.exit(main())
