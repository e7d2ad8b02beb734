import AsyncHTTPClient
import CatalogDiff
import Foundation
import Logging
import NIOCore
import OpenStackAPI

/// Lists, plans and (unless auditing) carries out replication from one source to its targets.
public enum Replication {
    /// Runs with an HTTP client that is shut down however the run ends. What was listed and planned is
    /// handed to `keep` at the end (`Listings`; by default freed there).
    public static func run(
        source: ImageLocation,
        targets: [ImageLocation],
        options: ReplicationOptions,
        logger: Logger,
        keeping keep: @escaping @Sendable (Listings) -> Void = Listings.free
    ) async throws -> Report {
        try CatalogEndpoint.requireWritable(targets, when: options.writes)
        let sessions = try CloudSessions(
            locations: [source] + targets,
            token: options.token,
            environment: options.environment
        )
        return try await HTTPClient.withHTTPClient(configuration: sessions.configuration(.replicator, logger: logger)) {
            http in
            try await run(
                source: source,
                targets: targets,
                options: options,
                http: http,
                tokens: sessions.providers(http: http, logger: logger),
                logger: logger,
                keeping: keep
            )
        }
    }

    /// One run, in its phases: check the request, resolve and list, plan, then (unless auditing) carry
    /// the plans out and record the run.
    static func run(
        source sourceLocation: ImageLocation,
        targets targetLocations: [ImageLocation],
        options: ReplicationOptions,
        http: HTTPClient,
        tokens: CloudSessions.Providers,
        logger: Logger,
        keeping keep: @Sendable (Listings) -> Void = Listings.free
    ) async throws -> Report {
        try checkRequest(source: sourceLocation, targets: targetLocations, options: options)
        let planned = try await plan(
            source: sourceLocation,
            targets: targetLocations,
            options: options,
            http: http,
            tokens: tokens,
            logger: logger
        )
        defer { keep(Listings(planned)) }
        var report = planned.report(dryRun: !options.writes)
        let owners = try await ownerOutcomes(of: planned.targets, options: options)
        for (index, owner) in owners.enumerated() { report.targets[index].owner = owner }
        let preserveOwner = owners.map { $0 == .preserved }
        guard options.writes else {
            // Audits and dry runs compare the members (--members) and change nothing.
            await replicateMembers(
                from: planned.source,
                to: planned.targets,
                planned.sourceImages,
                into: &report,
                options,
                apply: false,
                logger
            )
            return report
        }
        try await carryOut(
            planned,
            source: sourceLocation,
            targets: targetLocations,
            preserveOwner: preserveOwner,
            options: options,
            into: &report,
            logger: logger
        )
        return report
    }

    /// What a run plans: the resolved endpoints, the source's listing and a plan per target.
    struct PlannedRun {
        var source: CatalogEndpoint
        var sourceImages: [ImageRecord]
        var targets: [CatalogEndpoint]
        var plans: [CatalogPlan]
        /// Per target, the stores every image must be in (`--stores`, `--all-stores`).
        var requiredStores: [[String]]
        /// The field rules of the copies (with this source's provenance).
        var rules: FieldRules

        /// The report before anything is carried out: every image `planned`.
        func report(dryRun: Bool) -> Report {
            Report(
                source: source.name,
                dryRun: dryRun,
                targets: zip(targets, plans).map { target, plan in
                    TargetReport(
                        target: target.name,
                        summary: plan.summary,
                        images: ImageReport.unexecuted(plan),
                        pruneRefused: plan.pruneRefused
                    )
                }
            )
        }
    }

    /// Refusals that need no server: nothing is listed or attempted.
    static func checkRequest(source: ImageLocation, targets: [ImageLocation], options: ReplicationOptions) throws {
        try CatalogEndpoint.requireWritable(targets, when: options.writes)
        guard options.writes && options.transferMode == .glanceDownload else { return }
        for target in targets where !canPull(target, from: source) {
            throw ReplicatorError.invalidOption(
                "--transfer-mode glance-download: \(Self.notPulling(target, from: source))"
            )
        }
    }

