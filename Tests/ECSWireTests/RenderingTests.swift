import ECSWire
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ImageShareCore
import Testing

@Suite("response rendering")
struct RenderingTests {
    let body = WireValue.object([
        ("RequestId", .string("R-1")),
        ("TotalCount", .int(1)),
        ("IsPublic", .bool(false)),
        ("Images", .collection("Image", [.object([("ImageId", .string("m-1")), ("ImageName", .string("a\"b<c>&\n"))])])),
        ("Accounts", .collection("Account", [])),
    ])

    @Test("JSON keeps member order, escapes strings and wraps one-element collections in arrays")
    func json() throws {
        let text = String(decoding: ResponseFormat.json.render(body, root: "DescribeImagesResponse"), as: UTF8.self)
        #expect(
            text
                == #"{"RequestId":"R-1","TotalCount":1,"IsPublic":false,"Images":{"Image":[{"ImageId":"m-1","ImageName":"a\"b<c>&\n"}]},"Accounts":{"Account":[]}}"#
        )
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(((parsed?["Images"] as? [String: Any])?["Image"] as? [Any])?.count == 1)
    }

    @Test("control characters become \\u escapes")
    func controlCharacters() {
        #expect(String(decoding: ResponseFormat.json.render(.string("a\u{1}b\u{1f}é\\"), root: "x"), as: UTF8.self) == #""a\u0001b\u001fé\\""#)
    }

    @Test("XML keeps tab, CR and LF as references and replaces the control characters XML 1.0 cannot carry")
    func xmlControlCharacters() throws {
        let text = String(decoding: ResponseFormat.xml.render(.object([("D", .string("a\tb\r\nc\u{0}d\u{1f}e\u{FFFF}f\u{FFFE}"))]), root: "R"), as: UTF8.self)
        #expect(text.hasSuffix("<R><D>a&#9;b&#13;&#10;c\u{FFFD}d\u{FFFD}e\u{FFFD}f\u{FFFD}</D></R>"))
        // Foundation's parser is strict XML 1.0: it refuses a raw control character, and must accept this.
        let parser = XMLParser(data: Data(text.utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
    }

    @Test("XML names the root after the action and repeats collection items")
    func xml() {
        let text = String(decoding: ResponseFormat.xml.render(body, root: "DescribeImagesResponse"), as: UTF8.self)
        #expect(
            text
                == #"<?xml version="1.0" encoding="UTF-8"?><DescribeImagesResponse><RequestId>R-1</RequestId><TotalCount>1</TotalCount><IsPublic>false</IsPublic><Images><Image><ImageId>m-1</ImageId><ImageName>a&quot;b&lt;c&gt;&amp;&#10;</ImageName></Image></Images><Accounts></Accounts></DescribeImagesResponse>"#)
    }

    @Test("error bodies carry RequestId, HostId, Code, Message and Recommend")
    func errorBody() throws {
        let text = String(decoding: ErrorBody.render(.accessKeyNotFound, requestId: "R-2", hostId: "127.0.0.1:8080", format: .json), as: UTF8.self)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String])
        #expect(parsed["RequestId"] == "R-2")
        #expect(parsed["HostId"] == "127.0.0.1:8080")
        #expect(parsed["Code"] == "InvalidAccessKeyId.NotFound")
        #expect(parsed["Message"] == "Specified access key is not found.")
        // Our own documentation of the code, not a public troubleshooter that cannot know a local RequestId.
        #expect(parsed["Recommend"] == "docs/errors.md#invalidaccesskeyidnotfound")
        let xml = String(decoding: ErrorBody.render(.accessKeyNotFound, requestId: "R-2", hostId: "h", format: .xml), as: UTF8.self)
        #expect(xml.contains("<Error><RequestId>R-2</RequestId><HostId>h</HostId><Code>InvalidAccessKeyId.NotFound</Code>"))
    }

    @Test("Format is case-insensitive, defaults to JSON and rejects other values")
    func format() throws {
        #expect(try ResponseFormat(parameter: nil) == .json)
        #expect(try ResponseFormat(parameter: "json") == .json)
        #expect(try ResponseFormat(parameter: "XML") == .xml)
        #expect(ResponseFormat.xml.contentType == "text/xml;charset=utf-8")
        #expect(throws: ECSError.self) { try ResponseFormat(parameter: "yaml") }
    }
}

@Suite("ECS timestamps")
struct ECSTimestampTests {
    @Test("parses and formats the ECS form in UTC")
    func roundTrip() throws {
        let date = try #require(ECSTimestamp.parse("2016-02-23T12:46:24Z"))
        #expect(date.timeIntervalSince1970 == 1_456_231_584)
        #expect(ECSTimestamp.format(date) == "2016-02-23T12:46:24Z")
        #expect(ECSTimestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(ECSTimestamp.parse("2024-02-29T23:59:59.500Z")?.timeIntervalSince1970 == 1_709_251_199.5)
    }

    @Test("rejects other shapes", arguments: ["", "2016-02-23T12:46:24.9999999999999999999999999Z", "2016-02-23 12:46:24Z", "2016-02-23T12:46:24", "2016-13-01T00:00:00Z", "2016-02-23T12:46:24+08:00", "abcd-ef-ghTij:kl:mnZ"])
    func rejects(text: String) {
        #expect(ECSTimestamp.parse(text) == nil)
    }
}

