"""Write ``data/known_heliocentric.jsonl``, the bundled table of known objects on heliocentric
orbits whose artificial origin is established or was proposed, from the orbits of ``data/``.

The objects (``_OBJECTS``) are looked up by designation in ``data/catalog.jsonl.gz`` (the MPC
NEA.txt of 2019, full-precision orbits, epoch JD 2458666.5 TT); an object missing from it is an
error. Designations searched for and absent from every export in data/ and ../shared/data/raw
(J002E3, 2020 SO, 2018 A1 = Tesla Roadster, WT1190F, 2010 KQ) are not invented here: add them to
the user's own table (``[known] paths``). Deterministic.

Usage: ``.venv/bin/python scripts/build_known.py --data data``
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

_OBJECTS = {
    # designation: (name, status)
    "1991 VG": ("1991 VG", "suspected_artificial"),
}
_ORBIT_KEYS = ("a_au", "e", "i_deg", "node_deg", "peri_deg", "M_deg", "epoch_jd")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data", help="the data/ folder")
    args = parser.parse_args()
    data = Path(args.data)
    found: dict[str, dict[str, object]] = {}
    with gzip.open(data / "catalog.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["designation"] in _OBJECTS:
                found[rec["designation"]] = rec
    missing = sorted(set(_OBJECTS) - set(found))
    if missing:
        raise SystemExit(f"not in catalog.jsonl.gz: {', '.join(missing)}")
    out = ["# Known objects on heliocentric orbits (core/known/heliocentric.py; data/SOURCES.md)."]
    for designation, (name, status) in _OBJECTS.items():
        orbit = found[designation]["orbit"]
        assert isinstance(orbit, dict)
        row = {
            "name": name,
            "designation": designation,
            "norad_id": None,
            "cospar_id": None,
            "status": status,
            "orbit": {k: orbit[k] for k in _ORBIT_KEYS},
            "orbit_source": "MPC NEA.txt 2019 (data/catalog.jsonl.gz)",
        }
        out.append(json.dumps(row, sort_keys=False))
    (data / "known_heliocentric.jsonl").write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
