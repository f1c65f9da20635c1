"""The write rule, checked against a model on random interleavings of runs (hypothesis).

Runs read the state at different times and write back edits from whatever they
read; the model says which writes must succeed (their base is what is stored),
which must be refused (a stale base, another lineage), and what the serial is.
Run on the local backend, where thousands of steps take seconds.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from ftops.errors import StateConflictError
from ftops.state import StateSnapshot, new_snapshot
from ftops.state.local import LocalStorage

CONTENTS = st.dictionaries(
    st.sampled_from(["datasets.a", "jobs.b", "models.c"]), st.integers(0, 2), max_size=3
)


class WriteRule(RuleBasedStateMachine):
    handles = Bundle("handles")

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="ftops-write-rule-"))
        self.storage = LocalStorage(self.folder / "state.json")
        self.first = new_snapshot("model")
        self.stored: StateSnapshot | None = None  # the model of what is stored

    def teardown(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    @rule(target=handles)
    def read(self) -> StateSnapshot:
        return self.storage.read() or self.first

    @rule(target=handles)
    def another_lineage(self) -> StateSnapshot:
        return new_snapshot("model")

    @rule(target=handles, base=handles, content=CONTENTS)
    def write(self, base: StateSnapshot, content: dict[str, int]) -> StateSnapshot:
        edited = base.with_resources({address: {"v": v} for address, v in content.items()})
        stored = self.stored
        if stored is not None and (stored.lineage != base.lineage or stored.serial != base.serial):
            with pytest.raises(StateConflictError):
                self.storage.write(edited)
            return base
        result = self.storage.write(edited)
        if stored is not None and stored.content_equal(edited):
            assert result.serial == stored.serial
        else:
            assert result.serial == base.serial + 1
            self.stored = result
        assert result.lineage == base.lineage
        return result

    @invariant()
    def storage_matches_the_model(self) -> None:
        actual = self.storage.read()
        if self.stored is None:
            assert actual is None
        else:
            assert actual is not None
            assert (actual.lineage, actual.serial) == (self.stored.lineage, self.stored.serial)
            assert actual.content_equal(self.stored)


WriteRule.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
test_the_write_rule = WriteRule.TestCase
