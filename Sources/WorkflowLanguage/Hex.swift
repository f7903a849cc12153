internal import Crypto
public import Foundation

/// Lowercase hexadecimal for digests and signatures: content versions, migration checksums,
/// token hashes, request fingerprints, webhook signatures. Written by hand from a table because
/// `String(format: "%02x")` per byte was a tenth of an API request's CPU time (a token's hash
/// on every call).
public enum Hex {
    /// `bytes` as lowercase hex, two digits a byte.
    public static func lowercase<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The SHA-256 of `data`, as lowercase hex (64 digits).
    public static func sha256(_ data: Data) -> String {
        lowercase(SHA256.hash(data: data))
    }

    private static let digits = Array("0123456789abcdef".utf8)
}
