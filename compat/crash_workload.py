"""Concurrent write traffic, a ledger of every call, and the checks that follow a crash (issue 13, item 1).

``test_crash_safety.py`` drives this module: a :class:`CrashRig` owns one ``imageshare serve`` process and
its store, runs rounds of share / unshare / CreateImage / CopyImage / DeleteImage traffic from several
threads, lets the test crash something (the server, or the PostgreSQL server under it), and after the
restart compares what the store holds with what the clients were told.

How the ledger stays exact although eight threads write at once:

* Every (image, recipient) pair is managed by exactly one worker thread, and a worker makes one call at a
  time, so the expected state of a pair is simply the state set by the last call that touched it.
* Images made by the workload are never shared, and only the worker that made an image copies or deletes it.
  The four "stable" images of each owner are shared by all of the owner's workers at once (disjoint
  recipients, the same image row and share counter), and they are copied but never deleted.
* A worker stops at its first call whose outcome it cannot know (no answer at the kill, or a 5xx answer
  such as the 503 while the database is down), so at most one call per worker is in flight when the crash
  lands: the checks accept its effect as either wholly applied or not applied at all, never partly.
* Only a 4xx refusal counts as "changed nothing"; the cap refusal (QuotaExceed.ShareImageUser) is the one
  refusal this workload should ever get.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import signal
import subprocess
import threading
import time
import traceback
import uuid
from collections import Counter
from pathlib import Path
from typing import Callable, Dict, List, Optional, Set, Tuple

from conftest import (DEFAULT_REGION, OTHER_REGION, PUBLIC_IMAGE, STYLES, Account, Actor, ApiError,
                      ImageShareServer, PostgresCluster)

SHARE_CAP = 50              # ECS: one image may be shared with at most 50 accounts
WORKERS = 8                 # traffic threads, split over the owners
OWNER_COUNT = 2
RECIPIENT_COUNT = 56        # more than the cap, so the capped images can be pushed past it
BUSY_RECIPIENTS = 20        # the busy images share among these only: they never reach the cap
CAP_PREFILL_PER_WORKER = 11  # 4 workers x 11 = 44 shares before the traffic: the cap is met within a round
BATCH_MAX = 5               # accounts per AddAccount / RemoveAccount in one call (ECS allows 10)
OWN_IMAGE_LIMIT = 8         # a worker deletes instead of creating once it holds this many images
SHARE_PAGE_SIZE = 10        # small, so that a capped share list spans several pages
REGIONS = (DEFAULT_REGION, OTHER_REGION)
TAG_KEY = "crash-op"        # every image carries its own name under this tag: an image without it is partial
WRITE_ACTIONS = ("ModifyImageSharePermission", "CreateImage", "CopyImage", "DeleteImage")


def log(line: str) -> None:
    print(line, flush=True)


def is_connection_failure(exc: BaseException) -> bool:
    """The call never got an answer: the server is gone (both SDKs report it in their own way)."""
    try:
        from Tea.exceptions import UnretryableException
    except ImportError:  # pragma: no cover - the new SDK is always installed with the suite
        UnretryableException = ()
    from aliyunsdkcore.acs_exception.exceptions import ClientException
    if isinstance(exc, ClientException):
        return exc.get_error_code() == "SDK.HttpError"
    return isinstance(exc, (UnretryableException, ConnectionError, OSError))


# --------------------------------------------------------------------------
# the ledger
# --------------------------------------------------------------------------

@dataclasses.dataclass
class Call:
    """One request and what became of it."""
    seq: int
    round: int
    worker: int
    style: str
    action: str
    region: str
    params: dict
    outcome: str = "sent"              # sent -> acked | refused | unknown
    code: Optional[str] = None         # the error code of a refused (or 503) call
    http_status: Optional[int] = None
    response: Optional[dict] = None
    error: str = ""
    started: float = 0.0
    finished: float = 0.0
    resolution: str = ""               # for an unknown call, after the restart: "applied" / "not applied"

    def describe(self) -> str:
        shown = {k: v for k, v in self.params.items() if k != "Tag"}
        text = f"#{self.seq} round {self.round + 1} worker {self.worker} ({self.style}) {self.action} {self.region} {shown}"
        if self.outcome == "acked":
            return f"{text} -> acknowledged {self.response}"
        if self.outcome == "refused":
            return f"{text} -> refused {self.code} (HTTP {self.http_status})"
        return f"{text} -> {self.outcome} {self.code or ''} {self.error[:120]}".rstrip()


class Ledger:
    def __init__(self):
        self._lock = threading.Lock()
        self.calls: List[Call] = []

    def open(self, **fields) -> Call:
        with self._lock:
            call = Call(seq=len(self.calls) + 1, started=time.monotonic(), **fields)
            self.calls.append(call)
            return call

    def of_round(self, round_no: int) -> List[Call]:
        with self._lock:
            return [c for c in self.calls if c.round == round_no]


# --------------------------------------------------------------------------
# what each worker believes the store holds
# --------------------------------------------------------------------------

@dataclasses.dataclass
class Pair:
    """One (image, recipient) share managed by one worker."""
    shared: bool
    last_call: Optional[Call] = None   # None: set up before the traffic


@dataclasses.dataclass
class OwnedImage:
    image_id: str
    region: str
    name: str
    made_by: Optional[Call]            # the acknowledged CreateImage / CopyImage (None: stable image)


@dataclasses.dataclass
class StableImage:
    image: OwnedImage
    capped: bool                       # pushed towards the 50-account cap


class WorkerModel:
    """What one traffic thread has been told; only that thread changes it while the traffic runs."""

    def __init__(self, index: int, owner_index: int, owner: Account, style: str):
        self.index = index
        self.owner_index = owner_index
        self.owner = owner
        self.style = style
        self.pairs: Dict[Tuple[str, str], Pair] = {}
        self.slots: Dict[str, List[str]] = {}          # stable image -> the recipients this worker manages
        self.images: Dict[str, OwnedImage] = {}        # images this worker made and has not deleted
        self.deleted: Dict[str, Call] = {}             # image -> the acknowledged DeleteImage
        self.in_flight: Optional[Call] = None          # the one call whose outcome is unknown
        self.in_flight_image: Optional[OwnedImage] = None  # what an in-flight CreateImage/CopyImage would make


# --------------------------------------------------------------------------
# the rig
# --------------------------------------------------------------------------

@dataclasses.dataclass
class RoundReport:
    round: int
    fault: str
    delay: float
    acked: int = 0
    refused: Counter = dataclasses.field(default_factory=Counter)
    in_flight: int = 0
    in_flight_applied: int = 0
    in_flight_not_applied: int = 0
    token_retries: int = 0
    lost: List[str] = dataclasses.field(default_factory=list)
    half_applied: List[str] = dataclasses.field(default_factory=list)
    count_mismatch: List[str] = dataclasses.field(default_factory=list)
    cap_violations: List[str] = dataclasses.field(default_factory=list)
    bad_answers: List[str] = dataclasses.field(default_factory=list)
    images_checked: int = 0
    images_at_cap: int = 0
    slowest_503: float = 0.0

    def problems(self) -> List[str]:
        return ([f"LOST: {p}" for p in self.lost] + [f"HALF-APPLIED: {p}" for p in self.half_applied]
                + [f"COUNT MISMATCH: {p}" for p in self.count_mismatch]
                + [f"CAP VIOLATED: {p}" for p in self.cap_violations]
                + [f"BAD ANSWER: {p}" for p in self.bad_answers])

    def line(self, label: str, rounds: int) -> str:
        refused = ", ".join(f"{code} {n}" for code, n in sorted(self.refused.items())) or "none"
        return (f"[crash {label}] round {self.round + 1}/{rounds} {self.fault} after {self.delay:.2f}s: "
                f"acknowledged writes {self.acked}, refused {sum(self.refused.values())} ({refused}), "
                f"in flight at the crash {self.in_flight} (applied {self.in_flight_applied}, "
                f"not applied {self.in_flight_not_applied}), ClientToken retries {self.token_retries}, "
                f"lost writes {len(self.lost)}, half-applied {len(self.half_applied)}, "
                f"count mismatches {len(self.count_mismatch)}, cap violations {len(self.cap_violations)}, "
                f"bad answers {len(self.bad_answers)}; images checked {self.images_checked}, "
                f"at the cap {self.images_at_cap}")


class CrashRig:
    """One server and store, the accounts and images of the workload, and the ledger."""

    def __init__(self, server: ImageShareServer, seed: int, label: str):
        self.server = server
        self.seed = seed
        self.label = label
        self.rng = random.Random(seed)
        self.ledger = Ledger()
        self.reports: List[RoundReport] = []
        self.owners: List[Account] = []
        self.recipients: List[Account] = []
        self.builders: Dict[int, str] = {}                 # owner index -> running instance for CreateImage
        self.stable: Dict[int, List[StableImage]] = {}     # owner index -> stable images
        self.workers: List[WorkerModel] = []
        # What is crashed: "server" (the imageshare process is killed, so a call may get no answer at all)
        # or "database" (the server stays up and must answer every call; ServiceUnavailable is then the
        # one honest answer whose outcome is unknown, since the commit may have landed just before).
        self.fault_kind = "server"

    # -- setup -----------------------------------------------------------------
    def setup(self) -> None:
        # the seed first, so that even a failed setup can be replayed
        log(f"[crash {self.label}] seed {self.seed} (replay with IMAGESHARE_CRASH_SEED={self.seed})")
        started = time.monotonic()
        self.owners = [self.server.create_account(f"crash-owner-{i}") for i in range(OWNER_COUNT)]
        self.recipients = self._create_recipients()
        for owner_index, owner in enumerate(self.owners):
            actor = Actor(self.server, owner, "v3")
            self.builders[owner_index] = actor.run_instances(PUBLIC_IMAGE)[0]
            self.stable[owner_index] = []
            for kind in ("busy-1", "busy-2", "cap-1", "cap-2"):
                name = f"stable-{kind}"
                image_id = actor.create_image(InstanceId=self.builders[owner_index], ImageName=name,
                                              Tag=[{"Key": TAG_KEY, "Value": name}])
                self.stable[owner_index].append(StableImage(
                    OwnedImage(image_id, DEFAULT_REGION, name, None), capped=kind.startswith("cap")))
        for index in range(WORKERS):
            owner_index = index % OWNER_COUNT
            self.workers.append(WorkerModel(index, owner_index, self.owners[owner_index], STYLES[index % len(STYLES)]))
        for owner_index in range(OWNER_COUNT):
            team = [w for w in self.workers if w.owner_index == owner_index]
            actor = Actor(self.server, self.owners[owner_index], "v3")
            for stable in self.stable[owner_index]:
                pool = self.recipients if stable.capped else self.recipients[:BUSY_RECIPIENTS]
                per_worker = len(pool) // len(team)
                prefill: List[str] = []
                for slot, worker in enumerate(team):
                    accounts = [a.account_id for a in pool[slot * per_worker:(slot + 1) * per_worker]]
                    worker.slots[stable.image.image_id] = accounts
                    for position, account in enumerate(accounts):
                        shared = stable.capped and position < CAP_PREFILL_PER_WORKER
                        worker.pairs[(stable.image.image_id, account)] = Pair(shared)
                        if shared:
                            prefill.append(account)
                for start in range(0, len(prefill), 10):
                    actor.share(stable.image.image_id, add=prefill[start:start + 10])
        log(f"[crash {self.label}] {len(self.owners)} owners, {len(self.recipients)} recipients, {WORKERS} workers, "
            f"set up in {time.monotonic() - started:.1f}s; store: {self.server.data_dir}"
            + (f" + {self.server.database_url}" if self.server.database_url else ""))

    def _create_recipients(self) -> List[Account]:
        # The CLI is a process per account: a few at once keeps the setup short.
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=4) as pool:
            return list(pool.map(lambda i: self.server.create_account(f"crash-recipient-{i}"),
                                 range(RECIPIENT_COUNT)))

    def stable_images(self, owner_index: int) -> List[StableImage]:
        return self.stable[owner_index]

    # -- one round -------------------------------------------------------------
    def run_round(self, round_no: int, rounds: int, fault: str,
                  crash: Callable[[], None], recover: Callable[[], None],
                  keep_traffic_after_crash: float = 0.0) -> RoundReport:
        """Start the traffic, crash after a random delay, recover, check. ``crash`` runs while the workers
        are busy; the workers then keep going for ``keep_traffic_after_crash`` seconds (requests during a
        database outage) before they are told to stop."""
        delay = self.rng.uniform(0.2, 1.5)
        report = RoundReport(round_no, fault, delay)
        stop = threading.Event()
        failures: List[str] = []
        threads = [threading.Thread(target=self._work, args=(worker, round_no, stop, failures),
                                    name=f"crash-worker-{worker.index}", daemon=True)
                   for worker in self.workers]
        for thread in threads:
            thread.start()
        time.sleep(delay)
        crash()
        if keep_traffic_after_crash:
            deadline = time.monotonic() + keep_traffic_after_crash
            while time.monotonic() < deadline and any(t.is_alive() for t in threads):
                time.sleep(0.05)
        stop.set()
        for thread in threads:
            # the old SDK retries a ClientToken call on a connection error, with a backoff of about 2 s
            thread.join(timeout=60)
            assert not thread.is_alive(), f"{thread.name} did not stop"
        report.bad_answers += failures
        self._tally(round_no, report)
        try:
            recover()
        except AssertionError as error:
            # Say what the traffic saw before the server failed to come back: it is usually the cause.
            report.bad_answers.append(f"no recovery: {error}")
            log(report.line(self.label, rounds))
            raise AssertionError(f"round {round_no + 1} ({fault}, seed {self.seed}): "
                                 + "\n".join(report.problems())) from None
        self.check(report)
        self.reports.append(report)
        log(report.line(self.label, rounds))
        for problem in report.problems():
            log(f"[crash {self.label}]   {problem}")
        return report

    def _tally(self, round_no: int, report: RoundReport) -> None:
        for call in self.ledger.of_round(round_no):
            if call.action not in WRITE_ACTIONS:
                continue
            if call.outcome == "acked":
                report.acked += 1
            elif call.outcome == "refused":
                report.refused[call.code] += 1
            elif call.outcome == "unknown":
                report.in_flight += 1
                # The old SDK retries a 503 on its retryable actions (up to three times, each waiting for the
                # server's own 5 s deadline), so only the new SDK's single attempts time the server's answer.
                if call.code == "ServiceUnavailable" and call.style != "old":
                    report.slowest_503 = max(report.slowest_503, call.finished - call.started)

    # -- the traffic -----------------------------------------------------------
    def _work(self, worker: WorkerModel, round_no: int, stop: threading.Event, failures: List[str]) -> None:
        rng = random.Random(f"{self.seed}-{round_no}-{worker.index}")
        actor = Actor(self.server, worker.owner, worker.style)
        try:
            while not stop.is_set() and worker.in_flight is None:
                self._one_call(worker, actor, rng, round_no, failures)
        except Exception:  # a bug in the test itself: report it, never count it as a crash effect
            failures.append(f"worker {worker.index} crashed:\n{traceback.format_exc()}")

    def _one_call(self, worker: WorkerModel, actor: Actor, rng: random.Random, round_no: int,
                  failures: List[str]) -> None:
        roll = rng.random()
        if len(worker.images) >= OWN_IMAGE_LIMIT or (roll >= 0.8 and worker.images):
            return self._delete(worker, actor, rng, round_no, failures)
        if roll < 0.5:
            return self._share(worker, actor, rng, round_no, failures)
        if roll < 0.65:
            return self._create(worker, actor, rng, round_no, failures)
        return self._copy(worker, actor, rng, round_no, failures)

    def _send(self, worker: WorkerModel, actor: Actor, round_no: int, action: str, params: dict,
              region: str, failures: List[str]) -> Call:
        call = self.ledger.open(round=round_no, worker=worker.index, style=worker.style, action=action,
                                region=region, params=params)
        try:
            call.response = actor.call(action, dict(params), region=region)
            call.outcome = "acked"
        except ApiError as error:
            call.code, call.http_status, call.error = error.code, error.http_status, error.message
            # A 4xx refusal changed nothing. A 5xx may come after the commit landed, so its outcome is
            # unknown; only ServiceUnavailable while the database is down is an honest answer.
            call.outcome = "unknown" if (error.http_status or 0) >= 500 else "refused"
            if call.outcome == "unknown" and not (error.code == "ServiceUnavailable" and self.fault_kind == "database"):
                failures.append(f"server error: {call.describe()}")
        except Exception as exc:  # noqa: BLE001 - sorted below
            if not is_connection_failure(exc):
                raise
            call.outcome, call.error = "unknown", f"{type(exc).__name__}: {exc}"
            if self.fault_kind == "database":
                failures.append(f"no answer while only the database was down: {call.describe()}")
        call.finished = time.monotonic()
        if call.outcome == "unknown":
            worker.in_flight = call
        return call

    def _name(self, worker: WorkerModel, round_no: int, rng: random.Random) -> str:
        return f"crash-r{round_no}-w{worker.index}-{rng.getrandbits(32):08x}"

    def _share(self, worker, actor, rng, round_no, failures) -> None:
        stable = rng.choice(self.stable_images(worker.owner_index))
        image_id = stable.image.image_id
        accounts = worker.slots[image_id]
        shared = [a for a in accounts if worker.pairs[(image_id, a)].shared]
        free = [a for a in accounts if not worker.pairs[(image_id, a)].shared]
        # A capped image gains more than it loses, so that it stays at the cap and the workers race for
        # the slot each removal frees; a busy image drifts freely.
        remove_max = 1 if stable.capped else BATCH_MAX
        add: List[str] = []
        remove: List[str] = []
        if shared and free and rng.random() < 0.2:
            # one call that adds and removes: both halves must land together
            add = rng.sample(free, rng.randint(1, min(BATCH_MAX, len(free))))
            remove = rng.sample(shared, rng.randint(1, min(remove_max, len(shared))))
        elif free and (not shared or rng.random() < (0.8 if stable.capped else 0.5)):
            add = rng.sample(free, rng.randint(1, min(BATCH_MAX, len(free))))
        else:
            remove = rng.sample(shared, rng.randint(1, min(remove_max, len(shared))))
        params = {"ImageId": image_id}
        if add:
            params["AddAccount"] = add
        if remove:
            params["RemoveAccount"] = remove
        call = self._send(worker, actor, round_no, "ModifyImageSharePermission", params, DEFAULT_REGION, failures)
        if call.outcome == "refused" and call.code != "QuotaExceed.ShareImageUser":
            failures.append(f"unexpected refusal: {call.describe()}")
        for account in add + remove:
            pair = worker.pairs[(image_id, account)]
            pair.last_call = call
            if call.outcome == "acked":
                pair.shared = account in add

    def _image_params(self, name: str) -> dict:
        return {"ImageName": name, "Tag": [{"Key": TAG_KEY, "Value": name}]}

    def _create(self, worker, actor, rng, round_no, failures) -> None:
        name = self._name(worker, round_no, rng)
        params = {"InstanceId": self.builders[worker.owner_index], "ClientToken": uuid.UUID(int=rng.getrandbits(128)).hex,
                  **self._image_params(name)}
        call = self._send(worker, actor, round_no, "CreateImage", params, DEFAULT_REGION, failures)
        self._made(worker, call, DEFAULT_REGION, name, failures)

    def _copy(self, worker, actor, rng, round_no, failures) -> None:
        sources = list(worker.images.values()) + [s.image for s in self.stable_images(worker.owner_index)]
        source = rng.choice(sources)
        destination = rng.choice(REGIONS)
        name = self._name(worker, round_no, rng)
        params = {"ImageId": source.image_id, "DestinationRegionId": destination,
                  "DestinationImageName": name, "ClientToken": uuid.UUID(int=rng.getrandbits(128)).hex,
                  "Tag": [{"Key": TAG_KEY, "Value": name}]}
        call = self._send(worker, actor, round_no, "CopyImage", params, source.region, failures)
        self._made(worker, call, destination, name, failures)

    def _made(self, worker: WorkerModel, call: Call, region: str, name: str, failures: List[str]) -> None:
        if call.outcome == "acked":
            image_id = call.response.get("ImageId", "")
            if not image_id.startswith("m-"):
                failures.append(f"no ImageId in the answer: {call.describe()}")
                return
            worker.images[image_id] = OwnedImage(image_id, region, name, call)
        elif call.outcome == "unknown":
            worker.in_flight_image = OwnedImage("", region, name, None)
        else:
            failures.append(f"unexpected refusal: {call.describe()}")

    def _delete(self, worker, actor, rng, round_no, failures) -> None:
        image = rng.choice(sorted(worker.images.values(), key=lambda i: i.image_id))
        call = self._send(worker, actor, round_no, "DeleteImage", {"ImageId": image.image_id}, image.region, failures)
        if call.outcome == "acked":
            del worker.images[image.image_id]
            worker.deleted[image.image_id] = call
        elif call.outcome == "refused":
            failures.append(f"unexpected refusal: {call.describe()}")

    # -- the checks after a restart ----------------------------------------------
    def check(self, report: RoundReport) -> None:
        """Compare the store with the ledger; resolve the in-flight calls; record every discrepancy."""
        self._retry_in_flight_tokens(report)
        shares_by_image: Dict[str, List[str]] = {}
        for owner_index, owner in enumerate(self.owners):
            reader = Actor(self.server, owner, "v3")
            listed = {region: self._list_own_images(reader, region, report) for region in REGIONS}
            actual: Dict[str, dict] = {i["ImageId"]: i for images in listed.values() for i in images}
            team = [w for w in self.workers if w.owner_index == owner_index]
            self._check_images(owner_index, team, actual, report)
            self._check_whole(reader, listed, report)
            for region, images in listed.items():
                for image in images:
                    shares_by_image[image["ImageId"]] = self._check_share_list(reader, image, region, report)
            self._check_pairs(owner_index, team, shares_by_image, report)
        self._check_recipient_views(shares_by_image, report)
        for worker in self.workers:
            worker.in_flight = None
            worker.in_flight_image = None

    def _list_own_images(self, reader: Actor, region: str, report: RoundReport) -> List[dict]:
        images: List[dict] = []
        page = 1
        while True:
            body = reader.call("DescribeImages", {"ImageOwnerAlias": "self", "Status": "ALL", "PageSize": 100,
                                                  "PageNumber": page}, region=region)
            batch = body["Images"]["Image"]
            images += batch
            if len(batch) < 100:
                break
            page += 1
        ids = [i["ImageId"] for i in images]
        if body["TotalCount"] != len(images) or len(set(ids)) != len(ids):
            report.count_mismatch.append(f"DescribeImages {region} of {reader.id}: TotalCount {body['TotalCount']}, "
                                         f"{len(images)} listed, {len(set(ids))} distinct")
        return images

    def _retry_in_flight_tokens(self, report: RoundReport) -> None:
        """A CreateImage / CopyImage in flight at the crash, sent again with its ClientToken, must give the
        image it made if it made one, or make exactly one now."""
        for worker in self.workers:
            call = worker.in_flight
            if call is None or call.action not in ("CreateImage", "CopyImage"):
                continue
            made = worker.in_flight_image
            actor = Actor(self.server, worker.owner, worker.style)
            before = [i for i in self._list_own_images(actor, made.region, report) if i["ImageName"] == made.name]
            if len(before) > 1:
                report.half_applied.append(f"{len(before)} images named {made.name} after {call.describe()}")
            retry = self.ledger.open(round=call.round, worker=worker.index, style=worker.style,
                                     action=call.action + " (ClientToken retry)", region=call.region,
                                     params=call.params)
            try:
                retry.response = actor.call(call.action, dict(call.params), region=call.region)
                retry.outcome = "acked"
            except ApiError as error:
                retry.outcome, retry.code, retry.http_status = "refused", error.code, error.http_status
                report.bad_answers.append(f"ClientToken retry refused: {retry.describe()} (first: {call.describe()})")
                call.resolution = "applied" if before else "not applied"
                continue
            report.token_retries += 1
            image_id = retry.response["ImageId"]
            if before and before[0]["ImageId"] != image_id:
                report.half_applied.append(
                    f"ClientToken retry made {image_id} although {before[0]['ImageId']} exists: {call.describe()}")
            call.resolution = "applied" if before else "not applied"
            worker.images[image_id] = OwnedImage(image_id, made.region, made.name, retry)

    def _check_images(self, owner_index: int, team: List[WorkerModel], actual: Dict[str, dict],
                      report: RoundReport) -> None:
        expected: Dict[str, OwnedImage] = {s.image.image_id: s.image for s in self.stable_images(owner_index)}
        deleted: Dict[str, Call] = {}
        in_flight_deletes: Dict[str, WorkerModel] = {}
        for worker in team:
            expected.update(worker.images)
            deleted.update(worker.deleted)
            if worker.in_flight is not None and worker.in_flight.action == "DeleteImage":
                in_flight_deletes[worker.in_flight.params["ImageId"]] = worker
        for image_id, image in expected.items():
            if image_id in actual:
                if actual[image_id]["ImageName"] != image.name:
                    report.half_applied.append(f"{image_id} is named {actual[image_id]['ImageName']!r}, not {image.name!r}")
                if image_id in in_flight_deletes:
                    self._resolve(in_flight_deletes[image_id].in_flight, applied=False, report=report)
                continue
            if image_id in in_flight_deletes:
                worker = in_flight_deletes[image_id]
                self._resolve(worker.in_flight, applied=True, report=report)
                del worker.images[image_id]
                worker.deleted[image_id] = worker.in_flight
                continue
            made = f"acknowledged by {image.made_by.describe()}" if image.made_by else "a stable image"
            report.lost.append(f"image {image_id} ({image.region}) is gone; it was {made}")
        for image_id, call in deleted.items():
            if image_id in actual:
                report.lost.append(f"image {image_id} is back after {call.describe()}")
        for image_id in sorted(set(actual) - set(expected) - set(deleted)):
            image = actual[image_id]
            report.half_applied.append(
                f"image {image_id} {image['ImageName']!r} was never acknowledged "
                f"(not a ClientToken retry either)")
        # in-flight share calls of this team are resolved by _check_pairs; creates/copies by the retry
        for worker in team:
            call = worker.in_flight
            if call is not None and call.action in ("CreateImage", "CopyImage") and call.resolution:
                if call.resolution == "applied":
                    report.in_flight_applied += 1
                else:
                    report.in_flight_not_applied += 1

    def _resolve(self, call: Call, applied: bool, report: RoundReport) -> None:
        call.resolution = "applied" if applied else "not applied"
        if applied:
            report.in_flight_applied += 1
        else:
            report.in_flight_not_applied += 1

    def _check_whole(self, reader: Actor, listed: Dict[str, List[dict]], report: RoundReport) -> None:
        """Every image the owner sees is complete: available, one system disk mapping whose snapshot
        exists, its tag, and (for a copy) marked as copied."""
        for region, images in listed.items():
            snapshot_ids = set()
            for image in images:
                report.images_checked += 1
                problems = []
                if image["Status"] != "Available":
                    problems.append(f"status {image['Status']}")
                mappings = image["DiskDeviceMappings"]["DiskDeviceMapping"]
                if [m["Type"] for m in mappings].count("system") != 1:
                    problems.append(f"disk mappings {mappings}")
                snapshot_ids.update(m["SnapshotId"] for m in mappings)
                tags = {t["TagKey"]: t["TagValue"] for t in image["Tags"]["Tag"]}
                if tags.get(TAG_KEY) != image["ImageName"]:
                    problems.append(f"tags {tags}")
                if problems:
                    report.half_applied.append(f"image {image['ImageId']} in {region} is partial: {'; '.join(problems)}")
            found = set()
            ids = sorted(snapshot_ids)
            for start in range(0, len(ids), 100):
                chunk = ids[start:start + 100]
                body = reader.call("DescribeSnapshots", {"SnapshotIds": json.dumps(chunk), "PageSize": 100},
                                   region=region)
                found.update(s["SnapshotId"] for s in body["Snapshots"]["Snapshot"])
            for missing in sorted(snapshot_ids - found):
                report.half_applied.append(f"snapshot {missing} of an image in {region} does not exist")

    def _check_share_list(self, reader: Actor, image: dict, region: str, report: RoundReport) -> List[str]:
        """Page through DescribeImageSharePermission: the pages must add up to TotalCount, name each
        account once, stay within the cap and agree with DescribeImages' IsSelfShared."""
        image_id = image["ImageId"]
        accounts: List[str] = []
        totals: Set[int] = set()
        page = 1
        while True:
            body = reader.call("DescribeImageSharePermission",
                               {"ImageId": image_id, "PageSize": SHARE_PAGE_SIZE, "PageNumber": page}, region=region)
            totals.add(body["TotalCount"])
            batch = [a["AliyunId"] for a in body["Accounts"]["Account"]]
            accounts += batch
            # read one page past TotalCount's end, so that rows beyond the count are seen too
            if len(batch) < SHARE_PAGE_SIZE or page > SHARE_CAP:
                break
            page += 1
        total = totals.pop() if len(totals) == 1 else None
        if total is None or total != len(accounts) or len(set(accounts)) != len(accounts):
            report.count_mismatch.append(f"image {image_id}: TotalCount {sorted(totals) or total}, "
                                         f"{len(accounts)} accounts listed ({len(set(accounts))} distinct)")
        expected_flag = "True" if accounts else "False"
        if str(image.get("IsSelfShared")) != expected_flag:
            report.count_mismatch.append(f"image {image_id}: IsSelfShared {image.get('IsSelfShared')!r} "
                                         f"with {len(accounts)} share accounts")
        if len(set(accounts)) > SHARE_CAP or (total or 0) > SHARE_CAP:
            report.cap_violations.append(f"image {image_id} is shared with {len(set(accounts))} accounts "
                                         f"(TotalCount {total})")
        if len(set(accounts)) == SHARE_CAP:
            report.images_at_cap += 1
        return accounts

    def _check_pairs(self, owner_index: int, team: List[WorkerModel], shares: Dict[str, List[str]],
                     report: RoundReport) -> None:
        managed: Dict[str, Set[str]] = {}
        for worker in team:
            call = worker.in_flight if worker.in_flight and worker.in_flight.action == "ModifyImageSharePermission" else None
            for (image_id, account), pair in worker.pairs.items():
                managed.setdefault(image_id, set()).add(account)
                if call is not None and pair.last_call is call:
                    continue  # judged as one below
                actual = account in shares.get(image_id, ())
                if actual == pair.shared:
                    continue
                what = "shared" if actual else "not shared"
                if pair.last_call is None:
                    report.half_applied.append(f"{image_id} / {account} is {what}, but no call changed it since setup")
                elif pair.last_call.outcome == "acked":
                    report.lost.append(f"{image_id} / {account} is {what} after {pair.last_call.describe()}")
                else:
                    report.half_applied.append(f"{image_id} / {account} is {what} after {pair.last_call.describe()}")
            if call is not None:
                image_id = call.params["ImageId"]
                present = set(shares.get(image_id, ()))
                adds, removes = call.params.get("AddAccount", []), call.params.get("RemoveAccount", [])
                after = all(a in present for a in adds) and not any(r in present for r in removes)
                before = not any(a in present for a in adds) and all(r in present for r in removes)
                if after == before:  # neither (both cannot hold: a call always changes something)
                    report.half_applied.append(
                        f"{image_id}: in-flight call partly applied (now shared: "
                        f"{sorted(present & set(adds + removes))}): {call.describe()}")
                else:
                    self._resolve(call, applied=after, report=report)
                for account in adds + removes:
                    worker.pairs[(image_id, account)].shared = account in present
        for stable in self.stable_images(owner_index):
            image_id = stable.image.image_id
            strangers = set(shares.get(image_id, ())) - managed.get(image_id, set())
            if strangers:
                report.half_applied.append(f"{image_id} is shared with accounts no call named: {sorted(strangers)}")
        for worker in team:
            for image_id in worker.images:
                if shares.get(image_id):
                    report.half_applied.append(f"{image_id} was never shared, but lists {shares[image_id]}")

    def _check_recipient_views(self, shares: Dict[str, List[str]], report: RoundReport) -> None:
        """A few recipients see exactly the images their share rows say (the owner's list is not the
        only place a share shows)."""
        for recipient in self.rng.sample(self.recipients, 3):
            reader = Actor(self.server, recipient, "v3")
            seen: Set[str] = set()
            page = 1
            while True:
                body = reader.call("DescribeImages", {"ImageOwnerAlias": "others", "PageSize": 100,
                                                      "PageNumber": page})
                batch = body["Images"]["Image"]
                seen.update(i["ImageId"] for i in batch)
                if len(batch) < 100:
                    break
                page += 1
            expected = {image_id for image_id, accounts in shares.items() if recipient.account_id in accounts}
            if seen != expected:
                report.count_mismatch.append(
                    f"recipient {recipient.account_id} sees {sorted(seen)}, the share lists say {sorted(expected)}")

    # -- totals ----------------------------------------------------------------
    def summary(self) -> str:
        acked = sum(r.acked for r in self.reports)
        in_flight = sum(r.in_flight for r in self.reports)
        applied = sum(r.in_flight_applied for r in self.reports)
        not_applied = sum(r.in_flight_not_applied for r in self.reports)
        refused = sum(sum(r.refused.values()) for r in self.reports)
        cap_refusals = sum(r.refused.get("QuotaExceed.ShareImageUser", 0) for r in self.reports)
        lost = sum(len(r.lost) for r in self.reports)
        half = sum(len(r.half_applied) for r in self.reports)
        mismatch = sum(len(r.count_mismatch) for r in self.reports)
        cap = sum(len(r.cap_violations) for r in self.reports)
        bad = sum(len(r.bad_answers) for r in self.reports)
        retries = sum(r.token_retries for r in self.reports)
        return (f"[crash {self.label}] TOTAL seed {self.seed}, {len(self.reports)} rounds: "
                f"acknowledged writes {acked}, in flight at the crash {in_flight} (applied {applied}, "
                f"not applied {not_applied}), refused {refused} (cap refusals {cap_refusals}), "
                f"ClientToken retries {retries}, lost writes {lost}, half-applied {half}, "
                f"count mismatches {mismatch}, cap violations {cap}, bad answers {bad}")


