import { NodeRuntime } from "@effect/platform-node"
import { Cause, Exit, Layer, Runtime } from "effect"
import { ServerConfigFromEnv } from "./http/config.ts"
import { logListening, makeServer, NodeServerFromConfig } from "./http/server.ts"
import { TutorProvidersLive } from "./layers/providers.ts"
import { sqlPersistenceFromConfig } from "./layers/sql/index.ts"

/**
 * `npm start`: the Version B server on HOST:PORT (default 127.0.0.1:8001), its jobs, sessions
 * and escalations in PostgreSQL (`DATABASE_URL`) or, by default, in an embedded PGlite under
 * `TUTOR_DATA_DIR` (default ./data), so a fresh machine needs no database server.
 */
const Main = logListening.pipe(
  Layer.provideMerge(makeServer({ disableListenLog: true, persistence: sqlPersistenceFromConfig("b") })),
  Layer.provide(NodeServerFromConfig),
  Layer.provide(TutorProvidersLive),
  Layer.provide(ServerConfigFromEnv)
)

NodeRuntime.runMain(Layer.launch(Main), {
  // SIGINT/SIGTERM interrupt the program; a clean shutdown is exit 0, not the default 130
  teardown: (exit, onExit) =>
    Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)
})
