#!/usr/bin/env python3
"""The moto peer of bench/run: the same scenarios as AWS EC2 calls against moto's server.

  moto_peer.py serve --port P                       moto's server, access log off
  moto_peer.py seed --endpoint URL --out F          ImageShare's benchmark fixture, as AMIs in moto
  moto_peer.py sign --fixture F --scenario S --count N --endpoint URL --out FILE

`sign` writes bench/presigned.lua's format: METHOD<TAB>PATH<TAB>header: value<TAB>... (Query API GETs, empty body).

Account model: moto keeps one EC2 backend per account and never lets one account see another's AMIs, so
cross-account sharing cannot be exercised. Every call is made as the image owner (moto's default account,
which any unknown access key maps to); the recipient exists only as the account ID in launch permissions.
"""
import argparse
import datetime
import hashlib
import hmac
import json
import os
import sys
import urllib.parse

REGION = "us-east-1"
ACCESS_KEY, SECRET_KEY = "AKIAIMAGESHAREBENCH0", "imageshare-bench-secret"
OWNER = "123456789012"  # moto's default account
RECIPIENT = "222222222222"
SHARE_TARGETS = [f"9{n:011d}" for n in range(50)]
OTHERS = 1000
OTHERS_PAGE = "others-00*"  # 100 of the 1,000 names: what one ImageShare page (PageSize=100) returns
FILLER_SHARES = 5  # the small ImageShare store has 5 shares per image


def serve(args):
    import logging

    # ImageShare runs with --log-level warning; werkzeug's per-request access line would cost moto alone.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # Only the fixture's AMIs, as ImageShare's store holds only the seeded images (moto would add ~hundreds).
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    from moto.server import main

    main(["-H", "127.0.0.1", "-p", str(args.port)])


def seed(args):
    import boto3

    ec2 = boto3.client(
        "ec2", endpoint_url=args.endpoint, region_name=REGION,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)

    def image(name, users):
        image_id = ec2.register_image(Name=name)["ImageId"]
        if users:
            ec2.modify_image_attribute(
                ImageId=image_id, LaunchPermission={"Add": [{"UserId": user} for user in users]})
        return image_id

    fixture = {
        "region": REGION,
        "owner": OWNER,
        "recipient": RECIPIENT,
        "sharedImageId": image("bench-shared", SHARE_TARGETS),
        "modifyImageId": image("bench-modify", []),
        "shareTargetId": SHARE_TARGETS[7],
        "othersNameFilter": OTHERS_PAGE,
    }
    others = [
        image(f"others-{n:04d}", [RECIPIENT] + [SHARE_TARGETS[(n + j) % 50] for j in range(FILLER_SHARES)])
        for n in range(OTHERS)
    ]
    fixture["launchImageId"] = others[0]
    with open(args.out, "w") as out:
        json.dump(fixture, out, indent=2)


def call(scenario, index, fixture):
    """The AWS counterpart of each ImageShare scenario (see BENCHMARKS.md)."""
    if scenario == "share-permission":
        return "DescribeImageAttribute", [("ImageId", fixture["sharedImageId"]), ("Attribute", "launchPermission")]
    if scenario == "others":
        # moto ignores MaxResults for images and answers all matches: a name filter keeps one page of 100.
        return "DescribeImages", [
            ("ExecutableBy.1", fixture["recipient"]),
            ("Filter.1.Name", "name"), ("Filter.1.Value.1", fixture["othersNameFilter"])]
    if scenario == "modify":
        operation = "Add" if index % 2 == 0 else "Remove"
        return "ModifyImageAttribute", [
            ("ImageId", fixture["modifyImageId"]), (f"LaunchPermission.{operation}.1.UserId", fixture["shareTargetId"])]
    if scenario == "run-instances":
        return "RunInstances", [
            ("ImageId", fixture["launchImageId"]), ("InstanceType", "t2.micro"), ("MinCount", "1"), ("MaxCount", "1")]
    raise ValueError(scenario)


def quote(value):
    return urllib.parse.quote(value, safe="-_.~")


class SigV4:
    """AWS Signature Version 4 for Query API GETs: the signing key is derived once, as the date is fixed."""

    def __init__(self, host, region, service, now):
        self.host = host
        self.amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        day = now.strftime("%Y%m%d")
        self.scope = f"{day}/{region}/{service}/aws4_request"
        key = ("AWS4" + SECRET_KEY).encode()
        for part in (day, region, service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        self.key = key
        self.empty_hash = hashlib.sha256(b"").hexdigest()

    def line(self, parameters):
        query = "&".join(f"{quote(k)}={quote(v)}" for k, v in sorted(parameters))
        canonical = (
            f"GET\n/\n{query}\nhost:{self.host}\nx-amz-date:{self.amz_date}\n\nhost;x-amz-date\n{self.empty_hash}")
        to_sign = (
            f"AWS4-HMAC-SHA256\n{self.amz_date}\n{self.scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}")
        signature = hmac.new(self.key, to_sign.encode(), hashlib.sha256).hexdigest()
        authorization = (
            f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{self.scope}, SignedHeaders=host;x-amz-date, "
            f"Signature={signature}")
        # wrk sends the Host header itself (the same host:port).
        return f"GET\t/?{query}\tX-Amz-Date: {self.amz_date}\tAuthorization: {authorization}\n"


def sign(args):
    with open(args.fixture) as f:
        fixture = json.load(f)
    host = urllib.parse.urlsplit(args.endpoint).netloc
    signer = SigV4(host, fixture["region"], "ec2", datetime.datetime.now(datetime.timezone.utc))
    with open(args.out, "w") as out:
        for index in range(args.count):
            action, parameters = call(args.scenario, index, fixture)
            out.write(signer.line([("Action", action), ("Version", "2016-11-15")] + parameters))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("serve")
    p.add_argument("--port", type=int, required=True)
    p.set_defaults(run=serve)
    p = commands.add_parser("seed")
    p.add_argument("--endpoint", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(run=seed)
    p = commands.add_parser("sign")
    p.add_argument("--fixture", required=True)
    p.add_argument("--scenario", required=True, choices=["share-permission", "others", "modify", "run-instances"])
    p.add_argument("--count", type=int, default=100_000)
    p.add_argument("--endpoint", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(run=sign)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    sys.exit(main())
