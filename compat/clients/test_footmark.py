"""footmark 1.26.0 (the library under the ansible-alicloud modules), unmodified, against ImageShare.

Covers the seed story (security groups, launch with tags and user data, image from a snapshot of the
system disk, share through footmark's generic request helper, the recipient finds and launches it,
unshare, the recipient loses it and keeps its instance, the owner deletes the image without Force) and
the lifecycle calls footmark makes for the Ansible modules: describe_instances by ids / tags / zone (the
filters must filter: ali_instance counts instances with them), Instance.read(), describe_user_data,
modify_instance_attribute, reboot/stop/start, allocate_public_ip_address, describe_zones,
describe_instance_types, disks, tags, security-group rules, delete_instances, delete_security_group.

footmark has no endpoint option: every call builds ``aliyunsdkcore.client.AcsClient(ak, secret,
region)``, whose endpoint comes from the SDK's resolver (``ecs-cn-hangzhou.aliyuncs.com``, plain http).
The SDK's own endpoint table (``region_provider.add_endpoint``) sends it to the test server instead.

footmark loops forever on some errors (allocate_public_ip_address retries every error code but one
without sleeping; delete_security_group retries for 300 s; start/stop/delete poll without a limit), so
every test runs under a deadline that fails it instead of hanging CI. footmark sleeps 10 s after every
successful RunInstances (ecs/connection.py:251), so the tests launch as few instances through it as they can.
"""

from __future__ import annotations

import base64
import ipaddress

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.profile import region_provider

import footmark.ecs
from footmark.exception import FootmarkServerError

from clients.conftest import (INSTANCE_TYPE, OTHER_ZONE, PUBLIC_IMAGE, REGION, ZONE, Person,
                              fail_on_hang)

# a story with two footmark launches (2 x 10 s of footmark's own sleep) takes about 30 s
hang_guard = fail_on_hang(150)


@pytest.fixture(autouse=True)
def footmark_endpoint(endpoint):
    """Point aliyunsdkcore's endpoint table (class-level, so every AcsClient footmark builds) at the
    server. The parent suite's SDK clients set their endpoint per request and are unaffected."""
    region_provider.add_endpoint("Ecs", REGION, endpoint)


def connect(person: Person):
    return footmark.ecs.connect_to_region(REGION, acs_access_key_id=person.key,
                                          acs_secret_access_key=person.secret)


def error_code(exc: BaseException) -> str:
    """The ECS error code of whatever footmark raised (raw ServerException from the *_new paths,
    ECSResponseError wrapping one from get_list)."""
    if isinstance(exc, ServerException):
        return exc.get_error_code()
    if isinstance(exc, FootmarkServerError) and isinstance(exc.error, ServerException):
        return exc.error.get_error_code()
    return str(exc)


def launch(conn, image_id: str, group_id: str, name: str, tags: dict, **extra):
    """RunInstances with the parameters ali_instance sends (ali_instance.py run_instance)."""
    params = dict(image_id=image_id, instance_type=INSTANCE_TYPE, security_group_id=group_id,
                  zone_id=ZONE, instance_name=name, amount=1, io_optimized="optimized",
                  internet_charge_type="PayByBandwidth", internet_max_bandwidth_out=0,
                  internet_max_bandwidth_in=200, system_disk_category="cloud_efficiency",
                  system_disk_size=40, instance_charge_type="PostPaid", period=1, period_unit="Month",
                  auto_renew=False, spot_strategy="NoSpot", unique_suffix=False, tags=tags)
    params.update(extra)
    return conn.run_instances(**params)


def share(conn, image_id: str, verb: str, account_id: str) -> bool:
    """footmark has no sharing method: its generic request path maps ``add_accounts`` to
    ``set_AddAccounts`` (AddAccount.N) on the SDK's ModifyImageSharePermissionRequest."""
    key = "add_accounts" if verb == "Add" else "remove_accounts"
    return conn.get_status_new(conn.build_request_params(
        {"Action": "ModifyImageSharePermission", "image_id": image_id, key: [account_id]}))


def ids(objects) -> list:
    return sorted(o.id for o in objects)


# --------------------------------------------------------------------------
# the seed story
# --------------------------------------------------------------------------

