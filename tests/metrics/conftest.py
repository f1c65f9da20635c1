from pathlib import Path

import pytest
from gitops.support import copy_openai_example, emulator  # noqa: F401  (fixtures shared with tests/gitops)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """The example in its OpenAI form: these tests read OpenAI's result files (per-step losses)."""
    return copy_openai_example(tmp_path / "project")
