#!/usr/bin/python3
"""Grafana Alerting -> SMS through smsgw.

A webhook receiver for Grafana's "Webhook" contact point (and Prometheus
Alertmanager's webhook_config, whose JSON is a subset): it turns each alert
notification into one short SMS and queues it through the smsgw API.

    grafana-to-sms.py [--listen 127.0.0.1:8789]

Grafana contact point: type Webhook, URL
    http://127.0.0.1:8789/alert?to=+4915112345678,+4917012345678
(the "to" parameter, or SMSGW_TO, names the recipients), method POST.

Settings, from the environment (the systemd unit reads /etc/smsgw/grafana.env):
    SMSGW_URL         smsgw API base URL (default http://127.0.0.1:8787)
    SMSGW_TOKEN       smsgw API token (a "send:" token suffices)
    SMSGW_TO          default recipients, comma separated
    SMSGW_MAX_CHARS   cut the text to this many characters (default 306: 2 SMS)
    DEDUP_SECONDS     drop a notification identical to one sent this recently
                      (same group, status and alerts; default 300): Grafana
                      repeats unresolved alerts, a phone should not buzz for each
    GRAFANA_HMAC_SECRET     when set, require Grafana's HMAC-SHA256 signature
    GRAFANA_SIGNATURE_HEADER  (default X-Grafana-Alerting-Signature)
    GRAFANA_TIMESTAMP_HEADER  when Grafana is set to send a timestamp header,
                      its name; the signature then covers "timestamp:body" and
                      a timestamp older than 5 minutes is refused
    ADAPTER_TOKEN     when set, require "Authorization: Bearer ADAPTER_TOKEN"

Answers 200 once smsgw accepted the message (or it was a duplicate), 4xx
for a request it will never accept, 502 when smsgw failed (Grafana retries).
Only the Python standard library is used.
"""

import argparse
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1 << 20


def render(payload, max_chars):
    """The SMS text for one Grafana/Alertmanager notification."""
    status = str(payload.get("status", "")).upper() or "ALERT"
    alerts = payload.get("alerts") or []
    firing = sum(1 for a in alerts if a.get("status") == "firing")
    title = payload.get("title")
    if not title:
        name = (payload.get("commonLabels") or {}).get("alertname", "alert")
        title = f"[{status}:{firing or len(alerts)}] {name}"
    lines = [title]
    for a in alerts[:5]:
        ann = a.get("annotations") or {}
        labels = a.get("labels") or {}
        what = ann.get("summary") or ann.get("description") or labels.get("alertname", "")
        where = labels.get("instance") or labels.get("host") or ""
        state = "OK" if a.get("status") == "resolved" else "!!"
        line = f"{state} {what}".rstrip()
        if where and where not in line:
            line += f" ({where})"
        lines.append(line)
    if len(alerts) > 5:
        lines.append(f"+{len(alerts) - 5} more")
    text = "\n".join(lines)
    if len(text) > max_chars:
        text = text[: max_chars - 3] + "..."
    return text


def dedup_key(payload):
    alerts = sorted(
        (a.get("fingerprint") or json.dumps(a.get("labels") or {}, sort_keys=True), a.get("status", ""))
        for a in payload.get("alerts") or []
    )
    return json.dumps([payload.get("groupKey", ""), payload.get("status", ""), alerts])


