import AsyncHTTPClient
import CatalogDiff
import Foundation
import Logging
import OpenStackAPI

/// `sync`: N regions converge on one catalog in one run.
///
/// Each region is listed once; the mesh plan (`MeshPlan`) decides per image its origin, the region its data
/// is read from and what every region needs; the work is then carried out by `replicate`'s machinery: each
/// image is one work item whose copies share one read of their holder (spool fan-out), metadata repairs
/// and deletions go with it, under the same concurrency, window, budget, journal and signals.
public enum Sync {
    /// Runs with an HTTP client that is shut down however the run ends.
    public static func run(
        regions: [ImageLocation],
        options: ReplicationOptions,
        logger: Logger
    ) async throws -> SyncReport {
        if options.writes {
            for case .dump(let directory) in regions {
                throw ReplicatorError.readOnlyLocation(directory.description, command: "sync")
            }
        }
        let sessions = try CloudSessions(locations: regions, token: options.token, environment: options.environment)
        return try await HTTPClient.withHTTPClient(configuration: sessions.configuration(.replicator, logger: logger)) {
            http in
            try await run(
                regions: regions,
                options: options,
                http: http,
                tokens: sessions.providers(http: http, logger: logger),
                logger: logger
            )
        }
    }

    static func run(
        regions locations: [ImageLocation],
        options: ReplicationOptions,
        http: HTTPClient,
        tokens: CloudSessions.Providers,
        logger: Logger
    ) async throws -> SyncReport {
        // Each region listed once, all at once. One that cannot be listed takes no part: the others converge
        // among themselves, and nothing whose origin it is gets deleted anywhere.
        let outcomes = await withTaskGroup(of: (Int, Result<(CatalogEndpoint, [ImageRecord]), any Error>).self) {
            group in
            for (index, location) in locations.enumerated() {
                group.addTask {
                    do {
                        let endpoint = try await CatalogEndpoint.resolve(
                            location,
                            http: http,
                            tokens: tokens,
                            logger: logger
                        )
                        let images = try await endpoint.listImages()
                        logger.info(
                            "listed region",
                            metadata: ["region": "\(endpoint.name)", "images": "\(images.count)"]
                        )
                        await Replication.noteLimitations(of: endpoint, logger: logger)
                        return (index, .success((endpoint, images)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var outcomes = [Result<(CatalogEndpoint, [ImageRecord]), any Error>?](
                repeating: nil,
                count: locations.count
            )
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes.map { $0! }
        }
        var endpoints: [CatalogEndpoint?] = []
        var listings: [[ImageRecord]?] = []
        var errors: [String?] = []
        var firstError: ReplicatorError?
        for (location, outcome) in zip(locations, outcomes) {
            switch outcome {
            case .success(let (endpoint, images)):
                endpoints.append(endpoint)
                listings.append(images)
                errors.append(nil)
            case .failure(let error as ReplicatorError) where error.category != .usage:
                logger.info(
                    "region not listed: it takes no part in this run",
                    metadata: ["region": "\(location)", "error": "\(error)"]
                )
                endpoints.append(nil)
                listings.append(nil)
                errors.append(error.message)
                firstError = firstError ?? error
            case .failure(let error):
                throw error
            }
        }
        if let firstError, !listings.contains(where: { $0 != nil }) { throw firstError }
        let names = zip(locations, endpoints).map { location, endpoint in endpoint?.name ?? location.description }
        // Two locations of one catalog (two clouds.yaml entries for one endpoint) would make it its own origin.
        for (index, name) in names.enumerated() where names[..<index].contains(name) {
            throw ReplicatorError.invalidOption(
                "\(locations[names.firstIndex(of: name)!]) and \(locations[index]) are the same catalog (\(name))"
            )
        }
        var requiredStores: [[String]] = []
        for endpoint in endpoints {
            requiredStores.append(try await Self.requiredStores(of: endpoint, options.stores))
        }
        let mesh = MeshPlan(
            // Copies name their origin without its URL (`provenanceName`); copies from before that name the URL.
            regions: names.indices.map {
                MeshRegion(
                    name: names[$0],
                    provenance: locations[$0].provenanceName,
                    formerProvenances: [names[$0]],
                    images: listings[$0],
                    replicatesStatus: endpoints[$0]?.replicatesStatus ?? false,
                    requiredStores: requiredStores[$0]
                )
            },
            scope: options.scope,
            rules: options.rules,
            options: MeshOptions(
                copyDuplicates: options.audit.copyDuplicates,
                prune: options.audit.prune,
                maxDelete: options.audit.maxDelete
            )
        )
        listings = []
        var report = SyncReport(plan: mesh, dryRun: !options.writes, errors: errors)
        let owners = try await Replication.ownerOutcomes(of: endpoints, options: options)
        for (index, owner) in owners.enumerated() { report.regions[index].owner = owner }
        guard options.writes else {
            // Dry runs compare the members (--members) and change nothing.
            await replicateMembers(mesh, endpoints: endpoints, into: &report, options, apply: false, logger)
            return report
        }

        let lanes = Lanes(mesh)
        var transfers: [ImageTransfer] = []
        for lane in lanes.lanes {
            guard case .glance(let target) = endpoints[lane.target], let source = endpoints[lane.holder] else {
                throw ReplicatorError.readOnlyLocation(names[lane.target], command: "sync")
            }
            var laneLogger = logger
            laneLogger[metadataKey: "target"] = "\(target.endpoint.root)"
            var transfer = ImageTransfer(
                source: source,
                target: target,
                rules: lane.provenance.map { options.rules.withProvenance($0) } ?? options.rules,
                logger: laneLogger
            )
            transfer.uploadMethod = options.uploadMethod
            transfer.uploadPace = options.uploadPace(to: locations[lane.target])
            transfer.preserveOwner = owners[lane.target] == .preserved
            transfer.requiredStores = requiredStores[lane.target]
            if lane.holder != lane.target {
                transfer.glanceDownload =
                    try await Replication.glanceDownloadSources(
                        source: locations[lane.holder],
                        targets: [locations[lane.target]],
                        clients: [target],
                        mode: options.transferMode,
                        logger: logger
                    ).first ?? nil
            }
            transfers.append(transfer)
        }
        let plans = lanes.plans.map { CatalogPlan(images: $0) }
        let work = WorkItem.items(plans: plans, order: options.order, priority: options.priority)
        let context = try await CopyContext.begin(
            options: options,
            source: "sync",
            targets: names,
            spoolPaths: Set(
                work.compactMap { item in
                    item.copies.first.map {
                        options.spool.path(source: transfers[$0.target].source.name, imageID: item.id)
                    }
                }
            ),
            logger: logger
        )
        let execution = await Replication.execute(
            work,
            plans: plans,
            transfers: transfers,
            context: context,
            options: options,
            logger: logger
        )
        for (index, lowest) in execution.lowestUploadLimits.enumerated() {
            let region = lanes.lanes[index].target
            report.regions[region].lowestUploadLimit = min(report.regions[region].lowestUploadLimit ?? lowest, lowest)
        }
        for (key, result) in execution.results {
            let (row, region) = lanes.cells[key.target][key.plan]
            report.images[row].cells[region].result = result.result
            report.images[row].cells[region].error = result.error
        }
        report.bytesRead = context.counters.bytesRead
        report.interruptedBy = options.stop?.signalName
        await replicateMembers(mesh, endpoints: endpoints, into: &report, options, apply: true, logger)
        try await context.finish(
            outcomes: report.images.flatMap(\.cells).map { ($0.action, $0.result) },
            interrupted: report.interruptedBy != nil
        )
        return report
    }
}

extension Sync {
    /// `--stores` and `--all-stores` in one region: the stores every copy there must be in. `--stores` names
    /// stores every Glance region of the mesh must have (else a usage error, as in `replicate`); `--all-stores`
    /// is each region's own, and asks nothing of a region that is not a multi-store Glance (a mesh may mix
    /// both kinds). Nothing for a dump directory or a region not listed.
    static func requiredStores(of endpoint: CatalogEndpoint?, _ selection: StoreSelection?) async throws -> [String] {
        guard let endpoint, case .glance(let client) = endpoint, let selection else { return [] }
        if case .all = selection { return try await client.listStores() }
        return try await Replication.stores(of: endpoint, selection) ?? []
    }
}

/// The mesh's work sorted by who carries it out: a lane is a (holder, target, provenance) triple with its
/// own `ImageTransfer`, and holds the plans of the cells it serves. An image's copies all read from its
/// one holder, so `WorkItem` groups them into one read fanned out to every target lacking it.
struct Lanes {
    struct Lane: Hashable {
        /// The region the data is read from (the target itself for repairs and deletions).
        var holder: Int
        var target: Int
        /// The provenance value new copies carry: their origin's name (nil for repairs and deletions).
        var provenance: String?
    }

    var lanes: [Lane] = []
    var plans: [[ImagePlan]] = []
    /// Per lane, per plan: the matrix cell (row, region) it is the plan of.
    var cells: [[(row: Int, region: Int)]] = []

    init(_ mesh: MeshPlan) {
        var index: [Lane: Int] = [:]
        for (rowIndex, row) in mesh.images.enumerated() {
            for (region, cell) in row.cells.enumerated() {
                switch cell.action {
                case .copy, .updateMetadata, .delete, .deactivate, .reactivate, .copyToStores: break
                case .none, .conflict, .ignore: continue
                }
                // A copy reads from the row's holder (the plan sets one wherever it copies).
                guard let holder = cell.action == .copy ? row.holder : region else { continue }
                let lane = Lane(holder: holder, target: region, provenance: cell.action == .copy ? row.originName : nil)
                if index[lane] == nil {
                    index[lane] = lanes.count
                    lanes.append(lane)
                    plans.append([])
                    cells.append([])
                }
                let position = index[lane]!
                plans[position].append(row.plan(in: region))
                cells[position].append((rowIndex, region))
            }
        }
    }
}
