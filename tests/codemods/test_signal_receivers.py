"""Functions connected to a signal are passed what it is sent. blinker's
``@sig.connect`` and Django's ``@receiver(sig)`` receivers take the keyword
arguments of ``sig.send(sender, status=...)``: where a module sends a
session row's status, each receiver's ``status`` is a session status, in the
same module or in another one that imports the signal. A receiver of a
signal sent another vocabulary's value (a sub-agent run's outcome) stays, and
a session word the sender writes itself (``"killed"`` after a stop) neither
decides nor blocks where the other calls' values come from."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import imported, run_cli

SIGNALS = '''class Signal:
    def __init__(self):
        self.receivers = []

    def connect(self, func):
        self.receivers.append(func)
        return func

    def send(self, sender, **kwargs):
        return [(r, r(sender, **kwargs)) for r in self.receivers]


settled = Signal()
ended = Signal()
'''

POLLER = '''import json

import httpx

from .signals import ended, settled


def rows(client):
    result = client.post("/tools/invoke", json={"tool": "sessions_list", "args": {}}).json()["result"]
    return result["details"]["sessions"]


def _emit(key, status):
    return settled.send(key, status=status)


def tick(client):
    for row in rows(client):
        _emit(row["key"], row.get("status"))


def stopped(key):
    return _emit(key, "killed")


def runs(path):
    for run_id, run in json.loads(path.read_text()).get("runs", {}).items():
        ended.send(run_id, status=(run.get("outcome") or {}).get("status"))
'''

RECEIVERS = '''from .signals import ended, settled


@settled.connect
def page(sender, status, **_):
    return status == "failed"


@settled.connect
def stopped(sender, status, **_):
    return status in ("killed", "timeout")


@ended.connect
def run_late(sender, status, **_):
    return status == "timeout"
'''


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "sig").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "sig"\n', "utf-8")
    (root / "sig" / "__init__.py").write_text("", "utf-8")
    (root / "sig" / "signals.py").write_text(SIGNALS, "utf-8")
    (root / "sig" / "poller.py").write_text(POLLER, "utf-8")
    (root / "sig" / "receivers.py").write_text(RECEIVERS, "utf-8")
    return root


def test_receivers_in_another_module_take_the_status_the_signal_is_sent(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    scan = run_cli("scan", ".", "--show-why", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    lines = [line.split(" -> ")[0] for line in scan.stdout.splitlines()
             if line.startswith("sig/") and "kept in expand" not in line]
    assert lines == [
        "sig/receivers.py:6:22: status-compare [certain, rewrite] 'failed'",
        "sig/receivers.py:11:23: status-membership [certain, rewrite] 'killed'",
        "sig/receivers.py:11:33: status-membership [certain, rewrite] 'timeout'",
    ]
    assert "`status` of `page()` is passed, at sig/poller.py:14, `status`" in scan.stdout
    assert "sig/poller.py:23:23: status-passed-value: `killed` kept in expand" in scan.stdout
    expanded = RECEIVERS.replace('== "failed"', 'in ("failed", "interrupted")').replace(
        '("killed", "timeout")', '("killed", "halted", "timeout", "waiting_for_response")')
    contracted = RECEIVERS.replace('== "failed"', '== "interrupted"').replace(
        '("killed", "timeout")', '("halted", "waiting_for_response")')
    for phase, expected in (("expand", expanded), ("contract", contracted)):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        assert (root / "sig" / "receivers.py").read_text("utf-8") == expected, phase
        assert (root / "sig" / "signals.py").read_text("utf-8") == SIGNALS
    assert (root / "sig" / "poller.py").read_text("utf-8") == POLLER.replace('"killed")', '"halted")')
    with imported(root, "sig"):
        from sig import receivers, signals  # type: ignore[import-not-found]

        answers = {r.__name__: a for r, a in signals.settled.send("k", status="interrupted")}
        assert answers == {"page": True, "stopped": False}
        assert {r.__name__: a for r, a in signals.settled.send("k", status="halted")} == {"page": False, "stopped": True}
        assert receivers.run_late("r", status="timeout") is True


# One module, Django's spelling: `@receiver(sig)` and `sig.send(sender=..., status=...)`.
DJANGO_STYLE = '''import subprocess
import json

from django.dispatch import Signal, receiver

settled = Signal()


def poll():
    out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, check=True).stdout
    for row in json.loads(out)["sessions"]:
        settled.send(sender=None, key=row["key"], status=row["status"])


@receiver(settled)
def alert(sender, key, status, **kwargs):
    return status == "timeout"
'''


def test_a_django_receiver_in_the_module_that_sends(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "dj"\n', "utf-8")
    (root / "hooks.py").write_text(DJANGO_STYLE, "utf-8")
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "hooks.py").read_text("utf-8") == DJANGO_STYLE.replace('== "timeout"', '== "waiting_for_response"')
