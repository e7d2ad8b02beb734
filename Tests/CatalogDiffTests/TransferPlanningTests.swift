import CatalogDiff
import Testing

@Suite("Transfer order, budget and quantities")
struct TransferPlanningTests {
    let images = [
        ImageRecord(id: "c", name: "alpha", status: "active", size: 300, createdAt: "2026-01-03T00:00:00Z"),
        ImageRecord(id: "a", name: "gamma", status: "active", size: 100, createdAt: "2026-01-02T00:00:00Z"),
        ImageRecord(id: "b", name: "beta", status: "active", size: 200, createdAt: "2026-01-01T00:00:00Z"),
        ImageRecord(id: "d", name: "beta", status: "active", size: 100, createdAt: "2026-01-01T00:00:00Z"),
    ]

    @Test(arguments: [
        (TransferOrder.size, ["a", "d", "b", "c"]),
        (TransferOrder.name, ["c", "b", "d", "a"]),
        (TransferOrder.created, ["b", "d", "a", "c"]),
    ])
    func order(order: TransferOrder, ids: [String]) {
        #expect(order.sorted(images).map(\.id) == ids)
    }

    @Test func maxBytesAdmitsWhatFitsAndLetsSmallerImagesThrough() {
        var budget = TransferBudget(maxBytes: 250)
        let admitted = [100, 200, 150, 1].map { budget.admit(size: $0, elapsed: 0) }
        #expect(admitted == [true, false, true, false])
        #expect(budget.startedBytes == 250)
    }

    @Test func maxSecondsStopsNewStarts() {
        var budget = TransferBudget(maxSeconds: 60)
        let admitted = [(Int64(1) << 40, 59.9), (0, 60)].map { budget.admit(size: $0.0, elapsed: $0.1) }
        #expect(admitted == [true, false])
    }

    @Test func noLimitsAdmitEverything() {
        var budget = TransferBudget()
        let admitted = budget.admit(size: .max / 2, elapsed: 1e9)
        #expect(admitted)
    }

    @Test(arguments: [
        ("1048576", Int64(1_048_576)), ("64K", 65536), ("50M", 52_428_800), ("1.5G", 1_610_612_736),
        ("2T", 2_199_023_255_552), ("10MiB", 10_485_760), ("10MB", 10_000_000), ("20M/s", 20_971_520),
        ("1kb", 1000),
    ])
    func sizes(text: String, bytes: Int64) {
        #expect(Quantity.bytes(text) == bytes)
    }

    @Test(arguments: ["", "fast", "-1", "0", "12Q", "M", "1..5G"])
    func notSizes(text: String) {
        #expect(Quantity.bytes(text) == nil)
    }

    @Test(arguments: [("45", 45.0), ("45s", 45), ("90m", 5400), ("2h", 7200), ("1h30m", 5400), ("1d", 86400)])
    func durations(text: String, seconds: Double) {
        #expect(Quantity.seconds(text) == seconds)
    }

    @Test(arguments: ["", "soon", "0", "5x", "h", "-3m"])
    func notDurations(text: String) {
        #expect(Quantity.seconds(text) == nil)
    }

    @Test(arguments: [
        (Int64(17), "17 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (1_073_741_824, "1.0 GiB"),
        (5_905_580_032, "5.5 GiB"),
        (Int64.max, "8.0 EiB"),
    ])
    func describedSizes(bytes: Int64, text: String) {
        #expect(Quantity.describe(bytes: bytes) == text)
    }
}
