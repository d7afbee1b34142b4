import ECSSignature
import ECSWire
import Foundation
import HTTPTypes
import ImageShareCore
import Testing

@Suite("HTTP: signatures, timestamps, nonces and keys")
struct AuthenticationTests {
    @Test("health check answers without a signature")
    func health() async throws {
        let server = try await TestServer()
        let reply = try await server.send(TestRequest(uri: "/healthz", method: .get))
        #expect(reply.status == 200)
        #expect(reply.body == "ok")
    }

    @Test("V2 over GET, V2 over POST with a form body, and V3 all succeed")
    func threeStyles() async throws {
        let server = try await TestServer()
        let get = try await server.send(server.signer.v2(action: "DescribeRegions", method: .get))
        #expect(get.status == 200, "\(get.body)")
        var form = TestRequest(uri: "/", method: .post)
        form.body = TestSigner.query(server.signer.v2Parameters(action: "DescribeRegions", [("AcceptLanguage", "en-US")]))
        form.headers[.contentType] = "application/x-www-form-urlencoded; charset=utf-8"
        let post = try await server.send(form)
        #expect(post.status == 200, "\(post.body)")
        #expect(post.body.contains("China (Hangzhou)"))
        let v3 = try await server.send(server.signer.v3(action: "DescribeRegions"))
        #expect(v3.status == 200, "\(v3.body)")
        #expect(v3.contentType == "application/json;charset=utf-8")
        #expect((v3.json["RequestId"] as? String)?.count == 36)
    }

    @Test("values with spaces, plus signs, slashes and Chinese verify under V2 and V3")
    func awkwardValues() async throws {
        let server = try await TestServer()
        let parameters = [("RegionId", "cn-hangzhou"), ("ImageName", "a b+c/d*e~测试")]
        let v2 = try await server.send(server.signer.v2(action: "DescribeImages", parameters))
        #expect(v2.status == 200, "\(v2.body)")
        let v3 = try await server.send(server.signer.v3(action: "DescribeImages", parameters))
        #expect(v3.status == 200, "\(v3.body)")
    }

    @Test("a wrong secret gives SignatureDoesNotMatch with the server's string to sign after a colon")
    func wrongSecret() async throws {
        let server = try await TestServer()
        let reply = try await server.send(server.signer.v2(action: "DescribeRegions", secretOverride: "wrong"))
        #expect(reply.status == 400)
        #expect(reply.code == "SignatureDoesNotMatch")
        let message = try #require(reply.json["Message"] as? String)
        let sts = try #require(message.split(separator: ":", maxSplits: 1).last)
        #expect(sts.hasPrefix("POST&%2F&AccessKeyId%3D"))

        var v3 = server.signer.v3(action: "DescribeRegions")
        v3.headers[.authorization] = v3.headers[.authorization]!.replacingOccurrences(of: "Signature=", with: "Signature=0")
        let v3Reply = try await server.send(v3)
        #expect(v3Reply.status == 400)
        #expect(v3Reply.code == "SignatureDoesNotMatch")
        #expect((v3Reply.json["Message"] as? String)?.contains("string to sign is:ACS3-HMAC-SHA256\n") == true)
    }

    @Test("unknown key is 404, disabled key is 403, at once")
    func keys() async throws {
        let server = try await TestServer()
        let stranger = TestSigner(keyId: "LTAInobodyhasthiskey00", secret: "x")
        let unknown = try await server.send(stranger.v2(action: "DescribeRegions"))
        #expect(unknown.status == 404)
        #expect(unknown.code == "InvalidAccessKeyId.NotFound")
        let unknownV3 = try await server.send(stranger.v3(action: "DescribeRegions"))
        #expect(unknownV3.code == "InvalidAccessKeyId.NotFound")

        _ = try await server.store.setAccessKeyEnabled(
            false, accessKeyId: server.credentials.accessKeyId, accountId: server.credentials.accountId)
        let disabled = try await server.send(server.signer.v2(action: "DescribeRegions"))
        #expect(disabled.status == 403)
        #expect(disabled.code == "Forbidden.AccessKeyDisabled")
        let disabledV3 = try await server.send(server.signer.v3(action: "DescribeRegions"))
        #expect(disabledV3.code == "Forbidden.AccessKeyDisabled")
    }

