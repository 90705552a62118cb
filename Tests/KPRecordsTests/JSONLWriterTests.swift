import Foundation
import KPTestSupport
import Testing

@testable import KPRecords

/// A record is appended whole or not at all, and a failed write names the file.
@Suite struct JSONLWriterTests {
    /// A whole record line of about 400 bytes.
    static func firstLine() throws -> Data {
        var line = try RecordCodec.encode(
            ErrorRecord(tNs: 1, tool: "t", message: String(repeating: "x", count: 300), input: nil).record)
        line.append(0x0A)
        return line
    }

    /// `kp-report meta` (a JSONLWriter on stdout) run under `ulimit -f 1` by /bin/sh, its stdout the file
    /// opened with `redirect` (`>>`: O_APPEND; `>`: at the end of what the shell wrote first). The shell
    /// first writes one whole line of about 400 bytes; the limit (one 512-byte block in dash, 1024 bytes
    /// in bash) falls inside the 3 KB record that follows, so that record's write stops part-way with
    /// EFBIG. The file must hold the first line only, and kp-report must say which file and why.
    @Test(arguments: [">>", ">"]) func aRecordCutByTheFileSizeLimitIsRemovedAndTheFileNamed(redirect: String) throws {
        let tool = try BuiltTools.path("kp-report")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kpw-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = URL(fileURLWithPath: dir).resolvingSymlinksInPath().path + "/meta.jsonl"
        let first = try Self.firstLine()
        if redirect == ">>" { try first.write(to: URL(fileURLWithPath: path)) }
        let script =
            redirect == ">>"
            ? #"ulimit -f 1 && exec >>"$1" && exec "$0" meta --run r --scenario bootstrap --flag "pad=$3""#
            : #"ulimit -f 1 && exec >"$1" && printf '%s' "$2" && exec "$0" meta --run r --scenario bootstrap --flag "pad=$3""#
        let (status, _, stderr) = try BuiltTools.run(
            "/bin/sh",
            ["-c", script, tool, path, String(decoding: first, as: UTF8.self), String(repeating: "p", count: 3000)])
        #expect(status == 1, "kp-report should fail with 1 (a signal would be \(SIGXFSZ)): \(stderr)")
        #expect(stderr.contains("cannot write \(path): \(String(cString: strerror(EFBIG)))"), "\(stderr)")
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(written == first, "the file holds \(written.count) bytes, not the first line's \(first.count)")
        let items = try JSONLReader.read(path: path)
        #expect(items.count == 1 && (try? items[0].get()) != nil)
    }

    /// A writer opened on a path says that path and the reason when a write fails.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func aFailedWriteNamesTheFile() throws {
        let writer = try JSONLWriter(appendingTo: "/dev/full")
        let error = #expect(throws: JSONLWriter.WriterError.self) {
            try writer.write(ErrorRecord(tNs: 1, tool: "t", message: "m", input: nil))
        }
        #expect(error?.description == "cannot write /dev/full: \(String(cString: strerror(ENOSPC)))")
    }
}
