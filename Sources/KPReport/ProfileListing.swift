import Foundation
import KPPprof
import KPRecords

/// The pprof dumps of a run: the files in `pprof/`, the ones that were asked for but are
/// missing (with the scraper's reason), and a one-line digest of each.
public struct ProfileListing: Sendable {
    /// One file in `pprof/`.
    public struct File: Sendable {
        public var name: String
        public var bytes: Int
        /// Phase and kind from the matching `profile` record, when there is one.
        public var phase: String?
        public var profile: String?
        /// Heap: the top in-use allocators; goroutine: the count and the busiest function.
        public var digest: String
    }

    /// A profile that was requested but is not on disk.
    public struct Missing: Sendable {
        public var phase: String
        public var profile: String
        public var reason: String
    }

    public var files: [File] = []
    public var missing: [Missing] = []

    /// How many functions the heap digest names.
    public static let topAllocators = 3

    public init(data: RunData, directory: String) {
        let present = Set(data.pprofFiles.map(\.name))
        var recordFor: [String: ProfileRecord] = [:]
        for p in data.profiles {
            if p.status == "ok", let path = p.path {
                let name = (path as NSString).lastPathComponent
                recordFor[name] = p
                if !present.contains(name) {
                    missing.append(
                        Missing(
                            phase: p.phase, profile: p.profile,
                            reason: "recorded as written to \(path) but not in pprof/"))
                }
            } else if p.status != "ok" {
                var reason = p.error ?? "failed"
                if let code = p.httpStatus { reason += " (HTTP \(code))" }
                missing.append(Missing(phase: p.phase, profile: p.profile, reason: reason))
            }
        }
        let dir = (directory as NSString).appendingPathComponent("pprof")
        for (name, bytes) in data.pprofFiles {
            let rec = recordFor[name]
            let kind =
                rec?.profile ?? (name.hasPrefix("heap") ? "heap" : name.hasPrefix("goroutine") ? "goroutine" : nil)
            let path = (dir as NSString).appendingPathComponent(name)
            files.append(
                File(
                    name: name, bytes: bytes, phase: rec?.phase, profile: kind,
                    digest: Self.digest(path: path, kind: kind)))
        }
        missing.sort { ($0.phase, $0.profile, $0.reason) < ($1.phase, $1.profile, $1.reason) }
    }

    /// A one-line summary of a profile file; a file that cannot be read says why.
    static func digest(path: String, kind: String?) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "unreadable" }
        switch kind {
        case "heap":
            do {
                let profile = try PprofProfile(data: data)
                guard let index = profile.sampleTypeIndex(named: "inuse_space") else {
                    return "no inuse_space sample type"
                }
                let total = profile.totals[index]
                let top = try profile.top(sampleTypeIndex: index, order: .flat, limit: topAllocators)
                let parts = top.map { "\($0.name) \(Format.bytes(Double($0.flat)))" }
                return "in-use \(Format.bytes(Double(total))); top: "
                    + (parts.isEmpty ? "none" : parts.joined(separator: ", "))
            } catch {
                return "cannot read: \(error)"
            }
        case "goroutine":
            do {
                let dump = try GoroutineDump(data: data)
                let top = dump.countsByTopFunction().first.map { ", most in \($0.function) (\($0.count))" } ?? ""
                return "\(dump.total) goroutines\(top)"
            } catch {
                return "cannot read: \(error)"
            }
        default:
            return ""
        }
    }
}
