"""apache-libcloud 3.9.1's ECS driver, unmodified, against ImageShare.

The driver signs V2 (HMAC-SHA1) GET requests with every parameter in the query, asks for XML and reads
answers with ElementTree paths (member order does not matter to it). It is pointed at the server with
its own constructor arguments: ``secure=False, host='127.0.0.1', port=PORT``.

Covers the seed story (a REAL security group created by the driver, create_node, a snapshot of the system
disk, create_image from it, share, the recipient finds and launches it, unshare, the recipient loses it
and keeps its node, the owner deletes the image without Force) and every other call the driver makes:
catalogue (list_locations, list_sizes, ex_list_zones, paged list_images with ex_filters), security
groups, reboot/stop/start, create_public_ip, volumes, snapshots, copy_image, delete_image, destroy_node.

The driver has no sharing method: ModifyImageSharePermission goes through
``driver.connection.request('/', params=…)``, signed like every other call.

Trap: libcloud's signer reads ``sys.stdin.encoding`` on every signed parameter
(libcloud/common/aliyun.py:232): run pytest with an open stdin (``< /dev/null``), not a closed one.
"""

from __future__ import annotations

import ipaddress
import sys

import pytest
from libcloud.common.exceptions import BaseHTTPError
from libcloud.compute.providers import get_driver
from libcloud.compute.types import NodeState, Provider, StorageVolumeState, VolumeSnapshotState

from clients.conftest import (INSTANCE_TYPE, OTHER_REGION, OTHER_ZONE, PUBLIC_IMAGE, REGION, ZONE,
                              Person, fail_on_hang)

ECS = get_driver(Provider.ALIYUN_ECS)
# create_node/reboot/stop/start poll DescribeInstances every 3 s until the target state
hang_guard = fail_on_hang(150)


@pytest.fixture(autouse=True)
def open_stdin():
    if sys.__stdin__ is None:
        pytest.fail("stdin is closed: libcloud's signer reads sys.stdin.encoding. Run pytest with "
                    "`< /dev/null`.", pytrace=False)


@pytest.fixture
def driver(server):
    def make(person: Person, region: str = REGION):
        # secure=False: http; host/port replace ecs.aliyuncs.com:443 (libcloud/common/base.py)
        return ECS(person.key, person.secret, region=region, secure=False, host="127.0.0.1",
                   port=server.port)
    return make


def share(drv, image_id: str, verb: str, account_id: str) -> None:
    """No sharing method in the driver: a signed raw request through its connection."""
    response = drv.connection.request("/", params={
        "Action": "ModifyImageSharePermission", "RegionId": drv.region, "ImageId": image_id,
        f"{verb}Account.1": account_id})
    assert response.success()


def node_ids(nodes) -> list:
    return sorted(n.id for n in nodes)


def size_of(drv, type_id: str = INSTANCE_TYPE):
    """The NodeSize from list_sizes (DescribeInstanceTypes, sent without RegionId)."""
    sizes = {s.id: s for s in drv.list_sizes()}
    assert type_id in sizes, sorted(sizes)
    return sizes[type_id]


# --------------------------------------------------------------------------
# the seed story
# --------------------------------------------------------------------------

