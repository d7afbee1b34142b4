"""Several servers on one PostgreSQL database give the same answers (issue: PostgreSQL backend).

Runs only when IMAGESHARE_COMPAT_POSTGRES_URL names a PostgreSQL server (``.ci/run`` sets it); the SQLite
run of the suite deselects these tests with ``-m "not multinode"`` instead of skipping them.
"""
import concurrent.futures
import os
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import (ApiError, expect_error, patch_nonce, postgres_cluster, running_nodes)

pytestmark = pytest.mark.multinode

REGION = "cn-hangzhou"
UBUNTU = "ubuntu_22_04_x64_20G_alibase_20241016.vhd"


def run_instance(client) -> str:
    body = client.call("RunInstances", {"RegionId": REGION, "ImageId": UBUNTU, "InstanceType": "ecs.g7.large"}, raw=True)
    return body["InstanceIdSets"]["InstanceIdSet"][0]


def create_image(client, name: str) -> str:
    instance = run_instance(client)
    return client.call("CreateImage", {"RegionId": REGION, "InstanceId": instance, "ImageName": name}, raw=True)["ImageId"]


def image_ids(client, **filters) -> list:
    body = client.call("DescribeImages", {"RegionId": REGION, "PageSize": 100, **filters}, raw=True)
    return [image["ImageId"] for image in body["Images"]["Image"]]


@pytest.fixture
def nodes():
    with running_nodes(2) as pair:
        yield pair


@pytest.mark.parametrize("style", ["v3", "v2", "old"])
def test_nonce_used_on_node_a_is_refused_on_node_b(nodes, style, monkeypatch):
    a, b = nodes
    patch_nonce(monkeypatch, style, "0f" * 16)
    a.client(style).call("DescribeRegions", {})
    error = expect_error(lambda: b.client(style).call("DescribeRegions", {}), "SignatureNonceUsed", 400)
    assert error.request_id


def test_image_created_on_a_is_visible_on_b_at_once(nodes):
    a, b = nodes
    owner = a.create_account("owner")
    friend = a.create_account("friend")
    image = create_image(a.client("v3", owner), "made-on-a")
    assert image_ids(b.client("v3", owner), ImageOwnerAlias="self") == [image]
    a.client("v3", owner).call("ModifyImageSharePermission", {"RegionId": REGION, "ImageId": image, "AddAccount": [friend.account_id]}, raw=True)
    assert image_ids(b.client("v3", friend), ImageOwnerAlias="others") == [image]
    b.client("v3", owner).call("ModifyImageSharePermission", {"RegionId": REGION, "ImageId": image, "RemoveAccount": [friend.account_id]}, raw=True)
    assert image_ids(a.client("v3", friend), ImageOwnerAlias="others") == []


def test_key_changes_reach_both_nodes_at_once(nodes):
    a, b = nodes
    account = a.create_account("keys")
    for node in (a, b):
        node.client("v3", account).call("DescribeRegions", {})
    a.disable_key(account)
    for node in (a, b):
        expect_error(lambda: node.client("v3", account).call("DescribeRegions", {}), "Forbidden.AccessKeyDisabled", 403)
    second = b.create_key(account.account_id)
    for node in (a, b):
        node.client("v2", second).call("DescribeRegions", {})


def test_fifty_account_cap_holds_with_twenty_clients_on_two_nodes(nodes):
    a, b = nodes
    owner = a.create_account("owner")
    image = create_image(a.client("v3", owner), "capped")
    recipients = [a.create_account(f"r{i}").account_id for i in range(100)]
    batches = [recipients[i:i + 5] for i in range(0, 100, 5)]

    def add(index):
        node = a if index % 2 == 0 else b
        try:
            node.client("v3", owner).call(
                "ModifyImageSharePermission", {"RegionId": REGION, "ImageId": image, "AddAccount": batches[index]}, raw=True)
            return index, None
        except ApiError as error:
            return index, error

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(add, range(20)))

    accepted = [index for index, error in outcomes if error is None]
    rejected = [(index, error) for index, error in outcomes if error is not None]
    assert len(accepted) == 10, outcomes
    for _, error in rejected:
        assert (error.code, error.http_status) == ("QuotaExceed.ShareImageUser", 403)
    body = b.client("v3", owner).call(
        "DescribeImageSharePermission", {"RegionId": REGION, "ImageId": image, "PageSize": 100}, raw=True)
    shared = {account["AliyunId"] for account in body["Accounts"]["Account"]}
    assert body["TotalCount"] == 50 and len(shared) == 50
    # Every accepted batch is wholly shared; every rejected one changed nothing.
    for index in accepted:
        assert set(batches[index]) <= shared
    for index, _ in rejected:
        assert not set(batches[index]) & shared


def test_database_outage_gives_503_and_the_server_recovers(nodes):
    a, _ = nodes
    account = a.create_account("outage")
    client = a.client("v3", account)
    client.call("DescribeRegions", {})
    with postgres_cluster() as cluster:
        cluster.stop()
        try:
            started = time.monotonic()
            error = expect_error(lambda: client.call("DescribeImages", {"RegionId": REGION}), "ServiceUnavailable", 503)
            assert error.request_id
            assert time.monotonic() - started < 15, "the request hung instead of failing fast"
        finally:
            cluster.start()
    deadline = time.monotonic() + 30
    while True:
        try:
            client.call("DescribeImages", {"RegionId": REGION})
            break
        except ApiError as error:
            assert error.code == "ServiceUnavailable", error
            assert time.monotonic() < deadline, "the server did not recover after the database came back"
            time.sleep(0.5)
    assert a.proc.poll() is None, "the server died during the outage"
