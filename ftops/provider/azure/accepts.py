"""What Azure OpenAI takes in a job: OpenAI's job, under Azure's name (see ``ftops.provider.accepts``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from ftops.provider.openai.accepts import ACCEPTS as OPENAI

ACCEPTS: Final = replace(OPENAI, service="Azure OpenAI")