def test_seed_story(owner, recipient):
    fo, fr = connect(owner), connect(recipient)

    # CreateSecurityGroup + DescribeSecurityGroupAttribute
    owner_sg = fo.create_security_group(security_group_name="fm-story-sg", description="seed story")
    assert owner_sg.id.startswith("sg-")
    assert (owner_sg.security_group_name, owner_sg.description) == ("fm-story-sg", "seed story")

    [vm] = launch(fo, PUBLIC_IMAGE, owner_sg.id, "owner-vm", {"story": "fm-owner"})
    assert (vm.status, vm.image_id, vm.zone_id, vm.name) == ("running", PUBLIC_IMAGE, ZONE, "owner-vm")
    assert vm.tags == {"story": "fm-owner"}
    assert vm.security_group_ids["security_group_id"] == [owner_sg.id]
    assert owner.instance(vm.id)["Status"] == "Running"

    # an image from a snapshot of the system disk: footmark first sends
    # DescribeSnapshots SnapshotIds=['s-…'] (a Python list, single quotes) and needs Progress 100%
    # (otherwise it sleeps 60 s and retries)
    [system_disk] = fo.describe_disks(instance_id=vm.id, disk_type="system")
    assert system_disk.instance_id == vm.id and system_disk.type == "system"
    snapshot_id = owner.snapshot(system_disk.id, "fm-story-snap")
    changed, image_id, results, _ = fo.create_image(snapshot_id=snapshot_id, image_name="fm-story-image",
                                                    description="made by footmark", wait=True,
                                                    wait_timeout=60)
    assert changed and image_id.startswith("m-"), results
    made = owner.sdk.image(image_id, ImageOwnerAlias="self")
    assert (made["ImageName"], made["Status"]) == ("fm-story-image", "Available")
    assert made["DiskDeviceMappings"]["DiskDeviceMapping"][0]["SnapshotId"] == snapshot_id

    # before sharing the recipient does not see it
    assert image_id not in ids(fr.describe_images(image_id=image_id))

    assert share(fo, image_id, "Add", recipient.id)
    assert owner.sdk.shared_accounts(image_id) == [recipient.id]
    # the recipient finds it with ImageOwnerAlias=others and without an alias (system+self+others,
    # what ali_image_info sends)
    assert image_id in ids(fr.describe_images(image_owner_alias="others"))
    [seen] = fr.get_all_images(image_id=image_id)
    assert (seen.image_owner_alias, seen.image_name) == ("others", "fm-story-image")

    # a recipient can tag nothing of the owner's: not even an image shared with it
    with pytest.raises(ServerException) as refused:
        fr.tag_resources(resource_ids=[image_id], resource_type="image", tags={"mine": "yes"})
    assert refused.value.get_http_status() in (400, 403, 404), refused.value
    assert "mine" not in owner.tags_of("image", image_id)

    recipient_sg = fr.create_security_group(security_group_name="fm-story-sg-r")
    [rvm] = launch(fr, image_id, recipient_sg.id, "recipient-vm", {"story": "fm-recipient"})
    assert (rvm.status, rvm.image_id) == ("running", image_id)

    # unshare: the recipient loses the image and cannot launch from it ...
    assert share(fo, image_id, "Remove", recipient.id)
    assert image_id not in ids(fr.describe_images(image_owner_alias="others"))
    assert fr.get_all_images(image_id=image_id) == []
    with pytest.raises(ServerException) as gone:
        launch(fr, image_id, recipient_sg.id, "recipient-vm-2", {"story": "fm-recipient-2"})
    assert gone.value.get_error_code() == "InvalidImageId.NotFound"
    # ... while its running instance stays
    [still] = fr.describe_instances(instance_ids=[rvm.id])
    assert still.status == "running"

    # the owner deletes the unshared image without Force although the former recipient still runs an
    # instance made from it: only the owner's own instances block DeleteImage. footmark swallows every
    # DeleteImage error and returns False (ecs/connection.py:1167-1201), so check the server too.
    assert fo.delete_image(image_id) is True
    assert owner.sdk.describe_images(ImageId=image_id) == []
    assert recipient.instance(rvm.id)["Status"] == "Running"

    # cleanup through footmark: DeleteInstance Force=True, then DescribeInstances until gone;
    # DeleteSecurityGroup, then DescribeSecurityGroupAttribute must say InvalidSecurityGroupId.NotFound
    fr.delete_instances(instance_ids=[rvm.id], force=True)
    fo.delete_instances(instance_ids=[vm.id], force=True)
    assert recipient.instances([rvm.id]) == {} and owner.instances([vm.id]) == {}
    assert recipient_sg.delete() is True and owner_sg.delete() is True
    assert not recipient.group_exists(recipient_sg.id) and not owner.group_exists(owner_sg.id)


