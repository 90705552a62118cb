internal import CCurl
import Glibc

extension HTTPError.Kind {
    /// Classifies a failed transfer by its `CURLcode`, the socket errno libcurl saw, and curl's error text.
    ///
    /// | CURLcode | kind |
    /// |---|---|
    /// | `OPERATION_TIMEDOUT` | `.timeout` |
    /// | `COULDNT_CONNECT` with errno `ECONNREFUSED` | `.connectionRefused` (other errnos: `.transport`) |
    /// | `RECV_ERROR`, `SEND_ERROR`, `HTTP2`, `HTTP2_STREAM`, `GOT_NOTHING`, `PARTIAL_FILE` | `.connectionReset` |
    /// | `SSL_*`, `PEER_FAILED_VERIFICATION`, `USE_SSL_FAILED` | `.tls(text)` |
    /// | `COULDNT_RESOLVE_HOST` | `.dns` |
    /// | `URL_MALFORMAT`, `UNSUPPORTED_PROTOCOL` | `.badRequest(text)` |
    /// | anything else | `.transport(code:message:)` |
    init(curlCode code: CURLcode, osErrno: Int, message: String) {
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            self = .timeout
        case CURLE_COULDNT_CONNECT where osErrno == Int(ECONNREFUSED):
            self = .connectionRefused
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
            self = .connectionReset
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            self = .tls(message)
        case CURLE_COULDNT_RESOLVE_HOST:
            self = .dns
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            self = .badRequest(message)
        default:
            self = .transport(code: Int(code.rawValue), message: message)
        }
    }
}
