"""producer_kwargs: the [kafka] producer keys reach aiokafka's producer."""

from __future__ import annotations

import pytest
from aiokafka import codec

from streamer.config import load_config
from streamer.kafka.sinks import producer_kwargs


@pytest.mark.parametrize(
    ("compression", "expected"), [("lz4", "lz4"), ("zstd", "zstd"), ("none", None)]
)
def test_compression_and_batch_size_reach_the_producer(
    compression: str, expected: str | None
) -> None:
    cfg = load_config(
        None,
        env={},
        overrides={"kafka.compression_type": compression, "kafka.max_batch_size": 65536},
    )
    kwargs = producer_kwargs(cfg, None)
    assert kwargs["compression_type"] == expected
    assert kwargs["max_batch_size"] == 65536
    assert kwargs["acks"] == "all" and kwargs["enable_idempotence"] is True
    # the codec's library is installed (the aiokafka extras in pyproject.toml)
    assert expected is None or {"lz4": codec.has_lz4, "zstd": codec.has_zstd}[expected]()


def test_shipped_producer_defaults() -> None:
    kwargs = producer_kwargs(load_config(None, env={}), "tx-1")
    assert (kwargs["compression_type"], kwargs["max_batch_size"]) == ("zstd", 262_144)
    assert kwargs["transactional_id"] == "tx-1"
