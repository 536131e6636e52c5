import { NodeHttpServer, NodeSocket } from "@effect/platform-node"
import { Duration, Effect, Layer, Queue, Redacted, References, Schema, Stream } from "effect"
import { SafetyFinding } from "../../src/domain/safety.ts"
import { HttpClient, HttpClientRequest, type HttpClientResponse, HttpServer } from "effect/http"
import { Socket } from "effect/socket"
import {
  DEFAULT_FALLBACK_MESSAGES,
  DEFAULT_TEACHER_FALLBACK,
  ServerConfig,
  type ServerSettings
} from "../../src/http/config.ts"
import { makeServer, type ServerPersistence } from "../../src/http/server.ts"
import { RealtimeUnavailable } from "../../src/layers/local/realtime.ts"
import { type GuardrailScript, testGuardrail } from "../../src/layers/test/guardrail.ts"
import { type SafetyScript, testSafety } from "../../src/layers/test/safety.ts"
import { scriptedFailure, type SpecialistsScript, testSpecialists } from "../../src/layers/test/specialists.ts"
import { type SpeechScript, testSpeech } from "../../src/layers/test/speech.ts"
import { Realtime } from "../../src/services/Realtime.ts"
import type { Safety } from "../../src/services/Safety.ts"
import type { Specialists } from "../../src/services/Specialists.ts"
import type { Speech } from "../../src/services/Speech.ts"
import type { TurnPipeline } from "../../src/services/TurnPipeline.ts"
import { type TokenUsage, UsageSummary } from "../../src/services/Usage.ts"
import { TurnLatency } from "../../src/tutor/events.ts"

export const TEST_CSRF_SECRET = "test-csrf-secret"

export const testSettings: ServerSettings = {
  host: "127.0.0.1",
  port: 0,
  csrfSecret: Redacted.make(TEST_CSRF_SECRET),
  studentSecret: Redacted.make("test-student-secret"),
  teacherSecret: Redacted.make("test-teacher-secret"),
  teacherGrantTtl: Duration.hours(1),
  publicWsUrl: "ws://localhost:8001",
  trustProxy: false,
  teacherFallbackAfter: DEFAULT_TEACHER_FALLBACK,
  fallbackMessages: DEFAULT_FALLBACK_MESSAGES,
  corsOrigins: ["http://localhost:3000"]
}

export interface TestServerOptions<E = never> {
  readonly specialists?: SpecialistsScript
  /** replaces the scripted specialists entirely, e.g. with one the test holds back */
  readonly specialistsLayer?: Layer.Layer<Specialists>
  readonly guardrail?: GuardrailScript
  /** the scripted safety check (clear schoolwork unless scripted), or a real one */
  readonly safety?: SafetyScript
  readonly safetyLayer?: Layer.Layer<Safety>
  readonly speech?: SpeechScript
  /** replaces the scripted speech entirely, e.g. with one that fails */
  readonly speechLayer?: Layer.Layer<Speech>
  readonly realtime?: Layer.Layer<Realtime>
  readonly settings?: Partial<ServerSettings>
  /** in memory unless given, e.g. SQL for restart and multi-instance tests */
  readonly persistence?: Layer.Layer<ServerPersistence, E>
  /** where jobs answer their turns; in process (on the scripted providers) unless given */
  readonly turns?: Layer.Layer<TurnPipeline>
}

/** The fixed key a configured Realtime provider mints: longer than the 20 characters the record keeps. */
export const SCRIPTED_REALTIME_KEY = "ek-test-0123456789abcdefghij"

/** A configured Realtime provider that fails as the provider would for the sessions in `failing`. */
export const realtimeFailingFor = (failing: ReadonlySet<string>) =>
  Layer.succeed(
    Realtime,
    Realtime.of({
      available: true,
      mintSession: (sessionId) =>
        failing.has(sessionId)
          ? Effect.fail(scriptedFailure("Realtime.mintSession"))
          : Effect.succeed({
            clientSecret: SCRIPTED_REALTIME_KEY,
            expiresAt: 1_900_000_000,
            model: "gpt-realtime",
            voice: "alloy"
          })
    })
  )

export const scriptedRealtime = realtimeFailingFor(new Set())