def test_seed_story(driver, owner, recipient):
    od, rd = driver(owner), driver(recipient)
    size = size_of(od)
    public = od.get_image(PUBLIC_IMAGE)                                  # DescribeImages ImageId=

    owner_sg = od.ex_create_security_group(description="libcloud story")  # CreateSecurityGroup
    assert owner_sg.startswith("sg-") and owner.group_exists(owner_sg)
    vm = od.create_node(name="lc-owner", size=size, image=public, ex_security_group_id=owner_sg)
    [vm] = od.list_nodes(ex_node_ids=[vm.id])
    assert vm.state == NodeState.RUNNING and vm.extra["image_id"] == PUBLIC_IMAGE
    assert owner.instance(vm.id)["SecurityGroupIds"]["SecurityGroupId"] == [owner_sg]

    [system_disk] = od.list_volumes(ex_filters={"InstanceId": vm.id, "DiskType": "system"})
    snapshot = od.create_volume_snapshot(system_disk, name="lc-story-snap")   # + DescribeSnapshots
    assert snapshot.state == VolumeSnapshotState.AVAILABLE
    image = od.create_image(vm, "lc-story-image", description="made by libcloud",
                            ex_snapshot_id=snapshot.id)                        # + DescribeImages
    assert image.id.startswith("m-") and image.extra["image_owner_alias"] == "self"
    assert image.extra["disk_device_mappings"]["snapshot_id"] == snapshot.id

    assert image.id not in node_ids(rd.list_images(ex_filters={"ImageOwnerAlias": "others"}))
    share(od, image.id, "Add", recipient.id)
    shared = {i.id: i for i in rd.list_images(ex_filters={"ImageOwnerAlias": "others"})}
    assert list(shared) == [image.id]
    assert shared[image.id].name == "lc-story-image"

    recipient_sg = rd.ex_create_security_group(description="recipient")
    rvm = rd.create_node(name="lc-recipient", size=size, image=shared[image.id],
                         ex_security_group_id=recipient_sg)
    [rvm] = rd.list_nodes(ex_node_ids=[rvm.id])
    assert rvm.state == NodeState.RUNNING and rvm.extra["image_id"] == image.id

    share(od, image.id, "Remove", recipient.id)
    assert rd.list_images(ex_filters={"ImageOwnerAlias": "others"}) == []
    with pytest.raises(Exception) as refused:                      # CreateInstance
        rd.create_node(name="lc-recipient-2", size=size, image=image, ex_security_group_id=recipient_sg)
    assert "InvalidImageId.NotFound" in str(refused.value)
    assert rd.list_nodes(ex_node_ids=[rvm.id])[0].state == NodeState.RUNNING   # keeps running

    # libcloud never sends Force: the owner's DeleteImage must not be blocked by the former
    # recipient's instance (only the owner's own instances block it)
    assert od.delete_image(image) is True
    assert od.list_images(ex_image_ids=[image.id]) == []
    assert recipient.instance(rvm.id)["Status"] == "Running"

    # cleanup: destroy_node = StopInstance (+ wait) + DeleteInstance without Force
    assert rd.destroy_node(rvm) is True and od.destroy_node(vm) is True
    assert recipient.instances([rvm.id]) == {} and owner.instances([vm.id]) == {}
    assert od.destroy_volume_snapshot(snapshot) is True
    assert od.list_volume_snapshots(None, ex_snapshot_ids=[snapshot.id]) == []
    assert rd.ex_delete_security_group_by_id(recipient_sg) is True
    assert od.ex_delete_security_group_by_id(owner_sg) is True
    assert not owner.group_exists(owner_sg) and not recipient.group_exists(recipient_sg)


# --------------------------------------------------------------------------
# catalogue
# --------------------------------------------------------------------------

def test_catalogue(driver, owner):
    d = driver(owner)
    regions = {loc.id: loc for loc in d.list_locations()}                  # DescribeRegions
    assert REGION in regions and OTHER_REGION in regions and regions[REGION].name

    g7 = size_of(d)                                                         # DescribeInstanceTypes
    assert g7.ram == 8.0                                                    # MemorySize, GiB
    assert g7.extra == {"cpu_core_count": 2, "instance_type_family": "ecs.g7"}

    zones = {z.id: z for z in d.ex_list_zones()}                            # DescribeZones
    assert ZONE in zones and OTHER_ZONE in zones
    zone = zones[ZONE]
    assert zone.name and "Instance" in zone.available_resource_types
    assert INSTANCE_TYPE in zone.available_instance_types
    assert "cloud_efficiency" in zone.available_disk_categories
    assert ZONE not in {z.id for z in d.ex_list_zones(region_id=OTHER_REGION)}

    # list_images follows PageNumber/PageSize/TotalCount until every page is read
    public = owner.sdk.image_ids(ImageOwnerAlias="system")
    assert len(public) > 10                                # more than one default page of 10
    listed = d.list_images(ex_filters={"ImageOwnerAlias": "system"})
    assert sorted(i.id for i in listed) == sorted(public)
    small_pages = d.list_images(ex_filters={"ImageOwnerAlias": "system", "PageSize": 5})
    assert sorted(i.id for i in small_pages) == sorted(public)
    assert {i.extra["image_owner_alias"] for i in listed} == {"system"}
    assert d.list_images(ex_filters={"ImageOwnerAlias": "self"}) == []
    assert [i.id for i in d.list_images(ex_image_ids=[PUBLIC_IMAGE])] == [PUBLIC_IMAGE]


