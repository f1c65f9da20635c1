"""OpenAI's fine-tuning API through the ``openai`` SDK: ``adapter.OpenAIProvider``.

``naming`` holds its id formats and status words without the SDK, for offline code."""
