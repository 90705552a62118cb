import Foundation

extension KubeAPI {
    /// The checks kube-apiserver's CRD validation makes that clients commonly trip over.
    static func validateCRD(_ object: JSONValue) throws(APIError) {
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        func invalid(_ message: String) -> APIError {
            APIError.invalid(
                kind: "CustomResourceDefinition.apiextensions.k8s.io", group: "apiextensions.k8s.io", name: name,
                message)
        }
        let spec = object["spec"]
        let group = spec?["group"]?.stringValue ?? ""
        let plural = spec?["names"]?["plural"]?.stringValue ?? ""
        guard !group.isEmpty else { throw invalid("spec.group: Required value") }
        guard group.contains(".") else {
            throw invalid("spec.group: Invalid value: \"\(group)\": should be a domain with at least one dot")
        }
        guard !plural.isEmpty else { throw invalid("spec.names.plural: Required value") }
        guard !(spec?["names"]?["kind"]?.stringValue ?? "").isEmpty else {
            throw invalid("spec.names.kind: Required value")
        }
        guard name == "\(plural).\(group)" else {
            throw invalid("metadata.name: Invalid value: \"\(name)\": must be spec.names.plural+\".\"+spec.group")
        }
        let scope = spec?["scope"]?.stringValue ?? ""
        guard scope == "Namespaced" || scope == "Cluster" else {
            throw invalid("spec.scope: Unsupported value: \"\(scope)\": supported values: \"Cluster\", \"Namespaced\"")
        }
        let versions = spec?["versions"]?.arrayValue ?? []
        guard !versions.isEmpty else {
            throw invalid("spec.versions: Invalid value: null: must have exactly one version marked as storage version")
        }
        let storage = versions.filter { $0["storage"]?.boolValue == true }
        guard storage.count == 1 else {
            throw invalid(
                "spec.versions: Invalid value: \(versions.count): must have exactly one version marked as storage version"
            )
        }
    }

    /// After `--sim-crd-establish-delay`, sets NamesAccepted and Established on the CRD (if it still is the same object).
    ///
    /// In a non-root VCP this is the shared CRD runtime's status queue `mc_shared_crd_status`: the CRD
    /// is queued at its create, waits the delay, and its work is the status write.
    func scheduleEstablish(cluster: String, name: String, uid: String) {
        let context = self.context
        let queue =
            cluster == context.configuration.rootControlPlaneName ? nil : context.crdRuntime.statusQueue
        let queued = queue?.add()
        context.tasks.spawn(.crdEstablishing) {
            do { try await Task.sleep(for: context.configuration.crdEstablishDelay) } catch {
                if let queue, let queued { queue.done(queue.start(queued)) }
                return
            }
            let item = queued.flatMap { queue?.start($0) }
            defer { if let queue, let item { queue.done(item) } }
            do throws(APIError) {
                _ = try await context.store.mutate(
                    cluster: cluster, resource: .crds, key: ObjectKey(namespace: "", name: name)
                ) { current, _ in
                    guard let current, current.value["metadata"]?["uid"]?.stringValue == uid else { return .none }
                    var crd = current.value
                    let spec = crd["spec"]
                    var accepted = spec?["names"]?.objectValue ?? [:]
                    if accepted["singular"] == nil, let kind = accepted["kind"]?.stringValue {
                        accepted["singular"] = .string(kind.lowercased())
                    }
                    if accepted["listKind"] == nil, let kind = accepted["kind"]?.stringValue {
                        accepted["listKind"] = .string(kind + "List")
                    }
                    let storage =
                        (spec?["versions"]?.arrayValue ?? []).first { $0["storage"]?.boolValue == true }?["name"] ?? ""
                    crd["status"] = [
                        "acceptedNames": .object(accepted),
                        "conditions": [
                            KubeObjects.condition(
                                type: "NamesAccepted", status: "True", reason: "NoConflicts",
                                message: "no conflicts found"),
                            KubeObjects.condition(
                                type: "Established", status: "True", reason: "InitialNamesAccepted",
                                message: "the initial names have been accepted"),
                        ],
                        "storedVersions": [storage],
                    ]
                    return .put(crd)
                }
            } catch {
                context.logger.warning(
                    "establishing CRD failed",
                    metadata: ["cluster": "\(cluster)", "crd": "\(name)", "error": "\(error.message)"])
            }
        }
    }
}