    /// Resolves the source and every target, lists them, and plans each target against the source.
    static func plan(
        source sourceLocation: ImageLocation,
        targets targetLocations: [ImageLocation],
        options: ReplicationOptions,
        http: HTTPClient,
        tokens: CloudSessions.Providers,
        logger: Logger
    ) async throws -> PlannedRun {
        let source = try await CatalogEndpoint.resolve(
            sourceLocation,
            http: http,
            tokens: tokens.side(options.sourceToken),
            logger: logger
        )
        let sourceImages = try await source.listImages()
        logger.info("listed source", metadata: ["images": "\(sourceImages.count)", "source": "\(source.name)"])
        // Every copy names its source (provenance, for --prune); the property itself is never compared.
        let provenance = options.sourceName ?? sourceLocation.provenanceName
        var planned = PlannedRun(
            source: source,
            sourceImages: sourceImages,
            targets: [],
            plans: [],
            requiredStores: [],
            rules: options.rules.withProvenance(provenance)
        )
        await noteLimitations(of: source, logger: logger)
        for location in targetLocations {
            let target = try await CatalogEndpoint.resolve(
                location,
                http: http,
                tokens: tokens.side(options.targetToken),
                logger: logger
            )
            await noteLimitations(of: target, logger: logger)
            // Copies made before --source-name name the source by its URL: --prune still knows them.
            var planOptions = options.audit.planOptions(source: provenance, former: [source.name])
            planOptions.requiredStores = try await stores(of: target, options.stores)
            planOptions.replicatesStatus = target.replicatesStatus
            // A target in sync holds the source's values: listed, it takes their storage rather than hold a
            // second copy (the index is dropped once the target is listed).
            let plan = CatalogPlan(
                source: sourceImages,
                target: try await target.listImages(sharing: SharedRecords(sourceImages)),
                scope: options.scope,
                rules: planned.rules,
                options: planOptions
            )
            logger.info(
                "planned",
                metadata: [
                    "target": "\(target.name)", "copy": "\(plan.summary.missing)",
                    "update": "\(plan.summary.metadataDrift)",
                ]
            )
            planned.targets.append(target)
            planned.plans.append(plan)
            planned.requiredStores.append(planOptions.requiredStores ?? [])
        }
        return planned
    }

    /// `--preserve-owner`: per target (a Glance one; nil for the others, and without the option), whether new
    /// copies there keep their source's `owner`: only where the credentials may set another project's (the
    /// admin role). The reports say which way each target went.
    static func ownerOutcomes(
        of targets: [CatalogEndpoint?],
        options: ReplicationOptions
    ) async throws -> [OwnerOutcome?] {
        var outcomes = [OwnerOutcome?](repeating: nil, count: targets.count)
        for (index, target) in targets.enumerated() where options.preserveOwner {
            guard case .glance(let client) = target else { continue }
            let allowed = try await client.tokens.hasRole("admin") ?? true
            outcomes[index] = allowed ? .preserved : .replicatingProject
        }
        return outcomes
    }

