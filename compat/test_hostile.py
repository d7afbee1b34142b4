"""Hostile input: malformed requests must be refused with a documented 4xx ECS error -- never a 5xx,
never a hang -- and a refused write must change nothing.

The contract (generic limits before authentication, nonce rules, field rules, transport rules, XML output,
read-back of refused writes) is the one the hardening work implements; see the groups below. Every raw
request is built byte by byte (``hostile_cases``) with a hand-written V2 or V3 signer, sent on a fresh
loopback connection and read with a 5-second deadline. A few cases go through the official SDKs
(``conftest.make_client``) as well.

Groups (the test id starts with the group name):

* ``unsigned``   -- rules 1/2 on requests without (valid) signatures: NUL/control bytes, too many
                    parameters, over-long names and values, bad nonces;
* ``ctl``        -- a control byte in every common parameter (validly signed), in business parameters,
                    in parameter names, over V2 query, V2 form body and V3;
* ``limits``     -- more than 512 parameters, names over 128 bytes, values over 4,096 bytes (UTF-8);
* ``nonce``      -- ``SignatureNonce`` / ``x-acs-signature-nonce`` outside 1-128 visible ASCII;
* ``field``      -- the field rules of signed, authenticated calls;
* ``transport``  -- Action only in a header, unsigned content-type, bodies over 1 MiB, broken chunking;
* ``xml``        -- ``Format=XML`` errors that must still parse with xml.etree;
* ``readback``   -- refused writes whose state is read back through the API;
* ``sdk``        -- a few of the above through the three SDK styles.

``test_control_request_is_accepted`` holds the valid neighbours of the hostile cases (boundary values,
the signers themselves): if one of those fails, the hostile verdicts beside it are not trustworthy.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pytest

from conftest import ApiError, patch_nonce
from hostile_cases import (API_VERSION, MAX_BODY, OTHER_REGION, REGION, Case, Pairs, Reply, Wire,
                           check_error, check_success, exchange, form_encode, nonce, parse_error_body,
                           v2_wire, v3_wire)

PUBLIC = "aliyun_3_x64_20G_alibase_20241103.vhd"
ITYPE = "ecs.g7.large"

# Placeholders resolved against the module's fixture world when a case is built.
BUILDER = "@@BUILDER@@"        # running instance, CreateImage source
VICTIM_INSTANCE = "@@VICTIM_INSTANCE@@"
DISK = "@@DISK@@"              # the builder's system disk
IMAGE = "@@IMAGE@@"            # fixture custom image, shared with account D
TARGET_IMAGE = "@@TARGET_IMAGE@@"  # image ModifyImageAttribute cases aim at
VICTIM_IMAGE = "@@VICTIM_IMAGE@@"  # image the DeleteImage cases aim at
ACCOUNT_B = "@@B@@"
ACCOUNT_C = "@@C@@"
ACCOUNT_D = "@@D@@"

CTL = {0x00: "nul", 0x01: "soh", 0x09: "tab", 0x0A: "lf", 0x0D: "cr", 0x1B: "esc", 0x1F: "us", 0x7F: "del"}
COMMON = ("Action", "Version", "Format", "AccessKeyId", "SignatureMethod", "SignatureVersion",
          "SignatureNonce", "Timestamp", "RegionId", "Signature")
N_COMMON = 10                  # the 9 common V2 parameters plus Signature

# The business parameters that make each action valid; a case overrides some of them.
BASE: Dict[str, List[Tuple[str, str]]] = {
    "RunInstances": [("ImageId", PUBLIC), ("InstanceType", ITYPE), ("Amount", "1")],
    "CreateInstance": [("ImageId", PUBLIC), ("InstanceType", ITYPE)],
    "CreateImage": [("InstanceId", BUILDER)],
    "CopyImage": [("ImageId", IMAGE), ("DestinationRegionId", OTHER_REGION)],
    "ModifyImageAttribute": [("ImageId", TARGET_IMAGE)],
    "ModifyImageSharePermission": [("ImageId", IMAGE)],
    "DescribeImageSharePermission": [("ImageId", IMAGE)],
    "CreateSnapshot": [("DiskId", DISK)],
    "DeleteImage": [("ImageId", VICTIM_IMAGE)],
    "DeleteInstance": [("InstanceId", VICTIM_INSTANCE)],
    "StopInstance": [("InstanceId", VICTIM_INSTANCE)],
    "ReInitDisk": [("DiskId", DISK)],
}
# What a refused call must leave unchanged (World.snapshot aspects).
STATE: Dict[str, Tuple[str, ...]] = {
    "RunInstances": ("instances", "disks"),
    "CreateInstance": ("instances", "disks"),
    "CreateImage": ("images",),
    "CopyImage": ("images",),
    "ModifyImageAttribute": ("images",),
    "ModifyImageSharePermission": ("shares", "images"),
    "CreateSnapshot": ("snapshots",),
    "DeleteImage": ("images", "shares"),
    "DeleteInstance": ("instances", "disks"),
    "StopInstance": ("instances",),
    "ReInitDisk": ("instances", "disks"),
}


def merged(action: str, overrides: Sequence[Tuple[str, Optional[str]]]) -> Pairs:
    """BASE[action] with ``overrides`` applied (same name replaces, ``None`` removes, new names append)."""
    pairs = list(BASE.get(action, []))
    for name, value in overrides:
        pairs = [p for p in pairs if p[0] != name]
        if value is not None:
            pairs.append((name, value))
    return pairs


def tags(*kv: Tuple[str, str]) -> List[Tuple[str, str]]:
    out: List[Tuple[str, str]] = []
    for index, (key, value) in enumerate(kv, 1):
        out.append((f"Tag.{index}.Key", key))
        if value is not None:
            out.append((f"Tag.{index}.Value", value))
    return out


# --------------------------------------------------------------------------
# the fixture world: one owner account with an instance, a disk and images
# --------------------------------------------------------------------------

@dataclasses.dataclass
class World:
    server: Any
    port: int
    a: Any                       # the owner every signed case acts as
    b: Any
    c: Any
    d: Any
    ids: Dict[str, str] = dataclasses.field(default_factory=dict)

    # -- building requests ---------------------------------------------------
    def resolve(self, value):
        if isinstance(value, str) and "@@" in value:
            for token, real in self.ids.items():
                value = value.replace(token, real)
        return value

    def pairs(self, pairs: Pairs) -> Pairs:
        return [(self.resolve(n), self.resolve(v)) for n, v in pairs]

    def v2(self, action: Optional[str], params: Pairs = (), **kwargs) -> Wire:
        kwargs.setdefault("body_params", ())
        kwargs["body_params"] = self.pairs(kwargs["body_params"])
        account = kwargs.pop("account", self.a)
        return v2_wire(account, action, self.pairs(params), **kwargs)

    def v3(self, action: str, query: Pairs = (), **kwargs) -> Wire:
        kwargs["body_params"] = self.pairs(kwargs.get("body_params", ()))
        return v3_wire(self.a, action, self.pairs(query), port=self.port, **kwargs)

    def send(self, wire: Wire) -> Reply:
        return exchange(self.port, wire)

    # -- valid calls (setup and read-back) ------------------------------------
    def call(self, action: str, params: Pairs = (), region: str = REGION) -> Dict[str, Any]:
        wire = self.v2(action, params, region=region)
        reply = self.send(wire)
        problems, body = check_success(reply)
        if problems:
            raise AssertionError(f"setup/read-back call {action} failed: {'; '.join(problems)}\n"
                                 f"{wire.describe()}\n{reply.describe()}")
        return body

    def snapshot(self, aspects: Sequence[str]) -> Dict[str, Any]:
        """The parts of the owner's state named by ``aspects``, read through the API."""
        state: Dict[str, Any] = {}

        def attempt(fn):
            try:
                return fn()
            except AssertionError as exc:           # e.g. the victim image is gone
                return f"<read failed: {str(exc).splitlines()[0]}>"

        if "instances" in aspects:
            def instances():
                body = self.call("DescribeInstances", [("PageSize", "100")])
                return body["TotalCount"], sorted(
                    (i["InstanceId"], i["InstanceName"], i["HostName"], i["Description"], i["Status"],
                     i["InstanceChargeType"], json.dumps(i["Tags"], sort_keys=True))
                    for i in body["Instances"]["Instance"])
            state["instances"] = attempt(instances)
        if "disks" in aspects:
            state["disks"] = attempt(lambda: self.call("DescribeDisks", [("PageSize", "100")])["TotalCount"])
        if "images" in aspects:
            def images(region):
                body = self.call("DescribeImages", [("ImageOwnerAlias", "self"), ("Status", "ALL"),
                                                    ("PageSize", "100")], region=region)
                return body["TotalCount"], sorted(
                    (i["ImageId"], i["ImageName"], i["Description"], i["ImageFamily"], i["ImageVersion"],
                     i["Status"], i["IsSelfShared"], json.dumps(i["Tags"], sort_keys=True))
                    for i in body["Images"]["Image"])
            state["images"] = attempt(lambda: images(REGION))
            state["images@" + OTHER_REGION] = attempt(lambda: images(OTHER_REGION))
        if "shares" in aspects:
            def shares(image_id):
                body = self.call("DescribeImageSharePermission", [("ImageId", image_id), ("PageSize", "100")])
                return (body["TotalCount"], sorted(a["AliyunId"] for a in body["Accounts"]["Account"]),
                        body["ShareGroups"]["ShareGroup"])
            state["shares"] = attempt(lambda: shares(self.ids[IMAGE]))
            state["shares-victim"] = attempt(lambda: shares(self.ids[VICTIM_IMAGE]))
        if "snapshots" in aspects:
            state["snapshots"] = attempt(
                lambda: self.call("DescribeSnapshots", [("PageSize", "100")])["TotalCount"])
        return state


