"""Rate limits (`--rate-limit RATE[/BURST]` per AccessKey, `--action-rate-limit Action=RATE[/BURST]` per
AccessKey and Action) and connection floods.

A refused request gets HTTP 400, ECS's common code ``Throttling`` (the one the old SDK retries; ECS's
``Throttling.User`` / ``Throttling.Api`` variants are not retried by it), the usual RequestId and a header
``x-acs-retry-after`` with the milliseconds until a token is available. What the SDKs do with that:

* new SDK (alibabacloud_tea_openapi 0.4.6, ``client.py`` ``do_request``/``do_rpcrequest``): any 4xx/5xx with a
  positive integer ``x-acs-retry-after`` raises ``ThrottlingException`` (``retry_after`` = the header, in ms;
  ``Utils.get_throttling_time_left``); it retries only with ``Config(retry_options=RetryOptions(...))`` whose
  ``retryCondition`` names ``ThrottlingException`` or the code, and then sleeps ``retry_after`` ms
  (``DaraCore.get_backoff_time``). ``RuntimeOptions(autoretry=...)`` is ignored by this version.
* old SDK (aliyunsdkcore 2.16.1): retries Describe* (``data/retry_config.json`` ``RetryableAPIs``) on the codes
  listed in ``RetryableThrottlingErrors`` -- for ECS exactly ``["Throttling"]``, compared with ``in`` (no prefix
  match) in ``retry/retry_condition.py`` ``RetryOnExceptionCondition`` -- with a jittered exponential backoff
  from 500 ms; it never reads ``x-acs-retry-after``.
"""
from __future__ import annotations

import resource
import socket
import threading
import time
from typing import Any, List, Optional, Tuple

import pytest

from conftest import (DEFAULT_REGION, Account, Actor, ApiError, ImageShareServer, NewSdkClient, expect_error,
                      fresh_database_url, make_client)
from hostile_cases import exchange, v2_wire
from test_operations import reply_fields, scrape, serves  # noqa: F401  (serves is a fixture)

REGION = DEFAULT_REGION
# Both buckets answer ECS's common throttling code and message.
USER_CODE = API_CODE = "Throttling"
USER_MESSAGE = API_MESSAGE = ("You have made too many requests within a short time; "
                              "your request is denied due to request throttling.")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def limited_server(start_server, *args) -> ImageShareServer:
    return start_server(*[str(a) for a in args])


def throttled(fn, code: str, message: str, max_wait_ms: float) -> ApiError:
    """``fn`` must be refused with ``code`` (HTTP 400, RequestId); through the new SDK the refusal carries a
    positive ``retry_after`` (ms) no longer than ``max_wait_ms``."""
    error = expect_error(fn, code, 400)
    assert message in str(error.message), f"message {error.message!r}, expected {message!r}"
    original = error.original
    if error.style in ("v3", "v2"):
        from alibabacloud_tea_openapi.exceptions import ThrottlingException
        assert isinstance(original, ThrottlingException), \
            f"[{error.style}] the SDK raised {type(original).__name__}: no positive x-acs-retry-after header"
        assert 0 < original.retry_after <= max_wait_ms, \
            f"x-acs-retry-after {original.retry_after} ms, expected 1..{max_wait_ms:.0f}"
    return error


def raw_refusal(port: int, account: Account, action: str, params=(), *, code: str, message: str,
                max_wait_ms: float) -> int:
    """A raw V2 request that must be refused; checks the exact body and header; returns the retry-after ms."""
    reply = exchange(port, v2_wire(account, action, list(params)))
    fields = reply_fields(reply)
    assert reply.status == 400, reply.describe()
    assert (fields.get("Code"), fields.get("Message")) == (code, message), reply.describe()
    assert fields.get("RequestId"), reply.describe()
    header = reply.headers.get("x-acs-retry-after", "")
    assert header.isdigit() and 0 < int(header) <= max_wait_ms, \
        f"x-acs-retry-after must be 1..{max_wait_ms:.0f} ms, got {header!r}\n{reply.describe()}"
    return int(header)


def wait_ms(ms: float) -> None:
    time.sleep(ms / 1000 + 0.05)


# --------------------------------------------------------------------------
# per AccessKey
# --------------------------------------------------------------------------

def test_rate_limit_is_off_by_default(start_server):
    srv = start_server()
    client = srv.client("v3", srv.create_account("unlimited"))
    for _ in range(30):
        client.call("DescribeRegions", {})


