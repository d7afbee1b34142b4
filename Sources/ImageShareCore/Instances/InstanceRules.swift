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
