"""One-time bucket setup on MinIO: object lock, the expiry lifecycle rule, the AMQP notification.

Expiry by tag
    A lifecycle rule (id ``expire-tagged``) deletes objects tagged ``retention=expired`` one day
    after they were written or tagged, whichever the server counts from (MinIO: creation date,
    checked daily). The retention sweeper tags an inspection's objects once its cycle plus
    ``retention.grace_days`` is over; objects still under object-lock retention or a legal hold
    are kept by the server whatever the rule says.

Manifest notifications (MinIO only)
    The bucket sends ``s3:ObjectCreated:*`` events for keys ending in ``manifest.json`` to the
    AMQP target ``arn:minio:sqs::PRIMARY:amqp``. MinIO must know that target before the
    notification can be set; configure it on the server, e.g. with environment variables::

        MINIO_NOTIFY_AMQP_ENABLE_PRIMARY=on
        MINIO_NOTIFY_AMQP_URL_PRIMARY=amqp://user:password@rabbitmq:5672/%2F
        MINIO_NOTIFY_AMQP_EXCHANGE_PRIMARY=evidence        # bus.namespace + "." when set
        MINIO_NOTIFY_AMQP_EXCHANGE_TYPE_PRIMARY=topic
        MINIO_NOTIFY_AMQP_ROUTING_KEY_PRIMARY=manifest.created
        MINIO_NOTIFY_AMQP_DURABLE_PRIMARY=on
        MINIO_NOTIFY_AMQP_DELIVERY_MODE_PRIMARY=2          # persistent messages
        MINIO_NOTIFY_AMQP_MANDATORY_PRIMARY=off
        MINIO_NOTIFY_AMQP_QUEUE_DIR_PRIMARY=/data/events   # survive a broker outage

    or ``mc admin config set ALIAS notify_amqp:PRIMARY url=... exchange=evidence
    exchange_type=topic routing_key=manifest.created durable=on delivery_mode=2`` and a restart.
    The exchange is declared by ``inspectpipe`` (``bus.declare()``) as a durable topic exchange,
    so the ``exchange_type`` and ``durable`` settings must match it. The ``verify`` queue is bound
    with ``#``, so any routing key reaches it. Servers that do not know the ARN (moto, AWS)
    reject the configuration; setup then logs that and carries on.
"""

from __future__ import annotations

import logging

from minio import Minio
from minio.commonconfig import ENABLED, Filter, Tag
from minio.error import S3Error
from minio.lifecycleconfig import (
    Expiration,
    LifecycleConfig,
    NoncurrentVersionExpiration,
    Rule,
)
from minio.notificationconfig import NotificationConfig, QueueConfig, SuffixFilterRule

from pipeline.storage.minio import _mapped

log = logging.getLogger(__name__)

AMQP_ARN = "arn:minio:sqs::PRIMARY:amqp"
MANIFEST_SUFFIX = "manifest.json"
EXPIRY_TAG = ("retention", "expired")
EXPIRY_RULE_ID = "expire-tagged"


def lifecycle_config(days: int = 1) -> LifecycleConfig:
    """Expire objects tagged ``retention=expired`` after ``days`` days."""
    return LifecycleConfig(
        [
            Rule(
                ENABLED,
                rule_filter=Filter(tag=Tag(*EXPIRY_TAG)),
                rule_id=EXPIRY_RULE_ID,
                expiration=Expiration(days=days),
                # Object-lock buckets are versioned; old versions of expired keys go too.
                noncurrent_version_expiration=NoncurrentVersionExpiration(noncurrent_days=days),
            )
        ]
    )


def notification_config(arn: str = AMQP_ARN, suffix: str = MANIFEST_SUFFIX) -> NotificationConfig:
    """Send ``s3:ObjectCreated:*`` for keys ending in ``suffix`` to the AMQP target ``arn``."""
    return NotificationConfig(
        queue_config_list=[
            QueueConfig(
                events=["s3:ObjectCreated:*"],
                config_id="inspectpipe-manifests",
                suffix_filter_rule=SuffixFilterRule(suffix),
                queue=arn,
            )
        ]
    )


def setup_bucket(
    client: Minio, bucket: str, *, object_lock: bool, region: str | None = None
) -> dict[str, bool]:
    """Create ``bucket`` if missing and apply the lifecycle rule and notification.

    Returns what was done: ``created``, ``lifecycle``, ``notification`` (False when the server
    does not accept the MinIO AMQP target). Idempotent.
    """
    done = {"created": False, "lifecycle": False, "notification": False}
    with _mapped(f"set up bucket {bucket!r}"):
        if not client.bucket_exists(bucket):
            client.make_bucket(bucket, location=region or None, object_lock=object_lock)
            done["created"] = True
        client.set_bucket_lifecycle(bucket, lifecycle_config())
        done["lifecycle"] = True
        try:
            client.set_bucket_notification(bucket, notification_config())
            done["notification"] = True
        except S3Error as exc:
            if exc.code not in ("InvalidArgument", "NotImplemented", "InvalidRequest"):
                raise
            log.warning(
                "bucket %r: the server refused the AMQP notification (%s); configure "
                "notify_amqp on MinIO (see pipeline.storage.minio_setup)",
                bucket,
                exc.code,
            )
    return done
