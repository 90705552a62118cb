import Foundation
import KPCore

/// Files kp-scrape writes: whole and atomic (temp file + rename), so a reader never sees half a profile.
///
/// Also prepares the output directories named by flags, turning problems into one-line messages.
public enum FileWriting {
    public static func write(_ data: Data, to path: String) throws {
        try FileOutput.writeAtomically(data, to: path)
    }

    /// Creates `dir` (and parents) if needed and checks it is writable; returns a one-line problem or nil.
    public static func prepareDirectory(_ dir: String, flag: String) -> String? {
        FileOutput.prepareDirectory(dir, flag: flag)
    }
}
