"""clawtext: a Textual app over `openclaw sessions` and `openclaw tasks`."""
