import ECSWire
import Foundation
import HTTPTypes
import ImageShareCore

/// What a signed-in page shows around its own content (`page`): labels, the header's choices, the navigation.
struct PageContext<Content>: TemplateContext {
    let t: [String: String]
    let htmlLang: String
    let otherLanguage: String
    let otherLanguageTag: String
    let title: String
    let csrf: String
    let accountName: String
    let accountId: String
    let accountInitial: String
    let regions: [RegionOption]
    let regionName: String
    let returnPath: String
    let nav: Navigation
    var notice: String?
    var error: String?
    let page: Content
}

/// The sign-in page's context.
struct SignInContext: TemplateContext {
    let t: [String: String]
    let htmlLang: String
    let language: String
    let otherLanguage: String
    let otherLanguageTag: String
    let account: String
    var error: String?
    var notice: String?
}

struct RegionOption: TemplateContext {
    let id: String
    let name: String
    let selected: Bool
}

/// Which entry of the left navigation is the current page.
struct Navigation: TemplateContext {
    var instances = false
    var images = false
    var snapshots = false
    var security = false
}

struct Tab: TemplateContext {
    let key: String
    let label: String
    let href: String
    let active: Bool
}

struct Link: TemplateContext {
    let key: String
    let label: String
    let href: String
}

/// Previous / next links of a paged table.
struct Pager: TemplateContext {
    let text: String
    let previous: String?
    let next: String?
}

// MARK: Images

struct ImageRow: TemplateContext {
    let id: String
    let name: String
    let description: String
    let statusClass: String
    let statusLabel: String
    let progress: String?
    let progressValue: Int
    let progressStep: Int
    let osName: String
    let platform: String
    let architecture: String
    let size: Int
    let created: String
    let shareCount: Int
    let sharingLabel: String
    let owner: String
    /// Shown in the row; the rest go under "More".
    let actions: [Link]
    let moreActions: [Link]
}

struct ImagesPage: TemplateContext {
    let tab: String
    let tabs: [Tab]
    let name: String
    let countText: String
    let rows: [ImageRow]
    let showSharing: Bool
    let showOwner: Bool
    let emptyText: String
    let emptyAction: Link?
    let pager: Pager?
}

struct ShareRow: TemplateContext {
    let accountId: String
    let sharedAt: String
}

struct SharePage: TemplateContext {
    let image: ImageRow
    let account: String
    let fieldError: String?
    let shares: [ShareRow]
    let quotaText: String
    let full: Bool
}

/// A field of a generic form page. (Templates see stored properties only, so the kind is spelled out as flags.)
struct FormField: TemplateContext {
    let name: String
    let label: String
    let value: String
    let maxLength: Int
    let optional: Bool
    let help: String?
    /// Named apart from the page's own `error`: a template looks a missing name up in the enclosing context.
    let fieldError: String?
    let options: [SelectOption]
    let checked: Bool
    let isText: Bool
    let isTextArea: Bool
    let isSelect: Bool
    let isCheckbox: Bool

    enum Kind { case text, textArea, select, checkbox }

    init(
        name: String, label: String, value: String = "", maxLength: Int = 256, optional: Bool = false, help: String? = nil,
        error: String? = nil, options: [SelectOption] = [], checked: Bool = false, kind: Kind = .text
    ) {
        self.name = name
        self.label = label
        self.value = value
        self.maxLength = maxLength
        self.optional = optional
        self.help = help
        fieldError = error
        self.options = options
        self.checked = checked
        isText = kind == .text
        isTextArea = kind == .textArea
        isSelect = kind == .select
        isCheckbox = kind == .checkbox
    }
}

struct SelectOption: TemplateContext {
    let value: String
    let label: String
    let selected: Bool
}

struct Fact: TemplateContext {
    let label: String
    let value: String
}

struct Facts: TemplateContext {
    let items: [Fact]
}

