public import Foundation
public import LibPQ
internal import WorkflowEngine
internal import WorkflowLanguage

/// A personal API token as `podium token list` shows it: never the token itself, which is shown
/// once when it is made and kept only as its SHA-256.
public struct TokenRecord: Sendable, Codable, Equatable {
    /// The token's number, for `podium token revoke`.
    public let id: Int
    /// Whose token it is: every call made with it acts as this person.
    public let actor: String
    /// The name its owner gave it (`ci`, `scheduler`), unique per person.
    public let name: String
    /// The token's first characters, to tell tokens apart (`pdm_Xk3f`).
    public let prefix: String
    public let createdAt: Date
    /// After this instant the token is refused.
    public let expiresAt: Date
    /// When it was revoked, or nil.
    public let revokedAt: Date?
    /// When it was last used, to the minute, or nil if never.
    public let lastUsedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, actor, name, prefix
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case revokedAt = "revoked_at"
        case lastUsedAt = "last_used_at"
    }
}

/// Makes, lists, revokes and checks personal API tokens (`Authorization: Bearer pdm_...`).
///
/// A token is `pdm_` and 43 characters of base64url: 256 random bits. Only its SHA-256 is stored,
/// so reading the table gives nobody a way in; a lookup by that hash needs no constant-time
/// comparison, as nothing about the token leaks from how long a miss takes.
public struct TokenStore: Sendable {
    let pool: PostgresPool
    let time: any TimeSource

    public init(pool: PostgresPool, time: any TimeSource = SystemTime()) {
        self.pool = pool
        self.time = time
    }

    /// The longest lifetime a token may be given: one year.
    public static let longestLifetime: TimeInterval = 366 * 86_400
    /// What every token starts with, so a leaked one is recognisable (secret scanners, logs).
    public static let scheme = "pdm_"

