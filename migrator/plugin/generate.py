"""Write the OpenClaw plugin that shows agents what a session status means.

The plugin is three files: OpenClaw's plugin manifest, a package.json naming
the entry, and ``index.js``, a fixed template (package data) into which the
rename's data is written as one JSON value. Every decision is made here, from
the manifest and :func:`migrator.compat.negotiation.negotiate`; the JavaScript
only looks the gateway's version up in the table it is given. The same
manifest and options give the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from packaging.version import Version

from migrator.compat.negotiation import Vocab, negotiate
from migrator.errors import ConfigError
from migrator.manifest import GatewaySurface, Manifest
from migrator.journal import atomic_write

PLAN_MARKER = "/* migrator:plan */ null"
# The runtimes the middleware is declared and registered for. OpenClaw also
# has "codex"; its harness is not what 2026.9 runs agents on by default, and
# nothing here has seen it, so the plugin does not claim it.
RUNTIMES = ("openclaw",)
# Before every version the schedule names: the first step of the table.
_EARLIEST = Version("0")


@dataclass(frozen=True)
class PluginOptions:
    """What the generated plugin does beyond renaming."""

    # Option C: keep the names the schedule serves and mark each resumable row
    # with `resumable: true` and a note. Without it, agents see the new names.
    annotate: bool = False


def plugin_id(manifest: Manifest) -> str:
    """The plugin's OpenClaw id (also its directory under ``extensions/``)."""
    return f"migrator-{manifest.id}"


def tool_surface(manifest: Manifest) -> GatewaySurface:
    """The one tool result the plugin rewrites: the manifest's ``kind = "tool"`` surface."""
    tools = [s for s in manifest.gateway if s.kind == "tool"]
    if len(tools) != 1:
        raise ConfigError(f"manifest {manifest.id}: the plugin needs exactly one [[surfaces.gateway]] of kind 'tool', found {len(tools)}")
    return tools[0]


def schedule_table(manifest: Manifest, options: PluginOptions) -> tuple[list[dict[str, Any]], Vocab]:
    """The vocabulary an agent is served, per stretch of gateway versions, and
    for a gateway whose version cannot be read.

    The agent is a client like any other: the plugin sends the capability on
    its behalf unless it annotates old names. ``negotiate`` decides; its answer
    can only change at the versions the schedule names, so asking it once at
    each of them (and once before them all) covers every version.
    """
    caps = () if options.annotate else (manifest.capability,)

    def served(version: Version | None) -> Vocab:
        return negotiate(manifest, gateway_version=version, caps=caps).client

    schedule = manifest.schedule
    table: list[dict[str, Any]] = [
        {"from": None, "vocabulary": served(_EARLIEST)},
        {"from": schedule.introduced_text, "vocabulary": served(schedule.introduced)},
        {"from": schedule.sunset_text, "vocabulary": served(schedule.sunset)},
    ]
    return table, served(None)


def plan(manifest: Manifest, options: PluginOptions) -> dict[str, Any]:
    """The data ``index.js`` runs on, as one JSON-ready value."""
    agent = manifest.agent
    if agent is None:
        raise ConfigError(f"manifest {manifest.id}: the plugin needs a [surfaces.agent] table (resumable, guidance, note)")
    vocabulary = manifest.vocabulary
    surface = tool_surface(manifest)
    table, unknown = schedule_table(manifest, options)
    return {
        "id": plugin_id(manifest),
        "name": f"migrator: {manifest.id}",
        "description": description(manifest),
        "manifest": manifest.id,
        "fingerprint": manifest.fingerprint,
        "field": vocabulary.field,
        "tool": surface.name,
        "pointers": list(surface.pointers),
        "textPointers": list(surface.text_pointers),
        "runtimes": list(RUNTIMES),
        "schedule": table,
        "unknownVersion": unknown,
        "walk": {"old": dict(vocabulary.new_to_old), "new": dict(vocabulary.old_to_new)},
        "annotate": options.annotate,
        "resumable": {
            "old": [vocabulary.to_old(v) for v in agent.resumable],
            "new": list(agent.resumable),
        },
        "note": agent.note,
        "guidance": agent.guidance,
    }


def description(manifest: Manifest) -> str:
    """One line for ``openclaw plugins list``."""
    return f"Shows agents the {manifest.id} rename in {tool_surface(manifest).name} results and their prompt"


def render(manifest: Manifest, options: PluginOptions = PluginOptions()) -> dict[str, bytes]:
    """The plugin's files, by name, with their bytes."""
    data = plan(manifest, options)
    template = resources.files("migrator.plugin").joinpath("templates", "index.js").read_text("utf-8")
    if template.count(PLAN_MARKER) != 1:
        raise ConfigError("migrator/plugin/templates/index.js: the plan marker must appear exactly once")
    index = template.replace(PLAN_MARKER, json.dumps(data, indent=2, ensure_ascii=False))
    openclaw_manifest = {
        "id": data["id"],
        "name": data["name"],
        "description": data["description"],
        "activation": {"onStartup": True},
        # Installed plugins may register tool-result middleware only for the
        # runtimes they declare here, and only when explicitly enabled.
        "contracts": {"agentToolResultMiddleware": list(RUNTIMES)},
        "configSchema": {"type": "object", "additionalProperties": False},
    }
    package = {
        "name": data["id"],
        "version": f"0.0.0-{manifest.fingerprint}",
        "private": True,
        "description": data["description"],
        "type": "module",
        "openclaw": {"extensions": ["./index.js"]},
    }
    return {
        "openclaw.plugin.json": _json(openclaw_manifest),
        "package.json": _json(package),
        "index.js": index.encode("utf-8"),
    }


def write_plugin(manifest: Manifest, target: Path, options: PluginOptions = PluginOptions()) -> list[Path]:
    """Write the plugin's files into ``target`` (created if missing); return their paths."""
    files = render(manifest, options)
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target}: not a directory")
    if not _holds_this_plugin(target, plugin_id(manifest)):
        # A project's own package.json or index.js is never overwritten.
        taken = [name for name in files if (target / name).exists()]
        if taken:
            raise ConfigError(f"{target / taken[0]}: exists and is not this plugin's; "
                              "write the plugin into a new or empty directory")
    written = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            path = target / name
            atomic_write(path, data)
            written.append(path)
    except OSError as exc:
        raise ConfigError(f"{target}: cannot write the plugin: {exc.strerror or exc}") from None
    return written


def _holds_this_plugin(target: Path, ident: str) -> bool:
    """True when ``target`` holds an earlier copy of this plugin (its
    openclaw.plugin.json names the same id), so writing again replaces it."""
    try:
        found = json.loads((target / "openclaw.plugin.json").read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(found, dict) and found.get("id") == ident


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
