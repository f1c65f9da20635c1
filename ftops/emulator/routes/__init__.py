"""HTTP routes of the emulator, one module per API area; each exposes ``ROUTES``."""
