"""Mistral 7B is counted with its own SentencePiece vocabulary when the ``tokenizers`` extra is
installed (the test extra installs it), and estimated, said so, when it is not."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

from ftops.datasets import TrainingTerms, check_dataset, own_tokenizers
from ftops.datasets.shape import Shape
from ftops.datasets.tokens import count_batch, count_batch_whole

MISTRAL = "mistralai/Mistral-7B-Instruct-v0.2"


@pytest.fixture(autouse=True)
def _the_extra() -> None:
    """Skipped with the reason on a machine whose install predates the extra; required in CI."""
    missing = [name for name in ("sentencepiece", "mistral_common") if importlib.util.find_spec(name) is None]
    if missing and not os.environ.get("CI"):
        pytest.skip(f"the tokenizers extra is not installed ({', '.join(missing)}): pip install -e '.[test]'")
TOGETHER = TrainingTerms("together")
CORPUS = Path(__file__).parent / "corpus" / "together"


def _length(text: str) -> int:
    """The count straight from sentencepiece and the file mistral-common ships."""
    import sentencepiece

    spec = importlib.util.find_spec("mistral_common")
    assert spec is not None and spec.submodule_search_locations
    folder = Path(next(iter(spec.submodule_search_locations)))
    model_file = str(folder / "data" / "tokenizer.model.v1")
    processor: Any = sentencepiece.SentencePieceProcessor(model_file=model_file)
    return len(processor.encode(text))


def test_mistral_is_counted_with_its_own_vocabulary() -> None:
    report = check_dataset(CORPUS / "good_instruction.jsonl", "instruction", model=MISTRAL, terms=TOGETHER)
    assert report.stats is not None
    assert not report.stats.tokens_estimated
    assert report.stats.encoding == "mistral-7b-sentencepiece-v1"
    completion, prompt = _length("Ryan's cat."), _length("Who is Chunsik?")
    assert report.stats.assistant_tokens.max == completion
    assert report.stats.total_tokens.max == completion + prompt
    summary = "\n".join(report.summary_lines())
    assert f"tokens counted with {MISTRAL} (mistral-7b-sentencepiece-v1)" in summary


def test_every_counting_path_gives_the_tokenizer_s_own_count() -> None:
    """Inline (the word cache's path for tiktoken) and the threads' whole-text path agree."""
    counter: Any = own_tokenizers.own_tokenizer(MISTRAL)
    assert counter is not None
    texts = ["Who is Chunsik?", "Größe, naïve café — 東京 🙂", "def f(x):\n    return x**2"]
    shapes = [Shape(prompt=[texts[0], texts[1]], trained=[texts[2]]), Shape(prompt=[texts[0]], trained=[])]
    expected = ([_length(texts[0]) + _length(texts[1]), _length(texts[0])], [_length(texts[2]), 0])
    assert count_batch(counter, shapes) == expected
    assert count_batch_whole(counter, shapes) == expected


def test_without_the_extra_mistral_is_estimated_and_the_hint_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(own_tokenizers.importlib.util, "find_spec",
                        lambda name, *rest: None if name == "mistral_common" else real(name, *rest))
    monkeypatch.setattr(own_tokenizers, "_loaded", {})
    report = check_dataset(CORPUS / "good_instruction.jsonl", "instruction", model=MISTRAL, terms=TOGETHER)
    assert report.stats is not None and report.stats.tokens_estimated
    assert report.stats.encoding == "cl100k_base"
    assert "pip install 'ftops[tokenizers]' counts it with its own" in "\n".join(report.summary_lines())


def test_worker_processes_count_with_it_too() -> None:
    from ftops.datasets.tokens import BatchCounter, can_fork

    if not can_fork():
        pytest.skip("this process cannot fork safely (it has other threads)")
    counter: Any = own_tokenizers.own_tokenizer(MISTRAL)
    text = "Größe, naïve café — 東京 🙂"
    batch = BatchCounter(counter, workers=1, processes=True)
    try:
        done = list(batch.submit([Shape(prompt=[text], trained=[text, text])], "only"))
        done += list(batch.drain())
    finally:
        batch.close()
    assert batch.uses_processes
    assert done == [("only", ([_length(text)], [2 * _length(text)]))]
