/// Hears every error answer a Glance endpoint gives to the requests of the current task (a task local, so that
/// the requests need no extra parameter). The engine's per-target upload limits listen for overloads.
package protocol GlanceErrorListener: Sendable {
    func errorAnswer(endpoint root: String, status: Int, message: String)
}

package enum GlanceErrorAnswers {
    @TaskLocal package static var listener: (any GlanceErrorListener)?
}