@pytest.fixture(scope="module")
def world(server) -> World:
    a, b, c, d = (server.create_account(name=f"hostile-{who}-{uuid.uuid4().hex[:6]}") for who in "abcd")
    w = World(server, server.port, a, b, c, d)
    w.ids.update({ACCOUNT_B: b.account_id, ACCOUNT_C: c.account_id, ACCOUNT_D: d.account_id})

    def run(name: str) -> str:
        body = w.call("RunInstances", [("ImageId", PUBLIC), ("InstanceType", ITYPE), ("Amount", "1"),
                                       ("InstanceName", name)])
        return body["InstanceIdSets"]["InstanceIdSet"][0]

    w.ids[BUILDER] = run("hostile-builder")
    w.ids[VICTIM_INSTANCE] = run("hostile-victim")
    disks = w.call("DescribeDisks", [("InstanceId", w.ids[BUILDER]), ("DiskType", "system")])
    w.ids[DISK] = disks["Disks"]["Disk"][0]["DiskId"]

    def image(name: str, *extra: Tuple[str, str]) -> str:
        return w.call("CreateImage", [("InstanceId", w.ids[BUILDER]), ("ImageName", name), *extra])["ImageId"]

    # The fixture image's description and tag value are legal but full of XML metacharacters.
    w.ids[IMAGE] = image("hostile-fixture", ("Description", "fixture <image> & 'friends' \"quoted\" ]]>"),
                         ("ImageFamily", "hostile-family"), *tags(("team", "<red> & 'blue' \"green\"")))
    w.ids[TARGET_IMAGE] = image("hostile-target", ("Description", "left alone"))
    w.ids[VICTIM_IMAGE] = image("hostile-victim")
    w.call("ModifyImageSharePermission", [("ImageId", w.ids[IMAGE]), ("AddAccount.1", d.account_id)])
    return w


# --------------------------------------------------------------------------
# case tables
# --------------------------------------------------------------------------

CASES: List[Case] = []


def add(case: Case) -> None:
    assert case.id not in {c.id for c in CASES}, f"duplicate case id {case.id}"
    CASES.append(case)


def signed(group: str, name: str, action: Optional[str], params: Pairs = (), *, status: int = 400,
           codes: Sequence[str] = ("InvalidParameter",), names: Sequence[str] = (), state=None,
           fmt: str = "JSON", **wire_kwargs) -> None:
    """A validly signed V2 request of ``action`` with ``params`` (BASE[action] already merged)."""
    # a case that alters Format itself leaves the answer's format open
    check_fmt = None if "Format" in wire_kwargs.get("set_common", {}) else fmt
    add(Case(f"{group}-{name}",
             lambda w, a=action, p=list(params), k=dict(wire_kwargs), f=fmt: w.v2(a, p, fmt=f, **k),
             status=status, codes=tuple(codes), names=tuple(names),
             state=tuple(STATE.get(action or "", ())) if state is None else tuple(state), fmt=check_fmt))


def field(action: str, name: str, overrides: Sequence[Tuple[str, Optional[str]]], code: str, *,
          status: int = 400, in_body: bool = False, names: Sequence[str] = ()) -> None:
    """A field-rule case: a valid ``action`` call with ``overrides`` that must give ``code``."""
    params = merged(action, overrides)
    if in_body:
        signed("field", f"{action}-{name}", action, (), body_params=params, status=status, codes=(code,),
               names=names)
    else:
        signed("field", f"{action}-{name}", action, params, status=status, codes=(code,), names=names)


def ctl_hex(byte: int) -> str:
    return f"0x{byte:02x}-{CTL.get(byte, 'ctl')}"


LONG = "x" * 4097


def _unsigned_cases() -> None:
    g = "unsigned"
    add(Case(f"{g}-AccessKeyId-ab%00cd-alone", lambda w: Wire(target="/?AccessKeyId=ab%00cd")))
    add(Case(f"{g}-AccessKeyId-ab%00cd-GET", lambda w: Wire(method="GET", target="/?AccessKeyId=ab%00cd")))
    add(Case(f"{g}-nul-name-and-value-alone", lambda w: Wire(target="/?%00=%00")))
    add(Case(f"{g}-nul-in-name-alone", lambda w: Wire(target="/?Region%00Id=cn-hangzhou")))
    add(Case(f"{g}-lf-in-form-body-alone", lambda w: Wire(
        headers=[("Content-Type", "application/x-www-form-urlencoded")], body=b"Action=Describe%0ARegions")))
    for param in COMMON:
        if param == "Signature":
            add(Case(f"{g}-nul-in-Signature",
                     lambda w: w.v2("DescribeRegions", [("Signature", "bogus\x00sig=")], sign=False)))
        else:
            add(Case(f"{g}-nul-in-{param}",
                     lambda w, p=param: w.v2("DescribeRegions", sign=False,
                                             set_common={p: lambda old: old + "\x00"}),
                     fmt=None if param == "Format" else "JSON"))
    for byte in (0x01, 0x09, 0x0A, 0x0D, 0x1F, 0x7F):
        add(Case(f"{g}-{ctl_hex(byte)}-in-unknown-AccessKeyId",
                 lambda w, b=byte: w.v2("DescribeRegions", sign=False,
                                        set_common={"AccessKeyId": "LTAI" + chr(b) + "nobody"})))
    add(Case(f"{g}-513-params-in-query", lambda w: w.v2(
        "DescribeRegions", [(f"P{i}", "1") for i in range(513 - N_COMMON + 1)], sign=False)))
    add(Case(f"{g}-600-params-form-body-only", lambda w: Wire(
        headers=[("Content-Type", "application/x-www-form-urlencoded")],
        body=form_encode([(f"P{i}", "1") for i in range(600)]).encode())))
    add(Case(f"{g}-100000-params-form-body-only", lambda w: Wire(
        headers=[("Content-Type", "application/x-www-form-urlencoded")],
        body=form_encode([(f"p{i}", "") for i in range(100_000)]).encode())))
    add(Case(f"{g}-129-byte-name", lambda w: w.v2("DescribeRegions", [("n" * 129, "1")], sign=False),
             names=("n" * 40,)))
    add(Case(f"{g}-4097-byte-value-in-RegionId",
             lambda w: w.v2("DescribeRegions", sign=False, set_common={"RegionId": LONG}), names=("RegionId",)))
    add(Case(f"{g}-4097-byte-value-in-AccessKeyId",
             lambda w: w.v2("DescribeRegions", sign=False, set_common={"AccessKeyId": LONG}),
             names=("AccessKeyId",)))
    add(Case(f"{g}-4097-invalid-utf8-bytes-value", lambda w: Wire(target="/?Action=DescribeRegions&X=" + "%FF" * 4097),
             names=("X",)))
    # (rule 2 alone -- a 129-character or spaced nonce -- is not ordered against the missing Signature, so
    # the unsigned nonce cases break rule 1)
    add(Case(f"{g}-nonce-with-tab",
             lambda w: w.v2("DescribeRegions", sign=False, set_common={"SignatureNonce": "ab\tcd"})))
    add(Case(f"{g}-nonce-4097-chars",
             lambda w: w.v2("DescribeRegions", sign=False, set_common={"SignatureNonce": "n" * 4097})))
    add(Case(f"{g}-nonce-12000-chars",
             lambda w: w.v2("DescribeRegions", sign=False, set_common={"SignatureNonce": "n" * 12000})))
    add(Case(f"{g}-bad-signature-and-nul-in-RegionId",
             lambda w: w.v2("DescribeRegions", set_common={"RegionId": "cn-hangzhou\x00"},
                            after_sign=lambda s: "AAAA" + s[4:])))


