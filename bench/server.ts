/**
 * The real Version B server (`makeServer`) in this process on a loopback port, over the LIVE
 * provider layers pointed at the stub. The per-IP limits of the server are constants, so the
 * load spreads over fake client addresses: the server trusts `X-Forwarded-For` here
 * (`TRUST_PROXY`), and every simulated client gets its own address.
 */
import { NodeHttpServer } from "@effect/platform-node"
import { SafetyWithModel } from "../src/layers/local/safety/SafetyLocal.ts"
import { ConfigProvider, Context, Duration, Effect, Layer, Redacted, References, type Scope } from "effect"
import { createServer } from "node:http"
import { randomBytes } from "node:crypto"
import { DEFAULT_FALLBACK_MESSAGES, DEFAULT_TEACHER_FALLBACK, ServerConfig, type ServerSettings } from "../src/http/config.ts"
import { makeServer, memoryPersistence } from "../src/http/server.ts"
import { turnPipeline } from "../src/layers/pipeline/workerPool.ts"
import { issueCredential, issueCsrfToken } from "../src/http/studentAuth.ts"
import { deriveKey } from "../src/services/signing.ts"
import type { StudentPass } from "./loadProtocol.ts"
import { LiveProviders } from "../src/layers/live/index.ts"
import { JobStore } from "../src/services/JobStore.ts"
import { monotonicMs, type StubEnv } from "./protocol.ts"

/** The live provider layers configured from `env` alone (process.env is never read). */
export const liveProviders = (env: StubEnv) =>
  Layer.merge(LiveProviders.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))), SafetyWithModel)

export interface BenchServer {
  readonly origin: URL
  /** the server's job store, to wait for jobs and to run its retention sweep */
  readonly jobs: JobStore["Service"]
  /** a session's credential and CSRF token (300 s), as `POST /session` would give them */
  readonly credentials: (sessionId: string) => Effect.Effect<StudentPass>
  /** server-side times of `POST /orchestrate` (request parsed → response finished) since the last call */
  readonly takeOrchestrateTimes: Effect.Effect<ReadonlyArray<number>>
}

/** Starts a server on 127.0.0.1:<free port>; it stops when the scope closes. */
export const startServer = (env: StubEnv, turnWorkers: number): Effect.Effect<BenchServer, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    const csrfSecret = Redacted.make(randomBytes(32).toString("hex"))
    const settings: ServerSettings = {
      host: "127.0.0.1",
      port: 0,
      csrfSecret,
      studentSecret: deriveKey(csrfSecret, "student-session"),
      teacherSecret: Redacted.make(randomBytes(32).toString("hex")),
      teacherGrantTtl: Duration.hours(1),
      publicWsUrl: "ws://127.0.0.1",
      trustProxy: true,
      teacherFallbackAfter: DEFAULT_TEACHER_FALLBACK,
      fallbackMessages: DEFAULT_FALLBACK_MESSAGES,
      corsOrigins: []
    }
    let orchestrateTimes: Array<number> = []
    const http = createServer()
    // registered before the platform's own listener, so it sees the request first
    http.on("request", (req, res) => {
      if (req.method !== "POST" || req.url !== "/orchestrate") return
      const received = monotonicMs()
      res.once("finish", () => orchestrateTimes.push(monotonicMs() - received))
    })
    // finished jobs expire at once, but only when the bench runs the sweep (between its readings)
    const persistence = memoryPersistence({ sweepEvery: Duration.days(1), finishedTtl: Duration.zero })
    // the workers configure their live providers from their environment, as `npm start`'s would
    const turns = turnPipeline(turnWorkers, { ...env, TUTOR_PROVIDERS: "live" })
    const layer = makeServer({ disableLogger: true, disableListenLog: true, persistence, turns }).pipe(
      Layer.provideMerge(NodeHttpServer.layer(() => http, { host: settings.host, port: 0 })),
      Layer.provide(liveProviders(env)),
      Layer.provide(Layer.succeed(ServerConfig, settings)),
      // provider hiccups under load are counted by the bench; one log line each would drown the table
      Layer.provide(Layer.succeed(References.MinimumLogLevel, "Error"))
    )
    const context = yield* Layer.build(layer)
    const address = http.address()
    if (address === null || typeof address === "string") return yield* Effect.die(new Error("server: no TCP address"))
    return {
      origin: new URL(`http://127.0.0.1:${address.port}`),
      jobs: Context.get(context, JobStore),
      credentials: (sessionId) =>
        Effect.all({
          bearer: issueCredential(settings.studentSecret, sessionId),
          csrf: issueCsrfToken(settings.csrfSecret, sessionId)
        }),
      takeOrchestrateTimes: Effect.sync(() => {
        const taken = orchestrateTimes
        orchestrateTimes = []
        return taken
      })
    }
  })