def test_burst_is_accepted_then_throttled_then_accepted_after_waiting(start_server):
    srv = limited_server(start_server, "--rate-limit", "1/5")
    account = srv.create_account("limited")
    client = srv.client("v3", account)
    started = time.monotonic()
    for index in range(5):
        client.call("DescribeRegions", {})
    error = throttled(lambda: client.call("DescribeRegions", {}), USER_CODE, USER_MESSAGE, max_wait_ms=1000)
    assert time.monotonic() - started < 1.0, "the burst took a second: the test cannot tell refill from burst"
    # the old SDK sees the same refusal (ServerException code, status, RequestId) on an action it does not
    # retry (it retries Throttling on DescribeImageSharePermission and the other Describe calls)
    throttled(lambda: srv.client("old", account).call("ModifyImageSharePermission",
                                                       {"RegionId": REGION, "ImageId": "m-x", "AddAccount": ["1"]}),
              USER_CODE, USER_MESSAGE, max_wait_ms=1000)
    retry_after = raw_refusal(srv.port, account, "DescribeRegions", code=USER_CODE, message=USER_MESSAGE,
                              max_wait_ms=1000)
    wait_ms(retry_after)
    client.call("DescribeRegions", {})


def test_refused_requests_change_nothing(start_server):
    srv = limited_server(start_server, "--rate-limit", "1/4")
    owner = srv.create_account("owner")
    friend = srv.create_account("friend")
    second_key = srv.create_key(owner.account_id)          # its own bucket, same account
    checker = Actor(srv, second_key, "v3")
    image = checker.create_image(ImageName="not-to-be-shared")   # RunInstances + CreateImage: 2 of 4 tokens
    client = srv.client("v3", owner)
    for _ in range(4):
        client.call("DescribeRegions", {})
    throttled(lambda: client.call("ModifyImageSharePermission",
                                  {"RegionId": REGION, "ImageId": image, "AddAccount": [friend.account_id]}),
              USER_CODE, USER_MESSAGE, max_wait_ms=1000)
    throttled(lambda: client.call("DeleteImage", {"RegionId": REGION, "ImageId": image}),
              USER_CODE, USER_MESSAGE, max_wait_ms=1000)
    assert checker.shared_accounts(image) == [], "a throttled share was applied"
    assert image in checker.custom_image_ids(), "a throttled delete was applied"


def test_another_access_key_is_not_affected(start_server):
    srv = limited_server(start_server, "--rate-limit", "1/3")
    a, b = srv.create_account("a"), srv.create_account("b")
    a_client, b_client = srv.client("v3", a), srv.client("v2", b)
    for _ in range(3):
        a_client.call("DescribeRegions", {})
    throttled(lambda: a_client.call("DescribeRegions", {}), USER_CODE, USER_MESSAGE, max_wait_ms=1000)
    for _ in range(3):
        b_client.call("DescribeRegions", {})
    # a second key of the throttled account has its own bucket
    a2 = srv.create_key(a.account_id)
    srv.client("v3", a2).call("DescribeRegions", {})


# --------------------------------------------------------------------------
# per AccessKey and Action
# --------------------------------------------------------------------------

def test_per_action_limit_hits_only_that_action(start_server):
    srv = limited_server(start_server, "--action-rate-limit", "DescribeImages=1/2",
                         "--action-rate-limit", "DescribeInstances=1/1")
    account, other = srv.create_account("acting"), srv.create_account("other")
    client = srv.client("v3", account)
    images = {"RegionId": REGION, "ImageOwnerAlias": "system", "PageSize": 1}
    for _ in range(2):
        client.call("DescribeImages", images)
    throttled(lambda: client.call("DescribeImages", images), API_CODE, API_MESSAGE, max_wait_ms=1000)
    raw_refusal(srv.port, account, "DescribeImages", [("ImageOwnerAlias", "system")], code=API_CODE,
                message=API_MESSAGE, max_wait_ms=1000)
    for _ in range(10):     # no per-key limit: other actions go on
        client.call("DescribeRegions", {})
    # the second --action-rate-limit holds too
    client.call("DescribeInstances", {"RegionId": REGION})
    throttled(lambda: client.call("DescribeInstances", {"RegionId": REGION}), API_CODE, API_MESSAGE,
              max_wait_ms=1000)
    # per AccessKey: another key's DescribeImages is untouched
    other_client = srv.client("v3", other)
    for _ in range(2):
        other_client.call("DescribeImages", images)


# --------------------------------------------------------------------------
# what the SDKs do with a refusal
# --------------------------------------------------------------------------

def old_sdk_retryable_throttling_codes() -> List[str]:
    import aliyunsdkcore.utils
    config = aliyunsdkcore.utils._load_json_from_data_dir("retry_config.json")
    return config["ecs"]["2014-05-26"]["RetryableThrottlingErrors"]


