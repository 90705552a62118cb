import Foundation
import KPRecords

/// Facts about the machine a run is measured on, read from the machine itself.
///
/// hostname from `gethostname(2)`, cores from the scheduler's affinity mask (what `nproc`
/// prints), memory from `MemTotal` in `/proc/meminfo`, the kernel release from `uname(2)` and
/// the distribution from `PRETTY_NAME` in `/etc/os-release`. A fact that cannot be read is
/// left empty or zero rather than guessed, and named in ``problems``.
public enum HostFacts {
    /// Reads the current machine. `procRoot`/`etcRoot` are for tests.
    public static func current(procRoot: String = "/proc", etcRoot: String = "/etc") -> (
        host: HostInfo, problems: [String]
    ) {
        var problems: [String] = []
        var name = [CChar](repeating: 0, count: 256)
        let hostname =
            gethostname(&name, name.count) == 0
            ? String(decoding: name.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        if hostname.isEmpty { problems.append("hostname: gethostname failed") }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var memory: Int64 = 0
        if let text = try? String(contentsOfFile: procRoot + "/meminfo", encoding: .utf8), let kib = memTotalKiB(text) {
            memory = kib * 1024
        } else {
            problems.append("memory: no MemTotal in \(procRoot)/meminfo")
        }
        var u = utsname()
        var kernel = ""
        if uname(&u) == 0 {
            kernel = withUnsafeBytes(of: &u.release) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
        } else {
            problems.append("kernel: uname failed")
        }
        var os: String?
        if let text = try? String(contentsOfFile: etcRoot + "/os-release", encoding: .utf8) {
            os = prettyName(text)
        }
        if os == nil { problems.append("os: no PRETTY_NAME in \(etcRoot)/os-release") }
        return (HostInfo(hostname: hostname, cores: cores, memoryBytes: memory, kernel: kernel, os: os), problems)
    }

    /// `MemTotal` in KiB from `/proc/meminfo` text.
    public static func memTotalKiB(_ meminfo: String) -> Int64? {
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let v = Int64(fields[1]) { return v }
        }
        return nil
    }

    /// `PRETTY_NAME` from `/etc/os-release` text, unquoted.
    public static func prettyName(_ osRelease: String) -> String? {
        for line in osRelease.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            var v = line.dropFirst("PRETTY_NAME=".count)
            if v.count >= 2, let f = v.first, f == "\"" || f == "'", v.last == f {
                v = v.dropFirst().dropLast()
            }
            return String(v)
        }
        return nil
    }
}
