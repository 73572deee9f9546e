"""An aiohttp service that serves a team's OpenClaw session rows to other teams."""
