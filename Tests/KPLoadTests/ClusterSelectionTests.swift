import Foundation
import KPRecords
import Testing

@testable import KPLoad

@Suite("ClusterSelection")
struct ClusterSelectionTests {
    @Test("names follow the printf format, as kp-bootstrap names them")
    func names() throws {
        #expect(try ClusterSelection.names(count: 3, format: "c-%03d") == ["c-000", "c-001", "c-002"])
        #expect(try ClusterSelection.names(count: 2, format: "x%d-y") == ["x0-y", "x1-y"])
        #expect(try ClusterSelection.names(count: 1, format: "p%%-%2d") == ["p%- 0"])
    }

    @Test("bad formats are refused with the flag and the fix", arguments: ["c-%s", "c-", "%d-%d", "c-%03x"])
    func badFormat(_ f: String) {
        #expect {
            _ = try ClusterSelection.names(count: 1, format: f)
        } throws: { e in
            "\(e)".contains("--name-format") && "\(e)".contains("c-%03d")
        }
    }

    @Test("hot count is ceil(N · percent / 100)")
    func hotCount() {
        #expect(ClusterSelection.hotCount(of: 200, percent: 10) == 20)
        #expect(ClusterSelection.hotCount(of: 1000, percent: 10) == 100)
        #expect(ClusterSelection.hotCount(of: 15, percent: 10) == 2)
        #expect(ClusterSelection.hotCount(of: 3, percent: 1) == 1)
        #expect(ClusterSelection.hotCount(of: 7, percent: 100) == 7)
    }

    @Test("hot subset: seeded shuffle, reproducible, a subset, not just the first clusters")
    func hotSubset() throws {
        let all = try ClusterSelection.names(count: 200, format: "c-%03d")
        let a = ClusterSelection.hotSubset(all, percent: 10, seed: 11)
        #expect(a.count == 20)
        #expect(Set(a).count == 20 && Set(a).isSubset(of: Set(all)))
        #expect(a == ClusterSelection.hotSubset(all, percent: 10, seed: 11))
        #expect(a != ClusterSelection.hotSubset(all, percent: 10, seed: 12))
        #expect(a != Array(all.prefix(20)))
        #expect(ClusterSelection.hotSubset(all, percent: 100, seed: 11) == all)
    }

    @Test("--bootstrap keeps only clusters whose bootstrap finished ok")
    func bootstrapFile() throws {
        func step(_ c: String, _ s: String, _ outcome: String) -> BootstrapStepRecord {
            BootstrapStepRecord(
                cluster: c, step: s, startNs: 1, endNs: 2, attempts: 1, outcome: outcome, statusCounts: ["200": 1],
                retries: 0, error: outcome == "ok" ? nil : "x")
        }
        let records: [BootstrapStepRecord] = [
            step("c-002", "readyz", "ok"), step("c-002", "discovery", "ok"),
            step("c-000", "readyz", "ok"), step("c-000", "discovery", "ok"),
            step("c-001", "readyz", "ok"), step("c-001", "crd_create", "failed"),
            step("c-003", "readyz", "ok"),  // never finished
        ]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kpload-bs-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let w = try JSONLWriter(appendingTo: path)
        for r in records { try w.write(r) }
        #expect(try BootstrapStepRecord.bootstrappedClusters(path: path) == ["c-000", "c-002"])

        let empty = path + ".empty"
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect { try BootstrapStepRecord.bootstrappedClusters(path: empty) } throws: {
            "\($0)".contains("--bootstrap")
        }
    }

    @Test("SeededRandom: reproducible, bounded, and spread")
    func seededRandom() {
        var a = SeededRandom(seed: 1)
        var b = SeededRandom(seed: 1)
        #expect((0..<100).map { _ in a.next() } == (0..<100).map { _ in b.next() })
        var r = SeededRandom(seed: 2)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[r.nextIndex(below: 7)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 10_000) < 500 }, "\(counts)")
        let u = (0..<10_000).map { _ in r.nextUnit() }
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(abs(u.reduce(0, +) / 10_000 - 0.5) < 0.02)
    }
}
