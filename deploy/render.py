"""Fill in a configuration file of deploy/ from the deployment's environment file.

    python deploy/render.py TEMPLATE ENV_FILE [NAME=VALUE ...] > OUTPUT

Every `{{NAME}}` of the template is replaced by the value of NAME: from NAME=VALUE on the command
line (what differs between servers, e.g. GUNICORN_BIND), else from ENV_FILE (the same file the
portal reads, with its settings and the deployment's variables). A line holding `{{NAME[]}}` is
repeated for each comma-separated value of NAME (e.g. one `server` line per app server). A name
without a value is an error, and nothing is written.

Standard library only: it runs on a server before anything is installed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PLACEHOLDER = re.compile(r"\{\{([A-Z][A-Z0-9_]*)(\[\])?\}\}")


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as the portal reads them (django-environ): comments and blank lines
    skipped, an optional `export `, quotes around a value removed."""
    values = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ")
        name, equals, value = line.partition("=")
        if not equals or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name.strip()):
            raise ValueError(f"{path}:{number}: not NAME=VALUE: {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def render(template: str, values: dict[str, str]) -> str:
    missing = sorted(
        {name for name, _list in PLACEHOLDER.findall(template) if not values.get(name)}
    )
    if missing:
        raise KeyError("no value for " + ", ".join(missing))
    lines = []
    for line in template.splitlines(keepends=True):
        lists = {name for name, many in PLACEHOLDER.findall(line) if many}
        if len(lists) > 1:
            raise ValueError(f"more than one list on a line: {line.strip()}")
        items = [item.strip() for item in values[lists.pop()].split(",")] if lists else [None]
        for item in items:
            lines.append(
                PLACEHOLDER.sub(
                    lambda match, item=item: item if match.group(2) else values[match.group(1)],
                    line,
                )
            )
    return "".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    template, env_file, *assignments = argv
    values = read_env_file(Path(env_file))
    for assignment in assignments:
        name, equals, value = assignment.partition("=")
        if not equals:
            print(f"render: not NAME=VALUE: {assignment!r}", file=sys.stderr)
            return 2
        values[name] = value
    try:
        sys.stdout.write(render(Path(template).read_text(), values))
    except (KeyError, ValueError) as error:
        print(f"render: {template}: {error.args[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
