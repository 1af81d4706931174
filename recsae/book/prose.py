"""Numbers in a chapter's sentences come from its results, never from the keyboard.

A sentence cites a result by its key with myst-nb's glue role, ``{glue:text}`ml1m.mf.beta=10.rbo.mean:.2f```,
and the chapter's last cell calls ``glue_cited`` with the values it wrote to its results file:
every cited key is glued (hidden) from those values, so the rendered sentence shows the
computed number and a result that changes cannot leave a stale sentence behind. The paper's
own numbers are cited the same way, as ``paper.<key>`` of ``recsae.book.paper``. A sentence
that cites a key the chapter did not compute fails the execution, naming the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from myst_nb import glue

from recsae.book.paper import REPORTED
from recsae.book.results import Value, book_root

PAPER = "paper."
"""The prefix of a cited key that names a number of the paper (``paper.ml1m.mf.beta=10.rbo``)."""
GLUE_ROLE = re.compile(r"\{glue(?::text)?\}`([^`]+)`")
"""A glue role in MyST prose; its text is ``key`` or ``key:format``."""


def chapter_source(chapter: str, root: Path | None = None) -> Path:
    """The MyST source of a chapter (``chapters/<chapter>.md`` of the book)."""
    return (root or book_root()) / "chapters" / f"{chapter}.md"


def cited_keys(markdown: str) -> list[str]:
    """The result keys a text cites with glue roles, in order of first citation."""
    keys = [text.rsplit(":", 1)[0] if ":" in text else text for text in GLUE_ROLE.findall(markdown)]
    return list(dict.fromkeys(keys))


def glue_cited(chapter: str, values: Mapping[str, Value]) -> list[str]:
    """Glue every result and paper number the chapter's prose cites, without displaying it,
    and return the keys."""
    keys = cited_keys(chapter_source(chapter).read_text())
    known = {**values, **{PAPER + key: value for key, (value, _) in REPORTED.items()}}
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise KeyError(
            f"The prose of {chapter} cites numbers it does not compute: {unknown}; "
            "cite a key of the chapter's results (or paper.<key> of recsae.book.paper)."
        )
    for key in keys:
        value = known[key]
        glue(key, value.item() if hasattr(value, "item") else value, display=False)
    return keys
