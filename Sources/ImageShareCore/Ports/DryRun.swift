/// `DryRun=true` for the store writes of the current task.
///
/// Every store write honours it: the write runs all of its checks inside its transaction, exactly as for
/// real, and then rolls back with `DryRunOperation`. So a dry run answers with the same error the real call
/// would, and changes nothing.
public enum DryRun {
    @TaskLocal public static var isRequested = false
}
