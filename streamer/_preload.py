"""Imported once by the scoring processes' fork server (``[processing] executor = "process"``).

Importing torch alone takes ~490 MiB of resident memory, most of it private to the process
that imports it. The fork server imports the scoring stack here, once: torch, the inference
engine, and everything loading a model imports (skops and the detector modules pull in a few
hundred scikit-learn modules). Every scoring process is forked from it and shares those pages
copy-on-write instead of holding its own copy. The heap is frozen last (``gc.freeze``) so
that the children's garbage collections never write to these objects (a write would copy the
page into the child). It also makes the fork server die with the daemon
(:func:`streamer.procpool.die_with_parent`; each scoring process does the same against it).
"""

from __future__ import annotations

import gc

import skops.io  # noqa: F401  (imported for their side effect: the shared pages)
import torch
import torch.utils.serialization  # noqa: F401

import core.calibration
import core.detectors.autoencoder
import core.detectors.iforest
import core.detectors.ocsvm
import core.inference
import core.preprocessing
import core.registry  # noqa: F401
import streamer.procpool

streamer.procpool.die_with_parent()
gc.collect()
gc.freeze()