/** The real Version B server on an ephemeral port, on the scriptable test providers. */
export const testServer = <E = never>(options: TestServerOptions<E> = {}) =>
  makeServer({
    disableLogger: true,
    disableListenLog: true,
    ...(options.persistence ? { persistence: options.persistence } : {}),
    ...(options.turns ? { turns: options.turns } : {})
  }).pipe(
    Layer.provideMerge(NodeHttpServer.layerTest),
    Layer.provideMerge(Layer.mergeAll(
      options.specialistsLayer ?? testSpecialists(options.specialists),
      testGuardrail(options.guardrail),
      options.safetyLayer ?? testSafety(options.safety),
      options.speechLayer ?? testSpeech(options.speech),
      options.realtime ?? RealtimeUnavailable
    )),
    Layer.provideMerge(Layer.succeed(ServerConfig, { ...testSettings, ...options.settings })),
    Layer.provideMerge(NodeSocket.layerWebSocketConstructor),
    // expected refusals log at info; warnings and errors stay visible
    Layer.provideMerge(Layer.succeed(References.MinimumLogLevel, "Warn"))
  )

export interface Reply {
  readonly status: number
  readonly headers: HttpClientResponse.HttpClientResponse["headers"]
  readonly body: unknown
}

export const read = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.map(response.text, (text): Reply => ({
    status: response.status,
    headers: response.headers,
    body: text.length === 0 ? null : JSON.parse(text)
  }))

/** A student session as `POST /session` opened it: its id, bearer credential and first CSRF token. */
export interface Student {
  readonly sessionId: string
  readonly token: string
  readonly csrf: string
}

const authorization = (as: Student | undefined): Record<string, string> =>
  as === undefined ? {} : { authorization: `Bearer ${as.token}` }

/** A GET, as nobody or as the given student (bearer credential). */
export const get = (path: string, as?: Student) =>
  Effect.flatMap(HttpClient.execute(HttpClientRequest.get(path).pipe(HttpClientRequest.setHeaders(authorization(as)))), read)

const Opened = Schema.Struct({ session_id: Schema.String, token: Schema.String, csrf_token: Schema.String })

/** Opens a student session as a client would (`POST /session`). */
export const openStudent = Effect.gen(function*() {
  const reply = yield* Effect.flatMap(HttpClient.execute(HttpClientRequest.post("/session")), read)
  const opened = yield* Schema.decodeUnknownEffect(Opened)(reply.body)
  return { sessionId: opened.session_id, token: opened.token, csrf: opened.csrf_token } satisfies Student
})

/** A fresh CSRF token of the student's session. */
export const csrfToken = (as: Student) =>
  Effect.gen(function*() {
    const reply = yield* get(`/csrf/token?session_id=${as.sessionId}`, as)
    const body = yield* Schema.decodeUnknownEffect(Schema.Struct({ token: Schema.String }))(reply.body)
    return body.token
  })

/** A GET with the CSRF header, as the web app asks for its LiveKit token. */
export const getProtected = (path: string, as: Student) =>
  Effect.gen(function*() {
    const request = HttpClientRequest.get(path).pipe(HttpClientRequest.setHeaders({ ...authorization(as), "x-csrf-token": as.csrf }))
    return yield* Effect.flatMap(HttpClient.execute(request), read)
  })

export interface PostOptions {
  /** the student the request speaks for: its bearer credential and (unless `csrf` says otherwise) its CSRF token */
  readonly as?: Student
  /** a CSRF token to send instead of the student's; `null` sends none */
  readonly csrf?: string | null
  readonly headers?: Record<string, string>
}

/** A POST request with the credential and CSRF header set as the web app would. */
export const postRequest = (path: string, body: string | undefined, options: PostOptions = {}) =>
  Effect.sync(() => {
    const token = options.csrf === undefined ? options.as?.csrf ?? null : options.csrf
    return HttpClientRequest.post(path).pipe(
      HttpClientRequest.setHeaders({
        ...authorization(options.as),
        ...(token === null ? {} : { "x-csrf-token": token }),
        ...options.headers
      }),
      body === undefined ? (request) => request : HttpClientRequest.bodyText(body, "application/json")
    )
  })

export const postRaw = (path: string, body: string | undefined, options: PostOptions = {}) =>
  Effect.flatMap(postRequest(path, body, options), (request) => Effect.flatMap(HttpClient.execute(request), read))

