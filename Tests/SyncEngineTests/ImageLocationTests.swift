import CatalogDiff
import Testing

@testable import OpenStackAPI
@testable import SyncEngine

@Suite("Parsing command-line locations")
struct ImageLocationTests {
    @Test(arguments: [
        ("127.0.0.1:9292", "http://127.0.0.1:9292"),
        ("glance.example:9292", "http://glance.example:9292"),
        ("[::1]:9292", "http://[::1]:9292"),
        ("  127.0.0.1:9292 ", "http://127.0.0.1:9292"),
        ("http://h:9292", "http://h:9292"),
        ("http://h:9292/", "http://h:9292"),
        ("http://h:9292/v2", "http://h:9292"),
        ("http://h:9292/v2/", "http://h:9292"),
        ("HTTP://h:9292", "http://h:9292"),
        ("https://cloud.example/image/v2", "https://cloud.example/image"),
        ("https://cloud.example/image/", "https://cloud.example/image"),
        ("https://cloud.example", "https://cloud.example"),
        ("http://[::1]:9292/v2", "http://[::1]:9292"),
        ("http://[fd00::5]/image", "http://[fd00::5]/image"),
    ])
    func validLocationIsNormalized(_ text: String, _ root: String) throws {
        let location = try ImageLocation(parsing: text)
        #expect(location.description == root)
        guard case .glance(let endpoint) = location else {
            Issue.record("\(text) is not a Glance endpoint")
            return
        }
        #expect(endpoint.root == root)
        // API paths are appended to the root, so it never ends in a slash.
        #expect(!endpoint.root.hasSuffix("/"))
    }

    @Test func bothFormsNameTheSameEndpoint() throws {
        #expect(try ImageLocation(parsing: "10.0.0.5:9292") == ImageLocation(parsing: "http://10.0.0.5:9292/v2/"))
    }

    @Test(arguments: [
        "ftp://x", "justahost", "host:99999", "host:0", "host:", ":9292", "host:port", "http://", "https://",
        "http://h:0", "http://h:9292?x=1", "http://h:9292#top", "::1:9292", "host/path:9292", "my host:9292", "",
    ])
    func invalidLocationIsAUsageError(_ text: String) {
        let error = #expect(throws: ReplicatorError.self) { try ImageLocation(parsing: text) }
        #expect(error?.category == .usage)
        #expect(error?.message.contains("is not a location") == true)
        #expect(error?.status == nil)
    }

    @Test(arguments: [
        ("cloud:prod/region-a", "prod", "region-a"), ("cloud:prod", "prod", nil),
        ("cloud:lab/Region/One", "lab", "Region/One"),
    ])
    func cloudLocationNamesCloudAndRegion(_ text: String, _ name: String, _ region: String?) throws {
        let location = try ImageLocation(parsing: text, environment: [:])
        #expect(location == .cloud(CloudLocation(name: name, region: region)))
        #expect(location.description == text)
    }

    @Test(arguments: ["cloud:", "cloud:/region-a", "cloud:prod/", "cloud:my cloud/r"])
    func incompleteCloudLocationIsAUsageError(_ text: String) {
        let error = #expect(throws: ReplicatorError.self) { try ImageLocation(parsing: text, environment: [:]) }
        #expect(error?.category == .usage)
        #expect(error?.message.contains("cloud:NAME[/REGION]") == true)
    }

    /// OS_CLOUD and OS_REGION_NAME as the openstack CLI takes them: `cloud:` is OS_CLOUD's cloud, and its
    /// region is OS_REGION_NAME unless the location names one. Another cloud never takes OS_REGION_NAME.
    @Test(arguments: [
        ("cloud:", ["OS_CLOUD": "prod"], "cloud:prod"),
        ("cloud:", ["OS_CLOUD": "prod", "OS_REGION_NAME": "RegionOne"], "cloud:prod/RegionOne"),
        ("cloud:/RegionTwo", ["OS_CLOUD": "prod", "OS_REGION_NAME": "RegionOne"], "cloud:prod/RegionTwo"),
        ("cloud:prod", ["OS_CLOUD": "prod", "OS_REGION_NAME": "RegionOne"], "cloud:prod/RegionOne"),
        ("cloud:lab", ["OS_CLOUD": "prod", "OS_REGION_NAME": "RegionOne"], "cloud:lab"),
        ("cloud:lab/r", ["OS_CLOUD": "prod", "OS_REGION_NAME": "RegionOne"], "cloud:lab/r"),
        ("cloud:prod", ["OS_REGION_NAME": "RegionOne"], "cloud:prod"),
    ])
    func cloudDefaultsFromEnvironment(_ text: String, _ environment: [String: String], _ resolved: String) throws {
        #expect(try ImageLocation(parsing: text, environment: environment).description == resolved)
    }

    @Test func bareCloudWithoutOSCloudSaysWhatToSet() {
        let error = #expect(throws: ReplicatorError.self) {
            try ImageLocation(parsing: "cloud:", environment: ["OS_REGION_NAME": "RegionOne"])
        }
        #expect(error?.category == .usage)
        #expect(error?.message.contains("OS_CLOUD is not set") == true)
    }

    @Test(arguments: [
        ("dir:/srv/dumps/r1", "/srv/dumps/r1"),
        ("dir:/srv/dumps/r1/", "/srv/dumps/r1"),
        ("dir:/srv/./dumps//r1", "/srv/dumps/r1"),
        (" dir:/x ", "/x"),
    ])
    func dumpDirectoryIsAbsoluteAndNormalized(_ text: String, _ path: String) throws {
        guard case .dump(let directory) = try ImageLocation(parsing: text) else {
            Issue.record("\(text) is not a dump directory")
            return
        }
        #expect(directory.path == path)
        #expect(directory.description == "dir:" + path)
    }

    @Test func relativeDumpDirectoryIsTakenFromTheCurrentDirectory() throws {
        guard case .dump(let directory) = try ImageLocation(parsing: "dir:some/dump") else {
            Issue.record("not a dump directory")
            return
        }
        #expect(directory.path.hasPrefix("/"))
        #expect(directory.path.hasSuffix("/some/dump"))
    }

    @Test func emptyDumpPathIsAUsageError() {
        let error = #expect(throws: ReplicatorError.self) { try ImageLocation(parsing: "dir:") }
        #expect(error?.category == .usage)
    }
}
