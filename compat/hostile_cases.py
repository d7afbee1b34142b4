"""Wire-level helpers for ``test_hostile.py``.

Everything here works on raw bytes so that a case can put anything on the wire: NUL and other control
bytes, invalid UTF-8, over-long names and values, missing or broken signature parts, odd headers,
oversized or malformed (chunked) bodies.

* :func:`pct`, :func:`v2_sign`, :func:`v3_authorization` -- hand-written V2 (HMAC-SHA1) and V3
  (ACS3-HMAC-SHA256) signers following ../shared/ecs-api.md §1.4 / §1.5;
* :class:`Wire` -- one HTTP/1.1 request as bytes, and :func:`exchange`, which sends it over a fresh
  loopback socket and reads the answer with a hard 5-second deadline (a hang is reported, never waited
  out);
* :class:`Case` -- one parametrized hostile request: how to build it from the module's fixture world, what
  the server must answer, and which parts of the account's state must be unchanged afterwards;
* :func:`check_error` -- the common verdict: a documented 4xx, a parseable body with ``RequestId``,
  ``Code`` and ``Message``, the expected code.

Every failure message produced here ends with the request that was sent and the response received.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import socket
import time
import uuid
import xml.etree.ElementTree as ET
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

RAW_TIMEOUT = 5.0               # every raw request: connect + send + answer within 5 s
API_VERSION = "2014-05-26"
REGION = "cn-hangzhou"
OTHER_REGION = "cn-shanghai"
MAX_BODY = 1 << 20              # the documented body limit (1 MiB)

Value = Union[str, bytes]       # bytes: sent as-is (percent-encoded), e.g. invalid UTF-8
Pairs = List[Tuple[Value, Value]]

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


# --------------------------------------------------------------------------
# encoding and signing
# --------------------------------------------------------------------------

def as_bytes(value: Value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def as_text(value: Value) -> str:
    """What the server decodes a value to (invalid UTF-8 becomes U+FFFD)."""
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def pct(value: Value) -> str:
    """RFC 3986 percent-encoding of the UTF-8 bytes: ``A-Z a-z 0-9 - _ . ~`` kept, upper-case hex."""
    return "".join(chr(b) if b in _UNRESERVED else "%%%02X" % b for b in as_bytes(value))


def form_encode(pairs: Pairs) -> str:
    return "&".join(f"{pct(n)}={pct(v)}" for n, v in pairs)


def timestamp(when: Optional[float] = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if when is None else when))


def nonce() -> str:
    return uuid.uuid4().hex


def canonical_query(pairs: Pairs) -> str:
    """Every pair except ``Signature``, sorted by name in byte order, encoded, joined with ``&``/``=``."""
    kept = [(as_text(n), as_text(v)) for n, v in pairs if as_text(n) != "Signature"]
    kept.sort(key=lambda p: p[0].encode("utf-8"))
    return "&".join(f"{pct(n)}={pct(v)}" for n, v in kept)


def v2_string_to_sign(pairs: Pairs, method: str = "POST") -> str:
    return f"{method.upper()}&%2F&{pct(canonical_query(pairs))}"


def v2_sign(secret: str, pairs: Pairs, method: str = "POST") -> str:
    mac = hmac.new((secret + "&").encode(), v2_string_to_sign(pairs, method).encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def v2_common(account, action: Optional[str], fmt: str = "JSON",
              region: Optional[str] = REGION) -> Dict[str, str]:
    """The common V2 parameters, in the order the wire carries them."""
    common = {
        "Action": action,
        "Version": API_VERSION,
        "Format": fmt,
        "AccessKeyId": account.access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce(),
        "Timestamp": timestamp(),
        "RegionId": region,
    }
    return {k: v for k, v in common.items() if v is not None}


def v3_canonical_request(method: str, query: Pairs, headers: Dict[str, str], signed: Sequence[str],
                         hashed_payload: str) -> str:
    q = [(as_text(n), as_text(v)) for n, v in query]
    q.sort(key=lambda p: p[0].encode("utf-8"))
    canonical_q = "&".join(f"{pct(n)}={pct(v)}" for n, v in q)
    lower = {k.lower(): v for k, v in headers.items()}
    canonical_h = "".join(f"{name}:{str(lower.get(name, '')).strip()}\n" for name in signed)
    return "\n".join([method.upper(), "/", canonical_q, canonical_h, ";".join(signed), hashed_payload])


def v3_authorization(account, method: str, query: Pairs, headers: Dict[str, str],
                     signed: Sequence[str], body: bytes) -> str:
    signed = sorted(h.lower() for h in signed)
    canonical = v3_canonical_request(method, query, headers, signed, hashlib.sha256(body).hexdigest())
    string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    signature = hmac.new(account.access_key_secret.encode(), string_to_sign.encode("utf-8"),
                         hashlib.sha256).hexdigest()
    return (f"ACS3-HMAC-SHA256 Credential={account.access_key_id},"
            f"SignedHeaders={';'.join(signed)},Signature={signature}")


# --------------------------------------------------------------------------
# one request on the wire
# --------------------------------------------------------------------------

@dataclasses.dataclass
class Wire:
    """One HTTP/1.1 request. ``raw_body`` is sent verbatim (already framed) when set; otherwise ``body``
    goes with a ``Content-Length``."""

    method: str = "POST"
    target: str = "/"
    headers: List[Tuple[str, Value]] = dataclasses.field(default_factory=list)
    body: bytes = b""
    raw_body: Optional[bytes] = None
    note: str = ""                 # what the case meant to send (shown in failures)

    def to_bytes(self, port: int) -> bytes:
        lines = [f"{self.method} {self.target} HTTP/1.1".encode("latin-1")]
        names = {name.lower() for name, _ in self.headers}
        if "host" not in names:
            lines.append(f"Host: 127.0.0.1:{port}".encode())
        for name, value in self.headers:
            lines.append(name.encode("latin-1") + b": " + (value if isinstance(value, bytes)
                                                           else value.encode("latin-1")))
        if self.raw_body is None and "content-length" not in names:
            lines.append(f"Content-Length: {len(self.body)}".encode())
        if "connection" not in names:
            lines.append(b"Connection: close")
        head = b"\r\n".join(lines) + b"\r\n\r\n"
        return head + (self.raw_body if self.raw_body is not None else self.body)

    def describe(self, limit: int = 700) -> str:
        def cut(data: bytes) -> str:
            text = repr(data[:limit])[2:-1]
            return text + (f" ... ({len(data)} bytes)" if len(data) > limit else "")

        out = [f"--- request{(' (' + self.note + ')') if self.note else ''} ---",
               f"{self.method} {cut(self.target.encode('latin-1', 'replace'))} HTTP/1.1"]
        for name, value in self.headers:
            out.append(f"{name}: {cut(value if isinstance(value, bytes) else value.encode('latin-1', 'replace'))}")
        body = self.raw_body if self.raw_body is not None else self.body
        if body:
            out.append(f"<body> {cut(body)}")
        return "\n".join(out)


@dataclasses.dataclass
class Reply:
    status: Optional[int] = None
    reason: str = ""
    headers: Dict[str, str] = dataclasses.field(default_factory=dict)
    body: bytes = b""
    hung: bool = False             # no complete answer within the deadline
    closed: bool = False           # the server closed (or reset) the connection without an answer
    send_error: str = ""
    elapsed: float = 0.0

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def describe(self, limit: int = 1500) -> str:
        out = ["--- response ---"]
        if self.send_error:
            out.append(f"(sending failed: {self.send_error})")
        if self.hung:
            out.append(f"(no complete answer within {RAW_TIMEOUT:.0f} s)")
        if self.status is None:
            out.append("(connection closed without a response)" if self.closed else "(no response)")
        else:
            out.append(f"HTTP {self.status} {self.reason}  [{self.elapsed * 1000:.0f} ms]")
            for name, value in self.headers.items():
                out.append(f"{name}: {value}")
        if self.body:
            text = self.body[:limit].decode("utf-8", "replace")
            out.append(text + (f" ... ({len(self.body)} bytes)" if len(self.body) > limit else ""))
        return "\n".join(out)


def _parse(buffer: bytes, eof: bool) -> Optional[Reply]:
    """A complete response from ``buffer``, or None while more bytes are needed."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    head = buffer[:head_end].decode("latin-1").split("\r\n")
    status_parts = head[0].split(" ", 2)
    reply = Reply(status=int(status_parts[1]), reason=status_parts[2] if len(status_parts) > 2 else "")
    for line in head[1:]:
        name, _, value = line.partition(":")
        reply.headers[name.strip().lower()] = value.strip()
    rest = buffer[head_end + 4:]
    if reply.status in (100, 102, 103):      # interim response: keep reading
        following = _parse(rest, eof)
        return following
    if "chunked" in reply.headers.get("transfer-encoding", "").lower():
        body, pos = b"", 0
        while True:
            line_end = rest.find(b"\r\n", pos)
            if line_end < 0:
                return reply if eof else None
            size = int(rest[pos:line_end].split(b";")[0].strip() or b"0", 16)
            if size == 0:
                reply.body = body
                return reply
            if len(rest) < line_end + 2 + size + 2:
                if eof:
                    reply.body = body + rest[line_end + 2:]
                    return reply
                return None
            body += rest[line_end + 2:line_end + 2 + size]
            pos = line_end + 2 + size + 2
    if "content-length" in reply.headers:
        length = int(reply.headers["content-length"])
        if len(rest) < length and not eof:
            return None
        reply.body = rest[:length]
        return reply
    if reply.status in (204, 304) or 100 <= reply.status < 200:
        return reply
    if not eof:
        return None
    reply.body = rest
    return reply


