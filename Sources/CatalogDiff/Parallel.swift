import Dispatch
import Foundation

/// Work spread over the machine's cores, for the per-image steps of planning a 100 000-image catalog.
/// Pure computation only: the closures must not share mutable state, and results keep their order.
public enum Parallel {
    /// Below this many elements a single thread is quicker than starting others.
    static let threshold = 4096

    /// `(0..<count).map(transform)`, computed in contiguous chunks on every core, each written in place.
    public static func map<T>(_ count: Int, _ transform: (Int) -> T) -> [T] {
        let workers = workerCount(for: count)
        if workers == 1 { return (0..<count).map(transform) }
        return inPlace(count, parts: workers, transform) { worker in
            (worker * count / workers)..<((worker + 1) * count / workers)
        }
    }

    /// `(0..<count).map(transform)` where each element is a large piece of work (a chunk of a report, half
    /// of a sort): every element is a task of its own, taken by whichever core is free (however few there
    /// are; `map` would compute fewer than `threshold` elements on one core).
    public static func mapPieces<T>(_ count: Int, _ transform: (Int) -> T) -> [T] {
        guard count > 1, ProcessInfo.processInfo.activeProcessorCount > 1 else { return (0..<count).map(transform) }
        return inPlace(count, parts: count, transform) { $0..<($0 + 1) }
    }

    /// `count` results of `transform`, written in place by `parts` workers on `concurrentPerform`, the worker
    /// `part` computing the indices `indices(part)` (the parts together covering `0..<count` once).
    private static func inPlace<T>(
        _ count: Int,
        parts: Int,
        _ transform: (Int) -> T,
        indices: (Int) -> Range<Int>
    ) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            let base = UnsafeSendable(buffer.baseAddress!)
            withoutActuallyEscaping(transform) { transform in
                withoutActuallyEscaping(indices) { indices in
                    let (work, range) = (UnsafeSendable(transform), UnsafeSendable(indices))
                    DispatchQueue.concurrentPerform(iterations: parts) { part in
                        for index in range.value(part) { (base.value + index).initialize(to: work.value(index)) }
                    }
                }
            }
            initialized = count
        }
    }

    /// The indices of `keys` in ascending order (stable: equal keys keep their order).
    public static func sortedIndices<Key: Comparable>(_ keys: [Key]) -> [Int] {
        sortedIndices(keys.count) { keys[$0] < keys[$1] }
    }

    /// `0..<count` sorted by `areInIncreasingOrder` (stable), in halves on two cores, then merged.
    public static func sortedIndices(_ count: Int, by areInIncreasingOrder: (Int, Int) -> Bool) -> [Int] {
        guard workerCount(for: count) > 1 else { return (0..<count).sorted(by: areInIncreasingOrder) }
        let middle = count / 2
        let halves = mapPieces(2) { half in
            (half == 0 ? 0..<middle : middle..<count).sorted(by: areInIncreasingOrder)
        }
        var merged: [Int] = []
        merged.reserveCapacity(count)
        var left = 0
        var right = 0
        let (lower, upper) = (halves[0], halves[1])
        while left < lower.count, right < upper.count {
            if areInIncreasingOrder(upper[right], lower[left]) {
                merged.append(upper[right])
                right += 1
            } else {
                merged.append(lower[left])
                left += 1
            }
        }
        merged += lower[left...]
        merged += upper[right...]
        return merged
    }

    /// `(first(), second())`, the two computed at once.
    public static func both<A, B>(_ first: () -> A, _ second: () -> B) -> (A, B) {
        var a: A?
        var b: B?
        withUnsafeMutablePointer(to: &a) { aSlot in
            withUnsafeMutablePointer(to: &b) { bSlot in
                withoutActuallyEscaping(first) { first in
                    withoutActuallyEscaping(second) { second in
                        let work = UnsafeSendable((aSlot, bSlot, first, second))
                        DispatchQueue.concurrentPerform(iterations: 2) { index in
                            if index == 0 {
                                work.value.0.pointee = work.value.2()
                            } else {
                                work.value.1.pointee = work.value.3()
                            }
                        }
                    }
                }
            }
        }
        return (a!, b!)
    }

    static func workerCount(for count: Int) -> Int {
        count < threshold ? 1 : max(1, min(ProcessInfo.processInfo.activeProcessorCount, count / (threshold / 2)))
    }
}

/// A value handed to `concurrentPerform` workers that only read it, or each write their own part of it.
private struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
