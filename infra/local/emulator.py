#!/usr/bin/env python3
"""moto's server, with each request handled atomically and transactions in O(items).

moto's DynamoDB applies a TransactWriteItems item by item and rolls back by restoring a
copy of the whole table, so two transactions running in parallel threads can see or undo
each other's half-done work. Real DynamoDB transactions are atomic. Serializing requests
(connections are still accepted concurrently) makes the emulator faithful to that, so the
concurrency tests test our code rather than the emulator's threading.

That table copy is also taken once per item of every transaction: after a thousand orders
each delivery costs a deep copy of the whole table (the emulator slows to a few requests a
second and grows by gigabytes). `item_level_rollback` snapshots only the items a
transaction touches and restores those instead.

    emulator.py PORT
"""
import copy
import io
import selectors
import os
import signal
import sys
import threading

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.table import Table

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
import werkzeug.serving
from werkzeug.serving import run_simple


class Serialized:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        # The whole body is read before moto sees it: a connection is kept for the next
        # request (see KeepAlive), which must start right after this one's last byte.
        environ["wsgi.input"] = io.BytesIO(read_body(environ))
        with self.lock:
            # Materialize the body under the lock: moto does its work while iterating.
            return list(self.app(environ, start_response))


def read_body(environ):
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):  # chunked: werkzeug de-chunks up to the end
        return stream.read()
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return stream.read(length) if length > 0 else b""


def item_level_rollback():
    backend = dynamodb_models.DynamoDBBackend
    original = backend.transact_write_items

    class NoTableCopy:
        """The `copy` module as moto's transaction code sees it: tables are not copied."""

        @staticmethod
        def deepcopy(value, memo=None):
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    dynamodb_models.copy = NoTableCopy

    def transact_write_items(self, transact_items):
        saved = []
        for entry in transact_items:
            op = next(iter(entry.values()), {})
            table = self.tables.get(op.get("TableName"))
            try:
                hash_key, range_key = self.get_keys_value(table, op.get("Key") or op.get("Item") or {})
            except Exception:  # malformed: moto itself reports it
                continue
            saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, old in reversed(saved):
                if range_key is None:
                    table.items.pop(hash_key, None)
                    if old is not None:
                        table.items[hash_key] = old
                else:
                    table.items[hash_key].pop(range_key, None)
                    if old is not None:
                        table.items[hash_key][range_key] = old
            raise

    backend.transact_write_items = transact_write_items


class NoDrain:
    """The `selectors` module as werkzeug's request handler sees it: after an answer it
    finds nothing more to read (werkzeug would otherwise read the next request away)."""

    EVENT_READ = selectors.EVENT_READ

    class DefaultSelector:
        def register(self, *_):
            pass

        def select(self, timeout=None):
            return []

        def close(self):
            pass


def main():
    item_level_rollback()
    werkzeug.serving.selectors = NoDrain
    port = int(sys.argv[1])
    os.environ.setdefault("MOTO_PORT", str(port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple("127.0.0.1", port, Serialized(app), threaded=True, request_handler=KeepAlive)


class KeepAlive(MotoRequestHandler):
    """HTTP/1.1 with persistent connections, as AWS's endpoints answer.

    werkzeug closes every connection after its answer, so each SDK call would open a new
    TCP connection: CPU and wall time a function never pays against AWS, where the SDK's
    pooled connections are reused (the per-delivery cost is measured against this
    emulator). werkzeug closes because it drains whatever follows a request, which on a
    kept connection is the next request: bodies are read whole before moto runs
    (`Serialized`), so that drain is switched off (`NoDrain`).
    """

    protocol_version = "HTTP/1.1"
    # werkzeug writes an answer's headers and body separately: with Nagle's algorithm on a
    # kept connection, the body waits for the client's delayed ACK (~40 ms a call).
    disable_nagle_algorithm = True

    def send_header(self, keyword, value):
        # werkzeug always adds `Connection: close`; bodies are read whole (Serialized), so
        # the next request on the connection can be parsed safely.
        if keyword.lower() == "connection" and value.lower() == "close":
            return
        super().send_header(keyword, value)


if __name__ == "__main__":
    main()
