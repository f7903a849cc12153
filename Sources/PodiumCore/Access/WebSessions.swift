public import Foundation
public import LibPQ

/// A signed-in browser: who it is, and the token its forms must carry.
public struct WebSession: Sendable {
    public let actor: ActorRecord
    /// The value every form of this session sends back (`csrf`); a page of another site cannot
    /// read it, so it cannot forge a form.
    public let csrfToken: String
    public let expiresAt: Date
}

/// Sign-in without passwords and the sessions it opens.
///
/// A person asks for a sign-in link; it goes out through their own channel, works once, and
/// lasts ``signInLifetime``. Using it (a POST from its page: opening a link never signs in, as
/// mail scanners open every link) opens a session for ``sessionLifetime``, kept in a cookie.
/// Links and session cookies are 256 random bits; the database keeps only their SHA-256.
public struct WebSessions: Sendable {
    let pool: PostgresPool
    let time: any TimeSource

    public init(pool: PostgresPool, time: any TimeSource = SystemTime()) {
        self.pool = pool
        self.time = time
    }

    /// How long a sign-in link works: 15 minutes.
    public static let signInLifetime: TimeInterval = 15 * 60
    /// How long a session lasts: 7 days, then the person signs in again.
    public static let sessionLifetime: TimeInterval = 7 * 86_400

    /// What asking for a sign-in link came to. The page answers the same whatever it is, so it
    /// tells nobody who is coached.
    public enum SignInRequest: Sendable {
        /// A new link for the person: send it through their channel.
        case issued(token: String, actor: ActorRecord)
        /// Nobody has that handle.
        case unknown
        /// The person was sent a link moments ago (``requestSpacing``), or ``requestsPerHour``
        /// this hour: nothing more goes to their channel. Whoever keeps asking only sends the
        /// person links, which they hold, so nobody is locked out by it.
        case throttled
    }

    /// The least time between two sign-in links for one person: 60 s.
    public static let requestSpacing: TimeInterval = 60
    /// The most sign-in links one person is sent in an hour: 5.
    public static let requestsPerHour = 5

    /// A new sign-in link for `handle`, unless nobody has that handle or (with `throttled`) the
    /// person was sent links too recently.
    public func requestSignInLink(for handle: String, throttled: Bool = true) async throws -> SignInRequest {
        let now = time.now()
        let token = SecretToken.random()
        return try await pool.transaction(retry: .resilient) { db in
            // Locking the person's row makes concurrent requests for one person take turns.
            let rows = try await db.query(
                """
                select \(ActorStore.columns) from actors
                 where handle = \(handle) for update
                """)
            guard let row = rows.first else { return .unknown }
            let actor = try ActorStore.record(row)
            if throttled {
                let recent = try await db.query(
                    """
                    select count(*) as hour, max(created_at) as latest from sign_in_links
                     where actor = \(handle) and created_at > \(now.addingTimeInterval(-3600))
                    """
                ).single()
                let latest = try recent.decode(Date?.self, "latest")
                if try recent.decode(Int.self, "hour") >= Self.requestsPerHour
                    || latest.map({ now.timeIntervalSince($0) < Self.requestSpacing }) == true
                {
                    return .throttled
                }
            }
            // Links used or expired over a day ago say nothing any more.
            try await db.execute(
                "delete from sign_in_links where expires_at < \(now.addingTimeInterval(-86_400))")
            try await db.execute(
                """
                insert into sign_in_links (token_sha256, actor, created_at, expires_at)
                values (\(SecretToken.digest(token)), \(handle), \(now), \(now.addingTimeInterval(Self.signInLifetime)))
                """)
            return .issued(token: token, actor: actor)
        }
    }

    /// The person a sign-in link is for, if it can still be used; nothing is changed (its page
    /// shows this before the person confirms).
    ///
    /// - Throws: ``PodiumError`` `.unauthenticated` for an unknown, used or expired link.
    public func signInLink(_ token: String) async throws -> ActorRecord {
        let now = time.now()
        return try await pool.withConnection { db in try await Self.person(of: token, locking: false, now: now, on: db)
        }
    }

