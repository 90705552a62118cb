import Foundation
import SwiftProtobuf

/// A pprof sample type or period type: what a value counts and in which unit.
///
/// Go heap profiles use `alloc_objects/count`, `alloc_space/bytes`, `inuse_objects/count` and
/// `inuse_space/bytes` (see ``goHeap``).
public struct SampleType: Hashable, Sendable, CustomStringConvertible {
    /// What is counted, e.g. `inuse_space`.
    public var type: String
    /// The unit, e.g. `bytes` or `count`.
    public var unit: String

    /// Creates a sample type.
    ///
    /// - Parameters:
    ///   - type: What is counted, e.g. `inuse_space`.
    ///   - unit: The unit, e.g. `bytes`.
    public init(_ type: String, _ unit: String) {
        self.type = type
        self.unit = unit
    }

    /// The four sample types of a Go heap profile, in Go's order.
    ///
    /// `go tool pprof` shows the last one (`inuse_space`) by default.
    public static let goHeap: [SampleType] = [
        SampleType("alloc_objects", "count"), SampleType("alloc_space", "bytes"),
        SampleType("inuse_objects", "count"), SampleType("inuse_space", "bytes"),
    ]

    /// The period type of a Go heap profile (`space/bytes`).
    public static let goHeapPeriod = SampleType("space", "bytes")

    /// Go's default heap sampling period (`runtime.MemProfileRate`): 512 KiB.
    public static let goHeapPeriodBytes: Int64 = 512 * 1024

    /// `type/unit`, as `go tool pprof` prints it.
    public var description: String { "\(self.type)/\(self.unit)" }
}

/// One frame of a call stack: a function and, optionally, where in its source it is.
///
/// Frames with the same function, file and line share one pprof `Location`.
public struct StackFrame: Hashable, Sendable {
    /// The function name, e.g. `k8s.io/apiserver/pkg/storage/cacher.(*watchCache).Add`.
    public var function: String
    /// The source file, or `""` if unknown.
    public var file: String
    /// The source line, or 0 if unknown.
    public var line: Int64

    /// Creates a frame.
    ///
    /// - Parameters:
    ///   - function: The function name.
    ///   - file: The source file (`""` if unknown).
    ///   - line: The source line (0 if unknown).
    public init(function: String, file: String = "", line: Int64 = 0) {
        self.function = function
        self.file = file
        self.line = line
    }
}

/// Builds a valid pprof `Profile` (and its gzipped bytes) from stacks of function names.
///
/// This is the writer side of KPPprof, used by kp-sim to serve `/debug/pprof/heap`. Add samples
/// with ``addSample(stack:values:numericLabels:)``; each stack lists frames leaf first (the
/// allocating function at index 0), as pprof does. The builder interns strings (index 0 is `""`),
/// creates one `Function` per distinct (name, file) and one `Location` per distinct frame, with
/// ids counting from 1, and one synthetic `Mapping` (id 1) that marks functions, file names and
/// line numbers as present, so `go tool pprof` does not try to symbolize.
///
/// ```swift
/// var builder = ProfileBuilder(sampleTypes: SampleType.goHeap, periodType: SampleType.goHeapPeriod,
///                              period: SampleType.goHeapPeriodBytes)
/// try builder.addSample(stack: [StackFrame(function: "main.alloc"), StackFrame(function: "main.main")],
///                       values: [10, 5120, 2, 1024])
/// let bytes = try builder.gzipped()   // what /debug/pprof/heap returns
/// ```
public struct ProfileBuilder: Sendable {
    private var profile = Perftools_Profiles_Profile()
    private var strings: [String: Int64] = [:]
    private var functionIDs: [FunctionKey: UInt64] = [:]
    private var locationIDs: [StackFrame: UInt64] = [:]
    private let valueCount: Int

    private struct FunctionKey: Hashable {
        var name: String
        var file: String
    }

    /// Creates an empty profile.
    ///
    /// - Parameters:
    ///   - sampleTypes: What each sample value means, in order (at least one).
    ///   - periodType: The kind of events between samples (e.g. ``SampleType/goHeapPeriod``), or nil.
    ///   - period: The number of `periodType` events between samples (0 if not sampled).
    ///   - defaultSampleType: The sample type tools show by default (its `type`), or nil for the last.
    ///   - timeNanos: Collection time in ns since the Unix epoch (0 = unknown).
    ///   - durationNanos: Duration covered by the profile in ns (0 = not applicable).
    public init(
        sampleTypes: [SampleType], periodType: SampleType? = nil, period: Int64 = 0,
        defaultSampleType: String? = nil, timeNanos: Int64 = 0, durationNanos: Int64 = 0
    ) {
        self.valueCount = sampleTypes.count
        self.strings[""] = 0
        self.profile.stringTable = [""]
        self.profile.sampleType = sampleTypes.map { self.valueType($0) }
        if let periodType {
            self.profile.periodType = self.valueType(periodType)
        }
        self.profile.period = period
        if let defaultSampleType {
            self.profile.defaultSampleType = self.intern(defaultSampleType)
        }
        self.profile.timeNanos = timeNanos
        self.profile.durationNanos = durationNanos
        var mapping = Perftools_Profiles_Mapping()
        mapping.id = 1
        mapping.hasFunctions_p = true
        mapping.hasFilenames_p = true
        mapping.hasLineNumbers_p = true
        self.profile.mapping = [mapping]
    }

