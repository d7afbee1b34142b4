"""Instances and disks that touch images: RunInstances / CreateInstance,
Start/Stop/DeleteInstance, ReplaceSystemDisk, ReInitDisk, DescribeDisks --
under the three client styles. (Sharing-specific cases live in test_sharing.py.)"""

from __future__ import annotations

import json
import uuid

from conftest import PUBLIC_IMAGE, expect_error

INCORRECT_STATUS = ("IncorrectInstanceStatus", 403)
NOT_FOUND = ("InvalidImageId.NotFound", 404)


def token() -> str:
    return uuid.uuid4().hex


def test_run_instances_are_running_and_create_instance_is_stopped(new_actor):
    actor = new_actor()
    ids = actor.run_instances(PUBLIC_IMAGE, amount=4, InstanceType="ecs.c7.xlarge")
    created = actor.create_instance(PUBLIC_IMAGE, InstanceType="ecs.t6-c1m1.large")
    found = actor.instances(ids + [created])
    assert set(found) == set(ids) | {created}
    assert [found[i]["Status"] for i in ids] == ["Running"] * 4
    assert found[created]["Status"] == "Stopped"
    assert {found[i]["InstanceType"] for i in ids} == {"ecs.c7.xlarge"}
    assert found[created]["InstanceType"] == "ecs.t6-c1m1.large"
    assert all(f["ImageId"] == PUBLIC_IMAGE for f in found.values())

    body = actor.call("DescribeInstances", {"ImageId": PUBLIC_IMAGE, "Status": "Stopped"})
    assert [i["InstanceId"] for i in body["Instances"]["Instance"]] == [created]
    page = actor.call("DescribeInstances", {"PageSize": 2, "PageNumber": 1})
    assert page["TotalCount"] == 5 and len(page["Instances"]["Instance"]) == 2

    actor.start(created)
    assert actor.instance(created)["Status"] == "Running"
    expect_error(lambda: actor.start(created), *INCORRECT_STATUS)
    actor.stop(created)
    expect_error(lambda: actor.stop(created), *INCORRECT_STATUS)


def test_run_instances_unknown_image(new_actor):
    actor = new_actor()
    expect_error(lambda: actor.run_instances("m-doesnotexist0000000"), *NOT_FOUND)
    expect_error(lambda: actor.create_instance("m-doesnotexist0000000"), *NOT_FOUND)
    assert actor.call("DescribeInstances", {})["TotalCount"] == 0


def test_run_instances_dry_run_and_client_token(new_actor):
    actor = new_actor()
    expect_error(lambda: actor.run_instances(PUBLIC_IMAGE, DryRun=True), "DryRunOperation", 400)
    assert actor.call("DescribeInstances", {})["TotalCount"] == 0

    t = token()
    first = actor.run_instances(PUBLIC_IMAGE, amount=2, ClientToken=t)
    assert actor.run_instances(PUBLIC_IMAGE, amount=2, ClientToken=t) == first
    assert actor.call("DescribeInstances", {})["TotalCount"] == 2
    expect_error(lambda: actor.run_instances(PUBLIC_IMAGE, amount=3, ClientToken=t),
                 "IdempotentParameterMismatch", 400)
    assert actor.call("DescribeInstances", {})["TotalCount"] == 2

    expect_error(lambda: actor.create_instance(PUBLIC_IMAGE, DryRun=True), "DryRunOperation", 400)
    assert actor.call("DescribeInstances", {})["TotalCount"] == 2
    t2 = token()
    single = actor.create_instance(PUBLIC_IMAGE, ClientToken=t2)
    assert actor.create_instance(PUBLIC_IMAGE, ClientToken=t2) == single
    expect_error(lambda: actor.create_instance(PUBLIC_IMAGE, ClientToken=t2,
                                               InstanceType="ecs.c7.xlarge"),
                 "IdempotentParameterMismatch", 400)
    assert actor.call("DescribeInstances", {})["TotalCount"] == 3


def test_instance_operations_dry_run(new_actor):
    actor = new_actor()
    instance_id = actor.run_instances(PUBLIC_IMAGE)[0]
    dry = ("DryRunOperation", 400)
    expect_error(lambda: actor.call("StopInstance", {"InstanceId": instance_id, "DryRun": True}),
                 *dry)
    expect_error(lambda: actor.call("DeleteInstance", {"InstanceId": instance_id,
                                                       "Force": True, "DryRun": True}), *dry)
    assert actor.instance(instance_id)["Status"] == "Running"
    actor.stop(instance_id)
    expect_error(lambda: actor.call("StartInstance", {"InstanceId": instance_id, "DryRun": True}),
                 *dry)
    assert actor.instance(instance_id)["Status"] == "Stopped"
    expect_error(lambda: actor.call("DescribeInstances", {"DryRun": True}), *dry)
    expect_error(lambda: actor.call("DescribeDisks", {"DryRun": True}), *dry)