class Adapter:
    def __init__(self, env):
        self.smsgw_url = env.get("SMSGW_URL", "http://127.0.0.1:8787").rstrip("/")
        self.smsgw_token = env.get("SMSGW_TOKEN", "")
        self.default_to = env.get("SMSGW_TO", "")
        self.max_chars = int(env.get("SMSGW_MAX_CHARS", "306"))
        self.dedup_seconds = float(env.get("DEDUP_SECONDS", "300"))
        self.hmac_secret = env.get("GRAFANA_HMAC_SECRET", "").encode()
        self.sig_header = env.get("GRAFANA_SIGNATURE_HEADER", "X-Grafana-Alerting-Signature")
        self.ts_header = env.get("GRAFANA_TIMESTAMP_HEADER", "")
        self.adapter_token = env.get("ADAPTER_TOKEN", "")
        self.sent = {}
        self.lock = threading.Lock()

    def check_auth(self, headers, body):
        """None when the request may pass, else (code, reason)."""
        if self.adapter_token:
            got = headers.get("Authorization", "")
            if not hmac.compare_digest(got.encode(), f"Bearer {self.adapter_token}".encode()):
                return 401, "missing or wrong bearer token"
        if self.hmac_secret:
            signed = body
            if self.ts_header:
                ts = headers.get(self.ts_header, "")
                try:
                    if abs(time.time() - int(ts)) > 300:
                        return 401, "timestamp outside the 5 minute window"
                except ValueError:
                    return 401, f"missing or bad {self.ts_header}"
                signed = ts.encode() + b":" + body
            want = hmac.new(self.hmac_secret, signed, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(headers.get(self.sig_header, "").lower().encode(), want.encode()):
                return 401, "bad signature"
        return None

    def is_duplicate(self, key):
        now = time.monotonic()
        with self.lock:
            for k, t in list(self.sent.items()):
                if now - t > self.dedup_seconds:
                    del self.sent[k]
            return key in self.sent

    def remember(self, key):
        with self.lock:
            self.sent[key] = time.monotonic()

    def send(self, to, text):
        """Queue the SMS; returns (ok, detail)."""
        req = urllib.request.Request(
            self.smsgw_url + "/v1/messages",
            data=json.dumps({"to": to, "text": text}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        if self.smsgw_token:
            req.add_header("Authorization", "Bearer " + self.smsgw_token)
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:
                return True, f"smsgw: HTTP {resp.status}"
        except urllib.error.HTTPError as e:
            return False, f"smsgw: HTTP {e.code} {e.read(500).decode(errors='replace')}"
        except (urllib.error.URLError, OSError) as e:
            return False, f"smsgw unreachable: {e}"


def make_handler(adapter):
    class Handler(BaseHTTPRequestHandler):
        server_version = "grafana-to-sms"

        def reply(self, code, text):
            body = (text + "\n").encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            try:
                n = int(self.headers.get("Content-Length", "0"))
            except ValueError:
                return self.reply(400, "bad Content-Length")
            if n <= 0 or n > MAX_BODY:
                return self.reply(413 if n > MAX_BODY else 400, "body missing or too large")
            body = self.rfile.read(n)
            denied = adapter.check_auth(self.headers, body)
            if denied:
                return self.reply(*denied)
            try:
                payload = json.loads(body)
                if not isinstance(payload, dict):
                    raise ValueError("not an object")
            except ValueError as e:
                return self.reply(400, f"bad JSON: {e}")
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            to = ",".join(query.get("to", [])) or adapter.default_to
            to = [t.strip() for t in to.split(",") if t.strip()]
            if not to:
                return self.reply(400, "no recipients: add ?to=NUMBER to the URL or set SMSGW_TO")
            key = dedup_key(payload)
            if adapter.is_duplicate(key):
                return self.reply(200, "duplicate within DEDUP_SECONDS, not sent")
            ok, detail = adapter.send(to, render(payload, adapter.max_chars))
            if not ok:
                sys.stderr.write(detail + "\n")
                return self.reply(502, detail)
            adapter.remember(key)
            return self.reply(200, "queued")

        def log_message(self, fmt, *args):
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default=os.environ.get("ADAPTER_LISTEN", "127.0.0.1:8789"))
    args = ap.parse_args()
    host, _, port = args.listen.rpartition(":")
    server = ThreadingHTTPServer((host.strip("[]") or "127.0.0.1", int(port)), make_handler(Adapter(os.environ)))
    h, p = server.server_address[:2]
    sys.stderr.write(f"grafana-to-sms: listening on {h}:{p}\n")
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