    /// The person sign-in link `token` is for, when it can still be used; with `locking`, the
    /// link's row stays locked until the transaction ends.
    ///
    /// - Throws: ``PodiumError`` `.unauthenticated` for an unknown, used or expired link.
    private static func person(
        isolation: isolated (any Actor)? = #isolation, of token: String, locking: Bool, now: Date,
        on db: PostgresConnection
    ) async throws -> ActorRecord {
        let lock: PostgresQuery = locking ? "for update of l" : ""
        let rows = try await db.query(
            """
            select l.used_at, l.expires_at, \(ActorStore.columnsOfA)
              from sign_in_links l join actors a on a.handle = l.actor
             where l.token_sha256 = \(SecretToken.digest(token)) \(lock)
            """)
        guard let row = rows.first else {
            throw PodiumError(.unauthenticated, "this sign-in link is not known", reason: "sign_in_link")
        }
        try requireUsable(
            used: try row.decode(Date?.self, "used_at"), expires: try row.decode(Date.self, "expires_at"), now: now)
        return try ActorStore.record(row)
    }

    /// Uses a sign-in link: marks it used and opens a session, in one transaction, so a link
    /// opens at most one session however many times it is sent.
    ///
    /// - Returns: the session's cookie token (give it to the browser; it is not kept) and the session.
    /// - Throws: ``PodiumError`` `.unauthenticated` for an unknown, used or expired link.
    public func signIn(with link: String) async throws -> (cookie: String, session: WebSession) {
        let now = time.now()
        let cookie = SecretToken.random()
        let csrf = SecretToken.random()
        let expires = now.addingTimeInterval(Self.sessionLifetime)
        return try await pool.transaction(retry: .resilient) { db in
            let actor = try await Self.person(of: link, locking: true, now: now, on: db)
            try await db.execute(
                "update sign_in_links set used_at = \(now) where token_sha256 = \(SecretToken.digest(link))")
            try await db.execute(
                "delete from web_sessions where expires_at < \(now)")
            try await db.execute(
                """
                insert into web_sessions (token_sha256, actor, csrf_token, created_at, expires_at)
                values (\(SecretToken.digest(cookie)), \(actor.handle), \(csrf), \(now), \(expires))
                """)
            return (cookie, WebSession(actor: actor, csrfToken: csrf, expiresAt: expires))
        }
    }

    /// The session a cookie holds, or nil when it is unknown, ended or expired.
    public func session(_ cookie: String) async throws -> WebSession? {
        guard cookie.utf8.count <= 100 else { return nil }
        let rows = try await pool.query(
            """
            select s.csrf_token, s.expires_at, \(ActorStore.columnsOfA),
                   \(AbsenceStore.standingIn(for: "a.handle", at: time.now()))
              from web_sessions s join actors a on a.handle = s.actor
             where s.token_sha256 = \(SecretToken.digest(cookie)) and s.expires_at > \(time.now())
            """)
        guard let row = rows.first else { return nil }
        return WebSession(
            actor: try ActorStore.record(row), csrfToken: try row.decode(String.self, "csrf_token"),
            expiresAt: try row.decode(Date.self, "expires_at"))
    }

    /// Ends the session a cookie holds (signing out); an unknown cookie changes nothing.
    public func signOut(_ cookie: String) async throws {
        try await pool.execute("delete from web_sessions where token_sha256 = \(SecretToken.digest(cookie))")
    }

    private static func requireUsable(used: Date?, expires: Date, now: Date) throws {
        if used != nil {
            throw PodiumError(
                .unauthenticated, "this sign-in link was used already; a link signs in once",
                hint: "ask for a new one", reason: "sign_in_link_used")
        }
        guard expires > now else {
            throw PodiumError(
                .unauthenticated, "this sign-in link expired; a link works for 15 minutes",
                hint: "ask for a new one", reason: "sign_in_link_expired")
        }
    }
}
