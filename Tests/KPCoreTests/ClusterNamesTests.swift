import KPCore
import Testing

/// The one cluster-name rule: kp-bootstrap's (59 characters, so `mem-<name>` fits a 63-character DNS label).
@Suite struct ClusterNameRuleTests {
    @Test func fiftyNineCharactersAtMost() {
        #expect(ClusterNames.validate("c-" + String(repeating: "x", count: 57)) == nil)
        let long = "c-" + String(repeating: "x", count: 58)
        #expect(ClusterNames.validate(long)?.contains("longer than 59 characters") == true)
        // A format whose names reach 60 characters is refused up front, when the names are expanded.
        #expect(throws: ClusterNameError.self) {
            try ClusterNames.expand(format: "c-" + String(repeating: "x", count: 58) + "-%d", count: 1)
        }
    }

    @Test func routableIsTheServersLooserPattern() {
        #expect(ClusterNames.isRoutable("C-001") && ClusterNames.validate("C-001") != nil)
        #expect(ClusterNames.isRoutable("a.b_c") && ClusterNames.validate("a.b_c") == nil)
        #expect(!ClusterNames.isRoutable("-x") && !ClusterNames.isRoutable("a/b") && !ClusterNames.isRoutable(""))
    }
}
