import Foundation
import Hummingbird
import NIOCore
import WorkflowEngine

/// JSON in and out of the API: sorted keys, RFC 3339 dates in UTC written by the one writer
/// messages and the CLI use (`DataDate.format`), and request bodies read strictly.
enum APIJSON {
    /// The largest request body read, in bytes (413 beyond it): a workflow file or an item with
    /// its data fits many times over.
    static let bodyLimit = 256 * 1024

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(DataDate.format(date))
        }
        return encoder
    }

    /// A JSON response of `value` with `status` and extra `headers`.
    static func response(
        _ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]
    ) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        let data = try encoder().encode(value)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Reads the body of `request` as a `Body`: a JSON object with no field the type does not
    /// know, at most ``bodyLimit`` bytes.
    ///
    /// - Throws: ``Problem`` 413 for a body too large, 415 for another content type, 400 for
    ///   malformed JSON, an unknown field, or a missing or mistyped one.
    static func body<Body: APIRequestBody>(
        _ type: Body.Type, from request: Request, context: APIRequestContext
    ) async throws -> Body {
        if let contentType = request.headers[.contentType],
            !contentType.lowercased().hasPrefix("application/json")
        {
            throw Problem(
                status: .unsupportedMediaType, code: "input.content_type",
                detail: "send the body as application/json, not \(contentType)")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: bodyLimit)
        } catch is NIOTooManyBytesError {
            throw Problem(
                status: .contentTooLarge, code: "input.too_large",
                detail: "the body is larger than \(bodyLimit / 1024) KiB")
        } catch {
            // A malformed chunked body, a client that sent less than its Content-Length: theirs.
            context.logger.info("request body unreadable", metadata: ["error": "\(error)"])
            throw Problem(status: .badRequest, code: "input.body", detail: "the request body could not be read")
        }
        let data = buffer.readableBytes == 0 && Body.mayBeEmpty ? Data("{}".utf8) : Data(buffer: buffer)
        guard let object = (try? JSONSerialization.jsonObject(with: data, options: [])) as? [String: Any] else {
            throw Problem(status: .badRequest, code: "input.json", detail: "the body is not a JSON object")
        }
        if let duplicate = JSONDuplicateKeys.first(in: data) {
            throw Problem(
                status: .badRequest, code: "input.duplicate_field",
                detail: "the field \"\(duplicate)\" is given twice in one object")
        }
        if containsNUL(object) {
            throw Problem(
                status: .unprocessableContent, code: "input.nul",
                detail: "text may not contain NUL (U+0000) characters")
        }
        if let unknown = object.keys.sorted().first(where: { !Body.fields.contains($0) }) {
            throw Problem(
                status: .badRequest, code: "input.unknown_field",
                detail: "unknown field \"\(unknown)\"; the fields are \(Body.fields.sorted().joined(separator: ", "))")
        }
        // A field is given or left out; `null` is neither (the schema allows it nowhere).
        if let empty = object.keys.sorted().first(where: { object[$0] is NSNull }) {
            throw Problem(
                status: .badRequest, code: "input.field_type",
                detail: "the field \"\(empty)\" is null; leave it out instead")
        }
        do {
            return try JSONDecoder().decode(Body.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw Problem(
                status: .badRequest, code: "input.missing_field", detail: "the field \"\(key.stringValue)\" is required"
            )
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw Problem(
                status: .badRequest, code: "input.field_type", detail: "the field \"\(field)\" has the wrong type")
        } catch {
            throw Problem(status: .badRequest, code: "input.json", detail: "the body could not be read as JSON")
        }
    }
}

/// True when a string anywhere in a parsed JSON value (keys included) holds U+0000, which
/// PostgreSQL's text cannot store.
private func containsNUL(_ value: Any) -> Bool {
    switch value {
    case let text as String: text.unicodeScalars.contains("\0")
    case let array as [Any]: array.contains(where: containsNUL)
    case let object as [String: Any]: object.contains { containsNUL($0.key) || containsNUL($0.value) }
    default: false
    }
}

/// A whole number in a JSON body, as JSON Schema counts them: `7` and `7.0` alike (JSON has one
/// number type, and schema-valid clients may write either); `7.5` is refused.
struct WholeNumber: Decodable {
    let value: Int

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let integer = try? container.decode(Int.self) {
            value = integer
            return
        }
        let number = try container.decode(Double.self)
        guard number.rounded() == number, let integer = Int(exactly: number) else {
            throw DecodingError.typeMismatch(
                Int.self, .init(codingPath: decoder.codingPath, debugDescription: "not a whole number"))
        }
        value = integer
    }
}

/// A request body the API reads: its JSON field names, so anything else is refused rather than
/// silently ignored (a misspelt `coment` must not vanish).
protocol APIRequestBody: Decodable {
    /// The JSON field names the body may have.
    static var fields: Set<String> { get }
    /// True when an empty body means `{}` (every field optional).
    static var mayBeEmpty: Bool { get }
}

extension APIRequestBody {
    static var mayBeEmpty: Bool { false }
}
