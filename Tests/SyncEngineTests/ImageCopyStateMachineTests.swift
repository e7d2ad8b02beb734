import CatalogDiff
import Testing

@testable import OpenStackAPI
@testable import SyncEngine

@Suite("ImageCopy.SpoolStateMachine: a copy through the spool without sockets")
struct ImageCopyStateMachineTests {
    typealias Machine = ImageCopy.SpoolStateMachine
    typealias Outcome = Result<Int64, ReplicatorError>

    static let mismatch = ReplicatorError.dataMismatch("md5 differs")
    static let broken = ReplicatorError.interrupted("the source stopped answering")
    static let refusal = ReplicatorError.dataMismatch("the target refused the record")

    struct ResumeCase: Sendable, CustomTestStringConvertible {
        let held: Int64
        let size: Int64
        let earlierMatches: Bool
        let expected: Machine.Start
        var testDescription: String { "held \(held) of \(size), journal matches: \(earlierMatches)" }
    }

    @Test(
        "what the spool file on disk is worth",
        arguments: [
            ResumeCase(held: 0, size: 100, earlierMatches: true, expected: .continueAt(0)),
            ResumeCase(held: 40, size: 100, earlierMatches: true, expected: .continueAt(40)),
            ResumeCase(held: 100, size: 100, earlierMatches: true, expected: .continueAt(100)),
            // Longer than the image: not its data, whatever the journal says.
            ResumeCase(held: 101, size: 100, earlierMatches: true, expected: .truncate),
            // The source's record changed since (or no record): the bytes belong to another image.
            ResumeCase(held: 40, size: 100, earlierMatches: false, expected: .truncate),
            ResumeCase(held: 0, size: 100, earlierMatches: false, expected: .truncate),
        ]
    )
    func resume(_ example: ResumeCase) {
        var machine = Machine(targets: 1)
        #expect(
            machine.resume(held: example.held, size: example.size, earlierMatches: example.earlierMatches)
                == example.expected
        )
        let start: Int64 = example.expected == .truncate ? 0 : example.held
        #expect(machine.nextRead() == .read(from: start, targets: [0], fresh: true))
    }

    @Test func everyTargetVerifiedDiscardsTheSpool() {
        var machine = Machine(targets: 2)
        _ = machine.resume(held: 30, size: 100, earlierMatches: true)
        #expect(machine.nextRead() == .read(from: 30, targets: [0, 1], fresh: true))
        let next = machine.readEnded(uploads: [(1, .success(100)), (0, .success(100))], fetchError: nil)
        #expect(next == .finish(.init(results: [.success(100), .success(100)], spool: .discard)))
    }

    @Test func aRefusedTargetTakesNoPartAndKeepsTheSpool() {
        var machine = Machine(targets: 3)
        _ = machine.resume(held: 0, size: 100, earlierMatches: false)
        machine.refused(1, Self.refusal)
        #expect(machine.nextRead() == .read(from: 0, targets: [0, 2], fresh: true))
        guard
            case .finish(let finish) = machine.readEnded(
                uploads: [(0, .success(100)), (2, .success(100))],
                fetchError: nil
            )
        else {
            Issue.record("expected the end")
            return
        }
        #expect(finish.results == [.success(100), .failure(Self.refusal), .success(100)])
        #expect(finish.failures.map(\.index) == [1])
        // A target still lacks the image: the next run goes on from the file.
        #expect(finish.spool == .keep)
    }

    @Test func everyTargetRefusedReadsNothing() {
        var machine = Machine(targets: 2)
        _ = machine.resume(held: 0, size: 100, earlierMatches: false)
        machine.refused(0, Self.refusal)
        machine.refused(1, Self.broken)
        #expect(
            machine.nextRead()
                == .finish(.init(results: [.failure(Self.refusal), .failure(Self.broken)], spool: .keep))
        )
    }

    @Test func dataThatDidNotVerifyIsReadOnceMoreFromTheStartIntoRecordsThatWereUsed() {
        var machine = Machine(targets: 2)
        _ = machine.resume(held: 60, size: 100, earlierMatches: true)
        _ = machine.nextRead()
        // The uploads, held back at their last chunk, failed with the read: what they say does not count.
        let uploads: [(Int, Outcome)] = [(0, .failure(Self.broken)), (1, .failure(Self.broken))]
        #expect(
            machine.readEnded(uploads: uploads, fetchError: Self.mismatch)
                == .truncateAndReadAgain(after: Self.mismatch)
        )
        #expect(machine.nextRead() == .read(from: 0, targets: [0, 1], fresh: false))
        #expect(
            machine.readEnded(uploads: [(0, .success(100)), (1, .success(100))], fetchError: nil)
                == .finish(.init(results: [.success(100), .success(100)], spool: .discard))
        )
    }

    @Test func dataThatFailsTwiceIsNotTheSourcesOwnAndIsDiscarded() {
        var machine = Machine(targets: 2)
        _ = machine.resume(held: 0, size: 100, earlierMatches: false)
        machine.refused(0, Self.refusal)
        _ = machine.nextRead()
        #expect(
            machine.readEnded(uploads: [], fetchError: Self.mismatch) == .truncateAndReadAgain(after: Self.mismatch)
        )
        #expect(machine.nextRead() == .read(from: 0, targets: [1], fresh: false))
        #expect(
            machine.readEnded(uploads: [(1, .failure(Self.broken))], fetchError: Self.mismatch)
                == .finish(.init(results: [.failure(Self.refusal), .failure(Self.mismatch)], spool: .discard))
        )
    }

    @Test func aReadThatBrokeOffKeepsTheSpoolForTheNextRun() {
        var machine = Machine(targets: 1)
        _ = machine.resume(held: 0, size: 100, earlierMatches: false)
        _ = machine.nextRead()
        // Not a mismatch: the bytes read so far are good, and the next run goes on after them.
        #expect(
            machine.readEnded(uploads: [(0, .success(100))], fetchError: Self.broken)
                == .finish(.init(results: [.failure(Self.broken)], spool: .keep))
        )
    }

    @Test func aBrokenUploadAloneKeepsTheSpool() {
        var machine = Machine(targets: 2)
        _ = machine.resume(held: 0, size: 100, earlierMatches: false)
        _ = machine.nextRead()
        #expect(
            machine.readEnded(uploads: [(0, .success(100)), (1, .failure(Self.broken))], fetchError: nil)
                == .finish(.init(results: [.success(100), .failure(Self.broken)], spool: .keep))
        )
    }

    @Test func aSpoolThatCannotBeEmptiedEndsTheCopy() {
        let full = ReplicatorError.spool("/var/spool/x", "No space left on device")
        var machine = Machine(targets: 1)
        _ = machine.resume(held: 0, size: 100, earlierMatches: false)
        _ = machine.nextRead()
        _ = machine.readEnded(uploads: [], fetchError: Self.mismatch)
        #expect(machine.truncateFailed(full) == .finish(.init(results: [.failure(full)], spool: .keep)))
    }

    @Test func oneReadOnlyWhenSoConfigured() {
        var machine = Machine(targets: 1, maxReads: 1)
        _ = machine.resume(held: 0, size: 100, earlierMatches: false)
        _ = machine.nextRead()
        #expect(
            machine.readEnded(uploads: [], fetchError: Self.mismatch)
                == .finish(.init(results: [.failure(Self.mismatch)], spool: .discard))
        )
    }
}
