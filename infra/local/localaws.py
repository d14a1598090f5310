"""Shared by the local scripts: AWS clients for the local AWS, by default the stack `make dev`
deployed (its endpoint in .local/ordergate-local.env, its table among its outputs)."""
import json
import pathlib

import boto3

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEV_STACK = "ordergate-local"


def endpoint(given=None):
    """The local AWS's URL: the one given, else the running `make dev` stack's."""
    if given:
        return given
    env = dict(line.split("=", 1) for line in (ROOT / f".local/{DEV_STACK}.env").read_text().split())
    return env["ENDPOINT"]


def table(given=None):
    """The orders table: the one given, else the running `make dev` stack's."""
    if given:
        return given
    return json.loads((ROOT / f".local/{DEV_STACK}-outputs.json").read_text())["OrdersTableName"]


def client(service, endpoint_url):
    return boto3.client(service, endpoint_url=endpoint_url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def table_args(parser):
    """Adds the --endpoint and --table options every script takes."""
    parser.add_argument("--endpoint", default=None, help="local AWS URL (default: the running make dev)")
    parser.add_argument("--table", default=None, help="orders table (default: the running make dev's)")