def test_old_sdk_retries_a_throttled_describe_call_until_it_succeeds(start_server, monkeypatch):
    srv = limited_server(start_server, "--rate-limit", "2/1")
    account = srv.create_account("old-sdk")
    client = srv.client("old", account)
    from aliyunsdkcore.client import AcsClient
    attempts: List[Tuple[Optional[int], Optional[str]]] = []
    original = AcsClient._handle_single_request

    def counting(self, *args, **kwargs):
        status, headers, body, exception = original(self, *args, **kwargs)
        code = exception.get_error_code() if exception is not None and hasattr(exception, "get_error_code") else None
        attempts.append((status, code))
        return status, headers, body, exception

    monkeypatch.setattr(AcsClient, "_handle_single_request", counting)
    for index in range(4):
        try:
            client.call("DescribeRegions", {})
        except ApiError as error:
            retryable = old_sdk_retryable_throttling_codes()
            pytest.fail(f"call {index + 1}: the old SDK gave up with {error.code} after {len(attempts)} attempts "
                        f"{attempts}. aliyunsdkcore retries a Describe* call only on the codes in "
                        f"retry_config.json RetryableThrottlingErrors = {retryable} (exact match, "
                        f"retry/retry_condition.py RetryOnExceptionCondition), so a refusal coded {error.code!r} "
                        f"is never retried", pytrace=False)
    refusals = [a for a in attempts if a[0] == 400]
    assert refusals, f"no call was throttled at 2/s with a burst of 1: {attempts}"


def test_new_sdk_raises_throttling_exception_and_retries_with_retry_options(start_server, monkeypatch):
    srv = limited_server(start_server, "--rate-limit", "2/1")
    account = srv.create_account("new-sdk")
    plain = srv.client("v3", account)
    plain.call("DescribeRegions", {})
    throttled(lambda: plain.call("DescribeRegions", {}), USER_CODE, USER_MESSAGE, max_wait_ms=500)

    from alibabacloud_ecs20140526.client import Client as EcsClient
    from alibabacloud_tea_openapi.utils_models import Config
    from darabonba.core import DaraCore
    from darabonba.policy.retry import RetryOptions

    retrying = NewSdkClient("v3", srv.port, account, REGION)
    retrying.sdk = EcsClient(Config(
        access_key_id=account.access_key_id, access_key_secret=account.access_key_secret,
        endpoint=f"127.0.0.1:{srv.port}", protocol="http", region_id=REGION,
        retry_options=RetryOptions({"retryable": True, "retryCondition": [
            {"maxAttempts": 6, "exception": ["ThrottlingException"], "errorCode": [USER_CODE, API_CODE],
             "maxDelay": 5000}]})))
    statuses: List[int] = []
    original = DaraCore.do_action

    def counting(request, runtime_option=None):
        response = original(request, runtime_option)
        statuses.append(response.status_code)
        return response

    monkeypatch.setattr(DaraCore, "do_action", staticmethod(counting))
    started = time.monotonic()
    for _ in range(4):
        retrying.call("DescribeRegions", {})
    elapsed = time.monotonic() - started
    assert statuses.count(400) >= 1, f"no call was throttled: {statuses}"
    assert statuses.count(200) == 4, statuses
    # 4 calls at 2/s from an empty bucket need about 2 s; much less means the limit did not hold
    assert elapsed >= 1.5, f"4 calls at 2/s (burst 1, bucket empty) took only {elapsed:.2f}s: {statuses}"


# --------------------------------------------------------------------------
# the bucket under concurrency
# --------------------------------------------------------------------------

def hammer(clients: List[Any], seconds: float) -> Tuple[int, int, float, List[str]]:
    """Call DescribeRegions from one thread per client for ``seconds``; (accepted, refused, elapsed, odd errors)."""
    accepted, refused, odd = [0], [0], []
    lock = threading.Lock()
    barrier = threading.Barrier(len(clients) + 1)
    first_send: List[float] = []
    last_done: List[float] = [0.0]

    def run(client) -> None:
        barrier.wait()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            sent = time.monotonic()
            try:
                client.call("DescribeRegions", {})
                outcome = "ok"
            except ApiError as error:
                outcome = "throttled" if error.code == USER_CODE else f"{error.code} {error.http_status}"
            done = time.monotonic()
            with lock:
                if not first_send or sent < first_send[0]:
                    first_send[:] = [sent]
                if outcome == "ok":
                    accepted[0] += 1
                    last_done[0] = max(last_done[0], done)
                elif outcome == "throttled":
                    refused[0] += 1
                else:
                    odd.append(outcome)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    barrier.wait()
    for t in threads:
        t.join(timeout=seconds + 30)
    return accepted[0], refused[0], max(0.0, last_done[0] - first_send[0]), odd


