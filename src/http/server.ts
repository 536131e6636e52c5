import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServer, HttpStaticServer } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { createServer } from "node:http"
import { fileURLToPath } from "node:url"
import { escalationMemory } from "../layers/memory/escalation.ts"
import { teachersMemory } from "../layers/memory/teachers.ts"
import { type JobRetention, jobStoreMemory } from "../layers/memory/jobStore.ts"
import { sessionsMemory } from "../layers/memory/sessions.ts"
import { turnPipelineInProcess } from "../layers/pipeline/inProcess.ts"
import type { Escalation } from "../services/Escalation.ts"
import type { JobStore } from "../services/JobStore.ts"
import type { Sessions } from "../services/Sessions.ts"
import type { Teachers } from "../services/Teachers.ts"
import type { TurnPipeline, TurnProviders } from "../services/TurnPipeline.ts"
import { TutorApi } from "./api.ts"
import { ServerConfig } from "./config.ts"
import { JobDispatcher, ServerShutdown } from "./lifecycle.ts"
import {
  CSRF_HEADER,
  CsrfProtectedLive,
  ErrorBoundary,
  REQUEST_ID_HEADER,
  RequestGuardLive,
  StudentAuthLive,
  TeacherAuthLive
} from "./middleware.ts"
import { RateLimitsMemory } from "./rateLimit.ts"
import { LiveKitRoutes } from "./routes/livekit.ts"
import { OrchestrateRoutes } from "./routes/orchestrate.ts"
import { SessionRoutes } from "./routes/session.ts"
import { AUDIO_HEADERS, SpeechRoutes } from "./routes/speech.ts"
import { SystemRoutes, TelemetryRoutes } from "./routes/system.ts"
import { TeacherInboxRoutes, TeacherRoutes, TeacherSignInRoutes, TeacherSocketRoute } from "./routes/teacher.ts"
import { TeacherAccessSigned } from "./tokens.ts"

const ApiRoutes = HttpApiBuilder.layer(TutorApi, { openapiPath: "/openapi.json" }).pipe(
  Layer.provide([
    SystemRoutes,
    TelemetryRoutes,
    SessionRoutes,
    OrchestrateRoutes,
    SpeechRoutes,
    TeacherRoutes,
    TeacherSignInRoutes,
    TeacherInboxRoutes,
    LiveKitRoutes
  ]),
  // middleware implementations are looked up again when the routes are built: provideMerge, not provide
  Layer.provideMerge(RequestGuardLive),
  Layer.provideMerge(CsrfProtectedLive),
  Layer.provideMerge(StudentAuthLive),
  Layer.provideMerge(TeacherAuthLive)
)

/** The web origins may call the API with the CSRF header and read the audio headers. */
const Cors = Layer.unwrap(Effect.map(ServerConfig, (config) =>
  HttpRouter.cors({
    allowedOrigins: config.corsOrigins,
    allowedHeaders: ["content-type", "authorization", CSRF_HEADER],
    exposedHeaders: [REQUEST_ID_HEADER, "retry-after", ...Object.keys(AUDIO_HEADERS)],
    credentials: true
  })))

/**
 * The built web app (`npm run build:web`); extension-less paths asking for HTML (/student, /teacher)
 * get index.html, API paths keep their JSON 404s.
 */
const WebApp = HttpStaticServer.layer({ root: fileURLToPath(new URL("../../web/dist", import.meta.url)), spa: true })

export const AppRoutes = Layer.mergeAll(ApiRoutes, TeacherSocketRoute, ErrorBoundary, Cors, WebApp)

/** What a Version B server keeps beyond one request: jobs, sessions, escalations, teacher accounts. */
export type ServerPersistence = JobStore | Sessions | Escalation | Teachers

/** Everything in process memory, lost on restart: the fast HTTP tests and the benchmarks run on it. */
export const memoryPersistence = (jobRetention?: JobRetention): Layer.Layer<ServerPersistence> => Layer.mergeAll(
  jobStoreMemory(jobRetention),
  sessionsMemory(),
  escalationMemory(),
  teachersMemory()
)

/**
 * The state of a Version B server over the given persistence. Provided outside
 * `HttpRouter.serve` so tests and other front doors share the same instances.
 */
export const ServerState = <E, E2, R2>(
  persistence: Layer.Layer<ServerPersistence, E>,
  turns: Layer.Layer<TurnPipeline, E2, R2>
) =>
  Layer.mergeAll(JobDispatcher.layer, RateLimitsMemory, ServerShutdown.layer).pipe(
    Layer.provideMerge(TeacherAccessSigned),
    Layer.provideMerge(persistence),
    Layer.provideMerge(turns)
  )

export interface ServeOptions<E = never, E2 = never, R2 = TurnProviders> {
  readonly disableLogger?: boolean
  readonly disableListenLog?: boolean
  /** where jobs, sessions and escalations live; in memory unless given (`npm start` gives SQL) */
  readonly persistence?: Layer.Layer<ServerPersistence, E>
  /** where jobs answer their turns; in this process unless given (`TUTOR_TURN_WORKERS`) */
  readonly turns?: Layer.Layer<TurnPipeline, E2, R2>
}

/**
 * The Version B server over some `HttpServer`. On release the shutdown signal fires first (SSE
 * streams and teacher sockets end), then the server stops, then running jobs are interrupted,
 * and only then the persistence closes, so interrupted jobs are still recorded as such.
 */
export const makeServer = <E = never, E2 = never, R2 = TurnProviders>(options: ServeOptions<E, E2, R2> = {}) => {
  const persistence: Layer.Layer<ServerPersistence, E> = options.persistence ?? memoryPersistence()
  const turns: Layer.Layer<TurnPipeline, E2, R2 | TurnProviders> = options.turns ?? turnPipelineInProcess
  return ServerShutdown.triggerOnRelease.pipe(
    Layer.provideMerge(HttpRouter.serve(AppRoutes, options)),
    Layer.provideMerge(ServerState(persistence, turns))
  )
}

/** Listens on HOST:PORT from the config; open requests get 5 s to finish on shutdown. */
export const NodeServerFromConfig = Layer.unwrap(Effect.map(ServerConfig, (config) =>
  NodeHttpServer.layer(createServer, { port: config.port, host: config.host, gracefulShutdownTimeout: "5 seconds" })))

export const logListening = Layer.effectDiscard(HttpServer.addressFormattedWith((url) =>
  Effect.logInfo(
    `Voice AI Tutor on ${url}: students open ${url}/student?v=b, teachers ${url}/teacher (API: ${url}/openapi.json)`
  )))
