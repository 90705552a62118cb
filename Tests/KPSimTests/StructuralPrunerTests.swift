import Testing

@testable import KPSim

@Suite struct StructuralPrunerTests {
    let object: JSONValue = [
        "apiVersion": "g.example.dev/v1", "kind": "W", "metadata": ["name": "a", "labels": ["x": "y"]],
        "spec": ["foo": "bar", "extra": 1, "list": [["keep": 1, "drop": 2]], "free": ["anything": true]],
        "status": ["phase": "x"],
    ]

    @Test func typeObjectDropsEverythingButTypeMeta() {
        let (pruned, dropped) = StructuralPruner.pruneReporting(object: self.object, schema: ["type": "object"])
        #expect(
            pruned == ["apiVersion": "g.example.dev/v1", "kind": "W", "metadata": ["name": "a", "labels": ["x": "y"]]])
        #expect(dropped == [".spec", ".status"])
    }

    @Test func declaredFieldsSurviveAndUnknownOnesGo() {
        let schema: JSONValue = [
            "type": "object",
            "properties": [
                "spec": [
                    "type": "object",
                    "properties": [
                        "foo": ["type": "string"],
                        "list": [
                            "type": "array", "items": ["type": "object", "properties": ["keep": ["type": "integer"]]],
                        ],
                        "free": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
                    ],
                ]
            ],
        ]
        let (pruned, dropped) = StructuralPruner.pruneReporting(object: self.object, schema: schema)
        #expect(pruned["spec"] == ["foo": "bar", "list": [["keep": 1]], "free": ["anything": true]])
        #expect(pruned["status"] == nil)
        #expect(dropped == [".spec.extra", ".spec.list[0].drop", ".status"])
    }

    @Test func preserveUnknownFieldsAtTheRootKeepsAll() {
        let pruned = StructuralPruner.prune(
            object: self.object, schema: ["type": "object", "x-kubernetes-preserve-unknown-fields": true])
        #expect(pruned == self.object)
    }

    @Test func jsonRoundTripsWithKindFirst() throws {
        let text = self.object.serializedString()
        #expect(text.hasPrefix("{\"kind\":\"W\",\"apiVersion\":\"g.example.dev/v1\",\"metadata\":"))
        #expect(try JSONValue.parse(Array(text.utf8)) == self.object)
        #expect(JSONValue.string("a\"b\n\u{1}").serializedString() == "\"a\\\"b\\n\\u0001\"")
    }
}
