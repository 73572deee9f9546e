"""Follow an OpenClaw state directory on disk (watchdog), with no gateway connection.

Useful on a box where the gateway runs under another user: the state files are
readable, the gateway token is not.
"""
