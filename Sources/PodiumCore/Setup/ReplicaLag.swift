internal import Foundation
public import LibPQ

/// How far a replica's reads are behind the primary, and how far is too far.
public enum ReplicaLag {
    /// What a look at the replica found.
    public enum Reading: Sendable, Equatable {
        /// Its replay is this many seconds behind what it has received (0 when it has replayed
        /// everything; a primary reads as 0).
        case seconds(Double)
        /// It could not be asked; the reason in one line.
        case unreachable(String)

        /// True when it answered and is at most `limit` seconds behind.
        public func isWithin(_ limit: Double) -> Bool {
            guard case .seconds(let lag) = self else { return false }
            return lag <= limit
        }
    }

    /// The default of `PODIUM_READ_MAX_LAG`, in seconds.
    public static let defaultLimit: Double = 30

    /// `PODIUM_READ_MAX_LAG` in seconds (30 when unset).
    ///
    /// - Throws: ``PodiumError`` `.usage` when it is not a number of seconds from 0 up.
    public static func limit(_ environment: [String: String]) throws(PodiumError) -> Double {
        guard let text = environment["PODIUM_READ_MAX_LAG"], !text.isEmpty else { return defaultLimit }
        guard let seconds = Double(text), seconds >= 0, seconds.isFinite else {
            throw PodiumError(
                .usage, "PODIUM_READ_MAX_LAG=\(text) is not a number of seconds", hint: "write, say, 30",
                reason: "setting")
        }
        return seconds
    }

    /// Asks the server behind `pool` how far behind it is. A standby that has replayed all it
    /// received is 0 behind, however long the primary has been idle; one still replaying is
    /// behind by the age of the last transaction it replayed (an overstatement after an idle
    /// spell, which errs towards the primary); one with no WAL receiver running has lost its
    /// primary and counts as unreachable.
    public static func measure(on pool: PostgresPool) async -> Reading {
        do {
            let row = try await pool.query(
                """
                select case
                    when not pg_is_in_recovery() then 0
                    when not exists (
                        select 1 from pg_stat_wal_receiver where coalesce(status, 'streaming') = 'streaming'
                    ) then null
                    when pg_last_wal_receive_lsn() is not distinct from pg_last_wal_replay_lsn() then 0
                    else coalesce(extract(epoch from now() - pg_last_xact_replay_timestamp()), 0)
                end::float8 as lag
                """
            ).single()
            // No WAL receiver streaming (its status is hidden from roles without pg_read_all_stats,
            // which then see only that one runs): the standby has lost its primary, so what it
            // has replayed says nothing about what it has missed.
            guard let lag = try row.decode(Double?.self, "lag") else {
                return .unreachable("the replica is not streaming from its primary")
            }
            return .seconds(max(0, lag))
        } catch let error as PostgresError {
            return .unreachable(error.message.split(whereSeparator: \.isNewline).first.map(String.init) ?? "")
        } catch {
            return .unreachable("\(error)")
        }
    }
}