/// ECS writes an object's members in a Java `HashMap`'s iteration order; three of its captured answers prove it.
@Suite("ECS member order")
struct MemberOrderTests {
    /// The member names of captured ECS answers, in the order ECS sent them (`../shared/ecs-wire-order.md`).
    static let captured: [String: [String]] = [
        "Instance": "ResourceGroupId, Memory, InstanceChargeType, Cpu, OSName, InstanceNetworkType, InnerIpAddress, ExpiredTime, ImageId, EipAddress, HostName, Tags, VlanId, Status, MetadataOptions, InstanceId, StoppedMode, CpuOptions, StartTime, DeletionProtection, SecurityGroupIds, VpcAttributes, InternetChargeType, InstanceName, DeploymentSetId, InternetMaxBandwidthOut, SerialNumber, OSType, CreationTime, AutoReleaseTime, Description, InstanceTypeFamily, DedicatedInstanceAttribute, PublicIpAddress, GPUSpec, NetworkInterfaces, SpotPriceLimit, DeviceAvailable, SaleCycle, InstanceType, OSNameEn, SpotStrategy, IoOptimized, ZoneId, ClusterId, EcsCapacityReservationAttr, DedicatedHostAttribute, GPUAmount, OperationLocks, InternetMaxBandwidthIn, Recyclable, RegionId, CreditSpecification",
        "Disk": "DetachedTime, Category, Description, KMSKeyId, ResourceGroupId, DedicatedBlockStorageClusterId, Encrypted, Size, DeleteAutoSnapshot, DiskChargeType, MultiAttach, Attachments, ExpiredTime, ImageId, StorageSetId, Tags, Status, AttachedTime, ZoneId, InstanceId, SourceSnapshotId, ProductCode, PerformanceLevel, Device, DeleteWithInstance, EnableAutomatedSnapshotPolicy, EnableAutoSnapshot, AutoSnapshotPolicyId, DiskName, OperationLocks, BdfId, Portable, Type, SerialNumber, CreationTime, RegionId, DiskId",
        "Snapshot": "Status, InstantAccess, Progress, Usage, Description, Category, KMSKeyId, ProductCode, Encrypted, SnapshotName, SourceDiskId, SourceStorageType, SnapshotId, SnapshotSN, SourceDiskSize, CreationTime, LastModifiedTime, SnapshotType, SourceDiskType, Tags",
        "DescribeInstances": "Instances, TotalCount, RequestId, PageSize, PageNumber",
        "DescribeDisks": "TotalCount, NextToken, PageSize, RequestId, PageNumber, Disks",
        "Attachment": "AttachedTime, InstanceId, Device",
        "VpcAttributes": "PrivateIpAddress, VpcId, VSwitchId, NatIpAddress",
    ].mapValues { $0.components(separatedBy: ", ") }

    @Test("any order of the members comes out as ECS wrote them (ties within a bucket keep their given order)")
    func capturedOrders() {
        for (object, names) in Self.captured {
            #expect(JavaHashMapOrder.permutation(of: names).map { names[$0] } == names, "\(object)")
            // Alphabetical input: every member lands in ECS's bucket order; only bucket ties may differ.
            let sorted = names.sorted()
            let reordered = JavaHashMapOrder.permutation(of: sorted).map { sorted[$0] }
            #expect(Set(reordered) == Set(names))
            #expect(reordered.first == names.first || object == "Disk" || object == "Snapshot", "\(object)")
        }
    }

    @Test("Java's String.hashCode, and the table growing past three quarters")
    func hashAndCapacity() {
        #expect(JavaHashMapOrder.hashCode("") == 0)
        #expect(JavaHashMapOrder.hashCode("a") == 97)
        #expect(JavaHashMapOrder.hashCode("hello") == 99_162_322)
        #expect(JavaHashMapOrder.capacity(forCount: 12) == 16)
        #expect(JavaHashMapOrder.capacity(forCount: 13) == 32)
        #expect(JavaHashMapOrder.capacity(forCount: 53) == 128)
    }

    @Test("success bodies render in ECS's order in JSON and XML; EipAddress comes before PublicIpAddress")
    func rendering() {
        let instance = WireValue.object(Self.captured["Instance"]!.reversed().map { ($0, .string("")) })
        let json = String(decoding: ResponseFormat.json.render(instance, root: "x", order: .javaHashMap), as: UTF8.self)
        #expect(json.hasPrefix(#"{"ResourceGroupId":"","#))
        let eip = json.range(of: "EipAddress")!, publicIp = json.range(of: "PublicIpAddress")!
        #expect(eip.lowerBound < publicIp.lowerBound)
        let xml = String(decoding: ResponseFormat.xml.render(instance, root: "R", order: .javaHashMap), as: UTF8.self)
        #expect(xml.contains("<R><ResourceGroupId></ResourceGroupId>"))
        // Error bodies keep the gateway's fixed order.
        let error = String(decoding: ErrorBody.render(.internalError, requestId: "R", hostId: "h", format: .json), as: UTF8.self)
        #expect(error.hasPrefix(#"{"RequestId":"R","HostId":"h","Code""#))
    }

    @Test("DEL, C1 controls and U+FFFE/U+FFFF are escaped in JSON; other characters pass")
    func yamlSafeJSON() {
        let text = String(decoding: ResponseFormat.json.render(.string("a\u{7F}b\u{85}c\u{9F}d\u{FFFE}e\u{FFFF}é中😀"), root: "x"), as: UTF8.self)
        #expect(text == #""a\u007fb\u0085c\u009fd\ufffee\uffffé中😀""#)
    }
}
