internal import Crypto
public import Foundation

extension WorkflowDefinition {
    /// The canonical form: sorted-key JSON of the definition, independent of comments, key
    /// order, layout and the way durations were written (`36h` and `1d12h` are the same).
    public func canonicalJSON() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain value types cannot fail.
        return (try? encoder.encode(self)) ?? Data()
    }

    /// The SHA-256 of the canonical form, hex-encoded: a workflow version's identity.
    public var checksum: String {
        Hex.sha256(canonicalJSON())
    }

    /// Reads a definition back from its canonical form.
    public static func fromCanonicalJSON(_ data: Data) throws -> WorkflowDefinition {
        try JSONDecoder().decode(WorkflowDefinition.self, from: data)
    }
}