    /// Carries out the plans (copies, repairs, deletions, members), journals the run and fills the report in.
    static func carryOut(
        _ planned: PlannedRun,
        source sourceLocation: ImageLocation,
        targets targetLocations: [ImageLocation],
        preserveOwner: [Bool],
        options: ReplicationOptions,
        into report: inout Report,
        logger: Logger
    ) async throws {
        let source = planned.source
        let targetClients = try planned.targets.map { target throws(ReplicatorError) -> GlanceClient in
            guard case .glance(let client) = target else {
                throw ReplicatorError.readOnlyLocation(target.name, command: "replicate")
            }
            return client
        }
        let work = WorkItem.items(plans: planned.plans, order: options.order, priority: options.priority)
        let context = try await CopyContext.begin(
            options: options,
            source: source.name,
            targets: planned.targets.map(\.name),
            spoolPaths: Set(work.map { options.spool.path(source: source.name, imageID: $0.id) }),
            logger: logger
        )
        let pullFrom = try await glanceDownloadSources(
            source: sourceLocation,
            targets: targetLocations,
            clients: targetClients,
            mode: options.transferMode,
            logger: logger
        )
        let transfers = targetClients.enumerated().map { index, target in
            var targetLogger = logger
            targetLogger[metadataKey: "target"] = "\(target.endpoint.root)"
            var transfer = ImageTransfer(source: source, target: target, rules: planned.rules, logger: targetLogger)
            transfer.uploadMethod = options.uploadMethod
            transfer.glanceDownload = pullFrom[index]
            transfer.uploadPace = options.uploadPace(to: targetLocations[index])
            transfer.preserveOwner = preserveOwner[index]
            transfer.requiredStores = planned.requiredStores[index]
            return transfer
        }
        let execution = await execute(
            work,
            plans: planned.plans,
            transfers: transfers,
            context: context,
            options: options,
            logger: logger
        )
        for (key, result) in execution.results {
            report.targets[key.target].images[key.plan] = result
        }
        for (index, lowest) in execution.lowestUploadLimits.enumerated() {
            report.targets[index].lowestUploadLimit = lowest
        }
        await replicateMembers(
            from: source,
            to: planned.targets,
            planned.sourceImages,
            into: &report,
            options,
            apply: true,
            logger
        )
        report.bytesRead = context.counters.bytesRead
        report.interruptedBy = options.stop?.signalName
        try await context.finish(
            outcomes: report.targets.flatMap(\.images).map { ($0.action, $0.result) },
            interrupted: report.interruptedBy != nil
        )
    }

    /// For each target, where its `glance-download` import pulls from, or nil where the bytes go through this
    /// host: the source and the target must be two regions of one cloud (`cloud:NAME/REGION`), and the
    /// target must offer the method. `--transfer-mode glance-download` refuses a target that cannot;
    /// `auto` streams to it instead.
    static func glanceDownloadSources(
        source: ImageLocation,
        targets: [ImageLocation],
        clients: [GlanceClient],
        mode: TransferMode,
        logger: Logger
    ) async throws -> [GlanceDownloadSource?] {
        guard mode != .stream else { return targets.map { _ in nil } }
        if mode == .webDownload {
            guard case .glance(let endpoint) = source else {
                throw ReplicatorError.invalidOption("--transfer-mode web-download needs a Glance SOURCE")
            }
            for client in clients where try await !client.importMethods().contains("web-download") {
                throw ReplicatorError.invalidOption(
                    "--transfer-mode web-download: \(client.endpoint.root) does not offer the web-download import"
                )
            }
            return targets.map { _ in .web(sourceRoot: endpoint.root) }
        }
        var sources: [GlanceDownloadSource?] = []
        for (location, client) in zip(targets, clients) {
            var reason: String?
            if canPull(location, from: source), case .cloud(let from) = source, let region = from.region {
                if try await client.importMethods().contains("glance-download") {
                    sources.append(.region(region, interface: "public"))
                    continue
                }
                reason = "\(client.endpoint.root) does not offer the glance-download import (GET /v2/info/import)"
            } else {
                reason = notPulling(location, from: source)
            }
            if mode == .glanceDownload, let reason {
                throw ReplicatorError.invalidOption("--transfer-mode glance-download: \(reason)")
            }
            logger.info(
                "streaming, not glance-download",
                metadata: ["target": "\(location)", "reason": "\(reason ?? "")"]
            )
            sources.append(nil)
        }
        return sources
    }

    /// Whether `target` and `source` are two regions of one cloud, as `glance-download` needs.
    static func canPull(_ target: ImageLocation, from source: ImageLocation) -> Bool {
        guard case .cloud(let from) = source, let region = from.region, case .cloud(let to) = target else {
            return false
        }
        return to.name == from.name && to.region != nil && to.region != region
    }

    static func notPulling(_ target: ImageLocation, from source: ImageLocation) -> String {
        "glance-download needs SOURCE and TARGET as two regions of one cloud (cloud:NAME/REGION); \(target) is "
            + "not one beside \(source)"
    }

