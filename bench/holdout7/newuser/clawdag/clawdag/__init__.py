"""clawdag: nightly upkeep of an OpenClaw state directory as a DAG of operators."""