# --------------------------------------------------------------------------
# instance lifecycle
# --------------------------------------------------------------------------

def test_instance_lifecycle(owner, recipient):
    fo = connect(owner)
    sg = fo.create_security_group(security_group_name="fm-life-sg")
    user_data = "#!/bin/sh\necho footmark\n"
    tags = {"suite": "footmark", "case": "life"}
    # footmark base64-encodes user_data (format_request_kwargs)
    [vm] = launch(fo, PUBLIC_IMAGE, sg.id, "fm-life", tags, description="lifecycle",
                  host_name="fm-life-host", user_data=user_data)
    assert vm.describe_user_data() == user_data.encode()            # DescribeUserData
    assert (vm.description, vm.host_name, vm.instance_charge_type) == ("lifecycle", "fm-life-host", "PostPaid")

    # decoys the filters must leave out: same tags in another zone, another tag in the same zone,
    # and another account's instance with the very same tags in the same zone
    other_zone = owner.launch(sg.id, zone=OTHER_ZONE, tags=tags, name="decoy-zone")
    other_tag = owner.launch(sg.id, zone=ZONE, tags={"suite": "footmark", "case": "other"}, name="decoy-tag")
    stranger = recipient.launch(recipient.security_group(), zone=ZONE, tags=tags, name="decoy-account")

    assert ids(fo.describe_instances(instance_ids=[vm.id, other_tag])) == sorted([vm.id, other_tag])
    assert ids(fo.describe_instances(tags=tags)) == sorted([vm.id, other_zone])
    assert ids(fo.describe_instances(zone_id=ZONE, tags=tags)) == [vm.id]       # what ali_instance sends
    assert ids(fo.describe_instances(zone_id=OTHER_ZONE)) == [other_zone]
    assert ids(fo.describe_instances(tags={"case": "other"})) == [other_tag]
    assert ids(fo.describe_instances(instance_name="fm-life")) == [vm.id]
    assert stranger not in ids(fo.describe_instances())

    # what ali_instance / ali_instance_info return: Instance.read() with disks and user data
    [inst] = fo.describe_instances(instance_ids=[vm.id])
    inst.block_device_mappings = fo.describe_disks(instance_id=vm.id)
    inst.user_data = inst.describe_user_data()
    info = inst.read()
    assert info["id"] == vm.id and info["availability_zone"] == ZONE
    assert (info["instance_name"], info["host_name"], info["description"]) == \
        ("fm-life", "fm-life-host", "lifecycle")
    assert info["tags"] == tags and info["user_data"] == user_data.encode()
    assert info["status"] == "running" and info["image_id"] == PUBLIC_IMAGE
    ipaddress.ip_address(info["private_ip_address"])
    [root] = info["block_device_mappings"]
    assert root["volume_id"].startswith("d-") and root["status"] == "in_use"
    assert inst.security_group_ids["security_group_id"] == [sg.id]

    # ModifyInstanceAttribute (only the values that differ are sent)
    assert inst.modify(name="fm-life-2", description="renamed", host_name="fm-life-host-2")
    described = owner.instance(vm.id)
    assert (described["InstanceName"], described["Description"], described["HostName"]) == \
        ("fm-life-2", "renamed", "fm-life-host-2")
    [inst] = fo.describe_instances(instance_ids=[vm.id])
    assert (inst.name, inst.description, inst.host_name) == ("fm-life-2", "renamed", "fm-life-host-2")
    assert inst.modify(name="fm-life-2", description="renamed") is False   # nothing differs: no request

    # RebootInstance / StopInstance / StartInstance (footmark polls DescribeInstances until it sees
    # the target state)
    assert fo.reboot_instances(instance_ids=[vm.id], force_stop=False) is True
    assert owner.instance(vm.id)["Status"] == "Running"
    assert fo.stop_instances(instance_ids=[vm.id], force_stop=False) is True
    assert owner.instance(vm.id)["Status"] == "Stopped"
    assert fo.start_instances(instance_ids=[vm.id]) is True
    assert owner.instance(vm.id)["Status"] == "Running"

    # AllocatePublicIpAddress (footmark retries any other error than IncorrectInstanceStatus forever).
    # ECS assigns one only to an instance with public bandwidth; RunInstances with bandwidth assigns
    # it at launch, so the target is made with CreateInstance (through the SDK: no footmark sleep)
    bare = owner.launch_without_public_ip(sg.id, name="fm-bare")
    [target] = fo.describe_instances(instance_ids=[bare])
    assert target.public_ip_address == "" and target.internet_max_bandwidth_out == 5
    assert target.allocate_public_ip() is True
    [target] = fo.describe_instances(instance_ids=[bare])
    public = ipaddress.ip_address(target.public_ip_address)
    assert not public.is_private
    assert owner.instance(bare)["PublicIpAddress"]["IpAddress"] == [str(public)]
    assert target.allocate_public_ip() is False             # footmark: it has one, nothing sent
    [inst] = fo.describe_instances(instance_ids=[vm.id])
    assert inst.public_ip_address == ""                     # launched without bandwidth

    # tags: ListTagResources + TagResources / UntagResources
    assert inst.add_tags({"env": "test"}) is True
    assert fo.list_tag_resources(resource_ids=[vm.id], resource_type="instance") == {**tags, "env": "test"}
    assert inst.add_tags({"env": "test"}) is False                  # already there: no TagResources
    assert owner.tags_of("instance", vm.id) == {**tags, "env": "test"}
    assert inst.remove_tags({"env": "test"}) is True
    assert fo.list_tag_resources(resource_ids=[vm.id], resource_type="instance") == tags

    # DeleteInstance Force=True, then DescribeInstances until it is gone
    fo.delete_instances(instance_ids=[vm.id, bare, other_zone, other_tag], force=True)
    assert owner.instances([vm.id, bare, other_zone, other_tag]) == {}
    assert recipient.instance(stranger)["Status"] == "Running"       # another account's: untouched
    assert sg.delete() is True


