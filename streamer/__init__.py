"""The asyncio streaming service around :mod:`core`: Kafka in, scored results out."""