def check_bucket(accepted: int, refused: int, elapsed: float, odd: List[str], rate: float, burst: int,
                 tolerance: int) -> None:
    assert not odd, f"unexpected errors: {odd[:5]}"
    assert refused > 0, f"nothing was refused ({accepted} accepted in {elapsed:.2f}s)"
    ceiling = rate * elapsed + burst + tolerance
    floor = burst + 0.5 * rate * elapsed
    assert accepted <= ceiling, f"{accepted} accepted in {elapsed:.2f}s at {rate}/s burst {burst}: " \
                                f"more than {ceiling:.1f}"
    assert accepted >= floor, f"only {accepted} accepted in {elapsed:.2f}s at {rate}/s burst {burst} " \
                              f"(expected at least {floor:.1f}): the limiter starves the key"


def test_concurrent_callers_share_one_bucket(start_server):
    rate, burst = 5, 5
    srv = limited_server(start_server, "--rate-limit", f"{rate}/{burst}")
    account = srv.create_account("busy")
    clients = [srv.client("v3", account) for _ in range(4)]
    check_bucket(*hammer(clients, 2.0), rate=rate, burst=burst, tolerance=1)


@pytest.mark.multinode
def test_two_nodes_share_the_buckets(tmp_path):
    rate, burst = 5, 5
    database = fresh_database_url()
    nodes: List[ImageShareServer] = []
    try:
        for name in ("node-a", "node-b"):
            node = ImageShareServer(tmp_path / "data", tmp_path / "logs", serve_args=("--rate-limit", f"{rate}/{burst}"),
                                    database_url=database, name=name)
            (tmp_path / "logs").mkdir(exist_ok=True)
            if nodes:
                node.root = nodes[0].root
            nodes.append(node.start())
        account = nodes[0].create_account("shared-bucket")
        clients = [node.client("v3", account) for node in nodes for _ in range(2)]
        check_bucket(*hammer(clients, 2.5), rate=rate, burst=burst, tolerance=len(nodes))
        for node in nodes:
            node.stop_cleanly()
    finally:
        for node in nodes:
            node._kill()


# --------------------------------------------------------------------------
# connection floods
# --------------------------------------------------------------------------

IDLE = 1000
DRIPPERS = 50


def raise_open_file_limit(needed: int) -> Tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return soft, hard
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, max(hard, needed)))
    except (ValueError, OSError) as exc:
        pytest.skip(f"cannot raise RLIMIT_NOFILE to {needed} (soft {soft}, hard {hard}): {exc}")
    return soft, hard


def test_signed_calls_answer_within_a_second_under_a_connection_flood(tmp_path, serves):
    previous = resource.getrlimit(resource.RLIMIT_NOFILE)
    raise_open_file_limit(IDLE + DRIPPERS + 500)
    srv = serves(tmp_path / "data", "--max-connections", 2000, "--header-timeout", 60, "--idle-timeout", 60,
                 database=fresh_database_url()).start()
    root = srv.root()
    idle: List[socket.socket] = []
    drippers: List[socket.socket] = []
    stop = threading.Event()
    dripped = [0]

    def drip() -> None:
        while not stop.wait(0.5):
            for sock in drippers:
                try:
                    sock.send(b"a")
                    dripped[0] += 1
                except OSError:
                    pass

    dripper = threading.Thread(target=drip, daemon=True)
    try:
        for _ in range(IDLE):
            idle.append(socket.create_connection(("127.0.0.1", srv.port), timeout=5))
        for _ in range(DRIPPERS):
            sock = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            drippers.append(sock)
        dripper.start()
        time.sleep(1.0)   # let the slow clients drip a little while the idle ones sit
        latencies = []
        for style in ("v3", "v2", "old", "v3", "v3"):
            client = make_client(style, srv.port, root)
            began = time.monotonic()
            client.call("DescribeRegions", {})
            latencies.append((style, round(time.monotonic() - began, 3)))
        slow = [l for l in latencies if l[1] >= 1.0]
        assert not slow, f"signed calls under a flood of {IDLE} idle and {DRIPPERS} slow connections took " \
                         f"{latencies}\n{srv.logs()}"
        assert dripped[0] >= DRIPPERS, "the slow clients did not drip"
        # the flood was real: the server holds the connections open
        deadline = time.monotonic() + 10
        while True:
            open_now = scrape(srv.port).gauge("imageshare_connections")
            if open_now >= IDLE + DRIPPERS:
                break
            assert time.monotonic() < deadline, \
                f"imageshare_connections is {open_now}; the server did not accept the {IDLE + DRIPPERS} connections"
            time.sleep(0.2)
    finally:
        stop.set()
        if dripper.is_alive():
            dripper.join(timeout=5)
        for sock in idle + drippers:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, previous)
    srv.stop()