export const post = (path: string, body?: unknown, options: PostOptions = {}) =>
  postRaw(path, body === undefined ? undefined : JSON.stringify(body), options)

const JobId = Schema.Struct({ job_id: Schema.String })

export const dispatch = (as: Student, studentText: string) =>
  Effect.gen(function*() {
    const reply = yield* post("/orchestrate", { session_id: as.sessionId, student_text: studentText }, { as })
    return (yield* Schema.decodeUnknownEffect(JobId)(reply.body)).job_id
  })

export const JobStatusReply = Schema.Struct({
  job_id: Schema.String,
  status: Schema.String,
  subject: Schema.NullOr(Schema.String),
  safe_text: Schema.NullOr(Schema.String),
  tts_ready: Schema.Boolean,
  error_message: Schema.NullOr(Schema.String),
  latency: Schema.NullOr(TurnLatency),
  usage: Schema.NullOr(UsageSummary),
  finding: Schema.NullOr(SafetyFinding)
})

/** What a scripted answer reports as its tokens: priced by the default table at $1 / $5 per million. */
export const SCRIPTED_USAGE: TokenUsage = { model: "claude-haiku-4-5", inputTokens: 1000, outputTokens: 200 }
/** (1000 × $1 + 200 × $5) / 1e6 */
export const SCRIPTED_COST_USD = 0.002

export const waitFor = (as: Student, jobId: string, seconds = 10) =>
  Effect.flatMap(post(`/orchestrate/${jobId}/wait?timeout=${seconds}`, undefined, { as }), (reply) =>
    Schema.decodeUnknownEffect(JobStatusReply)(reply.body))

export interface SseEvent {
  readonly event: string
  readonly data: unknown
}

/** An event block, or nothing for a comment such as a keep-alive. */
const parseEvent = (lines: ReadonlyArray<string>): ReadonlyArray<SseEvent> => {
  const event = lines.find((line) => line.startsWith("event: "))?.slice(7)
  const data = lines.find((line) => line.startsWith("data: "))?.slice(6)
  return event === undefined || data === undefined ? [] : [{ event, data: JSON.parse(data) }]
}

/** Events of an SSE response, as they arrive (comments and keep-alives skipped). */
export const sseEvents = (response: HttpClientResponse.HttpClientResponse) =>
  response.stream.pipe(
    Stream.decodeText,
    Stream.splitLines,
    Stream.mapAccum((): ReadonlyArray<string> => [], (lines, line): readonly [ReadonlyArray<string>, ReadonlyArray<SseEvent>] =>
      line === "" ? [[], parseEvent(lines)] : [[...lines, line], []])
  )

/** Opens an SSE stream; the returned queue receives its events. */
export const openSse = (path: string, as?: Student, headers: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const response = yield* HttpClient.execute(
      HttpClientRequest.get(path).pipe(HttpClientRequest.setHeaders({ ...authorization(as), ...headers }))
    )
    const inbox = yield* Queue.unbounded<SseEvent>()
    yield* sseEvents(response).pipe(Stream.runForEach((event) => Queue.offer(inbox, event)), Effect.ignore, Effect.forkScoped)
    return inbox
  })

/** A teacher WebSocket whose received messages land in a queue. */
export const connectTeacher = (pathAndQuery: string, headers?: Record<string, string>) =>
  Effect.gen(function*() {
    const url = yield* HttpServer.addressFormattedWith((address) => Effect.succeed(address.replace("http", "ws") + pathAndQuery))
    const socket = yield* Socket.makeWebSocket(url, headers === undefined ? {} : { headers })
    const pull = yield* Socket.readerString(socket)
    const writer = yield* socket.writer
    const inbox = yield* Queue.unbounded<unknown>()
    const first = yield* pull
    yield* Queue.offerAll(inbox, first.map((frame) => JSON.parse(frame)))
    yield* pull.pipe(
      Effect.flatMap((frames) => Queue.offerAll(inbox, frames.map((frame) => JSON.parse(frame)))),
      Effect.forever,
      Effect.ignore,
      Effect.forkScoped
    )
    return { send: (message: unknown) => writer.write(JSON.stringify(message)), sendRaw: writer.write, inbox }
  })
