import CatalogDiff
import Testing

@testable import OpenStackAPI
@testable import SyncEngine

@Suite("DownloadStateMachine: resuming without sockets")
struct DownloadStateMachineTests {
    @Test func cleanDownloadFinishes() {
        var machine = DownloadStateMachine(size: 10, maxResumes: 2)
        #expect(machine.start() == .request(rangeStart: nil))
        let started200 = machine.responseStarted(status: 200)
        #expect(started200)
        #expect(machine.received(6) == .forward(dropping: 0))
        #expect(machine.received(4) == .forward(dropping: 0))
        #expect(machine.bodyEnded() == .finish)
        #expect(machine.state == .finished)
        #expect(machine.delivered == 10)
    }

    @Test func breakResumesWithARangeFromTheLastDeliveredByte() {
        var machine = DownloadStateMachine(size: 100, maxResumes: 3)
        _ = machine.start()
        _ = machine.responseStarted(status: 200)
        _ = machine.received(40)
        #expect(machine.connectionBroke() == .resume(rangeStart: 40, afterRetry: 1))
        let started206 = machine.responseStarted(status: 206)
        #expect(started206)
        #expect(machine.received(60) == .forward(dropping: 0))
        #expect(machine.bodyEnded() == .finish)
        #expect(machine.resumes == 1)
    }

    @Test func earlyEndOfBodyIsABreak() {
        var machine = DownloadStateMachine(size: 100, maxResumes: 1)
        _ = machine.start()
        _ = machine.responseStarted(status: 200)
        _ = machine.received(30)
        #expect(machine.bodyEnded() == .resume(rangeStart: 30, afterRetry: 1))
    }

    @Test func breakBeforeAnyByteRetriesWithoutARange() {
        var machine = DownloadStateMachine(size: 100, maxResumes: 1)
        _ = machine.start()
        #expect(machine.connectionBroke() == .resume(rangeStart: nil, afterRetry: 1))
    }

    @Test func refusedRangeRereadsFromZeroAndSkipsWhatWasDelivered() {
        var machine = DownloadStateMachine(size: 100, maxResumes: 3)
        _ = machine.start()
        _ = machine.responseStarted(status: 200)
        _ = machine.received(50)
        #expect(machine.connectionBroke() == .resume(rangeStart: 50, afterRetry: 1))
        #expect(machine.rangeRefused() == .request(rangeStart: nil))
        let started200 = machine.responseStarted(status: 200)
        #expect(started200)
        #expect(machine.received(30) == .forward(dropping: 30))
        #expect(machine.received(30) == .forward(dropping: 20))
        #expect(machine.delivered == 60)
        // Later breaks never ask for a range again.
        #expect(machine.connectionBroke() == .resume(rangeStart: nil, afterRetry: 2))
    }

    @Test func givesUpAfterTheLastResume() {
        var machine = DownloadStateMachine(size: 100, maxResumes: 2)
        _ = machine.start()
        _ = machine.connectionBroke()
        _ = machine.connectionBroke()
        #expect(machine.connectionBroke() == .fail)
        #expect(machine.state == .failed)
    }

    @Test(arguments: [204, 400, 404, 416, 500])
    func nonDataAnswersAreNotStarted(status: Int) {
        var machine = DownloadStateMachine(size: 1, maxResumes: 1)
        _ = machine.start()
        let started = machine.responseStarted(status: status)
        #expect(!started)
    }

    @Test func emptyImageFinishesAtOnce() {
        var machine = DownloadStateMachine(size: 0, maxResumes: 1)
        _ = machine.start()
        _ = machine.responseStarted(status: 200)
        #expect(machine.bodyEnded() == .finish)
    }
}
