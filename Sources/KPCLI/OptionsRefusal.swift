import ArgumentParser

extension ParsableArguments {
    /// What this option group says of `arguments`, its `validate()` included: nil when it takes them,
    /// else the first line of its message. kp-run asks each tool's group this of every step it plans.
    ///
    /// A negative number after its flag (`--workers -3`) would parse as an option of its own ("Missing
    /// value for --workers"), so it is joined as `--workers=-3` first and the group's own rule on the
    /// value speaks.
    public static func refusal(of arguments: [String]) -> String? {
        var joined: [String] = []
        for a in arguments {
            if a.hasPrefix("-"), a.dropFirst().first?.isNumber == true, let flag = joined.last, flag.hasPrefix("--"),
                !flag.contains("=")
            {
                joined[joined.count - 1] = "\(flag)=\(a)"
            } else {
                joined.append(a)
            }
        }
        do {
            _ = try parse(joined)
            return nil
        } catch {
            return message(for: error).split(separator: "\n").first.map(String.init) ?? ""
        }
    }
}
