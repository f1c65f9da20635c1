"""The simulated chat's choice: ranking, the temperature's band, the seed, and the fallbacks."""

from __future__ import annotations

from pathlib import Path

from ftops.emulator import chat
from ftops.emulator.chat import Candidate, Sampling

RANKED = (
    Candidate(1.0, "best"),
    Candidate(0.9, "second"),
    Candidate(0.8, "third"),
    Candidate(0.75, "fourth"),
)


def _picked(temperature: float) -> set[str | None]:
    return {
        chat.pick(RANKED, Sampling(temperature, seed, "question"), sample)
        for seed in range(40)
        for sample in range(4)
    }


def test_a_higher_temperature_widens_the_choice_up_to_the_nearest_three() -> None:
    assert _picked(0) == {"best"}
    assert _picked(0.5) == {"best"}  # within 7.5% of the best: only itself
    assert _picked(1.0) == {"best", "second"}  # within 15%
    assert _picked(2.0) == {"best", "second", "third"}  # within 30%, but never more than three


def test_the_pick_is_a_function_of_seed_question_and_sample() -> None:
    first = [chat.pick(RANKED, Sampling(1.0, 7, "q"), sample) for sample in range(16)]
    assert first == [chat.pick(RANKED, Sampling(1.0, 7, "q"), sample) for sample in range(16)]
    assert len(set(first)) == 2
    assert chat.pick(RANKED, Sampling(1.0, None, "q"), 3) == chat.pick(RANKED, Sampling(1.0, 0, "q"), 3)
    assert chat.pick((), Sampling(1.0, 7, "q"), 0) is None


def test_rank_keeps_each_reply_once_at_its_best_score() -> None:
    pairs = [
        (chat.words("who is chunsik"), "a cat"),
        (chat.words("chunsik"), "a cat"),
        (chat.words("who is ryan"), "a lion"),
        (chat.words("bonjour"), "hello"),
    ]
    ranked = chat.rank("Who is Chunsik?", pairs)
    assert [c.reply for c in ranked] == ["a cat", "a lion"]
    assert ranked[0].score == 1.0


def test_fallbacks_when_nothing_shares_a_word(tmp_path: Path) -> None:
    sampling = Sampling(0.0, None, "Bonjour")
    assert chat.answers(None, False, "Ryan is a lion.", sampling, 2) == (chat.BASE_REPLY,) * 2
    assert chat.answers(tmp_path / "absent.jsonl", True, "", sampling, 1) == (chat.UNKNOWN_REPLY,)
    told = chat.answers(
        None, False, "Ryan is a lion. Chunsik is a cat!", Sampling(0.0, None, "Is Chunsik a cat?"), 1
    )
    assert told == ("Chunsik is a cat!",)
