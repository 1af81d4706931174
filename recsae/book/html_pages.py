"""A Sphinx extension for the book's pages: each script loaded once.

Sphinx 7 writes the inline configuration scripts of sphinx-thebe and sphinx-togglebutton twice on
every page, and the second ``const THEBE_JS_URL`` declaration is an error in the browser's console. The
page's script list is made unique (first occurrence kept, order kept) just before it is written.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def unique_scripts(scripts: list[Any]) -> list[Any]:
    """``scripts`` without repeats: two entries are the same script when their file and their
    attributes (an inline script's body among them) are equal. An inline script's file is
    ``None`` in one copy and ``""`` in the other, so both count as no file."""
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    unique = []
    for script in scripts:
        attributes = getattr(script, "attributes", {})
        key = (
            str(getattr(script, "filename", script) or ""),
            tuple(sorted((k, str(v)) for k, v in attributes.items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(script)
    return unique


def _page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if "script_files" in context:
        context["script_files"] = unique_scripts(context["script_files"])


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", _page_context, priority=900)  # after the theme's own handlers
    return {"parallel_read_safe": True, "parallel_write_safe": True}
