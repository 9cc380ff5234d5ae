"""Topic creation: make the daemon's four topics exist (and, with ``[state] enabled``, the state
changelog), or fail with a clear :class:`TopicError`."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from streamer.config import AppConfig, aiokafka_security_kwargs, changelog_topic
from streamer.errors import TopicError
from streamer.logging import get_logger

__all__ = ["ensure_topics"]

log = get_logger(__name__)

_TOPIC_ALREADY_EXISTS = 36


async def ensure_topics(cfg: AppConfig) -> list[str]:
    """Create the missing ones of the input, results, alerts and dead-letter topics.

    Returns the names created. With ``topics.create_missing = false`` a missing topic is a
    :class:`TopicError`; so is a broker refusing to create one (its error code is reported).
    Connection failures propagate as aiokafka errors (the caller retries them).
    """
    t = cfg.topics
    wanted = [t.input, t.results, t.alerts, t.dead_letter]
    if cfg.state.enabled:
        wanted.append(changelog_topic(cfg))
    admin = AIOKafkaAdminClient(
        bootstrap_servers=cfg.kafka.bootstrap_servers,
        client_id=f"{cfg.kafka.client_id}-admin",
        request_timeout_ms=cfg.kafka.request_timeout_ms,
        **aiokafka_security_kwargs(cfg.kafka),
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if not missing:
            return []
        if not t.create_missing:
            raise TopicError(
                f"topics missing and topics.create_missing is false: {', '.join(missing)}"
            )
        new = [NewTopic(name, t.partitions, t.replication_factor) for name in missing]
        changelog = changelog_topic(cfg)
        if changelog in missing:
            # one changelog partition per input partition (state of input partition p is
            # restored from changelog partition p), compacted: the last state of each object
            parts = t.partitions
            if t.input in existing:
                (info,) = await admin.describe_topics([t.input])
                parts = len(info["partitions"])
            new[missing.index(changelog)] = NewTopic(
                changelog,
                parts,
                t.replication_factor,
                topic_configs={"cleanup.policy": "compact"},
            )
        response = await admin.create_topics(new)
        created = []
        for item in response.topic_errors:
            name, code = item[0], item[1]
            message = item[2] if len(item) > 2 else None
            if code == 0:
                created.append(name)
            elif code != _TOPIC_ALREADY_EXISTS:  # another replica created it meanwhile
                raise TopicError(f"cannot create topic {name!r}: error {code} {message or ''}")
        log.info("topics created", topics=created, partitions=t.partitions)
        return created
    except KafkaError as exc:
        raise TopicError(f"cannot list or create topics: {exc!r}") from exc
    finally:
        await admin.close()
