extension CloudSessions.Providers {
    /// These providers with `token` for the bare endpoints (http(s):// and HOST:PORT) of one side of a run
    /// (`--source-token`, `--target-token`); unchanged when that side has no token of its own. `cloud:`
    /// locations keep their Keystone tokens.
    package func side(_ token: String?) -> Self {
        guard let token else { return self }
        return Self(clouds: clouds, byCloud: byCloud, fixed: TokenProvider(fixed: token), urlTLS: urlTLS)
    }
}
