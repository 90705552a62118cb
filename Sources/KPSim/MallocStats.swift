import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// glibc allocator statistics: `mallinfo2()` where it can be called, else `malloc_info()` XML.
///
/// Swift's Glibc module does not include `<malloc.h>`, and KPSim has no C target of its own, so
/// both functions are looked up with `dlsym`. `mallinfo2` returns a 10 × `size_t` struct by value;
/// on x86-64 the System V ABI returns such a struct (class MEMORY, > 16 bytes) through a hidden
/// pointer passed in the first integer register and echoed in `%rax`, which is exactly the C
/// signature `void *f(void *)`, so the call is made through that type with an 80-byte buffer. On
/// other architectures (where the hidden pointer uses a different register) the totals are read
/// from `malloc_info(0, FILE*)`, which reports the same arena walk as XML.
public struct MallocStats: Sendable, Equatable {
    /// Non-mmapped bytes obtained from the OS (`arena`).
    public var arena: Int
    /// Bytes in mmapped chunks (`hblkhd`).
    public var mmapped: Int
    /// Number of mmapped chunks (`hblks`).
    public var mmappedChunks: Int
    /// Bytes in allocated arena chunks (`uordblks`).
    public var allocated: Int
    /// Bytes in free arena chunks (`fordblks`).
    public var free: Int

    /// Current statistics.
    public static func current() -> MallocStats {
        #if arch(x86_64)
            if let stats = viaMallinfo2() { return stats }
        #endif
        return viaMallocInfo() ?? MallocStats(arena: 0, mmapped: 0, mmappedChunks: 0, allocated: 0, free: 0)
    }

    #if arch(x86_64)
        private typealias SretFunction = @convention(c) (UnsafeMutableRawPointer) -> UnsafeMutableRawPointer?
        nonisolated(unsafe) private static let mallinfo2Symbol: UnsafeMutableRawPointer? = dlsym(
            UnsafeMutableRawPointer(bitPattern: 0), "mallinfo2")

        /// Calls `mallinfo2()`; fields in order: arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost.
        static func viaMallinfo2() -> MallocStats? {
            guard let symbol = mallinfo2Symbol else { return nil }
            let function = unsafeBitCast(symbol, to: SretFunction.self)
            var fields = [Int](repeating: 0, count: 10)
            fields.withUnsafeMutableBytes { buffer in _ = function(buffer.baseAddress!) }
            return MallocStats(
                arena: fields[0], mmapped: fields[4], mmappedChunks: fields[3], allocated: fields[7], free: fields[8])
        }
    #endif

    private typealias MallocInfoFunction = @convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32
    nonisolated(unsafe) private static let mallocInfoSymbol: UnsafeMutableRawPointer? = dlsym(
        UnsafeMutableRawPointer(bitPattern: 0), "malloc_info")

    /// Reads the process totals (the last `<total>`/`<system>` lines, after all `<heap>` blocks) of `malloc_info`.
    static func viaMallocInfo() -> MallocStats? {
        guard let symbol = mallocInfoSymbol else { return nil }
        let function = unsafeBitCast(symbol, to: MallocInfoFunction.self)
        var buffer: UnsafeMutablePointer<CChar>?
        var size = 0
        guard let stream = open_memstream(&buffer, &size) else { return nil }
        _ = function(0, stream)
        fclose(stream)
        guard let buffer else { return nil }
        defer { Glibc.free(buffer) }
        let xml = String(cString: buffer)
        guard let lastHeapEnd = xml.range(of: "</heap>", options: .backwards) else { return nil }
        let totals = xml[lastHeapEnd.upperBound...]
        func attribute(_ line: Substring, _ name: String) -> Int {
            guard let range = line.range(of: "\(name)=\"") else { return 0 }
            return Int(line[range.upperBound...].prefix(while: { $0.isNumber })) ?? 0
        }
        var free = 0
        var mmapped = 0
        var mmappedChunks = 0
        var arena = 0
        for line in totals.split(separator: "\n") {
            if line.contains("<total type=\"fast\"") || line.contains("<total type=\"rest\"") {
                free += attribute(line, "size")
            } else if line.contains("<total type=\"mmap\"") {
                mmapped = attribute(line, "size")
                mmappedChunks = attribute(line, "count")
            } else if line.contains("<system type=\"current\"") {
                arena = attribute(line, "size")
            }
        }
        return MallocStats(
            arena: arena, mmapped: mmapped, mmappedChunks: mmappedChunks, allocated: max(0, arena - free), free: free)
    }
}
