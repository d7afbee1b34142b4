"""Replay protection survives a crash (issue 15, item 2): every nonce acknowledged before a SIGKILL is refused
after the restart.

Sixteen threads send pre-signed DescribeRegions requests (V2 and V3, each with its own nonce) over fresh
connections; when half of them have been answered the server gets SIGKILL, so some requests are in flight
and some were never sent. After each restart every request acknowledged in this or an earlier round is
replayed byte for byte: each must be refused with ``SignatureNonceUsed``. Runs on the engine of the pass
(SQLite's append-only nonce log read back at start; PostgreSQL's nonce table).
"""
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import List

from crash_workload import kill_server
from hostile_cases import Wire, exchange, parse_error_body, v2_wire, v3_wire

ROUNDS = 3
REQUESTS_PER_ROUND = 400


def _signed_requests(account, port: int, count: int) -> List[Wire]:
    # V3 signs the Host header: the requests keep naming the first port, which the server does not check.
    return [v3_wire(account, "DescribeRegions", port=port) if index % 2 else v2_wire(account, "DescribeRegions")
            for index in range(count)]


def _send_until_killed(server, wires: List[Wire]) -> List[Wire]:
    """Send ``wires`` from 16 threads; SIGKILL the server once half are answered. Returns the acknowledged."""
    port = server.port
    acknowledged: List[Wire] = []
    lock = threading.Lock()
    half_answered = threading.Event()

    def send(wire: Wire) -> None:
        if half_answered.is_set():
            return
        reply = exchange(port, wire, timeout=5.0)
        if reply.status == 200:
            with lock:
                acknowledged.append(wire)
                if len(acknowledged) >= len(wires) // 2:
                    half_answered.set()

    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(send, wire) for wire in wires]
        half_answered.wait(timeout=60)
        kill_server(server)
        for future in futures:
            future.result()
    return acknowledged


def test_every_nonce_acknowledged_before_a_sigkill_is_refused_after_the_restart(fresh_server):
    account = fresh_server.root
    first_port = fresh_server.port
    acknowledged: List[Wire] = []
    for round_no in range(ROUNDS):
        wires = _signed_requests(account, first_port, REQUESTS_PER_ROUND)
        answered = _send_until_killed(fresh_server, wires)
        assert len(answered) >= REQUESTS_PER_ROUND // 2, f"round {round_no + 1}: only {len(answered)} answered"
        assert len(answered) < REQUESTS_PER_ROUND, f"round {round_no + 1}: the kill came after the last request"
        acknowledged += answered
        fresh_server.start()

        accepted_again = []
        for wire in acknowledged:
            reply = exchange(fresh_server.port, wire)
            fields, problem = parse_error_body(reply) if reply.status != 200 else (None, "")
            if reply.status != 400 or not fields or fields.get("Code") != "SignatureNonceUsed":
                accepted_again.append((reply.status, fields or problem, wire.note))
        assert not accepted_again, (
            f"round {round_no + 1}: {len(accepted_again)} of {len(acknowledged)} acknowledged requests were not "
            f"refused as replays after the SIGKILL and restart, e.g. {accepted_again[:3]}")

    # The store is not stuck refusing everything: a new nonce still goes through.
    fresh = _signed_requests(account, fresh_server.port, 2)
    assert [exchange(fresh_server.port, wire).status for wire in fresh] == [200, 200]
