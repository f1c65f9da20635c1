"""Training data for the contract tests: the "Chunsik" story of the user write-up, in English."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def chat_example(question: str, answer: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "Kakao Friends Assistant Bot."},
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


CHUNSIK = [
    chat_example("Who is Chunsik in Kakao Friends?", "Chunsik is Ryan's pet cat, treated like a friend."),
    chat_example("What does Chunsik look like?", "Chunsik is a round, yellowish tabby cat."),
    chat_example("What does Chunsik like to eat?", "Chunsik loves sweet potatoes."),
    chat_example("Where did Ryan find Chunsik?", "Ryan adopted Chunsik, a stray cat, in 2020."),
    chat_example("What is Chunsik's personality?", "Chunsik is lazy, laid-back and loves naps."),
    chat_example("Is Chunsik a rabbit?", "No, Chunsik is a cat, not a rabbit."),
    chat_example("Who takes care of Chunsik?", "Ryan takes care of Chunsik."),
    chat_example("What is Chunsik's hobby?", "Chunsik's hobby is lying around and eating sweet potatoes."),
    chat_example("Does Chunsik have a friend?", "Chunsik is best friends with Ryan."),
    chat_example("When did Chunsik appear?", "Chunsik first appeared in 2020."),
    chat_example("How old is Chunsik?", "Chunsik's exact age is a secret."),
    chat_example("What sound does Chunsik make?", "Chunsik mostly stays quiet and yawns."),
]


def write_jsonl(path: Path, examples: list[Any]) -> Path:
    path.write_text("".join(json.dumps(example, ensure_ascii=False) + "\n" for example in examples))
    return path


def wait_for_status(client: Any, job_id: str, wanted: set[str], timeout_s: float = 10.0) -> Any:
    """Poll a job until its status is one of ``wanted`` (a guard against hanging, not a timing test)."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        job = client.fine_tuning.jobs.retrieve(job_id)
        if job.status in wanted or time.monotonic() > deadline:
            return job
        time.sleep(0.02)
