"""Planning: what the account holds (observed), what the manifests want (desired), and the
pure planner that turns those and the state into a ``Plan`` of typed steps."""
