"""Gateway compatibility for the session-status rename.

A gateway (or anything that serves session rows) decides once per connection
which vocabulary the client gets (:func:`negotiate`), then walks its payloads
to that vocabulary and its inputs to the gateway's (:class:`Translator`), all
from the manifest. :class:`FrameSession` does it for the WebSocket frame
protocol, :class:`CompatMiddleware` for the HTTP tools endpoint, and
:class:`GatewayProxy` puts it in front of a gateway that cannot be changed.

The names are imported on first use (PEP 562), so a command that needs
none of them (``scan``, ``apply``) does not pay for the WebSocket stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from migrator import lazy_exports

if TYPE_CHECKING:
    from migrator.compat.asgi import CompatMiddleware
    from migrator.compat.audit import Audit
    from migrator.compat.frames import FrameSession
    from migrator.compat.headers import deprecation_headers
    from migrator.compat.negotiation import Mode, Negotiation, Policy, Vocab, negotiate
    from migrator.compat.proxy import GatewayProxy, ProxyConfig, proxy_config, run_proxy
    from migrator.compat.translation import OldNameRefused, Translator
    from migrator.compat.usage import Usage, UsageCounters

# Each public name and the module that defines it.
_HOMES = {
    "CompatMiddleware": "asgi",
    "Audit": "audit",
    "FrameSession": "frames",
    "deprecation_headers": "headers",
    "Mode": "negotiation",
    "Negotiation": "negotiation",
    "Policy": "negotiation",
    "Vocab": "negotiation",
    "negotiate": "negotiation",
    "GatewayProxy": "proxy",
    "ProxyConfig": "proxy",
    "proxy_config": "proxy",
    "run_proxy": "proxy",
    "OldNameRefused": "translation",
    "Translator": "translation",
    "Usage": "usage",
    "UsageCounters": "usage",
}

__all__ = sorted(_HOMES)

__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
