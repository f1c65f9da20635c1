"""The end-to-end fixtures (an emulator on a loopback port, the test project, ``run`` for the
CLI in-process), shared with ``tests/e2e`` so the apply tests drive the same real stack."""

from e2e.conftest import emulator_factory, project, run

__all__ = ["emulator_factory", "project", "run"]