def exchange(port: int, wire: Wire, timeout: float = RAW_TIMEOUT) -> Reply:
    """Send ``wire`` on a fresh connection; read one response. Never blocks longer than ``timeout``."""
    start = time.monotonic()
    deadline = start + timeout
    data = wire.to_bytes(port)
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    send_error = ""
    buffer = b""
    eof = False
    hung = False
    try:
        try:
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            sock.sendall(data)
        except socket.timeout:
            send_error = "timed out while sending (the server stopped reading)"
        except OSError as exc:          # EPIPE / ECONNRESET: the server answered early and closed
            send_error = f"{type(exc).__name__}: {exc}"
        while True:
            parsed = _parse(buffer, eof) if buffer else None
            if parsed is not None or eof:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                hung = True
                break
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                hung = True
                break
            except OSError:
                eof = True
                continue
            if not chunk:
                eof = True
            buffer += chunk
    finally:
        sock.close()
    reply = _parse(buffer, True) if buffer else None
    if reply is None:
        reply = Reply(closed=eof and not hung)
    reply.hung = hung
    reply.send_error = send_error
    reply.elapsed = time.monotonic() - start
    return reply


# --------------------------------------------------------------------------
# request builders
# --------------------------------------------------------------------------

def v2_wire(account, action: Optional[str], params: Pairs = (), *, body_params: Pairs = (),
            fmt: str = "JSON", region: Optional[str] = REGION, set_common: Optional[Dict[str, Any]] = None,
            drop: Sequence[str] = (), sign: bool = True, after_sign: Optional[Callable[[str], str]] = None,
            headers: Sequence[Tuple[str, Value]] = (), method: str = "POST", note: str = "") -> Wire:
    """A V2 request: common parameters + ``params`` in the query, ``body_params`` as a form body.

    ``set_common`` replaces common values before signing (a value may be a callable of the old value),
    ``drop`` leaves common parameters out, ``sign=False`` sends no ``Signature``, ``after_sign`` alters the
    computed signature (so the rest of the request is validly signed)."""
    common: Dict[str, Any] = v2_common(account, action, fmt, region)
    for name, value in (set_common or {}).items():
        common[name] = value(common.get(name, "")) if callable(value) else value
    for name in drop:
        common.pop(name, None)
    query: Pairs = list(common.items()) + list(params)
    body_pairs = list(body_params)
    if sign:
        signature = v2_sign(account.access_key_secret, query + body_pairs, method)
        query.append(("Signature", after_sign(signature) if after_sign else signature))
    body = form_encode(body_pairs).encode("ascii") if body_pairs else b""
    hdrs = list(headers)
    if body_pairs and not any(n.lower() == "content-type" for n, _ in hdrs):
        hdrs.append(("Content-Type", "application/x-www-form-urlencoded"))
    return Wire(method=method, target="/?" + form_encode(query), headers=hdrs, body=body, note=note)