    /// Makes a token for `actor`, valid for `lifetime` seconds, and returns it with its record.
    /// The token is in the result only: print it once.
    ///
    /// - Throws: ``PodiumError`` `.notFound` for an unknown actor, `.usage` for an empty or
    ///   too long name or a lifetime outside 1 minute ... 1 year, `.conflict` when the actor
    ///   already has a token of that name.
    public func create(
        for actor: String, name: String, lifetime: TimeInterval
    ) async throws -> (token: String, record: TokenRecord) {
        let name = try InputLimits.text(name, what: "token name", limit: 100)
        guard (60...Self.longestLifetime).contains(lifetime) else {
            throw PodiumError(.usage, "a token lives from one minute to one year", reason: "lifetime")
        }
        let token = Self.scheme + SecretToken.random()
        let now = time.now()
        do {
            return try await pool.transaction(retry: .resilient) { db in
                _ = try await ActorStore.find(actor, on: db)
                let rows = try await db.query(
                    """
                    insert into api_tokens (actor, name, prefix, token_sha256, created_at, expires_at)
                    values (\(actor), \(name), \(String(token.prefix(8))), \(Self.digest(token)), \(now),
                            \(now.addingTimeInterval(lifetime)))
                    returning \(Self.columns)
                    """)
                return (token, try Self.record(rows.single()))
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw PodiumError(
                .conflict, "\(actor) already has a live token named \(name)",
                hint: "revoke it first, or choose another name", reason: "token_name",
                details: ["handle": actor, "name": name])
        }
    }

    /// The tokens of `asker`, or everyone's when `everyone` is set, newest first; revoked ones
    /// included.
    ///
    /// - Throws: ``PodiumError`` `.notFound` for an unknown asker, `.refused` when `everyone` is
    ///   asked for by someone who is not an admin.
    public func list(by asker: String, everyone: Bool = false) async throws -> [TokenRecord] {
        try await pool.transaction(retry: .resilient) { db in
            let reader = try await ActorStore.find(asker, on: db)
            if everyone && !reader.roles.contains(ActorIdentity.adminRole) {
                throw PodiumError(
                    .refused, "only an admin sees everyone's tokens", reason: "not_permitted",
                    details: ["handle": asker])
            }
            let rows = try await db.query(
                """
                select \(Self.columns) from api_tokens
                 where \(everyone) or actor = \(asker)
                 order by id desc
                """)
            return try rows.map(Self.record)
        }
    }

    /// Revokes token `id` on behalf of `author`: their own, or anyone's for an admin. Revoking a
    /// revoked token changes nothing and returns it as it is.
    ///
    /// - Throws: ``PodiumError`` `.notFound` (no such token, or one `author` may not see: the
    ///   same answer, so tokens cannot be counted), `.notFound` for an unknown author.
    public func revoke(_ id: Int, by author: String) async throws -> TokenRecord {
        let now = time.now()
        return try await pool.transaction(retry: .resilient) { db in
            let revoker = try await ActorStore.find(author, on: db)
            let isAdmin = revoker.roles.contains(ActorIdentity.adminRole)
            let rows = try await db.query(
                """
                update api_tokens set revoked_at = coalesce(revoked_at, \(now))
                 where id = \(id) and (actor = \(author) or \(isAdmin))
                returning \(Self.columns)
                """)
            guard let row = rows.first else {
                throw PodiumError(
                    .notFound, "\(author) has no token #\(id)", reason: "token", details: ["token": "\(id)"])
            }
            return try Self.record(row)
        }
    }

    /// The person `token` acts for, and until when the token is valid.
    ///
    /// - Throws: ``PodiumError`` `.unauthenticated` when the token is unknown, revoked or
    ///   expired. The message says which (the caller holds the token, so it tells them nothing
    ///   they could not find out), and never repeats the token.
    public func authenticate(_ token: String) async throws -> (actor: ActorRecord, expiresAt: Date) {
        let now = time.now()
        guard token.hasPrefix(Self.scheme), token.utf8.count <= 200 else {
            throw PodiumError(.unauthenticated, "this is not a Podium token", reason: "token")
        }
        let rows = try await pool.query(
            """
            with found as (
                select t.id, t.expires_at, t.revoked_at, \(ActorStore.columnsOfA),
                       \(AbsenceStore.standingIn(for: "a.handle", at: now))
                  from api_tokens t join actors a on a.handle = t.actor
                 where t.token_sha256 = \(Self.digest(token))
            ), touched as (
                update api_tokens t set last_used_at = \(now)
                  from found
                 where t.id = found.id and found.revoked_at is null and found.expires_at > \(now)
                   and (t.last_used_at is null or t.last_used_at < \(now.addingTimeInterval(-60)))
            )
            select * from found
            """)
        guard let row = rows.first else {
            throw PodiumError(.unauthenticated, "this token is not known", reason: "token")
        }
        if let revoked = try row.decode(Date?.self, "revoked_at") {
            throw PodiumError(
                .unauthenticated, "this token was revoked at \(DataDate.format(revoked))", reason: "token_revoked")
        }
        let expires = try row.decode(Date.self, "expires_at")
        guard expires > now else {
            throw PodiumError(
                .unauthenticated, "this token expired at \(DataDate.format(expires))",
                hint: "make a new token", reason: "token_expired")
        }
        return (try ActorStore.record(row), expires)
    }

    private static let columns: PostgresQuery =
        "id, actor, name, prefix, created_at, expires_at, revoked_at, last_used_at"

    private static func record(_ row: PostgresRow) throws -> TokenRecord {
        TokenRecord(
            id: try row.decode(Int.self, "id"), actor: try row.decode(String.self, "actor"),
            name: try row.decode(String.self, "name"), prefix: try row.decode(String.self, "prefix"),
            createdAt: try row.decode(Date.self, "created_at"), expiresAt: try row.decode(Date.self, "expires_at"),
            revokedAt: try row.decode(Date?.self, "revoked_at"), lastUsedAt: try row.decode(Date?.self, "last_used_at"))
    }

    /// SHA-256 of the token's UTF-8, in lowercase hex.
    public static func digest(_ token: String) -> String {
        SecretToken.digest(token)
    }
}
