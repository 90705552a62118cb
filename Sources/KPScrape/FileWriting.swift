import Foundation

/// Files kp-scrape writes: whole and atomic (temp file + rename), so a reader never sees half a profile.
///
/// Also prepares the output directories named by flags, turning problems into one-line messages.
public enum FileWriting {
    public static func write(_ data: Data, to path: String) throws {
        try data.write(to: URL(fileURLWithPath: path), options: [.atomic])
    }

    /// Creates `dir` (and parents) if needed and checks it is writable; returns a one-line problem or nil.
    public static func prepareDirectory(_ dir: String, flag: String) -> String? {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) {
            if !isDir.boolValue { return "\(flag) \(dir) exists and is not a directory: give a directory path" }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                return "\(flag) \(dir) cannot be created (\(error.localizedDescription)): check the path and its permissions"
            }
        }
        if !FileManager.default.isWritableFile(atPath: dir) {
            return "\(flag) \(dir) is not writable: check its permissions"
        }
        return nil
    }
}