/// A form on a page of its own: edit, copy, delete, create an image, re-initialise, release.
struct FormPage: TemplateContext {
    let heading: String
    var intro: String? = nil
    let action: String
    let backHref: String
    let backLabel: String
    var image: ImageRow? = nil
    var facts: Facts? = nil
    var fields: [FormField] = []
    let submitLabel: String
    var submitKind = "primary"
    /// Set when the action cannot succeed as things stand (a shared image cannot be deleted).
    var submitDisabled = false
    var warning: String? = nil
    var link: Link? = nil
    var stopForm: StopForm? = nil
}

// MARK: Instances

struct InstanceRow: TemplateContext {
    let id: String
    let name: String
    let statusClass: String
    let statusLabel: String
    let zone: String
    let imageId: String
    let osName: String
    let instanceType: String
    let shape: String
    let created: String
    let canStart: Bool
    let canStop: Bool
}

struct InstancesPage: TemplateContext {
    let rows: [InstanceRow]
    let imageFilter: String?
    let imageFilterText: String
    let emptyText: String
    let pager: Pager?
}

struct PickerImage: TemplateContext {
    let id: String
    let name: String
    /// Public images are named by their ID: it is shown once.
    let showId: Bool
    let osName: String
    let architecture: String
    let size: Int
    let owner: String?
    let selected: Bool
}

struct InstanceTypeOption: TemplateContext {
    let id: String
    let label: String
    let selected: Bool
}

/// One tab of the image picker: public, custom or shared images.
struct PickerGroup: TemplateContext {
    let key: String
    let label: String
    let active: Bool
    let images: [PickerImage]
    let emptyText: String
}

/// Choosing an image: creating instances, or replacing a system disk. Every group is on the page (without a
/// script they stand one under another; the script turns them into tabs), so switching keeps what was typed.
struct ImagePickerPage: TemplateContext {
    let heading: String
    var intro: String? = nil
    let action: String
    let groups: [PickerGroup]
    var imageError: String? = nil
    let showLaunchFields: Bool
    var instanceTypes: [InstanceTypeOption] = []
    var instanceName = ""
    var nameError: String? = nil
    var amount = 1
    let submitLabel: String
    /// Replacing a system disk needs a stopped instance: a running one gets a Stop button here.
    var stopForm: StopForm? = nil
}

/// A Stop button on a page whose action needs a stopped instance; it comes back to that page.
struct StopForm: TemplateContext {
    let action: String
    let returnPath: String
}

// MARK: Snapshots and security

struct SnapshotRow: TemplateContext {
    let id: String
    let name: String
    let diskId: String
    let diskType: String
    let size: Int
    let created: String
}

struct SnapshotsPage: TemplateContext {
    let rows: [SnapshotRow]
    let pager: Pager?
}

struct KeyRow: TemplateContext {
    let id: String
    let statusClass: String
    let statusLabel: String
    let created: String
    let toggleAction: String
    let toggleLabel: String
}

struct NewKey: TemplateContext {
    let id: String
    let secret: String
}

struct SecurityPage: TemplateContext {
    let keys: [KeyRow]
    var newKey: NewKey? = nil
    var passwordError: String? = nil
}

/// A page that only says something (a refused form), with the way back.
struct MessagePage: TemplateContext {
    let heading: String
    let text: String
}

/// An API refusal placed on a form: next to its field when it is about one, else at the top of the page; the
/// page answers with the API's status.
struct FormRefusal: TemplateContext {
    let message: String?
    let field: String?
    let status: HTTPResponse.Status

    init(_ error: ECSError?, _ language: ConsoleLanguage) {
        message = error.map { ConsoleText.message(for: $0, language: language) }
        field = error.flatMap(ConsoleText.field(of:))
        status = error.map { HTTPResponse.Status(code: $0.httpStatus) } ?? .ok
    }

    /// The message if it belongs next to the field `name`.
    func on(_ name: String) -> String? { field == name ? message : nil }

    /// The message if it belongs to no field of `fields`.
    func page(besides fields: [String]) -> String? { field.map(fields.contains) == true ? nil : message }
}

/// How the console writes times: UTC (the column headers say so), to the second.
enum ConsoleTime {
    static func format(_ date: Date) -> String {
        ECSTimestamp.format(date).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "")
    }
}
