"""Tool definitions' tokens: counted exactly as the cookbook's num_tokens_for_tools counts them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tiktoken

from ftops.datasets import check_dataset
from ftops.datasets.encodings import get_encoding

from .test_tokens import cookbook_counts

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_current_weather",
        "description": "Get the current weather in a given location",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                "unit": {
                    "type": "string",
                    "description": "The unit of temperature to return",
                    "enum": ["celsius", "fahrenheit"],
                },
            },
            "required": ["location"],
        },
    },
}


def cookbook_tool_tokens(tools: list[dict[str, Any]], encoding: tiktoken.Encoding, func_init: int) -> int:
    """The cookbook's num_tokens_for_tools (How_to_count_tokens_with_tiktoken, section 7), tools part."""
    count = 0
    for tool in tools:
        count += func_init
        function = tool["function"]
        description = function["description"].removesuffix(".")
        count += len(encoding.encode(function["name"] + ":" + description))
        properties = function["parameters"]["properties"]
        if properties:
            count += 3
            for key, schema in properties.items():
                count += 3
                if "enum" in schema:
                    count -= 3
                    for item in schema["enum"]:
                        count += 3 + len(encoding.encode(item))
                line = f"{key}:{schema['type']}:{schema['description'].removesuffix('.')}"
                count += len(encoding.encode(line))
    return count + 12 if tools else count


@pytest.mark.parametrize(
    ("model", "encoding_name", "func_init"),
    [("gpt-4o-mini-2024-07-18", "o200k_base", 7), ("gpt-3.5-turbo-0125", "cl100k_base", 10)],
)
def test_tool_definitions_count_as_the_cookbook_counts_them(
    model: str, encoding_name: str, func_init: int, tmp_path: Path
) -> None:
    second = json.loads(json.dumps(WEATHER_TOOL))
    second["function"]["name"] = "get_forecast"
    second["function"]["description"] = "Forecast for the next days."
    rows, toolsets = [], []
    for i in range(12):
        tools = [WEATHER_TOOL, second][: 1 + i % 2]
        messages = [
            {"role": "system", "content": "You answer questions about the weather."},
            {"role": "user", "content": f"What's the weather like in Seoul, day {i}?"},
            {"role": "assistant", "content": f"Sunny, {i} degrees."},
        ]
        rows.append(json.dumps({"messages": messages, "tools": tools}))
        toolsets.append(tools)
    path = tmp_path / "tools.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    encoding = get_encoding(encoding_name)
    plain = tmp_path / "plain.jsonl"
    plain.write_text("\n".join(json.dumps({"messages": json.loads(r)["messages"]}) for r in rows) + "\n")
    totals, _ = cookbook_counts(plain, encoding)
    pairs = zip(totals, toolsets, strict=True)
    expected = [tokens + cookbook_tool_tokens(tools, encoding, func_init) for tokens, tools in pairs]
    stats = check_dataset(path, "chat", model=model, workers=0).stats
    assert stats is not None
    assert (stats.total_tokens.min, stats.total_tokens.max) == (min(expected), max(expected))
    assert stats.billed_tokens == sum(expected)
