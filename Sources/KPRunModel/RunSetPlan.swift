import Foundation

/// What a run set set out to run: a repeat set (`r1 … rn`), a sweep over N (`n<N>/`, each a run or a
/// repeat set) or a two-sided comparison (`A/r<i>`, `B/r<i>`). kp-run writes it as
/// ``RunLayout/runSet`` into the set's folder before the set's first run; kp-report reads it to fold
/// the folder (`kp-report DIR`) and to say how many of the asked runs ended, so a set stopped by
/// Ctrl-C or a failure still folds and says "k of n runs".
public struct RunSetPlan: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case repeatSet = "repeat"
        case sweep
        case compare
    }

    /// The record's version; a reader refuses a newer one.
    public var version: Int
    public var kind: Kind
    /// Every run the set asked for, as paths relative to the set's folder, in the order they run.
    public var runs: [String]
    /// The folders the fold takes, relative to the set's folder: a sweep's sizes (`n<N>`), a
    /// comparison's two sides (`A`, `B`); empty for a repeat set.
    public var groups: [String]
    /// A comparison's thresholds file (`--thresholds`), as given to kp-run.
    public var thresholds: String?
    /// What a sweep varies: nil for the cluster count N (groups `n<N>`), ``Axis/crdsPerCluster`` for
    /// the test CRDs per VCP K at one N (groups `k<K>`).
    public var axis: Axis?

    /// The quantity a sweep varies.
    public enum Axis: String, Codable, Sendable {
        /// kp-bootstrap's `--crds-per-cluster` (run_meta flag `crds-per-cluster`, 1 when absent).
        case crdsPerCluster = "crds-per-cluster"
    }

    public static let currentVersion = 1

    public init(kind: Kind, runs: [String], groups: [String] = [], thresholds: String? = nil, axis: Axis? = nil) {
        self.axis = axis
        self.version = Self.currentVersion
        self.kind = kind
        self.runs = runs
        self.groups = groups
        self.thresholds = thresholds
    }

    /// The plan as one line of JSON with sorted keys (what ``write(to:)`` writes).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a struct of strings and ints cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Writes ``RunLayout/runSet`` into `directory` (created if needed), replacing it whole.
    public func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data((json + "\n").utf8).write(
            to: URL(fileURLWithPath: RunLayout.path(directory, RunLayout.runSet)), options: .atomic)
    }

    /// Why a run-set file cannot be read.
    public struct ReadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The plan in `directory`, nil when it has none.
    public static func read(from directory: String) throws(ReadError) -> RunSetPlan? {
        let path = RunLayout.path(directory, RunLayout.runSet)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let plan: RunSetPlan
        do {
            plan = try JSONDecoder().decode(RunSetPlan.self, from: data)
        } catch {
            throw ReadError(description: "\(path) is not a run-set record: \(error)")
        }
        guard plan.version <= currentVersion else {
            throw ReadError(
                description:
                    "\(path) has version \(plan.version); this kp-report reads up to \(currentVersion): use a newer kp-report"
            )
        }
        return plan
    }
}
