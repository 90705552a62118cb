import Foundation
import SwiftProtobuf

/// A validated pprof profile (`profile.proto`), with the summaries `go tool pprof -top` prints.
///
/// Create one with ``init(data:maxDecompressedBytes:)`` from the bytes of `/debug/pprof/heap`
/// (gzipped) or a plain serialized profile. Parsing checks the cross-references that
/// `go tool pprof` relies on (string indexes, location and function ids, one value per sample
/// type) and throws a ``PprofError`` naming the first broken one, so later summaries cannot trap.
///
/// Function-level costs follow `go tool pprof -top` (granularity `functions`): a sample's stack is
/// the lines of its locations, innermost first (inlined functions included); its value counts
/// as *flat* for the innermost function and as *cum* once for every distinct function on the stack.
public struct PprofProfile: Sendable {
    /// The decoded protobuf message, for callers that need fields not summarised here.
    public let message: Perftools_Profiles_Profile
    /// What each sample value means, in order.
    public let sampleTypes: [SampleType]
    /// The kind of events between samples (Go heap: `space/bytes`), if set.
    public let periodType: SampleType?
    /// Events between samples (Go heap: 524288 bytes); 0 if unset.
    public let period: Int64
    /// Collection time in ns since the Unix epoch; 0 if unset.
    public let timeNanos: Int64
    /// Duration covered in ns; 0 if unset.
    public let durationNanos: Int64
    /// Free-form comments.
    public let comments: [String]
    /// The index of the sample type tools show by default: `default_sample_type` if set, else the last.
    public let defaultSampleTypeIndex: Int

    /// Distinct function names; stacks refer to them by index.
    private let names: [String]
    /// Every sample's stack as indexes into `names`, innermost first, concatenated.
    private let frames: [Int32]
    /// `frames[frameStarts[i]..<frameStarts[i + 1]]` is sample i's stack.
    private let frameStarts: [Int]

    /// The default bound on decompressed profile size: 64 MiB.
    ///
    /// Real Go heap profiles are a few MiB. Decoded protobuf structs take several times the wire
    /// size, so this also bounds the reader's memory.
    public static let defaultMaxBytes = 64 << 20

    /// The default bound on stack frames summed over all samples (inlined frames included): 16 Mi.
    ///
    /// A hostile profile can make one small sample refer to a location with thousands of lines
    /// thousands of times; this caps the work and memory of ``top(sampleTypeIndex:order:limit:)``.
    public static let defaultMaxStackFrames = 16 << 20

    /// Parses and validates a gzipped or plain `profile.proto`.
    ///
    /// - Parameters:
    ///   - data: The profile bytes; gzip is detected by its magic number.
    ///   - maxDecompressedBytes: Bound on the decompressed size (guards against zip bombs).
    ///   - maxStackFrames: Bound on stack frames summed over all samples.
    /// - Throws: ``PprofError`` naming what is wrong with the input.
    public init(
        data: Data, maxDecompressedBytes: Int = PprofProfile.defaultMaxBytes,
        maxStackFrames: Int = PprofProfile.defaultMaxStackFrames
    ) throws {
        guard !data.isEmpty else { throw PprofError("input is empty; expected a gzipped or plain profile.proto") }
        var raw = data
        if Gzip.isGzip(data) {
            do {
                raw = try Gzip.decompress(data, maxBytes: maxDecompressedBytes)
            } catch let error as GzipError {
                throw PprofError("cannot decompress: \(error.description)")
            }
        } else if data.count > maxDecompressedBytes {
            throw PprofError("plain profile of \(data.count) bytes exceeds the limit of \(maxDecompressedBytes) bytes")
        }
        let message: Perftools_Profiles_Profile
        do {
            message = try Perftools_Profiles_Profile(serializedBytes: raw)
        } catch {
            throw PprofError("not a profile.proto message (\(error)); expected the body of /debug/pprof/heap")
        }
        try self.init(message: message, maxStackFrames: maxStackFrames)
    }

