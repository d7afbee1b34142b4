"""`imageshare state export` and `state import` on kept stores (the embedded store, or PostgreSQL in the
PostgreSQL pass): a store's whole state moves to another store through one file and answers the same there;
a bad file is refused and changes nothing. The in-memory side (--fixtures, the control endpoint) is in
test_test_double.py."""

import json
import os
import subprocess
import tempfile
from pathlib import Path

from conftest import (DEFAULT_REGION, PUBLIC_IMAGE, INSTANCE_TYPE, Account, running_server, run_cli,
                      wait_for_binary)


def seed_story(server):
    """An owner's image shared with a friend, and the friend's instance of it; returns what both see."""
    owner = server.create_account("owner")
    friend = server.create_account("friend")
    mine = server.client("v3", owner)
    instance = mine.call("RunInstances", {"RegionId": DEFAULT_REGION, "ImageId": PUBLIC_IMAGE,
                                          "InstanceType": INSTANCE_TYPE})["InstanceIdSets"]["InstanceIdSet"][0]
    image = mine.call("CreateImage", {"RegionId": DEFAULT_REGION, "InstanceId": instance,
                                      "ImageName": "golden"})["ImageId"]
    mine.call("ModifyImageSharePermission", {"RegionId": DEFAULT_REGION, "ImageId": image,
                                             "AddAccount": [friend.account_id]})
    server.client("v3", friend).call("RunInstances", {"RegionId": DEFAULT_REGION, "ImageId": image,
                                                      "InstanceType": INSTANCE_TYPE})
    return owner, friend, image


def views(server, owner, friend, image):
    def clean(body):
        body = dict(body)
        body.pop("RequestId", None)
        return body
    mine, theirs = server.client("v3", owner), server.client("v3", friend)
    return [
        clean(mine.call("DescribeImages", {"RegionId": DEFAULT_REGION, "ImageOwnerAlias": "self"}, raw=True)),
        clean(mine.call("DescribeImageSharePermission", {"RegionId": DEFAULT_REGION, "ImageId": image}, raw=True)),
        clean(theirs.call("DescribeImages", {"RegionId": DEFAULT_REGION, "ImageOwnerAlias": "others"}, raw=True)),
        clean(theirs.call("DescribeInstances", {"RegionId": DEFAULT_REGION}, raw=True)),
        clean(theirs.call("DescribeDisks", {"RegionId": DEFAULT_REGION}, raw=True)),
    ]


def test_a_store_moves_to_another_store_through_a_state_file(tmp_path):
    with running_server(prefix="imageshare-state-a-") as first:
        owner, friend, image = seed_story(first)
        before = views(first, owner, friend, image)
        exported = tmp_path / "state.json"
        run_cli("state", "export", "--to", str(exported), *first.store_args())
        assert oct(exported.stat().st_mode & 0o777) == "0o600"
        state = json.loads(exported.read_text())
        assert state["format"] == "imageshare-state/1"
        assert owner.access_key_secret in exported.read_text(), "secrets travel in plain text"
        # export never overwrites
        code = subprocess.run([str(wait_for_binary()), "state", "export", "--to", str(exported), *first.store_args()],
                              capture_output=True, text=True, timeout=60).returncode
        assert code != 0

    with running_server(prefix="imageshare-state-b-") as second:
        second.stop_cleanly()
        print(run_cli("state", "import", "--from", str(exported), *second.store_args()))
        second.start()
        assert views(second, owner, friend, image) == before
        # the imported share is a real one: the owner cannot delete the image while it is shared
        mine = second.client("v3", owner)
        try:
            mine.call("DeleteImage", {"RegionId": DEFAULT_REGION, "ImageId": image})
            raise AssertionError("a shared image was deleted")
        except Exception as refused:  # ApiError
            assert getattr(refused, "code", None) == "ImageUseShared", refused


def test_a_bad_state_file_is_refused_and_changes_nothing(tmp_path):
    with running_server(prefix="imageshare-state-bad-") as server:
        owner, friend, image = seed_story(server)
        before = views(server, owner, friend, image)
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({
            "format": "imageshare-state/1",
            "accounts": [{"id": "1000000000000001"}],
            "images": [{"id": "m-stray", "region_id": DEFAULT_REGION, "owner_id": "1000000000000009"}],
        }))
        proc = subprocess.run([str(wait_for_binary()), "state", "import", "--from", str(bad), *server.store_args()],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0
        assert "images row 1: owner_id 1000000000000009 is not in accounts" in proc.stderr, proc.stderr
        assert views(server, owner, friend, image) == before
