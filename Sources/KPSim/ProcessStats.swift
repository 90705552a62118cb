import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads this process's real resource usage from Linux `/proc` and glibc's allocator.
///
/// These numbers describe kp-sim itself; they are exported under the names the Go collectors use
/// (`process_*`, `go_*`) so the same scraper can read both kplane and the emulator.
public struct ProcessStats: Sendable {
    /// utime + stime in seconds.
    public var cpuSeconds: Double
    /// Resident set size in bytes (`/proc/self/statm` resident pages × page size).
    public var residentBytes: Int
    /// Virtual size in bytes.
    public var virtualBytes: Int
    /// Open file descriptors (`/proc/self/fd` entries).
    public var openFDs: Int
    /// Soft limit on file descriptors.
    public var maxFDs: Int
    /// OS threads (`Threads:` in `/proc/self/status`).
    public var threads: Int
    /// Process start, seconds since the Unix epoch.
    public var startTimeSeconds: Double
    /// glibc `mallinfo2()`: bytes in allocated chunks (arena `uordblks` + mmapped `hblkhd`).
    public var heapAllocBytes: Int
    /// glibc `mallinfo2()`: bytes the allocator holds from the OS (`arena` + `hblkhd`).
    public var heapSysBytes: Int
    /// glibc `mallinfo2()`: free bytes inside the arenas (`fordblks`).
    public var heapIdleBytes: Int

    /// Samples the current process.
    public static func sample() -> ProcessStats {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        var cpu = 0.0
        var vsize = 0
        var startTicks = 0.0
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        {
            // Fields after "(comm)": state is field 3, so index i here is field i + 3.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 21 {
                cpu = ((Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)) / ticks
                startTicks = Double(fields[19]) ?? 0
                vsize = Int(fields[20]) ?? 0
            }
        }
        var resident = 0
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let fields = statm.split(separator: " ")
            if fields.count > 1 { resident = (Int(fields[1]) ?? 0) * pageSize }
        }
        var threads = 0
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            for line in status.split(separator: "\n") where line.hasPrefix("Threads:") {
                threads = Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        var bootTime = 0.0
        if let procStat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) {
            for line in procStat.split(separator: "\n") where line.hasPrefix("btime ") {
                bootTime = Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let malloc = MallocStats.current()
        return ProcessStats(
            cpuSeconds: cpu, residentBytes: resident, virtualBytes: vsize, openFDs: countOpenFDs(),
            maxFDs: Int(clamping: limit.rlim_cur), threads: threads, startTimeSeconds: bootTime + startTicks / ticks,
            heapAllocBytes: malloc.allocated + malloc.mmapped, heapSysBytes: malloc.arena + malloc.mmapped,
            heapIdleBytes: malloc.free)
    }

    /// Entries in `/proc/self/fd`, minus the descriptor used to read it.
    static func countOpenFDs() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { count += 1 }
        }
        return max(0, count - 1)
    }
}
