import NIOSSL

/// The certificate chain and private key `--tls-cert` and `--tls-key` name, loaded and checked at start.
public enum TLSFiles {
    /// Why the files cannot serve TLS, in one line that names the file.
    public struct Unusable: Error, CustomStringConvertible {
        public let description: String
    }

    /// A server configuration for the PEM files at `certificatePath` and `keyPath`.
    ///
    /// Everything that could fail later (unreadable files, a key that does not match the certificate) fails
    /// here, before the server prints or creates anything.
    public static func serverConfiguration(certificatePath: String, keyPath: String) throws(Unusable) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw Unusable(description: "cannot read a PEM certificate from --tls-cert \(certificatePath): \(error)")
        }
        guard !chain.isEmpty else {
            throw Unusable(description: "--tls-cert \(certificatePath) holds no PEM certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw Unusable(description: "cannot read a PEM private key from --tls-key \(keyPath): \(error)")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw Unusable(
                description: "--tls-key \(keyPath) does not fit --tls-cert \(certificatePath) (\(error))")
        }
        return configuration
    }
}
