import Foundation
import KPCore
import KPSim
import Logging

/// kp-sim: runs the kplane apiserver emulator until SIGTERM/SIGINT.
///
/// Flags are parsed by `SimArgumentParser` (kube-apiserver's flag style, unknown flags accepted),
/// not by swift-argument-parser; see its doc comment for why.
@main
struct KPSimCommand {
    static func main() async {
        let outcome: SimArgumentParser.Outcome
        do {
            outcome = try SimArgumentParser.parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            StandardError.write("\(error.message)\n")
            exit(2)
        }
        let configuration: SimConfiguration
        switch outcome {
        case .help(let text):
            print(text)
            return
        case .version(let text):
            print(text)
            return
        case .run(let parsed):
            configuration = parsed
        }
        let level: Logger.Level = configuration.verbosity >= 6 ? .trace : configuration.verbosity >= 4 ? .debug : .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "kp-sim")
        // Handle the signals ourselves so shutdown is graceful and the exit status is 0.
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        // Install the handlers before listening, so a signal that arrives right after the port is
        // announced is not lost to SIG_IGN.
        let (signals, continuation) = AsyncStream<Int32>.makeStream()
        let sources = [SIGTERM, SIGINT].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        let server: SimServer
        do {
            server = try await SimServer.start(configuration, logger: logger)
        } catch {
            StandardError.write("\(error.message)\n")
            exit(error.exitCode)
        }
        for await number in signals {
            logger.info("shutting down", metadata: ["signal": "\(number == SIGTERM ? "SIGTERM" : "SIGINT")"])
            break
        }
        withExtendedLifetime(sources) {}
        await server.shutdown()
        exit(0)
    }
}
