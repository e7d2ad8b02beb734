import CatalogDiff
import Testing

@Suite("Prometheus metrics of a run")
struct RunMetricsTests {
    func report() -> Report {
        let plans = [
            ImagePlan(id: "a", state: .missing, action: .copy, source: activeImage("a", size: 100), target: nil),
            ImagePlan(id: "b", state: .missing, action: .copy, source: activeImage("b", size: 50), target: nil),
            ImagePlan(id: "c", state: .missing, action: .copy, source: activeImage("c", size: 7), target: nil),
            ImagePlan(id: "d", state: .inSync, action: .none, source: activeImage("d"), target: activeImage("d")),
        ]
        let images = [
            ImageReport(plan: plans[0], result: .done),
            ImageReport(plan: plans[1], result: .failed, error: "boom"),
            ImageReport(plan: plans[2], result: .deferred),
            ImageReport(plan: plans[3], result: .skipped),
        ]
        return Report(
            source: "http://a:9292",
            dryRun: false,
            targets: [TargetReport(target: "http://b:9292", summary: PlanSummary(plans), images: images)]
        )
    }

    func metrics(success: Bool, previous: Double? = nil, report: Report? = nil) -> RunMetrics {
        RunMetrics(
            source: "http://a:9292",
            targets: ["http://b:9292"],
            shard: try? Shard(index: 1, count: 3),
            report: report,
            exitCode: success ? 0 : 3,
            success: success,
            durationSeconds: 12.5,
            finished: 1_700_000_000.25,
            previousLastSuccess: previous
        )
    }

    @Test func samplesMatchTheReport() {
        let text = metrics(success: false, previous: 1_600_000_000, report: report()).text
        let lines = Set(text.split(separator: "\n").map(String.init))
        let target = #"source="http://a:9292",target="http://b:9292",shard="1/3""#
        let run = #"source="http://a:9292",targets="http://b:9292",shard="1/3""#
        for expected in [
            "glance_replicator_images{\(target),state=\"missing\"} 3",
            "glance_replicator_images{\(target),state=\"in_sync\"} 1",
            "glance_replicator_images{\(target),state=\"extra\"} 0",
            "glance_replicator_image_results{\(target),result=\"done\"} 1",
            "glance_replicator_image_results{\(target),result=\"deferred\"} 1",
            "glance_replicator_bytes_copied{\(target)} 100",
            "glance_replicator_failures{\(target)} 1",
            "glance_replicator_run_duration_seconds{\(run)} 12.5",
            "glance_replicator_run_exit_code{\(run)} 3",
            "glance_replicator_run_success{\(run)} 0",
            "glance_replicator_last_run_timestamp_seconds{\(run)} 1700000000.25",
            "glance_replicator_last_success_timestamp_seconds{\(run)} 1600000000",
            "# TYPE glance_replicator_images gauge",
        ] {
            #expect(lines.contains(expected), "missing \(expected) in\n\(text)")
        }
        #expect(text.hasSuffix("\n"))
    }

    @Test func aFailedRunKeepsThePreviousLastSuccess() {
        let first = metrics(success: true).text
        let recorded = RunMetrics.lastSuccess(in: first)
        #expect(recorded == 1_700_000_000.25)
        let failed = metrics(success: false, previous: recorded)
        #expect(failed.lastSuccess == 1_700_000_000.25)
        #expect(RunMetrics.lastSuccess(in: failed.text) == 1_700_000_000.25)
        #expect(metrics(success: false, previous: nil).text.contains("last_success") == false)
    }

    @Test func runWithoutReportHasOnlyRunSeries() {
        let text = metrics(success: false).text
        #expect(!text.contains("glance_replicator_images{"))
        #expect(text.contains("glance_replicator_run_exit_code{"))
    }
}
