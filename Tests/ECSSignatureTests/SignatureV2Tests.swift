import ECSSignature
import Testing

@Suite("V2 HMAC-SHA1 signature")
struct SignatureV2Tests {
    /// The published DescribeRegions example of Alibaba's "Request signatures" page.
    static let documentedParameters = [
        QueryParameter("AccessKeyId", "testid"), QueryParameter("Action", "DescribeRegions"),
        QueryParameter("Format", "XML"), QueryParameter("SignatureMethod", "HMAC-SHA1"),
        QueryParameter("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        QueryParameter("SignatureVersion", "1.0"), QueryParameter("Timestamp", "2016-02-23T12:46:24Z"),
        QueryParameter("Version", "2014-05-26"),
    ]

    @Test("the published DescribeRegions vector: string to sign and signature")
    func publishedVector() {
        let stringToSign = SignatureV2.stringToSign(method: "GET", parameters: Self.documentedParameters.shuffled())
        #expect(
            stringToSign
                == "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        )
        #expect(SignatureV2.signature(stringToSign: stringToSign, secret: "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY=")
        #expect(SignatureV2.isValid("OLeaidS1JvxuMvnyHOwuJ+uX5qY=", stringToSign: stringToSign, secret: "testsecret"))
        #expect(!SignatureV2.isValid("OLeaidS1JvxuMvnyHOwuJ+uX5qZ=", stringToSign: stringToSign, secret: "testsecret"))
        #expect(!SignatureV2.isValid("OLeaidS1JvxuMvnyHOwuJ+uX5qY=", stringToSign: stringToSign, secret: "other"))
    }

    @Test("the Signature parameter itself is not signed, empty values are")
    func signatureExcludedEmptyKept() {
        let withSignature = Self.documentedParameters + [QueryParameter("Signature", "abc"), QueryParameter("SignatureType", "")]
        let canonical = SignatureV2.canonicalQueryString(withSignature)
        #expect(!canonical.contains("Signature="))
        #expect(canonical.contains("&SignatureType=&"))
    }

    @Test("space, *, ~, / and non-ASCII are encoded the RFC 3986 way")
    func specialCharacters() {
        let canonical = SignatureV2.canonicalQueryString([
            QueryParameter("ImageName", "a b*c~d/e"), QueryParameter("Description", "测试"),
        ])
        #expect(canonical == "Description=%E6%B5%8B%E8%AF%95&ImageName=a%20b%2Ac~d%2Fe")
        #expect(PercentEncoding.encode("a+b=c&d:e") == "a%2Bb%3Dc%26d%3Ae")
    }

    @Test("dotted list keys sort by bytes: Filter.10 before Filter.2, upper case before lower case")
    func dottedKeysSortByBytes() {
        let canonical = SignatureV2.canonicalQueryString([
            QueryParameter("Filter.2.Key", "b"), QueryParameter("Filter.10.Key", "a"),
            QueryParameter("AddAccount.1", "1"), QueryParameter("Action", "x"), QueryParameter("AccessKeyId", "k"),
            QueryParameter("action", "y"),
        ])
        #expect(canonical == "AccessKeyId=k&Action=x&AddAccount.1=1&Filter.10.Key=a&Filter.2.Key=b&action=y")
    }

    @Test("signature of a request with a space differs from one with a plus")
    func spaceIsNotPlus() {
        let space = SignatureV2.stringToSign(method: "POST", parameters: [QueryParameter("ImageName", "a b")])
        let plus = SignatureV2.stringToSign(method: "POST", parameters: [QueryParameter("ImageName", "a+b")])
        #expect(space == "POST&%2F&ImageName%3Da%2520b")
        #expect(plus == "POST&%2F&ImageName%3Da%252Bb")
    }
}
