internal import Crypto
public import Foundation
internal import WorkflowLanguage

/// Random bearer secrets (API tokens, sign-in links, session cookies) and the URL-safe base64
/// (RFC 4648 §5, unpadded) they and signed links are written in.
public enum SecretToken {
    /// 256 random bits from the system's generator, as 43 characters of base64url.
    public static func random() -> String {
        base64URL(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }

    /// `bytes` in unpadded base64url.
    public static func base64URL(_ bytes: Data) -> String {
        bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of unpadded base64url `text`, or nil when it is not base64url (padding, `+`,
    /// `/` and whitespace included).
    public static func bytes(base64URL text: some StringProtocol) -> Data? {
        guard
            text.utf8.allSatisfy({ byte in
                (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
                    || byte == 0x2D || byte == 0x5F
            })
        else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)
        return Data(base64Encoded: standard)
    }

    /// SHA-256 of the secret's UTF-8, in lowercase hex: what the database keeps instead of it.
    public static func digest(_ secret: String) -> String {
        Hex.sha256(Data(secret.utf8))
    }
}
