import CatalogDiff
import Testing

@Suite("Name globs")
struct NameGlobTests {
    @Test(arguments: [
        ("debian-*", "debian-12", true),
        ("debian-*", "debian-", true),
        ("debian-*", "ubuntu-debian-12", false),
        ("*-12", "debian-12", true),
        ("*", "", true),
        ("", "", true),
        ("", "x", false),
        ("deb?an", "debian", true),
        ("deb?an", "debain", false),
        ("deb?an", "debn", false),
        ("cirros-0.[5-6]*", "cirros-0.6.2", true),
        ("cirros-0.[5-6]*", "cirros-0.4.0", false),
        ("[!a-c]*", "debian", true),
        ("[!a-c]*", "centos", false),
        ("a*b*c", "aXXbYYc", true),
        ("a*b*c", "aXXbYY", false),
        ("*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
        ("\\*literal", "*literal", true),
        ("\\*literal", "xliteral", false),
        ("[]]x", "]x", true),
        ("Ünï*", "Ünïcode", true),
    ])
    func matchesWholeNames(pattern: String, name: String, expected: Bool) throws {
        let glob = try #require(NameGlob(pattern))
        #expect(glob.matches(name) == expected, "\(pattern) ~ \(name)")
    }

    @Test(arguments: ["debian-[12", "[", "[z-a]"])
    func unclosedOrBackwardSetIsRejected(pattern: String) {
        #expect(NameGlob(pattern) == nil)
    }
}
