import Foundation
import KPRecords
import Testing

@testable import KPLaunch

/// How kp-launch up's flags and the seed's environment variables combine, and docker mode's URL.
@Suite("KPLaunch environment and docker URL")
struct LaunchEnvironmentTests {
    static let flag = "http://127.0.0.1:2379"
    static let env = "http://10.0.0.5:2379"

    @Test("ETCD_ENDPOINTS wins over --etcd-endpoints, as the seed says")
    func etcdEndpointsVariableWins() {
        let both = LaunchEnvironment.etcdEndpoints(flag: Self.flag, environment: ["ETCD_ENDPOINTS": Self.env])
        #expect(both.value == Self.env)
        // The override is said, naming both values and the way back to the flag.
        let said = both.overridden ?? ""
        #expect(said.contains(Self.env) && said.contains(Self.flag), "\(said)")
        #expect(said.contains("unset ETCD_ENDPOINTS"))
    }

    @Test("either alone is used; an empty variable counts as unset; the same value is no override")
    func etcdEndpointsAlone() {
        let flagOnly = LaunchEnvironment.etcdEndpoints(flag: Self.flag, environment: [:])
        #expect(flagOnly.value == Self.flag && flagOnly.overridden == nil)
        let emptyVariable = LaunchEnvironment.etcdEndpoints(flag: Self.flag, environment: ["ETCD_ENDPOINTS": ""])
        #expect(emptyVariable.value == Self.flag && emptyVariable.overridden == nil)
        let envOnly = LaunchEnvironment.etcdEndpoints(flag: nil, environment: ["ETCD_ENDPOINTS": Self.env])
        #expect(envOnly.value == Self.env && envOnly.overridden == nil)
        let same = LaunchEnvironment.etcdEndpoints(flag: Self.env, environment: ["ETCD_ENDPOINTS": Self.env])
        #expect(same.value == Self.env && same.overridden == nil)
        let neither = LaunchEnvironment.etcdEndpoints(flag: nil, environment: ["ETCD_ENDPOINTS": ""])
        #expect(neither.value == nil && neither.overridden == nil)
    }

    @Test("the other variables only fill in a flag that was not given")
    func otherVariablesFillIn() {
        let env = ["APISERVER_BIN": "/env/apiserver", "APISERVER_URL": ""]
        #expect(LaunchEnvironment.flagFirst("/flag/apiserver", "APISERVER_BIN", in: env) == "/flag/apiserver")
        #expect(LaunchEnvironment.flagFirst(nil, "APISERVER_BIN", in: env) == "/env/apiserver")
        #expect(LaunchEnvironment.flagFirst(nil, "APISERVER_URL", in: env) == nil)
    }

    @Test("docker mode's URL: the seed's https://127.0.0.1:6443 unless --port or --apiserver-url says otherwise")
    func dockerEndpoint() throws {
        var c = LaunchConfiguration(runDir: "out/x")
        #expect(try c.dockerEndpoint() == ("https://127.0.0.1:6443", 6443))
        #expect(LaunchConfiguration.defaultDockerURL == "https://127.0.0.1:6443")
        c.port = 7443
        #expect(try c.dockerEndpoint() == ("https://127.0.0.1:7443", 7443))
        c.port = nil
        c.dockerURL = "https://127.0.0.1:8443/"
        #expect(try c.dockerEndpoint() == ("https://127.0.0.1:8443", 8443))
        c.dockerURL = "https://docker-host.example"
        #expect(try c.dockerEndpoint() == ("https://docker-host.example", 443))
        c.dockerURL = "https://127.0.0.1:8443"
        c.port = 8443
        #expect(try c.dockerEndpoint().port == 8443)
    }

    @Test(
        "a docker URL that is not an https server root, or disagrees with --port, is bad input",
        arguments: [
            ("http://127.0.0.1:6443", nil), ("127.0.0.1:6443", nil), ("https://127.0.0.1:6443/clusters/a", nil),
            ("https://127.0.0.1:6443", 7443),
        ] as [(String, Int?)])
    func dockerEndpointRefused(url: String, port: Int?) {
        var c = LaunchConfiguration(runDir: "out/x")
        c.dockerURL = url
        c.port = port
        #expect(throws: LaunchError.self) { try c.dockerEndpoint() }
        #expect((try? c.dockerEndpoint()) == nil)
        do {
            _ = try c.dockerEndpoint()
        } catch let e as LaunchError {
            #expect(e.exitCode == .badInput)
            #expect(e.message.contains(url))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("docker mode's endpoint names localhost for TLS, and the kubeconfig carries it as tls-server-name")
    func kubeconfigCarriesTheServerName() throws {
        var e = EndpointRecord(
            url: "https://127.0.0.1:6443", caFile: "/r/target/certs/apiserver.crt", tokenFile: "/r/target/token",
            mode: "docker", target: "kplane-apiserver", emulator: false, launchedNs: 0,
            startedAt: "2026-12-07T00:00:00Z")
        e.tlsServerName = DockerTargetRunner.certificateName
        let yaml = try Kubeconfig.root(for: e, runName: "x").yaml()
        #expect(yaml.contains("tls-server-name: localhost"), "\(yaml)")
        #expect(yaml.contains("server: https://127.0.0.1:6443"))
        let vcp = try Kubeconfig.virtualControlPlane("c-001", endpoint: e).yaml()
        #expect(vcp.contains("tls-server-name: localhost"))
        e.tlsServerName = nil
        #expect(!(try Kubeconfig.root(for: e, runName: "x").yaml()).contains("tls-server-name"))
    }
}
