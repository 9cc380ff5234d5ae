"""``neo-streamer produce``: feed NEO records into a Kafka topic.

Inputs: neo.v1 JSONL (plain or ``.gz``), any file :mod:`core.formats` reads (MPC 80-column
or ADES observations grouped into one record per object, NEA.txt, SBDB, CNEOS), Rubin alert
files (``--format lsst``: replayed in the wire format, keyed on the solar-system object; a
broker's Rubin alerts and ZTF alert files, ``--format ztf``, as Avro containers of one alert
each, as ZTF and the brokers send them), or
``sample`` for the bundled ``data/sample_stream.jsonl.gz``. JSONL lines are sent byte for
byte, valid or not, so the daemon's validation and dead-letter path see exactly what the
file holds. The key of each message is the record's designation (none when a line has no
readable designation). Each record is also validated here: the summary says how many are not
valid neo.v1 (on standard error, the first few with their field and reason), and
``--skip-invalid`` leaves them out instead of sending them. The producer is idempotent with
``acks=all``; a progress bar goes to standard error and a summary to standard output.

The topic must exist: the daemon creates its topics when it starts, ``--create-topic``
creates a missing one here (``topics.partitions``, ``topics.replication_factor``), and on the
project's local broker ``tools/kafka/kafka.sh topics --create --topic T`` does too.

``--per observation`` splits an 80-column or ADES file into one ``neo.obs.v1`` message per
observation (:mod:`core.contract.obsstream`), all objects merged in time order as a survey emits
them, each keyed by its object's id; ``--per object`` (the default) sends one neo.v1 record per
object as before.

Exit codes: 0 all records acknowledged; 1 a record was refused by the broker (too large,
...); 2 bad input file or configuration; 3 Kafka unreachable; 5 the topic does not exist
(or could not be created).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streamer.commands._jsonl import open_binary
from streamer.commands._kafka_options import add_kafka_options, load_cli_config, start_client
from streamer.commands._words import counted

if TYPE_CHECKING:
    from aiokafka import AIOKafkaProducer

    from streamer.config import AppConfig

__all__ = [
    "SAMPLE_PATH",
    "add_arguments",
    "iter_messages",
    "iter_observation_messages",
    "run",
]

SAMPLE_PATH = Path(__file__).resolve().parents[2] / "data" / "sample_stream.jsonl.gz"
"""The bundled sample stream that ``--input sample`` feeds."""

_FORMATS = ("jsonl", "obs80", "ades", "nea", "sbdb", "cad", "lsst", "ztf")
# Acknowledgements awaited in chunks: bounded memory, and still many requests in flight.
_MAX_IN_FLIGHT = 1000

Message = tuple[bytes | None, bytes]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``produce`` options to ``parser``."""
    parser.add_argument(
        "--input",
        required=True,
        metavar="PATH|sample",
        help="records to send: a file, or 'sample' for the bundled sample stream",
    )
    parser.add_argument(
        "--format",
        choices=_FORMATS,
        default=None,
        help="input format; detected when omitted (a file whose first line is a JSON "
        "object is jsonl)",
    )
    parser.add_argument(
        "--topic", default=None, help="target topic (default: topics.input of the configuration)"
    )
    parser.add_argument(
        "--create-topic",
        action="store_true",
        help="create the topic when it does not exist, with topics.partitions and "
        "topics.replication_factor (default: a missing topic is an error, exit 5)",
    )
    add_kafka_options(parser)
    parser.add_argument(
        "--per",
        choices=("object", "observation"),
        default="object",
        help="one message per object (a neo.v1 record, the default) or per observation "
        "(neo.obs.v1, objects interleaved in time order; 80-column or ADES input)",
    )
    parser.add_argument(
        "--rate", type=_positive(float), default=None, help="at most this many records/s"
    )
    parser.add_argument(
        "--limit", type=_positive(int), default=None, help="send at most this many records"
    )
    parser.add_argument(
        "--repeat", type=_positive(int), default=1, help="send the input this many times"
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar on standard error"
    )
    parser.add_argument(
        "--skip-invalid",
        action="store_true",
        help="do not send records that are not valid neo.v1 (default: send them, the daemon "
        "dead-letters them; either way they are counted)",
    )


