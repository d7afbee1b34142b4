"""Operations features of `imageshare serve`, driven through the binary: Prometheus metrics at /metrics,
/healthz and /readyz, one structured log line per RPC request, graceful shutdown on SIGTERM, configuration from
flags, IMAGESHARE_* environment variables and a config file, and (SQLite) `imageshare backup` / `restore`.

The other operations features have their own files: TLS in test_tls.py, rate limits and connection floods in
test_rate_limits.py (both import the small helpers below).

On the PostgreSQL run (IMAGESHARE_COMPAT_POSTGRES_URL) every server here runs on a fresh database; the tests
that only make sense on one engine skip on the other and say why.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import re
import select
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

from conftest import (DEFAULT_REGION, POSTGRES_DIR, POSTGRES_URL, Account, Actor, ApiError, ImageShareServer,
                      expect_error, fresh_database_url, make_client, postgres_cluster)
from hostile_cases import Reply, Wire, exchange, parse_error_body, v2_wire, v3_wire
from test_server_hardening import (HEALTHZ, Serve, cli, cli_ok, describe_dir, mode_of, private_store_files,
                                   read_response, shown, umask, write_key)
from test_server_hardening import serves  # noqa: F401  (a fixture; test_tls.py and test_rate_limits.py use it too)

REGION = DEFAULT_REGION
STARTUP_TIMEOUT = 20.0
LOG_WAIT = 5.0          # seconds a log line may take to reach the file
CRASH_MARKERS = ("Fatal error", "Traceback", "Segmentation", "backtrace", "Illegal instruction", "panic")

sqlite_only = pytest.mark.skipif(
    POSTGRES_URL is not None,
    reason="backup/restore of the embedded SQLite store; a PostgreSQL store is backed up with pg_dump")
postgres_only = pytest.mark.skipif(POSTGRES_URL is None, reason="needs IMAGESHARE_COMPAT_POSTGRES_URL")


# --------------------------------------------------------------------------
# helpers shared with test_tls.py and test_rate_limits.py
# --------------------------------------------------------------------------

def http_get(port: int, path: str, timeout: float = 5.0, context=None,
             scheme: str = "http") -> Tuple[int, Dict[str, str], str]:
    """(status, headers with lower-case names, body) of one GET; HTTP errors are answers too."""
    url = f"{scheme}://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read().decode(errors="replace")


def status_and_body(port: int, path: str, timeout: float = 5.0) -> Tuple[int, str]:
    status, _, body = http_get(port, path, timeout=timeout)
    return status, body.strip()


def reply_fields(reply: Reply) -> Dict[str, Any]:
    """The JSON (or XML) top-level fields of a raw reply; fails with the exchange shown."""
    fields, problem = parse_error_body(reply)
    assert fields is not None, f"{problem}\n{reply.describe()}"
    return fields


def v3_signature(wire: Wire) -> str:
    auth = dict((n.lower(), v) for n, v in wire.headers)["authorization"]
    auth = auth.decode() if isinstance(auth, bytes) else auth
    return re.search(r"Signature=([0-9a-f]+)", auth).group(1)


def v2_signature(wire: Wire) -> str:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(wire.target).query, keep_blank_values=True)
    return query["Signature"][0]


# ---- Prometheus text format ------------------------------------------------

_SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$")
_LABEL = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), value)


@dataclasses.dataclass
class Metrics:
    """One scrape of /metrics, parsed."""
    text: str
    content_type: str
    samples: List[Tuple[str, Dict[str, str], float]]
    types: Dict[str, str]

    @classmethod
    def parse(cls, text: str, content_type: str = "") -> "Metrics":
        samples, types = [], {}
        for line in text.splitlines():
            if not line.strip():
                continue
            if line.startswith("#"):
                parts = line.split()
                if len(parts) >= 4 and parts[1] == "TYPE":
                    types[parts[2]] = parts[3]
                continue
            match = _SAMPLE.match(line)
            assert match, f"not a Prometheus sample line: {line!r}\n--- /metrics ---\n{text}"
            name, label_text, value = match.groups()
            labels: Dict[str, str] = {}
            if label_text:
                consumed = 0
                for lm in _LABEL.finditer(label_text):
                    assert lm.start() == consumed, f"bad label set in {line!r}"
                    labels[lm.group(1)] = _unescape(lm.group(2))
                    consumed = lm.end()
                assert consumed == len(label_text), f"bad label set in {line!r}"
            samples.append((name, labels, float(value)))
        return cls(text, content_type, samples, types)

    def matching(self, name: str, **labels: str) -> List[Tuple[Dict[str, str], float]]:
        return [(l, v) for n, l, v in self.samples
                if n == name and all(l.get(k) == want for k, want in labels.items())]

    def value(self, name: str, **labels: str) -> float:
        """The one sample of ``name`` with these labels; 0 when there is none yet (a counter or histogram
        series appears with its first observation)."""
        found = self.matching(name, **labels)
        assert len(found) <= 1, f"{name}{labels} is ambiguous: {found}"
        return found[0][1] if found else 0.0

    def gauge(self, name: str) -> float:
        found = self.matching(name)
        assert len(found) == 1, f"expected exactly one sample of gauge {name}, found {found}\n{self.text}"
        return found[0][1]


def scrape(port: int, **kw) -> Metrics:
    status, headers, body = http_get(port, "/metrics", **kw)
    assert status == 200, f"GET /metrics answered {status}: {body[:500]}"
    return Metrics.parse(body, headers.get("content-type", ""))


# ---- the structured request log --------------------------------------------

_LOG_LINE = re.compile(r"^\S+ (?P<level>[a-z]+) (?P<label>[^\s:]*): ?(?P<meta>.*?) ?\[(?P<source>[^\]]*)\] "
                       r"(?P<message>.*)$")


def request_log_lines(text: str) -> List[Dict[str, str]]:
    """Every log line whose message is ``request``, as its metadata (plus ``_line``)."""
    lines = []
    for raw in text.splitlines():
        match = _LOG_LINE.match(raw.strip())
        if not match or match.group("message").strip() != "request":
            continue
        fields = dict(re.findall(r"(?:^|\s)([A-Za-z_][\w.]*)=(\S*)", match.group("meta")))
        fields["_line"] = raw
        lines.append(fields)
    return lines


def wait_for_request_line(path: Path, request_id: str, timeout: float = LOG_WAIT) -> List[Dict[str, str]]:
    deadline = time.monotonic() + timeout
    while True:
        text = path.read_text(errors="replace")
        found = [f for f in request_log_lines(text) if f.get("request_id") == request_id]
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(0.05)


# ---- a few raw-socket helpers ----------------------------------------------

def try_connect(port: int, timeout: float = 0.5) -> Optional[str]:
    """None when the connection is refused, else a description of what happened."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except ConnectionRefusedError:
        return None
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    sock.close()
    return "connected"


