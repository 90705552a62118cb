import Foundation
import KPHTTP
import KPTestSupport

/// The shared ``KPTestSupport/FakeTransport`` as the bootstrap tests use it: the handler's count
/// is the attempt number of a poll (earlier requests with the same method and URL), and each answer
/// takes 1 ms, so that deadlines and backoff see time pass.
func bootstrapTransport(_ handler: @escaping FakeTransport.Handler) -> FakeTransport {
    FakeTransport(counting: .sameMethodAndURL, delay: .milliseconds(1), handler)
}

func response(_ status: Int, json: Any? = nil, headers: [String: String] = [:]) -> Result<HTTPResponse, HTTPError> {
    let body = json.map { (try? JSONSerialization.data(withJSONObject: $0)) ?? Data() } ?? Data()
    var h = headers
    if json != nil { h["content-type"] = "application/json" }
    return .success(
        HTTPResponse(
            status: status, headers: h, body: body, httpVersion: 2,
            timings: TransferTimings(queuedNs: 0, sentNs: 0, firstByteNs: 0, doneNs: 0)))
}

func k8sStatus(_ code: Int, reason: String, message: String) -> Result<HTTPResponse, HTTPError> {
    response(
        code,
        json: [
            "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "message": message,
            "code": code,
        ])
}

/// A well-behaved kplane for the five steps: the namespace appears after `namespacePolls` 404s,
/// Established after `establishedPolls` GETs without it, discovery after `discoveryPolls` 404s.
struct FakeKplane {
    var namespacePolls = 0
    var establishedPolls = 0
    var discoveryPolls = 0

    func answer(_ r: HTTPRequest, _ seen: Int) -> Result<HTTPResponse, HTTPError> {
        let path = r.url.components(separatedBy: "/control-plane").last ?? ""
        if path == "/readyz" {
            return .success(
                HTTPResponse(
                    status: 200, headers: [:], body: Data("ok".utf8), httpVersion: 2,
                    timings: .init(queuedNs: 0, sentNs: 0, firstByteNs: 0, doneNs: 0)))
        }
        if path == "/api/v1/namespaces/default" {
            return seen < namespacePolls
                ? k8sStatus(404, reason: "NotFound", message: "namespaces \"default\" not found")
                : response(200, json: ["kind": "Namespace", "metadata": ["name": "default"]])
        }
        if r.method == "POST" && path == "/apis/apiextensions.k8s.io/v1/customresourcedefinitions" {
            return response(201, json: ["kind": "CustomResourceDefinition"])
        }
        if path.hasPrefix("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/memwidgets.") {
            let established = seen >= establishedPolls
            return response(
                200,
                json: [
                    "kind": "CustomResourceDefinition",
                    "status": [
                        "conditions": [
                            ["type": "NamesAccepted", "status": "True"],
                            ["type": "Established", "status": established ? "True" : "False"],
                        ]
                    ],
                ])
        }
        if path.hasPrefix("/apis/mem-") {
            return seen < discoveryPolls
                ? k8sStatus(404, reason: "NotFound", message: "the server could not find the requested resource")
                : response(
                    200,
                    json: [
                        "kind": "APIResourceList", "groupVersion": "x/v1",
                        "resources": [["name": "memwidgets", "namespaced": true, "kind": "TestWidget"]],
                    ])
        }
        return k8sStatus(404, reason: "NotFound", message: "unexpected \(r.method) \(path)")
    }
}
