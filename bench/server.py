#!/usr/bin/env python3
"""Local stand-in for the four providers' key endpoints, for benchmarks only.

Usage: server.py PORT [DELAY_MS]. Listens on 127.0.0.1, HTTP/1.1 keep-alive, answers every
PATCH with the provider's documented success shape after DELAY_MS milliseconds, every GET
(the read a relative change or a dry run's plan makes) with a key of that provider, every POST
with a created key and its secret, and every DELETE with the provider's success. The
OpenRouter-style listing (`GET /api/v1/keys?offset=N`) holds BENCH_KEYS keys (default 3), 100 a
page: ids are i as 64 hex digits, names ci-agent-00000 ...; every 20th key (i % 20 == 0: 50 of
1,000) has spent 47.5 of its daily 50 (95%), the others 0; the Venice listing
(`GET /api/v1/api_keys`) holds its one key. `GET /__counts` answers the requests served so far
by method (`?reset=1` then starts the count again), itself not counted.
"""
import os
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DELAY = float(sys.argv[2]) / 1000.0 if len(sys.argv) > 2 else 0.0

IONET = json.dumps({"status": "succeeded"}).encode()
# Whole key objects: rotate copies only settings it can read (a key without its expiry, BYOK
# setting, type or privacy gets no successor).
GATES = json.dumps({"data": {"hash": "h", "name": "bench", "disabled": False, "limit": 50,
                             "limit_remaining": 50, "limit_reset": "daily", "usage": 0,
                             "include_byok_in_limit": False, "expires_at": None,
                             "created_at": "2026-01-01T00:00:00Z"}}).encode()
VENICE = json.dumps({"data": {"id": "v", "description": "bench", "consumptionLimits": {"usd": 50},
                              "limitPeriod": "MONTH", "expiresAt": None, "apiKeyType": "INFERENCE",
                              "modelPrivacy": "ALL"}, "success": True}).encode()

# Named apart from the keys the benchmark creates (create refuses a name the account has).
VENICE_LIST = json.dumps({"object": "list", "data": [
    dict(json.loads(VENICE)["data"], description="bench-listed")]}).encode()


CREATED = {
    "ionet": json.dumps({"status": "succeeded", "data": {
        "key_id": "4a1b2c3d-0000-4000-8000-000000000001", "value": "io-v2-eyJhbGciOiJIUzI1NiJ9.c3RhbmQtaW4.q8w7e6r5t4y3u2i1",
        "description": "bench", "credit_limit": 5, "expires_at": None}}).encode(),
    "gates": json.dumps({"data": {"hash": "n", "name": "bench", "disabled": False, "limit": 5,
                                  "limit_reset": None, "usage": 0}, "key": "sk-mg-v1-9f8e7d6c5b4a39281706f5e4d3c2b1a0"}).encode(),
    "venice": json.dumps({"success": True, "data": {
        "id": "5b2c3d4e-0000-4000-8000-000000000001", "apiKey": "VENICE_INFERENCE_KEY_7Hq2Lm9Xz4Wp0Rt6",
        "apiKeyType": "INFERENCE", "description": "bench", "expiresAt": None,
        "consumptionLimit": {"usd": 5}, "limitPeriod": "EPOCH", "modelPrivacy": "ALL"}}).encode(),
}
DELETED = {
    "ionet": IONET,
    "gates": json.dumps({"deleted": True}).encode(),
    "venice": json.dumps({"success": True}).encode(),
}


N_KEYS = int(os.environ.get("BENCH_KEYS", "3"))


COUNTS = {}
COUNTS_LOCK = threading.Lock()


def count(method):
    with COUNTS_LOCK:
        COUNTS[method] = COUNTS.get(method, 0) + 1


def listed(i):
    spent = 47.5 if i % 20 == 0 else 0
    return {"hash": format(i, "064x"), "name": "ci-agent-%05d" % i, "disabled": False,
            "limit": 50, "limit_remaining": 50 - spent, "limit_reset": "daily", "usage": spent,
            "usage_daily": spent, "include_byok_in_limit": False, "expires_at": None,
            "created_at": "2026-01-01T00:00:00Z"}


