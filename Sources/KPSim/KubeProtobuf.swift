import Foundation

/// Decodes the Kubernetes protobuf request bodies kubectl sends for built-in kinds
/// (`application/vnd.kubernetes.protobuf`: the magic `k8s\0`, then a `runtime.Unknown` envelope)
/// into the JSON object kp-sim stores, for the two built-in kinds it serves that kubectl creates
/// typed: Namespace and ConfigMap. Responses stay JSON (kubectl's Accept lists `*/*` or json).
///
/// Hand-written wire reading, not SwiftProtobuf messages: generating k8s.io/api's core/v1
/// `generated.proto` into Swift would add thousands of lines for the dozen fields read here, and
/// SwiftProtobuf's `BinaryDecoder` is not public API. The field numbers are those of
/// k8s.io/apimachinery `runtime.Unknown` (typeMeta 1 {apiVersion 1, kind 2}, raw 2), `ObjectMeta`
/// (name 1, generateName 2, namespace 3, labels 11, annotations 12, finalizers 14) and k8s.io/api
/// core/v1 `ConfigMap` (metadata 1, data 2, binaryData 3, immutable 4) and `Namespace`
/// (metadata 1, spec 2 {finalizers 1}). Unknown fields are skipped, as protobuf readers do.
enum KubeProtobuf {
    static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]  // "k8s\0"

    struct DecodeError: Error {}

    /// A protobuf wire reader over a byte slice.
    struct Reader {
        var bytes: ArraySlice<UInt8>

        var atEnd: Bool { self.bytes.isEmpty }

        mutating func varint() throws(DecodeError) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while let byte = self.bytes.popFirst() {
                guard shift < 64 else { throw DecodeError() }
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            throw DecodeError()
        }

        /// The next field: its number, wire type, and (for length-delimited fields) its bytes.
        mutating func field() throws(DecodeError) -> (
            number: UInt64, wireType: UInt64, varint: UInt64, bytes: ArraySlice<UInt8>
        ) {
            let key = try self.varint()
            let (number, wireType) = (key >> 3, key & 7)
            switch wireType {
            case 0: return (number, wireType, try self.varint(), [])
            case 1, 5:
                let size = wireType == 1 ? 8 : 4
                guard self.bytes.count >= size else { throw DecodeError() }
                self.bytes = self.bytes.dropFirst(size)
                return (number, wireType, 0, [])
            case 2:
                let length = try self.varint()
                guard length <= UInt64(self.bytes.count) else { throw DecodeError() }
                let value = self.bytes.prefix(Int(length))
                self.bytes = self.bytes.dropFirst(Int(length))
                return (number, wireType, 0, value)
            default: throw DecodeError()
            }
        }
    }

    static func string(_ bytes: ArraySlice<UInt8>) throws(DecodeError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw DecodeError() }
        return text
    }

    /// One `map<string, V>` entry (key 1, value 2).
    static func mapEntry(_ bytes: ArraySlice<UInt8>) throws(DecodeError) -> (String, ArraySlice<UInt8>) {
        var reader = Reader(bytes: bytes)
        var key = ""
        var value: ArraySlice<UInt8> = []
        while !reader.atEnd {
            let field = try reader.field()
            if field.number == 1 && field.wireType == 2 { key = try string(field.bytes) }
            if field.number == 2 && field.wireType == 2 { value = field.bytes }
        }
        return (key, value)
    }

    static func objectMeta(_ bytes: ArraySlice<UInt8>) throws(DecodeError) -> JSONValue {
        var reader = Reader(bytes: bytes)
        var meta: [String: JSONValue] = [:]
        var labels: [String: JSONValue] = [:]
        var annotations: [String: JSONValue] = [:]
        var finalizers: [JSONValue] = []
        while !reader.atEnd {
            let field = try reader.field()
            guard field.wireType == 2 else { continue }
            switch field.number {
            case 1: meta["name"] = .string(try string(field.bytes))
            case 2: meta["generateName"] = .string(try string(field.bytes))
            case 3: meta["namespace"] = .string(try string(field.bytes))
            case 11:
                let (key, value) = try mapEntry(field.bytes)
                labels[key] = .string(try string(value))
            case 12:
                let (key, value) = try mapEntry(field.bytes)
                annotations[key] = .string(try string(value))
            case 14: finalizers.append(.string(try string(field.bytes)))
            default: break
            }
        }
        if !labels.isEmpty { meta["labels"] = .object(labels) }
        if !annotations.isEmpty { meta["annotations"] = .object(annotations) }
        if !finalizers.isEmpty { meta["finalizers"] = .array(finalizers) }
        return .object(meta)
    }

    /// Decodes a `k8s\0` + `runtime.Unknown` body holding a v1 Namespace or ConfigMap into its JSON form.
    static func decode(_ body: [UInt8]) throws(DecodeError) -> JSONValue {
        guard body.count >= magic.count, Array(body.prefix(magic.count)) == magic else { throw DecodeError() }
        var envelope = Reader(bytes: body.dropFirst(magic.count))
        var apiVersion = ""
        var kind = ""
        var raw: ArraySlice<UInt8> = []
        while !envelope.atEnd {
            let field = try envelope.field()
            guard field.wireType == 2 else { continue }
            switch field.number {
            case 1:
                var typeMeta = Reader(bytes: field.bytes)
                while !typeMeta.atEnd {
                    let inner = try typeMeta.field()
                    if inner.number == 1 && inner.wireType == 2 { apiVersion = try string(inner.bytes) }
                    if inner.number == 2 && inner.wireType == 2 { kind = try string(inner.bytes) }
                }
            case 2: raw = field.bytes
            default: break
            }
        }
        var object: [String: JSONValue] = ["apiVersion": .string(apiVersion), "kind": .string(kind), "metadata": [:]]
        var reader = Reader(bytes: raw)
        var data: [String: JSONValue] = [:]
        var binaryData: [String: JSONValue] = [:]
        switch (apiVersion, kind) {
        case ("v1", "ConfigMap"):
            while !reader.atEnd {
                let field = try reader.field()
                switch (field.number, field.wireType) {
                case (1, 2): object["metadata"] = try objectMeta(field.bytes)
                case (2, 2):
                    let (key, value) = try mapEntry(field.bytes)
                    data[key] = .string(try string(value))
                case (3, 2):
                    let (key, value) = try mapEntry(field.bytes)
                    binaryData[key] = .string(Data(value).base64EncodedString())
                case (4, 0): object["immutable"] = .bool(field.varint != 0)
                default: break
                }
            }
            if !data.isEmpty { object["data"] = .object(data) }
            if !binaryData.isEmpty { object["binaryData"] = .object(binaryData) }
        case ("v1", "Namespace"):
            while !reader.atEnd {
                let field = try reader.field()
                switch (field.number, field.wireType) {
                case (1, 2): object["metadata"] = try objectMeta(field.bytes)
                case (2, 2):
                    var spec = Reader(bytes: field.bytes)
                    var finalizers: [JSONValue] = []
                    while !spec.atEnd {
                        let inner = try spec.field()
                        if inner.number == 1 && inner.wireType == 2 {
                            finalizers.append(.string(try string(inner.bytes)))
                        }
                    }
                    if !finalizers.isEmpty { object["spec"] = ["finalizers": .array(finalizers)] }
                default: break
                }
            }
        default:
            throw DecodeError()
        }
        return .object(object)
    }
}
