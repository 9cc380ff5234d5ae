"""Pure, synchronous NEO anomaly-detection core: records, features, detectors, inference.

One folder per part: :mod:`core.contract` (the message contracts and their decoders),
:mod:`core.formats` and :mod:`core.lsst` (real files and Rubin alerts), :mod:`core.features`,
:mod:`core.orbits`, :mod:`core.detectors`, :mod:`core.training` and :mod:`core.serving`.
:mod:`core.preprocessing` and :mod:`core.calibration` stay here: a saved model's skops files
name their classes by these module paths.

Never imports asyncio, aiokafka or :mod:`streamer`.
"""
