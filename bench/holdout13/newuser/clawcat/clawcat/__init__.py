"""attrs records of OpenClaw session entries, structured with cattrs."""