def _positive(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its error message
    return parse


def _resolve_input(name: str) -> Path:
    return SAMPLE_PATH if name == "sample" else Path(name)


def _detect(path: Path) -> str:
    """``jsonl`` when the first non-blank line starts a JSON object, else core's detection."""
    with open_binary(path) as fh:
        for line in fh:
            if line.strip():
                if line.lstrip().startswith(b"{"):
                    return "jsonl"
                break
    from core.formats import detect_format

    return detect_format(path)


def _key_of(line: bytes) -> bytes | None:
    import orjson

    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    designation = obj.get("designation") if isinstance(obj, dict) else None
    return designation.encode() if isinstance(designation, str) and designation else None


def iter_messages(path: Path, fmt: str | None = None) -> Iterator[Message]:
    """Yield ``(key, value)`` messages for the records of ``path``.

    Parameters
    ----------
    path : Path
        Input file (``.gz`` is decompressed).
    fmt : str, optional
        ``jsonl`` or a :data:`core.formats.FORMATS` name; detected when None.

    Raises
    ------
    core.errors.FormatError
        When the format cannot be detected or the file does not parse.
    OSError
        When the file cannot be read.
    """
    name = fmt or _detect(path)
    if name in ("lsst", "ztf") and _is_container(path):
        yield from _alert_messages(path)
        return
    if name == "lsst":  # Rubin alerts are replayed as they travel: wire header + Avro
        from core.lsst.files import wire_messages

        yield from wire_messages(path)
        return
    if name == "jsonl":
        with open_binary(path) as fh:
            for line in fh:
                value = line.rstrip(b"\r\n")
                if value.strip():  # blank lines separate nothing and carry no record
                    yield _key_of(value), value
        return
    import orjson

    from core.formats import read_records

    for obj in read_records(path, name):
        designation = obj.get("designation")
        key = designation.encode() if isinstance(designation, str) and designation else None
        yield key, orjson.dumps(obj)


def _is_container(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"Obj\x01"


def _alert_messages(path: Path) -> Iterator[Message]:
    # every alert as it travels: a ZTF or broker alert as an Avro container of one alert (as
    # ZTF and Fink send them), a Rubin one of Rubin's own files in the wire format; keyed on
    # the object. A bad alert is sent all the same (the daemon dead-letters it with its
    # reason); a broken block has no bytes to send: it is named on standard error.
    from core.alerts.files import read_alert_file

    for alert in read_alert_file(path):
        if alert.value is None:
            where = f"alert {alert.index}" if alert.index >= 0 else "a block"
            field, reason = alert.error or ("$", "unreadable")
            print(f"neo-streamer produce: {where} left out: {field}: {reason}", file=sys.stderr)
            continue
        yield alert.key, alert.value


def _check_any(value: bytes) -> object:
    """The daemon's own decoding under ``[input] format = "auto"`` (a ZTF alert without an
    association is valid: the daemon counts and leaves it out)."""
    from core.alerts.route import StateInput, decode_state_input, to_state
    from core.serving.inputs import decoder_for

    if to_state(value, "auto"):
        return decode_state_input(value, StateInput("auto"))
    return decoder_for("auto")(value)


def iter_observation_messages(path: Path, fmt: str | None = None) -> Iterator[Message]:
    """Yield one ``neo.obs.v1`` message per observation of ``path``, in time order.

    Objects interleave as they would in a survey's stream (a stable sort on the observation
    time over the whole file); each message is keyed by its object's id (``permID``, else
    ``provID``, else ``trkSub``). A satellite's or roving observer's two-line record is one
    observation with its observer's position (``sys``/``ctr``/``pos1..3``); radar lines are
    skipped.

    Raises
    ------
    core.errors.FormatError
        When the file is not 80-column or ADES, or does not parse.
    """
    import orjson

    from core.contract.obs80_messages import obs80_records, obs80_to_message
    from core.contract.observations import iso_to_jd
    from core.errors import FormatError
    from core.formats import read_records

    name = fmt or _detect(path)
    timed: list[tuple[float, bytes, dict[str, Any]]] = []
    if name == "obs80":
        with open_binary(path) as fh:
            lines = (raw.decode("ascii", "replace") for raw in fh)
            for lineno, text in obs80_records(lines):
                try:
                    found = obs80_to_message(text)
                except FormatError as exc:
                    raise FormatError(str(exc), line=lineno) from None
                if found is not None:
                    object_id, time_jd, message = found
                    timed.append((time_jd, object_id.encode(), message))
    elif name == "ades":
        for record in read_records(path, name):
            object_id = record["designation"]
            id_field = "permID" if object_id.isdigit() else "provID"
            for row in record["observations"]["ades"]:
                timed.append(
                    (iso_to_jd(row["obsTime"]), object_id.encode(), {id_field: object_id, **row})
                )
    else:
        raise FormatError(f"--per observation reads 80-column or ADES files, not {name}")
    timed.sort(key=lambda t: t[0])
    for _, key, message in timed:
        yield key, orjson.dumps(message)


def _messages(args: argparse.Namespace, invalid: list[str] | None = None) -> Iterator[Message]:
    """The messages to send; each invalid one is described in ``invalid`` (and left out with
    ``--skip-invalid``, where it does not count towards ``--limit``)."""
    from core.contract import decode_obs_message
    from core.contract.records import decode_record
    from core.errors import RecordError

    path = _resolve_input(args.input)
    per_observation = getattr(args, "per", "object") == "observation"
    split = iter_observation_messages if per_observation else iter_messages
    check: Callable[[bytes], object] = decode_obs_message if per_observation else decode_record
    if not per_observation and (args.format or _detect(path)) in ("lsst", "ztf"):
        check = _check_any
    sent = 0
    for _ in range(args.repeat):
        for number, message in enumerate(split(path, args.format), start=1):
            if args.limit is not None and sent >= args.limit:
                return
            try:
                check(message[1])
            except RecordError as exc:
                if invalid is not None:
                    invalid.append(f"record {number}: {exc}")
                if args.skip_invalid:
                    continue
            sent += 1
            yield message


def run(args: argparse.Namespace) -> int:
    """Send the records of ``args.input`` to the topic; return the exit code."""
    cfg = load_cli_config(args)
    topic: str = args.topic or cfg.topics.input
    path = _resolve_input(args.input)
    if not path.is_file():
        print(f"neo-streamer produce: no such input file: {path}", file=sys.stderr)
        return 2
    return asyncio.run(_produce(args, cfg, topic))


async def _produce(args: argparse.Namespace, cfg: AppConfig, topic: str) -> int:
    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import KafkaError

    from core.errors import FormatError
    from streamer.config import aiokafka_security_kwargs

    producer = AIOKafkaProducer(
        bootstrap_servers=cfg.kafka.bootstrap_servers,
        client_id=f"{cfg.kafka.client_id}-produce",
        acks="all",
        enable_idempotence=True,
        linger_ms=cfg.kafka.linger_ms,
        request_timeout_ms=cfg.kafka.request_timeout_ms,
        **aiokafka_security_kwargs(cfg.kafka),
    )
    servers = cfg.kafka.bootstrap_servers
    if not await start_client(producer, "produce", servers):
        return 3
    try:
        metadata = await producer.client.fetch_all_metadata()
        if topic not in metadata.topics() and not await _create_topic(args, cfg, topic):
            return 5
        invalid: list[str] = []
        counts, seconds = await _send_all(producer, args, topic, invalid)
    except FormatError as exc:
        print(f"neo-streamer produce: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"neo-streamer produce: cannot read {args.input}: {exc}", file=sys.stderr)
        return 2
    except KafkaError as exc:
        print(f"neo-streamer produce: the broker refused a record: {exc!r}", file=sys.stderr)
        return 1
    finally:
        await producer.stop()
    total = sum(counts.values())
    spread = " ".join(f"{p}={n}" for p, n in sorted(counts.items()))
    rate = total / seconds if seconds > 0 else float("inf")
    print(
        f"produced {counted(total, 'record')} to {topic} on {servers} in {seconds:.1f} s "
        f"({rate:.0f} records/s); per partition: {spread or '-'}"
    )
    _report_invalid(invalid, skipped=args.skip_invalid)
    return 0


_SHOWN_INVALID = 20


def _report_invalid(invalid: list[str], *, skipped: bool) -> None:
    """The first invalid records and their count, on stderr (stdout keeps the one-line
    summary)."""
    if not invalid:
        return
    for line in invalid[:_SHOWN_INVALID]:
        print(f"neo-streamer produce: {line}", file=sys.stderr)
    n = len(invalid)
    records = f"{n} record that is" if n == 1 else f"{n} records that are"
    if skipped:
        message = f"skipped {records} not valid neo.v1 (not sent)"
    else:
        message = f"sent {records} not valid neo.v1 (the daemon dead-letters them; "
        message += "--skip-invalid leaves them out)"
    print(f"neo-streamer produce: {message}", file=sys.stderr)


async def _create_topic(args: argparse.Namespace, cfg: AppConfig, topic: str) -> bool:
    """Create the missing ``topic`` with ``--create-topic``; else say how, and return False."""
    from streamer.errors import TopicError
    from streamer.kafka.admin import create_topics

    servers = cfg.kafka.bootstrap_servers
    if not args.create_topic:
        print(
            f"neo-streamer produce: topic {topic!r} does not exist on {servers}. The daemon "
            "creates its topics when it starts; or give --create-topic; or, on the project's "
            f"local broker: tools/kafka/kafka.sh topics --create --topic {topic} "
            f"--partitions {cfg.topics.partitions}",
            file=sys.stderr,
        )
        return False
    try:
        await create_topics(cfg, [topic])
    except TopicError as exc:
        print(f"neo-streamer produce: {exc}", file=sys.stderr)
        return False
    print(
        f"neo-streamer produce: created topic {topic!r} with {cfg.topics.partitions} partitions",
        file=sys.stderr,
    )
    return True


async def _send_all(
    producer: AIOKafkaProducer, args: argparse.Namespace, topic: str, invalid: list[str]
) -> tuple[Counter[int], float]:
    """Send every message, paced by ``--rate``; returns acknowledged counts per partition."""
    counts: Counter[int] = Counter()
    pending: list[asyncio.Future[Any]] = []
    start = time.monotonic()
    with _progress_bar(args.limit, topic, hidden=args.no_progress) as bar:

        async def settle() -> None:
            # Await every pending ack before raising, so no failed future goes unretrieved.
            outcomes = await asyncio.gather(*pending, return_exceptions=True)
            pending.clear()
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
                counts[outcome.partition] += 1

        for sent, (key, value) in enumerate(_messages(args, invalid)):
            if args.rate is not None:
                # Pace against the start time, so short sleeps do not accumulate drift.
                delay = start + sent / args.rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            pending.append(await producer.send(topic, value=value, key=key))
            bar.update(1)
            if len(pending) >= _MAX_IN_FLIGHT:
                await settle()
        await settle()
    return counts, time.monotonic() - start


class _NoBar:
    """Stands in for a tqdm bar where tqdm is not installed."""

    def update(self, n: int = 1) -> None:
        """Count nothing."""


def _progress_bar(total: int | None, desc: str, *, hidden: bool) -> AbstractContextManager[Any]:
    """A tqdm bar on standard error; none where tqdm (the ``[train]`` extra) is not installed,
    as in the container image: the summary line says the same at the end."""
    try:
        from tqdm import tqdm
    except ModuleNotFoundError:
        return nullcontext(_NoBar())
    # tqdm's disable=None hides the bar when standard error is not a terminal.
    return tqdm(
        total=total, unit="rec", desc=desc, file=sys.stderr, disable=True if hidden else None
    )
