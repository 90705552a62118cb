import Foundation
import Yams

/// The parts of docker mode's compose file that kp-launch reads: the project name and the
/// apiserver's argument list (recorded as the endpoint's `target_args`).
///
/// kp-launch never rewrites the file; `docker compose` is what runs it. Reading it here lets the
/// endpoint record show the exact arguments the container got, with compose's variables filled in.
public struct DockerComposeFile: Sendable, Equatable {
    /// The file, absolute.
    public var path: String
    /// Top-level `name:`, when the file sets one.
    public var name: String?
    /// `services.apiserver.command` as written (variables not yet substituted).
    public var apiserverCommand: [String]

    /// The service names kp-launch expects in the file.
    public static let apiserverService = "apiserver"
    /// The etcd service name.
    public static let etcdService = "etcd"

    /// Reads and parses `path`.
    ///
    /// - Throws: ``LaunchError`` (exit 2) naming the file and the fix when it is missing, not YAML,
    ///   or lacks an `apiserver` service with a `command` list and an `etcd` service.
    public static func load(_ path: String, flag: String = "--compose-file/COMPOSE_FILE") throws -> DockerComposeFile {
        let absolute = RunFiles(runDir: path).runDir
        guard let text = try? String(contentsOfFile: absolute, encoding: .utf8) else {
            throw LaunchError.badInput(
                "\(flag) \(path) cannot be read (looked for \(absolute)): run kp-launch from the kp-bench checkout, or pass the compose file with --compose-file"
            )
        }
        return try parse(text, path: absolute, flag: flag)
    }

    /// Parses compose YAML `text` that was read from `path`.
    public static func parse(_ text: String, path: String, flag: String = "--compose-file/COMPOSE_FILE") throws
        -> DockerComposeFile
    {
        let root: Any?
        do {
            root = try Yams.load(yaml: text)
        } catch {
            throw LaunchError.badInput(
                "\(flag) \(path) is not valid YAML (\(String(describing: error).split(separator: "\n").first ?? "")): fix the file or use docker/docker-compose.yaml"
            )
        }
        guard let top = root as? [String: Any], let services = top["services"] as? [String: Any] else {
            throw LaunchError.badInput(
                "\(flag) \(path) has no services: section: use docker/docker-compose.yaml or a copy of it")
        }
        guard services[etcdService] is [String: Any] else {
            throw LaunchError.badInput(
                "\(flag) \(path) has no '\(etcdService)' service: docker mode needs services named \(etcdService) and \(apiserverService) (see docker/docker-compose.yaml)"
            )
        }
        guard let apiserver = services[apiserverService] as? [String: Any] else {
            throw LaunchError.badInput(
                "\(flag) \(path) has no '\(apiserverService)' service: docker mode needs services named \(etcdService) and \(apiserverService) (see docker/docker-compose.yaml)"
            )
        }
        guard let command = apiserver["command"] as? [Any] else {
            throw LaunchError.badInput(
                "\(flag) \(path): services.\(apiserverService).command must be a list of the apiserver's arguments (see docker/docker-compose.yaml)"
            )
        }
        return DockerComposeFile(path: path, name: top["name"] as? String, apiserverCommand: command.map { "\($0)" })
    }

    /// The project name compose would use without `-p`: top-level `name:`, else the file's
    /// directory name, lower-cased with characters outside `[a-z0-9_-]` removed (compose's rule).
    public var defaultProjectName: String {
        if let name, !name.isEmpty { return name }
        let dir = ((path as NSString).deletingLastPathComponent as NSString).lastPathComponent.lowercased()
        let cleaned = String(dir.filter { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" || $0 == "-" })
        return cleaned.isEmpty ? "kp-bench" : cleaned
    }

    /// The apiserver's arguments with compose variables substituted from `environment`.
    public func apiserverArguments(environment: [String: String]) throws -> [String] {
        try apiserverCommand.map { try Self.interpolate($0, environment: environment) }
    }

    /// Substitutes compose-style variables in `text`: `$$`, `$NAME`, `${NAME}`, `${NAME:-default}`,
    /// `${NAME-default}`, `${NAME:?error}`, `${NAME?error}`, `${NAME:+alt}`, `${NAME+alt}`.
    ///
    /// Hand-written because no Swift library implements compose's interpolation (Yams only parses
    /// YAML); it covers the forms the compose specification defines, without nesting.
    /// - Throws: ``LaunchError`` (exit 2) for `${NAME:?error}` with `NAME` unset or empty, and for
    ///   an unterminated `${`.
    public static func interpolate(_ text: String, environment: [String: String]) throws -> String {
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            guard c == "$" else {
                out.append(c)
                i = text.index(after: i)
                continue
            }
            let next = text.index(after: i)
            if next < text.endIndex, text[next] == "$" {
                out.append("$")
                i = text.index(after: next)
            } else if next < text.endIndex, text[next] == "{" {
                guard let close = text[next...].firstIndex(of: "}") else {
                    throw LaunchError.badInput("compose variable in '\(text)' has no closing '}': fix the compose file")
                }
                out += try expand(String(text[text.index(after: next)..<close]), environment: environment)
                i = text.index(after: close)
            } else {
                let nameEnd =
                    text[next...].firstIndex { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_")) }
                    ?? text.endIndex
                if nameEnd == next || text[next].isNumber {  // names start with a letter or `_`
                    out.append("$")
                    i = next
                } else {
                    out += environment[String(text[next..<nameEnd])] ?? ""
                    i = nameEnd
                }
            }
        }
        return out
    }

    private static func expand(_ body: String, environment: [String: String]) throws -> String {
        for op in [":-", ":?", ":+", "-", "?", "+"] {
            guard let r = body.range(of: op) else { continue }
            let name = String(body[..<r.lowerBound])
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                continue
            }
            let arg = String(body[r.upperBound...])
            let value = environment[name]
            let unset = op.hasPrefix(":") ? (value ?? "").isEmpty : value == nil
            switch op.last {
            case "-": return unset ? arg : value ?? ""
            case "+": return unset ? "" : arg
            default:
                if unset { throw LaunchError.badInput("compose variable \(name) is required: \(arg)") }
                return value ?? ""
            }
        }
        return environment[body] ?? ""
    }
}
