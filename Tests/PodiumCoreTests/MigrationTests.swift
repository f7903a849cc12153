import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing

@Suite("Migration files")
struct MigrationFileTests {
    @Test(arguments: ["1_short.sql", "001-dash.sql", "001_Upper.sql", "abc_name.sql", "001_.sql", "000_zero.sql"])
    func malformedNamesAreRefused(name: String) {
        #expect(throws: PodiumError.self) { try Migration(fileName: name, sql: "select 1") }
    }

    @Test func checksumIsTheSHA256OfTheText() throws {
        let migration = try Migration(fileName: "001_schema.sql", sql: "abc")
        #expect(migration.version == 1)
        #expect(migration.checksum == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func shippedMigrationsLoadInOrder() throws {
        let migrations = try TestDatabase.shippedMigrations()
        #expect(migrations.first?.name == "001_schema.sql")
        #expect(migrations.map(\.version) == migrations.map(\.version).sorted())
    }

    @Test func duplicateNumbersAreRefused() throws {
        let folder = try temporaryFolder(files: ["001_a.sql": "select 1", "001_b.sql": "select 2"])
        #expect(throws: PodiumError.self) { try Migration.load(from: folder) }
    }

    private func temporaryFolder(files: [String: String]) throws -> URL {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("podium-sql-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return folder
    }
}

@Suite("Migrating a real database")
struct MigratorTests {
    @Test func migratingTwiceIsANoOp() async throws {
        try await TestDatabase.withConnection(migrated: false) { db in
            let migrator = Migrator(migrations: try TestDatabase.shippedMigrations())
            let first = try await migrator.migrate(on: db)
            #expect(first.applied.map(\.name) == (try TestDatabase.shippedMigrations()).map(\.name))
            let second = try await migrator.migrate(on: db)
            #expect(second.applied.isEmpty)
            #expect(second.alreadyApplied == first.applied.count)
            #expect(try await migrator.pending(on: db).isEmpty)
            let tables = try await db.query(
                "select count(*) as n from information_schema.tables where table_schema = 'public'")
            #expect(try tables.single().decode(Int.self, "n") >= 10)
        }
    }

    @Test func editedMigrationIsRefusedAndNothingChanges() async throws {
        try await TestDatabase.withConnection(migrated: false) { db in
            let original = [try Migration(fileName: "001_first.sql", sql: "create table a (x int);")]
            _ = try await Migrator(migrations: original).migrate(on: db)
            let edited = [
                try Migration(fileName: "001_first.sql", sql: "create table a (x bigint);"),
                try Migration(fileName: "002_second.sql", sql: "create table b (y int);"),
            ]
            do {
                _ = try await Migrator(migrations: edited).migrate(on: db)
                Issue.record("an edited migration must be refused")
            } catch let error as PodiumError {
                #expect(error.kind == .schema)
                #expect(error.message.contains("001_first.sql was edited after it was applied"))
                #expect(error.hint?.contains("new numbered file") == true)
            }
            let b = try await db.query("select to_regclass('b') is null as absent").single()
            #expect(try b.decode(Bool.self, "absent"), "002 must not run when 001 was edited")
        }
    }

    @Test func unknownAppliedMigrationIsRefused() async throws {
        try await TestDatabase.withConnection(migrated: false) { db in
            let newer = [
                try Migration(fileName: "001_first.sql", sql: "create table a (x int);"),
                try Migration(fileName: "002_second.sql", sql: "create table b (y int);"),
            ]
            _ = try await Migrator(migrations: newer).migrate(on: db)
            let error = await #expect(throws: PodiumError.self) {
                _ = try await Migrator(migrations: [newer[0]]).migrate(on: db)
            }
            #expect(error?.message.contains("002_second.sql") == true)
        }
    }

    @Test func failingMigrationRollsBackEveryPendingFile() async throws {
        try await TestDatabase.withConnection(migrated: false) { db in
            let migrations = [
                try Migration(fileName: "001_good.sql", sql: "create table good (x int);"),
                try Migration(fileName: "002_bad.sql", sql: "create table bad (x int); select * from nowhere;"),
            ]
            let error = await #expect(throws: PostgresError.self) {
                _ = try await Migrator(migrations: migrations).migrate(on: db)
            }
            #expect(error?.message.contains("002_bad.sql") == true)
            let good = try await db.query("select to_regclass('good') is null as absent").single()
            #expect(try good.decode(Bool.self, "absent"))
        }
    }

    @Test func concurrentMigrationsSerialiseOnTheAdvisoryLock() async throws {
        try await TestDatabase.withFreshDatabase(migrated: false) { configuration in
            let migrator = Migrator(migrations: try TestDatabase.shippedMigrations())
            let reports = try await withThrowingTaskGroup(of: MigrationReport.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        let db = try await PostgresConnection.connect(configuration)
                        return try await migrator.migrate(on: db)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(reports.filter { !$0.applied.isEmpty }.count == 1)
        }
    }
}