    /// Validates an already decoded profile message.
    ///
    /// - Parameters:
    ///   - message: The decoded profile.
    ///   - maxStackFrames: Bound on stack frames summed over all samples.
    /// - Throws: ``PprofError`` naming the first broken cross-reference.
    public init(message: Perftools_Profiles_Profile, maxStackFrames: Int = PprofProfile.defaultMaxStackFrames) throws {
        let strings = message.stringTable
        guard let first = strings.first else {
            throw PprofError("string table is empty; string_table[0] must be \"\"")
        }
        guard first.isEmpty else {
            throw PprofError("string_table[0] is \(String(first.prefix(40)).debugDescription); it must be \"\"")
        }
        func string(_ index: Int64, _ what: @autoclosure () -> String) throws -> String {
            guard index >= 0, index < strings.count else {
                throw PprofError(
                    "\(what()) refers to string \(index), outside the string table (\(strings.count) entries)")
            }
            return strings[Int(index)]
        }

        var sampleTypes: [SampleType] = []
        for (i, type) in message.sampleType.enumerated() {
            sampleTypes.append(
                SampleType(
                    try string(type.type, "sample_type[\(i)].type"), try string(type.unit, "sample_type[\(i)].unit")))
        }
        guard !sampleTypes.isEmpty else { throw PprofError("profile has no sample types") }

        // Function id -> index into `names` (one entry per distinct name, as go tool pprof's
        // function granularity merges functions by name).
        var names: [String] = []
        var nameIndex: [String: Int32] = [:]
        var functions: [UInt64: Int32] = [:]
        functions.reserveCapacity(message.function.count)
        for function in message.function {
            guard function.id != 0 else { throw PprofError("a function has id 0; function ids must be nonzero") }
            let name = try string(function.name, "function \(function.id) name")
            _ = try string(function.filename, "function \(function.id) filename")
            let index: Int32
            if let existing = nameIndex[name] {
                index = existing
            } else {
                index = Int32(names.count)
                names.append(name)
                nameIndex[name] = index
            }
            guard functions.updateValue(index, forKey: function.id) == nil else {
                throw PprofError("function id \(function.id) appears twice")
            }
        }

        // Each location resolves to the names of its lines, innermost (line[0]) first.
        var locations: [UInt64: [Int32]] = [:]
        locations.reserveCapacity(message.location.count)
        let mappingIDs = Set(message.mapping.map(\.id))
        for location in message.location {
            guard location.id != 0 else { throw PprofError("a location has id 0; location ids must be nonzero") }
            if location.mappingID != 0, !mappingIDs.contains(location.mappingID) {
                throw PprofError(
                    "location \(location.id) refers to mapping \(location.mappingID), which does not exist")
            }
            var lineNames: [Int32] = []
            for line in location.line {
                guard let index = functions[line.functionID] else {
                    throw PprofError(
                        "location \(location.id) refers to function \(line.functionID), which does not exist")
                }
                lineNames.append(index)
            }
            if lineNames.isEmpty {
                // Unsymbolized: go tool pprof names the node after its address.
                let name = "0x" + String(location.address, radix: 16)
                if let existing = nameIndex[name] {
                    lineNames = [existing]
                } else {
                    lineNames = [Int32(names.count)]
                    nameIndex[name] = Int32(names.count)
                    names.append(name)
                }
            }
            guard locations.updateValue(lineNames, forKey: location.id) == nil else {
                throw PprofError("location id \(location.id) appears twice")
            }
        }

        var frames: [Int32] = []
        var frameStarts: [Int] = [0]
        frameStarts.reserveCapacity(message.sample.count + 1)
        for (i, sample) in message.sample.enumerated() {
            guard sample.value.count == sampleTypes.count else {
                throw PprofError(
                    "sample \(i) has \(sample.value.count) values but the profile has \(sampleTypes.count) sample types"
                )
            }
            for id in sample.locationID {
                guard let lineNames = locations[id] else {
                    throw PprofError("sample \(i) refers to location \(id), which does not exist")
                }
                guard frames.count + lineNames.count <= maxStackFrames else {
                    throw PprofError(
                        "stacks add up to more than \(maxStackFrames) frames; raise maxStackFrames if the profile is trusted"
                    )
                }
                frames.append(contentsOf: lineNames)
            }
            frameStarts.append(frames.count)
        }

        var defaultIndex = sampleTypes.count - 1
        if message.defaultSampleType != 0 {
            let name = try string(message.defaultSampleType, "default_sample_type")
            if let index = sampleTypes.firstIndex(where: { $0.type == name }) { defaultIndex = index }
        }
        self.message = message
        self.sampleTypes = sampleTypes
        self.periodType =
            message.hasPeriodType
            ? SampleType(
                try string(message.periodType.type, "period_type.type"),
                try string(message.periodType.unit, "period_type.unit"))
            : nil
        self.period = message.period
        self.timeNanos = message.timeNanos
        self.durationNanos = message.durationNanos
        self.comments = try message.comment.enumerated().map { try string($0.element, "comment[\($0.offset)]") }
        self.defaultSampleTypeIndex = defaultIndex
        self.names = names
        self.frames = frames
        self.frameStarts = frameStarts
    }

    /// The number of samples.
    public var sampleCount: Int { self.frameStarts.count - 1 }

    /// The index of the sample type whose `type` is `name` (e.g. `inuse_space`), or nil.
    ///
    /// - Parameter name: The sample type's `type`.
    public func sampleTypeIndex(named name: String) -> Int? {
        self.sampleTypes.firstIndex { $0.type == name }
    }

