import ArgumentParser
import Foundation
import KPCore

/// Runs a tool's root command with kp-bench's error conventions.
///
/// - `--help` and `--version` print and exit 0, as ArgumentParser does.
/// - A flag or validation mistake prints ONE line, `<tool>: error: <message> (see <tool> --help)`, and exits 2.
/// - An ``ExitCodeError`` prints its line and exits with its code; any other error prints its
///   description and exits 1. Nothing here ever prints a token: errors carry file paths only.
/// - SIGXFSZ is ignored, so a write past the file size limit (`ulimit -f`) fails with EFBIG and is
///   reported by the writer, naming the file, instead of killing the tool.
public enum ToolMain {
    public static func run<C: AsyncParsableCommand>(_ type: C.Type, arguments: [String]? = nil) async -> Never {
        signal(SIGXFSZ, SIG_IGN)
        let tool = C.configuration.commandName ?? String(describing: C.self)
        let args = arguments ?? Array(CommandLine.arguments.dropFirst())
        var command: any ParsableCommand
        do {
            command = try C.parseAsRoot(args)
        } catch {
            let code = C.exitCode(for: error)
            if code == .success {
                C.exit(withError: error)  // help / version: ArgumentParser prints and exits 0
            }
            let message = C.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            StandardError.write("\(tool): error: \(message) (see \(tool) --help)\n")
            exit(KPExitCode.badInput.rawValue)
        }
        do {
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
            // Records it could not write (said once on stderr) fail a tool that would have succeeded.
            exit(RecordOutput.lostRecords ? KPExitCode.failure.rawValue : 0)
        } catch let e as ExitCodeError {
            StandardError.write("\(tool): error: \(e.description)\n")
            exit(e.exitCode.rawValue)
        } catch let e as ExitCode {
            exit(e.rawValue == 0 && RecordOutput.lostRecords ? KPExitCode.failure.rawValue : e.rawValue)
        } catch let e as ValidationError {
            StandardError.write("\(tool): error: \(e.message) (see \(tool) --help)\n")
            exit(KPExitCode.badInput.rawValue)
        } catch {
            let code = C.exitCode(for: error)
            if code == .success {
                // `tool help sub` runs ArgumentParser's help command, which reports the help text as an error.
                C.exit(withError: error)
            }
            if code == .validationFailure {
                let message = C.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
                StandardError.write("\(tool): error: \(message) (see \(tool) --help)\n")
                exit(KPExitCode.badInput.rawValue)
            }
            StandardError.write("\(tool): error: \(error)\n")
            exit(KPExitCode.failure.rawValue)
        }
    }
}
