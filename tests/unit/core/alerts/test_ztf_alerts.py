"""ZTF alerts -> neo.obs.v1 observations: the five real Fink-redistributed ZTF 3.2 alerts of
tests/fixtures/alerts (SOURCE.txt), and edited copies of them where a case needs other values
(each test says what it changed)."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import fastavro
import pytest

from core.alerts.files import read_alert_file
from core.alerts.message import container_kind, decode_ztf_message, sniff
from core.alerts.route import StateInput, decode_state_input, to_state
from core.alerts.ztf import Unassociated, ztf_designation, ztf_tracklet
from core.contract.observations import iso_to_jd
from core.errors import RecordError

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "alerts"
ZTF_FILES = sorted(FIXTURES.glob("fink_ztf_*.avro"))
NOW_JD = 2_461_000.5  # 2025-11: "now" for the future-time check, fixed for the test


def _read(path: Path) -> tuple[Any, dict[str, Any]]:
    reader = fastavro.reader(io.BytesIO(path.read_bytes()))
    alerts = list(reader)
    assert len(alerts) == 1
    return reader.writer_schema, alerts[0]  # type: ignore[return-value]


def _container(schema: Any, alerts: list[dict[str, Any]], **kw: Any) -> bytes:
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(schema), alerts, **kw)
    return buf.getvalue()


def test_every_real_file_is_read_and_sniffed_as_ztf() -> None:
    assert len(ZTF_FILES) == 5
    names = []
    for path in ZTF_FILES:
        data = path.read_bytes()
        assert sniff(data) == "container" and container_kind(data) == "ztf"
        assert to_state(data, "auto") and to_state(data, "ztf") and not to_state(data, "neo")
        message = decode_state_input(data, StateInput("auto"))
        assert not isinstance(message, Unassociated)
        assert [o.stn for o in message.observations] == ["I41"]
        names.append(message.object_id)
    assert names == ["45538", "183318", "29153", "95496", "86371"]


# three real alerts, field by field: values read from the files with fastavro (ra, dec,
# magpsf, fid 1 = g); the time is jd (start of exposure, UTC) + exptime/2 = 15 s
@pytest.mark.parametrize(
    ("name", "object_id", "ra", "dec", "mag"),
    [
        ("fink_ztf_v3.2_697252845015015011.avro", "45538", 14.4903669, -7.7117373, 19.4962),
        ("fink_ztf_v3.2_697252845015015014.avro", "29153", 14.5716846, -7.5840065, 17.9702),
        ("fink_ztf_v3.2_697252845115015002.avro", "95496", 15.6435476, -7.0650675, 19.5539),
    ],
)
def test_three_real_alerts_field_by_field(
    name: str, object_id: str, ra: float, dec: float, mag: float
) -> None:
    _, alert = _read(FIXTURES / name)
    assert alert["candidate"]["jd"] == 2458451.7528472 and alert["candidate"]["exptime"] == 30.0
    tracklet = ztf_tracklet(alert, now_jd=NOW_JD)
    assert not isinstance(tracklet, Unassociated)
    (row,) = tracklet["observations"]
    assert row == {
        "permID": object_id, "obsTime": "2018-11-29T06:04:20.998Z", "ra": ra, "dec": dec,
        "stn": "I41", "mode": "CCD", "mag": mag, "band": "g",
    }  # fmt: skip
    assert iso_to_jd(row["obsTime"]) == pytest.approx(2458451.7528472 + 15 / 86400, abs=1e-8)
    message = decode_ztf_message((FIXTURES / name).read_bytes(), now_jd=NOW_JD)
    assert not isinstance(message, Unassociated)
    (obs,) = message.observations
    assert message.object_id == object_id
    assert (obs.ra, obs.dec, obs.mag, obs.band, obs.stn) == (ra, dec, mag, "g", "I41")
    assert obs.time_jd_utc == pytest.approx(2458451.7528472 + 15 / 86400, abs=1e-8)


def test_prv_candidates_that_are_detections_of_the_object_join() -> None:
    # edited copy: two prv_candidates made detections (candid set), one of the same asteroid
    # (fid 2, r band) and one of another; the upper limits (candid null) stay out
    _, alert = _read(ZTF_FILES[0])
    alert = copy.deepcopy(alert)
    same, other = alert["prv_candidates"][0], alert["prv_candidates"][1]
    same.update(candid=1, ra=14.40, dec=-7.70, magpsf=19.1, fid=2, ssnamenr="45538",
                ssdistnr=0.4, isdiffpos="t", jd=2458422.7657755)  # fmt: skip
    other.update(candid=2, ra=14.41, dec=-7.71, magpsf=19.2, fid=1, ssnamenr="1999VG102",
                 ssdistnr=0.3, isdiffpos="t")  # fmt: skip
    tracklet = ztf_tracklet(alert, now_jd=NOW_JD)
    assert not isinstance(tracklet, Unassociated)
    rows = tracklet["observations"]
    assert [r["band"] for r in rows] == ["r", "g"]  # time order
    assert rows[0]["ra"] == 14.40 and rows[0]["mag"] == 19.1
    assert rows[0]["obsTime"].startswith("2018-10-31T")  # 2458422.7657755 + 15 s (exptime absent)


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("(97125)1999VG102", "permID", "97125"),
        ("1999VG102", "provID", "1999 VG102"),
        ("2010QX3", "provID", "2010 QX3"),
        ("K10Q03X", "provID", "2010 QX3"),
        ("6344P-L", "provID", "6344 P-L"),
        ("00433", "permID", "433"),
    ],
)
def test_designations_as_ztf_writes_them(name: str, field: str, value: str) -> None:
    _, alert = _read(ZTF_FILES[0])
    alert["candidate"]["ssnamenr"] = name  # edited copy
    tracklet = ztf_tracklet(alert, now_jd=NOW_JD)
    assert not isinstance(tracklet, Unassociated)
    assert tracklet["observations"][0][field] == value
    assert ztf_designation(name) == value


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"ssnamenr": "null", "ssdistnr": -999.0}, "no_association"),
        ({"ssnamenr": None, "ssdistnr": None}, "no_association"),
        ({"ssdistnr": 12.0}, "beyond_ssdistnr"),
        ({"isdiffpos": "f"}, "negative_difference"),
    ],
)
def test_alerts_without_an_association_are_counted_not_errors(
    change: dict[str, Any], reason: str
) -> None:
    schema, alert = _read(ZTF_FILES[0])
    alert["candidate"].update(change)  # edited copy
    assert ztf_tracklet(alert, now_jd=NOW_JD) == Unassociated(reason)
    assert decode_state_input(_container(schema, [alert]), StateInput("ztf")) == Unassociated(
        reason
    )


def test_the_association_limit_is_the_callers() -> None:
    _, alert = _read(ZTF_FILES[0])
    alert["candidate"]["ssdistnr"] = 12.0  # edited copy
    assert not isinstance(ztf_tracklet(alert, max_ssdistnr_arcsec=15.0, now_jd=NOW_JD),
                          Unassociated)  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field", "match"),
    [
        ({"ssdistnr": -999.0}, "candidate.ssdistnr", "negative"),
        ({"ssdistnr": -0.5}, "candidate.ssdistnr", "negative"),
        ({"ssnamenr": "not an asteroid"}, "candidate.ssnamenr", "unreadable designation"),
        ({"jd": 2447000.5}, "candidate.jd", "before 1990"),
        ({"jd": NOW_JD + 30}, "candidate.jd", "in the future"),
        ({"ra": None}, "candidate.ra", "finite"),
    ],
)
def test_bad_values_are_errors_naming_the_field(
    change: dict[str, Any], field: str, match: str
) -> None:
    _, alert = _read(ZTF_FILES[0])
    alert["candidate"].update(change)  # edited copy
    with pytest.raises(RecordError, match=match) as info:
        ztf_tracklet(alert, now_jd=NOW_JD)
    assert info.value.field == field


def test_a_broken_block_loses_only_its_alert(tmp_path: Path) -> None:
    # a file of the five real alerts, one per block; the third block's bytes are damaged
    read = [_read(p) for p in ZTF_FILES]
    data = bytearray(_container(read[0][0], [a for _, a in read], sync_interval=1))
    third = data.find(b"candid697252845015015014")  # a cutout file name inside block 3
    assert third > 0
    data[third - 2000 : third - 1000] = b"\xff" * 1000
    path = tmp_path / "five.avro"
    path.write_bytes(bytes(data))
    alerts = list(read_alert_file(path))
    errors = [a for a in alerts if a.error is not None]
    good = [a for a in alerts if a.obj is not None]
    assert len(errors) == 1 and errors[0].error is not None
    assert errors[0].error[0].startswith("block[")
    assert [a.key for a in good] == [b"45538", b"183318", b"95496", b"86371"]


def test_several_objects_in_one_message_are_refused_whole() -> None:
    read = [_read(p) for p in ZTF_FILES[:2]]
    data = _container(read[0][0], [a for _, a in read])
    with pytest.raises(RecordError, match="one object"):
        decode_ztf_message(data, now_jd=NOW_JD)


def test_the_cheap_candidate_read_never_hides_an_association() -> None:
    # a container of two alerts (edited copies), the first naming no asteroid: the candidate
    # alone is read only for a container of one alert, so the second one's is still found
    schema, alert = _read(ZTF_FILES[0])
    none = copy.deepcopy(alert)
    none["candidate"].update(ssnamenr="null", ssdistnr=-999.0)
    message = decode_ztf_message(_container(schema, [none, alert]), now_jd=NOW_JD)
    assert not isinstance(message, Unassociated) and message.object_id == "45538"
    assert decode_ztf_message(_container(schema, [none]), now_jd=NOW_JD) == Unassociated(
        "no_association"
    )
