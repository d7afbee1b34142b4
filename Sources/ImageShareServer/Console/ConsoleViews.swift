import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// The console's templates and assets, compiled into the binary, and the headers every page is sent with.
struct ConsoleViews: Sendable {
    private let library: MustacheLibrary

    /// Every template, by the name pages and partials use.
    private static let templates: [String: [UInt8]] = [
        "layout": PackageResources.layout_mustache,
        "sign-in": PackageResources.sign_in_mustache,
        "images": PackageResources.images_mustache,
        "pager": PackageResources.pager_mustache,
        "share": PackageResources.share_mustache,
        "image-form": PackageResources.image_form_mustache,
        "image-picker": PackageResources.image_picker_mustache,
        "instances": PackageResources.instances_mustache,
        "snapshots": PackageResources.snapshots_mustache,
        "security": PackageResources.security_mustache,
        "message": PackageResources.message_mustache,
    ]

    init() {
        var library = MustacheLibrary()
        for (name, bytes) in Self.templates {
            // The templates are part of the source: one that does not parse is a bug caught by every test run.
            try! library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        self.library = library
    }

    /// No inline script or style anywhere, no framing, forms post only to the console itself.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"

    static func securityHeaders(cacheable: Bool = false) -> HTTPFields {
        [
            .contentSecurityPolicy: contentSecurityPolicy,
            HTTPField.Name("X-Frame-Options")!: "DENY",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "same-origin",
            .cacheControl: cacheable ? "public, max-age=3600" : "no-store",
        ]
    }

    /// A page rendered from `template` with `context`.
    func page(_ template: String, _ context: Any, status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(Self.flattened(context), withTemplate: template) ?? ""
        var headers = Self.securityHeaders()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// The stylesheet or script, by file name; nil for anything else.
    static func asset(named name: String) -> Response? {
        let found: ([UInt8], String)? =
            switch name {
            case "console.css": (PackageResources.console_css, "text/css; charset=utf-8")
            case "console.js": (PackageResources.console_js, "text/javascript; charset=utf-8")
            default: nil
            }
        guard let (bytes, type) = found else { return nil }
        var headers = securityHeaders(cacheable: true)
        headers[.contentType] = type
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// A struct the console's templates render; `ConsoleViews` turns it into a dictionary before rendering.
protocol TemplateContext {}

extension ConsoleViews {
    /// `value` with every `TemplateContext` in it turned into a dictionary of its non-nil fields, reflected once.
    ///
    /// swift-mustache finds a struct's field with a new `Mirror` for every name it resolves, at every level
    /// of the section stack it searches; that was about 70 % of the images page's CPU. A nil field is left
    /// out, which the templates see just as they saw the nil: not found here, so looked up further out.
    static func flattened(_ value: Any) -> Any {
        switch value {
        // Most values are text, flags and numbers: casts to concrete types are cheap, protocol checks are not.
        case is String, is Bool, is Int:
            return value
        case is any TemplateContext:
            var fields: [String: Any] = [:]
            for child in Mirror(reflecting: value).children {
                guard let label = child.label, let field = unwrapped(child.value) else { continue }
                fields[label] = flattened(field)
            }
            return fields
        case let array as [Any]:
            return array.map(flattened)
        default:
            return value
        }
    }

    /// The value inside an optional (nil when it holds none), or `value` itself.
    private static func unwrapped(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first?.value
    }
}
