"""Ctrl-C while forked readers survey a large tree stops them: the run does
not wait for the work they have queued. A named pipe among the files holds
one reader in its read for good (discovery never lists one; the survey is
given it here), so a run that waited for its readers would never end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import REPO

CHILD = '''
import sys
from pathlib import Path

from migrator import pipeline
from migrator.config import load_projects
from migrator.engines import engines_for
from migrator.files import SourcePath

root = Path(sys.argv[1])
(options,) = load_projects([str(root)], cwd=root, jobs=2)
engine = engines_for(options)["python"]
names = sorted(p.name for p in root.iterdir())
items = [(engine, SourcePath(root / n, n, root, n, False), True) for n in names]
try:
    pipeline._survey_all(items, None, True, 2)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
print("finished", flush=True)
'''


def test_ctrl_c_during_the_forked_survey_stops_its_readers(tmp_path: Path) -> None:
    from migrator.pipeline import FORK, PARALLEL_SURVEY

    assert FORK, "forked readers are a Linux feature"
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(PARALLEL_SURVEY):
        (tree / f"f{i:05d}.py").write_text('status = "done"\n', "utf-8")
    os.mkfifo(tree / "a_pipe.py")  # sorted first: a reader blocks on it at once
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'tests'}"}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(tree)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    readers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and len(children.read_text().split()) < 2:
            time.sleep(0.05)
        readers = [int(pid) for pid in children.read_text().split()]
        assert proc.poll() is None and len(readers) >= 2, "the readers never started"
        time.sleep(0.5)  # every other file read by now: only the pipe's reader is left
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert (proc.returncode, out) == (130, "interrupted\n"), err
        for pid in readers:  # stopped, not left reading
            assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    finally:
        if proc.poll() is None:  # a failed run leaves nothing blocked behind
            # Its readers are its children: while it lives, their ids are theirs.
            for pid in [*readers, proc.pid]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        proc.wait()
