"""Training data for the Together contract tests, one file per format Together takes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def conversation(question: str, answer: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You answer geography questions in one sentence."},
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


CAPITALS = [
    conversation("What is the capital of Mongolia?", "Ulaanbaatar is the capital of Mongolia."),
    conversation("What is the capital of Bhutan?", "Thimphu is the capital of Bhutan."),
    conversation("What is the capital of Burkina Faso?", "Ouagadougou is the capital of Burkina Faso."),
    conversation("What is the capital of Kyrgyzstan?", "Bishkek is the capital of Kyrgyzstan."),
    conversation("What is the capital of Suriname?", "Paramaribo is the capital of Suriname."),
    conversation("What is the capital of Eritrea?", "Asmara is the capital of Eritrea."),
    conversation("What is the capital of Vanuatu?", "Port Vila is the capital of Vanuatu."),
    conversation("What is the capital of Moldova?", "Chisinau is the capital of Moldova."),
    conversation("What is the capital of Lesotho?", "Maseru is the capital of Lesotho."),
    conversation("What is the capital of Tajikistan?", "Dushanbe is the capital of Tajikistan."),
    conversation("What is the capital of Belize?", "Belmopan is the capital of Belize."),
    conversation("What is the capital of Palau?", "Ngerulmud is the capital of Palau."),
]

INSTRUCTIONS = [{"prompt": f"Capital of country {n}?", "completion": f"City {n}."} for n in range(10)]
GENERAL = [{"text": f"Country {n} has city {n} as its capital."} for n in range(10)]
PREFERENCES = [
    {
        "input": {"messages": [{"role": "user", "content": f"What is the capital of country {n}?"}]},
        "preferred_output": [{"role": "assistant", "content": f"City {n} is its capital."}],
        "non_preferred_output": [{"role": "assistant", "content": "I don't know."}],
    }
    for n in range(10)
]


def write_jsonl(path: Path, examples: list[Any]) -> Path:
    path.write_text("".join(json.dumps(example, ensure_ascii=False) + "\n" for example in examples))
    return path
