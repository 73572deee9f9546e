"""The proxy's defaults, apart from the proxy itself: ``migrator gateway``
shows them in its help without importing the WebSocket stack."""

DEFAULT_LISTEN = "127.0.0.1:18790"
DEFAULT_UPSTREAM = "ws://127.0.0.1:18789"
# OpenClaw's own default `policy.maxPayload` (hello-ok) is 25 MiB.
DEFAULT_MAX_FRAME_BYTES = 25 * 1024 * 1024
