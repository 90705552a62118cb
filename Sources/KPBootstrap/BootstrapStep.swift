/// The five steps that bootstrap one VCP, in order (kplane contract §4.2, `exerciseClusterForMemory`).
///
/// The raw value is the `step` field of a `bootstrap_step` record.
public enum BootstrapStep: String, CaseIterable, Sendable {
    /// `GET B/readyz` until 200. The first request to a cluster path creates the VCP.
    case readyz
    /// `GET B/api/v1/namespaces/default` until 200: the real sign that the VCP's bootstrap ran.
    case namespace
    /// `POST B/apis/apiextensions.k8s.io/v1/customresourcedefinitions` with ``TestCRD``'s body; expects 201.
    case crdCreate = "crd_create"
    /// `GET` the CRD until `status.conditions` holds `Established=True`.
    case crdEstablished = "crd_established"
    /// `GET B/apis/<group>/v1` until the `APIResourceList` names the plural.
    case discovery

    /// The steps about one test CRD, run once per CRD with `--crds-per-cluster`.
    public var isCRDStep: Bool { self == .crdCreate || self == .crdEstablished || self == .discovery }
}
