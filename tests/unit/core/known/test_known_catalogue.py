"""Reading the known-object catalogue: TLE strictness, OMM encodings, the heliocentric table."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from core.known.catalogue import load_catalogue
from core.known.errors import CatalogueError
from core.known.heliocentric import BUNDLED_TABLE, read_heliocentric
from core.known.omm import read_omm
from core.known.tle import checksum, read_tle

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "known"
TLE = FIXTURES / "sgp4_ver_subset.tle"
VANGUARD = [
    "VANGUARD 1",
    "1 00005U 58002B   00179.78495062  .00000023  00000-0  28098-4 0  4753",
    "2 00005  34.2682 348.7242 1859667 331.7664  19.3264 10.82419157413667",
]


def _write(tmp_path: Path, name: str, lines: list[str]) -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_reads_names_numbers_designations_and_epochs() -> None:
    sets = read_tle(str(TLE))
    assert len(sets) == 11
    first = sets[0]
    assert (first.name, first.norad_id, first.cospar_id) == ("VANGUARD 1", 5, "1958-002B")
    # epoch 00179.78495062: 2000 June 27 18:50:19.7 UTC (JD 2451723.28495062)
    assert first.epoch_jd_utc == pytest.approx(2451723.28495062, abs=1e-8)
    assert first.source.endswith("sgp4_ver_subset.tle:2")


def test_checksum_of_a_published_line() -> None:
    assert checksum(VANGUARD[1]) == 3 and checksum(VANGUARD[2]) == 7


def test_a_wrong_checksum_names_file_and_line(tmp_path: Path) -> None:
    bad = VANGUARD[2][:68] + "8"
    path = _write(tmp_path, "bad.tle", [VANGUARD[0], VANGUARD[1], bad])
    with pytest.raises(CatalogueError, match=r"bad\.tle:3: TLE line 2: checksum 8 but .* 7"):
        read_tle(path)


def test_a_digit_changed_breaks_the_checksum(tmp_path: Path) -> None:
    changed = VANGUARD[2].replace("34.2682", "34.2683")
    path = _write(tmp_path, "changed.tle", [VANGUARD[1], changed])
    with pytest.raises(CatalogueError, match=r"changed\.tle:2: .*checksum"):
        read_tle(path)


def test_shifted_columns_and_short_lines_are_refused(tmp_path: Path) -> None:
    line = VANGUARD[1]
    shifted = line[:18] + " " + line[18:32] + line[33:]  # the epoch one column to the right
    with pytest.raises(CatalogueError, match=r":1: TLE line 1: column 33 must be blank"):
        read_tle(_write(tmp_path, "shift.tle", [shifted[:69], VANGUARD[2]]))
    with pytest.raises(CatalogueError, match=r":2: TLE line 2 has 60 columns, not 69"):
        read_tle(_write(tmp_path, "short.tle", [VANGUARD[1], VANGUARD[2][:60]]))


def test_a_half_written_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "half.tle", VANGUARD[:2])
    with pytest.raises(CatalogueError, match=r"half\.tle:2: TLE line 1 without its line 2"):
        read_tle(path)


def test_mismatched_catalogue_numbers(tmp_path: Path) -> None:
    other = "2 00006  34.2682 348.7242 1859667 331.7664  19.3264 10.82419157413667"
    other = other[:68] + str(checksum(other))
    with pytest.raises(CatalogueError, match=r":2: catalogue numbers differ"):
        read_tle(_write(tmp_path, "mix.tle", [VANGUARD[1], other]))


def test_an_element_set_sgp4_refuses_at_start(tmp_path: Path) -> None:
    # eccentricity 0.9999999 with this mean motion: perigee inside the Earth, SGP4 says decayed
    line2 = "2 00005  34.2682 348.7242 9999999 331.7664  19.3264 10.82419157413667"
    line2 = line2[:68] + str(checksum(line2))
    with pytest.raises(CatalogueError, match=r"decay\.tle:1: SGP4 cannot start"):
        read_tle(_write(tmp_path, "decay.tle", [VANGUARD[1], line2]))


def _omm_fields() -> dict[str, str]:
    return {
        "OBJECT_NAME": "VANGUARD 1",
        "OBJECT_ID": "1958-002B",
        "EPOCH": "2000-06-27T18:50:19.733568",
        "MEAN_MOTION": "10.82419157",
        "ECCENTRICITY": ".1859667",
        "INCLINATION": "34.2682",
        "RA_OF_ASC_NODE": "348.7242",
        "ARG_OF_PERICENTER": "331.7664",
        "MEAN_ANOMALY": "19.3264",
        "EPHEMERIS_TYPE": "0",
        "CLASSIFICATION_TYPE": "U",
        "NORAD_CAT_ID": "5",
        "ELEMENT_SET_NO": "475",
        "REV_AT_EPOCH": "41366",
        "BSTAR": ".28098E-4",
        "MEAN_MOTION_DOT": ".23E-6",
        "MEAN_MOTION_DDOT": "0",
    }


def _same_orbit_as_tle(sets: list) -> None:  # type: ignore[type-arg]
    (omm_set,) = sets
    (tle_set,) = read_tle(str(TLE))[:1]
    assert omm_set.norad_id == 5 and omm_set.cospar_id == "1958-002B"
    assert omm_set.epoch_jd_utc == pytest.approx(tle_set.epoch_jd_utc, abs=1e-8)
    e1, r1, _ = omm_set.satrec.sgp4(2451724.0, 0.5)
    e2, r2, _ = tle_set.satrec.sgp4(2451724.0, 0.5)
    assert e1 == e2 == 0
    assert max(abs(a - b) for a, b in zip(r1, r2, strict=True)) < 1e-3  # km


def test_omm_json_csv_and_xml_give_the_tles_orbit(tmp_path: Path) -> None:
    fields = _omm_fields()
    json_path = tmp_path / "gp.json"
    json_path.write_text(json.dumps([fields]))
    _same_orbit_as_tle(read_omm(str(json_path), "json"))
    csv_path = tmp_path / "gp.csv"
    with open(csv_path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(fields))
        writer.writeheader()
        writer.writerow(fields)
    _same_orbit_as_tle(read_omm(str(csv_path), "csv"))
    meta = ("OBJECT_NAME", "OBJECT_ID")
    mean = ("EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
            "ARG_OF_PERICENTER", "MEAN_ANOMALY")  # fmt: skip

    def block(keys: tuple[str, ...]) -> str:
        return "".join(f"<{k}>{fields[k]}</{k}>" for k in keys)

    rest = tuple(k for k in fields if k not in meta + mean)
    xml = (
        '<?xml version="1.0"?><ndm><omm><body><segment>'
        f"<metadata>{block(meta)}</metadata><data><meanElements>{block(mean)}</meanElements>"
        f"<tleParameters>{block(rest)}</tleParameters></data></segment></body></omm></ndm>"
    )
    xml_path = tmp_path / "gp.xml"
    xml_path.write_text(xml)
    _same_orbit_as_tle(read_omm(str(xml_path), "xml"))


def test_omm_errors_name_the_file(tmp_path: Path) -> None:
    fields = _omm_fields()
    del fields["BSTAR"]
    path = tmp_path / "missing.json"
    path.write_text(json.dumps([fields]))
    with pytest.raises(CatalogueError, match=r"missing\.json: record 1: OMM record without BSTAR"):
        read_omm(str(path), "json")
    half = tmp_path / "half.json"
    half.write_text(json.dumps([_omm_fields()])[:-40])
    with pytest.raises(CatalogueError, match=r"half\.json:1: not JSON"):
        read_omm(str(half), "json")
    half_xml = tmp_path / "half.xml"
    half_xml.write_text('<?xml version="1.0"?>\n<ndm><omm><body><segment>\n<metadata>')
    with pytest.raises(CatalogueError, match=r"half\.xml:3: not well-formed XML"):
        read_omm(str(half_xml), "xml")


def test_a_vanished_file_and_an_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"gone\.tle: cannot read"):
        load_catalogue([str(tmp_path / "gone.tle")])
    with pytest.raises(CatalogueError, match=r"unknown catalogue file type '\.bin'"):
        load_catalogue([str(_write(tmp_path, "x.bin", ["x"]))])


def test_the_bundled_table_and_a_users_table(tmp_path: Path) -> None:
    bundled = read_heliocentric(str(BUNDLED_TABLE))
    assert [(o.designation, o.status) for o in bundled] == [("1991 VG", "suspected_artificial")]
    state_line = json.dumps(
        {"name": "test stage", "norad_id": 99999, "cospar_id": "2099-001B",
         "state": {"epoch_jd_tdb": 2460000.5, "r_au": [0.98, 0.2, 0.0],
                   "v_au_d": [-0.003, 0.017, 0.0001]}}
    )  # fmt: skip
    path = _write(tmp_path, "mine.jsonl", ["# my objects", state_line, '{"name": "x"}'])
    with pytest.raises(CatalogueError, match=r"mine\.jsonl:3: an object needs an 'orbit' or a"):
        read_heliocentric(path)
    path = _write(tmp_path, "mine.jsonl", [state_line])
    cat = load_catalogue([path])
    assert [o.name for o in cat.heliocentric] == ["1991 VG", "test stage"]
    assert cat.heliocentric[1].norad_id == 99999 and cat.size == 2
