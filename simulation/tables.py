r"""The report's tables as files a paper can use: `tables/NAME.csv` and `tables/NAME.tex`.

A table is a caption, a header and rows of cells; a cell is a text, or a (value, interval) pair
that the CSV gives as numbers in three columns (`metric`, `metric, 95% low`, `metric, 95% high`;
a heading such as "median [25–75%]" names another interval)
and LaTeX prints as "value [low, high]". The LaTeX is a booktabs `table` environment (`\usepackage{booktabs}`),
written here by hand: pandas' `to_latex` needs jinja2, and the escaping and layout are a few lines.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .results import write_text

TABLES_DIR = "tables"
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIAL))


def latex_escape(text) -> str:
    """Text with LaTeX's special characters escaped (and the minus sign typeset as one)."""
    out = _LATEX_RE.sub(lambda m: _LATEX_SPECIAL[m.group(0)], str(text))
    return out.replace("−", "$-$").replace("–", "--")


def number(text) -> int | float | str:
    """A number as the report prints it ('64,600', '+71.6', '2.60'), as a float; '' for 'n/a' or blank."""
    t = str(text).strip().replace(",", "").replace("−", "-")
    if t in ("", "n/a", "nan"):
        return ""
    try:
        value = float(t)
    except ValueError:
        return str(text)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def interval(text) -> tuple[float | str, float | str]:
    """'[53,700, 75,600]' as (53700.0, 75600.0); ('', '') when absent."""
    t = str(text).strip()
    if not (t.startswith("[") and t.endswith("]")) or ", " not in t:
        return "", ""
    low, high = t[1:-1].split(", ", 1)
    return number(low), number(high)


def to_csv_text(header: list[str], rows: list[list]) -> str:
    """The table as CSV with numbers as numbers: a (value, interval) cell becomes value, low and high columns."""
    pairs = [any(isinstance(row[i], tuple) for row in rows) for i in range(len(header))]
    head = []
    for name, pair in zip(header, pairs):
        # a heading may name its interval: "median [25–75%]" gives median, median, 25–75% low, ... high
        named = re.fullmatch(r"(.+) \[(.+)\]", name)
        base, kind = (named.group(1), named.group(2)) if named else (name, "95%")
        head += [base, f"{base}, {kind} low", f"{base}, {kind} high"] if pair else [base]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(head)
    for row in rows:
        cells: list = []
        for i, (cell, pair) in enumerate(zip(row, pairs)):
            if pair:
                cells += [number(cell[0]), *interval(cell[1])] if isinstance(cell, tuple) else [number(cell), "", ""]
            else:
                cells.append(cell if i == 0 else number(cell))
        w.writerow(cells)
    return buf.getvalue()


def to_latex(caption: str, label: str, header: list[str], rows: list[list]) -> str:
    """The table as a booktabs LaTeX table (first column left, the others right)."""
    cols = "l" + "r" * (len(header) - 1)

    def cell(c) -> str:
        return latex_escape(f"{c[0]} {c[1]}" if isinstance(c, tuple) else c)

    lines = [
        r"\begin{table}[htbp]",
        r"\centering",
        rf"\caption{{{latex_escape(caption)}}}",
        rf"\label{{tab:{label}}}",
        r"\small",
        rf"\begin{{tabular}}{{{cols}}}",
        r"\toprule",
        " & ".join(latex_escape(h) for h in header) + r" \\",
        r"\midrule",
        *(" & ".join(cell(c) for c in row) + r" \\" for row in rows),
        r"\bottomrule",
        r"\end{tabular}",
        r"\end{table}",
    ]
    return "\n".join(lines) + "\n"


def write_tables(folder: Path, tables: list[tuple[str, str, list[str], list[list]]]) -> list[Path]:
    """Write each (name, caption, header, rows) as tables/NAME.csv and tables/NAME.tex."""
    out = Path(folder) / TABLES_DIR
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, caption, header, rows in tables:
        for suffix, text in (
            (".csv", to_csv_text(header, rows)),
            (".tex", to_latex(caption, name, header, rows)),
        ):
            path = out / f"{name}{suffix}"
            write_text(path, text)
            paths.append(path)
    return paths


__all__ = ["TABLES_DIR", "latex_escape", "to_csv_text", "to_latex", "write_tables"]
