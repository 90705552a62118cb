import Testing

@testable import KPStats

@Suite struct PhaseMathTests {
    @Test func cpuPercentIsShareOfOneCore() {
        // 3 CPU-seconds over 2 wall seconds: one and a half cores.
        #expect(
            PhaseMath.cpuPercent(cpuBefore: 10, tBeforeNs: 5_000_000_000, cpuAfter: 13, tAfterNs: 7_000_000_000) == 150)
        // 0.16 s over 2 s: 8 %.
        let idle = PhaseMath.cpuPercent(cpuBefore: 1.0, tBeforeNs: 0, cpuAfter: 1.16, tAfterNs: 2_000_000_000)!
        #expect(abs(idle - 8) < 1e-9)
        #expect(abs(PhaseMath.millicores(percent: idle) - 80) < 1e-9)
    }

    @Test func cpuPercentRefusesNonsense() {
        #expect(PhaseMath.cpuPercent(cpuBefore: nil, tBeforeNs: 0, cpuAfter: 1, tAfterNs: 1) == nil)
        // Restart
        #expect(PhaseMath.cpuPercent(cpuBefore: 5, tBeforeNs: 0, cpuAfter: 1, tAfterNs: 1_000_000_000) == nil)
        #expect(PhaseMath.cpuPercent(cpuBefore: 1, tBeforeNs: 10, cpuAfter: 2, tAfterNs: 10) == nil)  // zero interval
    }

    @Test func perVCPNormalisation() {
        let mib = 1_048_576.0
        // 200 VCPs that grew RSS from 252 MiB to 652 MiB cost 2 MiB each.
        #expect(PhaseMath.perVCP(652 * mib, baseline: 252 * mib, vcps: 200) == 2 * mib)
        #expect(PhaseMath.perVCP(1000, baseline: 1200, vcps: 100) == -2)
        #expect(PhaseMath.perVCP(1000, baseline: nil, vcps: 100) == nil)
        #expect(PhaseMath.perVCP(1000, baseline: 10, vcps: 0) == nil)
        #expect(PhaseMath.delta(3, 10) == 7)
        #expect(PhaseMath.delta(.nan, 10) == nil)
    }
}
