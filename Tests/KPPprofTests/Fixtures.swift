import Foundation

/// Test fixtures captured from Debian's etcd 3.4.23 (Go 1.19.8) started with `--enable-pprof` on
/// loopback after 1500 v3 puts of 600-byte values: `/debug/pprof/heap` and
/// `/debug/pprof/goroutine?debug=1`.
enum Fixtures {
    static func data(_ name: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures/\(name)"])
        }
        return try Data(contentsOf: url)
    }
}
