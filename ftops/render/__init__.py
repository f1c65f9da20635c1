"""Views of a Plan, kept apart from the core (as Terraform's views are): text for people,
versioned JSON for machines, Markdown for a pull-request comment."""

from __future__ import annotations

from ftops.render.json_view import RENDER_FORMAT_VERSION, render_json
from ftops.render.markdown import render_markdown
from ftops.render.text import render_text

__all__ = ["RENDER_FORMAT_VERSION", "render_json", "render_markdown", "render_text"]
