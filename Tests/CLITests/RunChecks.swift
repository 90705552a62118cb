import Foundation
import KPRecords
import KPRunModel
import Testing

/// Checks every end-to-end run makes against the run model.
enum RunChecks {
    /// The run directory holds each of the scenario's samples exactly once (plus kp-run's launch
    /// sample), in the model's order, and one heap and one goroutine profile per pprof sample.
    static func samplesExactlyOnce(
        _ dir: String, scenario name: String, run: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let scenario = try #require(Scenario.named(name), sourceLocation: sourceLocation)
        var taken: [String] = []
        for case .success(.sample(let s)) in try JSONLReader.read(path: "\(dir)/\(RunLayout.samples)") {
            taken.append(s.phase)
        }
        #expect(
            taken == [Scenario.launchSample.phase] + scenario.phases, "samples of \(name)",
            sourceLocation: sourceLocation)
        let files = Set((try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/\(RunLayout.pprof)")) ?? [])
        let expected = Set(
            scenario.samples.filter(\.pprof).flatMap { s in
                ["heap", "goroutine"].map {
                    String(RunLayout.profile(kind: $0, run: run, phase: s.phase).dropFirst(RunLayout.pprof.count + 1))
                }
            })
        #expect(files == expected, "profiles of \(name)", sourceLocation: sourceLocation)
    }

    /// The clusters each load file's `load_final` drove (its per-cluster rows), by file.
    static func loadClusters(_ dir: String, files: [String]) throws -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for f in files {
            for case .success(.loadFinal(let r)) in try JSONLReader.read(path: "\(dir)/\(f)") {
                out[f] = Set(r.perCluster.map(\.cluster))
            }
        }
        return out
    }

    /// The `seed` each load file's load_final settings carry (absent for a file without one).
    static func loadSeeds(_ dir: String, files: [String]) throws -> [String: String] {
        var seeds: [String: String] = [:]
        for f in files {
            for case .success(.loadFinal(let r)) in try JSONLReader.read(path: "\(dir)/\(f)") {
                seeds[f] = r.settings["seed"]
            }
        }
        return seeds
    }
}
