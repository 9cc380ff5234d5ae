"""Subcommands of the ``neo-streamer`` CLI (one module each)."""
