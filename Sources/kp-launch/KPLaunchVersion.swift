import KPRecords

/// kp-launch's version text: the kp-bench version and the record schema it writes.
enum KPLaunchVersion {
    static let text = "\(Schema.toolVersion) (records v\(Schema.currentVersion))"
}