def v3_wire(account, action: str, query: Pairs = (), *, body_params: Pairs = (), body: Optional[bytes] = None,
            content_type: Optional[str] = None, sign_content_type: bool = True,
            nonce_value: Optional[Value] = None, extra_headers: Sequence[Tuple[str, Value]] = (),
            port: int = 0, note: str = "") -> Wire:
    """A V3 (ACS3-HMAC-SHA256) request with ``query`` and an optional form (or raw) body.

    ``nonce_value`` may be bytes (sent verbatim in the header; the signature uses their UTF-8 reading with
    U+FFFD for invalid sequences, which is what the server sees)."""
    if body is None:
        body = form_encode(list(body_params)).encode("ascii") if body_params else b""
        if body_params and content_type is None:
            content_type = "application/x-www-form-urlencoded"
    the_nonce = nonce() if nonce_value is None else nonce_value
    headers: Dict[str, str] = {
        "host": f"127.0.0.1:{port}",
        "x-acs-action": action,
        "x-acs-version": API_VERSION,
        "x-acs-date": timestamp(),
        # bytes: the server reads header bytes as UTF-8 (invalid sequences become U+FFFD)
        "x-acs-signature-nonce": the_nonce.decode("utf-8", "replace") if isinstance(the_nonce, bytes) else the_nonce,
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
        "accept": "application/json",
    }
    if content_type is not None:
        headers["content-type"] = content_type
    signed = [h for h in headers if h != "content-type" or sign_content_type]
    authorization = v3_authorization(account, "POST", list(query), headers, signed, body)
    wire_headers: List[Tuple[str, Value]] = []
    for name, value in headers.items():
        if name == "x-acs-signature-nonce" and isinstance(the_nonce, bytes):
            wire_headers.append((name, the_nonce))
        else:
            wire_headers.append((name, value.encode("latin-1")))
    wire_headers += list(extra_headers)
    wire_headers.append(("Authorization", authorization))
    target = "/" + ("?" + form_encode(list(query)) if query else "")
    return Wire(method="POST", target=target, headers=wire_headers, body=body, note=note)