def listening(port: int) -> bool:
    return try_connect(port) == "connected"


def read_reply(sock: socket.socket, timeout: float) -> Tuple[bytes, bool]:
    """Read until EOF or ``timeout``; (bytes, closed)."""
    deadline = time.monotonic() + timeout
    data = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return data, False
        if not select.select([sock], [], [], left)[0]:
            return data, False
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return data, True
        if not chunk:
            return data, True
        data += chunk


def signed_call_works(port: int, account: Account, style: str = "v3", context: str = "") -> Dict[str, Any]:
    try:
        body = make_client(style, port, account).call("DescribeRegions", {})
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        pytest.fail(f"signed DescribeRegions ({style}) through port {port} failed: {exc!r}\n{context}",
                    pytrace=False)
    assert body["Regions"]["Region"], f"DescribeRegions returned no region: {body}\n{context}"
    return body


def clean_env(**extra: str) -> Dict[str, str]:
    """The test's environment without any IMAGESHARE_* variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGESHARE_")}
    env.update({k: str(v) for k, v in extra.items()})
    return env


# --------------------------------------------------------------------------
# 1. /metrics
# --------------------------------------------------------------------------

UNKNOWN_IMAGE = "m-doesnotexist00000000"


def requests_total(m: Metrics, action: str, code: str) -> float:
    return m.value("imageshare_requests_total", action=action, code=code)


def test_metrics_count_every_answered_request_by_action_and_code(start_server):
    srv = start_server()
    account = srv.create_account("metrics")
    v3 = srv.client("v3", account)
    v2 = srv.client("v2", account)
    before = scrape(srv.port)
    assert before.content_type.startswith("text/plain"), f"/metrics content type {before.content_type!r}"

    for _ in range(3):
        v3.call("DescribeRegions", {})
    v2.call("DescribeRegions", {})
    for client in (v3, v2):
        expect_error(lambda: client.call("DescribeImageSharePermission", {"RegionId": REGION, "ImageId": UNKNOWN_IMAGE}),
                     "InvalidImageId.NotFound", 404)
    # a V3 request whose Authorization header is garbage: the action is known (x-acs-action), the signature is not
    bad = v3_wire(account, "DescribeRegions", port=srv.port)
    bad.headers = [(n, v) for n, v in bad.headers if n != "Authorization"] + [("Authorization", "ACS3-HMAC-SHA256 nonsense")]
    bad_reply = exchange(srv.port, bad)
    bad_code = reply_fields(bad_reply)["Code"]
    assert bad_reply.status and 400 <= bad_reply.status < 500, bad_reply.describe()
    # no action anywhere: counted as "Unknown"
    anonymous = exchange(srv.port, Wire(method="POST", target="/", headers=[("Content-Type", "application/x-www-form-urlencoded")]))
    anonymous_code = reply_fields(anonymous)["Code"]
    assert anonymous.status and 400 <= anonymous.status < 500, anonymous.describe()

    after = scrape(srv.port)
    for family, kind in (("imageshare_requests_total", "counter"), ("imageshare_request_duration_seconds", "histogram"),
                         ("imageshare_store_duration_seconds", "histogram"), ("imageshare_connections", "gauge"),
                         ("imageshare_nonces", "gauge")):
        assert after.types.get(family) == kind, f"# TYPE {family} should be {kind}\n{after.text}"
    expected = {
        ("DescribeRegions", "OK"): 4,
        ("DescribeImageSharePermission", "InvalidImageId.NotFound"): 2,
        ("DescribeRegions", bad_code): 1,
        ("Unknown", anonymous_code): 1,
    }
    for (action, code), count in expected.items():
        delta = requests_total(after, action, code) - requests_total(before, action, code)
        assert delta == count, (f"imageshare_requests_total{{action={action!r},code={code!r}}} rose by {delta}, "
                                f"expected {count}\n{after.text}")
    # the histogram saw exactly the same requests
    for action, count in (("DescribeRegions", 5), ("DescribeImageSharePermission", 2)):
        name = "imageshare_request_duration_seconds"
        delta = after.value(f"{name}_count", action=action) - before.value(f"{name}_count", action=action)
        assert delta == count, f"{name}_count{{action={action!r}}} rose by {delta}, expected {count}\n{after.text}"
        assert after.value(f"{name}_sum", action=action) > before.value(f"{name}_sum", action=action), after.text
        buckets = sorted(((float(l["le"]), v) for l, v in after.matching(f"{name}_bucket", action=action)),
                         key=lambda b: b[0])
        assert buckets and math.isinf(buckets[-1][0]), f"no +Inf bucket for {action}\n{after.text}"
        assert buckets[-1][1] == after.value(f"{name}_count", action=action), after.text
        assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), f"buckets not cumulative: {buckets}"
    # every answered request above touched the store (key lookup, nonce): reads and writes were timed
    for kind in ("read", "write"):
        name = "imageshare_store_duration_seconds_count"
        assert after.value(name, kind=kind) > before.value(name, kind=kind), \
            f"{name}{{kind={kind!r}}} did not rise\n{after.text}"
    assert {l.get("kind") for l in (l for n, l, _ in after.samples
                                    if n.startswith("imageshare_store_duration_seconds"))} <= {"read", "write"}


def test_metrics_expose_no_credentials_and_only_the_documented_labels(start_server):
    srv = start_server()
    account = srv.create_account("secretive")
    ok_v2 = v2_wire(account, "DescribeRegions")
    ok_v3 = v3_wire(account, "DescribeRegions", port=srv.port)
    forged = v2_wire(account, "DescribeRegions", after_sign=lambda s: "A" + s[1:] if s[0] != "A" else "B" + s[1:])
    wrong_secret = v3_wire(account.with_secret("not-the-secret"), "DescribeImages", [("RegionId", REGION)],
                           port=srv.port)
    replies = [exchange(srv.port, wire) for wire in (ok_v2, ok_v3, forged, wrong_secret)]
    assert [r.status for r in replies[:2]] == [200, 200], "\n".join(r.describe() for r in replies)
    assert all(r.status and 400 <= r.status < 500 for r in replies[2:]), "\n".join(r.describe() for r in replies)
    m = scrape(srv.port)
    secrets = {"AccessKeyId": account.access_key_id, "AccessKeySecret": account.access_key_secret,
               "root AccessKeySecret": srv.root.access_key_secret}
    for index, wire in enumerate((ok_v2, forged)):
        secrets[f"V2 signature #{index}"] = v2_signature(wire)
    for index, wire in enumerate((ok_v3, wrong_secret)):
        secrets[f"V3 signature #{index}"] = v3_signature(wire)
    for what, value in secrets.items():
        for form in {value, urllib.parse.quote(value, safe="")}:
            assert form not in m.text, f"/metrics contains the {what} ({form})"
    allowed = {
        "imageshare_requests_total": {"action", "code"},
        "imageshare_request_duration_seconds_bucket": {"action", "le"},
        "imageshare_request_duration_seconds_sum": {"action"},
        "imageshare_request_duration_seconds_count": {"action"},
        "imageshare_store_duration_seconds_bucket": {"kind", "le"},
        "imageshare_store_duration_seconds_sum": {"kind"},
        "imageshare_store_duration_seconds_count": {"kind"},
        "imageshare_connections": set(),
        "imageshare_nonces": set(),
    }
    for name, labels, _ in m.samples:
        if name in allowed:
            assert set(labels) == allowed[name], f"{name} carries labels {sorted(labels)}, " \
                                                 f"expected {sorted(allowed[name])}\n{m.text}"
    assert set(allowed) - {"imageshare_store_duration_seconds_sum", "imageshare_store_duration_seconds_bucket",
                           "imageshare_store_duration_seconds_count"} <= {n for n, _, _ in m.samples}, m.text


def test_metrics_connection_gauge_follows_open_keep_alive_connections(start_server):
    srv = start_server()
    held = []
    try:
        for _ in range(5):
            sock = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            held.append(sock)
            sock.sendall(HEALTHZ)   # HTTP/1.1 without Connection: close stays open
            status, body = read_response(sock, timeout=5)
            assert status.startswith("HTTP/1.1 200") and body.strip() == b"ok", (status, body)
        open_gauge = scrape(srv.port).gauge("imageshare_connections")
        assert open_gauge >= 5, f"imageshare_connections is {open_gauge} while 5 keep-alive connections are open"
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 5
    while True:
        now = scrape(srv.port).gauge("imageshare_connections")
        if now < 5:
            break
        assert time.monotonic() < deadline, f"imageshare_connections stayed at {now} after the 5 connections closed"
        time.sleep(0.05)
    assert now >= 1, f"imageshare_connections is {now} while the scrape's own connection is open"


def test_metrics_nonce_gauge_counts_the_replay_table_at_start(start_server):
    srv = start_server()
    assert scrape(srv.port).gauge("imageshare_nonces") == 0, "a new store remembers no nonce"
    account = srv.create_account("nonces")
    for style in ("v3", "v2", "v3", "v2", "v3"):
        srv.client(style, account).call("DescribeRegions", {})
    srv.restart()  # the gauge is read from the store by the purge that runs at start, just after listening
    deadline = time.monotonic() + 10
    while (value := scrape(srv.port).gauge("imageshare_nonces")) != 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert value == 5, f"imageshare_nonces is {value} after a restart; 5 signed requests were accepted"


# --------------------------------------------------------------------------
# 2. /healthz and /readyz
# --------------------------------------------------------------------------

def test_healthz_and_readyz_answer_without_authentication(start_server):
    srv = start_server()
    assert status_and_body(srv.port, "/healthz") == (200, "ok")
    status, _, body = http_get(srv.port, "/readyz")
    assert (status, body.strip()) == (200, "ready"), f"/readyz answered {status} {body!r}"


@postgres_only
@pytest.mark.skipif(POSTGRES_DIR is None, reason="stopping PostgreSQL needs IMAGESHARE_COMPAT_POSTGRES_DIR")
def test_readyz_follows_the_database_while_healthz_stays_up(start_server):
    srv = start_server()
    assert status_and_body(srv.port, "/readyz") == (200, "ready")
    with postgres_cluster() as cluster:
        cluster.stop()
        try:
            deadline = time.monotonic() + 15
            while True:
                status, _, body = http_get(srv.port, "/readyz", timeout=10)
                if status == 503:
                    break
                assert time.monotonic() < deadline, f"/readyz still answers {status} {body!r} without a database"
                time.sleep(0.2)
            reason = body.strip()
            assert reason and "\n" not in reason and reason != "ready", f"/readyz 503 needs a one-line reason: {body!r}"
            assert status_and_body(srv.port, "/healthz") == (200, "ok"), "/healthz must stay up"
        finally:
            cluster.start()
    deadline = time.monotonic() + 30
    while True:
        status, _, body = http_get(srv.port, "/readyz", timeout=10)
        if (status, body.strip()) == (200, "ready"):
            break
        assert time.monotonic() < deadline, f"/readyz did not recover after the database restarted: {status} {body!r}"
        time.sleep(0.2)
    assert srv.proc.poll() is None


# --------------------------------------------------------------------------
# 3. one log line per RPC request
# --------------------------------------------------------------------------

def test_one_request_log_line_per_call_without_secrets(start_server, monkeypatch):
    srv = start_server()
    account = srv.create_account("logged")
    stranger = Account("-", "LTAI" + "x" * 20, "not-a-secret-at-all-000000")
    # V3 signatures the SDK computes, to look for them in the log afterwards
    from alibabacloud_tea_openapi.utils import Utils
    signatures: List[str] = []
    original = Utils.get_authorization

    def recording(*args, **kwargs):
        value = original(*args, **kwargs)
        signatures.extend(re.findall(r"Signature=([0-9a-f]+)", value))
        return value

    monkeypatch.setattr(Utils, "get_authorization", staticmethod(recording))

    ok = srv.client("v3", account).call("DescribeRegions", {})
    not_found = expect_error(lambda: srv.client("v3", account).call(
        "DescribeImageSharePermission", {"RegionId": REGION, "ImageId": UNKNOWN_IMAGE}), "InvalidImageId.NotFound", 404)
    unknown_key = expect_error(lambda: srv.client("v3", stranger).call("DescribeRegions", {}),
                               "InvalidAccessKeyId.NotFound", 404)
    v2_ok = v2_wire(account, "DescribeImages", [("PageSize", "5")])
    v2_reply = exchange(srv.port, v2_ok)
    assert v2_reply.status == 200, v2_reply.describe()
    assert len(signatures) >= 3, signatures

    cases = [
        (ok["RequestId"], dict(action="DescribeRegions", account=account.account_id, code="OK", status="200")),
        (reply_fields(v2_reply)["RequestId"], dict(action="DescribeImages", account=account.account_id, code="OK",
                                                   status="200")),
        (not_found.request_id, dict(action="DescribeImageSharePermission", account=account.account_id,
                                    code="InvalidImageId.NotFound", status="404")),
        (unknown_key.request_id, dict(action="DescribeRegions", account="-", code="InvalidAccessKeyId.NotFound",
                                      status="404")),
    ]
    for request_id, want in cases:
        lines = wait_for_request_line(srv.stderr_path, request_id)
        assert len(lines) == 1, f"expected one `request` log line with request_id={request_id}, found " \
                                f"{[l['_line'] for l in lines]}\n{srv._logs()}"
        fields = lines[0]
        got = {k: fields.get(k) for k in want}
        assert got == want, f"log line {fields['_line']!r}: expected {want}"
        assert re.fullmatch(r"\d+(\.\d+)?", fields.get("latency_ms", "")), \
            f"latency_ms missing or not a number in {fields['_line']!r}"

    log = srv.stderr_path.read_text(errors="replace") + srv.stdout_path.read_text(errors="replace")
    forbidden = {"AccessKeySecret": account.access_key_secret, "the V2 Signature": v2_signature(v2_ok)}
    forbidden.update({f"V3 Signature #{i}": s for i, s in enumerate(signatures)})
    for what, value in forbidden.items():
        for form in {value, urllib.parse.quote(value, safe="")}:
            assert form not in log, f"the server log contains {what}\n{srv._logs()}"
    root_secret = srv.root.access_key_secret
    assert root_secret not in srv.stderr_path.read_text(errors="replace"), "the first account's secret is in the log"


# --------------------------------------------------------------------------
# 4. graceful shutdown
# --------------------------------------------------------------------------

def test_sigterm_finishes_the_request_in_flight_and_refuses_new_connections(tmp_path, serves):
    srv = serves(tmp_path / "data", database=fresh_database_url()).start()
    root = srv.root()
    # a V2 request: common parameters in the query, business parameters in a form body dripped slowly
    wire = v2_wire(root, "DescribeImages",
                   body_params=[("ImageOwnerAlias", "system"), ("PageSize", "10"), ("PageNumber", "1"),
                                ("Status", "Available"), ("IsSupportCloudinit", "true")])
    data = wire.to_bytes(srv.port)
    head, _, body = data.partition(b"\r\n\r\n")
    assert len(body) >= 20, body
    pieces = [body[i:i + math.ceil(len(body) / 10)] for i in range(0, len(body), math.ceil(len(body) / 10))]

    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    try:
        sock.sendall(head + b"\r\n\r\n" + pieces[0])
        time.sleep(0.3)  # the server has the request's head and is waiting for its body
        srv.proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        refused_after: Optional[float] = None
        last_attempt = ""
        for piece in pieces[1:]:
            time.sleep(0.2)
            if refused_after is None:
                last_attempt = try_connect(srv.port, timeout=0.2) or ""
                if not last_attempt:
                    refused_after = time.monotonic() - signalled
            sock.sendall(piece)
        answer, closed = read_reply(sock, timeout=10)
    finally:
        sock.close()
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 200"), \
        f"the request in flight at SIGTERM was not answered 200: {answer[:600]!r}\n{srv.logs()}"
    head_part, _, payload = answer.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head_part)
    if length:
        assert len(payload) >= int(length.group(1)), f"truncated answer: {answer!r}"
    images = json.loads(payload[:int(length.group(1))] if length else payload)
    assert images.get("RequestId") and "Images" in images, images
    assert refused_after is not None, f"new connections were still accepted 2s after SIGTERM ({last_attempt})\n{srv.logs()}"
    try:
        rc = srv.proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the server did not exit within 5s of finishing the last request\n{srv.logs()}", pytrace=False)
    assert rc == 0, f"exit code {rc} after SIGTERM\n{srv.logs()}"
    assert not any(m in srv.stderr for m in CRASH_MARKERS), srv.logs()


# --------------------------------------------------------------------------
# 5. configuration: flags, IMAGESHARE_* and a config file
# --------------------------------------------------------------------------

class Configured(Serve):
    """`imageshare serve` with exactly the given arguments and environment (no --host/--port added)."""

    def __init__(self, log_dir: Path, args: List[str], env: Dict[str, str], port: int, name: str = "configured"):
        super().__init__(log_dir, None, None, port=port, env=env, name=name)
        self.argv = [self.argv[0], "serve", *[str(a) for a in args]]


def database_args(database: Optional[str]) -> List[str]:
    return ["--database", database] if database else []


def write_config(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def free_ports(count: int) -> List[int]:
    socks = [socket.socket() for _ in range(count)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def test_serve_help_mentions_the_environment_and_the_config_file():
    proc = cli("serve", "--help")
    assert proc.returncode == 0, shown(proc)
    text = proc.stdout + proc.stderr
    assert "IMAGESHARE_" in text and "--config" in text, shown(proc)


def test_port_from_the_environment(tmp_path):
    database = fresh_database_url()
    (port,) = free_ports(1)
    srv = Configured(tmp_path / "logs", ["--data-dir", tmp_path / "data", *database_args(database)],
                     clean_env(IMAGESHARE_PORT=port), port)
    try:
        srv.start()
        signed_call_works(port, srv.root(), context=srv.logs())
        srv.stop()
    finally:
        srv.kill()


@pytest.mark.parametrize("how", ["flag", "env"])
def test_port_data_dir_and_flags_from_a_config_file(tmp_path, how):
    database = fresh_database_url()
    (port,) = free_ports(1)
    data_dir = tmp_path / "data dir"          # a quoted value with a space
    config = write_config(tmp_path / "imageshare.conf", f"""\
