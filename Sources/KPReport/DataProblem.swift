/// Something in a run directory that could not be used as it was: a damaged line, a missing
/// file, a record the report cannot fold.
///
/// The report never stops for one: it lists each in its "Data problems" section (and on
/// stderr), and says which tables it left incomplete.
public struct DataProblem: Sendable, Equatable, Comparable, CustomStringConvertible {
    /// Where: `file:line`, or just `file` for a whole-file problem.
    public var location: String
    /// What was wrong, one line.
    public var message: String
    /// Report sections whose figures this problem leaves incomplete.
    public var affects: [String]

    public init(location: String, message: String, affects: [String]) {
        self.location = location
        self.message = message
        self.affects = affects
    }

    public var description: String { "\(location): \(message)" }

    /// Orders by file, then line number numerically, then message.
    public static func < (a: DataProblem, b: DataProblem) -> Bool {
        let (fa, la) = split(a.location)
        let (fb, lb) = split(b.location)
        if fa != fb { return fa < fb }
        if la != lb { return la < lb }
        return a.message < b.message
    }

    private static func split(_ location: String) -> (String, Int) {
        guard let colon = location.lastIndex(of: ":"), let n = Int(location[location.index(after: colon)...]) else {
            return (location, 0)
        }
        return (String(location[..<colon]), n)
    }
}
