"""clawrules: alert and clean-up rules over OpenClaw state, written in TOML."""