def page(path):
    """The listing page `path` asks for (`offset=N`), 100 keys at most."""
    offset = 0
    for part in path.partition("?")[2].split("&"):
        if part.startswith("offset="):
            offset = int(part[len("offset="):] or 0)
    keys = [listed(i) for i in range(offset, min(offset + 100, N_KEYS))]
    return json.dumps({"data": keys}).encode()


def listing_index(path):
    """i when `path` is `/api/v1/keys/<i as 64 hex digits>` of a key in the listing, else None."""
    tail = path.split("?")[0].rsplit("/", 1)[-1]
    if not path.startswith("/api/v1/keys/") or len(tail) != 64:
        return None
    try:
        i = int(tail, 16)
    except ValueError:
        return None
    return i if i < N_KEYS else None


def family(path):
    if path.startswith("/v1/api-keys/"):
        return "ionet"
    return "venice" if path.startswith("/api/v1/api_keys") else "gates"


# The id of the key a Venice create makes, and the caps its last create sent.
VENICE_CREATED_ID = json.loads(CREATED["venice"])["data"]["id"]
LAST_VENICE_CAPS = [None]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else every answer stalls 40 ms on a delayed ACK

    def do_PATCH(self):
        count("PATCH")
        n = int(self.headers.get("content-length") or 0)
        sent = self.rfile.read(n)
        if DELAY:
            time.sleep(DELAY)
        fam = family(self.path)
        if fam == "ionet":
            return self.answer(IONET)
        # The key as changed: what was sent, over the stand-in key (rotate checks the answer).
        try:
            changes = json.loads(sent or b"{}")
        except ValueError:
            changes = {}
        key = json.loads(VENICE if fam == "venice" else GATES)
        # A key of the paged listing: that key, as the listing shows it.
        listed_i = listing_index(self.path) if fam == "gates" else None
        if listed_i is not None:
            key = {"data": listed(listed_i)}
        key["data"].update({k: v for k, v in changes.items() if k != "consumptionLimit"})
        if listed_i is not None and isinstance(changes.get("limit"), (int, float)):
            key["data"]["limit_remaining"] = changes["limit"] - key["data"]["usage_daily"]
        self.answer(json.dumps(key).encode())

    def do_POST(self):
        count("POST")
        n = int(self.headers.get("content-length") or 0)
        sent = self.rfile.read(n)
        if DELAY:
            time.sleep(DELAY)
        fam = family(self.path)
        if fam == "venice":
            # Kept for the read-back of the key just made (create and rotate read it back).
            try:
                LAST_VENICE_CAPS[0] = json.loads(sent or b"{}").get("consumptionLimit")
            except (ValueError, AttributeError):
                LAST_VENICE_CAPS[0] = None
        self.answer(CREATED[fam], 201)

    def do_DELETE(self):
        count("DELETE")
        if DELAY:
            time.sleep(DELAY)
        self.answer(DELETED[family(self.path)])

    def do_GET(self):
        if self.path.split("?")[0] == "/__counts":
            with COUNTS_LOCK:
                body = json.dumps(COUNTS).encode()
                if "reset=1" in self.path:
                    COUNTS.clear()
            return self.answer(body)
        count("GET")
        if DELAY:
            time.sleep(DELAY)
        if self.path.split("?")[0] == "/api/v1/keys":
            self.answer(page(self.path))
        elif self.path.split("?")[0] == "/api/v1/api_keys":
            self.answer(VENICE_LIST)
        elif self.path.startswith("/api/v1/api_keys/"):
            # One Venice key: the stand-in key under the id asked for; the key just created
            # holds the caps its create sent (what a Venice read-back sees).
            key_id = self.path.split("?")[0].rsplit("/", 1)[-1]
            key = json.loads(VENICE)
            key["data"]["id"] = key_id
            if key_id == VENICE_CREATED_ID:
                key["data"]["consumptionLimits"] = LAST_VENICE_CAPS[0] or {}
            self.answer(json.dumps(key).encode())
        else:
            self.answer(None)

    def answer(self, body, status=200):
        """`status` with `body`, else the key of the provider the path belongs to."""
        if body is None:
            body = VENICE if self.path.startswith("/api/v1/api_keys") else GATES
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


if __name__ == "__main__":
    Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
