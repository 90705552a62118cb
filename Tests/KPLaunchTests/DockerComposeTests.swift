import Foundation
import Testing

@testable import KPLaunch

/// The command builder and the parsers for docker's answers.
@Suite struct DockerComposeTests {
    let compose = DockerCompose(composeFile: "/repo/docker/docker-compose.yaml", project: "kp-bench")

    @Test func commandLines() {
        let base = ["compose", "-f", "/repo/docker/docker-compose.yaml", "-p", "kp-bench"]
        #expect(compose.down == base + ["down", "-v", "--remove-orphans"])
        #expect(compose.up(pull: .always) == base + ["up", "-d", "--pull", "always", "--force-recreate"])
        #expect(compose.up(pull: .missing) == base + ["up", "-d", "--pull", "missing", "--force-recreate"])
        #expect(compose.up(pull: .never) == base + ["up", "-d", "--pull", "never", "--force-recreate"])
        #expect(compose.ps == base + ["ps", "--all", "--format", "json"])
        #expect(
            compose.copy(service: "apiserver", containerPath: "/tmp/certs/apiserver.crt", to: "/run/target/certs")
                == base + ["cp", "apiserver:/tmp/certs/apiserver.crt", "/run/target/certs/"])
        #expect(compose.logs(service: "etcd") == base + ["logs", "--no-color", "--timestamps", "etcd"])
        #expect(
            DockerCompose.imageInspect("kplanedev/apiserver:latest") == [
                "image", "inspect", "kplanedev/apiserver:latest",
            ])
        let withOverride = DockerCompose(composeFile: "/a.yaml", overrideFile: "/run/o.yaml", project: "p")
        #expect(
            withOverride.down == [
                "compose", "-f", "/a.yaml", "-f", "/run/o.yaml", "-p", "p", "down", "-v", "--remove-orphans",
            ])
    }

    @Test func environmentNamesTheRunsFiles() {
        let files = RunFiles(runDir: "/out/bootstrap-200")
        let env = DockerCompose.environment(
            image: "kplanedev/apiserver:v0.0.10", apiserverPort: 6443, etcdPort: 2379,
            etcdPrefix: "/registry-kpbench-x-1",
            files: files, uid: 1000, gid: 1000)
        #expect(
            env == [
                "APISERVER_IMAGE": "kplanedev/apiserver:v0.0.10", "APISERVER_PORT": "6443", "ETCD_PORT": "2379",
                "ETCD_PREFIX": "/registry-kpbench-x-1", "KPBENCH_TOKENS_CSV": "/out/bootstrap-200/target/tokens.csv",
                "KPBENCH_SA_KEY": "/out/bootstrap-200/target/sa.key", "KPBENCH_UID": "1000", "KPBENCH_GID": "1000",
            ])
        #expect(Set(env.keys) == Set(DockerCompose.Variable.all))
    }

    @Test func parsesPsInBothFormats() {
        let lines = """
            {"Name":"kp-bench-apiserver-1","Service":"apiserver","State":"running","ExitCode":0,"Health":"","Publishers":[{"URL":"127.0.0.1","TargetPort":6443,"PublishedPort":6443,"Protocol":"tcp"}]}
            {"Name":"kp-bench-etcd-1","Service":"etcd","State":"exited","ExitCode":2,"Health":"unhealthy","Publishers":[{"URL":"127.0.0.1","TargetPort":2379,"PublishedPort":2379,"Protocol":"tcp"},{"URL":"","TargetPort":2380,"PublishedPort":0,"Protocol":"tcp"}]}
            """
        let parsed = DockerCompose.parseContainers(lines)
        #expect(
            parsed == [
                .init(
                    name: "kp-bench-apiserver-1", service: "apiserver", state: "running", exitCode: 0, health: "",
                    publishedPorts: [6443]),
                .init(
                    name: "kp-bench-etcd-1", service: "etcd", state: "exited", exitCode: 2, health: "unhealthy",
                    publishedPorts: [2379]),
            ])
        let array = "[" + lines.split(separator: "\n").joined(separator: ",") + "]\n"
        #expect(DockerCompose.parseContainers(array) == parsed)
        #expect(DockerCompose.parseContainers("") == [])
        #expect(DockerCompose.parseContainers("WARN[0000] something\n") == [])
    }

    @Test func supervisionNamesTheContainerThatStopped() {
        let files = RunFiles(runDir: "/out/r")
        let running = DockerCompose.Container(
            name: "p-apiserver-1", service: "apiserver", state: "running", exitCode: 0, health: "", publishedPorts: [])
        let etcd = DockerCompose.Container(
            name: "p-etcd-1", service: "etcd", state: "running", exitCode: 0, health: "healthy", publishedPorts: [])
        #expect(DockerTargetRunner.failure(in: [running, etcd], files: files) == nil)
        var crashed = running
        crashed.state = "exited"
        crashed.exitCode = 137
        #expect(
            DockerTargetRunner.failure(in: [crashed, etcd], files: files)
                == TargetFailure(
                    .target,
                    "the apiserver container p-apiserver-1 exited with status 137 unexpectedly; see /out/r/logs/apiserver.log"
                ))
        var etcdDown = etcd
        etcdDown.state = "restarting"
        #expect(DockerTargetRunner.failure(in: [running, etcdDown], files: files)?.exitCode == .etcdFailed)
        #expect(DockerTargetRunner.failure(in: [etcd], files: files)?.component == .target)
    }

    @Test func composeVersions() {
        #expect(DockerCompose.parseComposeVersion("Docker Compose version v2.29.7\n")?.major == 2)
        #expect(DockerCompose.parseComposeVersion("Docker Compose version v2.29.7\n")?.text == "v2.29.7")
        #expect(DockerCompose.parseComposeVersion("2.24.6-desktop.1")?.major == 2)
        #expect(DockerCompose.parseComposeVersion("docker-compose version 1.29.2, build unknown")?.major == 1)
        #expect(DockerCompose.parseComposeVersion("no version here") == nil)
    }

    @Test func imageDigests() {
        let pulled =
            #"[{"Id":"sha256:aaa","RepoTags":["kplanedev/apiserver:latest"],"RepoDigests":["kplanedev/apiserver@sha256:bbb"]}]"#
        #expect(DockerCompose.parseImageDigest(pulled) == "sha256:bbb")
        let local = #"[{"Id":"sha256:aaa","RepoTags":["kplane-dev/apiserver:dev"],"RepoDigests":[]}]"#
        #expect(DockerCompose.parseImageDigest(local) == "sha256:aaa")
        #expect(DockerCompose.parseImageDigest("[]") == nil)
        #expect(DockerCompose.parseImageDigest("Error: No such image") == nil)
    }

    @Test func completeCertificatesOnly() {
        let block = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
        #expect(DockerTargetRunner.isCompletePEM(block))
        #expect(DockerTargetRunner.isCompletePEM(block + block))
        #expect(!DockerTargetRunner.isCompletePEM(block + "-----BEGIN CERTIFICATE-----\nMII"))
        #expect(!DockerTargetRunner.isCompletePEM(""))
        #expect(DockerTargetRunner.yamlQuoted("--x=a \"b\" $$c/d") == #""--x=a \"b\" $$c/d""#)
    }

    @Test func resultReasonIsOneLine() {
        let r = DockerCommandResult(
            termination: .exited(1), stdout: "", stderr: "first\n  Error response from daemon: boom  \n\n")
        #expect(r.reason == "Error response from daemon: boom")
        #expect(!r.succeeded)
        #expect(DockerCommandResult(termination: .exited(0), timedOut: true).reason == "timed out")
    }
}
