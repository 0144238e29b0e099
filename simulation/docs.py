"""Tables of the documentation, generated from the code so that they never drift from it.

A generated block in a Markdown file sits between the two marker lines::

    <!-- generated: NAME (python -m simulation.docs); do not edit by hand -->
    ...
    <!-- end generated: NAME -->

where NAME is a key of :data:`GENERATORS`. ``python -m simulation.docs`` rewrites every block of
:data:`DOCUMENTS`; a test checks that none is stale.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = (ROOT / "scenarios" / "README.md", ROOT / "docs" / "ODD.md", ROOT / "README.md")
_BLOCK = re.compile(
    r"(<!-- generated: (?P<name>[a-z_]+) \(python -m simulation\.docs\); do not edit by hand -->\n)"
    r"(?P<body>.*?)"
    r"(<!-- end generated: (?P=name) -->)",
    re.DOTALL,
)


def _cell(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    if value == []:
        return "[]"
    return f"{value}"


def parameters_table() -> str:
    """Every scenario key: unit, default, allowed values, meaning and source."""
    from .parameters import describe

    lines = ["| key | unit | default | allowed | meaning | source |", "|---|---|---|---|---|---|"]
    for r in describe():
        lines.append(
            f"| `{r['key']}` | {r['unit']} | {_cell(r['default'])} | {r['allowed']} | {r['meaning']} | {r['source']} |"
        )
    return "\n".join(lines) + "\n"


def actions_table() -> str:
    """Every brand action: what it does, whether it ends the silence, and how its answer travels."""
    from .actions import ACTIONS

    lines = ["| action | what it does | ends the silence | its answer |", "|---|---|---|---|"]
    for name, a in ACTIONS.items():
        travels = (
            "calms; passed on by calmed readers and advocates"
            if a.supportive
            else "provokes; passed on by angry readers"
        )
        lines.append(f"| `{name}` | {a.description} | {'yes' if a.breaks_silence else 'no'} | {travels} |")
    return "\n".join(lines) + "\n"


def strategies_table() -> str:
    """Every named strategy (preset) and its schedule in words."""
    from .strategies import STRATEGY_NAMES, describe_strategy

    lines = ["| strategy | schedule |", "|---|---|"]
    lines += [f"| `{name}` | {describe_strategy(name)} |" for name in STRATEGY_NAMES]
    return "\n".join(lines) + "\n"


GENERATORS: dict[str, Callable[[], str]] = {
    "parameters": parameters_table,
    "actions": actions_table,
    "strategies": strategies_table,
}


def blocks(text: str) -> list[tuple[str, str]]:
    """The (name, body) of every generated block of a document."""
    return [(m["name"], m["body"]) for m in _BLOCK.finditer(text)]


def regenerate(text: str) -> str:
    """The document with every generated block rewritten from the code."""

    def body(m: re.Match) -> str:
        name = m["name"]
        if name not in GENERATORS:
            raise KeyError(f"unknown generated block {name!r}; known: {', '.join(GENERATORS)}")
        return m.group(1) + GENERATORS[name]() + m.group(4)

    return _BLOCK.sub(body, text)


def stale(path: Path) -> list[str]:
    """Names of the generated blocks of a document that differ from the code's."""
    text = path.read_text(encoding="utf-8")
    return [name for name, body in blocks(text) if body != GENERATORS[name]()]


def update(paths=DOCUMENTS) -> list[Path]:
    """Rewrite the generated blocks of the documents; returns those that changed."""
    changed = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        new = regenerate(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    for p in update():
        print(f"updated {p.relative_to(ROOT)}")
