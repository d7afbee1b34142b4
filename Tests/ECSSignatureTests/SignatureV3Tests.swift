import ECSSignature
import Testing

@Suite("V3 ACS3-HMAC-SHA256 signature")
struct SignatureV3Tests {
    static let headers: [String: String] = [
        "host": "ecs.example.test",
        "x-acs-action": "ModifyImageSharePermission",
        "x-acs-version": "2014-05-26",
        "x-acs-date": "2024-01-01T00:00:00Z",
        "x-acs-signature-nonce": "0123456789abcdef0123456789abcdef",
        "accept": "application/json",
        "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ]
    static let signedHeaders =
        "accept;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"

    @Test("the vector computed with the SDK's own get_authorization")
    func sdkVector() {
        let canonical = SignatureV3.canonicalRequest(
            method: "POST",
            query: [
                QueryParameter("RegionId", "cn-hangzhou"), QueryParameter("ImageId", "m-abc"),
                QueryParameter("AddAccount.1", "1234567890123456"),
            ],
            signedHeaders: Self.signedHeaders.split(separator: ";").map(String.init),
            headerValue: { Self.headers[$0].map { [$0] } ?? [] },
            hashedPayload: SignatureV3.hashedPayload([UInt8]()))
        #expect(canonical.split(separator: "\n", omittingEmptySubsequences: false)[2]
            == "AddAccount.1=1234567890123456&ImageId=m-abc&RegionId=cn-hangzhou")
        let stringToSign = SignatureV3.stringToSign(canonicalRequest: canonical)
        #expect(stringToSign == "ACS3-HMAC-SHA256\nd5838b90d71b9d8657b6ec791c63f7ebe5c9c873a8e8373eb7951a5cb450d1b9")
        #expect(
            SignatureV3.signature(stringToSign: stringToSign, secret: "testsecret")
                == "7e8159603abe95c5c535c3efd75cb4d03f9eb5ce7fdb2cc7f09a1bdf7167e769")
    }

    @Test("the Authorization header parses into credential, signed headers and signature")
    func parsesAuthorization() throws {
        let header = "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=\(Self.signedHeaders),Signature=7e81"
        let parsed = try #require(SignatureV3.Authorization(header: header))
        #expect(parsed.algorithm == "ACS3-HMAC-SHA256")
        #expect(parsed.accessKeyId == "testid")
        #expect(parsed.signedHeaders.count == 7)
        #expect(parsed.signature == "7e81")
        #expect(SignatureV3.Authorization(header: "ACS3-HMAC-SHA256 Credential=x") == nil)
        #expect(SignatureV3.Authorization(header: "garbage") == nil)
        #expect(SignatureV3.Authorization(header: "ACS3-HMAC-SHA256 Credential=x,SignedHeaders,Signature=y") == nil)
    }

    @Test("blanks around fields and values are ignored, unknown fields are skipped")
    func parsesAuthorizationWithBlanks() throws {
        let header = "ACS3-HMAC-SHA256 Credential = id1 ,\tSignedHeaders=Host;X-Acs-Date , Extra=1, Signature=\tab12 "
        let parsed = try #require(SignatureV3.Authorization(header: header))
        #expect(parsed.accessKeyId == "id1")
        #expect(parsed.signedHeaders == ["host", "x-acs-date"])
        #expect(parsed.signature == "ab12")
        #expect(SignatureV3.Authorization(header: "ACS3-HMAC-SHA256 Credential= ,SignedHeaders=host,Signature=y") == nil)
    }

    @Test("canonical query decodes nothing itself: values with space, star, tilde, slash and Chinese are encoded")
    func canonicalQueryEncoding() {
        let canonical = SignatureV3.canonicalRequest(
            method: "post", query: [QueryParameter("Tag.1.Key", "k 1"), QueryParameter("Tag.1.Value", "v/*~中")],
            signedHeaders: ["host"], headerValue: { _ in ["  h  "] }, hashedPayload: "x")
        #expect(canonical == "POST\n/\nTag.1.Key=k%201&Tag.1.Value=v%2F%2A~%E4%B8%AD\nhost:h\n\nhost\nx")
    }

    @Test("empty payload hash is the SHA-256 of nothing")
    func emptyPayloadHash() {
        #expect(
            SignatureV3.hashedPayload([UInt8]())
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