    /// The number of samples added so far.
    public var sampleCount: Int { self.profile.sample.count }

    /// Adds one sample.
    ///
    /// - Parameters:
    ///   - stack: The call stack, leaf (innermost) frame first. May be empty.
    ///   - values: One value per sample type, in the order given to ``init(sampleTypes:periodType:period:defaultSampleType:timeNanos:durationNanos:)``.
    ///   - numericLabels: Numeric labels such as Go's `bytes` (allocation size); written in key order.
    /// - Throws: ``ProfileBuilderError`` if `values` has the wrong length or a frame has no function name.
    public mutating func addSample(stack: [StackFrame], values: [Int64], numericLabels: [String: Int64] = [:]) throws {
        guard values.count == self.valueCount else {
            throw ProfileBuilderError(
                "sample has \(values.count) values but the profile has \(self.valueCount) sample types")
        }
        var sample = Perftools_Profiles_Sample()
        sample.locationID.reserveCapacity(stack.count)
        for frame in stack {
            guard !frame.function.isEmpty else {
                throw ProfileBuilderError(
                    "stack frame has an empty function name (file \"\(frame.file)\", line \(frame.line))")
            }
            sample.locationID.append(self.locationID(frame))
        }
        sample.value = values
        for key in numericLabels.keys.sorted() {
            var label = Perftools_Profiles_Label()
            label.key = self.intern(key)
            label.num = numericLabels[key] ?? 0
            sample.label.append(label)
        }
        self.profile.sample.append(sample)
    }

    /// Adds one sample whose stack is given as function names only, leaf first.
    ///
    /// - Parameters:
    ///   - functions: Function names, leaf first.
    ///   - values: One value per sample type.
    /// - Throws: ``ProfileBuilderError`` as ``addSample(stack:values:numericLabels:)``.
    public mutating func addSample(functions: [String], values: [Int64]) throws {
        try self.addSample(stack: functions.map { StackFrame(function: $0) }, values: values)
    }

    /// Appends a free-form comment (shown by `go tool pprof -top` as `Comment:`).
    ///
    /// - Parameter text: The comment.
    public mutating func addComment(_ text: String) {
        self.profile.comment.append(self.intern(text))
    }

    /// The profile built so far.
    public func build() -> Perftools_Profiles_Profile { self.profile }

    /// The profile's protobuf encoding, not compressed.
    ///
    /// - Throws: A SwiftProtobuf encoding error (not expected for a built profile).
    public func serialized() throws -> Data {
        try self.profile.serializedData()
    }

    /// The profile as gzip-compressed protobuf, the on-the-wire form of `/debug/pprof/heap`.
    ///
    /// - Throws: A SwiftProtobuf encoding error or ``GzipError``.
    public func gzipped() throws -> Data {
        try Gzip.compress(self.serialized())
    }

    private mutating func intern(_ string: String) -> Int64 {
        if let index = self.strings[string] { return index }
        let index = Int64(self.profile.stringTable.count)
        self.profile.stringTable.append(string)
        self.strings[string] = index
        return index
    }

    private mutating func valueType(_ type: SampleType) -> Perftools_Profiles_ValueType {
        var value = Perftools_Profiles_ValueType()
        value.type = self.intern(type.type)
        value.unit = self.intern(type.unit)
        return value
    }

    private mutating func functionID(name: String, file: String) -> UInt64 {
        let key = FunctionKey(name: name, file: file)
        if let id = self.functionIDs[key] { return id }
        var function = Perftools_Profiles_Function()
        function.id = UInt64(self.profile.function.count + 1)
        function.name = self.intern(name)
        function.systemName = function.name
        function.filename = self.intern(file)
        self.profile.function.append(function)
        self.functionIDs[key] = function.id
        return function.id
    }

    private mutating func locationID(_ frame: StackFrame) -> UInt64 {
        if let id = self.locationIDs[frame] { return id }
        var location = Perftools_Profiles_Location()
        location.id = UInt64(self.profile.location.count + 1)
        location.mappingID = 1
        var line = Perftools_Profiles_Line()
        line.functionID = self.functionID(name: frame.function, file: frame.file)
        line.line = frame.line
        location.line = [line]
        self.profile.location.append(location)
        self.locationIDs[frame] = location.id
        return location.id
    }
}

/// A sample given to ``ProfileBuilder`` that cannot be written.
///
/// The ``description`` names the problem in one line.
public struct ProfileBuilderError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public let description: String

    init(_ description: String) { self.description = "pprof builder: " + description }
}
