/// When `docker compose up` pulls images (`--pull`).
public enum DockerPullPolicy: String, Sendable, CaseIterable, Codable {
    /// Always pull: the seed's default, so `:latest` is the latest.
    case always
    /// Pull only images that are not present locally.
    case missing
    /// Never pull: bench a locally built or loaded image.
    case never
}
