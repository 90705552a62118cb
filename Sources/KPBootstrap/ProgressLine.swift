import Foundation

/// The one-line progress shown on a terminal while kp-bootstrap runs: `ready/total`, rate, ETA.
public enum ProgressLine {
    /// E.g. `bootstrap 57/200 ready, 1 failed, 9.5 clusters/s, ETA 15s`.
    ///
    /// The rate counts finished clusters (ok or failed) over the elapsed time; the ETA divides the
    /// clusters left by that rate and is `?` until the first cluster finishes.
    public static func format(ready: Int, failed: Int, total: Int, elapsedSeconds: Double) -> String {
        let finished = ready + failed
        let rate = elapsedSeconds > 0 ? Double(finished) / elapsedSeconds : 0
        var s = "bootstrap \(ready)/\(total) ready"
        if failed > 0 { s += ", \(failed) failed" }
        s += String(format: ", %.1f clusters/s", rate)
        if finished >= total {
            s += ", done"
        } else if rate > 0 {
            s += ", ETA \(Int((Double(total - finished) / rate).rounded(.up)))s"
        } else {
            s += ", ETA ?"
        }
        return s
    }
}
