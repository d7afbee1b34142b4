"""footmark's response parser fed with ImageShare's real answers, byte for byte.

footmark parses JSON with ``yaml.safe_load`` and builds its objects by setting members one at a time
(footmark/connection.py parse_response / parse_value). Its ``Instance.__setattr__`` for
``public_ip_address`` reads ``eip_address``; when that member has not been set yet and
``instance_id`` is not set either, ``__getattr__``/``__repr__`` recurse forever (RecursionError). Inside
a list (DescribeInstances) parse_value moves every scalar member after the object members, so
``EipAddress`` must come before ``PublicIpAddress`` among an Instance's object members; at the top
level (DescribeInstanceAttribute, get_object) members are set in document order, so ``EipAddress`` or
``InstanceId`` must come before ``PublicIpAddress``. Real ECS renders members in Java HashMap order
(``shared/ecs-wire-order.md``), which gives that order for its full Instance object.

``ResultSet`` answers are set on the ResultSet *class*: a member missing from one answer reads the
previous answer's value, so the members footmark reads must always be present.

Each test fetches the raw body with the legacy SDK (no re-serialisation, so member order and number
types are the server's) and runs footmark's own parse_response on it, then checks the values read.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any, Dict

import pytest

import footmark.ecs
from footmark.ecs.instance import Instance
from footmark.ecs.image import Image
from footmark.ecs.securitygroup import SecurityGroup
from footmark.ecs.volume import Disk
from footmark.resultset import ResultSet

from clients.conftest import PUBLIC_IMAGE, REGION, ZONE, Person, fail_on_hang

hang_guard = fail_on_hang(60)


def raw_answer(person: Person, action: str, params: Dict[str, Any]) -> str:
    """The body exactly as the server sent it (JSON), through the legacy SDK."""
    client = person.sdk.client()
    params = {"RegionId": REGION, **params}
    request = client.build_request(action, params, raw=True)
    request.set_accept_format("JSON")
    status, _headers, body = client.get_response(request)
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    assert status == 200, f"{action} {params}: HTTP {status}: {text}"
    return text


@pytest.fixture
def world(owner):
    """An instance with tags, a security group with a rule, a snapshot of its system disk and an
    image from it: everything the answers below describe."""
    group = owner.security_group("parse-sg")
    owner.sdk.call("AuthorizeSecurityGroup", {"SecurityGroupId": group, "IpProtocol": "tcp",
                                              "PortRange": "22/22", "SourceCidrIp": "10.0.0.0/8"},
                   raw=True)
    instance_id = owner.launch(group, zone=ZONE, name="parse-vm", tags={"k1": "v1", "k2": "v2"})
    disk_id = owner.sdk.system_disk(instance_id)["DiskId"]
    snapshot_id = owner.snapshot(disk_id, "parse-snap")
    image_id = owner.sdk.create_image(SnapshotId=snapshot_id, ImageName="parse-image")
    conn = footmark.ecs.connect_to_region(REGION, acs_access_key_id=owner.key,
                                          acs_secret_access_key=owner.secret)
    return dict(owner=owner, conn=conn, group=group, instance=instance_id, disk=disk_id,
                snapshot=snapshot_id, image=image_id)


def parse_list(conn, marker: str, cls, body: str):
    return conn.parse_response([marker, cls], body, conn)


def assert_instance(inst: Instance, w, public_ip: str = "") -> None:
    assert inst.id == w["instance"] and inst.instance_id == w["instance"]
    assert inst.status == "running" and inst.zone_id == ZONE and inst.image_id == PUBLIC_IMAGE
    assert inst.name == "parse-vm"
    assert inst.public_ip_address == public_ip
    assert isinstance(inst.eip_address, dict) and inst.eip_address["ip_address"] == ""
    ipaddress.ip_address(inst.private_ip_address)
    assert inst.security_group_ids["security_group_id"] == [w["group"]]
    assert inst.tags == {"k1": "v1", "k2": "v2"}
    assert inst.instance_charge_type == "PostPaid"
    assert isinstance(inst.vpc_attributes, dict) and "private_ip_address" in inst.vpc_attributes


def test_describe_instances(world):
    body = raw_answer(world["owner"], "DescribeInstances", {"InstanceIds": f'["{world["instance"]}"]'})
    [inst] = parse_list(world["conn"], "Instances", Instance, body)    # RecursionError if misordered
    assert_instance(inst, world)
    # Instance.read() is what ali_instance / ali_instance_info return
    inst.block_device_mappings = []
    info = inst.read()
    assert info["id"] == world["instance"] and info["availability_zone"] == ZONE


def test_describe_instances_with_public_ip(world):
    owner = world["owner"]
    instance_id = owner.launch_without_public_ip(world["group"], name="parse-vm")
    owner.sdk.call("AllocatePublicIpAddress", {"InstanceId": instance_id}, raw=True)
    owner.sdk.call("TagResources", {"ResourceType": "instance", "ResourceId.1": instance_id,
                                    "Tag.1.Key": "k1", "Tag.1.Value": "v1",
                                    "Tag.2.Key": "k2", "Tag.2.Value": "v2"}, raw=True)
    body = raw_answer(owner, "DescribeInstances", {"InstanceIds": f'["{instance_id}"]'})
    [inst] = parse_list(world["conn"], "Instances", Instance, body)
    allocated = owner.instance(instance_id)["PublicIpAddress"]["IpAddress"]
    assert len(allocated) == 1
    assert_instance(inst, {**world, "instance": instance_id}, public_ip=allocated[0])


def java_hash_map_order(names):
    """The order a Java HashMap holding `names` (inserted in that order) iterates them."""
    def hash_code(name):
        value = 0
        for unit in name.encode("utf-16-le").decode("utf-16-le"):
            value = (value * 31 + ord(unit)) & 0xFFFFFFFF
        return value
    capacity = 16
    while len(names) > 0.75 * capacity:
        capacity *= 2
    bucket = {n: (hash_code(n) ^ (hash_code(n) >> 16)) & (capacity - 1) for n in names}
    return sorted(names, key=lambda n: (bucket[n], names.index(n)))


def test_describe_instance_attribute(world, owner):
    """footmark's get_instance_details: the top-level object becomes an Instance, in document order.

    DescribeInstanceAttribute's object has 36 members, so in ECS's order (a 64-bucket HashMap)
    `PublicIpAddress` comes before `EipAddress` and `InstanceId`. footmark then crashes on an instance
    without a public IP, as it would against ECS (ARCHITECTURE.md, "Member order"); with one it works.
    """
    body = raw_answer(world["owner"], "DescribeInstanceAttribute", {"InstanceId": world["instance"]})
    members = list(json.loads(body).keys())
    assert len(members) == 36, members
    assert members == java_hash_map_order(sorted(members, key=members.index)), members
    assert members.index("PublicIpAddress") < members.index("EipAddress")

    # An instance with a public IP parses, through footmark's own call too.
    addressed = owner.launch(world["group"], zone=ZONE, name="parse-vm-ip", bandwidth_out=5)
    body = raw_answer(world["owner"], "DescribeInstanceAttribute", {"InstanceId": addressed})
    inst = world["conn"].parse_response(["", Instance], body, world["conn"])
    assert inst.instance_id == addressed and inst.status == "running"
    assert ipaddress.ip_address(inst.public_ip_address)
    assert inst.security_group_ids["security_group_id"] == [world["group"]]
    assert inst.instance_name == "parse-vm-ip" and inst.zone_id == ZONE
    assert world["conn"].get_instance_details(addressed).instance_id == addressed


def test_describe_disks(world):
    body = raw_answer(world["owner"], "DescribeDisks", {"InstanceId": world["instance"]})
    [disk] = parse_list(world["conn"], "Disks", Disk, body)
    assert disk.id == world["disk"] and disk.status == "in_use" and disk.type == "system"
    assert disk.instance_id == world["instance"] and disk.zone_id == ZONE
    assert isinstance(disk.size, int) and disk.size > 0
    # what Instance.read() reads of every disk in block_device_mappings
    assert disk.device and disk.attached_time and isinstance(disk.delete_with_instance, bool)


def test_describe_snapshots(world):
    """The answer create_image reads (get_snapshot_image): Status and a Progress containing 100%."""
    body = raw_answer(world["owner"], "DescribeSnapshots", {"SnapshotIds": f'["{world["snapshot"]}"]'})
    result = world["conn"].parse_response(["", ResultSet], body, world["conn"])
    [snap] = result.snapshots["snapshot"]
    assert snap["snapshot_id"] == world["snapshot"] and snap["status"] == "accomplished"
    assert "100%" in str(snap["progress"])
    assert snap["source_disk_id"] == world["disk"]
    assert isinstance(snap["source_disk_size"], int)          # a number in ECS's answers
    assert result.total_count == 1


def test_describe_security_group_attribute(world):
    body = raw_answer(world["owner"], "DescribeSecurityGroupAttribute", {"SecurityGroupId": world["group"]})
    group = world["conn"].parse_response(["", SecurityGroup], body, world["conn"])
    assert group.id == world["group"] and group.security_group_name == "parse-sg"
    assert group.description == ""
    [rule] = [p for p in group.permissions if p["direction"] == "ingress"]
    assert (rule["ip_protocol"], rule["port_range"], rule["source_cidr_ip"]) == ("TCP", "22/22", "10.0.0.0/8")
    assert group.read()["group_id"] == world["group"]


def test_describe_images(world):
    body = raw_answer(world["owner"], "DescribeImages", {"ImageId": world["image"]})
    [image] = parse_list(world["conn"], "Images", Image, body)
    assert image.id == world["image"] and image.name == "parse-image"
    assert image.image_owner_alias == "self" and image.status == "Available"
    mapping = image.disk_device_mappings["disk_device_mapping"][0]
    assert mapping["snapshot_id"] == world["snapshot"]
    total = world["conn"].parse_response(["", ResultSet], body, world["conn"]).total_count
    assert total == 1 and isinstance(total, int)                # footmark's delete_image compares > 0