# ImageShare settings
port = {port}

data-dir = "{data_dir}"   # quoted
log-level = "warning"
custom-image-quota = 1
""" + (f'database = "{database}"\n' if database else ""))
    args, env = (["--config", config], clean_env()) if how == "flag" else ([], clean_env(IMAGESHARE_CONFIG=config))
    srv = Configured(tmp_path / "logs", args, env, port)
    try:
        srv.start()
        root = srv.root()
        assert (data_dir / "secret.key").is_file(), f"data-dir from the file was not used\n{describe_dir(data_dir)}"
        actor = Actor(_PortServer(port), root, "v3")
        actor.create_image()
        expect_error(lambda: actor.create_image(), "QuotaExceed.Image", 403)
        # log-level = "warning": neither the start-up notice nor the info-level request lines are logged
        logged = [ln for ln in srv.stderr.splitlines() if re.match(r"^\S+ (trace|debug|info|notice) ", ln)]
        assert not logged, f"log-level = \"warning\" from the file, yet: {logged[:3]}\n{srv.logs()}"
        srv.stop()
    finally:
        srv.kill()

    # a flag (no value) is `name = true`: no-migrate on a new store refuses, naming the pending migration
    fresh = tmp_path / "fresh"
    flagged = write_config(tmp_path / "flag.conf", f'port = {port}\ndata-dir = "{fresh}"\nno-migrate = true\n'
                           + (f'database = "{fresh_database_url()}"\n' if database else ""))
    refused = Configured(tmp_path / "logs", ["--config", flagged], clean_env(), port, name="no-migrate")
    rc = refused.launch().wait_exit()
    assert rc > 0 and "migration" in refused.stderr.lower(), \
        f"no-migrate = true on a new store must refuse and name the pending migration\n{refused.logs()}"


class _PortServer:
    """Just enough of ImageShareServer for conftest.Actor: clients on a port."""

    def __init__(self, port: int):
        self.port = port

    def client(self, style: str, account: Account, region: str = DEFAULT_REGION):
        return make_client(style, self.port, account, region)


def test_a_flag_beats_the_environment_which_beats_the_config_file(tmp_path):
    database = fresh_database_url()
    file_port, env_port, flag_port = free_ports(3)
    data_dir = tmp_path / "data"
    config = write_config(tmp_path / "imageshare.conf", f'port = {file_port}\ndata-dir = "{data_dir}"\n')
    base = ["--config", config, *database_args(database)]
    rounds = [
        ("flag", [*base, "--port", flag_port], clean_env(IMAGESHARE_PORT=env_port), flag_port),
        ("env", base, clean_env(IMAGESHARE_PORT=env_port), env_port),
        ("file", base, clean_env(), file_port),
    ]
    for name, args, env, expected in rounds:
        srv = Configured(tmp_path / "logs", args, env, expected, name=name)
        try:
            srv.start()
            others = [p for p in (file_port, env_port, flag_port) if p != expected and listening(p)]
            assert not others, f"{name}: also listening on {others}\n{srv.logs()}"
            srv.stop()
        finally:
            srv.kill()
    # the data directory from the file was used all along (one store, one first account)
    assert (data_dir / "secret.key").is_file(), describe_dir(data_dir)


def test_unknown_name_in_the_config_file_is_refused_naming_file_line_and_name(tmp_path):
    (port,) = free_ports(1)
    data_dir = tmp_path / "data"
    config = write_config(tmp_path / "bad.conf", f'# settings\nport = {port}\ndata-dri = "{data_dir}"\n')
    srv = Configured(tmp_path / "logs", ["--config", config, *database_args(fresh_database_url())], clean_env(),
                     port)
    rc = srv.launch().wait_exit()
    assert rc > 0, srv.logs()
    err = srv.stderr
    assert str(config) in err and "data-dri" in err and re.search(r"(?i)(line\s*3\b|:3\b)", err), \
        f"the error must name the file, line 3 and `data-dri`\n{srv.logs()}"
    assert "AccessKeySecret" not in srv.stdout, srv.logs()
    assert not data_dir.exists() and not (tmp_path / "imageshare-data").exists(), "a refused start created a store"
    assert not listening(port)


@pytest.mark.parametrize("where", ["file", "env"])
def test_a_bad_value_is_refused_with_a_clear_message(tmp_path, where):
    data_dir = tmp_path / "data"
    if where == "file":
        config = write_config(tmp_path / "bad.conf", f'port = "eighty"\ndata-dir = "{data_dir}"\n')
        args, env = ["--config", config], clean_env()
    else:
        args, env = ["--data-dir", data_dir], clean_env(IMAGESHARE_PORT="eighty")
    srv = Configured(tmp_path / "logs", [*args, *database_args(fresh_database_url())], env, free_ports(1)[0])
    rc = srv.launch().wait_exit()
    assert rc > 0, srv.logs()
    assert "eighty" in srv.stderr and "port" in srv.stderr.lower(), f"the error must name the value and port\n{srv.logs()}"
    source = f"{config} line 1" if where == "file" else "IMAGESHARE_PORT"
    assert source in srv.stderr, f"the error must say where the value was set ({source})\n{srv.logs()}"
    assert not data_dir.exists(), "a refused start created a store"


def test_every_serve_option_can_be_set_in_the_config_file(tmp_path):
    """The file and the environment know every option `serve --help` lists: each, given a value no option
    accepts, is refused for its value, never as an unknown setting."""
    proc = cli("serve", "--help")
    options = sorted(set(re.findall(r"^\s+--([a-z][a-z-]+)", proc.stdout + proc.stderr, re.MULTILINE))
                     - {"help", "version", "config"})
    assert {"port", "tls-cert", "rate-limit", "action-rate-limit", "no-migrate"} <= set(options), options
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    for option in options:
        # Any string is a path, so the data directory gets one that cannot be one (and no --data-dir flag,
        # which would win over the file).
        value = a_file if option == "data-dir" else "not a value: %%%"
        config = write_config(tmp_path / f"{option}.conf", f'{option} = "{value}"\n')
        data_dir = [] if option == "data-dir" else ["--data-dir", tmp_path / "never"]
        result = cli("serve", "--config", config, *data_dir)
        text = result.stdout + result.stderr
        assert result.returncode != 0, f"{option}: a nonsense value was accepted\n{text}"
        assert "unknown setting" not in text, f"{option} is listed by --help but unknown to the config file\n{text}"
        assert not (tmp_path / "never").exists(), f"{option}: a refused start created a store"


def test_unrelated_imageshare_variables_are_ignored(tmp_path):
    """The test suite itself exports IMAGESHARE_BIN, IMAGESHARE_COMPAT_POSTGRES_URL, ...: a variable that names
    no option must not stop a server."""
    database = fresh_database_url()
    (port,) = free_ports(1)
    env = clean_env(IMAGESHARE_PORT=port, IMAGESHARE_BIN="/nonexistent", IMAGESHARE_COMPAT_SOMETHING="x",
                    IMAGESHARE_BIN_WAIT="60")
    srv = Configured(tmp_path / "logs", ["--data-dir", tmp_path / "data", *database_args(database)], env, port)
    try:
        srv.start()
        srv.stop()
    finally:
        srv.kill()


# --------------------------------------------------------------------------
# 6. backup and restore (SQLite)
# --------------------------------------------------------------------------

@dataclasses.dataclass
class Write:
    thread: int
    index: int
    kind: str            # "add", "remove", "create"
    image: str           # image id (add/remove) or image name (create)
    account: str = ""
    started: float = 0.0
    acked: Optional[float] = None
    error: Optional[str] = None


def all_shared_accounts(actor: Actor, image_id: str) -> List[str]:
    body = actor.share_permission(image_id, PageSize=100)
    accounts = [a["AliyunId"] for a in body["Accounts"]["Account"]]
    assert body["TotalCount"] == len(accounts) == len(set(accounts)), \
        f"share list of {image_id} disagrees with its count: {body}"
    return accounts


@contextlib.contextmanager
def tracked_servers() -> Iterator[Callable[..., ImageShareServer]]:
    made: List[ImageShareServer] = []

    def make(data_dir: Path, log_dir: Path, root: Optional[Account] = None, name: str = "serve",
             serve_args: tuple = ()) -> ImageShareServer:
        log_dir.mkdir(parents=True, exist_ok=True)
        srv = ImageShareServer(data_dir, log_dir, serve_args=serve_args, name=name)
        srv.root = root
        made.append(srv)
        return srv.start()

    try:
        yield make
    finally:
        for srv in made:
            srv._kill()


@sqlite_only
def test_backup_of_a_live_store_and_restore(tmp_path):
    with tracked_servers() as start:
        data = tmp_path / "data"
        live = start(data, tmp_path / "logs", name="live", serve_args=QUOTA)
        owner = Actor(live, live.create_account("owner"), "v3")
        recipients = [live.create_account(f"r{i}") for i in range(8)]
        images = [owner.create_image(ImageName=f"shared-{i}") for i in range(3)]
        before_half, after_half = recipients[:4], recipients[4:]
        for image in images:
            owner.share(image, add=[r.account_id for r in before_half])

        # -- concurrent writes; the backup is taken in the middle --------------------------------------
        writes: List[Write] = []
        lock = threading.Lock()
        stop = threading.Event()
        backup_done = threading.Event()

        def record(w: Write, fn: Callable[[], Any]) -> None:
            w.started = time.monotonic()
            try:
                fn()
                w.acked = time.monotonic()
            except Exception as exc:  # noqa: BLE001
                w.error = repr(exc)
            with lock:
                writes.append(w)

        def sharer(thread: int, image: str) -> None:
            actor = Actor(live, owner.account, "v3")
            index = 0
            for old, new in zip(before_half, after_half):
                record(Write(thread, index, "remove", image, old.account_id),
                       lambda: actor.share(image, remove=[old.account_id]))
                record(Write(thread, index + 1, "add", image, new.account_id),
                       lambda: actor.share(image, add=[new.account_id]))
                index += 2

        def creator(thread: int) -> None:
            actor = Actor(live, owner.account, "v3")
            index = 0
            after = 0
            while not stop.is_set() and index < 150:
                name = f"bk-{thread}-{index}"
                record(Write(thread, index, "create", name), lambda: actor.create_image(InstanceId=owner.builder(),
                                                                                       ImageName=name))
                index += 1
                if backup_done.is_set():
                    after += 1
                    if after >= 3:
                        return
                stop.wait(0.02)  # pace the traffic a little: it only has to overlap the backup

        threads = [threading.Thread(target=sharer, args=(i, image)) for i, image in enumerate(images)]
        threads += [threading.Thread(target=creator, args=(10 + i,)) for i in range(2)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while len(writes) < 6 and time.monotonic() < deadline:
            time.sleep(0.01)
        backup = tmp_path / "backups" / "store.backup"
        backup.parent.mkdir()
        backup_started = time.monotonic()
        proc = cli("backup", "--to", backup, "--data-dir", data, preexec_fn=umask(0o000))
        backup_ended = time.monotonic()
        backup_done.set()
        for t in threads:
            t.join(timeout=60)
        stop.set()
        assert proc.returncode == 0, shown(proc)
        failed = [w for w in writes if w.error]
        assert not failed, f"writes failed while the backup ran: {failed[:5]}\n{live._logs()}"
        lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
        assert len(lines) == 1 and str(backup) in lines[0], f"backup must print one line naming the file\n{shown(proc)}"
        assert backup.is_file() and mode_of(backup) == 0o600, f"backup file mode {oct(mode_of(backup))} (umask 000)"
        acked_before = [w for w in writes if w.acked is not None and w.acked < backup_started]
        sent_after = [w for w in writes if w.started > backup_ended]
        assert acked_before, "no write was acknowledged before the backup started: the test did not overlap"
        assert sent_after, "no write was sent after the backup ended: the test did not overlap"

        # a second backup to the same file is refused and leaves it alone
        digest = hashlib.sha256(backup.read_bytes()).hexdigest()
        again = cli("backup", "--to", backup, "--data-dir", data)
        assert again.returncode != 0 and "exist" in again.stderr.lower(), shown(again)
        assert hashlib.sha256(backup.read_bytes()).hexdigest() == digest, "a refused backup changed the file"

        # restore is refused while the server runs on the directory
        busy = cli("restore", "--from", backup, "--data-dir", data)
        assert busy.returncode != 0, shown(busy)
        assert str(data) in busy.stderr and "stop it first" in busy.stderr, shown(busy)
        signed_call_works(live.port, owner.account, context=live._logs())

        # one more write after the backup: a restore over this directory must drop it
        late_image = owner.create_image(ImageName="after-backup")
        live_ids = owner.custom_image_ids()
        assert late_image in live_ids

        # -- restore into a new directory with --key -------------------------------------------------
        restored = tmp_path / "restored"
        proc = cli("restore", "--from", backup, "--data-dir", restored, "--key", data / "secret.key",
                   preexec_fn=umask(0o000))
        assert proc.returncode == 0, shown(proc)
        assert mode_of(restored) == 0o700, describe_dir(restored)
        assert mode_of(restored / "secret.key") == 0o600, describe_dir(restored)
        assert (restored / "secret.key").read_bytes() == (data / "secret.key").read_bytes()
        private_store_files(restored, shown(proc))
        copy = start(restored, tmp_path / "logs", root=live.root, name="restored", serve_args=QUOTA)
        check_restored_store(copy, owner, recipients, images, writes, backup_started, backup_ended, late_image)

        # -- restore into a directory holding another key: refused, that store untouched ---------------
        other_dir = tmp_path / "other"
        other = start(other_dir, tmp_path / "logs", name="other")
        other_root = other.root
        other.stop_cleanly()
        proc = cli("restore", "--from", backup, "--data-dir", other_dir)
        assert proc.returncode != 0 and "key" in proc.stderr.lower(), shown(proc)
        other.start()
        signed_call_works(other.port, other_root, context=other._logs())
        with pytest.raises(ApiError):
            make_client("v3", other.port, owner.account).call("DescribeRegions", {})
        other.stop_cleanly()

        # ... and into a new directory with a foreign --key
        foreign_key = tmp_path / "foreign.key"
        write_key(foreign_key, os.urandom(32))
        proc = cli("restore", "--from", backup, "--data-dir", tmp_path / "foreign", "--key", foreign_key)
        assert proc.returncode != 0 and "key" in proc.stderr.lower(), shown(proc)

        # -- restore over the original directory once its server stopped: the late write is gone ------
        live.stop_cleanly()
        proc = cli("restore", "--from", backup, "--data-dir", data)
        assert proc.returncode == 0, shown(proc)
        live.start()
        check_restored_store(live, owner, recipients, images, writes, backup_started, backup_ended, late_image)
        live.stop_cleanly()
        copy.stop_cleanly()


QUOTA = ("--custom-image-quota", "1000")


def owned_images(actor: Actor) -> Dict[str, str]:
    """ImageName -> ImageId of every custom image the actor owns (all pages)."""
    names: Dict[str, str] = {}
    page = 1
    while True:
        body = actor.call("DescribeImages", {"ImageOwnerAlias": "self", "PageSize": 100, "PageNumber": page})
        images = body["Images"]["Image"]
        for image in images:
            assert image["ImageName"] not in names, f"two images named {image['ImageName']}"
            names[image["ImageName"]] = image["ImageId"]
        if not images or len(names) >= body["TotalCount"]:
            assert len(names) == body["TotalCount"], body["TotalCount"]
            return names
        page += 1


def check_restored_store(srv: ImageShareServer, owner: Actor, recipients: List[Account], images: List[str],
                         writes: List[Write], backup_started: float, backup_ended: float, late_image: str) -> None:
    context = srv._logs()
    actor = Actor(srv, owner.account, "v3")
    for style in ("v3", "v2", "old"):
        signed_call_works(srv.port, srv.root, style, context)
        signed_call_works(srv.port, owner.account, style, context)
    for recipient in recipients:
        signed_call_works(srv.port, recipient, "v3", context)

    shares = {image: set(all_shared_accounts(actor, image)) for image in images}
    names = owned_images(actor)
    assert late_image not in names.values(), "a write made after the backup is in the restored store"

    def present(w: Write) -> bool:
        if w.kind == "create":
            return w.image in names
        shared = w.account in shares[w.image]
        return shared if w.kind == "add" else not shared

    by_thread: Dict[int, List[Write]] = {}
    for w in writes:
        by_thread.setdefault(w.thread, []).append(w)
    for thread, seq in by_thread.items():
        seq.sort(key=lambda w: w.index)
        flags = [present(w) for w in seq]
        for w, flag in zip(seq, flags):
            if w.acked is not None and w.acked < backup_started:
                assert flag, f"write {w} was acknowledged before the backup began but is not in it"
            if w.started > backup_ended:
                assert not flag, f"write {w} was sent after the backup ended but is in it"
        # a consistent snapshot holds a prefix of each thread's sequential writes
        assert flags == sorted(flags, reverse=True), \
            f"thread {thread}: the backup holds a non-prefix of its writes: {list(zip([w.index for w in seq], flags))}"
    # the recipients' view agrees with the share lists
    for recipient in recipients:
        seen = Actor(srv, recipient, "v3").image_ids(ImageOwnerAlias="others")
        expected = {image for image, accounts in shares.items() if recipient.account_id in accounts}
        assert seen == expected, f"{recipient.account_id} sees {seen}, the share lists say {expected}"


@sqlite_only
def test_restore_refuses_a_new_directory_without_key(tmp_path):
    with tracked_servers() as start:
        data = tmp_path / "data"
        live = start(data, tmp_path / "logs")
        backup = tmp_path / "b.backup"
        cli_ok("backup", "--to", backup, "--data-dir", data)
        target = tmp_path / "new"
        proc = cli("restore", "--from", backup, "--data-dir", target)
        assert proc.returncode != 0 and "--key" in proc.stderr, shown(proc)
        assert not (target / "secret.key").exists(), describe_dir(target)
        live.stop_cleanly()


@postgres_only
@pytest.mark.parametrize("how", ["flag", "env"])
def test_backup_of_a_postgresql_store_points_to_pg_dump(tmp_path, serves, how):
    database = fresh_database_url()
    srv = serves(tmp_path / "data", database=database).start()
    target = tmp_path / "pg.backup"
    if how == "flag":
        proc = cli("backup", "--to", target, "--data-dir", tmp_path / "data", "--database", database)
    else:
        proc = cli("backup", "--to", target, "--data-dir", tmp_path / "data",
                   env=clean_env(IMAGESHARE_DATABASE=database))
    assert proc.returncode != 0 and "pg_dump" in proc.stderr, shown(proc)
    assert not target.exists(), "a refused backup created its file"
    srv.stop()
