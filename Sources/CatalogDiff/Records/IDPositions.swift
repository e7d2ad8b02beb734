/// The positions of a catalog's records by id, built on every core.
///
/// Indexing a 100 000-image catalog by id is 100 000 string hashes and inserts, a tenth of a second of one
/// core while the other waits. The ids are split into one dictionary per core by their last byte (a UUID's
/// last hex digit: an even split for any real catalog; a skewed one is slower, never wrong), each built by
/// its own worker in one pass over the catalog, in catalog order.
struct IDPositions: Sendable {
    /// Which of the positions an id listed more than once keeps.
    enum Repeats {
        case first, last
    }

    private let shards: [[String: Int]]

    /// Indexes `count` records; `id(index)` is a record's id, or nil for a record that must not be found.
    init(count: Int, keeping repeats: Repeats, id: (Int) -> String?) {
        let shardCount = count < Parallel.threshold ? 1 : Parallel.workerCount(for: count)
        shards = Parallel.mapPieces(shardCount) { shard in
            var positions: [String: Int] = Dictionary(minimumCapacity: count / shardCount + count / 64)
            for index in 0..<count {
                guard let id = id(index), Self.shard(of: id, among: shardCount) == shard else { continue }
                switch repeats {
                case .first: if positions[id] == nil { positions[id] = index }
                case .last: positions[id] = index
                }
            }
            return positions
        }
    }

    subscript(id: String) -> Int? {
        shards[Self.shard(of: id, among: shards.count)][id]
    }

    private static func shard(of id: String, among count: Int) -> Int {
        count == 1 ? 0 : Int(id.utf8.last ?? 0) % count
    }
}
