"""One stylesheet serves both directions: the portal's CSS says where things go with logical
properties (start and end, block and inline), never left or right, so that an Arabic page is the
mirror of an English one without a second stylesheet."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STYLESHEETS = sorted((ROOT / "static" / "css").glob("*.css"))

# A declaration that names a physical side: `margin-left: 1rem`, `padding-right`, `left: 0`,
# `border-top-right-radius`, `text-align: left`, `float: right`, `clear: left`,
# `background-position: right .5rem center`…
PHYSICAL = re.compile(
    r"""(?ix)
    (?:^|[;{\s])(
        (?:margin|padding|border|inset|scroll-margin|scroll-padding)-(?:left|right)[\w-]*\s*:
      | border-(?:top|bottom)-(?:left|right)-radius\s*:
      | (?:left|right)\s*:
      | (?:text-align|float|clear|caption-side|resize)\s*:\s*(?:left|right)\b
      | [\w-]*(?:position|origin)\s*:[^;}]*\b(?:left|right)\b
    )
    """
)
# Declarations that must name a side, with the reason; none today.
ALLOWED: dict[str, str] = {}


def _without_comments(css: str) -> str:
    return re.sub(r"/\*.*?\*/", "", css, flags=re.S)


def physical_declarations(css: str) -> list[str]:
    found = []
    for number, line in enumerate(_without_comments(css).splitlines(), start=1):
        for match in PHYSICAL.finditer(line):
            if match.group(1).strip() not in ALLOWED:
                found.append(f"line {number}: {line.strip()}")
    return found


@pytest.mark.parametrize("stylesheet", STYLESHEETS, ids=lambda path: path.name)
def test_stylesheets_use_logical_properties_only(stylesheet):
    assert physical_declarations(stylesheet.read_text(encoding="utf-8")) == []


def test_the_stylesheets_are_found():
    assert {"portal.css", "admin.css"} <= {path.name for path in STYLESHEETS}


@pytest.mark.parametrize(
    "css",
    [
        ".a { margin-left: 1rem; }",
        ".a{padding-right:0}",
        ".a { position: absolute; left: 0; }",
        ".a { right: 1rem }",
        ".a { text-align: left; }",
        ".a { float: right; }",
        ".a { border-right: 1px solid; }",
        ".a { border-top-left-radius: 2px; }",
        ".a { background-position: right .5rem center; }",
        ".a { transform-origin: left top; }",
        ".a { inset-inline: 0; left: auto; }",
    ],
)
def test_the_scan_finds_a_physical_side(css):
    assert physical_declarations(css) != []


@pytest.mark.parametrize(
    "css",
    [
        ".a { margin-inline-start: 1rem; padding-inline-end: 0; }",
        ".a { inset-inline-start: 0; text-align: start; float: inline-end; }",
        ".a { border-inline-start: 4px solid; border-start-end-radius: 2px; }",
        "/* left to right */ .a { content: 'right'; }",
        ".highlight { color: red; }",
    ],
)
def test_the_scan_leaves_logical_properties_alone(css):
    assert physical_declarations(css) == []
