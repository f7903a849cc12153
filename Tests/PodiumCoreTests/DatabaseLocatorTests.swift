import Foundation
import LibPQ
import PodiumCore
import Testing

@Suite("Choosing the database")
struct DatabaseLocatorTests {
    private let nowhere = URL(fileURLWithPath: "/")

    @Test func databaseURLWinsAndIsSilent() throws {
        let choice = try DatabaseLocator.resolve(
            environment: ["DATABASE_URL": "postgres://a:secret@h/d"], currentDirectory: nowhere)
        #expect(choice.notice == nil)
        #expect(choice.configuration.source == .databaseURL)
        #expect(!choice.configuration.description.contains("secret"))
    }

    @Test func localClusterIsFoundFromASubfolderAndAnnounced() throws {
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("podium-root-\(UUID())")
        let pg = root.appendingPathComponent(".podium/pg")
        let deep = root.appendingPathComponent("Sources/deep")
        try FileManager.default.createDirectory(at: pg, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: deep, withIntermediateDirectories: true)
        try "postgresql:///podium?host=/tmp&port=5999\n".write(
            to: pg.appendingPathComponent("url"), atomically: true, encoding: .utf8)
        let choice = try DatabaseLocator.resolve(environment: [:], currentDirectory: deep)
        #expect(choice.notice?.contains("local PostgreSQL") == true)
        #expect(choice.configuration.description.contains("port=5999"))
    }

    @Test func nothingConfiguredSaysWhatToDo() {
        let error = #expect(throws: PodiumError.self) {
            try DatabaseLocator.resolve(environment: [:], currentDirectory: nowhere)
        }
        #expect(error?.kind == .database)
        #expect(error?.hint?.contains("scripts/local-postgres start") == true)
    }

    @Test func malformedDatabaseURLIsAUsageError() {
        let error = #expect(throws: PodiumError.self) {
            try DatabaseLocator.resolve(
                environment: ["DATABASE_URL": "postgres://h/d?bogus=1"], currentDirectory: nowhere)
        }
        #expect(error?.kind == .usage)
    }
}