def test_catalogue(owner):
    """DescribeZones and DescribeInstanceTypes, as ali_instance_type_facts and libcloud use them."""
    fo = connect(owner)
    zones = ids(fo.describe_zones())
    assert ZONE in zones and OTHER_ZONE in zones
    assert all(z.startswith(REGION + "-") for z in zones), zones
    assert ids(fo.describe_zones(zone_id=ZONE)) == [ZONE]

    types = {t.id: t for t in fo.describe_instance_types()}
    g7 = types[INSTANCE_TYPE]
    assert (g7.instance_type_family, g7.cpu_core_count, g7.memory_size) == ("ecs.g7", 2, 8)
    family = fo.describe_instance_types(instance_type_family="ecs.g7")
    assert INSTANCE_TYPE in ids(family)
    assert {t.instance_type_family for t in family} == {"ecs.g7"}      # the filter filters
    assert len(family) < len(types)


def test_disks(owner):
    """CreateDisk / AttachDisk / DetachDisk / ModifyDiskAttribute / DeleteDisk as ali_disk drives them."""
    fo = connect(owner)
    group = owner.security_group("fm-disk-sg")
    instance_id = owner.launch(group, zone=ZONE, name="fm-disk-vm")   # SDK: no 10 s footmark sleep

    disk = fo.create_disk(zone_id=ZONE, disk_name="fm-data", description="data disk",
                          disk_category="cloud_efficiency", size=20, tags={"suite": "footmark"})
    assert disk.id.startswith("d-")
    assert (disk.status, disk.size, disk.zone_id, disk.type, disk.name) == \
        ("available", 20, ZONE, "data", "fm-data")
    assert owner.tags_of("disk", disk.id) == {"suite": "footmark"}

    assert disk.attach(instance_id) is True                  # AttachDisk, then polls until in_use
    attached = {d.id: d for d in fo.describe_disks(instance_id=instance_id)}
    assert set(attached) == {disk.id, owner.sdk.system_disk(instance_id)["DiskId"]}
    assert (attached[disk.id].status, attached[disk.id].instance_id) == ("in_use", instance_id)

    assert attached[disk.id].modify(disk_name="fm-data-2", description="renamed") is True
    assert (owner.sdk.disk(disk.id)["DiskName"], owner.sdk.disk(disk.id)["Description"]) == \
        ("fm-data-2", "renamed")

    assert fo.detach_disk(disk_id=disk.id, instance_id=instance_id) is True   # polls until available
    assert owner.sdk.disk(disk.id)["Status"] == "Available"
    assert [d.id for d in fo.describe_disks(instance_id=instance_id)] == \
        [owner.sdk.system_disk(instance_id)["DiskId"]]

    # DescribeDisks filters ali_disk / ali_disk_info send
    assert disk.id in ids(fo.describe_disks(zone_id=ZONE, disk_name="fm-data-2"))
    assert disk.id not in ids(fo.describe_disks(zone_id=OTHER_ZONE))
    assert disk.id not in ids(fo.describe_disks(disk_type="system"))

    assert fo.delete_disk(disk_id=disk.id) is True           # DeleteDisk, then InvalidDiskId.NotFound / gone
    assert owner.sdk.call("DescribeDisks", {"DiskIds": f'["{disk.id}"]'})["Disks"]["Disk"] == []
    owner.sdk.delete_instance(instance_id)


