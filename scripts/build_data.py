"""Build the bundled data sets in ``data/`` from the real files in ``../shared/data/raw``.

Run by ``make data``::

    .venv/bin/python scripts/build_data.py [--raw ../shared/data/raw] [--out data]

Writes (deterministically: sorted, gzip without name or mtime):

* ``data/catalog.jsonl.gz``: the training catalog, every NEA of the 2019 MPC NEA.txt at full
  precision, enriched where the canonical designation matches with SBDB physical data, MOID,
  condition code and non-gravitational parameters, and with CNEOS close approaches;
* ``data/sample_stream.jsonl.gz``: a few thousand records for demos and tests, from sources
  other than the catalog (objects discovered after the 2019 snapshot with their SBDB elements,
  real 80-column and ADES observations, CNEOS close approaches), plus a few injected
  artificial objects (:mod:`core.training.synthetic`, fixed seed) spread through the stream and
  marked only in ``meta`` (``{"source": "synthetic", "family": [...]}``) so demos show alerts;
* ``data/SOURCES.md``: origins (the SOURCE.txt lines), the command, row counts and the
  records skipped by validation with their reasons.

Every record is validated with :func:`core.contract.records.record_from_obj`; invalid ones are
skipped and counted.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.contract.records import record_from_obj, record_to_obj  # noqa: E402
from core.errors import RecordError  # noqa: E402
from core.formats import read_records  # noqa: E402
from core.training.synthetic import generate_artificial  # noqa: E402

Obj = dict[str, Any]

NEA = "mpc_nea_2019/NEA.txt"
PHA25 = "sbdb_pha_2025/sbdb_query_results.csv"
NEO24 = "sbdb_neo_2024/sbdb_query_results.csv"
NUM23 = "sbdb_neo_numbered_2023/sbdb_query_results.csv"
UDA20 = "sbdb_neos_udacity_2020_partial/neos.csv"
CAD_FILES = (
    "cneos_cad/cneos_closeapproach_data_past.csv",
    "cneos_cad/cneos_closeapproach_data_future.csv",
    "cneos_cad/neo_closeapproach_2019_2200.csv",
)
OBS80_FILES = (
    *(
        f"obs_mpc80_neos_jl/{name}"
        for name in (
            "2005TM173.txt", "2007VV7.txt", "2008EK68.txt", "2008TC3.txt", "2014AA.txt",
            "2018LA.txt", "2020NB1.txt", "2023DW.txt", "2023QR6.txt", "2024BX1.txt",
            "2024MK.txt", "433.txt", "99942.dat", "99942_2020_2021.dat",
            "99942_Tholen_etal_2013.dat", "mpec_2014-R71.dat", "101955_OPTICAL_1999_2006.dat",
            "101955_OPTICAL_2011_2018.dat",
        )
    ),
    "layup_testdata/03666.txt",
)  # fmt: skip
ADES_FILES = ("layup_testdata/100_random_mpc_ADES_provIDs.csv", "layup_testdata/example.psv")

# Physical data: the most recent source first. Orbit-derived MOID/condition code: the source
# whose epoch is closest to the 2019 catalog first. Non-grav: the latest fit first.
PHYSICAL_ORDER = (PHA25, NEO24, NUM23, UDA20)
MOID_ORDER = (UDA20, NUM23, PHA25)
NONGRAV_ORDER = (PHA25, NUM23, UDA20)

SAMPLE_NEW_ORBITS = 2000  # objects in SBDB 2024 but not in the 2019 catalog
SAMPLE_CAD_ONLY = 300  # objects known only through CNEOS close approaches
MAX_OBS = 1500  # keep a message well under Kafka's default 1 MB limit
SAMPLE_SYNTHETIC = 40  # injected artificial objects in the sample stream
SYNTHETIC_SEED = 20241031


def _stable_key(text: str) -> str:
    """A deterministic pseudo-random order (sha256), so subsets are unbiased yet stable."""
    return hashlib.sha256(text.encode()).hexdigest()


def _designation_order(designation: str) -> tuple[int, int, str]:
    return (0, int(designation), "") if designation.isdigit() else (1, 0, designation)


def _short(rel: str) -> str:
    """``"sbdb_pha_2025/sbdb_query_results.csv"`` → ``"sbdb_pha_2025"`` (for meta)."""
    return rel.split("/", 1)[0]


_KEY_ORDER = ("designation", "orbit", "physical", "nongrav", "close_approaches", "observations",
              "meta")  # fmt: skip


def _ordered(obj: Obj) -> Obj:
    """The neo.v1 keys in one readable order (dict order is what orjson writes)."""
    return {k: obj[k] for k in _KEY_ORDER if k in obj}


def _by_designation(records: Iterable[Obj]) -> dict[str, Obj]:
    out: dict[str, Obj] = {}
    for obj in records:
        out.setdefault(obj["designation"], obj)  # first row wins on (rare) duplicates
    return out


class Builder:
    """Reads the raw files once and assembles both data sets."""

    def __init__(self, raw: Path) -> None:
        self.raw = raw
        self.rows: dict[str, int] = {}
        self.sbdb = {name: self._load(name) for name in (PHA25, NEO24, NUM23, UDA20)}
        self.cad = self._load_cad()

    def _read(self, rel: str) -> list[Obj]:
        records = list(read_records(self.raw / rel))
        self.rows[rel] = len(records)
        return records

    def _load(self, rel: str) -> dict[str, Obj]:
        return _by_designation(self._read(rel))

    def _load_cad(self) -> dict[str, Obj]:
        merged: dict[str, Obj] = {}
        for rel in CAD_FILES:
            for obj in self._read(rel):
                target = merged.setdefault(
                    obj["designation"], {"approaches": {}, "physical": obj.get("physical")}
                )
                for approach in obj["close_approaches"]:
                    target["approaches"].setdefault(approach["time"], approach)
        return merged

    def _approaches(self, designation: str) -> list[Obj]:
        entry = self.cad.get(designation)
        if entry is None:
            return []
        return [entry["approaches"][t] for t in sorted(entry["approaches"])]

    def _enrich(self, obj: Obj, used: set[str]) -> None:
        """Fill what ``obj`` lacks from SBDB (never overwriting) and add CNEOS approaches."""
        designation = obj["designation"]
        physical: Obj = dict(obj.get("physical", {}))
        for field in ("H", "diameter_km", "albedo", "rot_per_h", "spectral_type"):
            order = (PHA25, NUM23, UDA20) if field == "H" else PHYSICAL_ORDER
            for src in order:
                value = self.sbdb[src].get(designation, {}).get("physical", {}).get(field)
                if field not in physical and value is not None:
                    physical[field] = value
                    used.add(_short(src))
        if physical:
            obj["physical"] = physical
        orbit: Obj = obj["orbit"]
        for field in ("moid_au", "condition_code"):
            for src in MOID_ORDER:
                value = self.sbdb[src].get(designation, {}).get("orbit", {}).get(field)
                if field not in orbit and value is not None:
                    orbit[field] = value
                    used.add(_short(src))
        if "nongrav" not in obj:
            for src in NONGRAV_ORDER:
                nongrav = self.sbdb[src].get(designation, {}).get("nongrav")
                if nongrav:
                    obj["nongrav"] = dict(nongrav)
                    used.add(_short(src))
                    break
        approaches = self._approaches(designation)
        if approaches:
            obj["close_approaches"] = approaches
            used.add("cneos_cad")

    def catalog(self) -> list[Obj]:
        """The 2019 NEA.txt orbits, enriched; sorted by designation (numbers first)."""
        out = []
        for obj in _by_designation(self._read(NEA)).values():
            used: set[str] = set()
            self._enrich(obj, used)
            obj["meta"] = {"source": "mpc_nea_2019", "enriched_from": sorted(used)}
            out.append(_ordered(obj))
        return sorted(out, key=lambda o: _designation_order(o["designation"]))

    def sample(self, known: set[str]) -> list[Obj]:
        """Records from other sources than the catalog; in a stable shuffled order."""
        out: list[Obj] = []
        new = {d: o for d, o in self.sbdb[PHA25].items() if d not in known}
        for designation in sorted(new):
            out.append(self._sbdb_sample(new[designation], "sbdb_pha_2025"))
        later = sorted(
            (d for d in self.sbdb[NEO24] if d not in known and d not in new), key=_stable_key
        )
        for designation in later[:SAMPLE_NEW_ORBITS]:
            out.append(self._sbdb_sample(self.sbdb[NEO24][designation], "sbdb_neo_2024"))
        taken = known | {o["designation"] for o in out}
        cad_only = sorted((d for d in self.cad if d not in taken), key=_stable_key)
        for designation in cad_only[:SAMPLE_CAD_ONLY]:
            obj: Obj = {"designation": designation}
            if self.cad[designation]["physical"]:
                obj["physical"] = dict(self.cad[designation]["physical"])
            obj["close_approaches"] = self._approaches(designation)
            obj["meta"] = {"source": "cneos_cad"}
            out.append(obj)
        for rel in (*OBS80_FILES, *ADES_FILES):
            for obj in self._read(rel):
                out.append(self._observation_sample(obj, rel))
        return sorted(out, key=lambda o: _stable_key(orjson.dumps(o).decode()))

    def _sbdb_sample(self, row: Obj, source: str) -> Obj:
        obj = orjson.loads(orjson.dumps(row))  # deep copy
        used: set[str] = set()
        self._enrich(obj, used)
        used.discard(source)
        obj["meta"] = {"source": source, "enriched_from": sorted(used)}
        return _ordered(obj)

    def _observation_sample(self, obj: Obj, rel: str) -> Obj:
        kind = "obs80" if "obs80" in obj["observations"] else "ades"
        rows = obj["observations"][kind]
        kept = rows[-MAX_OBS:]
        # Never start on the second line of a satellite/roving/radar pair (note 2 lowercase).
        while kind == "obs80" and kept and kept[0][14] in "svr":
            kept = kept[1:]
        meta: Obj = {"source": rel, "observations_in_file": len(rows)}
        result: Obj = {"designation": obj["designation"], "observations": {kind: kept}}
        orbit = self.sbdb[NEO24].get(obj["designation"], {}).get("orbit")
        if orbit is not None:
            result["orbit"] = dict(orbit)
            meta["orbit_from"] = "sbdb_neo_2024"
        result["meta"] = meta
        return result


def _with_synthetic(sample: list[Obj], catalog: list[Obj]) -> list[Obj]:
    """Insert :data:`SAMPLE_SYNTHETIC` injected objects at evenly spread positions.

    Templates are catalog records; the template's ``meta`` is replaced by the family list
    (meta never reaches a score). Each gets the designation ``SIM-NNNN`` (issue 33: a drawn
    provisional designation such as ``2013 AY8`` looked like a real asteroid's on the
    terminal; no MPC designation has a hyphen), so an injected object never shares a name
    with a real one nor can be mistaken for one. A designation never changes a score.
    """
    templates = [record_from_obj(o) for o in catalog]
    taken = {o["designation"] for o in (*catalog, *sample)}
    injected = generate_artificial(
        templates, 2 * SAMPLE_SYNTHETIC, np.random.default_rng(SYNTHETIC_SEED)
    )
    fresh: list[Obj] = []
    for rec, families in zip(injected.records, injected.families, strict=True):
        if rec.designation in taken or len(fresh) == SAMPLE_SYNTHETIC:
            continue
        taken.add(rec.designation)
        obj = record_to_obj(rec)
        obj["designation"] = f"SIM-{len(fresh) + 1:04d}"
        obj["meta"] = {"source": "synthetic", "family": list(families)}
        fresh.append(_ordered(obj))
    out = list(sample)
    step = len(sample) / len(fresh)
    # From the end, so earlier insertion points do not shift.
    for k in reversed(range(len(fresh))):
        out.insert(int((k + 0.5) * step), fresh[k])
    return out


def _validated(records: list[Obj], skipped: Counter[str]) -> list[Obj]:
    good = []
    for obj in records:
        try:
            record_from_obj(obj)
        except RecordError as exc:
            skipped[f"{exc.field.split('[')[0]}: {exc.reason}"] += 1
            print(f"skip {obj['designation']}: {exc}", file=sys.stderr)
        else:
            good.append(obj)
    return good


def _write_jsonl_gz(path: Path, records: list[Obj]) -> None:
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        for obj in records:
            gz.write(orjson.dumps(obj) + b"\n")


def _source_lines(raw: Path, rels: Iterable[str]) -> list[str]:
    """The SOURCE.txt line of each used file, verbatim."""
    lines = []
    for rel in rels:
        folder, name = rel.split("/", 1)
        for line in (raw / folder / "SOURCE.txt").read_text().splitlines():
            if line.startswith(f"{name} |"):
                lines.append(f"- {folder}/ — {line}")
    return lines


def _sources_md(raw: Path, builder: Builder, counts: Mapping[str, Any]) -> str:
    used = [NEA, PHA25, NEO24, NUM23, UDA20, *CAD_FILES, *OBS80_FILES, *ADES_FILES]
    parts = [
        "# Bundled data: origins and build",
        "",
        "Built by `make data` (`.venv/bin/python scripts/build_data.py --raw ../shared/data/raw"
        " --out data`) from offline copies of public files. Deterministic: the same inputs give"
        " byte-identical outputs. Designations are canonical (`core/contract/designations.py`: the"
        " number if numbered, else the provisional designation) and are the join key between"
        " sources.",
        "",
        "## Files",
        "",
        f"- `catalog.jsonl.gz`: {counts['catalog']} records, the training catalog: every NEA of"
        " the 2019 MPC NEA.txt (orbit at full precision, H, U as condition_code), enriched"
        " where designations match: physical (H if missing, diameter, albedo, rotation period,"
        " spectral type) from SBDB in the order PHA 2025, NEO 2024, numbered 2023, Udacity"
        " 2020; MOID and condition code (if U is missing) from Udacity 2020, numbered 2023,"
        " PHA 2025 (closest epoch first); A1/A2/A3 from PHA 2025, numbered 2023, Udacity 2020;"
        " CNEOS close approaches from all three tables (deduplicated by time)."
        f" Enriched: {counts['enriched']}.",
        f"- `sample_stream.jsonl.gz`: {counts['sample']} records for demos and tests, none"
        " from the catalog's source: "
        + ", ".join(f"{v} {k}" for k, v in sorted(counts["sample_by_source"].items()))
        + f". Observation records keep at most the last {MAX_OBS} lines/rows of a file"
        " (`meta.observations_in_file` gives the full count); those whose object is in SBDB"
        " 2024 carry its orbit."
        f" The {counts['sample_by_source'].get('synthetic', 0)} `synthetic` records are"
        " injected artificial objects (`core/training/synthetic.py`, seed"
        f" {SYNTHETIC_SEED}, catalog records as templates, designations `SIM-0001`... that"
        " no real object can have), spread evenly"
        ' through the stream and marked only in `meta` (`{"source": "synthetic", "family":'
        " [...]}`, the signal families each carries; meta never influences a score), so"
        " `make run` shows alerts arriving for them. Every other record is real.",
        "",
        "## Validation",
        "",
        "Every record was checked with `core.contract.records.record_from_obj`."
        f" Skipped as invalid: {sum(counts['skipped'].values())}.",
        *(f"- {n} × {reason}" for reason, n in sorted(counts["skipped"].items())),
        "",
        "## Input rows read (records after parsing, one per object)",
        "",
        *(f"- {rel}: {n}" for rel, n in sorted(builder.rows.items())),
        "",
        "## Origins (lines of the SOURCE.txt files)",
        "",
        *_source_lines(raw, used),
        "",
        *_TEST_FIXTURES,
    ]
    return "\n".join(parts)


# Real files copied whole or in part into tests/fixtures/ (not built by this script); each
# folder's SOURCE.txt says which lines were taken.
_TEST_FIXTURES = (
    "## Test fixtures (tests/fixtures/, copied by hand)",
    "",
    "- `ades/ades_sample.xml`: the whole of layup_testdata/ades_sample.xml (pypi=layup==1.1.0"
    " sdist, tests/data/ades_sample.xml), ADES 2022 XML. Licence: MIT, Copyright (c) 2024"
    " Matthew Holman (Smithsonian/layup).",
    "- `nea/pha_2016_tab_head.txt`: the first 5 lines of mpc_nea_2016/pha.txt"
    " (repo=msmilevski/Asteroid-Forest-Solution, path=pha.txt,"
    " commit=214fda259b302b5cac6c40a853a0b3239993fce5), MPC orbital elements of PHAs as a"
    " tab-separated table; the repository states no licence; the elements are MPC data."
    " Kept as an example of a format the readers refuse.",
    "",
)


def main(argv: list[str] | None = None) -> int:
    """Build ``data/``; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=ROOT.parent / "shared" / "data" / "raw")
    parser.add_argument("--out", type=Path, default=ROOT / "data")
    args = parser.parse_args(argv)
    if not (args.raw / NEA).is_file():
        print(f"build_data: {args.raw} does not hold {NEA}", file=sys.stderr)
        return 2
    builder = Builder(args.raw)
    skipped: Counter[str] = Counter()
    catalog = _validated(builder.catalog(), skipped)
    known = {o["designation"] for o in catalog}
    sample = _validated(_with_synthetic(builder.sample(known), catalog), skipped)
    args.out.mkdir(parents=True, exist_ok=True)
    _write_jsonl_gz(args.out / "catalog.jsonl.gz", catalog)
    _write_jsonl_gz(args.out / "sample_stream.jsonl.gz", sample)
    counts = {
        "catalog": len(catalog),
        "enriched": sum(1 for o in catalog if o["meta"]["enriched_from"]),
        "sample": len(sample),
        "sample_by_source": Counter(
            "observations" if "observations" in o else o["meta"]["source"] for o in sample
        ),
        "skipped": skipped,
    }
    (args.out / "SOURCES.md").write_text(_sources_md(args.raw, builder, counts))
    print(f"catalog {len(catalog)}, sample {len(sample)}, skipped {sum(skipped.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
