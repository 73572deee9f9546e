"""Words and colours of the bot, in one place."""

from __future__ import annotations

import discord
from discord import app_commands

# Session statuses after which nothing more happens until someone sends a message.
TERMINAL = ("done", "failed", "killed", "timeout")

COLOURS = {
    "running": discord.Colour.blue(),
    "queued": discord.Colour.light_grey(),
    "done": discord.Colour.green(),
    "failed": discord.Colour.red(),
    "timeout": discord.Colour.gold(),
    "killed": discord.Colour.dark_grey(),
}

STATUS_CHOICES = [
    app_commands.Choice(name="Running", value="running"),
    app_commands.Choice(name="Finished", value="done"),
    app_commands.Choice(name="Errored", value="failed"),
    app_commands.Choice(name="Out of time", value="timeout"),
    app_commands.Choice(name="Stopped", value="killed"),
]

# How our own /stop command went (shown to whoever ran it).
STOP_REPLIES = {
    "ok": "Asked the gateway to stop `{key}`.",
    "timeout": "The gateway did not answer in time; `{key}` may still be running.",
    "refused": "The gateway refused: {detail}",
}
