"""``neo-streamer produce`` without a broker: what it would send, and its argument checks."""

from __future__ import annotations

import argparse
import gzip
import itertools
from pathlib import Path

import orjson
import pytest

from core.formats import read_records
from streamer.cli import main
from streamer.commands import produce
from streamer.commands.produce import SAMPLE_PATH, iter_messages

ROOT = Path(__file__).resolve().parents[3]
MIXED_OBS80 = ROOT / "tests" / "fixtures" / "mpc80" / "mixed_objects.txt"

_LINES = [
    b'{"designation":"2024 PT5","orbit":{"a_au":1.01,"e":0.02,"i_deg":1.5}}',
    b"{not json",
    b'["an", "array"]',
    b'{"orbit":{"a_au":1.2}}',
    b'{"designation":"","orbit":{}}',
    b'{"designation":"433","physical":{"H":10.4}}',
]


def _write_jsonl(path: Path, lines: list[bytes]) -> Path:
    # Blank lines and CRLF endings as a hand-edited file would have them.
    body = b"\r\n".join(lines[:3]) + b"\n\n   \n" + b"\n".join(lines[3:]) + b"\n"
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(body))
    else:
        path.write_bytes(body)
    return path


@pytest.mark.parametrize("name", ["in.jsonl", "in.jsonl.gz", "records.txt"])
def test_jsonl_lines_are_sent_byte_for_byte_keyed_by_designation(tmp_path: Path, name: str) -> None:
    path = _write_jsonl(tmp_path / name, _LINES)

    messages = list(iter_messages(path))

    assert messages == [
        (b"2024 PT5", _LINES[0]),
        (None, _LINES[1]),  # invalid JSON still goes out: the daemon dead-letters it
        (None, _LINES[2]),
        (None, _LINES[3]),
        (None, _LINES[4]),
        (b"433", _LINES[5]),
    ]


def test_observation_files_become_one_record_per_object() -> None:
    expected = list(read_records(MIXED_OBS80))

    messages = list(iter_messages(MIXED_OBS80))

    assert [key for key, _ in messages] == [b"99942", b"2010 JV181", b"2020 NB1", b"101955"]
    assert [orjson.loads(value) for _, value in messages] == expected


def test_explicit_format_overrides_detection(tmp_path: Path) -> None:
    path = tmp_path / "obs.dat"
    path.write_bytes(MIXED_OBS80.read_bytes())

    assert [k for k, _ in iter_messages(path, "obs80")][:1] == [b"99942"]


def test_the_bundled_sample_is_found_and_complete() -> None:
    messages = list(iter_messages(SAMPLE_PATH))

    assert len(messages) == 3155
    assert messages[0][0] == b"2020 QT7"
    assert all(key is not None for key, _ in messages)


def _args(path: Path, **kw: object) -> argparse.Namespace:
    base: dict[str, object] = {
        "input": str(path),
        "format": None,
        "limit": None,
        "repeat": 1,
        "skip_invalid": False,
    }
    base.update(kw)
    return argparse.Namespace(**base)


def test_repeat_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "three.jsonl"
    path.write_bytes(b'{"designation":"a"}\n{"designation":"b"}\n{"designation":"c"}\n')

    def keys(**kw: object) -> list[bytes | None]:
        return [k for k, _ in produce._messages(_args(path, **kw))]

    assert keys(repeat=3, limit=7) == [b"a", b"b", b"c", b"a", b"b", b"c", b"a"]
    assert keys(repeat=2) == [b"a", b"b", b"c"] * 2
    assert keys(limit=2) == [b"a", b"b"]


@pytest.mark.parametrize("flag", ["--rate", "--limit", "--repeat"])
@pytest.mark.parametrize("value", ["0", "-3"])
def test_counts_and_rates_must_be_positive(
    flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["produce", "--input", "sample", flag, value])

    assert exc.value.code == 2
    assert f"{flag}: must be > 0, got {value}" in capsys.readouterr().err


