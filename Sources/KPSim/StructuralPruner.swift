/// Drops fields a CRD's structural schema does not declare, as kube-apiserver does on create and update.
///
/// Rules (apiextensions "pruning"): in an object schema, keys not listed in `properties` are
/// removed unless `x-kubernetes-preserve-unknown-fields: true` or `additionalProperties` is set;
/// arrays are pruned item by item against `items`. At the root, `apiVersion`, `kind` and
/// `metadata` are always kept (as are they for `x-kubernetes-embedded-resource` objects). So a
/// root schema of `{type: object}` drops `spec` and `status` entirely. No value validation is done.
public enum StructuralPruner {
    /// Prunes a whole custom resource against its version's `openAPIV3Schema`.
    public static func prune(object: JSONValue, schema: JSONValue?) -> JSONValue {
        self.pruneReporting(object: object, schema: schema).object
    }

    /// Prunes and also returns the dropped fields as paths (`.spec`, `.spec.items[0].x`), sorted.
    public static func pruneReporting(object: JSONValue, schema: JSONValue?) -> (object: JSONValue, dropped: [String]) {
        guard let schema else { return (object, []) }
        var dropped: [String] = []
        let result = prune(object, schema: schema, keepTypeMeta: true, path: "", dropped: &dropped)
        return (result, dropped.sorted())
    }

    private static func prune(
        _ value: JSONValue, schema: JSONValue, keepTypeMeta: Bool, path: String, dropped: inout [String]
    ) -> JSONValue {
        switch value {
        case .object(let members):
            let preserve = schema["x-kubernetes-preserve-unknown-fields"]?.boolValue == true
            let properties = schema["properties"]?.objectValue
            let additional = schema["additionalProperties"]
            let embedded = keepTypeMeta || schema["x-kubernetes-embedded-resource"]?.boolValue == true
            var result: [String: JSONValue] = [:]
            for (key, member) in members {
                let memberPath = "\(path).\(key)"
                if embedded && (key == "apiVersion" || key == "kind" || key == "metadata") {
                    result[key] = member
                } else if let propertySchema = properties?[key] {
                    result[key] = prune(
                        member, schema: propertySchema, keepTypeMeta: false, path: memberPath, dropped: &dropped)
                } else if let additional, case .object = additional {
                    result[key] = prune(
                        member, schema: additional, keepTypeMeta: false, path: memberPath, dropped: &dropped)
                } else if additional?.boolValue == true || preserve {
                    result[key] = member
                } else {
                    dropped.append(memberPath)
                }
            }
            return .object(result)
        case .array(let items):
            guard let itemSchema = schema["items"] else { return value }
            return .array(
                items.enumerated().map { index, item in
                    prune(item, schema: itemSchema, keepTypeMeta: false, path: "\(path)[\(index)]", dropped: &dropped)
                })
        default:
            return value
        }
    }
}
