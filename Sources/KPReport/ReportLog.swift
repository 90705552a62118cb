import Foundation

/// Where kp-report's subcommands say things for people: the tool passes its stderr logger's
/// `info` and `warning` (records and tables go to stdout, never here).
public struct ReportLog: Sendable {
    public var info: @Sendable (String) -> Void
    public var warning: @Sendable (String) -> Void

    public init(info: @escaping @Sendable (String) -> Void, warning: @escaping @Sendable (String) -> Void) {
        self.info = info
        self.warning = warning
    }
}

/// What a path given on kp-report's command line names.
enum PathKind {
    /// Whether `path` names a directory.
    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// Whether `path` names something that exists and is not a directory.
    static func isNonDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue
    }
}
