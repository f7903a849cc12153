import Foundation

/// Finds a name given twice in one JSON object. RFC 8259 leaves the meaning of duplicate names
/// to each reader, and Foundation's two readers disagree (one keeps the first, the other the
/// last), so a check made with one and a decode made with the other could see different values:
/// the API refuses duplicates instead. Scans text that is already known to be valid JSON.
enum JSONDuplicateKeys {
    /// The first duplicated name (decoded), or nil.
    static func first(in data: Data) -> String? {
        let bytes = [UInt8](data)
        var index = 0
        // Names seen, per open object; nil entries stand for arrays.
        var objects: [Set<String>?] = []
        var expectingName = false
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "{"):
                objects.append([])
                expectingName = true
                index += 1
            case UInt8(ascii: "["):
                objects.append(nil)
                expectingName = false
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                objects.removeLast()
                index += 1
            case UInt8(ascii: ","):
                expectingName = objects.last.map { $0 != nil } ?? false
                index += 1
            case UInt8(ascii: "\""):
                let start = index
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                index += 1
                guard expectingName, var names = objects.last ?? nil else { continue }
                let raw = Data(bytes[start..<min(index, bytes.count)])
                let name =
                    (try? JSONSerialization.jsonObject(with: raw, options: .fragmentsAllowed) as? String)
                    ?? String(decoding: raw, as: UTF8.self)
                guard names.insert(name).inserted else { return name }
                objects[objects.count - 1] = names
                expectingName = false
            default:
                index += 1
            }
        }
        return nil
    }
}