    /// Says once per endpoint what an older Glance lacks (the copies degrade: md5-only verification, no
    /// imports, no stores).
    static func noteLimitations(of endpoint: CatalogEndpoint, logger: Logger) async {
        guard case .glance(let client) = endpoint, let version = await client.apiVersion() else { return }
        let limitations = version.limitations
        guard !limitations.isEmpty else { return }
        logger.warning(
            "older Glance: \(limitations.joined(separator: "; "))",
            metadata: ["endpoint": "\(client.endpoint.root)", "api_version": "\(version)"]
        )
    }

    /// The stores a target's images must be in: those listed (each checked against the target's own), or
    /// every store the target has. Nil when none are asked for, or for a dump directory.
    static func stores(of target: CatalogEndpoint, _ selection: StoreSelection?) async throws -> [String]? {
        guard let selection, case .glance(let client) = target else { return nil }
        let known = try await client.listStores()
        switch selection {
        case .all:
            guard !known.isEmpty else {
                throw ReplicatorError.invalidOption("--all-stores: \(client.endpoint.root) is not a multi-store Glance")
            }
            return known
        case .listed(let wanted):
            if let unknown = wanted.first(where: { !known.contains($0) }) {
                throw ReplicatorError.invalidOption(
                    "--stores: \(client.endpoint.root) has no store '\(unknown)' (it has: "
                        + "\(known.isEmpty ? "none, it is not a multi-store Glance" : known.joined(separator: ", ")))"
                )
            }
            return wanted
        }
    }

    /// Where an image's result goes in the report: the target, and the image's place in that target's plan.
    struct ResultKey: Hashable {
        var target: Int
        var plan: Int
    }

    /// Works through the images, `concurrency` at a time, in the run's order; one image's failure never stops
    /// the others. Starts no image past the budget, and none once a stop is requested: those are reported
    /// `deferred` and `interrupted`. An image starts only when every target it writes to has room under its
    /// upload limit (`loads`), which shrinks while a target answers with overloads.
    static func execute(
        _ work: [WorkItem],
        plans: [CatalogPlan],
        transfers: [ImageTransfer],
        context: CopyContext,
        options: ReplicationOptions,
        logger: Logger
    ) async -> Execution {
        // Each target gets its own overload-aware upload limit (AIMD), starting at --concurrency.
        let loads = TargetLoads(
            roots: transfers.map(\.target.endpoint.root),
            ceiling: options.concurrency,
            logger: logger
        )
        var results: [ResultKey: ImageReport] = [:]
        var scheduler = Scheduler(items: work, concurrency: options.concurrency, budget: options.budget) {
            $0.fetchBytes
        }
        let clock = ContinuousClock()
        let started = clock.now
        func mark(_ items: [WorkItem], _ result: ImageResult) {
            for item in items {
                for key in item.keys {
                    results[key] = ImageReport(plan: plans[key.target].images[key.plan], result: result)
                }
            }
        }
        await withTaskGroup(of: [ResultKey: ImageReport]?.self) { group in
            func startNext() {
                while let item = scheduler.nextCandidate() {
                    guard let tickets = loads.admit(Set(item.keys.map(\.target))) else {
                        scheduler.hold(item)
                        return
                    }
                    let decision = scheduler.decide(
                        item,
                        windowOpen: mayStart(within: options.window, logger: logger),
                        elapsed: (clock.now - started).seconds
                    )
                    switch decision {
                    case .deferRemaining(let items):
                        loads.release(tickets)
                        mark(items, .deferred)
                        return
                    case .deferOne:
                        loads.release(tickets)
                        logger.info("deferred to the next run", metadata: ["image_id": "\(item.id)"])
                        mark([item], .deferred)
                    case .start:
                        group.addTask {
                            let outcome = await GlanceErrorAnswers.$listener.withValue(
                                OverloadProbe(loads: loads, tickets: tickets)
                            ) {
                                await carryOut(
                                    item,
                                    plans: plans,
                                    transfers: transfers,
                                    context: context,
                                    logger: logger
                                )
                            }
                            for (target, ticket) in tickets {
                                let done = outcome.filter { $0.key.target == target }.allSatisfy {
                                    $0.value.result == .done
                                }
                                loads.finish(target, ticket, succeeded: done)
                            }
                            return outcome
                        }
                    }
                }
            }
            if let stop = options.stop {
                group.addTask {
                    await stop.wait()
                    return nil
                }
            }
            var stopping = false
            startNext()
            if scheduler.running == 0 { group.cancelAll() }
            while let outcome = await group.next() {
                guard let outcome else {
                    if options.stop?.signal != nil, !stopping {
                        stopping = true
                        logger.warning("stopping: no new image starts, transfers under way are cut off")
                        mark(scheduler.stop(), .interrupted)
                        group.cancelAll()
                    }
                    continue
                }
                results.merge(outcome) { _, new in new }
                scheduler.finished()
                startNext()
                if scheduler.running == 0 { group.cancelAll() }
            }
        }
        // Never started: stopped by a signal, or held for a target that never had room.
        mark(scheduler.stop(), .interrupted)
        return Execution(results: results, lowestUploadLimits: loads.lowest)
    }

