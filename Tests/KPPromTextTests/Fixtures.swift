import Foundation

/// `etcd-metrics.txt` is `/metrics` of Debian's etcd 3.4.23 (Go 1.19.8) on loopback after 1500 v3 puts.
enum Fixtures {
    static func data(_ name: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures/\(name)"])
        }
        return try Data(contentsOf: url)
    }
}
