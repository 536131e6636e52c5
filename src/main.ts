import { NodeRuntime } from "@effect/platform-node"
import { Cause, Exit, Layer, Runtime } from "effect"
import { ServerConfigFromEnv } from "./http/config.ts"
import { logListening, makeServer, NodeServerFromConfig } from "./http/server.ts"
import { teacherSignInNotice } from "./http/teacherAuth.ts"
import { TracingLive } from "./layers/observability.ts"
import { TurnPipelineFromConfig } from "./layers/pipeline/workerPool.ts"
import { TutorProvidersLive } from "./layers/providers.ts"
import { sqlPersistenceFromConfig } from "./layers/sql/index.ts"

/**
 * `npm start`: the Version B server on HOST:PORT (default 127.0.0.1:8001), its jobs, sessions
 * and escalations in PostgreSQL (`DATABASE_URL`) or, by default, in an embedded PGlite under
 * `TUTOR_DATA_DIR` (default ./data), so a fresh machine needs no database server.
 */
const persistence = sqlPersistenceFromConfig("b")

const Main = Layer.merge(logListening, teacherSignInNotice).pipe(
  Layer.provideMerge(makeServer({ disableListenLog: true, persistence, turns: TurnPipelineFromConfig })),
  // the port opens only once the database is ready (the same instance: layers are shared by
  // reference): a request accepted before the routes exist would wait forever, and the embedded
  // database takes seconds to start
  Layer.provide(NodeServerFromConfig.pipe(Layer.provide(persistence))),
  Layer.provide(TutorProvidersLive),
  Layer.provide(ServerConfigFromEnv),
  // outermost, so it is released last: spans of the shutdown itself are flushed too
  Layer.provide(TracingLive)
)

NodeRuntime.runMain(Layer.launch(Main), {
  // SIGINT/SIGTERM interrupt the program; a clean shutdown is exit 0, not the default 130
  teardown: (exit, onExit) =>
    Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)
})
