import ECSWire
import Testing

@Suite("form and query decoding")
struct FormDecodingTests {
    @Test("plus is a space, %2B is a plus, UTF-8 escapes decode")
    func decodesLikeAForm() {
        let pairs = FormDecoding.pairs("ImageName=a+b%2Bc&Desc=%E6%B5%8B&SignatureType=&Flag")
        #expect(pairs.map(\.name) == ["ImageName", "Desc", "SignatureType", "Flag"])
        #expect(pairs.map(\.value) == ["a b+c", "测", "", ""])
    }

    @Test("malformed escapes are kept literally rather than crashing")
    func malformedEscapes() {
        #expect(FormDecoding.decode("100%") == "100%")
        #expect(FormDecoding.decode("%zz%4") == "%zz%4")
        #expect(FormDecoding.decode("%FF") == "\u{FFFD}")
    }

    @Test("empty components are skipped")
    func emptyComponents() {
        #expect(FormDecoding.pairs("&&a=1&").map(\.name) == ["a"])
        #expect(FormDecoding.pairs("").isEmpty)
    }

    @Test("only the first = splits; raw UTF-8 and escapes at the very end stay intact")
    func edges() {
        let pairs = FormDecoding.pairs(Substring("a=b=c&名前=値&tail=%4&pct=%"))
        #expect(pairs.map(\.name) == ["a", "名前", "tail", "pct"])
        #expect(pairs.map(\.value) == ["b=c", "値", "%4", "%"])
    }
}
