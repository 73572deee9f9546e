"""The watchdog handler and the loop around it."""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import time
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from . import changes, snapshot

log = logging.getLogger("clawfs")

WATCHED = ("openclaw-agent.sqlite", "openclaw-agent.sqlite-wal", "sessions.json", "runs.json")
QUIET = 0.5  # seconds without events before we re-read (the gateway writes in bursts)


class StateHandler(FileSystemEventHandler):
    def __init__(self, state_dir: Path, journal: Path, notify: bool = True) -> None:
        self.state_dir = state_dir
        self.journal = journal
        self.notify = notify
        self.seen = {d.name: snapshot.read_agent(d) for d in snapshot.agent_dirs(state_dir)}
        self.outcomes = snapshot.subagent_outcomes(state_dir)
        self._pending: dict[str, threading.Timer] = {}
        self._lock = threading.Lock()

    def on_any_event(self, event: FileSystemEvent) -> None:
        path = Path(str(event.src_path))
        if event.is_directory or path.name not in WATCHED:
            return
        rel = path.relative_to(self.state_dir).parts
        agent = rel[1] if rel[0] == "agents" and len(rel) > 2 else "-subagents"
        with self._lock:
            if agent in self._pending:
                self._pending[agent].cancel()
            timer = threading.Timer(QUIET, self._reread, args=(agent,))
            self._pending[agent] = timer
            timer.start()

    def _reread(self, agent: str) -> None:
        if agent == "-subagents":
            new = snapshot.subagent_outcomes(self.state_dir)
            for rid in changes.bad_outcomes(self.outcomes, new):
                log.warning("subagent run %s ended %s", rid, new[rid])
            self.outcomes = new
            return
        try:
            new = snapshot.read_agent(self.state_dir / "agents" / agent)
        except Exception as exc:  # a half-written legacy file; the next event will do
            log.debug("re-read of %s failed: %s", agent, exc)
            return
        found = changes.diff(agent, self.seen.get(agent, {}), new)
        self.seen[agent] = new
        with self.journal.open("a", encoding="utf-8") as fh:
            for ch in found:
                fh.write(json.dumps({"ts": time.time(), "agent": ch.agent, "key": ch.key,
                                     "from": ch.before, "to": ch.after, "severity": ch.severity}) + "\n")
        for ch in found:
            log.log(logging.WARNING if ch.severity != "info" else logging.INFO, "%s %s: %s", agent, ch.key, ch.text)
            if self.notify and ch.severity == "alert":
                subprocess.run(["notify-send", "-u", "critical", "OpenClaw " + ch.key, ch.text], check=False)


def follow(state_dir: Path, journal: Path) -> None:
    handler = StateHandler(state_dir, journal)
    observer = Observer()
    observer.schedule(handler, str(state_dir / "agents"), recursive=True)
    if (state_dir / "subagents").is_dir():
        observer.schedule(handler, str(state_dir / "subagents"), recursive=False)
    observer.start()
    try:
        while observer.is_alive():
            observer.join(1)
    finally:
        observer.stop()
        observer.join()
