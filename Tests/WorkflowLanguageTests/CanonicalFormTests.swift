import Foundation
import Testing
import WorkflowLanguage

private let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Workflows")

private func definition(_ text: String) throws -> WorkflowDefinition {
    let check = WorkflowParser.check(text)
    return try #require(check.validDefinition, "\(check.diagnostics)")
}

private let small = """
    name: small
    title: Small
    roles: {writer: Writes., editor: Edits.}
    initial: write
    stages:
      write: {title: Write, assignee: writer, due: 36h}
      done: {title: Done, terminal: true}
    transitions:
      finish: {from: write, to: done, roles: [writer]}
      expire: {from: write, to: done, after: 3d}

    """

@Suite("Canonical form and versions")
struct CanonicalFormTests {
    @Test func layoutOrderCommentsAndDurationSpellingDoNotChangeTheVersion() throws {
        let reordered = """
            # The same program, written differently.
            transitions:
              expire: {after: 72h, to: done, from: [write]}
              finish:
                roles: writer
                to: done
                from: write
            stages:
              done: {terminal: true, title: Done}
              write:
                due: 1d12h
                assignee: writer
                title: Write
            initial: write
            roles:
              editor: Edits.
              writer: Writes.
            title: Small
            name: small
            """
        #expect(try definition(small).checksum == definition(reordered).checksum)
    }

    @Test func aRealChangeChangesTheVersion() throws {
        let changed = small.replacingOccurrences(of: "due: 36h", with: "due: 37h")
        #expect(try definition(small).checksum != definition(changed).checksum)
    }

    @Test func canonicalJSONRoundTrips() throws {
        for file in try FileManager.default.contentsOfDirectory(atPath: shipped.path) where file.hasSuffix(".yaml") {
            let original = try definition(String(contentsOf: shipped.appendingPathComponent(file), encoding: .utf8))
            let restored = try WorkflowDefinition.fromCanonicalJSON(original.canonicalJSON())
            #expect(restored == original, "\(file)")
            #expect(restored.checksum == original.checksum)
        }
    }

    @Test func everyShippedWorkflowIsValidWithoutWarnings() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: shipped.path).filter { $0.hasSuffix(".yaml") }
        #expect(
            Set(files) == [
                "exec-post.yaml", "start-small.yaml", "reverse-mentoring.yaml", "ambassador.yaml", "open-door.yaml",
            ])
        for file in files {
            let check = WorkflowParser.check(
                try String(contentsOf: shipped.appendingPathComponent(file), encoding: .utf8))
            #expect(check.diagnostics.isEmpty, "\(file): \(check.diagnostics.map { $0.formatted(file: file) })")
        }
    }
}

@Suite("Graphs")
struct GraphTests {
    @Test func mermaid() throws {
        #expect(
            WorkflowGraph.render(try definition(small), format: .mermaid) == """
                flowchart LR
                    start_(( )) --> write
                    write["Write"]
                    done(["Done"])
                    write -.->|"expire (after 3d)"| done
                    write -->|"finish"| done
                    classDef terminal stroke-width:3px
                    class done terminal

                """)
    }

    @Test func dotWithNotes() throws {
        let dot = WorkflowGraph.render(try definition(small), format: .dot, notes: ["write": "3 open, 1 overdue"])
        #expect(
            dot == """
                digraph "small" {
                    rankdir=LR;
                    node [shape=box, style=rounded];
                    "__start" [shape=point];
                    "__start" -> "write";
                    "write" [label="Write\\n3 open, 1 overdue"];
                    "done" [label="Done", shape=doubleoctagon];
                    "write" -> "done" [label="expire (after 3d)", style=dashed];
                    "write" -> "done" [label="finish"];
                }

                """)
    }
}
