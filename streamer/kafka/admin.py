"""Topic creation: make the daemon's four topics exist (and, with ``[state] enabled``, the state
changelog), or fail with a clear :class:`TopicError`."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError

from streamer.config import AppConfig, aiokafka_security_kwargs, changelog_topic
from streamer.errors import TopicError
from streamer.kafka.access import refusal
from streamer.ops.logging import get_logger

__all__ = ["create_topics", "ensure_topics"]

log = get_logger(__name__)

_TOPIC_ALREADY_EXISTS = 36


async def ensure_topics(cfg: AppConfig, only: Sequence[str] = ()) -> list[str]:
    """Create the missing ones of the input, results, alerts and dead-letter topics (or of
    ``only`` these, when given).

    Returns the names created. With ``topics.create_missing = false`` a missing topic is a
    :class:`TopicError`; so is a broker refusing to create one (its error code is reported).
    A topic this client may not describe (no ACL) is an :class:`AccessDeniedError`, not a
    missing topic: a broker with ACLs leaves such topics out of the topic list.
    Connection failures propagate as aiokafka errors (the caller retries them).
    """
    t = cfg.topics
    wanted = list(only) or [t.input, t.results, t.alerts, t.dead_letter]
    if cfg.state.enabled and not only:
        wanted.append(changelog_topic(cfg))
    if cfg.known.enabled and cfg.known.routing == "topic" and not only:
        wanted.append(cfg.known.topic)  # known objects' results ([known] routing)
    admin = _admin(cfg)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if not missing:
            return []
        await _check_described(admin, cfg, missing)
        if not t.create_missing:
            raise TopicError(
                f"topics missing and topics.create_missing is false: {', '.join(missing)}"
            )
        return await _create(admin, cfg, missing, existing)
    except KafkaError as exc:
        raise TopicError(f"cannot list or create topics: {exc!r}") from exc
    finally:
        await admin.close()


async def create_topics(cfg: AppConfig, names: list[str]) -> list[str]:
    """Create those of ``names`` that do not exist, with ``topics.partitions`` and
    ``topics.replication_factor``; returns the names created (``produce --create-topic``).

    Raises
    ------
    TopicError
        When the broker refuses (its error code is reported) or cannot be asked.
    """
    admin = _admin(cfg)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        return await _create(admin, cfg, [n for n in names if n not in existing])
    except KafkaError as exc:
        raise TopicError(f"cannot list or create topics: {exc!r}") from exc
    finally:
        await admin.close()


def _admin(cfg: AppConfig) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(
        bootstrap_servers=cfg.kafka.bootstrap_servers,
        client_id=f"{cfg.kafka.client_id}-admin",
        request_timeout_ms=cfg.kafka.request_timeout_ms,
        **aiokafka_security_kwargs(cfg.kafka),
    )


async def _create(
    admin: AIOKafkaAdminClient,
    cfg: AppConfig,
    missing: list[str],
    existing: set[str] | frozenset[str] = frozenset(),
) -> list[str]:
    if not missing:
        return []
    t = cfg.topics
    new = [NewTopic(name, t.partitions, t.replication_factor) for name in missing]
    changelog = changelog_topic(cfg)
    if cfg.state.enabled and changelog in missing:
        # one changelog partition per input partition (state of input partition p is restored
        # from changelog partition p), compacted: the last state of each object
        parts = t.partitions
        if t.input in existing:
            (info,) = await admin.describe_topics([t.input])
            parts = len(info["partitions"])
        new[missing.index(changelog)] = NewTopic(
            changelog, parts, t.replication_factor, topic_configs={"cleanup.policy": "compact"}
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


async def _check_described(admin: AIOKafkaAdminClient, cfg: AppConfig, names: list[str]) -> None:
    """Raise :class:`AccessDeniedError` when the broker refuses to describe one of ``names``
    (error 29): the topic may exist, but no ACL lets this client see it."""
    for info in await admin.describe_topics(names):
        if info.get("error_code") == TopicAuthorizationFailedError.errno:
            denied = refusal(TopicAuthorizationFailedError(info.get("topic")), cfg.kafka)
            if denied is not None:  # always: a refusal names what was refused
                raise denied
