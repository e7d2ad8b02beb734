import CatalogDiff
import Foundation

/// `--report-html`: one self-contained page (inline CSS, no script, no external resource) that an
/// operator can open from a mail or a CI artifact: the summary, then every image with its state, action,
/// result, size and changes.
enum HTMLReport {
    static func page(_ report: Report) -> String {
        var body = "<h1>glance-replicator \(report.dryRun ? "plan" : "run")</h1>\n"
        body += "<p class=meta>source <code>\(escape(report.source))</code></p>\n"
        for target in report.targets {
            let s = target.summary
            body += "<h2>target <code>\(escape(target.target))</code></h2>\n<div class=cards>\n"
            let cards: [(String, String, String)] = [
                ("in sync", String(s.inSync), "in_sync"), ("missing", String(s.missing), "missing"),
                ("metadata drift", String(s.metadataDrift), "metadata_drift"),
                ("data conflict", String(s.dataConflict), "data_conflict"), ("extra", String(s.extra), "extra"),
                ("same content, other id", String(s.sameContentOtherID), "same_content_other_id"),
                ("missing in stores", String(s.missingInStores), "missing_in_stores"),
                ("status drift", String(s.statusDrift), "status_drift"),
                ("deactivated at source", String(s.deactivatedAtSource), "deactivated_at_source"),
                ("no data at source", String(s.noData), "no_data"),
                ("to copy", ReportOutput.humanBytes(s.bytesToCopy), "bytes"),
                ("to delete", String(s.toDelete), "extra"),
            ]
            let invalid = s.invalid > 0 ? [("invalid records", String(s.invalid), "data_conflict")] : []
            for (label, value, state) in cards + invalid {
                body += "<div class=\"card \(state)\"><b>\(escape(value))</b><span>\(label)</span></div>\n"
            }
            body += "</div>\n"
            if let refusal = target.pruneRefused {
                body += "<p class=warn>\(escape(refusal.message))</p>\n"
            }
            body += "<p class=summary>\(escape(ReportOutput.summaryLine(target, dryRun: report.dryRun)))</p>\n"
            if target.images.isEmpty {
                body += "<p>(no images in scope)</p>\n"
                continue
            }
            body += "<table>\n<thead><tr><th>state</th><th>action</th><th>result</th><th class=num>size</th>"
            body += "<th>name</th><th>id</th><th>changes</th></tr></thead>\n<tbody>\n"
            for image in target.images {
                var details = image.changes.map { change in
                    "<li><code>\(escape(change.field))</code>: \(escape(change.target.description)) &rarr; "
                        + "\(escape(change.source.description))</li>"
                }
                if let twin = image.sameContentAs {
                    details.append("<li>same data as target image <code>\(escape(twin))</code></li>")
                }
                if let error = image.error { details.append("<li class=error>\(escape(error))</li>") }
                body +=
                    "<tr class=\"\(image.state.rawValue)\"><td><span class=badge>\(image.state.rawValue)</span></td>"
                body += "<td>\(image.action.rawValue)</td><td class=\"result \(image.result.rawValue)\">"
                body += "\(image.result.rawValue)</td>"
                body += "<td class=num title=\"\(image.bytes) bytes\">\(ReportOutput.humanBytes(image.bytes))</td>"
                body += "<td>\(escape(image.name ?? ""))</td><td class=id><code>\(escape(image.id))</code></td>"
                body += "<td class=changes>\(details.isEmpty ? "" : "<ul>" + details.joined() + "</ul>")</td></tr>\n"
            }
            body += "</tbody>\n</table>\n"
            if let members = target.members { body += membersSection(members) }
        }
        return document(title: "glance-replicator report: \(report.source)", body: body)
    }

    /// `--members`: the counts, then every member of every shared image compared, with both statuses.
    static func membersSection(_ members: MemberSummary) -> String {
        var body = "<h3>members of shared images</h3>\n<p class=summary>"
        body += "\(members.missing) missing, \(members.extra) extra; \(members.added) added, \(members.removed) removed"
        body += "</p>\n"
        for error in members.errors { body += "<p class=error>\(escape(error))</p>\n" }
        let rows = members.images.flatMap { image in image.members.map { (image, $0) } }
        guard !rows.isEmpty else { return body }
        body += "<table>\n<thead><tr><th>state</th><th>action</th><th>member</th><th>status at source</th>"
        body += "<th>status on target</th><th>image</th><th>id</th></tr></thead>\n<tbody>\n"
        for (image, member) in rows {
            body += "<tr class=\"\(member.state.rawValue)\"><td><span class=badge>\(member.state.rawValue)</span></td>"
            body += "<td>\(member.action.rawValue)\(member.result.map { " (\($0.rawValue))" } ?? "")</td>"
            body += "<td><code>\(escape(member.member))</code></td><td>\(escape(member.sourceStatus ?? "-"))</td>"
            body += "<td>\(escape(member.targetStatus ?? "-"))</td><td>\(escape(image.name ?? ""))</td>"
            body += "<td class=id><code>\(escape(image.id))</code></td></tr>\n"
        }
        return body + "</tbody>\n</table>\n"
    }

