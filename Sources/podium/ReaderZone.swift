import ArgumentParser
import Foundation
import PodiumCore
import WorkflowEngine

/// Whose clock a listing's times are shown on: `--tz`, else `PODIUM_TZ`, else the zone of the
/// person named by `--as`, else UTC. `--json` always gives RFC 3339 in UTC.
struct ReaderOptions: ParsableArguments {
    @Option(name: .customLong("as"), help: "Show times in this person's time zone (a handle).")
    var person: String?

    @Option(help: "Show times in this time zone (a tz database name, e.g. Europe/Paris; or UTC).")
    var tz: String?

    /// The zone to print in.
    ///
    /// - Throws: ``PodiumError`` `.usage` for a name that is not a tz database zone (with a
    ///   suggestion), `.notFound` for an unknown person.
    func zone(services: PodiumServices) async throws -> ReaderZone {
        try await ReaderZone.resolve(
            tz: tz, environment: ProcessInfo.processInfo.environment, person: person, services: services)
    }
}

/// A time zone to print instants in, with what to call it.
struct ReaderZone: Sendable {
    let zone: TimeZone

    static let utc = ReaderZone(zone: TimeZone(secondsFromGMT: 0)!)

    /// `--tz` first, then `PODIUM_TZ`, then `person`'s own zone, then UTC.
    static func resolve(
        tz: String?, environment: [String: String], person: String?, services: PodiumServices
    ) async throws -> ReaderZone {
        if let name = tz ?? environment["PODIUM_TZ"].flatMap({ $0.isEmpty ? nil : $0 }) {
            do {
                return ReaderZone(zone: try TimeZoneName.zone(name))
            } catch {
                throw PodiumError(.usage, error.message, hint: error.hint, reason: "timezone")
            }
        }
        if let person {
            let actor = try await services.actors.find(person)
            return ReaderZone(zone: (try? TimeZoneName.zone(actor.timezone)) ?? utc.zone)
        }
        return .utc
    }

    /// `2026-03-10 10:00 GMT+1`: the wall clock of this zone in the proleptic Gregorian calendar,
    /// and the zone (``LocalTime/stamp(_:)``); `UTC` for UTC.
    func time(_ date: Date) -> String {
        LocalTime(zone: zone, now: date).stamp(date)
    }
}
