import CatalogDiff
import Foundation
import SyncEngine
import Synchronization

/// Shows what a run's copies are doing, on stderr: live bars (one per image under way, with rate and ETA,
/// and a total) on a terminal; a plain line per image started and ended otherwise, for logs and cron mail.
final class ProgressDisplay: TransferObserver {
    enum Style {
        case bars
        case lines
    }

    private struct Copy {
        var name: String
        var size: Int64
        var done: Int64 = 0
        var started: ContinuousClock.Instant
    }

    private struct State {
        var copies: [String: Copy] = [:]
        var order: [String] = []
        var finished = 0
        var finishedBytes: Int64 = 0
        var drawnLines = 0
        var lastDraw: ContinuousClock.Instant?
    }

    let style: Style
    private let state = Mutex(State())

    init(style: Style) {
        self.style = style
    }

    /// The display for `--progress`, or nil for none.
    static func make(_ style: ProgressStyle) -> ProgressDisplay? {
        switch style {
        case .none: nil
        case .bars: ProgressDisplay(style: .bars)
        case .lines: ProgressDisplay(style: .lines)
        case .auto: ProgressDisplay(style: isatty(STDERR_FILENO) == 1 ? .bars : .lines)
        }
    }

    func started(_ imageID: String, name: String?, size: Int64, targets: Int) {
        state.withLock { state in
            // Names and ids come from the source: shown inert (`TerminalText`).
            state.copies[imageID] = Copy(name: TerminalText.inert(name ?? imageID), size: size, started: .now)
            state.order.append(imageID)
            if style == .lines {
                write(
                    "copying \(TerminalText.inert(name ?? "-")) (\(TerminalText.inert(imageID))), "
                        + "\(Quantity.describe(bytes: size)) to \(targets) "
                        + "target\(targets == 1 ? "" : "s")\n"
                )
            } else {
                redraw(&state, force: true)
            }
        }
    }

    func advanced(_ imageID: String, bytes: Int64) {
        guard style == .bars else {
            state.withLock { $0.copies[imageID]?.done += bytes }
            return
        }
        state.withLock { state in
            state.copies[imageID]?.done += bytes
            redraw(&state, force: false)
        }
    }

    func finished(_ imageID: String, error: String?) {
        state.withLock { state in
            guard let copy = state.copies.removeValue(forKey: imageID) else { return }
            state.order.removeAll { $0 == imageID }
            state.finished += 1
            state.finishedBytes = state.finishedBytes.addingSaturated(copy.size)
            let seconds = max(0.001, (ContinuousClock.now - copy.started).seconds)
            let imageID = TerminalText.inert(imageID)
            let line =
                error.map(TerminalText.inert).map {
                    $0 == "interrupted"
                        ? "stopped \(copy.name) (\(imageID))\n" : "failed  \(copy.name) (\(imageID)): \($0)\n"
                }
                ?? "copied  \(copy.name) (\(imageID)), \(Quantity.describe(bytes: copy.size)) in "
                + "\(String(format: "%.1f", seconds)) s, \(Self.rate(Double(copy.size) / seconds))\n"
            if style == .bars {
                clear(&state)
                write(line)
                redraw(&state, force: true)
            } else {
                write(line)
            }
        }
    }

    /// Removes the bars (before the report is printed).
    func end() {
        guard style == .bars else { return }
        state.withLock { clear(&$0) }
    }

    // MARK: drawing

    private func redraw(_ state: inout State, force: Bool) {
        let now = ContinuousClock.now
        if !force, let last = state.lastDraw, now - last < .milliseconds(200) { return }
        state.lastDraw = now
        clear(&state)
        var lines: [String] = []
        var total: Int64 = state.finishedBytes
        var done: Int64 = state.finishedBytes
        for id in state.order {
            guard let copy = state.copies[id] else { continue }
            total = total.addingSaturated(copy.size)
            done = done.addingSaturated(copy.done)
            let seconds = max(0.001, (now - copy.started).seconds)
            let speed = Double(copy.done) / seconds
            let fraction = copy.size > 0 ? Double(copy.done) / Double(copy.size) : 1
            let eta = speed > 0 ? max(0, Double(copy.size) - Double(copy.done)) / speed : 0
            let name = copy.name.count > 24 ? String(copy.name.prefix(23)) + "…" : copy.name
            lines.append(
                "\(name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(Self.bar(fraction)) "
                    + "\(String(format: "%3d%%", Int(fraction * 100))) \(Self.rate(speed).padding(toLength: 11, withPad: " ", startingAt: 0)) "
                    + "ETA \(Self.clock(eta))"
            )
        }
        lines.append(
            "total: \(state.finished) done, \(state.order.count) under way, "
                + "\(Quantity.describe(bytes: done)) of \(Quantity.describe(bytes: total))"
        )
        write(lines.joined(separator: "\n") + "\n")
        state.drawnLines = lines.count
    }

    private func clear(_ state: inout State) {
        guard state.drawnLines > 0 else { return }
        write(String(repeating: "\u{1B}[1A\u{1B}[2K", count: state.drawnLines))
        state.drawnLines = 0
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    private static func bar(_ fraction: Double) -> String {
        let width = 24
        let filled = Int((fraction * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }

    private static func rate(_ bytesPerSecond: Double) -> String {
        Quantity.describe(bytes: Int64(bytesPerSecond)) + "/s"
    }

    private static func clock(_ seconds: Double) -> String {
        // An absurd estimate (a stalled copy of a huge image) shows as 99:59:59, never traps.
        let total = Int(min(max(0, seconds), 359_999).rounded())
        return String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
    }
}

extension Duration {
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
