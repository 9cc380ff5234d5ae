"""The partition of a keyed output: Kafka's default (murmur2) partitioner, in native code.

aiokafka's :class:`~aiokafka.partitioner.DefaultPartitioner` hashes every key with a murmur2
written in Python, a visible share of the daemon's event loop under load. This
is the same function (the Java client's ``Utils.murmur2`` with its seed, the sign bit
cleared, modulo the partition count), computed by the ``murmurhash2`` package's native
MurmurHash2, several times cheaper a key (docs/performance.md, "Design measurements of the
daemon's hot path"). A key lands on the partition any other Kafka client picks for
it; a null key goes to a random available partition, as in aiokafka.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from murmurhash2 import murmurhash2

__all__ = ["KAFKA_MURMUR2_SEED", "KeyPartitioner", "kafka_murmur2"]

KAFKA_MURMUR2_SEED = 0x9747B28C
"""The seed of the Java client's ``Utils.murmur2``."""


def kafka_murmur2(key: bytes) -> int:
    """The Java client's ``Utils.murmur2(key)`` as an unsigned 32-bit integer."""
    return murmurhash2(key, KAFKA_MURMUR2_SEED)


class KeyPartitioner:
    """Callable as aiokafka's partitioners are: ``(key, all_partitions, available)``."""

    __slots__ = ()

    def __call__(
        self, key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]
    ) -> int:
        if key is None:
            return random.choice(available or all_partitions)
        index = (murmurhash2(key, KAFKA_MURMUR2_SEED) & 0x7FFFFFFF) % len(all_partitions)
        return all_partitions[index]
