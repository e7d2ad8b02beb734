import CatalogDiff
import NIOCore
import Testing

@testable import OpenStackAPI

@Suite("Glance error bodies as one-line messages")
struct GlanceErrorMessageTests {
    static func message(_ body: String) -> String {
        GlanceClient.serverMessage(ByteBuffer(string: body))
    }

    @Test func jsonBodyOfGlance33() {
        let body = #"""
            {"message": "Image with identifier 0000 not found<br /><br />\n\n\n", "code": "404 Not Found", \#
            "title": "Not Found"}
            """#
        #expect(Self.message(body) == "Image with identifier 0000 not found")
    }

    @Test func htmlBodyOfGlance33() {
        let body =
            "<html>\n <head>\n  <title>409 Conflict</title>\n </head>\n <body>\n  <h1>409 Conflict</h1>\n"
            + "  Image ID 1 already exists!<br /><br />\n\n\n\n </body>\n</html>"
        let message = Self.message(body)
        #expect(!message.contains("\n"))
        #expect(!message.contains("<"))
        #expect(!message.contains("  "))
        #expect(message.hasSuffix("Image ID 1 already exists!"))
        #expect(message.contains("409 Conflict"))
    }

    @Test func nestedErrorObject() {
        let body = #"{"error": {"message": "The request you have made requires authentication.", "code": 401}}"#
        #expect(Self.message(body) == "The request you have made requires authentication.")
    }

    @Test func otherJSONIsKeptAsText() {
        #expect(Self.message(#"{"detail": "x"}"#) == #"{"detail": "x"}"#)
    }

    @Test func emptyBody() {
        #expect(Self.message("") == "")
        #expect(Self.message(" \n\t ") == "")
    }

    @Test(arguments: [299, 300, 301, 5000])
    func longBodyIsCut(_ length: Int) {
        let body = String(repeating: "word ", count: length / 5 + 1).prefix(length)
        let message = Self.message(String(body))
        #expect(message.count <= 303)
        if message.count > 300 {
            #expect(message.hasSuffix("..."))
            #expect(message.count == 303)
        } else {
            #expect(!message.hasSuffix("..."))
        }
    }

    @Test func longMessageInJSONIsCut() {
        let text = String(repeating: "x", count: 1000)
        let message = Self.message(#"{"message": "\#(text)"}"#)
        #expect(message == String(repeating: "x", count: 300) + "...")
    }
}

@Suite("Retry delays")
struct RetryPolicyTests {
    static let policy = RetryPolicy(attempts: 5, initialBackoff: .milliseconds(100), maximumBackoff: .seconds(2))

    @Test func retryAfterIsHonoured() {
        #expect(Self.policy.delay(beforeRetry: 1, retryAfter: .seconds(1)) == .seconds(1))
        #expect(Self.policy.delay(beforeRetry: 3, retryAfter: .zero) == .zero)
    }

    @Test func retryAfterIsCappedAtTheMaximum() {
        #expect(Self.policy.delay(beforeRetry: 1, retryAfter: .seconds(3600)) == .seconds(2))
    }

    /// Retry `n` waits a random time in [ceiling/2, ceiling], ceiling = initial * 2^(n-1) up to the maximum.
    @Test(arguments: [
        (1, TimeAmount.milliseconds(100)), (2, .milliseconds(200)), (3, .milliseconds(400)), (4, .milliseconds(800)),
        (5, .milliseconds(1600)), (6, .seconds(2)), (40, .seconds(2)), (Int.max, .seconds(2)),
    ])
    func jitteredBackoffStaysWithinBounds(_ retry: Int, _ ceiling: TimeAmount) {
        let delays = (0..<500).map { _ in Self.policy.delay(beforeRetry: retry, retryAfter: nil) }
        let low = TimeAmount.nanoseconds(ceiling.nanoseconds / 2)
        #expect(delays.allSatisfy { $0 >= low && $0 <= ceiling })
        // Jittered, not constant: 500 draws from a range of ~10^8 ns are not all equal.
        #expect(Set(delays.map(\.nanoseconds)).count > 1)
    }

    @Test func defaultPolicy() {
        #expect(RetryPolicy.default.attempts == 4)
        let first = RetryPolicy.default.delay(beforeRetry: 1, retryAfter: nil)
        #expect(first >= .milliseconds(125) && first <= .milliseconds(250))
    }

    /// `send` sleeps `UInt64(delay.nanoseconds)`, which traps on a negative delay, and `Retry-After` is parsed
    /// with `Int64.init`, which accepts "-1": a server (or proxy) answering `503` with `Retry-After: -1`
    /// crashes the replicator.
    @Test func negativeRetryAfterIsNotANegativeDelay() {
        #expect(Self.policy.delay(beforeRetry: 1, retryAfter: .seconds(-1)) == .zero)
    }

    @Test(arguments: [
        ("You are not authorized to complete publicize_image action.", "publicize_image"),
        ("You are not authorized to complete copy_image action.", "copy_image"),
        ("You are not permitted to create images owned by 'p2'.", "setting the owner"),
    ])
    func forbiddenByPolicyNamesTheMissingRole(_ message: String, _ policy: String) throws {
        let refusal = try #require(RoleRefusal(glanceMessage: message))
        #expect(refusal.policy == policy)
        #expect(refusal.role == "admin")
        let error = ReplicatorError.roleRefused(
            "http://g",
            request: "POST /v2/images",
            refusal: refusal,
            detail: message
        )
        #expect(error.category == .image)
        #expect(error.message.hasSuffix("allows \(policy) to the admin role only, which the credentials lack"))
        #expect(RoleRefusal(glanceMessage: "Forbidden to delete a protected image") == nil)
    }
}
