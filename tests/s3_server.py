"""An S3-compatible server for the tests and the bucket benchmark: moto (pinned in the venvs) on a free loopback
port with one bucket, and a boto3 client for it."""

import logging

from pytest_support import free_port

KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def start_s3(bucket):
    """Starts moto with `bucket` created; returns the server (`stop()` it), its endpoint URL and a boto3 client.
    The access key and secret are both `testing`."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, **KEYS)
    client.create_bucket(Bucket=bucket)
    return server, endpoint, client
