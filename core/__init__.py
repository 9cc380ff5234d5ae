"""Pure, synchronous NEO anomaly-detection core: records, features, detectors, inference.

Never imports asyncio, aiokafka or :mod:`streamer`.
"""
