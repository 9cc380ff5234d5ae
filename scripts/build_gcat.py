"""Convert GCAT's auxiliary catalogue to the deep-space launch table bundled in ``data/``.

Reads ``<raw>/gcat/auxcat.tsv`` (Jonathan C. McDowell, General Catalog of Artificial Space
Objects, https://planet4589.org/space/gcat, CC-BY 4.0) and writes ``data/gcat_deep_space.csv``:
the rows with Status DSO (deep space, orbiting the Sun) or DSA (deep space, arrived at a
destination), with the columns the project uses (launch tag, piece, type, name, launch date,
status, destination, dry mass, length, diameter, span, shape). Deterministic: the same input
gives the same bytes.

Usage: ``.venv/bin/python scripts/build_gcat.py --raw ../shared/data/raw --out data``
"""

from __future__ import annotations

import argparse
import csv
import re
from datetime import datetime
from pathlib import Path

_COLUMNS = (
    "launch_tag",
    "piece",
    "type",
    "name",
    "launch_date",
    "status",
    "dest",
    "dry_mass_kg",
    "length_m",
    "diameter_m",
    "span_m",
    "shape",
)
_DATE = re.compile(r"^(\d{4}) ([A-Z][a-z]{2}) +(\d{1,2})")


def _number(text: str) -> str:
    text = text.strip().rstrip("?")
    try:
        return repr(float(text))
    except ValueError:
        return ""


def convert(auxcat: Path, out: Path) -> int:
    """Write the deep-space rows of ``auxcat`` to ``out``; return the number of rows."""
    rows = []
    with auxcat.open(encoding="utf-8") as fh:
        header = fh.readline().lstrip("#").rstrip("\n").split("\t")
        col = {name.strip(): i for i, name in enumerate(header)}
        for line in fh:
            if line.startswith("#"):
                continue
            f = line.rstrip("\n").split("\t")
            if len(f) < len(header) or f[col["Status"]].strip() not in ("DSO", "DSA"):
                continue
            m = _DATE.match(f[col["LDate"]].strip())
            if m is None:
                continue
            date = datetime.strptime(f"{m[1]} {m[2]} {int(m[3]):02d}", "%Y %b %d").date()
            rows.append(
                (
                    f[col["Launch_Tag"]].strip(),
                    f[col["Piece"]].strip(),
                    f[col["Type"]].strip(),
                    f[col["Name"]].strip(),
                    date.isoformat(),
                    f[col["Status"]].strip(),
                    f[col["Dest"]].strip(),
                    _number(f[col["DryMass"]]),
                    _number(f[col["Length"]]),
                    _number(f[col["Diameter"]]),
                    _number(f[col["Span"]]),
                    f[col["Shape"]].strip(),
                )
            )
    rows.sort(key=lambda r: (r[4], r[0], r[1]))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(_COLUMNS)
        w.writerows(rows)
    return len(rows)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, required=True, help="folder holding gcat/auxcat.tsv")
    parser.add_argument("--out", type=Path, default=Path("data"))
    args = parser.parse_args()
    n = convert(args.raw / "gcat" / "auxcat.tsv", args.out / "gcat_deep_space.csv")
    print(f"gcat_deep_space.csv: {n} rows")


if __name__ == "__main__":
    main()