# --------------------------------------------------------------------------
# crashing things
# --------------------------------------------------------------------------

def kill_server(server: ImageShareServer) -> None:
    """SIGKILL: no shutdown hook, no flush, no goodbye."""
    proc, server.proc = server.proc, None
    assert proc is not None and proc.poll() is None, "the server died before the kill"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()])
    assert found, "PostgreSQL is not installed"
    return found[-1]


def crash_postgres(cluster: PostgresCluster, mode: str) -> None:
    """Crash the PostgreSQL server without a clean shutdown: ``immediate`` (pg_ctl -m immediate: every
    process quits at once, no checkpoint, crash recovery at the next start) or ``kill`` (SIGKILL to the
    postmaster; its backends notice and exit on their own)."""
    if mode == "kill":
        pid = int(Path(cluster.data_dir, "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, signal.SIGKILL)
        return
    command = f"'{_pg_bin() / 'pg_ctl'}' -D '{cluster.data_dir}' -m immediate -w stop"
    argv = ["su", "postgres", "-s", "/bin/bash", "-c", command] if os.geteuid() == 0 else ["bash", "-c", command]
    subprocess.run(argv, check=True, capture_output=True, timeout=60)


def restart_postgres(cluster: PostgresCluster, url: str, timeout: float = 60.0) -> None:
    """Start the cluster again; after a SIGKILL the old backends may hold its shared memory for a moment,
    so keep trying until it answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            cluster.start()
        except subprocess.CalledProcessError:
            pass
        probe = subprocess.run(["psql", url, "-qAt", "-c", "SELECT 1"], capture_output=True, text=True, timeout=30)
        if probe.returncode == 0:
            return
        assert time.monotonic() < deadline, f"PostgreSQL did not come back: {probe.stderr}"
        time.sleep(0.3)


def wait_until_serving(rig: CrashRig, timeout: float = 30.0) -> None:
    """After the database is back, the same server process must answer again by itself."""
    reader = Actor(rig.server, rig.owners[0], "v3")
    started = time.monotonic()
    while True:
        try:
            reader.call("DescribeImages", {"ImageOwnerAlias": "self"})
            return
        except ApiError as error:
            assert error.code == "ServiceUnavailable", f"unexpected answer while recovering: {error}"
            last = f"{error.code} (HTTP {error.http_status})"
        except Exception as exc:  # noqa: BLE001
            if not is_connection_failure(exc):
                raise
            last = f"no answer ({exc})"[:200]
        assert rig.server.proc is not None and rig.server.proc.poll() is None, "the server died"
        assert time.monotonic() - started < timeout, (
            f"the server answered no DescribeImages within {timeout:.0f}s after PostgreSQL came back "
            f"(last: {last}; /healthz: {healthz(rig.server)})")
        time.sleep(0.2)


def healthz(server: ImageShareServer) -> str:
    import urllib.request
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz", timeout=5) as response:
            return f"{response.status} {response.read().decode(errors='replace').strip()!r}"
    except Exception as exc:  # noqa: BLE001
        return f"no answer ({exc})"
