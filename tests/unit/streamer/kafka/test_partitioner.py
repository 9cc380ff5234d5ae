"""The native key partitioner picks the partition the Java client and aiokafka pick."""

from __future__ import annotations

from collections import Counter

import pytest
from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given, settings
from hypothesis import strategies as st

from streamer.kafka.partitioner import KeyPartitioner, kafka_murmur2

# (key, Utils.murmur2(key) as the Java int, partition of 6), printed by kafka-clients 4.4.0's
# org.apache.kafka.common.utils.Utils (murmur2, then toPositive(h) % 6)
JAVA_CLIENT = [
    ("21", -973932308, 0),
    ("foobar", -790332482, 0),
    ("a-little-bit-long-string", -985981536, 2),
    ("a-little-bit-longer-string", -1486304829, 5),
    ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971, 5),
    ("abc", 479470107, 3),
    ("", 275646681, 3),
    ("2024 AB12", 220467133, 1),
    ("433", 314563389, 3),
    ("(99942) Apophis", -215570138, 0),
]


@pytest.mark.parametrize(("key", "java_hash", "partition"), JAVA_CLIENT)
def test_matches_the_java_client(key: str, java_hash: int, partition: int) -> None:
    data = key.encode()
    assert kafka_murmur2(data) == java_hash % 2**32
    assert KeyPartitioner()(data, list(range(6)), list(range(6))) == partition


@settings(max_examples=2000, deadline=None)
@given(key=st.binary(max_size=64), n=st.integers(1, 64))
def test_matches_aiokafka_default_partitioner(key: bytes, n: int) -> None:
    parts = list(range(n))
    assert KeyPartitioner()(key, parts, parts) == DefaultPartitioner()(key, parts, parts)


def test_partitions_are_looked_up_not_numbered() -> None:
    # the index picks from the list given, as aiokafka's does (partition ids need not be 0..n-1)
    parts = [3, 7, 11]
    for key in (b"a", b"bb", b"ccc", b"dddd"):
        expected = DefaultPartitioner()(key, parts, parts)
        assert KeyPartitioner()(key, parts, parts) == expected
        assert expected in parts


def test_a_null_key_goes_to_an_available_partition() -> None:
    chosen = Counter(KeyPartitioner()(None, [0, 1, 2, 3], [1, 2]) for _ in range(400))
    assert set(chosen) == {1, 2}
    chosen = Counter(KeyPartitioner()(None, [0, 1, 2], []) for _ in range(400))
    assert set(chosen) == {0, 1, 2}  # none available: any of them, as aiokafka
