"""conductor: keeps a fleet of OpenClaw agents moving, and runs our own jobs beside them."""
