"""Publish OpenClaw sessions to an MQTT broker, and take stop commands from it.

The house's Node-RED flows and a wall panel subscribe to the retained topics;
nothing here needs to know about them beyond the topic layout in ``topics``.
"""

__version__ = "0.3.1"
