import Foundation

/// Reads the process table (/proc) to prove what is still running, rather than trusting a tool.
enum ProcessTable {
    struct Entry {
        var pid: Int32
        var ppid: Int32
        var state: Character
        var cmdline: String
    }

    static func all() -> [Entry] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var out: [Entry] = []
        for n in names {
            guard let pid = Int32(n) else { continue }
            guard let stat = try? String(contentsOfFile: "/proc/\(n)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, let ppid = Int32(fields[1]) else { continue }
            let raw = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(n)/cmdline"))) ?? Data()
            let cmd = String(decoding: raw.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            out.append(Entry(pid: pid, ppid: ppid, state: fields[0].first ?? "?", cmdline: cmd))
        }
        return out
    }

    /// Live (non-zombie) processes whose command line contains `marker` (e.g. a run's unique directory).
    static func alive(matching marker: String) -> [Entry] {
        all().filter { $0.cmdline.contains(marker) && $0.state != "Z" && $0.pid != getpid() }
    }
}
