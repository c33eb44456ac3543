"""Staff console: accounts and roles, the ticket queue under SLA, ticket actions, reports, audit."""
