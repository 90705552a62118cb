import Foundation
import KPTestSupport
import Testing

/// A run whose output folder fills up fails loudly: kp-run's last line names the cause in the failing
/// tool's words, no record file holds a torn line, and the pre-flight refuses such a run up front.
/// A small tmpfs is the full disk, so these need root (CI runs as root).
@Suite(.serialized, .enabled(if: geteuid() == 0, "mounting a small tmpfs needs root"))
struct FullDiskTests {
    static let args = [
        "--scenario", "bootstrap", "--sim", "--clusters", "20", "--warmup", "1s", "--post-bootstrap-settle", "1s",
        "--steady-wait", "2s", "--series-interval", "1s", "--run", "full",
    ]
    static let env = ["APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": ""]

    /// A tmpfs of `size` at a fresh folder, unmounted by `body`'s end.
    static func withTmpfs(_ size: String, _ body: (String) throws -> Void) throws {
        let dir = try ToolRunner.tempDir("full-disk")
        defer {
            _ = try? ToolRunner.run("/bin/umount", ["-l", dir])
            try? FileManager.default.removeItem(atPath: dir)
        }
        let m = try ToolRunner.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", dir])
        try #require(m.status == 0, "mount tmpfs: \(m.stderr)")
        try body(dir)
    }

    @Test func fullDiskFailsLoudlyAndTearsNoRecord() throws {
        try Self.withTmpfs("64k") { out in
            let r = try ToolRunner.run(
                "kp-run", ["--bin-dir", ToolRunner.binDir, "--out", out, "--skip-preflight"] + Self.args, env: Self.env,
                timeout: 180)
            #expect(r.status != 0 && r.status != 2, "\(r.stderr)")
            let last = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
            #expect(last.hasPrefix("kp-run: run failed"), "\(last)")
            #expect(last.contains("No space left on device"), "last line: \(last)")
            #expect(!r.stderr.contains("done:"))
            let dir = "\(out)/full"
            for f in (try FileManager.default.contentsOfDirectory(atPath: dir)) where f.hasSuffix(".jsonl") {
                let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(f)"))
                #expect(data.isEmpty || data.last == 0x0A, "\(f) ends with a torn line")
            }
            #expect(ProcessTable.alive(matching: out).isEmpty)
        }
    }

    @Test func preflightRefusesARunThatCannotFit() throws {
        try Self.withTmpfs("256k") { out in
            let r = try ToolRunner.run(
                "kp-run", ["--bin-dir", ToolRunner.binDir, "--out", out] + Self.args, env: Self.env, timeout: 60)
            #expect(r.status == 2, "\(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(r.stderr)")
            #expect(
                r.stderr.contains("pre-flight") && r.stderr.contains("free") && r.stderr.contains("--skip-preflight"))
            #expect((try FileManager.default.contentsOfDirectory(atPath: out)).isEmpty, "nothing may start")
        }
    }

    /// The disk fills while the run is in `phase` (a file written until ENOSPC the moment kp-run's
    /// phase file names it): launch (kp-launch cannot write its files), warmup (the baseline sample
    /// and then the bootstrap records are lost), load (kp-load's records are lost) and report (every
    /// measurement is in, but run_end and the report cannot be written).
    @Test(arguments: ["launch", "warmup", "load", "report"])
    func diskFillingInAPhaseEndsTheRunInTheToolsWords(_ phase: String) throws {
        try Self.withTmpfs("16m") { out in
            let dir = "\(out)/full"
            let filled = Locked(false)
            let done = Locked(false)
            let filler = Thread {
                while !done.get() {
                    if let p = try? String(contentsOfFile: "\(dir)/phase", encoding: .utf8),
                        p.trimmingCharacters(in: .whitespacesAndNewlines) == phase
                    {
                        Self.fill("\(out)/filler")
                        filled.set(true)
                        return
                    }
                    usleep(5_000)
                }
            }
            filler.start()
            // Only the load case drives load: elsewhere a loaded machine's late writes (409s) could end
            // the run before the disk fills, which is not what these cases test.
            let args =
                phase == "load"
                ? Self.args.map { $0 == "bootstrap" ? "mixed-hot" : $0 } + [
                    "--load-duration", "4s", "--hot-percent", "50", "--max-lag", "1s",
                ] : Self.args
            let r = try ToolRunner.run(
                "kp-run", ["--bin-dir", ToolRunner.binDir, "--out", out, "--skip-preflight"] + args, env: Self.env,
                timeout: 180)
            done.set(true)
            #expect(filled.get(), "the run never reached phase \(phase)")
            #expect(r.status != 0 && r.status != 2, "\(r.stderr)")
            let last = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
            if phase == "load" && last.contains("generator-limited") {
                // A starved 2-core machine can make the load generator-limited before the disk fills;
                // that verdict then leads the last line, and the disk's words follow it as "also: …"
                // (cut short on that line), so they must be in what kp-run printed.
                #expect(r.stderr.contains("No space left on device"), "\(phase): \(r.stderr)")
            } else {
                #expect(last.contains("No space left on device"), "\(phase): last line: \(last)")
            }
            #expect(!r.stderr.contains("done:"))
            for f in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where f.hasSuffix(".jsonl") {
                let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(f)"))
                #expect(data.isEmpty || data.last == 0x0A, "\(phase): \(f) ends with a torn line")
            }
            #expect(ProcessTable.alive(matching: out).isEmpty)
        }
    }

    /// Writes zeros to `path` until the file system is full.
    static func fill(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 65536)
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
    }
}
