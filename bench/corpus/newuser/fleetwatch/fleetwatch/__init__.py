"""fleetwatch: keep a small fleet of OpenClaw worker sessions alive."""

__version__ = "0.1.0"