def test_delete_instance(new_actor):
    actor = new_actor()
    running, stopped = actor.run_instances(PUBLIC_IMAGE, amount=2)
    system_disk = actor.system_disk(running)["DiskId"]
    expect_error(lambda: actor.delete_instance(running, force=False), *INCORRECT_STATUS)
    actor.delete_instance(running, force=True)
    actor.stop(stopped)
    actor.delete_instance(stopped, force=False)
    assert actor.instances([running, stopped]) == {}
    body = actor.call("DescribeDisks", {"DiskIds": json.dumps([system_disk])})
    assert body["Disks"]["Disk"] == []                     # released with the instance
    expect_error(lambda: actor.delete_instance(running), "InvalidInstanceId.NotFound", 404)


def test_instances_are_private_to_their_account(new_actor):
    owner, other = new_actor(), new_actor()
    instance_id = owner.run_instances(PUBLIC_IMAGE)[0]
    disk_id = owner.system_disk(instance_id)["DiskId"]
    assert other.instances([instance_id]) == {}
    assert other.call("DescribeDisks", {"DiskIds": json.dumps([disk_id])})["Disks"]["Disk"] == []
    expect_error(lambda: other.stop(instance_id), "InvalidInstanceId.NotFound", 404)
    expect_error(lambda: other.delete_instance(instance_id), "InvalidInstanceId.NotFound", 404)
    expect_error(lambda: other.reinit(disk_id), "InvalidDiskId.NotFound", 404)
    assert owner.instance(instance_id)["Status"] == "Running"


def test_describe_disks(new_actor):
    actor = new_actor()
    instance_id = actor.run_instances(PUBLIC_IMAGE, DataDisk=[{"Size": 40}])[0]
    body = actor.call("DescribeDisks", {"InstanceId": instance_id})
    disks = {d["Type"]: d for d in body["Disks"]["Disk"]}
    assert set(disks) == {"system", "data"}
    assert disks["system"]["ImageId"] == PUBLIC_IMAGE
    assert disks["system"]["Status"] == "In_use"
    assert disks["system"]["InstanceId"] == instance_id
    data = actor.call("DescribeDisks", {"InstanceId": instance_id, "DiskType": "data"})
    assert [d["DiskId"] for d in data["Disks"]["Disk"]] == [disks["data"]["DiskId"]]


def test_replace_system_disk(new_actor):
    actor = new_actor()
    image = actor.create_image()
    instance_id = actor.run_instances(PUBLIC_IMAGE)[0]
    old_disk = actor.system_disk(instance_id)["DiskId"]

    expect_error(lambda: actor.replace_system_disk(instance_id, image), *INCORRECT_STATUS)
    actor.stop(instance_id)
    expect_error(lambda: actor.replace_system_disk(instance_id, "m-doesnotexist0000000"),
                 *NOT_FOUND)
    new_disk = actor.replace_system_disk(instance_id, image)
    assert new_disk != old_disk
    disk = actor.disk(new_disk)
    assert disk["ImageId"] == image and disk["Type"] == "system"
    assert disk["InstanceId"] == instance_id
    assert actor.call("DescribeDisks", {"DiskIds": json.dumps([old_disk])})["Disks"]["Disk"] == []
    actor.start(instance_id)
    assert actor.instance(instance_id)["Status"] == "Running"


def test_replace_system_disk_client_token(new_actor):
    actor = new_actor()
    image = actor.create_image()
    instance_id = actor.run_instances(PUBLIC_IMAGE)[0]
    actor.stop(instance_id)
    t = token()
    first = actor.replace_system_disk(instance_id, image, ClientToken=t)
    assert actor.replace_system_disk(instance_id, image, ClientToken=t) == first
    assert actor.system_disk(instance_id)["DiskId"] == first
    expect_error(lambda: actor.replace_system_disk(instance_id, PUBLIC_IMAGE, ClientToken=t),
                 "IdempotentParameterMismatch", 400)
    assert actor.system_disk(instance_id)["DiskId"] == first


def test_reinit_disk(new_actor):
    actor = new_actor()
    instance_id = actor.run_instances(PUBLIC_IMAGE)[0]
    disk_id = actor.system_disk(instance_id)["DiskId"]
    expect_error(lambda: actor.reinit(disk_id), *INCORRECT_STATUS)
    actor.stop(instance_id)
    actor.reinit(disk_id)
    assert actor.system_disk(instance_id)["DiskId"] == disk_id     # same disk
    actor.reinit(disk_id, AutoStartInstance=True)
    assert actor.instance(instance_id)["Status"] == "Running"
    expect_error(lambda: actor.reinit("d-doesnotexist0000000"), "InvalidDiskId.NotFound", 404)


def test_owner_reinit_after_deleting_own_image(new_actor):
    owner = new_actor()
    image = owner.create_image()
    instance_id = owner.run_instances(image)[0]
    owner.stop(instance_id)
    disk_id = owner.system_disk(instance_id)["DiskId"]
    owner.reinit(disk_id)
    owner.delete_image(image, Force=True)
    expect_error(lambda: owner.reinit(disk_id), "InvalidDiskId.OperationNotSupported", 404)
    owner.start(instance_id)
    assert owner.instance(instance_id)["Status"] == "Running"
