"""An interactive shell (``python -m clawshell.shell``) for poking at OpenClaw sessions."""
