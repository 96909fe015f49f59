"""A loopback S3 server (moto) with signature checking switched on."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import pytest


@dataclass
class S3Server:
    url: str
    access_key: str
    secret_key: str

    def storage(self, bucket: str | None = None):
        from media.storage import S3MediaStorage

        return S3MediaStorage(
            endpoint_url=self.url,
            bucket=bucket or f"b-{uuid.uuid4().hex[:12]}",
            access_key=self.access_key,
            secret_key=self.secret_key,
            region="us-east-1",
        )


@pytest.fixture(scope="session")
def s3_server():
    import boto3
    from moto.core.authorization import enable_iam_authentication
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{server._server.server_port}"
    # A real IAM user, so that moto verifies our SigV4 signatures (with botocore's code)
    # instead of accepting anything.
    iam = boto3.client(
        "iam",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="setup",
        aws_secret_access_key="setup",
    )
    iam.create_user(UserName="cityops")
    iam.put_user_policy(
        UserName="cityops",
        PolicyName="s3",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName="cityops")["AccessKey"]
    with enable_iam_authentication():
        yield S3Server(url=url, access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    server.stop()
