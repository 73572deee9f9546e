"""Gateway compatibility for the session-status rename.

A gateway (or anything that serves session rows) decides once per connection
which vocabulary the client gets (:func:`negotiate`), then walks its payloads
to that vocabulary and its inputs to the gateway's (:class:`Translator`), all
from the manifest. :class:`FrameSession` does it for the WebSocket frame
protocol, :class:`CompatMiddleware` for the HTTP tools endpoint, and
:class:`GatewayProxy` puts it in front of a gateway that cannot be changed.
"""

from migrator.compat.asgi import CompatMiddleware
from migrator.compat.audit import Audit
from migrator.compat.frames import FrameSession
from migrator.compat.headers import deprecation_headers
from migrator.compat.negotiation import Mode, Negotiation, Policy, Vocab, negotiate
from migrator.compat.proxy import GatewayProxy, ProxyConfig, proxy_config, run_proxy
from migrator.compat.translation import OldNameRefused, Translator
from migrator.compat.usage import Usage, UsageCounters

__all__ = [
    "Audit",
    "CompatMiddleware",
    "FrameSession",
    "GatewayProxy",
    "Mode",
    "Negotiation",
    "OldNameRefused",
    "Policy",
    "ProxyConfig",
    "Translator",
    "Usage",
    "UsageCounters",
    "Vocab",
    "deprecation_headers",
    "negotiate",
    "proxy_config",
    "run_proxy",
]
