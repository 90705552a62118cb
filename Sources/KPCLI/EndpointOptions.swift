import ArgumentParser
import Foundation
import KPCore
import KPRecords

/// How a tool finds its target: an endpoint record from kp-launch, or the same facts as flags.
///
/// `--endpoint out/run/endpoint.json` (or `-` for stdin) is the pipeline's way; `--url` with
/// `--token-file` and `--ca-file` reaches any server by hand.
public struct EndpointOptions: ParsableArguments, Sendable {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Endpoint record written by kp-launch (a file, or - for stdin).", valueName: "file"))
    public var endpoint: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Server root URL, e.g. https://127.0.0.1:6443 (instead of --endpoint).", valueName: "url"))
    public var url: String?

    @Option(name: .long, help: ArgumentHelp("File holding the bearer token (with --url).", valueName: "file"))
    public var tokenFile: String?

    @Option(name: .long, help: ArgumentHelp("PEM CA bundle that verifies the server (with --url).", valueName: "file"))
    public var caFile: String?

    @Flag(name: .long, help: "Do not verify the server's TLS certificate. Explicit, and printed in the report.")
    public var insecureSkipTLSVerify = false

    public init() {}

    /// The rules on the values alone (no file is read).
    public func validate() throws {
        if endpoint != nil && url != nil {
            throw ValidationError(
                "--endpoint and --url exclude each other: give the endpoint record, or the URL with --token-file")
        }
        if endpoint == nil && url == nil {
            throw ValidationError(
                "no target: give --endpoint out/<run>/endpoint.json (from kp-launch) or --url with --token-file")
        }
        if let url, !(url.hasPrefix("https://") || url.hasPrefix("http://")) {
            throw ValidationError("--url must start with https:// or http:// (got '\(url)')")
        }
    }

    /// The checks that read the machine: the files the flags name are readable. ``resolve()`` makes
    /// them first; ``validate()`` stays pure, so kp-run can check a step's arguments before the
    /// files exist.
    public func checkInputs() throws {
        for (flag, path) in [("--token-file", tokenFile), ("--ca-file", caFile)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) {
                throw ValidationError("\(flag) \(path) is not a readable file: check the path and its permissions")
            }
        }
        if let endpoint, endpoint != "-", !FileManager.default.isReadableFile(atPath: endpoint) {
            throw ValidationError("--endpoint \(endpoint) is not a readable file: run kp-launch first, or pass --url")
        }
    }

    /// Resolves to an endpoint record (reading the file or stdin), validating the files it names.
    public func resolve() throws -> EndpointRecord {
        try checkInputs()
        if let url {
            var rec = EndpointRecord(
                url: url.hasSuffix("/") ? String(url.dropLast()) : url, caFile: caFile, tokenFile: tokenFile ?? "",
                insecureSkipTLSVerify: insecureSkipTLSVerify, mode: "url", target: "unknown", emulator: false,
                launchedNs: MonotonicClock.now(), startedAt: WallClock.now())
            if tokenFile == nil { rec.tokenFile = "" }
            return rec
        }
        let source = endpoint ?? "-"
        let items: [JSONLReader.Item]
        if source == "-" {
            var collected: [JSONLReader.Item] = []
            try JSONLReader.forEachLine(handle: .standardInput, name: "stdin") { item in
                collected.append(item)
            }
            items = collected
        } else {
            items = try JSONLReader.read(path: source)
        }
        for item in items {
            switch item {
            case .success(.endpoint(var rec)):
                if insecureSkipTLSVerify { rec.insecureSkipTLSVerify = true }
                if !rec.tokenFile.isEmpty && !FileManager.default.isReadableFile(atPath: rec.tokenFile) {
                    throw InputError(
                        "token file \(rec.tokenFile) named by \(source) is not readable: is the run still up (kp-launch)?"
                    )
                }
                if let ca = rec.caFile, !FileManager.default.isReadableFile(atPath: ca) {
                    throw InputError(
                        "CA file \(ca) named by \(source) is not readable: is the run still up (kp-launch)?")
                }
                return rec
            case .failure(let e):
                throw InputError("\(e.description)")
            default:
                continue
            }
        }
        throw InputError("\(source) holds no endpoint record: pass the endpoint.json that kp-launch wrote")
    }
}
