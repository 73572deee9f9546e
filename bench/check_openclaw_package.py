"""Compare the manifest's session vocabulary with an installed OpenClaw package.

    python bench/check_openclaw_package.py [PACKAGE_DIR]    # exit 1 on any difference

PACKAGE_DIR defaults to the openclaw@2026.9.6 that bench/real_gateway.py installs
(bench/.work/realgw/oc/node_modules/openclaw). Two sources in its ``dist/`` say
which session statuses exist:

- ``SessionRunStatusSchema``, the TypeBox union of the gateway's session row
  (``dist/sessions-row-*.mjs``): it must hold exactly the manifest's old and
  unchanged values;
- the SQLite CHECK on each column the manifest's SQLite store names
  (``session_nodes.status``, ``session_windows.status``, in the agent schema's
  ``CREATE TABLE IF NOT EXISTS``): exactly the same values but those the store
  declares ``absent-from-columns``.

A release that adds, drops or renames a value fails here the day it is tried.
``--capture DIR`` writes the two excerpts this reads into DIR, in the package's
own layout, so that a test checks the same thing without the package
(fixtures/openclaw-2026.9.6/).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from migrator.manifest import Manifest, load_manifest  # noqa: E402  (the checkout, not an install)

PACKAGE = ROOT / "bench" / ".work" / "realgw" / "oc" / "node_modules" / "openclaw"
SCHEMA_NAME = "SessionRunStatusSchema"
_UNION = re.compile(rf"const {SCHEMA_NAME} = Type\.Union\(\[(.*?)\]\);", re.S)
_LITERAL = re.compile(r"Type\.Literal\(\"([^\"]*)\"\)")
_SQL_LIST = re.compile(r"'((?:[^']|'')*)'")


class PackageError(Exception):
    """The package does not hold what this check reads: its layout changed."""


def _dist_files(package: Path, pattern: str) -> list[Path]:
    found = sorted((package / "dist").glob(pattern))
    if not found:
        raise PackageError(f"{package / 'dist'}: no file matches {pattern}")
    return found


def schema_values(package: Path) -> tuple[Path, str, tuple[str, ...]]:
    """The file, the source text and the literals of ``SessionRunStatusSchema``."""
    for path in _dist_files(package, "sessions-row-*.mjs"):
        match = _UNION.search(path.read_text("utf-8"))
        if match:
            return path, match.group(0), tuple(_LITERAL.findall(match.group(1)))
    raise PackageError(f"{package / 'dist'}: no sessions-row-*.mjs defines {SCHEMA_NAME} as a Type.Union")


def _create_table(text: str, table: str) -> str | None:
    """The body of ``CREATE TABLE IF NOT EXISTS table (...)`` in a JS string
    (``\\n`` escaped) or a template literal, up to its closing parenthesis."""
    head = re.search(rf"CREATE TABLE IF NOT EXISTS {re.escape(table)} \(", text)
    if head is None:
        return None
    depth, pos = 1, head.end()
    while depth and pos < len(text):
        depth += {"(": 1, ")": -1}.get(text[pos], 0)
        pos += 1
    return text[head.start() : pos]


def check_values(package: Path, column: str) -> tuple[Path, str, tuple[str, ...]]:
    """The file, the CREATE TABLE text and the values the CHECK on
    ``table.column`` allows, in the agent schema."""
    table, name = column.split(".", 1)
    for path in _dist_files(package, "*.mjs"):
        text = path.read_text("utf-8")
        if "OPENCLAW_AGENT_SCHEMA_SQL" not in text:
            continue
        body = _create_table(text, table)
        if body is None:
            continue
        line = re.search(rf"(?:^|\\n|\n)\s*{re.escape(name)} TEXT[^,]*CHECK \((.*?)\),?(?:\\n|\n)", body)
        if line is None:
            raise PackageError(f"{path}: {table} has no CHECK on {name}")
        inside = re.search(rf"{re.escape(name)} IN \(([^)]*)\)", line.group(1))
        if inside is None:
            raise PackageError(f"{path}: the CHECK on {column} is not a list of values: {line.group(1)}")
        return path, body, tuple(v.replace("''", "'") for v in _SQL_LIST.findall(inside.group(1)))
    raise PackageError(f"{package / 'dist'}: no agent schema (OPENCLAW_AGENT_SCHEMA_SQL) creates {table}")


def _difference(what: str, found: tuple[str, ...], expected: set[str]) -> str | None:
    extra, missing = sorted(set(found) - expected), sorted(expected - set(found))
    if not extra and not missing:
        return None
    parts = [f"{what} differs from the manifest"]
    if extra:
        parts.append(f"the package has {', '.join(extra)} (add it to [values] or [unchanged])")
    if missing:
        parts.append(f"the manifest has {', '.join(missing)} that the package does not")
    return "; ".join(parts)


def compare(package: Path, manifest: Manifest) -> tuple[list[str], list[str]]:
    """(lines that passed, problems) of comparing ``package`` with ``manifest``."""
    vocab = manifest.vocabulary
    session = set(vocab.old) | set(vocab.unchanged)
    passed, problems = [], []
    path, _, values = schema_values(package)
    problem = _difference(f"{SCHEMA_NAME} ({path.name})", values, session)
    if problem:
        problems.append(problem)
    else:
        passed.append(f"{SCHEMA_NAME} ({path.name}): {', '.join(values)}")
    for store in manifest.stores:
        for column in store.columns:
            if column.split(".", 1)[1] != vocab.field:
                continue  # a JSON document column: no CHECK on its values
            path, _, values = check_values(package, column)
            expected = session - set(store.absent_from_columns)
            problem = _difference(f"the CHECK on {column} ({path.name})", values, expected)
            if problem:
                problems.append(problem)
            else:
                passed.append(f"CHECK on {column} ({path.name}): {', '.join(values)}")
    return passed, problems


def capture(package: Path, manifest: Manifest, out: Path) -> list[Path]:
    """Write the excerpts :func:`compare` reads into ``out``, verbatim and in
    the package's layout (the schema SQL stays one escaped JS string)."""
    version = json.loads((package / "package.json").read_text("utf-8")).get("version", "?")
    path, text, _ = schema_values(package)
    excerpts: dict[Path, list[str]] = {path: [text]}
    tables: dict[Path, list[str]] = {}
    for store in manifest.stores:
        for column in store.columns:
            if column.split(".", 1)[1] == manifest.vocabulary.field:
                path, body, _ = check_values(package, column)
                tables.setdefault(path, []).append(body)
    for path, bodies in tables.items():
        excerpts[path] = ['const OPENCLAW_AGENT_SCHEMA_SQL = "' + ";\\n\\n".join(bodies) + ';\\n";']
    (out / "dist").mkdir(parents=True, exist_ok=True)
    (out / "package.json").write_text(json.dumps({"name": "openclaw", "version": version}) + "\n", "utf-8")
    written = [out / "package.json"]
    for path, parts in excerpts.items():
        target = out / "dist" / path.name
        body = "\n\n".join(parts)
        target.write_text(f"// Excerpt of openclaw@{version} dist/{path.name}\n{body}\n", "utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package", nargs="?", type=Path, default=PACKAGE, help="the openclaw package directory")
    parser.add_argument("--manifest", type=Path, default=None, help="a manifest other than the built-in one")
    parser.add_argument("--capture", type=Path, default=None, metavar="DIR", help="write the excerpts read into DIR")
    args = parser.parse_args(argv)
    manifest = load_manifest(args.manifest)
    try:
        if args.capture is not None:
            for path in capture(args.package, manifest, args.capture):
                print(f"wrote {path}")
        passed, problems = compare(args.package, manifest)
    except (OSError, PackageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in passed:
        print(f"PASS {line}")
    for line in problems:
        print(f"FAIL {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
