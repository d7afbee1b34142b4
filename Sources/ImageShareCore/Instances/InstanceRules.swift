/// Rules for instances that do not depend on their image.
public enum InstanceRules {
    /// A launch may not take an account past `quota` instances in one region; a launch of several instances
    /// is refused whole rather than cut short.
    public static func checkQuota(ownedInRegion: Int, adding: Int, quota: Int) throws(ECSError) {
        guard ownedInRegion + adding <= quota else { throw .instanceQuotaExceeded }
    }

    /// ECS refuses an image whose architecture the instance type cannot run (an arm64 image on `ecs.g7.large`).
    public static func checkCompatible(imageId: String, _ image: Architecture, with type: InstanceType) throws(ECSError) {
        guard type.runs(image) else {
            throw .instanceTypeImageMismatch(
                instanceType: type.id, typeArchitecture: type.architecture.rawValue, imageId: imageId,
                imageArchitecture: image.rawValue)
        }
    }
}

extension InstanceRules {
    /// Most changes to an instance (disks, groups, addresses, images) need it `Running` or `Stopped`, not on
    /// its way between them; `status` is the stored spelling.
    public static func checkSettled(_ status: String, orThrow error: ECSError = .incorrectInstanceStatus) throws(ECSError) {
        guard status == InstanceStatus.running.rawValue || status == InstanceStatus.stopped.rawValue else { throw error }
    }

    /// ECS's limit on user data, before Base64.
    public static let maxUserDataBytes = 32 * 1_024

    /// User data must be Base64 (standard alphabet, padded) of at most 32 KiB; returns it without the line
    /// breaks Base64 tools wrap it in.
    public static func checkUserData(_ wrapped: String) throws(ECSError) -> String {
        let text = wrapped.filter { $0 != "\n" && $0 != "\r\n" && $0 != "\r" }
        let bytes = Array(text.utf8)
        guard bytes.count % 4 == 0 else { throw .userDataMalformed }
        let padding = bytes.reversed().prefix(while: { $0 == UInt8(ascii: "=") }).count
        guard padding <= 2 else { throw .userDataMalformed }
        for byte in bytes.dropLast(padding) {
            let isAlphabet = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
            guard isAlphabet else { throw .userDataMalformed }
        }
        guard bytes.count / 4 * 3 - padding <= maxUserDataBytes else { throw .userDataTooLarge }
        return text
    }

    /// Passwords: 8–30 characters from three of upper case, lower case, digits and ECS's special characters.
    public static func isValidPassword(_ password: String) -> Bool {
        let specials = Set("()`~!@#$%^&*-_+=|{}[]:;'<>,.?/")
        guard (8...30).contains(password.count) else { return false }
        var classes = Set<Int>()
        for character in password {
            if character.isASCII, character.isUppercase {
                classes.insert(0)
            } else if character.isASCII, character.isLowercase {
                classes.insert(1)
            } else if character.isASCII, character.isNumber {
                classes.insert(2)
            } else if specials.contains(character) {
                classes.insert(3)
            } else {
                return false
            }
        }
        return classes.count >= 3
    }
}
