"""clawtape: records the gateway's session events to Parquet (or CSV) for later questions."""