    @Test("a body over 1 MiB is refused with 413 and an ECS error body, before authentication")
    func oversizedBody() async throws {
        let server = try await TestServer()
        var headers: HTTPFields = [:]
        headers[.contentType] = "application/x-www-form-urlencoded"
        let reply = try await server.send(
            TestRequest(uri: "/", method: .post, headers: headers, body: "Action=DescribeRegions&Pad=" + String(repeating: "x", count: 1 << 20)))
        #expect(reply.status == 413)
        #expect(reply.code == "InvalidParameter")
        #expect((reply.json["RequestId"] as? String)?.isEmpty == false)
    }

    @Test("a key that served requests (and so is cached) is refused at once when disabled, in ECS's error order")
    func cachedKeyDisabled() async throws {
        let server = try await TestServer()
        #expect(try await server.send(server.signer.v2(action: "DescribeRegions")).status == 200)
        #expect(try await server.send(server.signer.v3(action: "DescribeRegions")).status == 200)

        _ = try await server.store.setAccessKeyEnabled(
            false, accessKeyId: server.credentials.accessKeyId, accountId: server.credentials.accountId)
        for request in [server.signer.v2(action: "DescribeRegions"), server.signer.v3(action: "DescribeRegions")] {
            let reply = try await server.send(request)
            #expect(reply.status == 403)
            #expect(reply.code == "Forbidden.AccessKeyDisabled")
        }
        // A disabled key is reported before an expired timestamp, cached or not.
        let stale = try await server.send(server.signer.v2(action: "DescribeRegions", date: TestServer.now.addingTimeInterval(-3600)))
        #expect(stale.code == "Forbidden.AccessKeyDisabled")

        _ = try await server.store.setAccessKeyEnabled(
            true, accessKeyId: server.credentials.accessKeyId, accountId: server.credentials.accountId)
        #expect(try await server.send(server.signer.v3(action: "DescribeRegions")).status == 200)
    }

    @Test("timestamps more than 15 minutes away either way are expired; malformed ones are illegal")
    func timestamps() async throws {
        let server = try await TestServer()
        for skew in [-16.0 * 60, 16.0 * 60] {
            let v2 = try await server.send(server.signer.v2(action: "DescribeRegions", date: TestServer.now.addingTimeInterval(skew)))
            #expect(v2.status == 400)
            #expect(v2.code == "InvalidTimeStamp.Expired")
            let v3 = try await server.send(server.signer.v3(action: "DescribeRegions", date: TestServer.now.addingTimeInterval(skew)))
            #expect(v3.code == "InvalidTimeStamp.Expired")
        }
        let edge = try await server.send(server.signer.v2(action: "DescribeRegions", date: TestServer.now.addingTimeInterval(-14 * 60)))
        #expect(edge.status == 200)

        var parameters = server.signer.v2Parameters(action: "DescribeRegions", [])
        parameters = parameters.map { $0.0 == "Timestamp" ? ($0.0, "yesterday") : $0 }
        let malformed = try await server.send(TestRequest(uri: "/?" + TestSigner.query(parameters), method: .post))
        #expect(malformed.code == "IllegalTimestamp")
    }

    @Test("a nonce is accepted once; a forged request does not burn it")
    func nonceReplay() async throws {
        let server = try await TestServer()
        let forged = try await server.send(server.signer.v2(action: "DescribeRegions", nonce: "n-1", secretOverride: "bad"))
        #expect(forged.code == "SignatureDoesNotMatch")
        let first = try await server.send(server.signer.v2(action: "DescribeRegions", nonce: "n-1"))
        #expect(first.status == 200)
        let replay = try await server.send(server.signer.v2(action: "DescribeRegions", nonce: "n-1"))
        #expect(replay.status == 400)
        #expect(replay.code == "SignatureNonceUsed")
        _ = try await server.send(server.signer.v3(action: "DescribeRegions", nonce: "n-2"))
        let replayV3 = try await server.send(server.signer.v3(action: "DescribeRegions", nonce: "n-2"))
        #expect(replayV3.code == "SignatureNonceUsed")
    }