def _ctl_cases() -> None:
    g = "ctl"
    # a control byte appended to each common parameter of a validly signed request
    for param in COMMON:
        for byte in (0x00, 0x0A, 0x7F):
            if param == "Signature":
                signed(g, f"{ctl_hex(byte)}-in-Signature", "DescribeRegions",
                       after_sign=lambda s, b=byte: s + chr(b))
            else:
                signed(g, f"{ctl_hex(byte)}-in-{param}", "DescribeRegions",
                       set_common={param: lambda old, b=byte: old + chr(b)})
    # every control byte in a business parameter (a plain substring filter otherwise)
    for byte in CTL:
        signed(g, f"{ctl_hex(byte)}-in-DescribeImages-ImageName", "DescribeImages",
               [("ImageName", f"host{chr(byte)}ile")])
    signed(g, "nul-at-start-of-RegionId", "DescribeRegions", set_common={"RegionId": "\x00cn-hangzhou"})
    signed(g, "nul-in-ImageId-list", "DescribeImages", [("ImageId", f"{PUBLIC},\x00m-x")])
    signed(g, "nul-in-ImageOwnerAlias", "DescribeImages", [("ImageOwnerAlias", "self\x00")])
    signed(g, "nul-in-Tag-key-filter", "DescribeImages", [("Tag.1.Key", "team\x00")])
    signed(g, "soh-in-Tag-value-filter", "DescribeImages", [("Tag.1.Key", "team"), ("Tag.1.Value", "r\x01ed")])
    signed(g, "nul-in-PageSize", "DescribeImages", [("PageSize", "10\x00")])
    signed(g, "lf-in-InstanceIds-json", "DescribeInstances", [("InstanceIds", '["i-1",\n"i-2"]')])
    signed(g, "nul-in-InstanceName-filter", "DescribeInstances", [("InstanceName", "hostile\x00")])
    signed(g, "cr-lf-in-DryRun", "DescribeImages", [("DryRun", "false\r\n")])
    # control bytes in parameter names
    signed(g, "nul-in-name-Region%00Id", "DescribeRegions", [("Region\x00Id", "cn-hangzhou")])
    signed(g, "soh-as-whole-name", "DescribeRegions", [("\x01", "x")])
    signed(g, "lf-in-name-Tag.1.Key%0A", "DescribeImages", [("Tag.1.Key\n", "team")])
    signed(g, "del-in-unknown-name", "DescribeRegions", [("Foo\x7f", "bar")])
    signed(g, "us-in-empty-valued-name", "DescribeRegions", [("Bar\x1f", "")])
    # C1 controls (U+0080-U+009F): PyYAML, which footmark parses answers with, refuses them raw
    signed(g, "nel-in-ImageName-filter", "DescribeImages", [("ImageName", "a\u0085b")])
    signed(g, "c1-in-CreateImage-Description", "CreateImage", merged("CreateImage", [("Description", "a\u0086b")]))
    # the same in a form body, and over V3
    signed(g, "nul-in-form-body-value", "DescribeImages", body_params=[("ImageName", "a\x00b")])
    signed(g, "esc-in-form-body-name", "DescribeImages", body_params=[("Image\x1bName", "ab")])
    signed(g, "nul-in-RunInstances-InstanceName", "RunInstances",
           merged("RunInstances", [("InstanceName", "web\x00server")]))
    signed(g, "lf-in-CreateImage-ImageName", "CreateImage", merged("CreateImage", [("ImageName", "img\nname")]))
    add(Case(f"{g}-v3-nul-in-query-RegionId",
             lambda w: w.v3("DescribeRegions", [("RegionId", "cn-hangzhou\x00")])))
    add(Case(f"{g}-v3-del-in-query-name",
             lambda w: w.v3("DescribeRegions", [("RegionId", REGION), ("X\x7f", "1")])))
    add(Case(f"{g}-v3-lf-in-form-body-value",
             lambda w: w.v3("DescribeImages", [], body_params=[("RegionId", REGION), ("ImageName", "a\nb")])))
    add(Case(f"{g}-v3-nul-in-RunInstances-InstanceName",
             lambda w: w.v3("RunInstances", [("RegionId", REGION)] + merged("RunInstances", [("InstanceName", "a\x00b")])),
             state=STATE["RunInstances"]))


def _limit_cases() -> None:
    g = "limits"
    pad = 513 - N_COMMON
    signed(g, "513-params-in-query", "DescribeRegions", [(f"P{i}", "1") for i in range(pad)])
    signed(g, "513-params-split-query-and-body", "DescribeRegions", [(f"Q{i}", "1") for i in range(250)],
           body_params=[(f"B{i}", "1") for i in range(pad - 250)])
    signed(g, "1000-params-in-body", "DescribeRegions", body_params=[(f"B{i}", "1") for i in range(1000)])
    signed(g, "600-repeats-of-one-name", "DescribeRegions", [("Pad", "1")] * 600)
    signed(g, "513-params-on-RunInstances", "RunInstances",
           merged("RunInstances", [(f"Tag.{i}.Key", f"k{i}") for i in range(1, pad - 2)]))
    # names over 128 bytes
    signed(g, "name-129-bytes-in-query", "DescribeRegions", [("N" * 129, "1")], names=("N" * 40,))
    signed(g, "name-129-bytes-in-body", "DescribeRegions", body_params=[("B" * 129, "1")], names=("B" * 40,))
    signed(g, "name-43-cjk-chars-129-bytes", "DescribeRegions", [("名" * 43, "1")], names=("名" * 10,))
    signed(g, "name-10000-bytes-in-body", "DescribeRegions", body_params=[("L" * 10000, "1")])
    add(Case(f"{g}-v3-name-129-bytes-in-query",
             lambda w: w.v3("DescribeRegions", [("RegionId", REGION), ("Q" * 129, "1")]), names=("Q" * 40,)))
    # values over 4,096 bytes
    signed(g, "value-4097-bytes-unknown-param-query", "DescribeRegions", [("Junk", LONG)], names=("Junk",))
    signed(g, "value-4097-bytes-unknown-param-body", "DescribeRegions", body_params=[("Junk", LONG)],
           names=("Junk",))
    signed(g, "value-1366-cjk-chars-4098-bytes", "DescribeImages", [("ImageName", "镜" * 1366)],
           names=("ImageName",))
    signed(g, "value-4097-invalid-utf8", "DescribeRegions", [("Junk", b"\xff" * 4097)], names=("Junk",))
    signed(g, "value-100000-bytes-in-body", "DescribeRegions", body_params=[("Junk", "y" * 100_000)],
           names=("Junk",))
    for param in COMMON:
        if param == "Signature":
            signed(g, "value-4097-bytes-Signature", "DescribeRegions", after_sign=lambda s: s + "A" * 4097,
                   names=("Signature",))
        elif param == "SignatureNonce":
            continue                                  # nonce group
        else:
            signed(g, f"value-4097-bytes-{param}", "DescribeRegions",
                   set_common={param: lambda old: old + "z" * (4097 - len(old))}, names=(param,))
    add(Case(f"{g}-v3-value-4097-bytes-query",
             lambda w: w.v3("DescribeRegions", [("RegionId", REGION), ("Junk", LONG)]), names=("Junk",)))
    add(Case(f"{g}-v3-value-4097-bytes-form-body",
             lambda w: w.v3("DescribeImages", [], body_params=[("RegionId", REGION), ("ImageName", LONG)]),
             names=("ImageName",)))


