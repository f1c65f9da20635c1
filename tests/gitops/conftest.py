from gitops.support import emulator, example  # noqa: F401  (the fixtures)
