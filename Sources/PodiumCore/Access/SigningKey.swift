internal import Crypto
import Foundation

/// The server's secret for signing the links in reminders (``ActionLink``). It comes from a file
/// (`PODIUM_SECRET_FILE`, the way container and systemd secrets are mounted) or the environment
/// (`PODIUM_SECRET`), never from a flag, which every user of the machine can read in `ps`; it is
/// never logged or shown. Every process that makes or checks links (the server and the workers)
/// needs the same secret; a new secret makes every link already sent stale.
public struct SigningKey: Sendable {
    let key: SymmetricKey
    /// Where the key came from, to say at start-up (never the key itself).
    public let origin: String

    /// The fewest bytes a secret may have: 32 (256 bits, HMAC-SHA256's own size).
    public static let minimumBytes = 32

    /// A key from `secret`'s bytes (surrounding whitespace and a final newline dropped).
    ///
    /// - Throws: ``PodiumError`` `.usage` when the secret has fewer than ``minimumBytes`` bytes.
    public init(secret: String, origin: String) throws {
        let bytes = Array(secret.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        guard bytes.count >= Self.minimumBytes else {
            throw PodiumError(
                .usage, "the secret in \(origin) has \(bytes.count) bytes; it needs at least \(Self.minimumBytes)",
                hint: "make one with: head -c 32 /dev/urandom | base64 > podium.secret", reason: "secret")
        }
        key = SymmetricKey(data: bytes)
        self.origin = origin
    }

    /// A random key that lives as long as the process: for `--dev` and tests, where links need
    /// not outlive a restart.
    public static func random() -> SigningKey {
        SigningKey(key: SymmetricKey(size: .bits256), origin: "a random key of this process (--dev)")
    }

    private init(key: SymmetricKey, origin: String) {
        self.key = key
        self.origin = origin
    }

    /// The key `environment` names: `PODIUM_SECRET_FILE` (a file's path) before `PODIUM_SECRET`;
    /// nil when neither is set.
    ///
    /// - Throws: ``PodiumError`` `.usage` for a file that cannot be read or a secret too short.
    public static func from(environment: [String: String]) throws -> SigningKey? {
        if let path = environment["PODIUM_SECRET_FILE"], !path.isEmpty {
            let secret: String
            do {
                secret = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw PodiumError(
                    .usage, "cannot read the secret file PODIUM_SECRET_FILE=\(path)",
                    hint: "the file must exist, be readable by podium and hold UTF-8 text", reason: "secret")
            }
            return try SigningKey(secret: secret, origin: "PODIUM_SECRET_FILE")
        }
        if let secret = environment["PODIUM_SECRET"], !secret.isEmpty {
            return try SigningKey(secret: secret, origin: "PODIUM_SECRET")
        }
        return nil
    }

    /// HMAC-SHA256 of `message` under this key, for one `purpose` (a separate key is derived per
    /// purpose, so a signature made for one use is never valid for another).
    func signature(of message: some DataProtocol, for purpose: String) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: message, using: derived(purpose)))
    }

    /// Whether `signature` is ``signature(of:for:)`` of `message`, compared in constant time.
    func isValid(signature: Data, of message: some DataProtocol, for purpose: String) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: message, using: derived(purpose))
    }

    private func derived(_ purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key, info: Data("podium \(purpose)".utf8), outputByteCount: 32)
    }
}