    /// The sum of every sample's value for each sample type, in ``sampleTypes`` order.
    ///
    /// For a Go heap profile `totals[3]` is the in-use heap in bytes (as sampled and scaled by Go),
    /// the figure `go tool pprof -top` prints as "… of N total". Sums wrap instead of trapping on
    /// overflow (hostile input must not crash the reader).
    public var totals: [Int64] {
        var sums = [Int64](repeating: 0, count: self.sampleTypes.count)
        for sample in self.message.sample {
            for (i, value) in sample.value.enumerated() { sums[i] &+= value }
        }
        return sums
    }

    /// Per-function flat and cumulative values of one sample type, sorted like `go tool pprof -top`.
    ///
    /// - Parameters:
    ///   - sampleTypeIndex: Which value to sum (see ``sampleTypeIndex(named:)``); nil = the default.
    ///   - order: ``FunctionCost/Order/flat`` as `-top`, ``FunctionCost/Order/cum`` as `-top -cum`.
    ///   - limit: Keep only the first `limit` rows (nil = all).
    /// - Returns: One row per function on the stack of a sample whose value is nonzero.
    /// - Throws: ``PprofError`` if `sampleTypeIndex` is out of range.
    public func top(sampleTypeIndex: Int? = nil, order: FunctionCost.Order = .flat, limit: Int? = nil) throws
        -> [FunctionCost]
    {
        let index = sampleTypeIndex ?? self.defaultSampleTypeIndex
        guard self.sampleTypes.indices.contains(index) else {
            throw PprofError(
                "sample type index \(index) is out of range; the profile has \(self.sampleTypes.map(\.description))")
        }
        var flat = [Int64](repeating: 0, count: self.names.count)
        var cum = [Int64](repeating: 0, count: self.names.count)
        var present = [Bool](repeating: false, count: self.names.count)
        // seen[name] == sample number + 1 when the name was already counted for this sample.
        var seen = [Int](repeating: 0, count: self.names.count)
        for (i, sample) in self.message.sample.enumerated() {
            let value = sample.value[index]
            let stack = self.frames[self.frameStarts[i]..<self.frameStarts[i + 1]]
            // As go tool pprof: a zero-valued sample contributes no node.
            guard value != 0, let leaf = stack.first else { continue }
            flat[Int(leaf)] &+= value
            for name in stack where seen[Int(name)] != i + 1 {
                seen[Int(name)] = i + 1
                cum[Int(name)] &+= value
                present[Int(name)] = true
            }
        }
        var rows: [FunctionCost] = []
        for (i, name) in self.names.enumerated() where present[i] {
            rows.append(FunctionCost(name: name, flat: flat[i], cum: cum[i]))
        }
        // pprof's FlatNameOrder / CumNameOrder: by |value| descending, then name, then the other value.
        switch order {
        case .flat:
            rows.sort { a, b in
                if a.flat.magnitude != b.flat.magnitude { return a.flat.magnitude > b.flat.magnitude }
                if a.name != b.name { return a.name < b.name }
                return a.cum.magnitude > b.cum.magnitude
            }
        case .cum:
            rows.sort { a, b in
                if a.cum.magnitude != b.cum.magnitude { return a.cum.magnitude > b.cum.magnitude }
                if a.name != b.name { return a.name < b.name }
                return a.flat.magnitude > b.flat.magnitude
            }
        }
        if let limit { rows = Array(rows.prefix(max(0, limit))) }
        return rows
    }
}

/// One row of ``PprofProfile/top(sampleTypeIndex:order:limit:)``: a function's flat and cumulative value.
public struct FunctionCost: Hashable, Sendable {
    /// How rows are sorted.
    public enum Order: Sendable {
        /// By flat value, as `go tool pprof -top`.
        case flat
        /// By cumulative value, as `go tool pprof -top -cum`.
        case cum
    }

    /// The function name.
    public var name: String
    /// The value of samples whose innermost frame is this function.
    public var flat: Int64
    /// The value of samples with this function anywhere on the stack (counted once per sample).
    public var cum: Int64

    /// Creates a row.
    public init(name: String, flat: Int64, cum: Int64) {
        self.name = name
        self.flat = flat
        self.cum = cum
    }
}

/// A profile that cannot be read, or a request it cannot answer.
///
/// The ``description`` is one line starting with `pprof:` that names what was wrong.
public struct PprofError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public let description: String

    /// One line whatever the message quotes from the profile (a mutated string table can hold line
    /// breaks; `mutatedProfilesNeverCrash` found one): CR and LF are written as `\r` and `\n`.
    init(_ message: String) {
        self.description =
            "pprof: "
            + message.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
    }
}
