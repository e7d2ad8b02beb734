import ArgumentParser

/// The root command: subcommands only.
struct GlanceReplicator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glance-replicator",
        abstract: "Keep OpenStack Glance image catalogs in sync across regions and edge sites.",
        discussion: """
            Lists the image catalogs of Glance v2 endpoints, compares them by id, data (size, md5 checksum, \
            os_hash_algo/os_hash_value) and metadata (properties, tags, visibility, flags), and copies what \
            a target is missing, verifying every byte. Public and community images by default.

            LOCATION is a Glance endpoint: http(s)://HOST[:PORT][/PATH] or HOST:PORT (http); a region of a \
            cloud of clouds.yaml: cloud:NAME/REGION (or cloud:NAME for a one-region cloud; Keystone finds \
            the endpoint); or a dump directory: dir:PATH (one <id>.json and <id>.img per image; compare, \
            replicate --dry-run, size and load read it, and the old glance-replicator's dumps too; dump \
            writes it).

            With OS_CLOUD set, cloud: is cloud:$OS_CLOUD and cloud:/REGION is cloud:$OS_CLOUD/REGION; with \
            OS_REGION_NAME set too, cloud: and cloud:$OS_CLOUD mean cloud:$OS_CLOUD/$OS_REGION_NAME (a \
            written /REGION wins; other clouds never take OS_REGION_NAME).

            The old glance-replicator's command lines work as they were (dump HOST:PORT PATH, load HOST:PORT \
            PATH, -t, --sourcetoken, --targettoken, -D, -m, -c, -d): they are rewritten into these commands, \
            with a note on stderr where the meaning changed (README: Coming from glance-replicator).

            Exit codes: 0 success / in sync, 1 differences found (compare, --dry-run), 2 usage or \
            configuration error, 3 some images failed (the others done), 4 fatal (endpoint unreachable, \
            authentication refused, unusable response), 5 another run of the same job holds its lock \
            (replicate without --dry-run; see --lock), 130/143 replicate stopped by SIGINT/SIGTERM (the next \
            run continues).

            Examples:
              glance-replicator compare http://region-a:9292 http://region-b:9292
              glance-replicator replicate region-a:9292 region-b:9292 --dry-run --format json
              glance-replicator replicate http://region-a:9292 http://region-b:9292 --visibility public
              glance-replicator replicate --config /etc/glance-replicator/job.yaml --metrics-file /var/lib/node_exporter/textfile/glance.prom
            """,
        version: "0.1.0",
        subcommands: [
            CompareCommand.self, ReplicateCommand.self, SizeCommand.self, DumpCommand.self, LoadCommand.self,
            StatusCommand.self, SyncCommand.self,
        ]
    )
}
