"""Numbers in a chapter's sentences come from its results, never from the keyboard.

A sentence cites a result by its key with myst-nb's glue role, ``{glue:text}`main.mf.beta=10.rbo.mean:.2f```,
and the chapter's last cell calls ``glue_cited`` with the values it wrote to its results file:
every cited key is glued (hidden) from those values, so the rendered sentence shows the
computed number and a result that changes cannot leave a stale sentence behind. A key that
starts with ``main.`` names the profile's main dataset (``ml1m`` in the full book, ``ml100k`` in
the quick one), so one sentence serves both books. The paper's own numbers are cited the same
way, as ``paper.<key>`` of ``recsae.book.paper``. A sentence that cites a key the chapter did
not compute fails the execution, naming the key.

``typed_numbers`` finds what a sentence must not hold: a decimal, a percentage or a neuron's
index written outside a glue role, a formula or a code span.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from myst_nb import glue

from recsae.book.paper import REPORTED
from recsae.book.results import Value, book_root, short_name

PAPER = "paper."
"""The prefix of a cited key that names a number of the paper (``paper.ml1m.mf.beta=10.rbo``)."""
MAIN = "main."
"""The prefix of a cited key that stands for the profile's main dataset (``main.mf.ndcg@10``)."""
GLUE_ROLE = re.compile(r"\{glue(?::text)?\}`([^`]+)`")
"""A glue role in MyST prose; its text is ``key`` or ``key:format``."""
_CODE_CELL = re.compile(r"^```\{code-cell\}.*?^```", re.S | re.M)
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
_QUOTED = re.compile(r"\{[a-z:]+\}`[^`]*`|`[^`]*`|\$\$.*?\$\$|\$[^$\n]+\$|\]\([^)]*\)", re.S)
"""Glue and other roles, code spans, formulas and link targets: text that is not a typed number."""
TYPED_NUMBER = re.compile(r"(?<![\w-])\d*\.\d+|\d+(?:\.\d+)?\s?%|#\d+")
"""A decimal (0.71, not the version of a name such as GPT-4.5), a percentage (78 %) or a
neuron's index (#12)."""


def chapter_source(chapter: str, root: Path | None = None) -> Path:
    """The MyST source of a chapter (``chapters/<chapter>.md`` of the book)."""
    return (root or book_root()) / "chapters" / f"{chapter}.md"


def cited_keys(markdown: str) -> list[str]:
    """The result keys a text cites with glue roles, in order of first citation."""
    keys = [text.rsplit(":", 1)[0] if ":" in text else text for text in GLUE_ROLE.findall(markdown)]
    return list(dict.fromkeys(keys))


def resolve(key: str, dataset: str | None) -> str:
    """The results key a cited key stands for: ``main.`` becomes the main dataset's short name."""
    if key.startswith(MAIN):
        if dataset is None:
            raise KeyError(f"{key} names the main dataset, but no dataset was given to resolve it.")
        return short_name(dataset) + key[len(MAIN) - 1 :]
    return key


def unknown_citations(keys: list[str], values: Mapping[str, Value], dataset: str | None) -> list[str]:
    """The cited keys that are neither a result in ``values`` nor a number of the paper."""
    return [
        key
        for key in keys
        if not (key.startswith(PAPER) and key[len(PAPER) :] in REPORTED)
        and resolve(key, dataset) not in values
    ]


def glue_cited(chapter: str, values: Mapping[str, Value], dataset: str | None = None) -> list[str]:
    """Glue every result and paper number the chapter's prose cites, without displaying it,
    and return the keys; ``dataset`` is the main dataset that ``main.`` keys name."""
    keys = cited_keys(chapter_source(chapter).read_text())
    unknown = unknown_citations(keys, values, dataset)
    if unknown:
        raise KeyError(
            f"The prose of {chapter} cites numbers it does not compute: {unknown}; "
            "cite a key of the chapter's results (or paper.<key> of recsae.book.paper)."
        )
    for key in keys:
        value = REPORTED[key[len(PAPER) :]][0] if key.startswith(PAPER) else values[resolve(key, dataset)]
        glue(key, value.item() if hasattr(value, "item") else value, display=False)
    return keys


def prose(markdown: str) -> str:
    """A chapter's sentences: the MyST source with its front matter and code cells blanked,
    so that line numbers stay those of the source."""

    def blank(match: re.Match[str]) -> str:
        return "\n" * match.group(0).count("\n")

    return _CODE_CELL.sub(blank, _FRONT_MATTER.sub(blank, markdown))


def typed_numbers(markdown: str) -> list[str]:
    """Each line of a chapter's prose that holds a typed number, as ``<line>: <text>``."""
    found = []
    for number, line in enumerate(prose(markdown).splitlines(), 1):
        if TYPED_NUMBER.search(_QUOTED.sub("", line)):
            found.append(f"{number}: {line.strip()}")
    return found