def test_security_groups(owner):
    """What ali_security_group does through footmark: create, describe, rules, modify, delete."""
    fo = connect(owner)
    sg = fo.create_security_group(security_group_name="fm-sg", description="first")
    other = fo.create_security_group(security_group_name="fm-sg-other")
    assert sg.permissions == [] and sg.security_group_name == "fm-sg"

    # DescribeSecurityGroups: filters must filter (ali_security_group finds its group by them)
    assert ids(fo.describe_security_groups(security_group_id=sg.id)) == [sg.id]
    assert ids(fo.describe_security_groups()) == sorted([sg.id, other.id])

    # AuthorizeSecurityGroup / AuthorizeSecurityGroupEgress; footmark compares rules by value, so the
    # answer must carry them back as sent (IpProtocol upper case)
    ingress = {"ip_protocol": "TCP", "port_range": "22/22", "source_cidr_ip": "10.0.0.0/8"}
    egress = {"ip_protocol": "TCP", "port_range": "443/443", "dest_cidr_ip": "0.0.0.0/0"}
    assert sg.authorize(dict(ingress), "ingress") is True
    assert sg.authorize(dict(egress), "egress") is True
    group = sg.get()
    rules = [{k: p.get(k) for k in ("direction", *ingress)} for p in group.permissions]
    assert {"direction": "ingress", **ingress} in rules, group.permissions
    assert any(p["direction"] == "egress" and p["port_range"] == "443/443"
               and p["dest_cidr_ip"] == "0.0.0.0/0" for p in group.permissions), group.permissions
    assert group.authorize(dict(ingress), "ingress") is False   # already there: nothing sent

    assert group.revoke(dict(ingress), "ingress") is True       # RevokeSecurityGroup
    assert not any(p["direction"] == "ingress" and p["port_range"] == "22/22"
                   for p in sg.get().permissions)

    # ModifySecurityGroupAttribute
    assert group.modify(name="fm-sg-2", description="second") is True
    again = sg.get()
    assert (again.security_group_name, again.description) == ("fm-sg-2", "second")

    # JoinSecurityGroup / LeaveSecurityGroup on an instance launched in `other`
    instance_id = owner.launch(other.id, name="fm-sg-vm")
    assert fo.join_security_group(instance_id=instance_id, security_group_id=sg.id) is True
    assert sorted(owner.instance(instance_id)["SecurityGroupIds"]["SecurityGroupId"]) == \
        sorted([sg.id, other.id])
    assert fo.leave_security_group(instance_id=instance_id, security_group_id=sg.id) is True
    assert owner.instance(instance_id)["SecurityGroupIds"]["SecurityGroupId"] == [other.id]

    # a group in use cannot be deleted (footmark would retry DependencyViolation for 300 s: use the SDK)
    with pytest.raises(Exception) as in_use:
        owner.sdk.call("DeleteSecurityGroup", {"SecurityGroupId": other.id}, raw=True)
    assert getattr(in_use.value, "code", None) == "DependencyViolation", in_use.value
    owner.sdk.delete_instance(instance_id)

    assert sg.delete() is True and other.delete() is True
    assert fo.describe_security_group_attribute(security_group_id=sg.id) is None   # NotFound -> None
    assert fo.describe_security_groups() == []


def test_user_data_forms(owner):
    """UserData that is already base64 is sent as is by footmark; DescribeUserData gives it back."""
    fo = connect(owner)
    group = owner.security_group("fm-ud-sg")
    encoded = base64.b64encode(b"#cloud-config\n").decode()
    body = owner.sdk.call("RunInstances", {"ImageId": PUBLIC_IMAGE, "InstanceType": INSTANCE_TYPE,
                                           "SecurityGroupId": group, "UserData": encoded}, raw=True)
    [with_data] = body["InstanceIdSets"]["InstanceIdSet"]
    without = owner.launch(group)
    [a] = fo.describe_instances(instance_ids=[with_data])
    [b] = fo.describe_instances(instance_ids=[without])
    assert a.describe_user_data() == b"#cloud-config\n"
    # no user data: UserData is "" (footmark base64-decodes whatever comes back)
    assert b.describe_user_data() == b""
    assert fo.describe_user_data(instance_id=without).user_data == ""
