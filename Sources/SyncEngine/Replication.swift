import AsyncHTTPClient
import CatalogDiff
import Foundation
import Logging
import NIOCore

/// What a run is asked to do.
public struct ReplicationOptions: Sendable {
    public enum Mode: Sendable, Hashable {
        /// Audit only: report the differences.
        case compare
        /// Make the target hold every in-scope source image; `dryRun` plans without writing.
        case replicate(dryRun: Bool)
    }

    public var mode: Mode
    public var scope: ImageScope
    public var rules: FieldRules
    /// X-Auth-Token for every endpoint.
    public var token: String?
    /// Images worked on at once.
    public var concurrency: Int
    /// Duplicates, pruning (see `ReplicationOptions+audit.swift`).
    public var audit = Audit()

    public init(mode: Mode, scope: ImageScope, rules: FieldRules, token: String?, concurrency: Int = 4) {
        self.mode = mode
        self.scope = scope
        self.rules = rules
        self.token = token
        self.concurrency = max(1, concurrency)
    }

    var writes: Bool { mode == .replicate(dryRun: false) }
}

/// Lists, plans and (unless auditing) carries out replication from one source to its targets.
public enum Replication {
    /// Runs with an HTTP client that is shut down however the run ends.
    public static func run(
        source: ImageLocation,
        targets: [ImageLocation],
        options: ReplicationOptions,
        logger: Logger
    ) async throws -> Report {
        try await HTTPClient.withHTTPClient(configuration: .replicator) { http in
            try await run(source: source, targets: targets, options: options, http: http, logger: logger)
        }
    }

    static func run(
        source sourceLocation: ImageLocation,
        targets targetLocations: [ImageLocation],
        options: ReplicationOptions,
        http: HTTPClient,
        logger: Logger
    ) async throws -> Report {
        try CatalogEndpoint.requireWritable(targetLocations, when: options.writes)
        let source = CatalogEndpoint(sourceLocation, http: http, token: options.token, logger: logger)
        let sourceImages = try await source.listImages()
        logger.info("listed source", metadata: ["images": "\(sourceImages.count)", "source": "\(source.name)"])
        let rules = options.rules.withProvenance(source.name)
        var reports: [TargetReport] = []
        for location in targetLocations {
            let target = CatalogEndpoint(location, http: http, token: options.token, logger: logger)
            let targetImages = try await target.listImages()
            let plan = CatalogPlan(
                source: sourceImages,
                target: targetImages,
                scope: options.scope,
                rules: rules,
                options: options.audit.planOptions(source: source.name)
            )
            var targetLogger = logger
            targetLogger[metadataKey: "target"] = "\(target.name)"
            targetLogger.info(
                "planned",
                metadata: ["copy": "\(plan.summary.missing)", "update": "\(plan.summary.metadataDrift)"]
            )
            let results: [ImageReport]
            if options.writes {
                guard case .glance(let targetClient) = target else {
                    throw ReplicatorError.readOnlyLocation(target.name, command: "replicate")
                }
                let transfer = ImageTransfer(source: source, target: targetClient, rules: rules, logger: targetLogger)
                results = await execute(plan, with: transfer, concurrency: options.concurrency, logger: targetLogger)
            } else {
                results = ImageReport.unexecuted(plan)
            }
            reports.append(
                TargetReport(
                    target: target.name,
                    summary: plan.summary,
                    images: results,
                    pruneRefused: plan.pruneRefused
                )
            )
        }
        return Report(
            source: source.name,
            dryRun: !options.writes,
            targets: reports
        )
    }

    /// Works through a target's plan, `concurrency` images at a time; one image's failure never stops the
    /// others. Results come back in plan order.
    static func execute(
        _ plan: CatalogPlan,
        with transfer: ImageTransfer,
        concurrency: Int,
        logger: Logger
    ) async -> [ImageReport] {
        var results = plan.images.map { ImageReport(plan: $0, result: .unexecuted($0.action)) }
        let work = plan.images.indices.filter { [.copy, .updateMetadata, .delete].contains(plan.images[$0].action) }
        await withTaskGroup(of: (Int, ImageReport).self) { group in
            var pending = work.makeIterator()
            func startNext() -> Bool {
                guard let index = pending.next() else { return false }
                let image = plan.images[index]
                group.addTask {
                    (index, await carryOut(image, with: transfer, logger: logger))
                }
                return true
            }
            for _ in 0..<concurrency where !startNext() { break }
            while let (index, report) = await group.next() {
                results[index] = report
                _ = startNext()
            }
        }
        return results
    }

    static func carryOut(_ plan: ImagePlan, with transfer: ImageTransfer, logger: Logger) async -> ImageReport {
        var logger = logger
        logger[metadataKey: "image_id"] = "\(plan.id)"
        let clock = ContinuousClock()
        let started = clock.now
        do {
            switch plan.action {
            case .copy:
                let bytes = try await transfer.copy(plan)
                let seconds = (clock.now - started).seconds
                logger.info(
                    "copied",
                    metadata: [
                        "name": "\(plan.name ?? "")", "bytes": "\(bytes)",
                        "seconds": "\(String(format: "%.2f", seconds))",
                    ]
                )
            case .updateMetadata:
                try await transfer.updateMetadata(plan)
                logger.info(
                    "updated metadata",
                    metadata: ["fields": "\(plan.changes.map(\.field).joined(separator: ","))"]
                )
            case .delete:
                try await transfer.target.deleteImage(plan.id)
                logger.info("deleted (--prune)", metadata: ["name": "\(plan.name ?? "")"])
            case .none, .conflict, .ignore:
                return ImageReport(plan: plan, result: .unexecuted(plan.action))
            }
            return ImageReport(plan: plan, result: .done)
        } catch {
            let message = (error as? ReplicatorError)?.message ?? "\(error)"
            logger.error("failed", metadata: ["error": "\(message)"])
            return ImageReport(plan: plan, result: .failed, error: message)
        }
    }
}

extension Duration {
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension HTTPClient.Configuration {
    /// Timeouts and pooling for Glance behind uWSGI: idle keep-alive connections are dropped by the
    /// server after 4 s, so the pool lets them go sooner; connection errors are retried by `GlanceClient`
    /// with backoff rather than by the pool until the deadline.
    static var replicator: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            timeout: .init(connect: .seconds(10), read: .seconds(120)),
            decompression: .disabled
        )
        configuration.connectionPool.idleTimeout = .seconds(3)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.httpVersion = .http1Only
        return configuration
    }
}
