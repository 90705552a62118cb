import Foundation
import Synchronization

/// The Fleet CRD and its in-process controller (contract §3.3), as kplane's FleetController:
///
/// - On startup the CRD `fleets.kplane.dev` (group `kplane.dev`, version `v1`, cluster-scoped,
///   shortName `flt`, category `kplane`, status subresource) is created in the **root** control
///   plane, already Established (the real controller waits up to 60 s for that; kp-sim's store
///   makes it immediate). Fleets are then served by the ordinary custom-resource code at
///   `/apis/kplane.dev/v1/fleets` of the root only; VCPs do not have the CRD.
/// - The controller watches the root's fleets and resyncs every 30 s. For each Fleet it computes
///   the member IDs (`spec.names`, or `<namePrefix><%04d index>` with `namePrefix` defaulting to
///   `<fleet-name>-`), creates each member exactly as organic traffic does (the VCP registry's
///   `ensure`, which starts the member's bootstrap), probes the member's `/readyz` (process
///   readiness, as the real probe: `--sim-ready-delay` makes it fail for a while) and writes
///   `status: {observedGeneration, readyReplicas, members: [{clusterID, phase, message,
///   lastTransitionTime}]}` when it changed. `lastTransitionTime` changes only with the phase.
/// - A Fleet with an invalid spec (no or negative `replicas`, `names` whose length is not
///   `replicas`) gets no members and `status.members: []` (the real CRD's schema would have refused it).
/// - Deleting a Fleet deletes nothing else: its members stay (V0), like every VCP in kp-sim.
///
/// Differences from kplane: one reconcile worker instead of four, and the readiness probe is an
/// in-process check rather than a loopback HTTP request, so it costs nothing.
final class FleetController: Sendable {
    static let group = "kplane.dev"
    static let version = "v1"
    static let resource = GroupResource(group: "kplane.dev", resource: "fleets")
    static let crdName = "fleets.kplane.dev"
    static let resyncInterval: Duration = .seconds(30)

    private let context: SimContext
    private let tasks = Mutex<[Task<Void, Never>]>([])

    init(context: SimContext) {
        self.context = context
    }

