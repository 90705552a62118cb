import Foundation

/// Finds a program the way a shell does: the first executable file of that name in PATH.
///
/// The one lookup for kp-launch's child processes and for kp-sim's `openssl` (KPSim does not
/// import KPLaunch).
public enum ExecutableSearch {
    /// The first executable file called `name` in `path` (a PATH-style list; nil: this process's
    /// PATH, else `/usr/local/bin:/usr/bin:/bin`), or nil. A name with a `/` is checked as given.
    public static func find(_ name: String, path: String? = nil) -> String? {
        let manager = FileManager.default
        if name.contains("/") { return manager.isExecutableFile(atPath: name) ? name : nil }
        let search = path ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in search.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            var isDir: ObjCBool = false
            if manager.fileExists(atPath: candidate, isDirectory: &isDir), !isDir.boolValue,
                manager.isExecutableFile(atPath: candidate)
            {
                return candidate
            }
        }
        return nil
    }
}
