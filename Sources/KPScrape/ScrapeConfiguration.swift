/// What a ``Scraper`` scrapes and where it keeps copies.
public struct ScrapeConfiguration: Sendable {
    /// Server root URL without a trailing slash; `/metrics` and `/debug/pprof/*` are appended to it.
    /// Never a `/clusters/<id>/...` URL: on kplane that path would create a VCP (contract §2.2).
    public var baseURL: String
    /// Whole metric families to carry in each sample (`--metric`), histograms with every bucket.
    public var families: [String]
    /// Timeout of one scrape (and of each pprof request); the kplane memory test uses 20 s.
    public var timeout: Duration
    /// When set, every raw `/metrics` body is kept as `<dir>/metrics-<phase>-<t_ns>.prom`.
    public var saveRawDirectory: String?
    /// When set, profiles are saved as `<dir>/heap-<scenario>-<phase>.pb.gz` and
    /// `<dir>/goroutine-<scenario>-<phase>.txt`.
    public var pprofDirectory: String?
    /// The scenario name in profile file names (`bootstrap`, `mixed-hot`, …).
    public var scenario: String

    public init(
        baseURL: String, families: [String] = [], timeout: Duration = .seconds(20), saveRawDirectory: String? = nil,
        pprofDirectory: String? = nil, scenario: String = "bootstrap"
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.families = families
        self.timeout = timeout
        self.saveRawDirectory = saveRawDirectory
        self.pprofDirectory = pprofDirectory
        self.scenario = scenario
    }

    /// The scraped URL: the root `/metrics`.
    public var metricsURL: String { "\(baseURL)/metrics" }

    /// Checks a label used in file names (phase, scenario): letters, digits, `.`, `_`, `-`.
    public static func checkLabel(_ value: String, flag: String) -> String? {
        let ok =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "."
                    || $0 == "_" || $0 == "-"
            } && value != "." && value != ".."
        return ok
            ? nil : "\(flag) '\(value)' may hold only letters, digits, '.', '_' and '-' (it becomes part of file names)"
    }

    /// Rejects a base URL that addresses a VCP.
    public static func checkRootURL(_ url: String) -> String? {
        if url.contains("/clusters/") {
            return
                "the target URL \(url) addresses a VCP (/clusters/...): kp-scrape scrapes the server root, and on kplane a /clusters/<id>/ request would create that VCP; give the root URL, e.g. https://127.0.0.1:6443"
        }
        return nil
    }
}