def _nonce_cases() -> None:
    g = "nonce"
    def unique(length: int) -> str:
        return (nonce() * (length // 32 + 1))[:length]

    bad = {
        "129-chars": unique(129),
        "200-chars": unique(200),
        "12000-chars": unique(12000),
        "inner-space": "ab cd" + nonce(),
        "leading-space": " " + nonce(),
        "trailing-space": nonce() + " ",
        "tab": nonce() + "\t",
        "latin1-e-acute": nonce() + "é",
        "cjk": nonce() + "中",
        "nbsp": "\u00a0" + nonce(),
        "del": nonce() + "\x7f",
        "nul": nonce() + "\x00",
    }
    for name, value in bad.items():
        signed(g, f"v2-{name}", "DescribeRegions", set_common={"SignatureNonce": value})
    signed(g, "v2-empty", "DescribeRegions", set_common={"SignatureNonce": ""},
           codes=("InvalidParameter", "MissingParameter"))
    v3_bad = {
        "129-chars": unique(129).encode(),
        "12000-chars": unique(12000).encode(),
        "inner-space": b"ab cd" + nonce().encode(),
        "inner-tab": b"ab\t" + nonce().encode(),
        "latin1-byte": nonce().encode() + b"\xe9",
        "utf8-cjk": nonce().encode() + "中".encode(),
    }
    for name, value in v3_bad.items():
        add(Case(f"{g}-v3-{name}", lambda w, v=value: w.v3("DescribeRegions", [("RegionId", REGION)],
                                                            nonce_value=v)))
    add(Case(f"{g}-v3-empty", lambda w: w.v3("DescribeRegions", [("RegionId", REGION)], nonce_value=b""),
             codes=("InvalidParameter", "MissingParameter")))


def _field_cases() -> None:
    F = field
    # InstanceName (RunInstances, CreateInstance)
    bad_instance_names = {
        "1-char": "a", "129-chars": "i" * 129, "leading-digit": "1web", "leading-underscore": "_web",
        "leading-dash": "-web", "space": "web server", "slash": "web/1", "at-sign": "web@1",
        "hash": "web#1", "http-prefix": "http://web", "https-prefix": "https://web", "emoji": "web😀",
        "1-cjk-char": "网", "129-cjk-chars": "网" * 129,
    }
    for name, value in bad_instance_names.items():
        F("RunInstances", f"InstanceName-{name}", [("InstanceName", value)], "InvalidInstanceName.Malformed")
    for name in ("1-char", "129-chars", "http-prefix", "leading-digit"):
        F("CreateInstance", f"InstanceName-{name}", [("InstanceName", bad_instance_names[name])],
          "InvalidInstanceName.Malformed")
    # HostName
    bad_host_names = {
        "1-char": "h", "65-chars": "h" * 65, "leading-dash": "-host", "trailing-dash": "host-",
        "leading-dot": ".host", "trailing-dot": "host.", "underscore": "ho_st", "space": "ho st",
        "cjk": "主机名", "slash": "ho/st", "colon": "host:22",
    }
    for name, value in bad_host_names.items():
        F("RunInstances", f"HostName-{name}", [("HostName", value)], "InvalidHostName.Malformed")
    F("CreateInstance", "HostName-65-chars", [("HostName", "h" * 65)], "InvalidHostName.Malformed")
    # Description / DestinationDescription
    bad_descriptions = {"1-char": "d", "257-chars": "d" * 257, "http-prefix": "http://example.com",
                        "https-prefix": "https://example.com"}
    for action, param in (("RunInstances", "Description"), ("CreateInstance", "Description"),
                          ("CreateImage", "Description"), ("ModifyImageAttribute", "Description"),
                          ("CreateSnapshot", "Description"), ("CopyImage", "DestinationDescription")):
        for name, value in bad_descriptions.items():
            if action == "CreateInstance" and name != "257-chars":
                continue
            F(action, f"{param}-{name}", [(param, value)], "InvalidDescription.Malformed")
    # ImageName / DestinationImageName
    bad_image_names = {
        "1-char": "m", "129-chars": "m" * 129, "leading-digit": "1image", "leading-underscore": "_image",
        "aliyun-prefix": "aliyun-image", "ALIYUN-prefix": "ALIYUNimage", "acs-prefix": "acs:image",
        "http-prefix": "http://image", "https-prefix": "https://image", "space": "my image",
        "brackets": "image[1]", "comma": "image,1", "slash": "image/1", "emoji": "image😀",
    }
    for name, value in bad_image_names.items():
        F("CreateImage", f"ImageName-{name}", [("ImageName", value)], "InvalidImageName.Malformed")
    for name in ("1-char", "129-chars", "aliyun-prefix", "acs-prefix", "space"):
        F("CopyImage", f"DestinationImageName-{name}", [("DestinationImageName", bad_image_names[name])],
          "InvalidImageName.Malformed")
    for name in ("1-char", "https-prefix", "leading-digit", "comma", "aliyun-prefix"):
        F("ModifyImageAttribute", f"ImageName-{name}", [("ImageName", bad_image_names[name])],
          "InvalidImageName.Malformed")
    # SnapshotName
    for name, value in {"auto-prefix": "auto-snap", "Auto-prefix": "AutoSnap", "1-char": "s",
                        "129-chars": "s" * 129, "leading-digit": "1snap", "aliyun-prefix": "aliyun-snap",
                        "space": "snap shot", "http-prefix": "http://snap"}.items():
        F("CreateSnapshot", f"SnapshotName-{name}", [("SnapshotName", value)], "InvalidSnapshotName.Malformed")
    # Tags
    key_cases = {"129-chars": "k" * 129, "aliyun-prefix": "aliyun-key", "ALIYUN-prefix": "ALIYUNkey",
                 "acs-prefix": "acs:key", "contains-http": "key-http://x", "https-prefix": "https://key"}
    value_cases = {"129-chars": "v" * 129, "aliyun-prefix": "aliyun-value", "acs-prefix": "acs:value",
                   "contains-http": "see http://x", "https-prefix": "https://value"}
    for name, key in key_cases.items():
        F("CreateImage", f"Tag-key-{name}", tags((key, "v")), "InvalidTagKey.Malformed")
    for name, value in value_cases.items():
        F("CreateImage", f"Tag-value-{name}", tags(("team", value)), "InvalidTagValue.Malformed")
    F("CreateImage", "Tag-second-key-acs-prefix", tags(("team", "red"), ("acs:x", "v")), "InvalidTagKey.Malformed")
    F("CreateImage", "21-tags", tags(*[(f"k{i}", "v") for i in range(21)]), "InvalidTagCount")
    F("CreateImage", "duplicate-tag-key", tags(("team", "red"), ("team", "blue")), "Duplicate.TagKey")
    F("RunInstances", "Tag-key-aliyun-prefix", tags(("aliyun", "v")), "InvalidTagKey.Malformed")
    F("RunInstances", "Tag-value-acs-prefix", tags(("team", "acs:v")), "InvalidTagValue.Malformed")
    F("RunInstances", "Tag-value-contains-https", tags(("team", "x https://y")), "InvalidTagValue.Malformed")
    F("RunInstances", "21-tags", tags(*[(f"k{i}", "v") for i in range(21)]), "InvalidTagCount")
    F("RunInstances", "duplicate-tag-key", tags(("team", "a"), ("team", "b")), "Duplicate.TagKey")
    F("CopyImage", "Tag-key-acs-prefix", tags(("acs:key", "v")), "InvalidTagKey.Malformed")
    F("CopyImage", "Tag-value-129-chars", tags(("team", "v" * 129)), "InvalidTagValue.Malformed")
    # ClientToken
    for action in ("RunInstances", "CreateImage", "CreateSnapshot", "CopyImage"):
        F(action, "ClientToken-65-chars", [("ClientToken", "t" * 65)], "InvalidParameter")
    F("CreateImage", "ClientToken-non-ascii", [("ClientToken", "tök-" + nonce())], "InvalidParameter")
    F("CreateInstance", "ClientToken-cjk", [("ClientToken", "令牌" + nonce())], "InvalidParameter")
    # list filters
    F("DescribeImages", "ImageName-filter-129-chars", [("ImageName", "m" * 129)], "InvalidParameter")
    F("DescribeImages", "ImageName-filter-60000-chars", [("ImageName", "m" * 60000)], "InvalidParameter",
      in_body=True)
    F("DescribeInstances", "InstanceName-filter-129-chars", [("InstanceName", "i" * 129)], "InvalidParameter")
    F("DescribeInstances", "InstanceName-filter-50001-chars", [("InstanceName", "i" * 50001)],
      "InvalidParameter", in_body=True)
    # ImageFamily / ImageVersion
    for name, value in {"leading-digit": "1family", "aliyun-prefix": "aliyun-family", "acs-prefix": "acs:fam",
                        "1-char": "f", "129-chars": "f" * 129, "space": "fam ily"}.items():
        F("CreateImage", f"ImageFamily-{name}", [("ImageFamily", value)], "InvalidParameter")
    for name, value in {"http-prefix": "http://family", "1-char": "f"}.items():
        F("ModifyImageAttribute", f"ImageFamily-{name}", [("ImageFamily", value)], "InvalidParameter")
    F("CreateImage", "ImageVersion-41-chars", [("ImageVersion", "1" * 41)], "InvalidParameter")
    F("CreateImage", "ImageVersion-400-chars", [("ImageVersion", "v" * 400)], "InvalidParameter")
    # security group / vswitch ids
    F("RunInstances", "SecurityGroupId-65-chars", [("SecurityGroupId", "sg-" + "a" * 62)], "InvalidParameter")
    F("RunInstances", "SecurityGroupIds.1-65-chars", [("SecurityGroupIds.1", "sg-" + "b" * 62)],
      "InvalidParameter")
    F("RunInstances", "SecurityGroupIds.2-65-chars",
      [("SecurityGroupIds.1", "sg-ok"), ("SecurityGroupIds.2", "sg-" + "c" * 62)], "InvalidParameter")
    F("RunInstances", "VSwitchId-65-chars", [("VSwitchId", "vsw-" + "d" * 61)], "InvalidParameter")
    F("CreateInstance", "SecurityGroupId-65-chars", [("SecurityGroupId", "sg-" + "e" * 62)], "InvalidParameter")
    F("CreateInstance", "VSwitchId-4000-chars", [("VSwitchId", "vsw-" + "f" * 3996)], "InvalidParameter")
    # disk categories
    for name, value in {"cloud_gold": "cloud_gold", "ssd": "ssd", "inner-space": "cloud essd",
                        "local": "ephemeral_ssd"}.items():
        F("RunInstances", f"SystemDisk.Category-{name}", [("SystemDisk.Category", value)],
          "InvalidSystemDiskCategory.ValueNotSupported")
    F("CreateInstance", "SystemDisk.Category-gold", [("SystemDisk.Category", "gold")],
      "InvalidSystemDiskCategory.ValueNotSupported")
    F("RunInstances", "DataDisk.1.Category-cloud_gold",
      [("DataDisk.1.Size", "40"), ("DataDisk.1.Category", "cloud_gold")], "InvalidDataDiskCategory.ValueNotSupported")
    F("RunInstances", "DataDisk.1.Category-ephemeral",
      [("DataDisk.1.Size", "40"), ("DataDisk.1.Category", "ephemeral")], "InvalidDataDiskCategory.ValueNotSupported")
    F("RunInstances", "DataDisk.2.Category-bad-after-good",
      [("DataDisk.1.Size", "40"), ("DataDisk.1.Category", "cloud_essd"),
       ("DataDisk.2.Size", "40"), ("DataDisk.2.Category", "floppy")], "InvalidDataDiskCategory.ValueNotSupported")
    # InstanceChargeType
    for name, value in {"Spot": "Spot", "Free": "Free", "PrePaidX": "PrePaidX", "both": "PrePaid,PostPaid"}.items():
        F("RunInstances", f"InstanceChargeType-{name}", [("InstanceChargeType", value)], "InvalidParameter")
    F("CreateInstance", "InstanceChargeType-Monthly", [("InstanceChargeType", "Monthly")], "InvalidParameter")
    # integers
    ints = [
        ("DescribeImages", "PageSize", "0"), ("DescribeImages", "PageSize", "101"),
        ("DescribeImages", "PageSize", "abc"), ("DescribeImages", "PageSize", "1.5"),
        ("DescribeImages", "PageSize", "-5"), ("DescribeImages", "PageSize", "99999999999999999999"),
        ("DescribeImages", "PageSize", "0x10"), ("DescribeImages", "PageNumber", "-1"),
        ("DescribeImages", "PageNumber", "0"), ("DescribeImages", "PageNumber", "abc"),
        ("DescribeInstances", "PageSize", "0"), ("DescribeInstances", "PageSize", "101"),
        ("DescribeInstances", "PageNumber", "-1"), ("DescribeImageSharePermission", "PageSize", "101"),
        ("DescribeImageSharePermission", "PageNumber", "0"), ("DescribeDisks", "PageSize", "0"),
        ("DescribeSnapshots", "PageSize", "101"),
        ("RunInstances", "Amount", "0"), ("RunInstances", "Amount", "101"), ("RunInstances", "Amount", "-1"),
        ("RunInstances", "Amount", "abc"), ("RunInstances", "Amount", "1.0"), ("RunInstances", "Amount", "1e2"),
    ]
    for action, param, value in ints:
        F(action, f"{param}={value}", [(param, value)], "InvalidParameter")
    # disk sizes have ECS codes of their own
    for value in ("abc", "40GB", "19", "2049"):
        F("RunInstances", f"SystemDisk.Size={value}", [("SystemDisk.Size", value)],
          "InvalidSystemDiskSize.ValueNotSupported")
    for value in ("abc", "19"):
        F("RunInstances", f"DataDisk.1.Size={value}", [("DataDisk.1.Size", value)],
          "InvalidDataDiskSize.ValueNotSupported")
    # booleans
    bools = [
        ("DescribeImages", "DryRun", "yes"), ("DescribeImages", "DryRun", "1"), ("DescribeImages", "DryRun", "0"),
        ("DescribeImages", "DryRun", "on"), ("DescribeImages", "DryRun", "tru"),
        ("DescribeImages", "IsPublic", "maybe"), ("DescribeInstances", "DryRun", "1"),
        ("RunInstances", "DryRun", "yes"), ("CreateImage", "DryRun", "1"),
        ("ModifyImageSharePermission", "IsPublic", "yes"), ("ReInitDisk", "AutoStartInstance", "ok"),
    ]
    for action, param, value in bools:
        F(action, f"{param}={value}", [(param, value)], "InvalidParameter")
    # checked before the store is asked whether the resource exists
    F("DeleteImage", "Force=maybe-unknown-image", [("ImageId", "m-doesnotexist000000"), ("Force", "maybe")],
      "InvalidParameter")
    F("DeleteInstance", "Force=2-unknown-instance", [("InstanceId", "i-doesnotexist000000"), ("Force", "2")],
      "InvalidParameter")
    F("RunInstances", "DataDisk.1.DeleteWithInstance=nah",
      [("DataDisk.1.Size", "40"), ("DataDisk.1.DeleteWithInstance", "nah")], "InvalidParameter")
    # a DryRun must still report the field error
    F("RunInstances", "DryRun-true-with-bad-InstanceName", [("DryRun", "true"), ("InstanceName", "1bad")],
      "InvalidInstanceName.Malformed")
    F("CreateImage", "DryRun-true-with-bad-Tag-value", [("DryRun", "true")] + tags(("team", "aliyun-x")),
      "InvalidTagValue.Malformed")


def _transport_cases() -> None:
    g = "transport"
    header_action = [("x-acs-action", "DescribeRegions"), ("x-acs-version", API_VERSION)]
    signed(g, "v2-no-Action-but-x-acs-action-header", None, headers=header_action, codes=("MissingParameter",))
    signed(g, "v2-no-Action-but-x-acs-action-RunInstances", None, merged("RunInstances", []),
           headers=[("x-acs-action", "RunInstances"), ("x-acs-version", API_VERSION)],
           codes=("MissingParameter",), state=STATE["RunInstances"])
    add(Case(f"{g}-unsigned-no-Action-but-x-acs-action-header",
             lambda w: w.v2(None, sign=False, headers=header_action), codes=("MissingParameter",)))
    add(Case(f"{g}-v3-unsigned-content-type-form-body",
             lambda w: w.v3("DescribeImages", [], body_params=[("RegionId", REGION)], sign_content_type=False),
             codes=("IncompleteSignature",)))
    add(Case(f"{g}-v3-unsigned-content-type-RunInstances",
             lambda w: w.v3("RunInstances", [], body_params=[("RegionId", REGION)] + merged("RunInstances", []),
                            sign_content_type=False),
             codes=("IncompleteSignature",), state=STATE["RunInstances"]))
    add(Case(f"{g}-v3-unsigned-content-type-text-plain",
             lambda w: w.v3("DescribeRegions", [("RegionId", REGION)], body=b"hello",
                            content_type="text/plain", sign_content_type=False),
             codes=("IncompleteSignature",)))
    # bodies over 1 MiB
    big = b"Pad=" + b"a" * (MAX_BODY - 3)
    add(Case(f"{g}-unsigned-form-body-1MiB-plus-1", lambda w: Wire(
        headers=[("Content-Type", "application/x-www-form-urlencoded")], body=big), status=413))
    add(Case(f"{g}-signed-octet-stream-body-1MiB-plus-1", lambda w: dataclasses.replace(
        w.v2("DescribeRegions", headers=[("Content-Type", "application/octet-stream")]),
        body=b"\x00" * (MAX_BODY + 1)), status=413))
    add(Case(f"{g}-signed-form-body-4MiB", lambda w: dataclasses.replace(
        w.v2("DescribeRegions", headers=[("Content-Type", "application/x-www-form-urlencoded")]),
        body=b"Pad=" + b"b" * (4 * MAX_BODY)), status=413))
    add(Case(f"{g}-v3-form-body-1MiB-plus-1", lambda w: w.v3(
        "DescribeImages", [], body_params=[("RegionId", REGION), ("Pad", "c" * (MAX_BODY - 20))]), status=413))

    def chunked(w: World, framed: bytes) -> Wire:
        base = w.v2("DescribeRegions")
        return dataclasses.replace(base, headers=[("Content-Type", "application/x-www-form-urlencoded"),
                                                  ("Transfer-Encoding", "chunked")], raw_body=framed)

    half = b"a" * (MAX_BODY // 2 + 1)
    add(Case(f"{g}-chunked-body-1MiB-plus-2", lambda w: chunked(
        w, b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(half), half, len(half), half)), status=413))
    bad_chunks = {
        "non-hex-size": b"zz\r\nhello\r\n0\r\n\r\n",
        "negative-size": b"-1\r\nhello\r\n0\r\n\r\n",
        "0x-prefixed-size": b"0x5\r\nhello\r\n0\r\n\r\n",
        "overflowing-size": b"ffffffffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
        "empty-size-line": b"\r\nhello\r\n0\r\n\r\n",
        "size-with-inner-space": b"5 5\r\nhello\r\n0\r\n\r\n",
        "nul-in-size-line": b"5\x00\r\nhello\r\n0\r\n\r\n",
        "data-longer-than-size": b"3\r\nhello world\r\n0\r\n\r\n",
    }
    for name, framed in bad_chunks.items():
        add(Case(f"{g}-chunked-{name}", lambda w, f=framed: chunked(w, f), transport=True))


def _xml_cases() -> None:
    g = "xml"
    X = dict(fmt="XML")
    signed(g, "unknown-action", "Describe<&>Nothing", status=404, codes=("InvalidAction.NotFound",), **X)
    signed(g, "soh-in-name", "DescribeRegions", [("Bad\x01Name", "x")], **X)
    signed(g, "nul-in-RegionId", "DescribeRegions", set_common={"RegionId": "cn\x00hangzhou"}, **X)
    signed(g, "every-ctl-byte-in-one-value", "DescribeImages",
           [("ImageName", "".join(chr(b) for b in range(32)) + "\x7f")], **X)
    signed(g, "name-129-metacharacters", "DescribeRegions", [("<&>" * 43, "1")], **X)
    signed(g, "name-129-bytes-of-U+FFFE", "DescribeRegions", [("\ufffe" * 43, "1")], **X)
    signed(g, "name-invalid-utf8-with-ctl", "DescribeRegions", [(b"\xff\x00\xfe", "1")], **X)
    signed(g, "value-cdata-end-and-nul", "DescribeImages", [("ImageName", "]]>\x00<![CDATA[")], **X)
    signed(g, "ImageName-filter-129-lt", "DescribeImages", [("ImageName", "<" * 129)], **X)
    signed(g, "CreateImage-ImageName-markup", "CreateImage", merged("CreateImage", [("ImageName", "<img>&x")]),
           codes=("InvalidImageName.Malformed",), **X)
    signed(g, "bad-signature-with-markup-params", "DescribeImages", [("ImageName", "<a href='x'>&amp;</a>")],
           after_sign=lambda s: "AAAA" + s[4:], codes=("SignatureDoesNotMatch",), **X)
    signed(g, "lower-case-xml-and-U+FFFF-name", "DescribeRegions", [("\uffff" * 43, "1")], fmt="xml")


def _readback_cases() -> None:
    g = "readback"
    signed(g, "RunInstances-Amount-3-InstanceName-129", "RunInstances",
           merged("RunInstances", [("Amount", "3"), ("InstanceName", "n" * 129)]),
           codes=("InvalidInstanceName.Malformed",))
    signed(g, "CreateInstance-bad-HostName", "CreateInstance",
           merged("CreateInstance", [("HostName", "-bad-"), ("InstanceName", "fine-name")]),
           codes=("InvalidHostName.Malformed",))
    signed(g, "CreateImage-good-fields-bad-tag", "CreateImage",
           merged("CreateImage", [("ImageName", "good-name"), ("Description", "good description")])
           + tags(("ok", "fine"), ("aliyun:bad", "v")), codes=("InvalidTagKey.Malformed",))
    signed(g, "ModifyImageAttribute-good-name-bad-Description", "ModifyImageAttribute",
           merged("ModifyImageAttribute", [("ImageName", "renamed-image"), ("Description", "https://evil")]),
           codes=("InvalidDescription.Malformed",))
    signed(g, "ModifyImageAttribute-good-description-bad-family", "ModifyImageAttribute",
           merged("ModifyImageAttribute", [("Description", "changed description"), ("ImageFamily", "acs:x")]))
    signed(g, "ModifyImageAttribute-nul-in-Description", "ModifyImageAttribute",
           merged("ModifyImageAttribute", [("ImageName", "renamed-again"), ("Description", "a\x00b")]))
    signed(g, "Share-AddAccount-with-nul", "ModifyImageSharePermission",
           merged("ModifyImageSharePermission", [("AddAccount.1", ACCOUNT_B + "\x00")]))
    signed(g, "Share-AddAccount-only-nul", "ModifyImageSharePermission",
           merged("ModifyImageSharePermission", [("AddAccount.1", "\x00")]))
    signed(g, "Share-good-then-soh-account", "ModifyImageSharePermission",
           merged("ModifyImageSharePermission", [("AddAccount.1", ACCOUNT_B), ("AddAccount.2", ACCOUNT_C + "\x01")]))
    signed(g, "Share-RemoveAccount-with-lf", "ModifyImageSharePermission",
           merged("ModifyImageSharePermission", [("RemoveAccount.1", ACCOUNT_D + "\n")]))
    signed(g, "Share-good-add-bad-IsPublic", "ModifyImageSharePermission",
           merged("ModifyImageSharePermission", [("AddAccount.1", ACCOUNT_B), ("IsPublic", "yes")]))
    signed(g, "Share-AddAccount-4097-bytes", "ModifyImageSharePermission",
           merged("ModifyImageSharePermission", [("AddAccount.1", ACCOUNT_B), ("AddAccount.2", "9" * 4097)]),
           names=("AddAccount.2",))
    signed(g, "CopyImage-bad-DestinationDescription", "CopyImage",
           merged("CopyImage", [("DestinationImageName", "copy-ok"), ("DestinationDescription", "http://x")]),
           codes=("InvalidDescription.Malformed",))
    signed(g, "CreateSnapshot-auto-name", "CreateSnapshot",
           merged("CreateSnapshot", [("SnapshotName", "auto-nightly"), ("Description", "fine description")]),
           codes=("InvalidSnapshotName.Malformed",))
    signed(g, "DeleteImage-Force-maybe", "DeleteImage", merged("DeleteImage", [("Force", "maybe")]))
    signed(g, "DeleteInstance-Force-2", "DeleteInstance", merged("DeleteInstance", [("Force", "2")]))
    signed(g, "StopInstance-nul-in-InstanceId", "StopInstance",
           [("InstanceId", VICTIM_INSTANCE + "\x00")])
    signed(g, "RunInstances-ClientToken-65", "RunInstances",
           merged("RunInstances", [("Amount", "2"), ("ClientToken", "c" * 65)]))
    signed(g, "RunInstances-good-fields-bad-DataDisk-category", "RunInstances",
           merged("RunInstances", [("InstanceName", "good-name"), ("HostName", "good-host"),
                                   ("DataDisk.1.Size", "40"), ("DataDisk.1.Category", "tape")]),
           codes=("InvalidDataDiskCategory.ValueNotSupported",))


_unsigned_cases()
_ctl_cases()
_limit_cases()
_nonce_cases()
_field_cases()
_transport_cases()
_xml_cases()
_readback_cases()


# --------------------------------------------------------------------------
# the hostile test
# --------------------------------------------------------------------------

def verdict(case: Case, reply: Reply) -> List[str]:
    if case.transport:
        # malformed chunking: a 4xx other than 413, or a closed connection; never 5xx, 413, 2xx or a hang
        if reply.hung:
            return ["no answer and no close within 5 s (hang)"]
        if reply.status is None:
            return []
        problems = []
        if not (400 <= reply.status < 500) or reply.status == 413:
            problems.append(f"expected a 4xx other than 413 (or a closed connection), got HTTP {reply.status}")
        if reply.body and "json" in reply.content_type:
            fields, problem = parse_error_body(reply)
            if fields is None:
                problems.append(problem)
            else:
                problems += [f"error body has no non-empty {k}" for k in ("RequestId", "Code", "Message")
                             if not fields.get(k)]
        return problems
    fmt = case.fmt.upper() if case.fmt else None
    # an invalid Format value (e.g. "JSON\x00") leaves the answer's format open
    return check_error(reply, case.status, case.codes, names=case.names, fmt=fmt if fmt in ("JSON", "XML") else None)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_request_is_refused(world, case):
    before = world.snapshot(case.state) if case.state else None
    wire = case.build(world)
    reply = world.send(wire)
    problems = verdict(case, reply)
    if before is not None:
        after = world.snapshot(case.state)
        for aspect in before:
            if before[aspect] != after[aspect]:
                problems.append(f"refused write changed state '{aspect}':\n  before: {str(before[aspect])[:1500]}"
                                f"\n  after:  {str(after[aspect])[:1500]}")
    if problems:
        pytest.fail("\n".join(["- " + p for p in problems]) + "\n\n" + wire.describe() + "\n\n" + reply.describe(),
                    pytrace=False)


def test_readback_sees_valid_writes(world):
    """The read-back is sensitive: each aspect the hostile cases compare changes after a valid write (so an
    unchanged read-back after a refused write means something)."""
    aspects = ("instances", "disks", "images", "shares", "snapshots")
    writes = [
        ("instances", "RunInstances", merged("RunInstances", [("InstanceName", "readback-probe")])),
        ("images", "CreateImage", merged("CreateImage", [("ImageName", "readback-probe")])),
        ("shares", "ModifyImageSharePermission", [("ImageId", IMAGE), ("AddAccount.1", ACCOUNT_C)]),
        ("snapshots", "CreateSnapshot", [("DiskId", DISK), ("SnapshotName", "readback-probe")]),
        ("images", "ModifyImageAttribute", [("ImageId", TARGET_IMAGE), ("Description", f"probe {nonce()}")]),
    ]
    try:
        for aspect, action, params in writes:
            before = world.snapshot(aspects)
            world.call(action, params)
            after = world.snapshot(aspects)
            assert before[aspect] != after[aspect], \
                f"{action} succeeded but the read-back of '{aspect}' did not change: {before[aspect]}"
    finally:
        world.call("ModifyImageSharePermission", [("ImageId", IMAGE), ("RemoveAccount.1", ACCOUNT_C)])
        world.call("ModifyImageAttribute", [("ImageId", TARGET_IMAGE), ("Description", "left alone")])


# --------------------------------------------------------------------------
# the valid neighbours of the hostile cases
# --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Control:
    id: str
    build: Any
    fmt: str = "JSON"
    expect: Optional[Tuple[str, int]] = None     # an expected error instead of 200 (DryRunOperation)
    check: Any = None                            # extra check on the parsed body -> problem or None


def _visible_nonce(length: int = 128) -> str:
    punctuation = "".join(chr(c) for c in range(0x21, 0x7F) if not chr(c).isalnum())
    text = nonce() + punctuation
    return (text * (length // len(text) + 1))[:length]


def _xml_images_check(root) -> Optional[str]:
    names = {e.findtext("ImageName"): e for e in root.iter("Image")}
    fixture = names.get("hostile-fixture")
    if fixture is None:
        return "the fixture image is missing from the XML answer"
    if fixture.findtext("Description") != "fixture <image> & 'friends' \"quoted\" ]]>":
        return f"Description did not round-trip: {fixture.findtext('Description')!r}"
    return None


CONTROLS: List[Control] = [
    Control("v2-query", lambda w: w.v2("DescribeRegions")),
    Control("v2-form-body", lambda w: w.v2("DescribeImages", body_params=[("PageSize", "5")])),
    Control("v2-GET", lambda w: w.v2("DescribeRegions", method="GET")),
    Control("v3-query", lambda w: w.v3("DescribeRegions", [("RegionId", REGION)])),
    Control("v3-form-body-signed-content-type",
            lambda w: w.v3("DescribeImages", [], body_params=[("RegionId", REGION), ("PageSize", "5")])),
    Control("v3-nonce-128-visible-ascii",
            lambda w: w.v3("DescribeRegions", [("RegionId", REGION)], nonce_value=_visible_nonce().encode())),
    Control("v2-nonce-128-visible-ascii",
            lambda w: w.v2("DescribeRegions", set_common={"SignatureNonce": _visible_nonce()})),
    Control("v2-exactly-512-params",
            lambda w: w.v2("DescribeRegions", [(f"P{i}", "1") for i in range(512 - N_COMMON)])),
    Control("v2-512-params-split-query-body",
            lambda w: w.v2("DescribeRegions", [(f"Q{i}", "1") for i in range(200)],
                           body_params=[(f"B{i}", "1") for i in range(512 - N_COMMON - 200)])),
    Control("v2-name-128-bytes", lambda w: w.v2("DescribeRegions", [("N" * 128, "1")])),
    Control("v2-name-42-cjk-plus-2-ascii-128-bytes", lambda w: w.v2("DescribeRegions", [("名" * 42 + "ab", "1")])),
    Control("v2-value-4096-bytes", lambda w: w.v2("DescribeRegions", [("Junk", "x" * 4096)])),
    Control("v2-value-1365-cjk-plus-1-4096-bytes", lambda w: w.v2("DescribeRegions", [("Junk", "镜" * 1365 + "a")])),
    Control("v2-non-control-unicode-value", lambda w: w.v2("DescribeImages", [("ImageName", "é中\u00a0\u2028")])),
    Control("chunked-valid-form-body", lambda w: dataclasses.replace(
        w.v2("DescribeImages", body_params=[("PageSize", "3")]),
        headers=[("Content-Type", "application/x-www-form-urlencoded"), ("Transfer-Encoding", "chunked")],
        raw_body=b"%x\r\n%s\r\n0\r\n\r\n" % (len(form_encode([("PageSize", "3")])),
                                              form_encode([("PageSize", "3")]).encode()))),
    Control("octet-stream-body-exactly-1MiB", lambda w: dataclasses.replace(
        w.v2("DescribeRegions", headers=[("Content-Type", "application/octet-stream")]), body=b"\x00" * MAX_BODY)),
    Control("DescribeImages-ImageName-filter-128", lambda w: w.v2("DescribeImages", [("ImageName", "m" * 128)])),
    Control("DescribeInstances-InstanceName-filter-128",
            lambda w: w.v2("DescribeInstances", [("InstanceName", "i" * 128)])),
    Control("DescribeImages-PageSize-100-PageNumber-1",
            lambda w: w.v2("DescribeImages", [("PageSize", "100"), ("PageNumber", "1")])),
    Control("DescribeImages-DryRun-fAlSe", lambda w: w.v2("DescribeImages", [("DryRun", "fAlSe")])),
    Control("DescribeImages-DryRun-TRUE", lambda w: w.v2("DescribeImages", [("DryRun", "TRUE")]),
            expect=("DryRunOperation", 400)),
    Control("RunInstances-edge-names", lambda w: w.v2("RunInstances", merged("RunInstances", [
        ("InstanceName", "W" + "eb.1:_-[],x" * 11 + "abcdef"), ("HostName", "h" + "-a" * 31 + "z"),
        ("Description", "D" * 256), ("ClientToken", "t" + nonce() + "t" * 31)]))),
    Control("RunInstances-cjk-name-2-char-host", lambda w: w.v2("RunInstances", merged("RunInstances", [
        ("InstanceName", "实例-1"), ("HostName", "ab"), ("InstanceChargeType", "PrePaid")]))),
    Control("RunInstances-categories-and-20-tags", lambda w: w.v2("RunInstances", merged("RunInstances", [
        ("SystemDisk.Category", "cloud_auto"), ("DataDisk.1.Size", "40"),
        ("DataDisk.1.Category", "cloud_essd_entry"),
        ("VSwitchId", "vsw-" + "b" * 60)] + tags(*[(f"k{i}", "v" * 128) for i in range(20)])))),
    # a 64-character group ID passes the length limit and is then looked up: no such group
    Control("RunInstances-unknown-64-char-security-group", lambda w: w.v2("RunInstances", merged("RunInstances", [
        ("SecurityGroupId", "sg-" + "a" * 61)])), expect=("InvalidSecurityGroupId.NotFound", 404)),
    Control("CreateImage-edge-fields", lambda w: w.v2("CreateImage", merged("CreateImage", [
        ("ImageName", "镜像" + "a" * 126), ("Description", "d" * 256), ("ImageFamily", "fam.ily:1_x-y"),
        ("ImageVersion", "v" * 40)] + tags(("k" * 128, "<&>\"'"), ("team", ""))))),
    Control("CreateSnapshot-valid-name", lambda w: w.v2("CreateSnapshot", [
        ("DiskId", DISK), ("SnapshotName", "snap-" + nonce()[:8]), ("Description", "ok")])),
    Control("xml-DescribeRegions", lambda w: w.v2("DescribeRegions", fmt="XML"), fmt="XML"),
    Control("xml-DescribeImages-metacharacter-filter",
            lambda w: w.v2("DescribeImages", [("ImageName", "<&>]]>\"'")], fmt="XML"), fmt="XML"),
    Control("xml-DescribeImages-U+FFFE-tag-filter",
            lambda w: w.v2("DescribeImages", [("Tag.1.Key", "\ufffe")], fmt="XML"), fmt="XML"),
    Control("xml-own-images-with-markup-description",
            lambda w: w.v2("DescribeImages", [("ImageOwnerAlias", "self"), ("PageSize", "100")], fmt="XML"),
            fmt="XML", check=_xml_images_check),
]


@pytest.mark.parametrize("control", CONTROLS, ids=[c.id for c in CONTROLS])
def test_control_request_is_accepted(world, control):
    wire = control.build(world)
    reply = world.send(wire)
    if control.expect:
        problems = check_error(reply, control.expect[1], (control.expect[0],), fmt=control.fmt)
        body = None
    else:
        problems, body = check_success(reply, control.fmt)
    if not problems and control.check and body is not None:
        problem = control.check(body)
        if problem:
            problems.append(problem)
    if problems:
        pytest.fail("\n".join("- " + p for p in problems) + "\n\n" + wire.describe() + "\n\n" + reply.describe(),
                    pytrace=False)


# --------------------------------------------------------------------------
# the same contract through the official SDKs
# --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class SdkCase:
    id: str
    action: str
    params: Dict[str, Any]
    code: str
    state: Tuple[str, ...] = ()
    nonce: Optional[str] = None      # the length of a patched nonce


SDK_CASES = [
    SdkCase("RunInstances-InstanceName-129", "RunInstances",
            {"ImageId": PUBLIC, "InstanceType": ITYPE, "Amount": 1, "InstanceName": "n" * 129},
            "InvalidInstanceName.Malformed", STATE["RunInstances"]),
    SdkCase("CreateImage-Tag-key-aliyun", "CreateImage",
            {"InstanceId": BUILDER, "Tag": [{"Key": "aliyun-x", "Value": "v"}]},
            "InvalidTagKey.Malformed", STATE["CreateImage"]),
    SdkCase("DescribeImages-ImageName-60000", "DescribeImages", {"ImageName": "m" * 60000}, "InvalidParameter"),
    SdkCase("DescribeInstances-InstanceName-50001", "DescribeInstances", {"InstanceName": "i" * 50001},
            "InvalidParameter"),
    SdkCase("Share-AddAccount-nul", "ModifyImageSharePermission",
            {"ImageId": IMAGE, "AddAccount": [ACCOUNT_B + "\x00"]}, "InvalidParameter", STATE["ModifyImageSharePermission"]),
    SdkCase("nonce-129-chars", "DescribeRegions", {}, "InvalidParameter", nonce="129"),
]


def _sdk_params(world: World, params: Any) -> Any:
    if isinstance(params, dict):
        return {k: _sdk_params(world, v) for k, v in params.items()}
    if isinstance(params, list):
        return [_sdk_params(world, v) for v in params]
    return world.resolve(params)


@pytest.mark.parametrize("style", ["v3", "v2", "old"])
@pytest.mark.parametrize("sdk_case", SDK_CASES, ids=[c.id for c in SDK_CASES])
def test_sdk_request_is_refused(world, sdk_case, style, monkeypatch):
    client = world.server.client(style, world.a)
    params = _sdk_params(world, {"RegionId": REGION, **sdk_case.params})
    the_nonce = None
    if sdk_case.nonce:
        the_nonce = (nonce() * 5)[:int(sdk_case.nonce)]
        patch_nonce(monkeypatch, style, the_nonce)
    shown = {k: (v if len(str(v)) < 80 else f"{str(v)[:60]}... ({len(str(v))} chars)") for k, v in params.items()}
    request = f"--- request ({style} SDK) ---\n{sdk_case.action} {shown}" + \
        (f" SignatureNonce={the_nonce[:20]}... ({len(the_nonce)} chars)" if the_nonce else "")
    before = world.snapshot(sdk_case.state) if sdk_case.state else None
    problems: List[str] = []
    try:
        result = client.call(sdk_case.action, params, raw=True)
        response = f"--- response ---\nHTTP 200 {json.dumps(result)[:1500]}"
        problems.append(f"expected {sdk_case.code} (HTTP 400), but the call succeeded")
    except ApiError as err:
        response = f"--- response ---\nHTTP {err.http_status} {err.code}: {str(err.message)[:1500]} " \
                   f"(RequestId {err.request_id})"
        if (err.code, err.http_status) != (sdk_case.code, 400):
            problems.append(f"expected {sdk_case.code} (HTTP 400), got {err.code} (HTTP {err.http_status})")
        if not err.request_id or err.request_id == "None":
            problems.append("the error carries no RequestId")
    except Exception as exc:                           # transport failure inside the SDK (e.g. a hang)
        response = f"--- response ---\n{type(exc).__name__}: {str(exc)[:1500]}"
        problems.append("the SDK call failed without a server error")
    if before is not None:
        monkeypatch.undo()                             # read-back with fresh nonces
        after = world.snapshot(sdk_case.state)
        for aspect in before:
            if before[aspect] != after[aspect]:
                problems.append(f"refused write changed state '{aspect}':\n  before: {str(before[aspect])[:1500]}"
                                f"\n  after:  {str(after[aspect])[:1500]}")
    if problems:
        pytest.fail("\n".join("- " + p for p in problems) + "\n\n" + request + "\n\n" + response, pytrace=False)
