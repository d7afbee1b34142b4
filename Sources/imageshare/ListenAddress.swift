import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The address `serve` will listen on, checked before the store is opened.
struct ListenAddress {
    let host: String
    let port: Int

    /// A one-line error for an address that cannot be listened on.
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    /// Binds a throw-away socket the way the server will (with SO_REUSEADDR), so that a port another process
    /// listens on is reported in words before anything is created.
    func checkAvailable() throws {
        guard port != 0 else { return }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found else {
            throw Unavailable(description: "cannot listen on \(host): it is not an address or a known host name; check --host")
        }
        defer { freeaddrinfo(found) }
        let descriptor = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            switch errno {
            case EADDRINUSE:
                throw Unavailable(description: "port \(port) on \(host) is already in use; choose another with --port")
            case EACCES:
                throw Unavailable(description: "port \(port) on \(host) needs more privileges; choose one above 1023 with --port")
            case EADDRNOTAVAIL:
                throw Unavailable(description: "\(host) is not an address of this machine; check --host")
            default:
                throw Unavailable(description: "cannot listen on \(host):\(port): \(String(cString: strerror(errno)))")
            }
        }
    }
}

/// The process's open-file limit, which bounds how many connections can be served at once.
enum OpenFileLimit {
    /// File descriptors the store, logs and listener need besides client connections.
    static let reserve = 64

    /// Raises the soft limit towards the hard one when `connections` would not fit, and warns if they still do not.
    static func raise(toServe connections: Int, logger: Logger) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let needed = rlim_t(connections + reserve)
        if limit.rlim_cur < needed {
            limit.rlim_cur = min(needed, limit.rlim_max)
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        if limit.rlim_cur < needed {
            logger.warning(
                "the open-file limit is lower than --max-connections needs; new clients will wait or be refused",
                metadata: [
                    "limit": "\(limit.rlim_cur)", "maxConnections": "\(connections)",
                    "fix": "raise it (ulimit -n \(needed)) or lower --max-connections to \(max(1, Int(limit.rlim_cur) - reserve))",
                ])
        }
    }
}
