"""What every app of the project uses, and nothing domain-specific: structured logging (`logging`),
the client's address (`net`), the health check (`health`), the Content-Security-Policy middleware
(`csp`). It imports no app of the project: `users`, `apikeys` and `billing` may all import it."""
