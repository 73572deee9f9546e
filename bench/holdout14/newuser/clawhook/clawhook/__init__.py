"""A FastAPI receiver of OpenClaw session changes, kept in Redis for the ops bot."""
