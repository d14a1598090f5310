"""Shared by the local scripts: AWS clients for the emulator started by `make dev`."""
import pathlib

import boto3

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_TABLE = "ordergate-local-OrdersTable"


def endpoint(given=None):
    """The emulator's URL: the one given, else the running `make dev` emulator's."""
    return given or (ROOT / ".local/emulator-dev.url").read_text().strip()


def client(service, endpoint_url):
    return boto3.client(service, endpoint_url=endpoint_url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def table_args(parser):
    """Adds the --endpoint and --table options every script takes."""
    parser.add_argument("--endpoint", default=None, help="emulator URL (default: the running make dev)")
    parser.add_argument("--table", default=DEFAULT_TABLE)
