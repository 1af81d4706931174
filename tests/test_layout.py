"""The README's layout map names every module of the package, in the folder it lives in."""

from __future__ import annotations

import re
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


def _layout_rows() -> dict[str, str]:
    readme = (REPOSITORY / "README.md").read_text()
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `([^`]+)` \| (.+) \|$", section, flags=re.M))


def test_every_module_is_on_the_map() -> None:
    rows = _layout_rows()
    package = REPOSITORY / "recsae"
    for path in sorted(package.rglob("*.py")):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        relative = path.relative_to(REPOSITORY)
        if len(relative.parts) == 2:  # a module at the top of the package has its own row
            assert f"recsae/{path.name}" in rows, f"README's layout map has no row for {relative}"
        else:
            folder = f"{relative.parent}/"
            assert folder in rows, f"README's layout map has no row for {folder}"
            assert f"`{path.stem}`" in rows[folder], f"README's row for {folder} does not name {path.stem}"


def test_the_map_names_nothing_that_is_not_there() -> None:
    for path, description in _layout_rows().items():
        assert (REPOSITORY / path).exists(), f"README's layout map names {path}, which does not exist"
        if path.startswith("recsae/") and path.endswith("/"):
            for name in re.findall(r"(?:^|· )`(\w+)`", description):  # each item opens with its module
                assert (REPOSITORY / path / f"{name}.py").exists(), f"README's row for {path} names {name}"
