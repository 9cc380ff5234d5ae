"""ADES XML (issue 23 item 2): the real layup sample, the MPC's obsBlock form, and hostile XML."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from core.contract.records import record_from_obj
from core.errors import FormatError
from core.formats import detect_format, read_records


def test_real_ades_xml_is_detected_and_read(fixtures: Path) -> None:
    path = fixtures / "ades" / "ades_sample.xml"
    assert detect_format(path) == "ades"
    records = list(read_records(path))
    assert [r["designation"] for r in records] == ["3666", "2014 XX"]
    holman = records[0]["observations"]["ades"]
    # the file's values, as the PSV reader gives them for the same fields
    assert holman[0] == {"obsTime": "2000-01-01T00:00:00.000Z", "ra": 72.51275, "dec": 19.82031,
                         "stn": "024", "mag": 14.7, "band": "V", "rmsRA": 0.05,
                         "rmsDec": 0.06}  # fmt: skip
    assert [row["obsTime"] for row in holman] == [
        "2000-01-01T00:00:00.000Z",
        "2000-01-02T00:00:00.000Z",
    ]
    space_based = records[1]["observations"]["ades"]
    assert space_based == [{"obsTime": "2014-12-01T00:00:00.000Z", "ra": 123.45678,
                            "dec": -12.34567, "stn": "250", "mag": 21.3, "band": "r",
                            "rmsRA": 0.1, "rmsDec": 0.1}]  # fmt: skip
    for obj in records:
        record_from_obj(obj)


def test_the_same_observations_from_xml_and_psv_give_the_same_record(tmp_path: Path) -> None:
    psv = tmp_path / "obs.psv"
    psv.write_text(
        "# version=2022\n"
        "permID|mode|stn|obsTime|ra|dec|mag|band\n"
        "433|CCD|G96|2021-01-02T03:04:05.600Z|10.5|-3.25|12.1|G\n"
    )
    xml = tmp_path / "obs.xml"
    xml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ades version="2022" xmlns="urn:example:ades">\n'
        "  <obsBlock>\n"
        "    <obsContext><observatory><mpcCode>G96</mpcCode></observatory></obsContext>\n"
        "    <obsData>\n"
        "      <optical><permID>433</permID><mode>CCD</mode><stn>G96</stn>\n"
        "        <obsTime>2021-01-02T03:04:05.600Z</obsTime><ra>10.5</ra><dec>-3.25</dec>\n"
        "        <mag>12.1</mag><band>G</band></optical>\n"
        "      <radar><permID>433</permID></radar>\n"
        "    </obsData>\n"
        "  </obsBlock>\n"
        "</ades>\n"
    )
    assert detect_format(xml) == "ades"
    assert list(read_records(xml)) == list(read_records(psv))


def test_gzipped_xml(tmp_path: Path, fixtures: Path) -> None:
    packed = tmp_path / "obs.xml.gz"
    packed.write_bytes(gzip.compress((fixtures / "ades" / "ades_sample.xml").read_bytes()))
    assert detect_format(packed) == "ades"
    assert len(list(read_records(packed))) == 2


def test_a_missing_field_names_the_line_of_its_observation(tmp_path: Path) -> None:
    xml = tmp_path / "obs.xml"
    xml.write_text(
        "<ades version='2022'>\n"
        "<optical><provID>2020 AB</provID><stn>500</stn><obsTime>2020-01-01T00:00:00Z</obsTime>"
        "<ra>1</ra><dec>2</dec></optical>\n"
        "<optical><provID>2020 AB</provID><obsTime>2020-01-02T00:00:00Z</obsTime>"
        "<ra>1</ra><dec>2</dec></optical>\n"
        "</ades>\n"
    )
    with pytest.raises(FormatError, match="lacks stn") as info:
        list(read_records(xml, "ades"))
    assert info.value.line == 3


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE ades [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<ades version="2022"><optical><provID>&lol3;</provID><stn>500</stn>
<obsTime>2020-01-01T00:00:00Z</obsTime><ra>1</ra><dec>2</dec></optical></ades>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE ades [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<ades version="2022"><optical><provID>&secret;</provID><stn>500</stn>
<obsTime>2020-01-01T00:00:00Z</obsTime><ra>1</ra><dec>2</dec></optical></ades>
"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE ades SYSTEM "http://example.invalid/ades.dtd">
<ades version="2022"><optical><provID>2020 AB</provID><stn>500</stn>
<obsTime>2020-01-01T00:00:00Z</obsTime><ra>1</ra><dec>2</dec></optical></ades>
"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_entity_declarations_are_refused_not_expanded(tmp_path: Path, text: str) -> None:
    path = tmp_path / "hostile.xml"
    path.write_text(text)
    assert detect_format(path) == "ades"
    with pytest.raises(FormatError, match="XML refused") as info:
        list(read_records(path))
    assert info.value.line is not None and info.value.line <= 4
    assert "root:" not in str(info.value)  # /etc/passwd was never read


def test_an_external_dtd_is_not_fetched(tmp_path: Path) -> None:
    path = tmp_path / "dtd.xml"
    path.write_text(EXTERNAL_DTD)
    # the DTD is never loaded (no network, no file): the observations are read as they are
    (record,) = read_records(path)
    assert record["designation"] == "2020 AB"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<votable><row/></votable>\n", "without an ADES <ades> root"),
        ("<ades version='2022'><optical><stn>500</stn>\n", "not well-formed XML"),
        ("<ades version='2022'><radar/></ades>\n", "no <optical> observation"),
    ],
)
def test_xml_that_is_not_usable_ades(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.xml"
    path.write_text(text)
    with pytest.raises(FormatError, match=message):
        list(read_records(path))
