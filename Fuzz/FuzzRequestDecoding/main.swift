// libFuzzer target: a query string or form body through everything that reads it before authentication.
// Properties: nothing crashes; every decoded value survives percent-encoding and decoding unchanged.
import ECSSignature
import ECSWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestDecoding(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    let pairs = FormDecoding.pairs(Substring(text))
    for (name, value) in pairs {
        precondition(FormDecoding.decode(Substring(PercentEncoding.encode(name))) == name, "name round trip: \(name)")
        precondition(FormDecoding.decode(Substring(PercentEncoding.encode(value))) == value, "value round trip: \(value)")
    }
    _ = try? ResponseFormat(parameter: pairs.first { $0.name == "Format" }?.value)
    guard (try? RequestLimits.check(pairs)) != nil else { return 0 }
    // What the actions ask of a bag that passed the limits.
    let bag = ParameterBag(pairs)
    for (name, _) in pairs.prefix(8) {
        _ = bag.string(name)
        _ = try? bag.int(name, in: 0...1_000)
        _ = try? bag.bool(name)
        _ = bag.indexedList(name)
        _ = bag.commaList(name)
        if let ids = try? bag.idArray(name) {
            precondition(ids.allSatisfy { !$0.isEmpty }, "an empty ID in \(ids)")
        }
    }
    _ = try? bag.page(tokens: true)
    _ = bag.hasValue(withPrefix: "Tag.")
    return 0
}
