import Foundation
import LibPQ
import PodiumTestSupport
import Testing

@Suite("Server errors carry SQLSTATE and named checks")
struct ServerErrorTests {
    @Test func uniqueViolationNamesTheConstraint() async throws {
        try await TestDatabase.withConnection { db in
            try await db.execute("create table actors (handle text constraint actors_pkey primary key)")
            try await db.execute("insert into actors values (\("alice"))")
            do {
                try await db.execute("insert into actors values (\("alice"))")
                Issue.record("a duplicate must be refused")
            } catch let error as PostgresError {
                #expect(error.isUniqueViolation)
                #expect(error.sqlState == .uniqueViolation)
                #expect(error.constraint == "actors_pkey")
                #expect(error.detail?.contains("alice") == true)
                #expect(!error.description.contains("alice"), "detail must stay out of the description")
            }
        }
    }

    @Test func syntaxErrorsAreServerErrorsWithHints() async throws {
        try await TestDatabase.withConnection { db in
            let error = await #expect(throws: PostgresError.self) { try await db.execute("selec 1") }
            #expect(error?.kind == .server)
            #expect(error?.sqlState == .syntaxError)
            #expect(error?.isConnectionLoss == false)
        }
    }

    @Test func serializationFailureIsRecognisedAndRetried() async throws {
        try await TestDatabase.withFreshDatabase(migrated: false) { configuration in
            let setup = try await PostgresConnection.connect(configuration)
            try await setup.execute("create table counters (id int primary key, n int not null)")
            try await setup.execute("insert into counters values (1, 0)")
            let first = try await PostgresConnection.connect(configuration)
            let second = try await PostgresConnection.connect(configuration)
            try await first.execute("begin isolation level serializable")
            try await second.execute("begin isolation level serializable")
            _ = try await first.query("select n from counters where id = 1")
            _ = try await second.query("select n from counters where id = 1")
            try await first.execute("update counters set n = n + 1 where id = 1")
            try await first.execute("commit")
            let error = await #expect(throws: PostgresError.self) {
                try await second.execute("update counters set n = n + 1 where id = 1")
            }
            #expect(error?.isSerializationFailure == true)
            try await second.execute("rollback")

            // The closure API runs the whole transaction again after such a failure.
            let attempts = Attempts()
            try await second.transaction(level: .serializable, retry: .onConflicts) { db in
                let attempt = await attempts.next()
                _ = try await db.query("select n from counters where id = 1")
                if attempt == 1 {
                    // A competing commit between our read and our write forces 40001.
                    try await first.execute("update counters set n = n + 1 where id = 1")
                }
                try await db.execute("update counters set n = n + 1 where id = 1")
            }
            #expect(await attempts.count == 2)
            let n = try await setup.query("select n from counters").single().decode(Int.self, "n")
            #expect(n == 3)
        }
    }

    @Test func deadlockIsRecognised() async throws {
        try await TestDatabase.withFreshDatabase(migrated: false) { configuration in
            let setup = try await PostgresConnection.connect(configuration)
            try await setup.execute("create table pair (id int primary key)")
            try await setup.execute("insert into pair values (1), (2)")
            let first = try await PostgresConnection.connect(configuration)
            let second = try await PostgresConnection.connect(configuration)
            try await first.execute("begin")
            try await second.execute("begin")
            try await first.execute("select * from pair where id = 1 for update")
            try await second.execute("select * from pair where id = 2 for update")
            let firstPID = await first.backendPID
            async let firstWaits = first.execute("select * from pair where id = 2 for update")
            try await waitUntil(firstPID, waitsOn: "Lock", seenBy: setup)  // first waits for second's lock
            var errors: [PostgresError] = []
            do {
                try await second.execute("select * from pair where id = 1 for update")
            } catch let error as PostgresError {
                errors.append(error)
            }
            do { _ = try await firstWaits } catch let error as PostgresError { errors.append(error) }
            #expect(errors.count == 1)
            #expect(errors.first?.isDeadlock == true)
        }
    }

    @Test func terminatedBackendIsAConnectionLoss() async throws {
        try await TestDatabase.withFreshDatabase(migrated: false) { configuration in
            let victim = try await PostgresConnection.connect(configuration)
            let killer = try await PostgresConnection.connect(configuration)
            let pid = await victim.backendPID
            try await killer.execute("select pg_terminate_backend(\(pid))")
            let error = await #expect(throws: PostgresError.self) { try await victim.query("select 1") }
            #expect(error?.isConnectionLoss == true)
            #expect(await victim.isReusable() == false)
        }
    }
}

@Suite("Transactions commit on return and roll back on throw")
struct TransactionTests {
    struct Boom: Error {}

    @Test func rolledBackTransactionLeavesNothing() async throws {
        try await TestDatabase.withConnection { db in
            try await db.execute("create table notes (body text)")
            await #expect(throws: Boom.self) {
                try await db.transaction { tx in
                    try await tx.execute("insert into notes values (\("draft"))")
                    try await tx.execute("create table scratch (x int)")
                    throw Boom()
                }
            }
            let count = try await db.query("select count(*) as n from notes").single().decode(Int.self, "n")
            #expect(count == 0)
            let scratch = try await db.query("select to_regclass('scratch') is null as gone").single()
            #expect(try scratch.decode(Bool.self, "gone"))
            #expect(await db.isReusable())
        }
    }

    @Test func committedTransactionKeepsEverything() async throws {
        try await TestDatabase.withConnection { db in
            try await db.execute("create table notes (body text)")
            let inserted = try await db.transaction { tx in
                try await tx.execute("insert into notes values (\("a")), (\("b"))")
            }
            #expect(inserted == 2)
            let count = try await db.query("select count(*) as n from notes").single().decode(Int.self, "n")
            #expect(count == 2)
        }
    }

    @Test func swallowedErrorMakesCommitThrow() async throws {
        try await TestDatabase.withConnection { db in
            try await db.execute("create table notes (body text not null)")
            let error = await #expect(throws: PostgresError.self) {
                try await db.transaction { tx in
                    try await tx.execute("insert into notes values (\("kept?"))")
                    _ = try? await tx.execute("insert into notes values (null)")
                }
            }
            #expect(error?.message.contains("rolled back") == true)
            let count = try await db.query("select count(*) as n from notes").single().decode(Int.self, "n")
            #expect(count == 0)
        }
    }
}

/// Counts attempts across retries.
actor Attempts {
    private(set) var count = 0
    func next() -> Int {
        count += 1
        return count
    }
}
