import ECSWire
import ImageShareCore
import Testing

@Suite("parameter bag")
struct ParameterBagTests {
    let bag = ParameterBag([
        ("RegionId", "cn-hangzhou"), ("PageSize", "20"), ("DryRun", "True"), ("IsPublic", "false"),
        ("AddAccount.1", "1111111111111111"), ("AddAccount.2", "2222222222222222"), ("AddAccount.4", "4"),
        ("ImageId", "m-a, m-b,,"), ("InstanceIds", #"["i-1","i-2"]"#), ("Empty", ""), ("RegionId", "ignored"),
    ])

    @Test("required parameters: present, absent and empty")
    func required() throws {
        #expect(try bag.required("RegionId") == "cn-hangzhou")
        #expect(throws: ECSError.missingParameter("ImageId2")) { try bag.required("ImageId2") }
        #expect(throws: ECSError.missingParameter("Empty")) { try bag.required("Empty") }
        let error = ECSError.missingParameter("RegionId")
        #expect(error.httpStatus == 400)
        #expect(error.message == #"The input parameter "RegionId" that is mandatory for processing this request is not supplied."#)
    }

    @Test("integers are range-checked")
    func integers() throws {
        #expect(try bag.int("PageSize", in: 1...100) == 20)
        #expect(try bag.int("Missing", in: 1...100) == nil)
        #expect(throws: ECSError.self) { try bag.int("PageSize", in: 1...10) }
        #expect(throws: ECSError.self) { try ParameterBag([("PageSize", "ten")]).int("PageSize", in: 1...100) }
    }

    @Test("booleans accept Python's True/False spelling")
    func booleans() throws {
        #expect(try bag.bool("DryRun") == true)
        #expect(try bag.bool("IsPublic") == false)
        #expect(try bag.bool("Missing") == nil)
        #expect(throws: ECSError.self) { try ParameterBag([("DryRun", "yes")]).bool("DryRun") }
    }

    @Test("indexed lists stop at the first gap; comma and JSON lists parse")
    func lists() throws {
        #expect(bag.indexedList("AddAccount") == ["1111111111111111", "2222222222222222"])
        #expect(bag.commaList("ImageId") == ["m-a", "m-b"])
        #expect(try bag.idArray("InstanceIds") == ["i-1", "i-2"])
    }

    @Test("ID lists in every form real clients send; anything else is InvalidParameter")
    func idListForms() throws {
        let accepted: [(String, [String])] = [
            (#"["i-1","i-2"]"#, ["i-1", "i-2"]),  // JSON (official SDKs, Libcloud)
            (#"[ "i-1" , "i-2" ]"#, ["i-1", "i-2"]),
            ("['s-1']", ["s-1"]),  // str(list) (footmark's SnapshotIds)
            ("['s-1', 's-2']", ["s-1", "s-2"]),
            (#"["d-1""d-2"]"#, ["d-1", "d-2"]),  // footmark's hand-built DiskIds
            ("[i-1,i-2]", ["i-1", "i-2"]),
            ("i-1", ["i-1"]),
            ("i-1, i-2", ["i-1", "i-2"]),
            ("[]", []),
        ]
        for (text, ids) in accepted {
            #expect(try ParameterBag([("InstanceIds", text)]).idArray("InstanceIds") == ids, "\(text)")
        }
        for text in [#"["i-1"#, #"["i-1"x]"#, #"["i\"1"]"#, "['i 1']", #"["i-1',"i-2"]"#, #"[["i-1"]]"#, #"[{"a":1}]"#, "[1 2]"] {
            #expect(throws: ECSError.self, "\(text)") { try ParameterBag([("InstanceIds", text)]).idArray("InstanceIds") }
        }
    }

    @Test("paging defaults and limits")
    func paging() throws {
        #expect(try ParameterBag([]).page() == PageRequest(number: 1, size: 10))
        #expect(try ParameterBag([("PageNumber", "3"), ("PageSize", "100")]).page() == PageRequest(number: 3, size: 100))
        #expect(throws: ECSError.self) { try ParameterBag([("PageSize", "101")]).page() }
        #expect(throws: ECSError.self) { try ParameterBag([("PageNumber", "0")]).page() }
    }

    @Test("enumerations match case-insensitively and reject unknown values with the given error")
    func enumerations() throws {
        #expect(try ParameterBag([("OSType", "Linux")]).oneOf("OSType", OSType.self, orThrow: .invalidOSType) == .linux)
        #expect(throws: ECSError.invalidOSType) {
            try ParameterBag([("OSType", "beos")]).oneOf("OSType", OSType.self, orThrow: .invalidOSType)
        }
    }
}
