"""The page-context fix of the book's HTML: repeated scripts are dropped, distinct ones kept."""

from __future__ import annotations

from sphinx.builders.html._assets import _JavaScript

from recsae.book.html_pages import unique_scripts


def test_repeated_scripts_are_dropped_in_order() -> None:
    thebe = 'const THEBE_JS_URL = "x"'
    scripts = [
        _JavaScript("a.js"),
        _JavaScript(None, body=thebe),
        _JavaScript("b.js", **{"async": "async"}),
        _JavaScript("", body=thebe),  # the second copy Sphinx 7 writes: "" where the first has None
        _JavaScript("a.js"),
        _JavaScript("b.js"),  # not async: another script tag
        _JavaScript(None, body="let other = 1"),
    ]
    assert unique_scripts(scripts) == [scripts[0], scripts[1], scripts[2], scripts[5], scripts[6]]
