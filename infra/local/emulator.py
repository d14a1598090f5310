#!/usr/bin/env python3
"""moto's server, with each request handled atomically.

moto's DynamoDB applies a TransactWriteItems item by item and rolls back by restoring a
copy of the whole table, so two transactions running in parallel threads can see or undo
each other's half-done work. Real DynamoDB transactions are atomic. Serializing requests
(connections are still accepted concurrently) makes the emulator faithful to that, so the
concurrency tests test our code rather than the emulator's threading.

    emulator.py PORT
"""
import os
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple


class Serialized:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            # Materialize the body under the lock: moto does its work while iterating.
            return list(self.app(environ, start_response))


def main():
    port = int(sys.argv[1])
    os.environ.setdefault("MOTO_PORT", str(port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple("127.0.0.1", port, Serialized(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
