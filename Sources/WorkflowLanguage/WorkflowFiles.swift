import Foundation

/// Finds and reads workflow files.
public enum WorkflowFiles {
    /// The `.yaml` / `.yml` files named, or inside the folders named (not their subfolders, so
    /// `Workflows/tests/` scenario files are not taken for workflows), sorted by path.
    public static func expand(_ paths: [String]) throws(WorkflowFileError) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw WorkflowFileError("\(path): no such file or folder")
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                    .map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        return files
    }

    /// Reads a file as text, refusing anything larger than the parser accepts.
    public static func read(_ path: String) throws(WorkflowFileError) -> String {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = attributes[.size] as? Int
        else { throw WorkflowFileError("\(path): cannot read it") }
        guard size <= WorkflowParser.maximumBytes else {
            throw WorkflowFileError(
                "\(path): \(size) bytes is more than the \(WorkflowParser.maximumBytes) a workflow file may have")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WorkflowFileError("\(path): cannot read it")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A workflow file that could not be found or read.
public struct WorkflowFileError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
