#!/usr/bin/env python3
"""The platforms' own APIs, faked for the local stack: what the ack worker calls back.

    fake_platforms.py --port PORT

Serves, under one prefix per platform (the stack's DeliverectApiUrl, OrdaticApiUrl and
OlaClickAckUrl point here):
    POST /deliverect/oauth/token                    a bearer token (client credentials)
    POST /deliverect/orderStatus/{orderId}          200
    POST /ordatic/v2/auth                           a bearer token (appId / appSecret)
    GET  /ordatic/v2/stores/{storeId}/orders/{id}   the full order, status ACCEPTED
    POST /ordatic/v2/stores/{storeId}/orders/{id}/status   200
    POST /olaclick/ack                              200
and, for people and tests:
    GET  /_received     every request received so far, oldest first, as JSON
Each request is also printed as one line, so `make dev` shows what each platform was sent.
Anything else is a 404, printed too: a call the worker should not make shows up.
"""
import argparse
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECEIVED = []
LOCK = threading.Lock()
TOKENS = {"deliverect": "local-deliverect-access-token", "ordatic": "local-ordatic-access-token"}


def ordatic_order(store, order):
    return {"id": order, "storeId": store, "displayId": order[-4:], "status": "ACCEPTED",
            "total": 1000, "items": [{"name": "Local item", "quantity": 1, "price": 1000}],
            "fulfillment": {"type": "DELIVERY"}}


ROUTES = [
    ("POST", r"/deliverect/oauth/token", lambda m: {"access_token": TOKENS["deliverect"], "expires_in": 86400}),
    ("POST", r"/deliverect/orderStatus/[^/]+", lambda m: {}),
    ("POST", r"/ordatic/v2/auth", lambda m: {"token": TOKENS["ordatic"], "expires_in": 86400}),
    ("GET", r"/ordatic/v2/stores/([^/]+)/orders/([^/]+)", lambda m: ordatic_order(m[1], m[2])),
    ("POST", r"/ordatic/v2/stores/[^/]+/orders/[^/]+/status", lambda m: {}),
    ("POST", r"/olaclick/ack", lambda m: {}),
]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        if self.command == "GET" and self.path == "/_received":
            with LOCK:
                return self.answer(200, list(RECEIVED))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        path = self.path.split("?", 1)[0]
        status, answer = 404, {"error": "not_found"}
        for method, pattern, reply in ROUTES:
            match = re.fullmatch(pattern, path)
            if method == self.command and match:
                status, answer = 200, reply(match)
                break
        request = {"method": self.command, "path": path, "body": body, "status": status,
                   "headers": {k.lower(): v for k, v in self.headers.items()}}
        with LOCK:
            RECEIVED.append(request)
        print(f"fake platform: {self.command} {path} -> {status} {raw}", flush=True)
        self.answer(status, answer)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    def log_message(self, *args):
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"fake platform APIs on http://127.0.0.1:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
