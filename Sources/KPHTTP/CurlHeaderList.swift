internal import CCurl

/// A `curl_slist` of header lines shared by every request of one client (the `Authorization` line).
///
/// The only owner of the list: it is freed in `deinit`. It must outlive every transfer that uses
/// it, so the ``MultiDriver`` holds it for as long as it holds the multi handle.
final class CurlHeaderList {
    let list: UnsafeMutablePointer<curl_slist>

    init(lines: [String]) throws(CurlCallError) {
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for line in lines {
            guard let grown = curl_slist_append(list, line) else {
                if let list { curl_slist_free_all(list) }
                throw CurlCallError(function: "curl_slist_append", code: -1, message: "returned NULL (out of memory?)")
            }
            list = grown
        }
        guard let list else {
            throw CurlCallError(function: "curl_slist_append", code: -1, message: "no header lines given")
        }
        self.list = list
    }

    deinit { curl_slist_free_all(list) }
}
