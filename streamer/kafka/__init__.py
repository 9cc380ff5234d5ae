"""Kafka I/O: the input consumer, the publishers, the key partitioner, topics and access errors."""
