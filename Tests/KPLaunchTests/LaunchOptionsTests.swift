import ArgumentParser
import KPCLI
import Logging
import Testing

@testable import KPLaunch

/// kp-launch's option groups as kp-run uses them: `parse` on an argument list, before anything starts.
@Suite("KPLaunch option groups")
struct LaunchOptionsTests {
    /// The one line a bad argument list gets, or nil when it parses.
    static func error<T: ParsableArguments>(_ type: T.Type, _ arguments: [String]) -> String? {
        type.refusal(of: arguments)
    }

    @Test("kp-launch up's defaults parse from --run-dir alone")
    func upDefaults() throws {
        let o = try LaunchUpOptions.parse(["--run-dir", "out/demo"])
        #expect(o.runDir == "out/demo")
        #expect(o.mode == nil && !o.sim && o.port == nil)
        #expect(o.readyTimeout.duration == .seconds(60) && o.readyTimeout.text == "60s")
        #expect(o.stallTimeout == nil)
        #expect(o.apiserverArgs.isEmpty && o.simArgs.isEmpty && !o.simEtcd)
        #expect(o.pull == nil && !o.verbose && !o.quiet && !o.insecureSkipTLSVerify)
        let alias = try LaunchUpOptions.parse(["--run", "out/demo", "--mode", "docker", "--pull", "never"])
        #expect(alias.runDir == "out/demo" && alias.mode == .docker && alias.pull == DockerPullPolicy.never)
    }

    @Test(
        "kp-launch up: each bad argument list is refused with a line naming the flag",
        arguments: [
            ([], "--run-dir"),
            (["--run-dir", "x", "--sim", "--mode", "local"], "--sim and --mode local"),
            (["--run-dir", "x", "--port", "0"], "--port 0"),
            (["--run-dir", "x", "--port", "65536"], "--port 65536"),
            (["--run-dir", "x", "--ready-timeout", "0s"], "--ready-timeout must be more than 0s"),
            (["--run-dir", "x", "--ready-timeout", "60"], "--ready-timeout"),
            (["--run-dir", "x", "--verbose", "--quiet"], "--verbose and --quiet"),
            (["--run-dir", "x", "--stall-timeout", "0"], "--stall-timeout must be more than 0s"),
            (["--run-dir", "x", "--mode", "remote"], "--mode"),
            (["--run-dir", "x", "--pull", "sometimes"], "--pull"),
        ])
    func upRefuses(arguments: [String], flag: String) {
        let message = Self.error(LaunchUpOptions.self, arguments)
        #expect(message?.contains(flag) == true, "\(arguments): \(message ?? "parsed")")
    }

    @Test("kp-launch up's checks read no file and no environment: a run directory that does not exist parses")
    func upValidateIsPure() throws {
        _ = try LaunchUpOptions.parse(["--run-dir", "/nonexistent/run", "--kubeconfig", "/nonexistent/kubeconfig"])
    }

    @Test("the environment fills in flags that were not given; a flag wins")
    func upConfigurationFromEnvironment() throws {
        let logger = Logger(label: "test")
        let env = ["APISERVER_BIN": "/env/apiserver", "APISERVER_IMAGE": "img:env", "TOKEN_FILE": "/env/token"]
        let local = try LaunchUpOptions.parse(["--run-dir", "x"]).configuration(environment: env, logger: logger)
        #expect(local.apiserverBin == "/env/apiserver" && local.apiserverImage == "img:env")
        #expect(try local.resolveMode() == .local)
        #expect(local.tokenFile == nil, "TOKEN_FILE describes a url-mode server only")
        let url = try LaunchUpOptions.parse(["--run-dir", "x", "--apiserver-url", "https://h:6443"])
            .configuration(environment: ["TOKEN_FILE": "/env/token"], logger: logger)
        #expect(url.apiserverURL == "https://h:6443" && url.tokenFile == "/env/token")
        let docker = try LaunchUpOptions.parse([
            "--run-dir", "x", "--mode", "docker", "--apiserver-url", "https://h:7443",
        ])
        .configuration(environment: ["APISERVER_URL": "https://other:6443"], logger: logger)
        #expect(docker.dockerURL == "https://h:7443" && docker.apiserverURL == nil)
        let sim = try LaunchUpOptions.parse(["--run-dir", "x", "--sim", "--ready-timeout", "5s"])
            .configuration(environment: [:], logger: logger)
        #expect(sim.explicitMode == .sim && sim.readyTimeout == .seconds(5))
    }

    @Test("--pull outside docker mode is a one-line error, exit 2")
    func pullOutsideDocker() throws {
        let options = try LaunchUpOptions.parse(["--run-dir", "x", "--sim", "--pull", "never"])
        #expect(
            throws: LaunchError.badInput("--pull applies to docker mode only (this launch is sim mode): drop --pull")
        ) {
            _ = try options.configuration(environment: [:], logger: Logger(label: "test"))
        }
        let docker = try LaunchUpOptions.parse(["--run-dir", "x", "--pull", "missing"])
            .configuration(environment: [:], logger: Logger(label: "test"))
        #expect(docker.pullPolicy == .missing)
    }

    @Test("down, restart and kubeconfig: defaults and refusals")
    func controlCommands() throws {
        let down = try LaunchDownOptions.parse(["--run", "out/demo"])
        #expect(down.runDir == "out/demo" && down.timeout.duration == .seconds(15) && !down.quiet)
        let restart = try LaunchRestartOptions.parse(["--run-dir", "out/demo"])
        #expect(restart.timeout.duration == .seconds(120))
        let kubeconfig = try LaunchKubeconfigOptions.parse(["--run-dir", "out/demo", "--cluster", "c-001"])
        #expect(kubeconfig.run == "out/demo" && kubeconfig.cluster == "c-001")
        #expect(Self.error(LaunchDownOptions.self, [])?.contains("--run-dir") == true)
        #expect(
            Self.error(LaunchDownOptions.self, ["--run-dir", "x", "--timeout", "15"])?.contains("--timeout") == true)
        #expect(
            Self.error(LaunchRestartOptions.self, ["--run-dir", "x", "--timeout", "0s"])
                == "--timeout must be more than 0s, e.g. 120s")
        #expect(
            Self.error(LaunchKubeconfigOptions.self, ["--run", "x", "--cluster", "bad name"])?
                .hasPrefix("--cluster 'bad name' is not a VCP name") == true)
    }
}
