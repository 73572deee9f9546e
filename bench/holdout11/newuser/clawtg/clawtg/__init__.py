"""A Telegram bot (python-telegram-bot 21) for a small team's OpenClaw gateway."""