# --------------------------------------------------------------------------
# the plain lifecycle
# --------------------------------------------------------------------------

def test_security_groups(driver, owner):
    d = driver(owner)
    sg = d.ex_create_security_group(description="lc first")
    other = d.ex_create_security_group(description="lc other")
    assert d.ex_modify_security_group_by_id(sg, name="lc-sg", description="lc changed") is True

    groups = {g.id: g for g in d.ex_list_security_groups()}                 # DescribeSecurityGroups
    assert set(groups) == {sg, other}
    assert (groups[sg].name, groups[sg].description) == ("lc-sg", "lc changed")
    assert groups[sg].creation_time
    assert [g.id for g in d.ex_list_security_groups(ex_filters={"SecurityGroupId": sg})] == [sg]
    assert [g.id for g in d.ex_list_security_groups(ex_filters={"SecurityGroupName": "lc-sg"})] == [sg]

    # libcloud cannot authorize rules: the SDK adds one (default NicType internet)
    owner.sdk.call("AuthorizeSecurityGroup", {"SecurityGroupId": sg, "IpProtocol": "tcp",
                                              "PortRange": "22/22", "SourceCidrIp": "0.0.0.0/0"},
                   raw=True)
    [rule] = d.ex_list_security_group_attributes(group_id=sg)               # NicType=internet
    assert (rule.ip_protocol, rule.port_range, rule.nic_type) == ("TCP", "22/22", "internet")
    assert rule.policy.lower() == "accept"
    assert d.ex_list_security_group_attributes(group_id=sg, nic_type="intranet") == []
    assert d.ex_list_security_group_attributes(group_id=other) == []

    node = d.create_node(name="lc-sg-vm", size=size_of(d), image=d.get_image(PUBLIC_IMAGE),
                         ex_security_group_id=sg)
    assert d.ex_join_security_group(node, group_id=other) is True
    assert sorted(owner.instance(node.id)["SecurityGroupIds"]["SecurityGroupId"]) == sorted([sg, other])
    assert d.ex_leave_security_group(node, group_id=other) is True
    assert owner.instance(node.id)["SecurityGroupIds"]["SecurityGroupId"] == [sg]

    # a group with an instance in it cannot be deleted
    with pytest.raises(Exception) as in_use:
        d.ex_delete_security_group_by_id(sg)
    assert "DependencyViolation" in str(in_use.value)
    assert d.destroy_node(node) is True
    assert d.ex_delete_security_group_by_id(sg) is True
    assert d.ex_delete_security_group_by_id(other) is True
    assert d.ex_list_security_groups() == []


