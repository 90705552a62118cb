import KPRecords

/// The version `kp-report --version` prints.
enum KPReportVersion {
    static let text = "kp-report \(Schema.toolVersion) (records up to v\(Schema.currentVersion))"
}