    /// The CRD object as kplane's `pkg/apis/kplane/v1/crd.go` declares it, with its Established status.
    static func crd() -> JSONValue {
        let member: JSONValue = [
            "type": "object",
            "properties": [
                "clusterID": ["type": "string"],
                "phase": ["type": "string", "enum": ["Pending", "Ready", "Failed"]],
                "message": ["type": "string"],
                "lastTransitionTime": ["type": "string", "format": "date-time"],
            ],
        ]
        let schema: JSONValue = [
            "type": "object",
            "properties": [
                "apiVersion": ["type": "string"], "kind": ["type": "string"], "metadata": ["type": "object"],
                "spec": [
                    "type": "object", "required": ["replicas"],
                    "properties": [
                        "replicas": ["type": "integer", "format": "int32", "minimum": 0],
                        "namePrefix": ["type": "string"],
                        "names": ["type": "array", "items": ["type": "string"]],
                        "ttlSeconds": ["type": "integer", "format": "int64"],
                    ],
                ],
                "status": [
                    "type": "object",
                    "properties": [
                        "observedGeneration": ["type": "integer", "format": "int64"],
                        "readyReplicas": ["type": "integer", "format": "int32"],
                        "members": ["type": "array", "items": member],
                    ],
                ],
            ],
        ]
        let names: JSONValue = [
            "plural": "fleets", "singular": "fleet", "kind": "Fleet", "listKind": "FleetList",
            "shortNames": ["flt"], "categories": ["kplane"],
        ]
        return [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": [
                "name": .string(crdName), "uid": .string(KubeObjects.uid()), "generation": 1,
                "creationTimestamp": .string(KubeObjects.date(Date())),
            ],
            "spec": [
                "group": .string(group), "scope": "Cluster", "names": names,
                "versions": [
                    [
                        "name": .string(version), "served": true, "storage": true,
                        "subresources": ["status": [:]], "schema": ["openAPIV3Schema": schema],
                    ]
                ],
            ],
            "status": [
                "acceptedNames": names,
                "conditions": [
                    KubeObjects.condition(
                        type: "NamesAccepted", status: "True", reason: "NoConflicts", message: "no conflicts found"),
                    KubeObjects.condition(
                        type: "Established", status: "True", reason: "InitialNamesAccepted",
                        message: "the initial names have been accepted"),
                ],
                "storedVersions": [.string(version)],
            ],
        ]
    }

    /// The member IDs of a Fleet, or nil when its spec is invalid.
    static func memberIDs(fleetName: String, spec: JSONValue?) -> [String]? {
        guard let replicas = spec?["replicas"]?.intValue, replicas >= 0 else { return nil }
        if let names = spec?["names"]?.arrayValue {
            let ids = names.compactMap(\.stringValue)
            guard ids.count == names.count, ids.count == replicas else { return nil }
            return ids
        }
        let prefix = spec?["namePrefix"]?.stringValue ?? "\(fleetName)-"
        return (0..<Int(replicas)).map { prefix + String(format: "%04d", $0) }
    }

    /// Creates (or updates) the CRD in the root, then starts the watch and resync tasks.
    func start() async {
        let context = self.context
        let root = context.configuration.rootControlPlaneName
        do throws(APIError) {
            _ = try await context.store.mutate(
                cluster: root, resource: .crds, key: ObjectKey(namespace: "", name: Self.crdName)
            ) { current, _ in
                guard let current else { return .put(Self.crd()) }
                // "create or update": keep identity, refresh spec and status.
                var crd = Self.crd()
                crd["metadata"] = current.value["metadata"]
                var comparable = crd
                comparable["status"] = current.value["status"]
                return comparable == current.value ? .none : .put(crd)
            }
        } catch {
            context.logger.warning("creating the Fleet CRD failed", metadata: ["error": "\(error.message)"])
            return
        }
        let events: AsyncStream<WatchEvent>
        do {
            events = try context.store.watch(cluster: root, resource: Self.resource, selection: Selection(), from: nil)
        } catch {
            context.logger.warning("watching fleets failed", metadata: ["error": "\(error.message)"])
            return
        }
        let watcher = context.tasks.spawn(.fleetController) { [self] in
            for await event in events where event.type != "DELETED" {
                await self.reconcile(name: event.key.name)
            }
        }
        let resync = context.tasks.spawn(.fleetController) { [self] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: Self.resyncInterval) } catch { return }
                for key in context.store.all(cluster: root, resource: Self.resource).keys.sorted() {
                    await self.reconcile(name: key.name)
                }
            }
        }
        self.tasks.withLock { $0 = [watcher, resync] }
    }

    /// Stops the controller's tasks.
    func stop() {
        for task in self.tasks.withLock({ $0 }) { task.cancel() }
    }

    /// Brings one Fleet's members and status up to date.
    func reconcile(name: String) async {
        let context = self.context
        // One item of the `mc_fleet_controller` queue: kp-sim reconciles each event as it arrives.
        let item = context.fleetQueue.start(context.fleetQueue.add())
        defer { context.fleetQueue.done(item) }
        let root = context.configuration.rootControlPlaneName
        let key = ObjectKey(namespace: "", name: name)
        guard let fleet = context.store.get(cluster: root, resource: Self.resource, key: key) else { return }
        let uid = fleet.value["metadata"]?["uid"]?.stringValue
        let generation = fleet.value["metadata"]?["generation"]?.intValue ?? 1
        let ids = Self.memberIDs(fleetName: name, spec: fleet.value["spec"])
        if ids == nil {
            context.logger.warning("fleet has an invalid spec; no members", metadata: ["fleet": "\(name)"])
        }
        for id in ids ?? [] where id != root {
            context.registry.ensure(id, context: context)
        }
        // The real probe is GET /clusters/<id>/control-plane/readyz: process readiness (contract §3.4).
        let ready = ContinuousClock.now >= context.started + context.configuration.readyDelay
        let previous = Dictionary(
            (fleet.value["status"]?["members"]?.arrayValue ?? []).compactMap { member in
                member["clusterID"]?.stringValue.map { ($0, member) }
            }, uniquingKeysWith: { first, _ in first })
        let now = KubeObjects.date(Date())
        let members: [JSONValue] = (ids ?? []).map { id in
            let phase = ready ? "Ready" : "Pending"
            let message = ready ? "readyz ok" : "readyz check failed"
            var transition = now
            if let old = previous[id], old["phase"]?.stringValue == phase,
                let time = old["lastTransitionTime"]?.stringValue
            {
                transition = time
            }
            return [
                "clusterID": .string(id), "phase": .string(phase), "message": .string(message),
                "lastTransitionTime": .string(transition),
            ]
        }
        let status: JSONValue = [
            "observedGeneration": .int(generation),
            "readyReplicas": .int(Int64(ready ? members.count : 0)),
            "members": .array(members),
        ]
        do throws(APIError) {
            _ = try await context.store.mutate(cluster: root, resource: Self.resource, key: key) { current, _ in
                guard let current, current.value["metadata"]?["uid"]?.stringValue == uid else { return .none }
                if current.value["status"] == status { return .none }
                var next = current.value
                next["status"] = status
                return .put(next)
            }
        } catch {
            context.logger.warning(
                "fleet status update failed", metadata: ["fleet": "\(name)", "error": "\(error.message)"])
        }
    }
}
