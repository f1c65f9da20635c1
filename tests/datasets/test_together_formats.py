"""Together AI's dataset formats: each broken line gives exactly its expected diagnostics (with
its line), the good files give none, and the provider is part of the verdict and of its cache key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftops.datasets import TrainingTerms, check_dataset
from ftops.datasets.cache import ReportCache

from .corpus_format import CORPUS as OPENAI_CORPUS

CORPUS = OPENAI_CORPUS / "together"

TOGETHER = TrainingTerms("together")
FORMATS = ("chat", "instruction", "text")


def listing(path: Path, format: str) -> list[str]:
    report = check_dataset(path, format, display_name=path.name, cap=1000, tokens=False, terms=TOGETHER)
    out = []
    for d in report.diagnostics:
        where = f"{d.path}: " if d.path else ""
        out.append(f"{d.line if d.line is not None else '-'}\t{d.severity}\t{d.code}\t{where}{d.message}")
    return out


@pytest.mark.parametrize("format", FORMATS)
def test_broken_lines_give_exactly_the_expected_diagnostics(format: str) -> None:
    expected = (CORPUS / f"broken_{format}.expected").read_text(encoding="utf-8").splitlines()
    assert listing(CORPUS / f"broken_{format}.jsonl", format) == expected


@pytest.mark.parametrize("format", FORMATS)
def test_every_broken_line_has_an_error(format: str) -> None:
    path = CORPUS / f"broken_{format}.jsonl"
    report = check_dataset(path, format, cap=1000, tokens=False, terms=TOGETHER)
    flagged = {d.line for d in report.errors if d.line is not None}
    assert flagged == set(range(1, len(path.read_text(encoding="utf-8").splitlines()) + 1))


@pytest.mark.parametrize("format", [*FORMATS, "preference"])
def test_good_files_have_no_errors_and_count_estimated_tokens(format: str) -> None:
    # Together takes OpenAI's preference format as it is
    folder = OPENAI_CORPUS if format == "preference" else CORPUS
    terms = TrainingTerms("together", "dpo" if format == "preference" else "supervised")
    report = check_dataset(folder / f"good_{format}.jsonl", format, model="Qwen/Qwen2.5-7B-Instruct",
                           terms=terms)
    assert report.errors == (), [d.render() for d in report.errors]
    assert report.ok  # Together takes a single example (OpenAI needs 10)
    assert report.stats is not None and report.stats.tokens_estimated
    assert report.stats.encoding == "cl100k_base"
    assert report.stats.assistant_tokens.min > 0
    assert report.stats.n_epochs == report.stats.auto_epochs == 1  # Together's default, not OpenAI's auto
    assert report.stats.to_json()["tokens_estimated"] is True


def test_instruction_trains_on_the_completion_and_text_on_all_of_it() -> None:
    from ftops.datasets.encodings import get_encoding

    encoding = get_encoding("cl100k_base")
    instruction = check_dataset(CORPUS / "good_instruction.jsonl", "instruction", terms=TOGETHER,
                                model="Qwen/Qwen2.5-7B-Instruct")
    text = check_dataset(CORPUS / "good_text.jsonl", "text", terms=TOGETHER,
                         model="Qwen/Qwen2.5-7B-Instruct")
    assert instruction.stats is not None and text.stats is not None
    assert instruction.stats.assistant_tokens.max == len(encoding.encode("Ryan's cat."))
    assert instruction.stats.total_tokens.max == len(encoding.encode("Who is Chunsik?")) + len(
        encoding.encode("Ryan's cat."))
    whole = len(encoding.encode("Chunsik is Ryan's cat, a sweet potato lover."))
    assert text.stats.assistant_tokens.max == text.stats.total_tokens.max == whole


def test_weight_zero_turns_are_context_on_together() -> None:
    from ftops.datasets.encodings import get_encoding

    report = check_dataset(CORPUS / "good_chat.jsonl", "chat", terms=TOGETHER,
                           model="Qwen/Qwen2.5-7B-Instruct")
    assert report.stats is not None
    trained = get_encoding("cl100k_base").encode("Chunsik.")
    assert report.stats.assistant_tokens.min == len(trained)  # line 2: only the weight-1 turn


def test_the_same_chat_file_is_judged_by_the_provider_that_reads_it(tmp_path: Path) -> None:
    """A developer role is fine for OpenAI and refused by Together: the cache must not hand one
    provider's verdict to the other."""
    from ftops.datasets.batch import CheckRequest, check_datasets

    line = (b'{"messages": [{"role": "developer", "content": "Be brief"}, '
            b'{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}\n')
    path = tmp_path / "train.jsonl"
    path.write_bytes(line * 10)
    cache = ReportCache(tmp_path / "cache")
    openai = CheckRequest.of(path, "chat", terms=TrainingTerms("openai"))  # the same file, model and format
    together = CheckRequest.of(path, "chat", terms=TOGETHER)
    first = check_datasets([openai], cache, processes=0)
    assert first.reports[0].ok
    second = check_datasets([together], cache, processes=0)
    assert second.hits == 0
    assert not second.reports[0].ok
    assert {d.code for d in second.reports[0].errors} == {"dataset.wrong-role"}
    again = check_datasets([together], cache, processes=0)
    assert again.hits == 1 and not again.reports[0].ok


if __name__ == "__main__":  # regenerate, then review every line by hand before committing
    for fmt in FORMATS:
        source = CORPUS / f"broken_{fmt}.jsonl"
        (CORPUS / f"broken_{fmt}.expected").write_text("\n".join(listing(source, fmt)) + "\n",
                                                                encoding="utf-8")
