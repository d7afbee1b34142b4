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
