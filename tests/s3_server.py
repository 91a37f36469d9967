"""An S3-compatible server on loopback (moto's, in a thread) and a bucket per test.

Import the fixtures into a test module (`from tests.s3_server import s3_bucket, s3_endpoint`).
`s3_bucket` points the evidence and report stores at a fresh bucket exactly as
EVIDENCE_STORAGE=s3 does (the same STORAGES options the settings build), and gives the test a
boto3 client of its own to look at what really reached the bucket over HTTP.
"""

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

ACCESS_KEY_ID = "PORTALTESTACCESSKEY1"
SECRET_ACCESS_KEY = "portal-test-secret-access-key-do-not-log"
REGION = "eu-central-1"
EVIDENCE_PREFIX = "evidence"
REPORT_PREFIX = "reports"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@dataclass
class Bucket:
    name: str
    endpoint: str
    client: Any

    def object_keys(self, prefix: str = "") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.name, Prefix=prefix
        )
        return sorted(item["Key"] for page in pages for item in page.get("Contents", ()))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def write(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=data)

    def pending_uploads(self) -> list[str]:
        response = self.client.list_multipart_uploads(Bucket=self.name)
        return [upload["Key"] for upload in response.get("Uploads", ())]

    def seed_directly(self, keys: list[str], data: bytes) -> None:
        """Create many objects inside the server's own memory, without a request each
        (a thousand PUTs over HTTP take about 20 s); reading them back still goes over HTTP."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.s3.models import s3_backends

        backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
        for key in keys:
            backend.put_object(self.name, key, data)

    def options(self, location: str) -> dict[str, Any]:
        """STORAGES options for this bucket: the settings' own S3 options, pointed here."""
        from django.conf import settings

        return {
            **settings.S3_OPTIONS,
            "bucket_name": self.name,
            "endpoint_url": self.endpoint,
            "region_name": REGION,
            "access_key": ACCESS_KEY_ID,
            "secret_key": SECRET_ACCESS_KEY,
            "location": location,
        }


def _client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
    )


@pytest.fixture
def s3_bucket(s3_endpoint, settings) -> Iterator[Bucket]:
    """A new bucket; evidence and reports are kept in it, as EVIDENCE_STORAGE=s3 keeps them."""
    bucket = Bucket(f"portal-test-{uuid.uuid4().hex[:12]}", s3_endpoint, _client(s3_endpoint))
    bucket.client.create_bucket(
        Bucket=bucket.name, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    backend = "storages.backends.s3.S3Storage"
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {"BACKEND": backend, "OPTIONS": bucket.options(EVIDENCE_PREFIX)},
        "reports": {"BACKEND": backend, "OPTIONS": bucket.options(REPORT_PREFIX)},
    }
    settings.EVIDENCE_STORAGE = settings.REPORT_STORAGE = "s3"
    settings.EVIDENCE_STORE = settings.REPORT_STORE = "checklists.evidence.stores.StorageStore"
    yield bucket
    keys = bucket.object_keys()
    for start in range(0, len(keys), 1000):
        bucket.client.delete_objects(
            Bucket=bucket.name,
            Delete={"Objects": [{"Key": key} for key in keys[start : start + 1000]]},
        )
    bucket.client.delete_bucket(Bucket=bucket.name)
