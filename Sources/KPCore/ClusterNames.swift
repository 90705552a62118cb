/// Cluster (VCP) ids: generated from a printf-style format, or given as a list; the one name check of
/// kp-bench (kp-bootstrap, kp-run and every tool that names a cluster use it).
///
/// The format takes exactly one integer verb (`%d`, `%3d`, `%03d`); `%%` is a literal percent.
/// This is parsed by hand rather than handed to `String(format:)`, because a user-supplied format
/// with `%s` or `%@` would make Foundation read memory that was never passed.
public enum ClusterNames {
    /// The kplane OpenAPI pattern for a cluster id (contract §2.1), narrowed to what also makes a
    /// valid CRD group `mem-<id>.kplane.dev`: lower-case letters, digits, `-`, `_` (becomes `-`) and `.`.
    public static func validate(_ name: String) -> String? {
        guard let first = name.unicodeScalars.first else { return "a cluster name is empty" }
        let allowed = { (c: Unicode.Scalar) -> Bool in
            ("a"..."z").contains(c) || ("0"..."9").contains(c) || c == "-" || c == "_" || c == "."
        }
        guard ("a"..."z").contains(first) || ("0"..."9").contains(first) else {
            return "cluster name '\(name)' must start with a lower-case letter or digit"
        }
        guard name.unicodeScalars.allSatisfy(allowed) else {
            return
                "cluster name '\(name)' may hold only lower-case letters, digits, '-', '_' and '.' (it becomes part of the CRD group mem-<name>.kplane.dev)"
        }
        if name.hasSuffix("-") || name.hasSuffix("_") || name.hasSuffix(".") || name.contains("..") {
            return
                "cluster name '\(name)' must end with a letter or digit and hold no '..' (the CRD group must be a DNS name)"
        }
        if name.count > 63 - "mem-".count {
            return
                "cluster name '\(name)' is longer than \(63 - "mem-".count) characters (the CRD group label would exceed 63)"
        }
        return nil
    }

    /// True for a name the kplane server routes (its OpenAPI pattern `^[A-Za-z0-9][A-Za-z0-9_.-]*$`,
    /// contract §2.1): what a tool may address (e.g. `kp-launch kubeconfig --cluster`). Names kp-bench
    /// creates must also pass ``validate(_:)``, which is stricter.
    public static func isRoutable(_ name: String) -> Bool {
        let alnum = { (c: Unicode.Scalar) -> Bool in
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
        }
        guard let first = name.unicodeScalars.first, alnum(first) else { return false }
        return name.unicodeScalars.allSatisfy { alnum($0) || $0 == "_" || $0 == "." || $0 == "-" }
    }

    /// Expands `format` for indexes `0..<count`, e.g. `c-%03d` → `c-000`, `c-001`, ….
    ///
    /// - Throws: ``ClusterNameError`` when the format has no integer verb, more than one, or an unsupported verb,
    ///   or when a generated name is not a valid cluster id.
    public static func expand(format: String, count: Int) throws(ClusterNameError) -> [String] {
        let parsed = try parse(format)
        var names: [String] = []
        names.reserveCapacity(count)
        for i in 0..<count {
            var digits = String(i)
            if digits.count < parsed.width {
                digits = String(repeating: parsed.zeroPad ? "0" : " ", count: parsed.width - digits.count) + digits
            }
            let name = parsed.prefix + digits + parsed.suffix
            if let problem = validate(name) {
                throw ClusterNameError("--name-format '\(format)' gives an invalid name: \(problem)")
            }
            names.append(name)
        }
        return names
    }

    /// Checks an explicit list: every name valid, no duplicates.
    public static func check(names: [String]) throws(ClusterNameError) -> [String] {
        var seen = Set<String>()
        for name in names {
            if let problem = validate(name) { throw ClusterNameError("--names: \(problem)") }
            if !seen.insert(name).inserted {
                throw ClusterNameError("--names lists '\(name)' twice: each cluster is bootstrapped once")
            }
        }
        return names
    }

    private struct Parsed {
        var prefix: String
        var suffix: String
        var width: Int
        var zeroPad: Bool
    }

    private static func parse(_ format: String) throws(ClusterNameError) -> Parsed {
        let chars = Array(format)
        var prefix = ""
        var suffix = ""
        var verb: (width: Int, zero: Bool)?
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c != "%" {
                if verb == nil { prefix.append(c) } else { suffix.append(c) }
                i += 1
                continue
            }
            i += 1
            guard i < chars.count else {
                throw ClusterNameError(
                    "--name-format '\(format)' ends with a lone '%': write %d for the index or %% for a percent sign")
            }
            if chars[i] == "%" {
                if verb == nil { prefix.append("%") } else { suffix.append("%") }
                i += 1
                continue
            }
            var zero = false
            if chars[i] == "0" {
                zero = true
                i += 1
            }
            var widthText = ""
            while i < chars.count, chars[i].isASCII, chars[i].isNumber {
                widthText.append(chars[i])
                i += 1
            }
            guard i < chars.count, chars[i] == "d" else {
                throw ClusterNameError(
                    "--name-format '\(format)' has an unsupported verb: only %d, %Nd and %0Nd (the cluster index) are allowed"
                )
            }
            i += 1
            if verb != nil {
                throw ClusterNameError("--name-format '\(format)' has more than one %d: give exactly one, e.g. c-%03d")
            }
            let width = Int(widthText) ?? 0
            if width > 20 {
                throw ClusterNameError("--name-format '\(format)' pads to \(width) digits: use 20 or fewer")
            }
            verb = (width, zero)
        }
        guard let verb else {
            throw ClusterNameError(
                "--name-format '\(format)' has no %d: every cluster needs a distinct name, e.g. c-%03d")
        }
        return Parsed(prefix: prefix, suffix: suffix, width: verb.width, zeroPad: verb.zero)
    }
}

/// A bad cluster name or name format; the description names the flag and the fix.
public struct ClusterNameError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
