"""Micro-measurements behind design choices of the daemon's hot path (figures in
docs/performance.md, "Design measurements of the daemon's hot path").

Each line printed is one JSON object: what was timed, in microseconds per item (the best of
``--repeat`` rounds of ``timeit``, so a busy machine inflates the figures less):

* ``input_item_struct_us`` / ``input_item_dataclass_us``: building an
  :class:`~streamer.pipeline.batch.InputItem` as the frozen msgspec struct it is, and as a frozen
  dataclass with the same fields.
* ``output_pickle_struct_us`` / ``output_pickle_namedtuple_us`` (and ``_unpickle_``): pickling a
  list of 1,000 :class:`~streamer.pipeline.batch.Output` structs, against named tuples.
* ``input_items_struct_us`` / ``input_items_tuple_us``: 1,000 input items sent to a scoring
  process and rebuilt there, as pickled structs or as the plain tuples
  :func:`streamer.pipeline.procpool.run_in_process` sends (conversions included).
* ``sha256_us`` / ``blake2b_us``: :func:`~streamer.pipeline.batch.message_key`'s hash of a
  sample record's bytes, and blake2b's.
* ``murmur2_python_us`` / ``murmur2_native_us``: aiokafka's murmur2 written in Python, and
  :func:`streamer.kafka.partitioner.kafka_murmur2`, on a designation key.
* ``meta_json_ok_us`` / ``meta_path_walk_us``: :func:`core.contract._checks.json_ok` on a
  sample record's ``meta``, and the walk that builds every member's path
  (``_first_problem``, run only when ``json_ok`` refuses).

Usage::

    .venv/bin/python -m bench.bench_streamer_micro [--repeat 7]
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import hashlib
import json
import pickle
from typing import NamedTuple

import orjson

from bench.bench_contract_micro import best_us


class _OutputTuple(NamedTuple):
    kind: str
    key: bytes | None
    value: bytes | None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    r = args.repeat

    from aiokafka.partitioner import murmur2

    from bench.harness import SAMPLE
    from core.contract._checks import _first_problem, json_ok
    from streamer.kafka.partitioner import kafka_murmur2
    from streamer.pipeline.batch import InputItem, Output

    # the same fields as a frozen dataclass (``epoch`` keeps its default)
    item_dataclass = dataclasses.make_dataclass(
        "ItemDataclass",
        [*InputItem.__struct_fields__[:-1], ("epoch", int, dataclasses.field(default=0))],
        frozen=True,
    )
    with gzip.open(SAMPLE, "rb") as fh:
        line = next(ln for ln in fh if ln.strip()).rstrip(b"\n")
    record = orjson.loads(line)
    fields = ("in", 3, 12345, b"2020 CD3", line, 1_700_000_000_000)
    print(
        json.dumps(
            {
                "input_item_struct_us": best_us(lambda: InputItem(*fields), 100_000, r),
                "input_item_dataclass_us": best_us(lambda: item_dataclass(*fields), 100_000, r),
            }
        )
    )

    n = 1000
    structs = [Output("result", b"2020 CD3", line) for _ in range(n)]
    tuples = [_OutputTuple("result", b"2020 CD3", line) for _ in range(n)]
    s_bytes, t_bytes = pickle.dumps(structs, 5), pickle.dumps(tuples, 5)
    print(
        json.dumps(
            {
                "output_pickle_struct_us": best_us(lambda: pickle.dumps(structs, 5), 20, r) / n,
                "output_pickle_namedtuple_us": best_us(lambda: pickle.dumps(tuples, 5), 20, r) / n,
                "output_unpickle_struct_us": best_us(lambda: pickle.loads(s_bytes), 20, r) / n,
                "output_unpickle_namedtuple_us": best_us(lambda: pickle.loads(t_bytes), 20, r) / n,
            }
        )
    )

    items = [InputItem("in", 3, k, b"2020 CD3", line, 1_700_000_000_000) for k in range(n)]

    def as_structs() -> object:
        return pickle.loads(pickle.dumps(items, 5))

    def as_tuples() -> object:
        rows = [(i.topic, i.partition, i.offset, i.key, i.value, i.timestamp_ms) for i in items]
        return [InputItem(*row) for row in pickle.loads(pickle.dumps(rows, 5))]

    print(
        json.dumps(
            {
                "input_items_struct_us": best_us(as_structs, 20, r) / n,
                "input_items_tuple_us": best_us(as_tuples, 20, r) / n,
            }
        )
    )

    key = b"2020 CD3"
    print(
        json.dumps(
            {
                "sha256_us": best_us(lambda: hashlib.sha256(line).hexdigest(), 20_000, r),
                "blake2b_us": best_us(lambda: hashlib.blake2b(line).hexdigest(), 20_000, r),
                "murmur2_python_us": best_us(lambda: murmur2(key), 20_000, r),
                "murmur2_native_us": best_us(lambda: kafka_murmur2(key), 20_000, r),
            }
        )
    )

    meta = record["meta"]  # the first sample record, of the median size
    print(
        json.dumps(
            {
                "record_bytes": len(line),
                "meta_json_ok_us": best_us(lambda: json_ok(meta, 1), 20_000, r),
                "meta_path_walk_us": best_us(lambda: _first_problem(meta, "meta", 1), 20_000, r),
            }
        )
    )


if __name__ == "__main__":
    main()
