from gitops.support import emulator, example  # noqa: F401  (fixtures shared with tests/gitops)