    /// What `execute` did: each planned copy's or update's outcome, and per transfer (target) the fewest
    /// uploads at once its overload-aware limit came down to (the reports' `lowest_upload_limit`).
    struct Execution {
        var results: [ResultKey: ImageReport]
        var lowestUploadLimits: [Int]
    }

    static func carryOut(
        _ item: WorkItem,
        plans: [CatalogPlan],
        transfers: [ImageTransfer],
        context: CopyContext,
        logger: Logger
    ) async -> [ResultKey: ImageReport] {
        var logger = logger
        logger[metadataKey: "image_id"] = "\(item.id)"
        var results: [ResultKey: ImageReport] = [:]
        var burnt: [ResultKey] = []
        func report(_ key: ResultKey, _ outcome: Result<Void, ReplicatorError>) {
            let plan = plans[key.target].images[key.plan]
            switch outcome {
            case .success:
                results[key] = ImageReport(plan: plan, result: .done)
            case .failure(let error) where error.isInterruption:
                logger.notice("interrupted", metadata: ["target": "\(transfers[key.target].target.endpoint.root)"])
                results[key] = ImageReport(plan: plan, result: .interrupted, error: error.message)
            case .failure(let error):
                if error.isIDUnavailable { burnt.append(key) }
                logger.error(
                    "failed",
                    metadata: ["target": "\(transfers[key.target].target.endpoint.root)", "error": "\(error)"]
                )
                results[key] = ImageReport(plan: plan, result: .failed, error: error.message)
            }
        }
        for key in item.updates {
            let plan = plans[key.target].images[key.plan]
            do {
                if plan.action == .copyToStores, let image = plan.source {
                    try await transfers[key.target].ensureStores(image, transfers[key.target].requiredStores)
                    report(key, .success(()))
                    continue
                }
                if plan.action == .delete {
                    try await transfers[key.target].target.deleteImage(plan.id)
                    logger.info(
                        "deleted (--prune)",
                        metadata: [
                            "target": "\(transfers[key.target].target.endpoint.root)", "name": "\(plan.name ?? "")",
                        ]
                    )
                    report(key, .success(()))
                    continue
                }
                if plan.action == .deactivate || plan.action == .reactivate {
                    try await transfers[key.target].replicateStatus(plan)
                    logger.info(
                        plan.action == .deactivate ? "deactivated" : "reactivated",
                        metadata: ["target": "\(transfers[key.target].target.endpoint.root)"]
                    )
                    report(key, .success(()))
                    continue
                }
                try await transfers[key.target].updateMetadata(plan)
                logger.info(
                    "updated metadata",
                    metadata: [
                        "target": "\(transfers[key.target].target.endpoint.root)",
                        "fields": "\(plan.changes.map(\.field).joined(separator: ","))",
                    ]
                )
                report(key, .success(()))
            } catch {
                report(key, .failure(ImageCopy.replicatorError(error)))
            }
        }
        guard let image = item.image, !item.copies.isEmpty else { return results }
        let clock = ContinuousClock()
        let started = clock.now
        let copy = ImageCopy(
            // The item's one holder (`replicate` has one source; `sync` reads each image from its own).
            source: transfers[item.copies[0].target].source,
            image: image,
            targets: item.copies.map { (transfers[$0.target], plans[$0.target].images[$0.plan]) },
            context: context,
            logger: logger
        )
        let outcomes = await copy.run()
        for (key, outcome) in zip(item.copies, outcomes) {
            switch outcome {
            case .success(let bytes):
                do {
                    try await transfers[key.target].ensureStores(image, transfers[key.target].requiredStores)
                } catch {
                    report(key, .failure(ImageCopy.replicatorError(error)))
                    continue
                }
                logger.info(
                    "copied",
                    metadata: [
                        "target": "\(transfers[key.target].target.endpoint.root)", "name": "\(image.name ?? "")",
                        "bytes": "\(bytes)", "seconds": "\(String(format: "%.2f", (clock.now - started).seconds))",
                    ]
                )
                report(key, .success(()))
            case .failure(let error):
                report(key, .failure(error))
            }
        }
        await recordBurntIDs(burnt, copies: item.copies, results: results, image: image, transfers, context)
        return results
    }

