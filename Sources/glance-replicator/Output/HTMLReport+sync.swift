import CatalogDiff

extension HTMLReport {
    /// A `sync` report: the regions with their counts, then the matrix (a row per image, a column per region).
    static func page(_ report: SyncReport) -> String {
        let labels = ReportOutput.regionLabels(report)
        var body = "<h1>glance-replicator sync \(report.dryRun ? "plan" : "run")</h1>\n<table>\n"
        body += "<thead><tr><th>column</th><th>region</th><th>summary</th></tr></thead>\n<tbody>\n"
        for (label, region) in zip(labels, report.regions) {
            var summary = escape(ReportOutput.summaryLine(region, of: report))
            if !region.listed { summary = "<span class=error>not listed: \(escape(region.error ?? ""))</span>" }
            if let refusal = region.pruneRefused { summary += "<p class=warn>\(escape(refusal.message))</p>" }
            if let owner = region.owner { summary += "<p>owner: \(escape(owner.message))</p>" }
            body += "<tr><td>\(label)</td><td><code>\(escape(region.region))</code></td><td>\(summary)</td></tr>\n"
        }
        body += "</tbody>\n</table>\n"
        if report.images.isEmpty {
            return document(title: "glance-replicator sync", body: body + "<p>(no images in scope)</p>\n")
        }
        body += "<table>\n<thead><tr><th>name</th><th class=num>size</th>"
        body += labels.map { "<th>\($0)</th>" }.joined() + "<th>id</th></tr></thead>\n<tbody>\n"
        for image in report.images {
            body += "<tr><td>\(escape(image.name ?? ""))</td>"
            body += "<td class=num title=\"\(image.bytes) bytes\">\(ReportOutput.humanBytes(image.bytes))</td>"
            for cell in image.cells {
                var details = cell.changes.map { change in
                    "<li><code>\(escape(change.field))</code>: \(escape(change.target.description)) &rarr; "
                        + "\(escape(change.source.description))</li>"
                }
                if let twin = cell.sameContentAs {
                    details.append("<li>same data as <code>\(escape(twin))</code></li>")
                }
                if let error = cell.error { details.append("<li class=error>\(escape(error))</li>") }
                body += "<td class=\"\(cell.state.rawValue)\"><span class=badge>\(cell.state.rawValue)</span>"
                if cell.action != .none {
                    body += " \(cell.action.rawValue) <span class=\"result \(cell.result.rawValue)\">"
                    body += "\(cell.result.rawValue)</span>"
                }
                body += details.isEmpty ? "" : "<ul>" + details.joined() + "</ul>"
                body += "</td>"
            }
            body += "<td class=id><code>\(escape(image.id))</code></td></tr>\n"
        }
        body += "</tbody>\n</table>\n"
        for (label, region) in zip(labels, report.regions) {
            guard let members = region.members else { continue }
            body += "<h2>\(label) <code>\(escape(region.region))</code></h2>\n" + membersSection(members)
        }
        return document(title: "glance-replicator sync", body: body)
    }
}
