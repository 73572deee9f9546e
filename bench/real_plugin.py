"""Check `migrator plugin` inside a REAL OpenClaw 2026.9.6 gateway, with a scripted model (not in CI).

    python bench/real_plugin.py            # about 6 minutes; exit 1 on any FAIL
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
`resumable` and a note), after `--install` then `--uninstall`, with Tool Search off
(without and with the plugin), and `--resumable` from a manifest whose sunset the
gateway's version has passed (new names: the plugin reads the version it runs in).

What the model is sent with the plugin is checked byte for byte against the
gateway's own frame walked by migrator's proxy translation (a second
implementation), the prompt against the gateway's own with the one guidance line,
and the stored statuses against the run without the plugin. Only the `updatedAt`
of the session the check's turn runs in differs between runs, and is set aside.
"""

from __future__ import annotations

import argparse
import http.server
import json
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
from migrator.compat.translation import Translator  # noqa: E402
from migrator.sqlitedb import connect as sqlite_connect  # noqa: E402
from migrator.manifest import load_manifest  # noqa: E402

ROOT = rg.ROOT
FIXTURES = ROOT / "fixtures" / "plugin"
MARK = "migrator-plugin-check"  # in the check's message: the only turn that calls the tool
MODEL = "scripted-model"
PROVIDER = "scripted"
TOOL, BRIDGE = "sessions_list", "tool_call"
SESSION = "agent:main:main"
ANCHOR = "\n## Tooling\n"
MANIFEST = load_manifest()
AGENT = MANIFEST.agent
assert AGENT is not None


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
    return subprocess.run([str(bin_dir / "node"), str(cli), "agent", "--session-key", SESSION,
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
            if all(seen.values()):
                check_seen(seen, tmp)  # type: ignore[arg-type]
                if args.save:
                    save(seen)  # type: ignore[arg-type]
        finally:
            for p in rg.procs:
                rg.stop(p)
            model.close()
            if args.keep:
                shutil.copytree(tmp, args.keep, dirs_exist_ok=True)
    print(f"{len(rg.failures)} FAIL in {time.monotonic() - started:.0f}s" + (f": {rg.failures}" if rg.failures else ""))
    return 1 if rg.failures else 0


def turn_stamp(text: str) -> int:
    """The `updatedAt` of the session the check's turn runs in: the turn itself
    sets it, so it is the one value that differs between two runs."""
    doc = json.loads(text)
    rows = doc["result"]["details"]["sessions"] if "tool" in doc else doc["sessions"]
    return next(int(r["updatedAt"]) for r in rows if r["key"] == SESSION)


def steady(text: str) -> str:
    return text.replace(str(turn_stamp(text)), "0")


def expected(text: str, vocabulary: str, annotate: bool) -> str:
    """What the model should be sent instead of the gateway's own ``text``:
    the names walked by migrator's proxy translation, and for --resumable the
    two keys added to each resumable row; another implementation than the plugin's."""
    doc = json.loads(text)
    bridged = "tool" in doc
    result = doc["result"] if bridged else {"content": [{"type": "text", "text": text}]}
    Translator(MANIFEST).serve("tool", TOOL, result, vocabulary)  # type: ignore[arg-type]
    if annotate:
        resumable = {v if vocabulary == "new" else MANIFEST.vocabulary.to_old(v) for v in AGENT.resumable}

        def mark(payload: dict[str, Any]) -> None:
            for row in payload.get("sessions", []):
                if row.get("status") in resumable:
                    row.update(resumable=True, note=AGENT.note)

        if bridged:
            mark(result["details"])
        for part in result["content"]:
            inner = json.loads(part["text"])
            mark(inner)
            part["text"] = json.dumps(inner, indent=2, ensure_ascii=False)
    return json.dumps(doc, indent=2, ensure_ascii=False) if bridged else str(result["content"][0]["text"])


def guidance(vocabulary: str) -> str:
    names = [f"`{v if vocabulary == 'new' else MANIFEST.vocabulary.to_old(v)}`" for v in AGENT.resumable]
    return AGENT.guidance.replace("{resumable}", ", ".join(names[:-1]) + " and " + names[-1])


def with_guidance(system: str, vocabulary: str) -> str:
    return system.replace(ANCHOR, f"{ANCHOR}{guidance(vocabulary)}\n", 1)


def statuses(text: str) -> dict[str, Any]:
    doc = json.loads(text)
    payload = json.loads(doc["result"]["content"][0]["text"]) if "tool" in doc else doc
    return {r["key"].split(":", 2)[-1][:24]: (r.get("status"), r.get("resumable")) for r in payload["sessions"]}


def stored(state: Path) -> list[tuple[str, str | None, str]]:
    conn = sqlite_connect(state / rg.DB)
    try:
        rows = conn.execute("SELECT session_key, status, json_extract(entry_json, '$.status') FROM session_nodes "
                            "WHERE session_key != ? ORDER BY session_key", (SESSION,)).fetchall()
        return [tuple(r) for r in rows]
    finally:
        conn.close()


def check_seen(seen: dict[str, dict[str, Any]], tmp: Path) -> None:
    base, direct = seen["without"], seen["direct-without"]
    for name, frame in (("without", base), ("direct-without", direct)):
        doc = json.loads(frame["tool_result"])
        rg.check(f"{name}: the gateway's own text is JSON.stringify(_, null, 2) (re-dumps byte for byte)",
                 json.dumps(doc, indent=2, ensure_ascii=False) == frame["tool_result"])
        print(f"INFO {name}: statuses the model saw {statuses(frame['tool_result'])}")
    rg.check("Tool Search on: sessions_list reached through tool_call", TOOL not in base["tools"] and BRIDGE in base["tools"])
    rg.check("Tool Search off: sessions_list offered directly", TOOL in direct["tools"])
    rg.check("without the plugin: no guidance in the prompt", guidance("new") not in base["system"] and guidance("old") not in base["system"])
    for run, before, annotate, vocabulary in (("with", base, False, "new"), ("resumable", base, True, "old"),
                                              ("direct-with", direct, False, "new"), ("past-sunset", base, True, "new")):
        got = seen[run]
        want = expected(steady(before["tool_result"]), vocabulary, annotate)
        rg.check(f"{run}: tool result is the gateway's in {vocabulary} names{' with resumable marks' if annotate else ''}, every other byte as sent",
                 steady(got["tool_result"]) == want, _first_difference(steady(got["tool_result"]), want))
        print(f"INFO {run}: statuses the model saw {statuses(got['tool_result'])}")
        rg.check(f"{run}: the prompt is the gateway's with the guidance under '## Tooling' ({vocabulary} names)",
                 got["system"] == with_guidance(before["system"], vocabulary), _first_difference(got["system"], with_guidance(before["system"], vocabulary)))
    gone = seen["uninstalled"]
    rg.check("after --uninstall: tool result exactly as without the plugin (but this turn's updatedAt)",
             steady(gone["tool_result"]) == steady(base["tool_result"]))
    rg.check("after --uninstall: system prompt exactly as without the plugin", gone["system"] == base["system"])
    rows = {run: stored(tmp / run) for run in seen}
    rg.check("stored statuses (column and entry_json) identical with and without the plugin",
             all(r == rows["without"] for r in rows.values()), rows["without"])


def _first_difference(a: str, b: str) -> str:
    if a == b:
        return ""
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"at {at}: {a[max(0, at - 80):at + 80]!r} vs {b[max(0, at - 80):at + 80]!r}"


def save(seen: dict[str, dict[str, Any]]) -> None:
    """The frames as the model received them: the tool message's content, the
    tools offered, and the prompt's tool section (the whole prompt is ~50 kB)."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for run, frame in seen.items():
        system = frame["system"]
        lines = system[system.index(ANCHOR) + 1 :].splitlines()
        end = next((i for i, line in enumerate(lines) if i and line.startswith("#")), len(lines))
        head = "\n".join(lines[:end])  # the tool section, up to the next heading
        record = {"gateway": rg.OPENCLAW, "scenario": run, "tools": frame["tools"], "tool_result": frame["tool_result"],
                  "system_prompt_tooling": head, "system_prompt_chars": len(system)}
        (FIXTURES / f"{run}.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"INFO saved {len(seen)} frames to {FIXTURES.relative_to(ROOT)}/")


def migrator_plugin(*extra: str) -> Any:
    def step(bin_dir: Path, cli: Path, state: Path) -> bool:
        env = dict(rg.oc_env(bin_dir, state), PYTHONPATH=rg.py_env()["PYTHONPATH"])
        args = [a.replace("{manifest}", str(state.parent / f"{state.name}.toml")) for a in extra]
        done = subprocess.run([sys.executable, "-m", "migrator", "plugin", *args, "--state-dir", str(state),
                               "--openclaw", f"{bin_dir / 'node'} {cli}"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
        rg.check(f"migrator plugin {' '.join(extra).replace('{manifest}', 'FILE')} --state-dir: exit 0", done.returncode == 0,
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
    # The same --resumable plugin from a manifest whose sunset 2026.9.6 has
    # passed: new names prove the plugin reads the running gateway's version.
    ("past-sunset", [lambda b, c, state: write_manifest(state), migrator_plugin("--install", "--resumable", "--manifest", "{manifest}")]),
]


def write_manifest(state: Path) -> bool:
    source = (ROOT / "migrator" / "renames" / "session_status.toml").read_text("utf-8")
    moved = source.replace(f'introduced = "{MANIFEST.schedule.introduced_text}"', 'introduced = "2026.1.0"')
    moved = moved.replace(f'sunset = "{MANIFEST.schedule.sunset_text}"', 'sunset = "2026.4.0"')
    (state.parent / f"{state.name}.toml").write_text(moved, "utf-8")
    return moved != source


if __name__ == "__main__":
    sys.exit(main())