    /// Keeps the journal's list of burnt ids (`status` shows it): those a target just refused, less those a
    /// copy has now been made with.
    static func recordBurntIDs(
        _ burnt: [ResultKey],
        copies: [ResultKey],
        results: [ResultKey: ImageReport],
        image: ImageRecord,
        _ transfers: [ImageTransfer],
        _ context: CopyContext
    ) async {
        guard let journal = context.journal else { return }
        for key in burnt {
            try? await journal.recordBurnt(
                target: transfers[key.target].target.endpoint.root,
                imageID: image.id,
                source: transfers[key.target].source.name,
                name: image.name,
                runID: context.runID
            )
        }
        for key in copies where results[key]?.result == .done {
            try? await journal.clearBurnt(target: transfers[key.target].target.endpoint.root, imageID: image.id)
        }
    }
}

/// One image and what every target needs done with it: the unit a run schedules, so that an image several
/// targets lack is read from the source once. `updates` holds metadata repairs and `--prune` deletions
/// (of target images the source no longer has: `image` is then the target's record).
struct WorkItem: Sendable {
    var id: String
    var image: ImageRecord?
    var copies: [Replication.ResultKey] = []
    var updates: [Replication.ResultKey] = []

    var keys: [Replication.ResultKey] { copies + updates }
    /// Bytes the item reads from the source.
    var fetchBytes: Int64 { copies.isEmpty ? 0 : image?.size ?? 0 }

    /// The run's work, in `order`.
    static func items(
        plans: [CatalogPlan],
        order: TransferOrder,
        priority: TransferPriority = TransferPriority()
    ) -> [WorkItem] {
        var byID: [String: WorkItem] = [:]
        for (target, plan) in plans.enumerated() {
            for (index, image) in plan.images.enumerated() {
                let key = Replication.ResultKey(target: target, plan: index)
                switch image.action {
                case .copy: byID[image.id, default: WorkItem(id: image.id, image: image.source)].copies.append(key)
                case .updateMetadata:
                    byID[image.id, default: WorkItem(id: image.id, image: image.source)].updates.append(key)
                case .delete:
                    byID[image.id, default: WorkItem(id: image.id, image: image.target)].updates.append(key)
                case .copyToStores, .deactivate, .reactivate:
                    byID[image.id, default: WorkItem(id: image.id, image: image.source)].updates.append(key)
                case .none, .conflict, .ignore: continue
                }
            }
        }
        let sorted = priority.sorted(byID.values.compactMap(\.image), within: order)
        return sorted.compactMap { byID[$0.id] }
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
        // Never followed: a 30x would carry X-Auth-Token (or Keystone's password) to the host it names.
        configuration.redirectConfiguration = .disallow
        return configuration
    }
}
