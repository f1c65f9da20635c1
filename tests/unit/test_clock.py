"""ftops.clock: FTOPS_TODAY pins the day, and a bad value is one clear usage error."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ftops import clock
from ftops.errors import UsageError


def test_pinned_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTOPS_TODAY", "2027-02-01")
    assert clock.today() == date(2027, 2, 1)


def test_unset_is_the_real_utc_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FTOPS_TODAY")
    before = datetime.now(UTC).date()
    seen = clock.today()
    after = datetime.now(UTC).date()
    assert before <= seen <= after


def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTOPS_TODAY", "tomorrow")
    with pytest.raises(UsageError, match="FTOPS_TODAY='tomorrow' is not a date"):
        clock.today()
