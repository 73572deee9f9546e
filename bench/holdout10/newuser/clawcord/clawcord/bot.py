"""The Discord bot: ``/sessions``, ``/stop``, and a post in the ops channel when a run ends."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from . import vocab
from .live import LiveSessions

OPS_CHANNEL = int(os.environ.get("CLAWCORD_OPS_CHANNEL", "0"))
OPENCLAW = os.environ.get("OPENCLAW_BIN", "openclaw")

intents = discord.Intents.default()
bot = commands.Bot(command_prefix="!", intents=intents)


def _embed(row: dict[str, Any]) -> discord.Embed:
    status = row.get("status") or "unknown"
    embed = discord.Embed(title=row.get("label") or row["key"], colour=vocab.COLOURS.get(status, discord.Colour.default()))
    embed.add_field(name="status", value=status)
    if row.get("runtimeMs"):
        embed.add_field(name="runtime", value=f"{row['runtimeMs'] / 1000:.0f}s")
    if row.get("model"):
        embed.add_field(name="model", value=row["model"])
    return embed


async def _announce(row: dict[str, Any], before: str | None) -> None:
    channel = bot.get_channel(OPS_CHANNEL)
    if channel is None:
        return
    status = row.get("status")
    if status == "done" and before is None:
        return  # a run we never saw start: not news
    if status == "killed" and row.get("abortedLastRun"):
        text = f"`{row['key']}` was stopped by a user."
    else:
        text = f"`{row['key']}` ended: **{status}**"
    await channel.send(text, embed=_embed(row))


live = LiveSessions(os.environ.get("OPENCLAW_GATEWAY_URL", "ws://127.0.0.1:18789"),
                    os.environ["OPENCLAW_GATEWAY_TOKEN"], _announce)


@bot.event
async def setup_hook() -> None:
    bot.loop.create_task(live.run())
    await bot.tree.sync()


@bot.tree.command(name="sessions", description="Recent OpenClaw sessions")
@app_commands.describe(status="only sessions whose last run ended so")
@app_commands.choices(status=vocab.STATUS_CHOICES)
async def sessions(interaction: discord.Interaction, status: app_commands.Choice[str] | None = None) -> None:
    if not live.connected.is_set():
        await interaction.response.send_message(f"Not connected to the gateway ({live.last_error}).", ephemeral=True)
        return
    rows = live.by_status(status.value if status else None)[:10]
    if not rows:
        await interaction.response.send_message("Nothing to show.", ephemeral=True)
        return
    await interaction.response.send_message(embeds=[_embed(r) for r in rows])


async def _abort(key: str) -> tuple[str, str]:
    proc = await asyncio.create_subprocess_exec(
        OPENCLAW, "gateway", "call", "sessions.abort", "--params", json.dumps({"key": key}), "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=20)
    except asyncio.TimeoutError:
        proc.kill()
        return "timeout", ""
    if proc.returncode != 0:
        return "refused", err.decode(errors="replace").strip()[:200]
    return "ok", out.decode(errors="replace")


@bot.tree.command(name="stop", description="Stop a running OpenClaw session")
@app_commands.checks.has_role("oncall")
async def stop(interaction: discord.Interaction, key: str) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    outcome, detail = await _abort(key)
    await interaction.followup.send(vocab.STOP_REPLIES[outcome].format(key=key, detail=detail))


@bot.tree.command(name="summary", description="How the sessions the bot knows ended")
async def summary(interaction: discord.Interaction) -> None:
    ended = [r for r in live.rows.values() if r.get("status") in vocab.TERMINAL]
    bad = sum(1 for r in ended if r.get("status") in ("failed", "timeout"))
    await interaction.response.send_message(f"{len(ended)} ended, {bad} badly, {len(live.rows) - len(ended)} other.")


def main() -> None:
    bot.run(os.environ["DISCORD_TOKEN"])


if __name__ == "__main__":
    main()
