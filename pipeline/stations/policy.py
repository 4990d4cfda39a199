"""The MinIO (S3 IAM) policy for a station given store credentials instead of the API.

It may write, and read back to resume, only ``<bucket>/<station_id>/*``; it may list only
that prefix; it may never delete, and never touch ``results/`` (the pipeline's verdicts and
artifacts) even under its own prefix. Nothing of another station is readable or writable.
What it cannot prevent: overwriting its own evidence or manifest before verification (enable
bucket versioning and object lock for that); the station API does not have this gap's width,
since it only ever presigns the declared files of an open upload.
"""

from __future__ import annotations

from typing import Any

from pipeline.paths import safe_id


def station_policy(bucket: str, station_id: str) -> dict[str, Any]:
    """The IAM policy document confining ``station_id`` to its own prefix of ``bucket``."""
    safe_id(station_id, what="station id")
    bucket_arn = f"arn:aws:s3:::{bucket}"
    own = f"{bucket_arn}/{station_id}/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteOwnEvidence",
                "Effect": "Allow",
                "Action": [
                    "s3:PutObject",
                    "s3:GetObject",  # HEAD too: the uploader skips files already stored
                    "s3:AbortMultipartUpload",
                    "s3:ListMultipartUploadParts",
                ],
                "Resource": [own],
            },
            {
                "Sid": "ListOwnPrefix",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:ListBucketMultipartUploads"],
                "Resource": [bucket_arn],
                "Condition": {"StringLike": {"s3:prefix": [f"{station_id}/", f"{station_id}/*"]}},
            },
            {
                "Sid": "LocateBucket",
                "Effect": "Allow",
                "Action": ["s3:GetBucketLocation"],
                "Resource": [bucket_arn],
            },
            {
                "Sid": "NeverTouchResults",
                "Effect": "Deny",
                "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                "Resource": [f"{bucket_arn}/{station_id}/*/results/*"],
            },
        ],
    }