def test_missing_input_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.jsonl"

    code = main(["produce", "--input", str(missing), "--topic", "t"])

    assert code == 2
    assert f"no such input file: {missing}" in capsys.readouterr().err


def test_ades_xml_becomes_one_record_per_object() -> None:
    # issue 23 item 2: produce reads ADES XML like convert does
    messages = list(iter_messages(ROOT / "tests" / "fixtures" / "ades" / "ades_sample.xml"))
    assert [key for key, _ in messages] == [b"3666", b"2014 XX"]
    assert len(orjson.loads(messages[0][1])["observations"]["ades"]) == 2


def test_invalid_records_are_counted_and_skipped_on_request(tmp_path: Path) -> None:
    # issue 23 item 9: "produced 15 records" when 7 were invalid, without a word
    path = _write_jsonl(tmp_path / "in.jsonl", _LINES)
    invalid: list[str] = []
    sent = list(produce._messages(_args(path), invalid))
    assert len(sent) == 6  # sent as they are by default: the daemon dead-letters them
    assert invalid[0].startswith("record 2: $: invalid JSON: ")
    assert invalid[1:] == [
        "record 3: $: a record must be a JSON object, got array",
        "record 4: designation: required",
        "record 5: designation: must not be empty",
    ]
    skipped: list[str] = []
    kept = list(produce._messages(_args(path, skip_invalid=True, limit=2), skipped))
    assert [k for k, _ in kept] == [b"2024 PT5", b"433"]  # skipped ones do not count
    assert len(skipped) == 4


def test_the_summary_counts_invalid_records(capsys: pytest.CaptureFixture[str]) -> None:
    produce._report_invalid(
        [f"record {i}: designation: required" for i in range(30)], skipped=False
    )
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 21  # the first 20, then the count
    assert err[-1] == (
        "neo-streamer produce: sent 30 records that are not valid neo.v1 (the daemon "
        "dead-letters them; --skip-invalid leaves them out)"
    )
    produce._report_invalid(["record 1: designation: required"], skipped=True)
    assert capsys.readouterr().err.splitlines()[-1] == (
        "neo-streamer produce: skipped 1 record that is not valid neo.v1 (not sent)"
    )


MULTINIGHT = ROOT / "tests" / "data" / "neos_multinight_obs80.txt"


def test_per_observation_interleaves_objects_in_time_order_keyed_by_object() -> None:
    from core.contract.obs import decode_obs_message

    messages = list(produce.iter_observation_messages(MULTINIGHT))
    decoded = [decode_obs_message(value) for _, value in messages]
    assert all(key == d.object_id.encode() for (key, _), d in zip(messages, decoded, strict=True))
    times = [d.observations[0].time_jd_utc for d in decoded]
    assert times == sorted(times)
    # one message per optical line; the four objects present, and they interleave (Apophis
    # and Bennu were both observed in 2004-2006)
    optical = [line for line in MULTINIGHT.read_text().splitlines() if line[14] not in "sRr"]
    assert len(messages) == len(optical)
    keys = [key for key, _ in messages]
    assert len(set(keys)) == 4
    switches = sum(a != b for a, b in itertools.pairwise(keys))
    assert switches > len(set(keys))  # not one block per object


def test_per_observation_reads_ades_rows(tmp_path: Path) -> None:
    from core.contract.obs import decode_obs_message

    path = ROOT / "tests" / "fixtures" / "ades" / "example_head.psv"
    messages = list(produce.iter_observation_messages(path))
    records = list(read_records(path))
    assert len(messages) == sum(len(r["observations"]["ades"]) for r in records)
    assert {decode_obs_message(v).object_id for _, v in messages} == {
        r["designation"] for r in records
    }


def test_per_observation_refuses_a_catalog(tmp_path: Path) -> None:
    from core.errors import FormatError

    path = _write_jsonl(tmp_path / "in.jsonl", _LINES)
    with pytest.raises(FormatError, match="80-column or ADES"):
        list(produce.iter_observation_messages(path))
