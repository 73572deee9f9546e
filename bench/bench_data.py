"""Data benchmark (a plain script): JSONL throughput against jq doing the same
rename on the same file, and a 1,000,000-row OpenClaw database migrated.

    python bench/bench_data.py [--mb 64] [--rows 1000000] [--sessions 40000] [--repeat 5] [--jsonl-only]
                               [--export-only]

JSONL, side by side in one run, each figure the median of --repeat runs taken
in turn (wall clock, and CPU seconds of the process doing the work, which the
machine's other load disturbs less); each ratio is the median of the ratios
of the pairs run back to back, with their range, the noise of the machine:

- a file of session records as ``json.dumps(..., separators=(",", ":"))``
  writes them (80% of lines hold an old value at /status), migrated by
  ``jsonlines.stream`` (read, rename, write: what ``apply`` streams) and by
  ``jq -c`` with the same rename of the same pointer (``if .status == "done"
  then .status = "agent_responded" elif ... else . end``; the form
  ``.status |= (if . == ... end)`` is about 15% slower in jq and adds
  ``"status": null`` to a record without one, so the faster exact form is the
  one compared). Both outputs are checked: ours against the input with only
  the values' bytes replaced, and jq's line by line against ours;
- the same records written with ``json.dumps``' default spacing, which no
  whole-block shortcut applies to (one run each);
- the whole command path once: plan (as ``migrator apply --write`` does,
  findings included, the new content staged beside the file) and the write
  (journal copy, stale guard, rename).

The realistic export (--records records, about 67 MB for 300,000): nested
decoy statuses in every record, 10% of lines in ``json.dumps``' default form,
floats like ``1.0``, non-ASCII text and a truncated last line, through the
whole ``migrator apply --write --phase contract`` command (a
``[[tool.migrator.data]]`` rule at ``/status``) against jq on its whole
records, in turn; checked byte for byte, with its peak memory and its CPU
seconds; and, in the same turns, the same command as a plain install runs
it (this environment holds typing_extensions, which only the test extras
bring: with it pathspec imports asyncio at start, about 30 ms of CPU).
``apply --write`` makes one pass over the export: the plan stages
the new content beside it and copies the original for the journal as it
reads it (hashing each once), the write compares the file with that copy
byte for byte, moves the copy into the journal and renames. Then the floor:
the parts of that CPU time the work cannot do without, each measured alone
(start, imports, the parse with its proofs, the two hashes the journal
records, the bytes written and compared), and the best ratio they allow.

``sessions.json``: one OpenClaw session store of --sessions sessions (about
12 MB for 40,000, two thirds of them with an old status) migrated by the
whole ``apply --write`` path, against ``json.load`` plus ``json.dump`` of the
same file in Python, in turn, medians of --repeat (the goal: within 5x, which
only a pass linear in the file's size meets). The result is checked byte for
byte against the input with only the values replaced.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from migrator import jsonlines  # noqa: E402
from migrator.config import load_options  # noqa: E402
from migrator.manifest import load_manifest  # noqa: E402
from migrator.pipeline import run  # noqa: E402
from migrator.pointers import PointerPattern  # noqa: E402
from migrator.write import write  # noqa: E402

VOCAB = load_manifest().vocabulary
WORDS = [*VOCAB.old_to_new, *VOCAB.unchanged]


def make_jsonl(path: Path, megabytes: int, spaced: bool = False) -> int:
    rng = random.Random(7)
    target = megabytes * 1024 * 1024
    separators = (", ", ": ") if spaced else (",", ":")
    size = 0
    with open(path, "w", encoding="utf-8") as handle:
        n = 0
        while size < target:
            row = {"key": f"agent:main:subagent:{n:08d}", "status": rng.choice(WORDS), "startedAt": 1795484481000 + n,
                   "runtimeMs": rng.randint(0, 10**6), "label": "summarize repo " * rng.randint(0, 4),
                   "acp": {"state": "running"}, "abortedLastRun": False}
            line = json.dumps(row, separators=separators) + "\n"
            handle.write(line)
            size += len(line)
            n += 1
    return size


def make_export(path: Path, records: int) -> tuple[int, bytes]:
    """A JSONL export as users' tools write it: every record with nested
    decoy statuses (the last tool call's, an ``acp`` or ``outcome`` object's),
    floats like ``1.0``, non-ASCII text; about 90% compact lines and 10% in
    ``json.dumps``' default form (spaced, non-ASCII escaped); and a truncated
    last line, a record still being appended. Returns the size and the bytes
    expected after the rename (built from the same pieces, new names in)."""
    rng = random.Random(13)
    size = 0
    with open(path, "wb") as handle:
        expected = []
        for n in range(records):
            status = rng.choice(WORDS)
            nested = {"kind": "tool", "status": rng.choice(WORDS), "score": 1.0}
            row = {"key": f"agent:main:subagent:{n:08d}", "status": status, "startedAt": 1795484481000 + n,
                   "cost": rng.choice([1.0, 0.25, 2.5]), "label": "résumé du dépôt — 要約 " * rng.randint(0, 2),
                   "last": nested}
            row["acp" if n % 2 else "outcome"] = {"status": rng.choice(WORDS), "attempt": 1.0}
            new_row = dict(row, status=VOCAB.to_new(status))
            if n % 10 == 9:
                line, new_line = json.dumps(row), json.dumps(new_row)
            else:
                line = json.dumps(row, separators=(",", ":"), ensure_ascii=False)
                new_line = json.dumps(new_row, separators=(",", ":"), ensure_ascii=False)
            data = (line + "\n").encode("utf-8")
            handle.write(data)
            expected.append((new_line + "\n").encode("utf-8"))
            size += len(data)
        tail = b'{"key": "agent:main:subagent:tail", "status": "done", "last": {"kind": "to'
        handle.write(tail)
        expected.append(tail)
    return size + len(tail), b"".join(expected)


def _vm_hwm(pid: int) -> int:
    """The peak resident memory (KiB) of a running process, 0 if unknown."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def bench_export(records: int, repeat: int, tmp: Path) -> None:
    """The realistic export through ``apply --write`` (contract phase, a
    ``[[tool.migrator.data]]`` rule at ``/status``) against jq, in turn."""
    jq = shutil.which("jq")
    project = tmp / "export-project"
    (project / "exports").mkdir(parents=True)
    target = project / "exports" / "sessions.jsonl"
    source = tmp / "export.jsonl"
    size, expected = make_export(source, records)
    (project / "pyproject.toml").write_text('[tool.migrator]\n[[tool.migrator.data]]\n'
                                            'paths = ["exports/*.jsonl"]\npointers = ["/status"]\n')
    # jq stops at the truncated line: it gets the whole records only.
    whole = tmp / "export-whole.jsonl"
    with open(source, "rb") as src, open(whole, "wb") as dst:
        for line in src:
            if line.endswith(b"\n"):
                dst.write(line)
    ours: list[tuple[float, float]] = []
    plain: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    peak = 0
    # The child imports this checkout's sources, as an installed package
    # would: from bytecode compiled once (an untimed first run writes it into
    # a cache of this run, whatever PYTHONDONTWRITEBYTECODE says), not
    # compiled again on every start.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPATH=str(REPO), PYTHONPYCACHEPREFIX=str(tmp / "pycache"))
    arguments = ["apply", "--write", "--phase", "contract", "--no-cache", "."]
    command = [sys.executable, "-m", "migrator", *arguments]
    # The same command as a plain install runs it: this environment has
    # typing_extensions (the test extras bring it, no runtime dependency
    # does), and pathspec then takes its `deprecated`, whose first use
    # imports asyncio. Without it pathspec falls back to its own.
    as_installed = [sys.executable, "-c", "import runpy, sys; sys.modules['typing_extensions'] = None; "
                    f"sys.argv[1:] = {arguments!r}; runpy.run_module('migrator', run_name='__main__', alter_sys=True)"]
    shutil.copy(source, target)
    subprocess.run(command, cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

    def migrate(argv: list[str]) -> tuple[float, float, int]:
        shutil.copy(source, target)
        # Each run journals into a journal of its own, as a first run does.
        shutil.rmtree(project / ".migrator", ignore_errors=True)
        with tempfile.TemporaryFile() as errors:
            wall = time.perf_counter()
            child = subprocess.Popen(argv, cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=errors)
            # wait4: the CPU time of this child alone. Its peak memory is read
            # from /proc while it runs (VmHWM, since its exec): ru_maxrss would
            # count the copy of this process it was forked from.
            hwm = 0
            while True:
                pid, status, usage = os.wait4(child.pid, os.WNOHANG)
                if pid:
                    break
                hwm = max(hwm, _vm_hwm(child.pid))
                time.sleep(0.01)
            wall = time.perf_counter() - wall
            child.returncode = os.waitstatus_to_exitcode(status)
            errors.seek(0)
            assert child.returncode == 0, errors.read()[-500:]
        assert target.read_bytes() == expected, "the export: bytes other than the top-level values changed"
        return wall, usage.ru_utime + usage.ru_stime, hwm

    for _ in range(repeat):
        wall, cpu, hwm = migrate(command)
        ours.append((wall, cpu))
        peak = max(peak, hwm)
        wall, cpu, _ = migrate(as_installed)
        plain.append((wall, cpu))
        if jq is not None:
            theirs.append(_jq(jq, whole, tmp / "jq.jsonl"))
    print(f"JSONL export, {records:,} records ({size / 2**20:.0f} MB; nested decoy statuses, 10% default-spaced "
          f"lines, a truncated last line), apply --write --phase contract, medians of {repeat}:")
    print(_line("migrator", size, *_medians(ours), f"(whole command; peak RSS {peak / 1024:.0f} MB)"))
    print(_line("  plain", size, *_medians(plain), "(the same, without the test extras' typing_extensions)"))
    if theirs:
        print(_line("jq", size, *_medians(theirs), "(jq -c, whole records only)"))
        print(f"  ratio    {_ratios(theirs, ours, 'jq')}; goal at least 5x")
        print(f"  plain    {_ratios(theirs, plain, 'jq')}")
    print("  checked: only the top-level values changed; nested decoys and the truncated line left as written")
    _floor(source, repeat, env, tmp, _medians(ours)[1], _medians(theirs)[1] if theirs else None)
    shutil.rmtree(project)
    source.unlink()
    whole.unlink()


def _child_cpu(code: str, env: dict[str, str], *flags: str) -> float:
    """CPU seconds of a fresh interpreter (given ``flags``) running ``code``."""
    child = subprocess.Popen([sys.executable, *flags, "-c", code], env=env)
    _, status, usage = os.wait4(child.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, code
    return usage.ru_utime + usage.ru_stime


def _floor(source: Path, repeat: int, env: dict[str, str], tmp: Path, command: float, jq: float | None) -> None:
    """The parts of the command's CPU time that the work cannot do without,
    each measured alone (medians of ``repeat``, in turn): the interpreter's
    start, the imports (the libraries', then the package's own), one read
    that parses every line and proves each splice (``jsonlines.stream``
    with no sink, less its hash), one sha256 of the original and one of the
    result (the journal records both), and the bytes the write moves (the
    new file and the journal's copy written and fsynced, the file compared
    with that copy). Their sum over jq's CPU time is the best ratio this
    design allows; what the command spends beyond it is the rest (options,
    discovery, findings, the journal's lines, renames). Two shares are said
    apart, not summed again: the start-up hooks (``.pth`` files) of this
    environment's site-packages, and asyncio, which pathspec imports only
    where typing_extensions is installed."""
    import hashlib

    from migrator.journal import same_bytes

    mapping = VOCAB.old_to_new
    patterns = [PointerPattern.parse("/status")]
    third_party = "import click, pathspec, msgspec, orjson, packaging.version, json5"
    ours = ("import migrator.cli, migrator.write, msgspec; from migrator.engines import registered; "
            "registered()")
    parts: dict[str, list[float]] = {}
    extras: dict[str, list[float]] = {}
    copy = tmp / "floor-copy.jsonl"
    # The command hashes and writes blocks it has read already: so do these.
    with open(source, "rb") as handle:
        blocks = list(iter(lambda: handle.read(jsonlines.BLOCK), b""))
    for _ in range(repeat):
        start = _child_cpu("pass", env)
        bare = _child_cpu("pass", env, "-S")  # without site: no .pth start-up hooks
        libraries = _child_cpu(third_party, env)
        plain = _child_cpu("import sys; sys.modules['typing_extensions'] = None; " + third_party, env)
        package = _child_cpu(ours, env)
        cpu = time.process_time()
        with open(source, "rb") as handle:
            jsonlines.stream(handle, patterns, mapping)
        stream = time.process_time() - cpu
        cpu = time.process_time()
        hasher = hashlib.sha256()
        for block in blocks:
            hasher.update(block)
        hashed = time.process_time() - cpu
        cpu = time.process_time()
        for _copy in range(2):
            with open(copy, "wb") as out:
                for block in blocks:
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
        assert same_bytes(source, copy)
        moved = time.process_time() - cpu
        extras.setdefault("asyncio", []).append(libraries - plain)
        extras.setdefault("site", []).append(start - bare)
        for name, value in (("interpreter start", start), ("imports: click, pathspec, msgspec, ...", libraries - start),
                            ("imports: migrator's own", package - libraries),
                            ("read, parse, splice, proof", stream - hashed), ("sha256 x2 (original, result)", 2 * hashed),
                            ("write x2 + fsync, compare", moved)):
            parts.setdefault(name, []).append(value)
    copy.unlink()
    del blocks
    floor = 0.0
    print(f"  floor (CPU seconds, each part alone, medians of {repeat}):")
    for name, values in parts.items():
        floor += statistics.median(values)
        print(f"    {name:<40}{statistics.median(values):6.3f} s  ({min(values):.3f}-{max(values):.3f})")
        notes = {"interpreter start": ("site", "of which site's .pth hooks", "those this environment installs"),
                 "imports: click, pathspec, msgspec, ...": ("asyncio", "of which asyncio, by typing_extensions",
                                                            "not in a plain install")}
        if name in notes:
            key, label, why = notes[name]
            values = extras[key]
            print(f"      {label:<38}{statistics.median(values):6.3f} s  ({min(values):.3f}-{max(values):.3f}; {why})")
    print(f"    {'sum':<40}{floor:6.3f} s; the whole command {command:.3f} s (the rest: {command - floor:.3f} s)")
    if jq is not None:
        print(f"    best ratio these parts allow: {jq / floor:.1f}x jq (cpu); the command: {jq / command:.1f}x")


def jq_program() -> str:
    branches = " ".join(f'{"el" if i else ""}if .status == {json.dumps(o)} then .status = {json.dumps(n)}'
                        for i, (o, n) in enumerate(VOCAB.old_to_new.items()))
    return branches + " else . end"


def _ours(source: Path, target: Path) -> tuple[float, float, jsonlines.StreamStats]:
    patterns = [PointerPattern.parse("/status")]
    wall, cpu = time.perf_counter(), time.process_time()
    with open(source, "rb") as src, open(target, "wb") as dst:
        stats = jsonlines.stream(src, patterns, VOCAB.old_to_new, dst)
    return time.perf_counter() - wall, time.process_time() - cpu, stats


def _jq(jq: str, source: Path, target: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    with open(source, "rb") as src, open(target, "wb") as dst:
        subprocess.run([jq, "-c", jq_program()], stdin=src, stdout=dst, check=True)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _check(source: Path, ours: Path, theirs: Path | None) -> str:
    """Ours is the input with only the values' bytes replaced (in these files
    `status` is a top-level key only), and means what jq's output means."""
    data = source.read_bytes()
    olds = b"|".join(re.escape(o.encode()) for o in VOCAB.old_to_new)
    expected = re.sub(rb'("status": ?")(' + olds + rb')"',
                      lambda m: m.group(1) + VOCAB.old_to_new[m.group(2).decode()].encode() + b'"', data)
    got = ours.read_bytes()
    assert got == expected, "migrator changed bytes other than the values"
    if theirs is None:
        return "only the values' bytes changed"
    jq_out = theirs.read_bytes()
    if jq_out == got:
        return "only the values' bytes changed; byte-identical to jq's"
    ours_lines, jq_lines = got.splitlines(), jq_out.splitlines()
    assert len(ours_lines) == len(jq_lines) and all(
        orjson.loads(a) == orjson.loads(b) for a, b in zip(ours_lines, jq_lines)), "migrator and jq disagree"
    return "only the values' bytes changed; same records as jq's"


def _medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The median wall and CPU seconds of ``runs``."""
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def _ratios(top: list[tuple[float, float]], bottom: list[tuple[float, float]], name: str) -> str:
    """``top`` over ``bottom``, as "Nx name": the median of the ratios of
    the pairs run back to back, wall and CPU, each with its range (the
    noise of a machine shared with other work)."""
    parts = []
    for k, kind in ((0, "wall"), (1, "cpu")):
        ratios = sorted(a[k] / b[k] for a, b in zip(top, bottom))
        parts.append(f"{statistics.median(ratios):.1f}x {name} ({kind}; {ratios[0]:.1f}-{ratios[-1]:.1f})")
    return ", ".join(parts)


def _line(name: str, size: int, wall: float, cpu: float, note: str = "") -> str:
    mb = size / 2**20
    return f"  {name:<9}{wall:6.2f} s {mb / wall:7.1f} MB/s   cpu {cpu:5.2f} s {mb / cpu:7.1f} MB/s  {note}"


def bench_jsonl(megabytes: int, repeat: int, tmp: Path) -> None:
    jq = shutil.which("jq")
    for spaced in (False, True):
        source = tmp / ("spaced.jsonl" if spaced else "sessions.jsonl")
        size = make_jsonl(source, megabytes, spaced)
        runs = 1 if spaced else repeat
        ours: list[tuple[float, float]] = []
        theirs: list[tuple[float, float]] = []
        for _ in range(runs):  # in turn, so both see the same machine
            wall, cpu, stats = _ours(source, tmp / "ours.jsonl")
            ours.append((wall, cpu))
            if jq is not None:
                theirs.append(_jq(jq, source, tmp / "jq.jsonl"))
        checked = _check(source, tmp / "ours.jsonl", tmp / "jq.jsonl" if jq else None)
        kind = "json.dumps default spacing, one run each" if spaced else f"compact, medians of {runs}"
        print(f"JSONL {size / 2**20:.0f} MB ({kind}), {stats.lines:,} lines, "
              f"{stats.changed_lines:,} changed ({stats.changed_lines / stats.lines:.0%}):")
        print(_line("migrator", size, *_medians(ours), "(jsonlines.stream in this process: no interpreter start, no journal)"))
        if theirs:
            print(_line("jq", size, *_medians(theirs), "(jq -c, re-serialises every line)"))
            print(f"  ratio    {_ratios(theirs, ours, 'jq')}")
        else:
            print("  (jq not found)")
        print(f"  checked: {checked}")
        if not spaced:
            bench_jsonl_command(source, size, tmp)
        source.unlink()


def bench_jsonl_command(source: Path, size: int, tmp: Path) -> None:
    """The compact file through the whole command path, once."""
    project = tmp / "project"
    (project / "exports").mkdir(parents=True)
    shutil.copy(source, project / "exports" / "sessions.jsonl")
    (project / "pyproject.toml").write_text('[tool.migrator]\n[[tool.migrator.data]]\n'
                                            'paths = ["exports/*.jsonl"]\npointers = ["/status"]\n')
    # Staged as `apply --write` plans: the write only journals and renames.
    options = dataclasses.replace(load_options([str(project)], cwd=project, phase="contract"), stage=True)
    start = time.perf_counter()
    result = run(options)
    planned = time.perf_counter() - start
    start = time.perf_counter()
    outcome = write(result)
    applied = time.perf_counter() - start
    assert outcome.written and not outcome.failed, outcome
    assert (project / "exports" / "sessions.jsonl").read_bytes() == (tmp / "ours.jsonl").read_bytes()
    mb = size / 2**20
    print(f"  command  plan {planned:.2f} s + --write {applied:.2f} s = {planned + applied:.2f} s "
          f"({mb / (planned + applied):.1f} MB/s; the plan lists findings and stages the new file, the write keeps a journal copy)")
    shutil.rmtree(project)


def make_sessions_json(path: Path, sessions: int) -> bytes:
    """A sessions.json as the gateway writes it (two-space indent)."""
    rng = random.Random(5)
    words = [*VOCAB.old_to_new, *VOCAB.old_to_new, "running", "queued", "running", "queued"]
    doc = {}
    for n in range(sessions):
        doc[f"agent:main:subagent:{n:08x}-6b7d-4e21"] = {
            "sessionId": f"{n:032x}", "updatedAt": 1795484601000 + n, "chatType": "direct",
            "status": rng.choice(words), "startedAt": 1795484541000 + n, "runtimeMs": rng.randint(0, 99999),
            "abortedLastRun": False, "spawnedBy": "agent:main:main", "label": "résumé repo", "totalTokens": 3100}
    data = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def bench_sessions_json(sessions: int, repeat: int, tmp: Path) -> None:
    state = tmp / "sessions-state"
    store = state / "agents" / "main" / "sessions" / "sessions.json"
    original = make_sessions_json(store, sessions)
    (state / "openclaw.json").write_text('{meta: {lastTouchedVersion: "2027.1.0"}}\n')
    olds = b"|".join(re.escape(o.encode()) for o in VOCAB.old_to_new)
    expected = re.sub(rb'("status": ")(' + olds + rb')"',
                      lambda m: m.group(1) + VOCAB.old_to_new[m.group(2).decode()].encode() + b'"', original)
    renamed = len(re.findall(rb'"status": "(?:' + olds + rb')"', original))

    def ours() -> tuple[float, float]:
        store.write_bytes(original)
        wall, cpu = time.perf_counter(), time.process_time()
        outcome = write(run(load_options([str(state)], cwd=tmp, use_cache=False)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert outcome.written and not outcome.failed, outcome
        assert store.read_bytes() == expected, "sessions.json: bytes other than the values changed"
        return wall, cpu

    def baseline() -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        with open(store, encoding="utf-8") as handle:
            doc = json.load(handle)
        with open(tmp / "dumped.json", "w", encoding="utf-8") as handle:
            json.dump(doc, handle, indent=2, ensure_ascii=False)
        return time.perf_counter() - wall, time.process_time() - cpu

    mine: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    for _ in range(repeat):
        mine.append(ours())
        theirs.append(baseline())
    middle = _medians(mine)
    floor = _medians(theirs)
    print(f"sessions.json, {sessions:,} sessions ({len(original) / 2**20:.1f} MB, {renamed:,} old values), "
          f"medians of {repeat}:")
    print(f"  migrator apply --write  {middle[0]:6.2f} s   cpu {middle[1]:5.2f} s   (plan, checks, journal, replace)")
    print(f"  json.load + json.dump   {floor[0]:6.2f} s   cpu {floor[1]:5.2f} s")
    print(f"  ratio    {_ratios(mine, theirs, 'json.load+dump')}; goal within 5x")
    print("  checked: only the values' bytes changed")
    shutil.rmtree(state)


def make_db(path: Path, rows: int) -> None:
    conn = sqlite3.connect(path)
    schema = (REPO / "fixtures" / "data" / "openclaw-agent.sql").read_text("utf-8")
    conn.executescript(schema)
    # The statuses the store's CHECK allows (the old gateway's five), as the schema spells them.
    check = re.search(r"status TEXT CHECK \(status IS NULL OR status IN \(([^)]*)\)\)", schema)
    assert check is not None, "the fixture schema no longer says which statuses it allows"
    allowed = re.findall(r"'([^']*)'", check.group(1))
    rng = random.Random(11)

    def generate():  # type: ignore[no-untyped-def]
        for n in range(rows):
            status = rng.choice(allowed)
            key = f"agent:main:subagent:{n:08d}"
            entry = json.dumps({"sessionId": f"{n:032x}", "updatedAt": 1795484481000 + n, "status": status,
                                "label": "bench", "abortedLastRun": False}, separators=(",", ":"))
            yield key, f"{n:032x}", None, "bench", status, 1795484481000 + n, entry

    conn.executemany("INSERT INTO session_nodes VALUES (?,?,?,?,?,?,?)", generate())
    conn.commit()
    conn.close()


def bench_sqlite(rows: int, tmp: Path) -> None:
    state = tmp / "state"
    db = state / "agents" / "main" / "agent" / "openclaw-agent.sqlite"
    db.parent.mkdir(parents=True)
    (state / "openclaw.json").write_text('{meta: {lastTouchedVersion: "2027.1.0"}}\n')
    start = time.perf_counter()
    make_db(db, rows)
    built = time.perf_counter() - start
    options = load_options([str(state)], cwd=tmp)
    start = time.perf_counter()
    result = run(options)
    planned = time.perf_counter() - start
    start = time.perf_counter()
    outcome = write(result)
    applied = time.perf_counter() - start
    assert outcome.written and not outcome.failed, outcome
    conn = sqlite3.connect(db)
    left = conn.execute("SELECT count(*) FROM session_nodes WHERE status IN ('done','failed','killed','timeout')")
    assert left.fetchone()[0] == 0
    conn.close()
    print(f"SQLite {rows:,} session rows ({db.stat().st_size / 2**20:.0f} MB, built in {built:.1f} s):")
    print(f"  scan {planned:.1f} s + apply --write {applied:.1f} s (backup, rebuild, checks) "
          f"= {planned + applied:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=64, help="size of the JSONL file")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the SQLite store")
    parser.add_argument("--sessions", type=int, default=40_000, help="sessions in the sessions.json store")
    parser.add_argument("--records", type=int, default=300_000, help="records of the realistic JSONL export")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each side (medians reported)")
    parser.add_argument("--jsonl-only", action="store_true", help="skip the SQLite benchmark")
    parser.add_argument("--export-only", action="store_true", help="only the realistic JSONL export against jq")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        os.chdir(tmp)
        if args.export_only:
            bench_export(args.records, args.repeat, tmp)
            return
        bench_jsonl(args.mb, args.repeat, tmp)
        bench_export(args.records, args.repeat, tmp)
        bench_sessions_json(args.sessions, args.repeat, tmp)
        if not args.jsonl_only:
            bench_sqlite(args.rows, tmp)


if __name__ == "__main__":
    main()
