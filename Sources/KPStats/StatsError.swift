/// Why a statistics input could not be used: one line naming the problem.
///
/// Thrown for malformed histogram wire forms and invalid layouts; the report turns it into a
/// "Data problems" line instead of crashing.
public struct StatsError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
