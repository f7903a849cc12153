internal import CYaml

/// Protects the YAML composer from a hostile file by reading the file's YAML *events* first, with
/// the same libyaml that Yams composes with, before any tree is built.
///
/// Refused: an anchor (`&name` on a scalar, sequence or mapping) or an alias (`*name`), since a
/// few lines of them expand into gigabytes ("billion laughs"); an explicit tag (`!!binary`),
/// which Podium would ignore; nesting deeper than
/// ``maximumNesting``; more than ``maximumEvents`` events; more than ``maximumScalarBytes`` bytes
/// of scalars. Because the guard and the composer read the same events, the guard cannot call
/// Markdown emphasis in a block scalar (`- *Listen* first`) an alias, nor miss an anchor written
/// alone on its line. A syntax error is left to the composer, which reports it with its context.
///
/// The work is linear in the file's size: libyaml emits each event once and the guard keeps
/// three counters.
enum YAMLGuard {
    /// The deepest nesting of sequences and mappings accepted.
    static let maximumNesting = 64
    /// The most events (scalars, starts and ends of collections and documents) one file may hold.
    static let maximumEvents = 200_000
    /// The most bytes all scalars of one file may add up to (a file's own size bounds it too).
    static let maximumScalarBytes = 4 << 20

    /// The first reason `text` must not reach the composer, or nil. `documents` names what is
    /// read ("workflow files") in the message.
    static func check(_ text: String, documents: String) -> Diagnostic? {
        var text = text
        return text.withUTF8 { bytes in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                return Diagnostic(.error, "cannot start the YAML reader (out of memory?)", at: .start)
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
            var depth = 0
            var events = 0
            var scalarBytes = 0
            while true {
                var event = yaml_event_t()
                // A syntax error: the composer reads the same bytes and says what is wrong.
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                let at = SourceLocation(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
                events += 1
                if events > maximumEvents {
                    return Diagnostic(
                        .error, "more than \(maximumEvents) YAML nodes; \(documents) are small", at: at)
                }
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return nil
                case YAML_ALIAS_EVENT:
                    return refusal(documents, at: at)
                case YAML_SCALAR_EVENT:
                    if event.data.scalar.anchor != nil { return refusal(documents, at: at) }
                    if event.data.scalar.tag != nil { return tagRefusal(documents, at: at) }
                    scalarBytes += event.data.scalar.length
                    if scalarBytes > maximumScalarBytes {
                        return Diagnostic(
                            .error, "more than \(maximumScalarBytes) bytes of text; \(documents) are small", at: at)
                    }
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    let anchor =
                        event.type == YAML_SEQUENCE_START_EVENT
                        ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                    if anchor != nil { return refusal(documents, at: at) }
                    let tag =
                        event.type == YAML_SEQUENCE_START_EVENT
                        ? event.data.sequence_start.tag : event.data.mapping_start.tag
                    if tag != nil { return tagRefusal(documents, at: at) }
                    depth += 1
                    if depth > maximumNesting {
                        return Diagnostic(
                            .error, "nesting deeper than \(maximumNesting) levels; \(documents) are flat", at: at)
                    }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    depth -= 1
                default:
                    break
                }
            }
        }
    }

    /// An explicit tag (`!!binary`, `!!str`, `!custom`): Podium reads every value as text, so
    /// a tag would be ignored and the value read as something its author did not mean.
    private static func tagRefusal(_ documents: String, at location: SourceLocation) -> Diagnostic {
        Diagnostic(
            .error, "tags (!!str, !!binary, !name) are not allowed in \(documents); write the value as plain text",
            at: location)
    }

    private static func refusal(_ documents: String, at location: SourceLocation) -> Diagnostic {
        Diagnostic(
            .error, "anchors and aliases (&name, *name) are not allowed in \(documents); write the value out",
            at: location)
    }
}
