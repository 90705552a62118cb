import Foundation

/// The CustomResourceDefinition each cluster gets, as the 200-VCP memory test creates it (contract §4.2),
/// with one deliberate difference: the schema declares `spec.data`.
///
/// Group `mem-<cid>.kplane.dev` (`_` → `-`), plural `memwidgets`, singular `testwidget` (sic, as the test
/// sends it), kind `TestWidget`, listKind `TestWidgetList`, `Namespaced`, one version `v1` served and stored.
/// The memory test's schema is `{type: object}`; ours is
/// `{type: object, properties: {spec: {type: object, properties: {data: {type: string}}}}}` so that the
/// `spec.data` payload kp-load writes survives structural pruning (an undeclared field would be dropped
/// by the server, and the load would then measure empty objects).
///
/// With `--crds-per-cluster K` a cluster gets K such CRDs, numbered 0..<K: CRD 0 is the one above, CRD
/// i ≥ 1 differs only in its group, `mem<i>-<cid>.kplane.dev`, so each is its own resource type and
/// group/version (its own discovery document and serves-index entry in kplane).
public enum TestCRD {
    /// `memwidgets`.
    public static let plural = "memwidgets"
    public static let singular = "testwidget"
    public static let kind = "TestWidget"
    public static let listKind = "TestWidgetList"
    public static let version = "v1"

    /// `mem-<cid>.kplane.dev`, with `_` replaced by `-` as the test does.
    public static func group(for cluster: String) -> String { group(for: cluster, index: 0) }

    /// The group of the cluster's CRD number `index`: `mem-<cid>.kplane.dev` for 0, `mem<index>-<cid>.kplane.dev` after.
    public static func group(for cluster: String, index: Int) -> String {
        "mem" + (index == 0 ? "" : String(index)) + "-" + cluster.replacingOccurrences(of: "_", with: "-")
            + ".kplane.dev"
    }

    /// The CRD object name, `memwidgets.<group>`.
    public static func name(for cluster: String, index: Int = 0) -> String {
        "\(plural).\(group(for: cluster, index: index))"
    }

    /// The openAPIV3Schema sent: declares `spec.data` as a string.
    public static var schema: [String: Any] {
        [
            "type": "object",
            "properties": [
                "spec": [
                    "type": "object",
                    "properties": ["data": ["type": "string"]],
                ] as [String: Any]
            ],
        ]
    }

    /// The CRD as a JSON object.
    public static func object(for cluster: String, index: Int = 0) -> [String: Any] {
        let group = group(for: cluster, index: index)
        return [
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": ["name": "\(plural).\(group)"],
            "spec": [
                "group": group,
                "names": ["plural": plural, "singular": singular, "kind": kind, "listKind": listKind],
                "scope": "Namespaced",
                "versions": [
                    ["name": version, "served": true, "storage": true, "schema": ["openAPIV3Schema": schema]]
                        as [String: Any]
                ],
            ] as [String: Any],
        ]
    }

    /// The POST body: compact JSON with sorted keys (the same bytes for the same cluster).
    public static func body(for cluster: String, index: Int = 0) -> Data {
        // The object holds only strings, booleans, arrays and dictionaries, so serialization cannot fail.
        (try? JSONSerialization.data(
            withJSONObject: object(for: cluster, index: index), options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
    }
}
