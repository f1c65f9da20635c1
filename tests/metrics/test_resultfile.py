"""Reading the result file: plain or base64, in any chunking, with located errors."""

from __future__ import annotations

import base64
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftops.errors import ProviderError
from ftops.metrics import ResultFileError, StepMetrics, parse_result_file

CSV = (
    "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n"
    "1,2.2,0.42,2.3,0.41\n"
    "2,2.0,0.45,,\n"
    "3,1.8,0.5,2.1,0.47\n"
)
EXPECTED = (
    StepMetrics(1, 2.2, 0.42, 2.3, 0.41),
    StepMetrics(2, 2.0, 0.45, None, None),
    StepMetrics(3, 1.8, 0.5, 2.1, 0.47),
)


def chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def test_plain_csv() -> None:
    assert parse_result_file([CSV.encode()]) == EXPECTED


def test_base64_csv_as_the_service_sends_it() -> None:
    encoded = base64.b64encode(CSV.encode())
    assert parse_result_file([encoded[:5], encoded[5:17], encoded[17:]]) == EXPECTED


def test_crlf_lines_extra_columns_and_unordered_rows() -> None:
    text = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy,full_valid_loss\r\n" \
           "2,1.0,0.5,,,\r\n1,2.0,0.4,2.5,0.3,2.4\r\n"
    rows = parse_result_file([text.encode()])
    assert [r.step for r in rows] == [1, 2]
    assert rows[0] == StepMetrics(1, 2.0, 0.4, 2.5, 0.3)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=400), max_size=12), st.booleans())
def test_any_chunking_reads_the_same(cuts: list[int], encode: bool) -> None:
    data = base64.b64encode(CSV.encode()) if encode else CSV.encode()
    assert parse_result_file(chunks(data, cuts)) == EXPECTED


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"step,loss\n1,2\n", "no step/train_loss"),
        (b"step,train_loss\n1,2.0\n2,abc\n", "line 3: train_loss 'abc' is not a number"),
        (b"step,train_loss\n1.5,2.0\n", "line 2: step 1.5 is not a whole number"),
        (b"step,train_loss\ninf,2.0\n", "line 2: step 'inf' is not a number"),
        (b"step,train_loss\n1,nan\n", "line 2: train_loss 'nan' is not a number"),
        (b"@@not base64 at all@@", "neither CSV nor base64"),
        (b"c3RlcA", "neither CSV nor complete base64"),
        (b"step,train_loss\n1,\xff\n", "not UTF-8"),
    ],
)
def test_broken_files_are_one_clear_provider_error(data: bytes, message: str) -> None:
    with pytest.raises(ResultFileError) as caught:
        parse_result_file([data])
    assert message in str(caught.value)
    assert isinstance(caught.value, ProviderError)


def test_utf8_split_across_chunks() -> None:
    text = "step,train_loss,note\n1,2.0,caf\u00e9\n".encode()
    cut = text.index(b"\xc3") + 1  # in the middle of the two-byte sequence
    assert parse_result_file([text[:cut], text[cut:]]) == (StepMetrics(1, 2.0, None),)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(min_value=0, max_value=300), max_size=6))
def test_any_bytes_give_rows_or_one_result_file_error(data: bytes, cuts: list[int]) -> None:
    # The file comes from the network: whatever it holds, the reader returns rows or says why not.
    try:
        rows = parse_result_file(chunks(data, cuts))
    except ResultFileError as error:
        assert str(error)
    else:
        assert all(isinstance(r, StepMetrics) and r.step >= 0 for r in rows)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_text_after_a_valid_header(text: str) -> None:
    data = ("step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n" + text).encode()
    try:
        parse_result_file([data])
    except ResultFileError as error:
        assert "result file" in str(error)
