import Foundation
import KPCore
import Logging

/// stderr logging for a tool: records go to stdout, everything for people goes here.
public enum ToolLogging {
    /// Installs swift-log's stderr handler once; `verbose` lowers the level to debug, `quiet` raises it to warning.
    public static func bootstrap(verbose: Bool = false, quiet: Bool = false) {
        let level: Logger.Level = verbose ? .debug : (quiet ? .warning : .info)
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    }

    /// True when stderr is a terminal (progress lines and countdowns only then).
    public static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Writes a progress line on stderr, overwriting the previous one on a terminal.
    public static func progress(_ line: String) {
        guard stderrIsTerminal else { return }
        StandardError.write("\r\u{1B}[2K\(line)")
    }

    /// Ends a progress line.
    public static func endProgress() {
        guard stderrIsTerminal else { return }
        StandardError.write("\n")
    }
}
