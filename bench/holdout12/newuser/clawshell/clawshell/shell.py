"""The ``cmd.Cmd`` loop."""

from __future__ import annotations

import cmd
import shlex
from typing import Any

from . import marks, source


class ClawShell(cmd.Cmd):
    intro = "clawshell: type help or ? to list commands."
    prompt = "claw> "

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        self.last_state = "ok"

    # -- helpers ---------------------------------------------------------

    def _load(self) -> bool:
        got = source.sessions()
        self.last_state = got.state
        if got.state != "ok":
            print("sessions:", got.state, got.message)
            return False
        self.rows = got.data
        return True

    def postcmd(self, stop: bool, line: str) -> bool:
        # The prompt shows when the last call to the CLI went wrong, and how.
        self.prompt = "claw> " if self.last_state == "ok" else "claw(%s)> " % self.last_state
        return stop

    # -- commands --------------------------------------------------------

    def do_ls(self, arg: str) -> None:
        """ls [STATUS ...]  list sessions, only those in the given statuses if any."""
        wanted = set(shlex.split(arg))
        unknown = wanted - set(marks.SESSION_STATUSES)
        if unknown:
            print("no such status:", ", ".join(sorted(unknown)))
            return
        if not self._load():
            return
        for row in self.rows:
            if not wanted or row.get("status") in wanted:
                print(marks.line(row))

    def complete_ls(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        return [s for s in marks.SESSION_STATUSES if s.startswith(text)]

    def do_broken(self, arg: str) -> None:
        """broken  sessions whose last run failed or ran out of time (not user stops)."""
        if not self._load():
            return
        for row in self.rows:
            if row.get("status") in ("failed", "timeout") and not row.get("abortedLastRun"):
                print(marks.line(row))

    def do_stop(self, arg: str) -> None:
        """stop KEY  abort the session's current run."""
        key = arg.strip()
        row = next((r for r in self.rows if r["key"] == key), None)
        if row is None:
            print("unknown key (run ls first):", key)
            return
        if row.get("status") != "running":
            print("not running:", row.get("status"))
            return
        got = source.abort(key)
        self.last_state = got.state
        if got.state == "ok":
            # Shown at once by the next `ls` from cache; the gateway's row follows.
            row["status"] = "killed"
            row["abortedLastRun"] = True
            print(marks.line(row))
        elif got.state == "timeout":
            print("the gateway did not answer; check with ls")
        else:
            print("abort:", got.message)

    def complete_stop(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        return [r["key"] for r in self.rows if r["key"].startswith(text) and r.get("status") == "running"]

    def do_tasks(self, arg: str) -> None:
        """tasks  background tasks, the ones that went wrong first."""
        got = source.tasks()
        self.last_state = got.state
        if got.state == "failed":
            print("tasks:", got.message)
            return
        items = sorted(got.data or [], key=lambda t: t.get("status") not in ("failed", "timed_out", "lost"))
        for task in items:
            print(marks.TASK_MARK.get(task.get("status"), " "), task.get("id"), task.get("status"))

    def do_count(self, arg: str) -> None:
        """count  sessions per status."""
        if not self._load():
            return
        for status in marks.SESSION_STATUSES:
            n = sum(1 for r in self.rows if r.get("status") == status)
            print("%s %-8s %d" % (marks.mark(status), status, n))

    def do_quit(self, arg: str) -> bool:
        """quit  leave the shell."""
        return True

    do_EOF = do_quit


def main() -> None:
    ClawShell().cmdloop()


if __name__ == "__main__":
    main()