    @Test("missing signature material names the missing parameter")
    func missingMaterial() async throws {
        let server = try await TestServer()
        let bare = try await server.send(TestRequest(uri: "/?Action=DescribeRegions&Version=2014-05-26", method: .get))
        #expect(bare.status == 400)
        #expect(bare.code == "MissingParameter")
        #expect((bare.json["Message"] as? String)?.contains("\"AccessKeyId\"") == true)
        let noAction = try await server.send(TestRequest(uri: "/?Version=2014-05-26", method: .get))
        #expect((noAction.json["Message"] as? String)?.contains("\"Action\"") == true)
        for dropped in ["Signature", "SignatureNonce", "Timestamp"] {
            let parameters = server.signer.v2Parameters(action: "DescribeRegions", []).filter { $0.0 != dropped }
            let reply = try await server.send(TestRequest(uri: "/?" + TestSigner.query(parameters), method: .post))
            #expect(reply.code == "MissingParameter")
            #expect((reply.json["Message"] as? String)?.contains("\"\(dropped)\"") == true)
        }
    }

    @Test("an unsupported signature method is InvalidParamater (sic)")
    func unsupportedMethod() async throws {
        let server = try await TestServer()
        let parameters = server.signer.v2Parameters(action: "DescribeRegions", [])
            .map { $0.0 == "SignatureMethod" ? ($0.0, "HMAC-MD5") : $0 }
        let reply = try await server.send(TestRequest(uri: "/?" + TestSigner.query(parameters), method: .post))
        #expect(reply.status == 400)
        #expect(reply.code == "InvalidParamater")
    }

    @Test("V3: a body that does not match its hash, and an unsigned nonce header, are refused")
    func v3Tampering() async throws {
        let server = try await TestServer()
        var request = server.signer.v3(action: "DescribeRegions", body: "a=1", contentType: "application/x-www-form-urlencoded")
        request.body = "a=2"
        let tampered = try await server.send(request)
        #expect(tampered.code == "SignatureDoesNotMatch")

        // The content type decides whether the body is read as parameters, so a body needs it signed.
        var unsignedType = server.signer.v3(action: "DescribeRegions", body: "a=1")
        unsignedType.headers[.contentType] = "application/x-www-form-urlencoded"
        let refused = try await server.send(unsignedType)
        #expect(refused.status == 400)
        #expect(refused.code == "IncompleteSignature")

        let unsigned = try await server.send(
            server.signer.v3(action: "DescribeRegions", signed: ["host", "x-acs-action", "x-acs-content-sha256", "x-acs-date"]))
        #expect(unsigned.status == 400)
        #expect(unsigned.code == "IncompleteSignature")

        var garbage = server.signer.v3(action: "DescribeRegions")
        garbage.headers[.authorization] = "ACS3-HMAC-SHA256 nonsense"
        #expect(try await server.send(garbage).code == "IncompleteSignature")
    }

    @Test("unknown actions and versions are InvalidAction.NotFound (404)")
    func unknownAction() async throws {
        let server = try await TestServer()
        let v2 = try await server.send(server.signer.v2(action: "DescribeNothing"))
        #expect(v2.status == 404)
        #expect(v2.code == "InvalidAction.NotFound")
        let v3 = try await server.send(server.signer.v3(action: "DescribeNothing"))
        #expect(v3.code == "InvalidAction.NotFound")
    }

    @Test("Format=XML renders success and errors as XML")
    func xml() async throws {
        let server = try await TestServer()
        let signed = server.signer.v2Parameters(action: "DescribeRegions", []).map { $0.0 == "Format" ? ($0.0, "XML") : $0 }
        // Re-sign after changing Format so the signature still matches.
        let resigned = signed.filter { $0.0 != "Signature" }
        let sts = SignatureV2.stringToSign(method: "POST", parameters: resigned.map { QueryParameter($0.0, $0.1) })
        let request = TestRequest(
            uri: "/?" + TestSigner.query(resigned + [("Signature", SignatureV2.signature(stringToSign: sts, secret: server.credentials.accessKeySecret))]),
            method: .post)
        let ok = try await server.send(request)
        #expect(ok.status == 200)
        #expect(ok.contentType == "text/xml;charset=utf-8")
        #expect(ok.body.contains("<DescribeRegionsResponse><RequestId>"))
        // Members in ECS's order (a Java HashMap's), not the declared one.
        #expect(ok.body.contains("<Regions><Region><Status>available</Status>"))
        let error = try await server.send(TestRequest(uri: "/?Format=XML&Action=DescribeRegions&Version=2014-05-26", method: .get))
        #expect(error.body.contains("<Error><RequestId>"))
        #expect(error.body.contains("<Code>MissingParameter</Code>"))
    }
}
