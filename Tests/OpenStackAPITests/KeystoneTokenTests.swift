import CatalogDiff
import Foundation
import Testing

@testable import OpenStackAPI

@Suite("Keystone v3 tokens and catalogs")
struct KeystoneTokenTests {
    @Test(arguments: ["password-token.json", "appcred-token.json"])
    func realTokenBodyDecodes(_ fixture: String) throws {
        let token = try KeystoneToken(subjectToken: "gAAAAsecret", body: keystoneFixture(fixture))
        #expect(token.value == "gAAAAsecret")
        #expect(token.projectName == "demo")
        #expect(Set(token.roles) == ["member", "reader"])
        #expect(token.expiresAt.timeIntervalSince(token.issuedAt) == 3600)
        #expect(!token.description.contains("gAAAAsecret"))
    }

    @Test(arguments: [
        ("region-a", "public", "http://127.0.0.1:9292"), ("region-b", "public", "http://127.0.0.1:9293"),
        ("region-b", "internal", "http://127.0.0.1:9293"),
    ])
    func imageEndpointIsTheRegionsAndInterfaces(_ region: String, _ interface: String, _ url: String) throws {
        let token = try KeystoneToken(subjectToken: "t", body: keystoneFixture("password-token.json"))
        let found = try token.imageEndpoint(cloud: "c", region: region, interface: interface)
        #expect(found.url == url)
        #expect(found.region == region)
    }

    @Test func unknownRegionIsFatalAndListsTheKnownOnes() throws {
        let token = try KeystoneToken(subjectToken: "t", body: keystoneFixture("password-token.json"))
        let error = #expect(throws: ReplicatorError.self) {
            try token.imageEndpoint(cloud: "c", region: "region-x", interface: "public")
        }
        #expect(error?.category == .fatal)
        #expect(
            error?.message
                == "cloud c has no region region-x with an image endpoint (its catalog has region-a, region-b)"
        )
        let ambiguous = #expect(throws: ReplicatorError.self) {
            try token.imageEndpoint(cloud: "c", region: nil, interface: "public")
        }
        #expect(ambiguous?.category == .fatal)
        #expect(ambiguous?.message.contains("name one as cloud:c/REGION") == true)
    }

    @Test func catalogWithoutImageIsFatal() {
        let identity = KeystoneToken.Service(
            type: "identity",
            endpoints: [.init(interface: "public", region: "region-a", url: "http://k/v3")]
        )
        let token = KeystoneToken(value: "t", issuedAt: Date(), expiresAt: Date(), catalog: [identity])
        let error = #expect(throws: ReplicatorError.self) {
            try token.imageEndpoint(cloud: "c", region: "region-a", interface: "public")
        }
        #expect(error?.category == .fatal)
        #expect(
            error?.message.hasPrefix("the catalog of cloud c has no public image endpoint in region region-a") == true
        )
    }

    @Test func singleRegionIsChosenWithoutBeingNamed() throws {
        let image = KeystoneToken.Service(
            type: "image",
            endpoints: [
                .init(interface: "public", region: "only", url: "http://g:9292"),
                .init(interface: "internal", region: "only", url: "http://g-int:9292"),
            ]
        )
        let token = KeystoneToken(value: "t", issuedAt: Date(), expiresAt: Date(), catalog: [image])
        #expect(try token.imageEndpoint(cloud: "c", region: nil, interface: "internal").url == "http://g-int:9292")
        let missing = #expect(throws: ReplicatorError.self) {
            try token.imageEndpoint(cloud: "c", region: nil, interface: "admin")
        }
        #expect(missing?.message.contains("no admin image endpoint in region only") == true)
    }

    @Test func keystoneDatesWithAndWithoutFraction() {
        #expect(KeystoneToken.date("2026-11-25T20:39:23.000000Z") == KeystoneToken.date("2026-11-25T20:39:23Z"))
        #expect(KeystoneToken.date("2026-11-25T20:39:23Z") != nil)
        #expect(KeystoneToken.date("tomorrow") == nil)
    }

    @Test func applicationCredentialRequestCarriesNoScope() throws {
        let user = CloudConfig.Reference(name: "replicator", domainName: "Default")
        let body = KeystoneClient.body(.applicationCredential(id: nil, name: "ac", user: user, secret: "s"))
        let json = String(
            decoding: try JSONSerialization.data(withJSONObject: body, options: .sortedKeys),
            as: UTF8.self
        )
        #expect(
            json
                == #"{"auth":{"identity":{"application_credential":{"name":"ac","secret":"s","user":{"domain":{"name":"Default"},"name":"replicator"}},"methods":["application_credential"]}}}"#
        )
    }

    @Test func passwordRequestIsProjectScoped() throws {
        let body = KeystoneClient.body(
            .password(
                user: CloudConfig.Reference(id: "u1"),
                password: "p",
                project: CloudConfig.Reference(name: "demo", domainID: "default")
            )
        )
        let json = String(
            decoding: try JSONSerialization.data(withJSONObject: body, options: .sortedKeys),
            as: UTF8.self
        )
        #expect(
            json
                == #"{"auth":{"identity":{"methods":["password"],"password":{"user":{"id":"u1","password":"p"}}},"scope":{"project":{"domain":{"id":"default"},"name":"demo"}}}}"#
        )
    }
}
