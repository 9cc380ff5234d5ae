"""Imported once by the scoring processes' fork server (``[processing] executor = "process"``).

The fork server imports the scoring stack here, once: the inference engine and everything
loading a model imports (skops and the detector modules pull in a few hundred scikit-learn
and scipy modules, ~130 MiB resident). Scoring does not import torch (the autoencoder is
scored in numpy); only a model saved in the old torch format makes a scoring process import
it, on its own. Every scoring process is forked from the fork server and shares those pages
copy-on-write instead of holding its own copy. The heap is frozen last (``gc.freeze``) so
that the children's garbage collections never write to these objects (a write would copy the
page into the child). It also makes the fork server die with the daemon
(:func:`streamer.pipeline.procpool.die_with_parent`; each scoring process does the same against it).
"""

from __future__ import annotations

import gc

import core._skops
import core.calibration
import core.detectors.autoencoder
import core.detectors.iforest
import core.detectors.ocsvm
import core.preprocessing
import core.serving.inference
import core.serving.registry
import streamer.pipeline.procpool

core._skops.skops_io()  # for its side effect: the shared pages (torch left out)
streamer.pipeline.procpool.die_with_parent()
gc.collect()
gc.freeze()