    static func page(_ report: SizeReport) -> String {
        var body = "<h1>glance-replicator size</h1>\n"
        body += "<p class=meta>source <code>\(escape(report.source))</code></p>\n<div class=cards>\n"
        body += "<div class=\"card in_sync\"><b>\(report.summary.images)</b><span>images</span></div>\n"
        body += "<div class=\"card bytes\"><b>\(ReportOutput.humanBytes(report.summary.bytes))</b>"
        body += "<span>\(report.summary.bytes) bytes</span></div>\n</div>\n"
        body += "<table>\n<thead><tr><th class=num>size</th><th>visibility</th><th>name</th><th>id</th></tr></thead>\n"
        body += "<tbody>\n"
        for image in report.images {
            body += "<tr><td class=num title=\"\(image.bytes) bytes\">\(ReportOutput.humanBytes(image.bytes))</td>"
            body += "<td>\(image.visibility.rawValue)</td><td>\(escape(image.name ?? ""))</td>"
            body += "<td><code>\(escape(image.id))</code></td></tr>\n"
        }
        body += "</tbody>\n</table>\n"
        return document(title: "glance-replicator size: \(report.source)", body: body)
    }

    /// The page needs nothing but its inline style: no script runs, nothing is fetched, no form is sent,
    /// whatever a server put into a name that escaping missed.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'none'; base-uri 'none'; form-action 'none'"

    static func document(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="\(contentSecurityPolicy)">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2330; background: #fff; }
        h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 24px 0 8px; }
        code { font: 12px ui-monospace, monospace; }
        .meta, .summary { color: #555; }
        .cards { display: flex; flex-wrap: wrap; gap: 8px; }
        .card { border: 1px solid #d7dbe3; border-left-width: 6px; border-radius: 6px; padding: 6px 12px; min-width: 90px; }
        .card b { display: block; font-size: 20px; } .card span { color: #555; font-size: 12px; }
        table { border-collapse: collapse; margin-top: 12px; width: 100%; }
        th, td { border-bottom: 1px solid #e3e6ec; padding: 4px 8px; text-align: left; vertical-align: top; }
        th { background: #f3f5f8; } td.num, th.num { text-align: right; white-space: nowrap; }
        td.id { white-space: nowrap; } td.changes { overflow-wrap: anywhere; word-break: break-all; width: 40%; }
        ul { margin: 0; padding-left: 16px; } .error, .result.failed { color: #b00020; font-weight: 600; }
        .warn { background: #fff4e0; border: 1px solid #e0a040; padding: 6px 10px; border-radius: 4px; }
        .badge { border-radius: 10px; padding: 1px 8px; font-size: 12px; background: #e8ebf0; white-space: nowrap; }
        .in_sync { border-left-color: #2e7d32; } .in_sync .badge { background: #dff0e0; }
        .missing { border-left-color: #1565c0; } .missing .badge { background: #dde9f8; }
        .metadata_drift { border-left-color: #ef8f00; } .metadata_drift .badge { background: #fdebd0; }
        .data_conflict { border-left-color: #b00020; } .data_conflict .badge { background: #f8d7dc; }
        .extra { border-left-color: #6a1b9a; } .extra .badge { background: #ecdff3; }
        .same_content_other_id { border-left-color: #00838f; } .same_content_other_id .badge { background: #d8f0f2; }
        .status_drift { border-left-color: #c62828; } .status_drift .badge { background: #fbe0e0; }
        .deactivated_at_source { border-left-color: #5d4037; } .deactivated_at_source .badge { background: #ece3df; }
        .no_data { border-left-color: #9e9e9e; } .no_data .badge { background: #eeeeee; }
        .origin .badge { background: #d7ecd9; } .orphaned .badge { background: #ecdff3; }
        .deactivated_at_origin .badge { background: #ece3df; } .unreachable .badge { background: #f8d7dc; }
        .bytes { border-left-color: #455a64; }
        </style>
        </head>
        <body>
        \(body)</body>
        </html>

        """
    }

    /// Text for HTML content and attribute values, escaped scalar by scalar: a `Character` may join `<` to
    /// a combining or prepended scalar (`"\u{0600}<img ...>"` is one grapheme), which a per-`Character`
    /// match never sees as `<`.
    static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}
