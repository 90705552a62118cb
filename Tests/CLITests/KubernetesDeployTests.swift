import Foundation
import Testing

/// deploy/kubernetes: the manifests validate offline against Kubernetes schemas (kubernetes-validate,
/// installed by scripts/install-deps.sh test) and keep the Indexed Job's shard wiring; a broken copy
/// is caught; scripts/collect-job-records.sh turns each index's `kubectl logs` into the shard files
/// kp-report folds (checked against a fake kubectl: no cluster runs here).
@Suite struct KubernetesDeployTests {
    static let validate = "\(ToolRunner.repoRoot)/scripts/validate-manifests.sh"
    static let collect = "\(ToolRunner.repoRoot)/scripts/collect-job-records.sh"
    static let job = "\(ToolRunner.repoRoot)/deploy/kubernetes/kp-load-job.yaml"

    @Test func committedManifestsValidate() throws {
        let r = try ToolRunner.run(Self.validate, [], timeout: 300)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("valid for Kubernetes"))
    }

    /// Each mutation breaks one thing the schema or the shard wiring forbids; each must be caught.
    @Test(arguments: [
        ("completionMode: Indexed", "completionMode: Indexed\n  surplusField: 1", "surplusField"),
        ("parallelism: 4", "parallelism: 3", "must be equal"),
        ("- \"--shard=$(SHARD_INDEX)/$(SHARDS)\"", "- \"--shard=0/4\"", "--shard"),
        ("restartPolicy: Never", "restartPolicy: OnFailure", "restartPolicy"),
        ("cpu: \"2\"", "cpu: [2]", "cpu"),
    ])
    func brokenCopyIsCaught(original: String, replacement: String, named: String) throws {
        let text = try String(contentsOfFile: Self.job, encoding: .utf8)
        #expect(text.contains(original), "the manifest no longer holds '\(original)': update this test")
        let dir = try ToolRunner.tempDir("k8s")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bad = "\(dir)/job.yaml"
        try text.replacingOccurrences(of: original, with: replacement).write(
            toFile: bad, atomically: true, encoding: .utf8)
        let r = try ToolRunner.run(Self.validate, [bad], timeout: 300)
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains(named), "\(r.stderr)")
    }

    /// A fake kubectl: a 2-shard Indexed Job whose index 0 succeeded and whose index 1 has no pod.
    /// Shard 0's log interleaves records with diagnostics, as `kubectl logs` does.
    @Test func collectWritesShardFilesAndNamesTheMissingShard() throws {
        let dir = try ToolRunner.tempDir("collect")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fake = "\(dir)/kubectl"
        try """
        #!/usr/bin/env bash
        args="$*"
        case "$args" in
          *"get job kp-load -o jsonpath={.spec.completionMode}"*) printf Indexed ;;
          *"get job kp-load -o jsonpath={.spec.completions}"*) printf 2 ;;
          *"get pods -l job-name=kp-load,batch.kubernetes.io/job-completion-index=0"*) printf Succeeded ;;
          *"get pods -l job-name=kp-load,batch.kubernetes.io/job-completion-index=1"*) printf '' ;;
          *"logs -l job-name=kp-load,batch.kubernetes.io/job-completion-index=0 --tail=-1"*)
            printf '%s\\n' '2026-11-29T10:00:00Z info kp-load: pre-warming 50 objects' \\
              '{"v":1,"kind":"load_interval","n":1}' 'warning: something' '{"v":1,"kind":"load_final","n":2}' ;;
          *) echo "fake kubectl: unexpected: $args" >&2; exit 9 ;;
        esac
        """.write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        let run = "\(dir)/run"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        let r = try ToolRunner.run(Self.collect, ["--run-dir", run], env: ["KUBECTL": fake])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("shards not complete: 1 (no pod)"), "\(r.stderr)")
        let records = try String(contentsOfFile: "\(run)/load-0-of-2.jsonl", encoding: .utf8)
        #expect(records == "{\"v\":1,\"kind\":\"load_interval\",\"n\":1}\n{\"v\":1,\"kind\":\"load_final\",\"n\":2}\n")
        let log = try String(contentsOfFile: "\(run)/logs/kp-load-0-of-2.log", encoding: .utf8)
        #expect(log.contains("pre-warming") && log.contains("warning: something") && !log.contains("{"))
        #expect(!FileManager.default.fileExists(atPath: "\(run)/load-1-of-2.jsonl"))
    }

    @Test func collectRejectsAMissingRunDir() throws {
        let r = try ToolRunner.run(Self.collect, ["--run-dir", "/nonexistent/kp-run"], env: ["KUBECTL": "/bin/true"])
        #expect(r.status == 2)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("--run-dir"), "\(r.stderr)")
    }
}
