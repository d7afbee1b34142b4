// libFuzzer target: ECS timestamps.
// Properties: nothing crashes; whatever parses formats to a timestamp that parses back to the same second.
import ECSWire
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTimestamp(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    guard let date = ECSTimestamp.parse(text) else { return 0 }
    let second = date.timeIntervalSince1970.rounded(.down)
    let formatted = ECSTimestamp.format(date)
    guard let again = ECSTimestamp.parse(formatted) else {
        preconditionFailure("\(text.debugDescription) parsed, but its formatting \(formatted) does not")
    }
    precondition(again.timeIntervalSince1970 == second, "\(text.debugDescription) → \(formatted) → \(again)")
    precondition(ECSTimestamp.format(again) == formatted)
    return 0
}