# --------------------------------------------------------------------------
# verdicts
# --------------------------------------------------------------------------

def parse_error_body(reply: Reply) -> Tuple[Optional[Dict[str, Any]], str]:
    """(fields, problem): the error body's top-level fields, parsed as XML or JSON by content type."""
    if not reply.body:
        return None, "empty body"
    if "xml" in reply.content_type.lower():
        try:
            root = ET.fromstring(reply.body)
        except ET.ParseError as exc:
            return None, f"XML body does not parse with xml.etree: {exc}"
        return {child.tag: (child.text or "") for child in root}, ""
    try:
        obj = json.loads(reply.body)
    except ValueError as exc:
        return None, f"body is not JSON (content-type {reply.content_type!r}): {exc}"
    if not isinstance(obj, dict):
        return None, "JSON body is not an object"
    return obj, ""


def check_error(reply: Reply, status: int, codes: Sequence[str], *, names: Sequence[str] = (),
                fmt: Optional[str] = None) -> List[str]:
    """Problems with ``reply`` as the answer to a hostile request (empty list: fine)."""
    problems: List[str] = []
    if reply.hung:
        return [f"the server did not answer within {RAW_TIMEOUT:.0f} s (hang)"]
    if reply.status is None:
        return [f"the connection was closed without an answer; expected HTTP {status} {'/'.join(codes)}"]
    if reply.status >= 500:
        problems.append(f"HTTP {reply.status}: a server error for client input")
    if reply.status != status:
        problems.append(f"expected HTTP {status}, got HTTP {reply.status}")
    fields, problem = parse_error_body(reply)
    if fmt == "XML" and "xml" not in reply.content_type.lower():
        try:
            ET.fromstring(reply.body)
            parses = "it parses as XML all the same"
        except ET.ParseError as exc:
            parses = f"it does not parse with xml.etree ({exc})"
        problems.append(f"Format=XML was requested, but the answer has content type {reply.content_type!r}; "
                        f"{parses}")
    if fmt == "JSON" and "json" not in reply.content_type.lower():
        problems.append(f"Format=JSON but the content type is {reply.content_type!r}")
    if fields is None:
        problems.append(problem)
        return problems
    for key in ("RequestId", "Code", "Message"):
        if not isinstance(fields.get(key), str) or not fields.get(key):
            problems.append(f"error body has no non-empty {key}")
    code = fields.get("Code")
    if code not in codes:
        problems.append(f"expected Code {' or '.join(codes)}, got {code!r}")
    message = str(fields.get("Message", ""))
    for name in names:
        if name not in message:
            problems.append(f"Message does not name the parameter {name[:40]!r}: {message[:300]!r}")
    return problems


def check_success(reply: Reply, fmt: str = "JSON") -> Tuple[List[str], Optional[Any]]:
    """Problems with ``reply`` as the answer to a valid request, and its parsed body."""
    if reply.hung:
        return [f"the server did not answer within {RAW_TIMEOUT:.0f} s (hang)"], None
    if reply.status != 200:
        return [f"expected HTTP 200, got {reply.status}"], None
    if fmt == "XML":
        try:
            root = ET.fromstring(reply.body)
        except ET.ParseError as exc:
            return [f"XML body does not parse with xml.etree: {exc}"], None
        if not root.findtext("RequestId"):
            return ["XML body has no RequestId"], root
        return [], root
    try:
        obj = json.loads(reply.body)
    except ValueError as exc:
        return [f"body is not JSON: {exc}"], None
    if not obj.get("RequestId"):
        return ["JSON body has no RequestId"], obj
    return [], obj


# --------------------------------------------------------------------------
# the case model
# --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Case:
    """One hostile request.

    ``build(world) -> Wire`` makes the request (fresh nonce and timestamp each time). The server must
    answer HTTP ``status`` with one of ``codes``; ``names`` must appear in the Message; ``state`` names the
    parts of the account's state (see ``test_hostile.World.snapshot``) that must read back unchanged.
    ``transport=True`` relaxes the verdict to "4xx other than 413, or the connection closed -- never a
    5xx, never a hang" (malformed chunked bodies)."""

    id: str
    build: Callable[[Any], Wire]
    status: int = 400
    codes: Tuple[str, ...] = ("InvalidParameter",)
    names: Tuple[str, ...] = ()
    state: Tuple[str, ...] = ()
    fmt: Optional[str] = "JSON"
    transport: bool = False

    def __repr__(self) -> str:   # shows in pytest's failure header
        return f"Case({self.id})"