def test_node_lifecycle(driver, owner, recipient):
    d = driver(owner)
    sg = d.ex_create_security_group(description="lc lifecycle")
    size, public = size_of(d), d.get_image(PUBLIC_IMAGE)
    node = d.create_node(name="lc-node", size=size, image=public, ex_security_group_id=sg,
                         ex_description="lifecycle", ex_hostname="lc-host",
                         ex_internet_charge_type="PayByTraffic", ex_internet_max_bandwidth_out=5)
    [node] = d.list_nodes(ex_node_ids=[node.id])
    assert (node.name, node.extra["description"], node.extra["hostname"]) == \
        ("lc-node", "lifecycle", "lc-host")
    assert node.extra["zone_id"] and node.private_ips and node.public_ips == []

    # ex_filters are sent verbatim: the server must filter by them (or refuse), never ignore them
    decoy = owner.launch(sg, zone=OTHER_ZONE, name="lc-decoy", tags={"role": "decoy"})
    stranger = recipient.launch(recipient.security_group(), name="lc-node")
    assert node_ids(d.list_nodes()) == sorted([node.id, decoy])
    assert node_ids(d.list_nodes(ex_filters={"ZoneId": OTHER_ZONE})) == [decoy]
    assert node_ids(d.list_nodes(ex_filters={"InstanceName": "lc-node"})) == [node.id]
    assert node_ids(d.list_nodes(ex_filters={"Tag.1.Key": "role", "Tag.1.Value": "decoy"})) == [decoy]
    assert node_ids(d.list_nodes(ex_filters={"Status": "Running", "PageSize": 1})) == sorted([node.id, decoy])
    assert stranger not in node_ids(d.list_nodes(ex_filters={"InstanceName": "lc-node"}))

    assert d.reboot_node(node) is True                                       # RebootInstance
    assert d.stop_node(node) is True                                         # StopInstance
    assert d.list_nodes(ex_node_ids=[node.id])[0].state == NodeState.STOPPED
    assert d.start_node(node) is True                                        # StartInstance
    assert d.list_nodes(ex_node_ids=[node.id])[0].state == NodeState.RUNNING

    ip = d.create_public_ip(node.id)                                         # AllocatePublicIpAddress
    assert not ipaddress.ip_address(ip).is_private
    assert d.list_nodes(ex_node_ids=[node.id])[0].public_ips == [ip]

    # volumes: CreateDisk / AttachDisk / DetachDisk / DeleteDisk
    volume = d.create_volume(20, "lc-data", ex_zone_id=node.extra["zone_id"], ex_description="data",
                             ex_disk_category="cloud_efficiency")
    assert (volume.size, volume.state, volume.extra["type"]) == (20, StorageVolumeState.AVAILABLE, "data")
    assert d.attach_volume(node, volume) is True
    attached = {v.id: v for v in d.list_volumes(ex_filters={"InstanceId": node.id})}
    assert volume.id in attached and len(attached) == 2
    assert attached[volume.id].state == StorageVolumeState.INUSE
    assert attached[volume.id].extra["instance_id"] == node.id
    assert [v.id for v in d.list_volumes(ex_filters={"InstanceId": node.id, "DiskType": "data"})] == [volume.id]
    assert d.detach_volume(volume) is True               # looks the instance up with DescribeDisks
    assert d.list_volumes(ex_volume_ids=[volume.id])[0].state == StorageVolumeState.AVAILABLE
    assert d.destroy_volume(volume) is True
    assert d.list_volumes(ex_volume_ids=[volume.id]) == []

    # snapshots, an image from one, copies, and deleting it all again
    [system_disk] = d.list_volumes(ex_filters={"InstanceId": node.id, "DiskType": "system"})
    snapshot = d.create_volume_snapshot(system_disk, name="lc-life-snap", ex_description="life")
    assert [s.id for s in d.list_volume_snapshots(system_disk)] == [snapshot.id]     # DiskId filter
    assert snapshot.extra["source_disk_id"] == system_disk.id
    assert snapshot.extra["source_disk_size"] == system_disk.size
    image = d.create_image(node, "lc-life-image", ex_snapshot_id=snapshot.id)
    near = d.copy_image(REGION, image, "lc-life-copy", description="copy")   # same region
    assert near.id != image.id and near.name == "lc-life-copy"
    far_driver = driver(owner, OTHER_REGION)
    # the driver looks the copy up in its own region: use one in the destination region
    far = far_driver.copy_image(REGION, image, "lc-life-far", ex_destination_region_id=OTHER_REGION)
    assert far.name == "lc-life-far"
    assert far.id in owner.sdk.image_ids(OTHER_REGION, ImageOwnerAlias="self", Status="ALL")
    assert far_driver.delete_image(far) is True
    assert d.delete_image(near) is True and d.delete_image(image) is True
    assert d.list_images(ex_filters={"ImageOwnerAlias": "self"}) == []
    assert d.destroy_volume_snapshot(snapshot) is True                       # DeleteSnapshot
    assert d.list_volume_snapshots(system_disk) == []

    assert d.destroy_node(node) is True
    assert node_ids(d.list_nodes()) == [decoy]
    assert recipient.instance(stranger)["Status"] == "Running"
    owner.sdk.delete_instance(decoy)
    assert d.ex_delete_security_group_by_id(sg) is True


def test_public_ip_needs_bandwidth(driver, owner):
    """ECS assigns a public IP only to an instance with public bandwidth above 0 Mbit/s."""
    d = driver(owner)
    sg = d.ex_create_security_group(description="lc no bandwidth")
    node = d.create_node(name="lc-no-bandwidth", size=size_of(d), image=d.get_image(PUBLIC_IMAGE),
                         ex_security_group_id=sg)
    with pytest.raises(BaseHTTPError) as refused:
        d.create_public_ip(node.id)
    assert refused.value.code == 403 and "OperationDenied" in str(refused.value), refused.value
    assert d.list_nodes(ex_node_ids=[node.id])[0].public_ips == []
    assert d.destroy_node(node) is True and d.ex_delete_security_group_by_id(sg) is True
