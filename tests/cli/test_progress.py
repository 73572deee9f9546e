"""The progress bar: drawn for a person at a terminal, never into a pipe or a
CI log, and never for a run that ends before it is worth showing."""

from __future__ import annotations

import io
from pathlib import Path

from conftest import run_cli
from migrator.progress import DELAY, Bar, bar_for, wanted


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_wanted_only_on_a_terminal_outside_ci() -> None:
    assert wanted(Terminal(), {})
    assert not wanted(Terminal(), {"CI": "true"})
    assert not wanted(io.StringIO(), {})
    assert bar_for(io.StringIO()) is None


def test_bar_waits_then_draws_and_erases() -> None:
    now = [0.0]
    screen = Terminal()
    bar = Bar(screen, clock=lambda: now[0])
    bar(1, 10)
    assert screen.getvalue() == ""  # too early to be worth a bar
    now[0] = DELAY + 0.01
    bar(5, 10)
    assert screen.getvalue() == "\r[###############...............] 5/10 files"
    now[0] += 1
    bar(10, 10)
    bar.close()
    assert screen.getvalue().endswith("10/10 files\r" + " " * 60 + "\r")


def test_a_short_run_draws_nothing() -> None:
    screen = Terminal()
    bar = Bar(screen, clock=lambda: 0.0)
    bar(10, 10)
    bar.close()
    assert screen.getvalue() == ""


def test_no_bar_when_piped(demo: Path) -> None:
    for args, summary in ((("scan", "."), " scanned, "), (("apply", "--check", "."), " left unchanged.")):
        done = run_cli(*args, cwd=demo)
        assert "\r" not in done.stderr and "[#" not in done.stderr
        assert done.stdout.count(summary) + done.stderr.count(summary) == 1
