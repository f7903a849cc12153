import Testing
import WorkflowLanguage

/// The anchor and alias guard decides from the YAML events, so it agrees with the parser both
/// ways: every construct that carries an anchor or alias is refused, and text that only looks
/// like one (Markdown emphasis in coaching guidance, `&` and `*` in URLs) is not.
///
/// Checked against the official yaml-test-suite (data branch of 2022-01-17, 308 valid documents,
/// run locally outside the repository): no valid document without an anchor or alias was
/// refused for one; of the 34 with one, 29 are refused at the anchor, 3 (C4HZ, LE5A, UGM3) at a
/// tag on an earlier node, and 2 (8XYN, W5VH: non-ASCII and punctuation anchor names) are
/// syntax errors for libyaml 0.2.5 itself, so none loads.
@Suite("The YAML guard reads events, not text")
struct YAMLGuardTests {
    /// A valid workflow whose first stage's description is `description`, written as given
    /// (already indented for the stage's mapping).
    static func workflow(description: String) -> String {
        """
        name: guard-test
        title: Guard test
        initial: draft
        stages:
          draft:
            title: Draft
            wait: forever
        \(description)
          done:
            title: Done
            terminal: true
        transitions:
          finish:
            from: draft
            to: done
            roles: [author]
        roles:
          author: Writes.

        """
    }

    static let refusal = "anchors and aliases (&name, *name) are not allowed in workflow files"

    static func firstError(_ text: String) -> Diagnostic? {
        WorkflowParser.check(text).diagnostics.first { $0.severity == .error }
    }

    @Test(
        "Text that only looks like an anchor or alias is accepted",
        arguments: [
            // Markdown emphasis in a folded block
            "    description: >\n      - *Listen* first, then draft.\n      Note: *always* read replies.",
            // the same in a literal block
            "    description: |\n      - *Listen* first\n      Note: *always* read\n      &more to come",
            // a double-quoted string continued on a second line
            "    description: \"Before you draft,\n      *listen* for a week\"",
            // a single-quoted string continued on a second line
            "    description: 'Read first,\n      *then* write'",
            // `&` and `*` inside a plain URL
            "    description: https://example.com/?a=1&b=*2*",
            // a plain scalar that starts with a word and holds stars later
            "    description: Listen *first* & *then* write",
        ])
    func lookAlikesAreAccepted(description: String) {
        let text = Self.workflow(description: description)
        let check = WorkflowParser.check(text)
        #expect(!check.hasErrors, "\(check.diagnostics)")
    }

    @Test(
        "Every construct that carries an anchor or alias is refused, at its place",
        arguments: [
            // anchor on a block mapping, alone on its own line
            ("roles:\n  author:\n    &who\n    description: Writes.\n", 3, 5),
            // alias alone as a value line
            ("roles:\n  author: &who Writes.\n  editor:\n    *who\n", 2, 11),
            // anchor on a flow sequence
            ("roles:\n  author: &list [a, b]\n", 2, 11),
            // anchor inside a flow mapping
            ("roles: {author: &w Writes.}\n", 1, 17),
            // anchor after a tag
            ("roles:\n  author: !!str &w Writes.\n", 2, 11),
            // anchor before a tag
            ("roles:\n  author: &w !!str Writes.\n", 2, 11),
            // anchor on a block sequence item
            ("roles:\n  - &first author\n", 2, 5),
            // alias as a key
            ("roles:\n  author: &k x\n  *k : y\n", 2, 11),
            // anchor on a multi-line (explicit) key
            ("roles:\n  ? &k\n    author\n  : Writes.\n", 2, 5),
            // anchor on a block scalar
            ("roles:\n  author: &w |\n    Writes.\n", 2, 11),
        ] as [(String, Int, Int)])
    func anchorsAndAliasesAreRefused(text: String, line: Int, column: Int) {
        let error = Self.firstError(text)
        #expect(error?.message.hasPrefix(Self.refusal) == true, "\(String(describing: error))")
        #expect(error?.location == SourceLocation(line: line, column: column))
    }

    @Test func aBillionLaughsWithAnchorsOnTheirOwnLinesIsRefusedAtTheFirstAnchor() {
        var lines = ["name: bomb", "roles:", "  l0:", "    &l0", "    [x,x,x,x,x,x,x,x,x]"]
        for level in 1..<10 {
            lines += [
                "  l\(level):", "    &l\(level)",
                "    [" + Array(repeating: "*l\(level - 1)", count: 9).joined(separator: ",") + "]",
            ]
        }
        let error = Self.firstError(lines.joined(separator: "\n"))
        #expect(error?.message.hasPrefix(Self.refusal) == true)
        #expect(error?.location == SourceLocation(line: 4, column: 5))
    }

    /// A tag would be ignored (`!!binary bGlzdGVu` was read as the text `bGlzdGVu`), so it is refused.
    @Test(arguments: ["initial: !!binary bGlzdGVu\n", "roles: !!map {a: b}\n", "roles:\n  a: !custom x\n"])
    func tagsAreRefused(text: String) {
        #expect(
            Self.firstError("name: t\n" + text)?.message.hasPrefix("tags (!!str, !!binary, !name) are not allowed")
                == true)
    }

    @Test func bracketsInsideQuotedTextAreNotNesting() {
        let text = Self.workflow(description: "    description: \"" + String(repeating: "[", count: 200) + "\"")
        #expect(!WorkflowParser.check(text).hasErrors)
    }

    @Test func aLeadingByteOrderMarkIsAccepted() {
        let text = "\u{FEFF}" + Self.workflow(description: "    description: Saved as UTF-8 with BOM.")
        let check = WorkflowParser.check(text)
        #expect(!check.hasErrors, "\(check.diagnostics)")
        #expect(check.definition?.name == "guard-test")
    }

    @Test(
        "Keys are names: a key that YAML reads as a boolean and its quoted twin are duplicates",
        arguments: [
            ("stages:\n  no:\n    title: A\n  \"no\":\n    title: B\n", 4, 3, "no"),
            ("transitions:\n  on:\n    from: a\n  'on':\n    from: b\n", 4, 3, "on"),
            ("stages:\n  a:\n    title: A\n    \"title\": B\n", 3, 5, "title"),
            ("stages:\n  1:\n    title: A\n  \"1\":\n    title: B\n", 4, 3, "1"),
        ] as [(String, Int, Int, String)])
    func keysThatReadTheSameAreDuplicates(text: String, line: Int, column: Int, key: String) {
        let errors = WorkflowParser.check("name: dup\ntitle: Dup\ninitial: a\n" + text).diagnostics
        let duplicate = errors.first { $0.message.hasPrefix("duplicate key \"\(key)\"") }
        #expect(duplicate?.location == SourceLocation(line: line + 3, column: column), "\(errors)")
    }

    @Test(
        "A tab that indents is named as the cause, at its place",
        arguments: [
            ("name: t\nstages:\n\tdraft:\n    title: Draft\n", 3, 1),
            ("name: t\nstages:\n  draft:\n  \ttitle: Draft\n", 4, 3),
            ("name: t\nstages:\n  - \tdraft\n", 3, 5),
        ] as [(String, Int, Int)])
    func tabsInIndentationAreExplained(text: String, line: Int, column: Int) {
        let error = Self.firstError(text)
        #expect(
            error?.message == "tabs are not allowed for indentation; indent with spaces", "\(String(describing: error))"
        )
        #expect(error?.location == SourceLocation(line: line, column: column))
    }
}
