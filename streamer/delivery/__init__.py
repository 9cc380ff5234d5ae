"""The delivery guarantees: the checkpoints (at-least-once, exactly-once) and the input offsets."""
