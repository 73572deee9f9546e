"""clawtyper: a Typer command line over ``openclaw sessions`` and ``openclaw tasks``."""

__version__ = "0.3.1"
