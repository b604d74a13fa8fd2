"""A webhook receiver for the tests: a real HTTP server on loopback, run as its own process.

It verifies every request's signature with the ``standardwebhooks`` library, appends what
arrived to a JSON Lines log *before* answering (a request cut off mid-answer is on record),
answers 500 to the first ``--fail-first`` requests, sleeps ``--delay`` seconds before answering
the first ``--slow-first`` ones, and prints ``ready`` once it listens.

    python tests/webhooks/receiver.py --port P --secret whsec_… --log FILE [--fail-first N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


def serve(options: argparse.Namespace) -> None:
    signer = Webhook(options.secret)
    counter = itertools.count()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {key.lower(): value for key, value in self.headers.items()}
            try:
                signer.verify(body, headers)
                verified = True
            except WebhookVerificationError:
                verified = False
            with lock:
                n = next(counter)
                status = 500 if n < options.fail_first else 200 if verified else 401
                record: dict[str, Any] = {
                    "n": n,
                    "id": headers.get("webhook-id"),
                    "timestamp": headers.get("webhook-timestamp"),
                    "verified": verified,
                    "status": status,
                    "body": json.loads(body or b"null"),
                }
                with open(options.log, "a", encoding="utf-8") as log:
                    log.write(json.dumps(record, ensure_ascii=False) + "\n")
            if n < options.slow_first:
                time.sleep(options.delay)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", options.port), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--slow-first", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    serve(parser.parse_args())


if __name__ == "__main__":
    main()
