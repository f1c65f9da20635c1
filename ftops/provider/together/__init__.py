"""Together AI: its adapter, and its names as pure data (``naming``, no SDK)."""
