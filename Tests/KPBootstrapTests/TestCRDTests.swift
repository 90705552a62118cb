import Foundation
import KPCore
import Testing

@testable import KPBootstrap

@Suite struct TestCRDTests {
    @Test func bodyIsExactlyTheContractCRDWithSpecDataDeclared() throws {
        let body = TestCRD.body(for: "c-000")
        let expected =
            #"{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"memwidgets.mem-c-000.kplane.dev"},"spec":{"group":"mem-c-000.kplane.dev","names":{"kind":"TestWidget","listKind":"TestWidgetList","plural":"memwidgets","singular":"testwidget"},"scope":"Namespaced","versions":[{"name":"v1","schema":{"openAPIV3Schema":{"properties":{"spec":{"properties":{"data":{"type":"string"}},"type":"object"}},"type":"object"}},"served":true,"storage":true}]}}"#
        #expect(String(decoding: body, as: UTF8.self) == expected)
    }

    @Test func underscoresBecomeDashesInTheGroup() {
        #expect(TestCRD.group(for: "team_a-1") == "mem-team-a-1.kplane.dev")
        #expect(TestCRD.name(for: "team_a-1") == "memwidgets.mem-team-a-1.kplane.dev")
    }
}

@Suite struct ClusterNamesTests {
    @Test func defaultFormatGivesTheMemoryTestNames() throws {
        let names = try ClusterNames.expand(format: "c-%03d", count: 200)
        #expect(names.first == "c-000" && names[7] == "c-007" && names.last == "c-199")
        #expect(try ClusterNames.expand(format: "c-%03d", count: 1001).last == "c-1000")
    }

    @Test func otherVerbs() throws {
        #expect(try ClusterNames.expand(format: "vcp%d.x", count: 11).last == "vcp10.x")
        // Space padding (%4d) gives "n   0", which is not a cluster id.
        #expect { _ = try ClusterNames.expand(format: "n%4d", count: 1) } throws: { "\($0)".contains("'n   0'") }
        // %% parses as a literal percent; the resulting name is then rejected as a cluster id.
        #expect { _ = try ClusterNames.expand(format: "p%%%05d", count: 1) } throws: { "\($0)".contains("'p%00000'") }
    }

    @Test(arguments: [
        ("c-", "no %d"), ("c-%d-%d", "more than one"), ("c-%s", "unsupported verb"), ("c-%", "lone '%'"),
        ("C-%03d", "lower-case"), ("c-%03d-", "must end"),
    ])
    func badFormatsAreRejectedWithTheFix(format: String, fragment: String) {
        #expect {
            _ = try ClusterNames.expand(format: format, count: 2)
        } throws: { error in
            "\(error)".contains(fragment) && "\(error)".contains("--name-format")
        }
    }

    @Test func explicitNamesAreCheckedForDuplicatesAndShape() throws {
        #expect(try ClusterNames.check(names: ["a", "b-1", "c_2"]) == ["a", "b-1", "c_2"])
        #expect(throws: ClusterNameError.self) { try ClusterNames.check(names: ["a", "a"]) }
        #expect(throws: ClusterNameError.self) { try ClusterNames.check(names: ["a", ""]) }
        #expect(throws: ClusterNameError.self) { try ClusterNames.check(names: ["a/b"]) }
    }
}

@Suite struct RetryBackoffTests {
    @Test func doublesFromBaseUpToTheCapWithoutJitter() {
        let b = RetryBackoff(base: .milliseconds(200), cap: .seconds(1), jitter: 0)
        #expect(
            (0..<6).map { b.delay(retry: $0) } == [
                .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1), .seconds(1),
            ])
        #expect(b.delay(retry: 1000) == .seconds(1))
    }

    @Test func jitterRemovesAtMostItsFraction() {
        let b = RetryBackoff(base: .milliseconds(100), cap: .seconds(10), jitter: 0.5)
        var seen = Set<Duration>()
        for _ in 0..<200 {
            let d = b.delay(retry: 3)
            #expect(d > .milliseconds(400) && d <= .milliseconds(800))
            seen.insert(d)
        }
        #expect(seen.count > 10)
    }

    @Test func retryAfterRaisesTheWaitButNotPastTheCap() {
        let b = RetryBackoff(base: .milliseconds(100), cap: .seconds(5), jitter: 0)
        #expect(b.delay(retry: 0, retryAfter: "2") == .seconds(2))
        #expect(b.delay(retry: 0, retryAfter: "60") == .seconds(5))
        #expect(b.delay(retry: 0, retryAfter: "soon") == .milliseconds(100))
    }
}

@Suite struct ProgressLineTests {
    @Test func rateAndETA() {
        #expect(
            ProgressLine.format(ready: 50, failed: 0, total: 200, elapsedSeconds: 10)
                == "bootstrap 50/200 ready, 5.0 clusters/s, ETA 30s")
        #expect(
            ProgressLine.format(ready: 0, failed: 0, total: 200, elapsedSeconds: 1)
                == "bootstrap 0/200 ready, 0.0 clusters/s, ETA ?")
        #expect(
            ProgressLine.format(ready: 198, failed: 2, total: 200, elapsedSeconds: 20)
                == "bootstrap 198/200 ready, 2 failed, 10.0 clusters/s, done")
    }
}
