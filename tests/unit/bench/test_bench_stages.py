"""The py-spy profile of the running daemon: how a raw stack is charged and counted."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # bench/ is a folder of scripts, not an installed package
    sys.path.insert(0, str(ROOT))

from bench.bench_stages import _charge, _shares  # noqa: E402

# py-spy --format raw: one "frame;frame;...;frame count" line per distinct stack, outermost
# frame first, each frame "function (path:line)"
RAW = """\
<module> (neo-streamer:8);main (streamer/cli.py:40);decode_record (core/records.py:217) 5
<module> (neo-streamer:8);process_batch (streamer/pipeline/batch.py:204);Linear.forward (torch/nn/modules/linear.py:134) 3
_bootstrap (threading.py:1002);zstd_encode (aiokafka/codec.py:197) 2
garbage without a count
"""  # noqa: E501


def test_self_charges_the_innermost_frame_and_ours_the_innermost_of_ours() -> None:
    stack = [
        "<module> (neo-streamer:8)",
        "process_batch (streamer/pipeline/batch.py:204)",
        "Linear.forward (torch/nn/modules/linear.py:134)",
    ]
    assert _charge(stack, ours=False) == "modules/linear.py:Linear.forward"
    assert _charge(stack, ours=True) == "streamer/pipeline/batch.py:process_batch"
    library_only = ["_bootstrap (threading.py:1002)", "zstd_encode (aiokafka/codec.py:197)"]
    assert _charge(library_only, ours=True) == "aiokafka/codec.py:zstd_encode"
    assert _charge([], ours=True) == "?"


def test_shares_add_up_the_counts_and_skip_lines_without_one() -> None:
    assert _shares(RAW, ours=False) == {
        "core/records.py:decode_record": 5,
        "modules/linear.py:Linear.forward": 3,
        "aiokafka/codec.py:zstd_encode": 2,
    }
    assert _shares(RAW, ours=True) == {
        "core/records.py:decode_record": 5,
        "streamer/pipeline/batch.py:process_batch": 3,
        "aiokafka/codec.py:zstd_encode": 2,
    }
