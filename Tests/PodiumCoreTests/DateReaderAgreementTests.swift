import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing
import WorkflowEngine

/// The engine reads dates in Swift (`DataDate`) and the flow report in SQL
/// (`podium_data_timestamp`, SQL/009); both are held to one table of RFC 3339 cases, so a due time
/// is the same instant wherever it is computed.
@Suite("One reading of dates, in Swift and in SQL")
struct DateReaderAgreementTests {
    @Test func theSQLReaderAgreesWithTheTable() async throws {
        try await EngineFixture.run { fixture in
            var disagreements: [String] = []
            for example in DateCases.all {
                let read = try await fixture.pool.query(
                    "select podium_data_timestamp(\(example.text)) as instant"
                ).single().decode(Date?.self, "instant")
                let agrees =
                    switch (read, example.seconds) {
                    case (nil, nil): true
                    case (let read?, let seconds?): abs(read.timeIntervalSince1970 - seconds) <= example.tolerance
                    default: false
                    }
                if !agrees { disagreements.append("\(example): SQL read \(String(describing: read))") }
            }
            #expect(disagreements.isEmpty, "\(disagreements)")
        }
    }
}
