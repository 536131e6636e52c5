import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, OpenApi } from "effect/http-api"
import { SafetyFinding } from "../domain/safety.ts"
import { LiveKitTokenQuery, StudentTokenResponse } from "../agent/tokens.ts"
import { JobStatus as JobStatusLiteral } from "../services/JobStore.ts"
import { SessionReport } from "../services/Sessions.ts"
import { DEFAULT_VOICE } from "../services/Speech.ts"
import { Subject } from "../services/Specialists.ts"
import { UsageSummary } from "../services/Usage.ts"
import { TurnLatency } from "../tutor/events.ts"
import {
  CsrfFailed,
  JobFailed,
  JobNotFound,
  JobNotReady,
  JobStoreUnavailable,
  JobTimedOut,
  LiveKitUnavailable,
  MalformedJson,
  PayloadTooLarge,
  RateLimitedResponse,
  RealtimeUnavailable,
  SessionTokenFailed,
  ValidationFailed
} from "./errors.ts"

/*
 * The Version B HTTP API, schema first: paths, bodies, statuses and error texts of the reference
 * (REFERENCE_BEHAVIOUR §2) plus the additions of SPEC §4. The OpenAPI document is derived from it.
 */

export const MAX_STUDENT_TEXT = 2_000

/** Bodies over 64 KiB → 413, malformed JSON → 400, anything not matching the schema → 422 (FastAPI style). */
export class RequestGuard extends HttpApiMiddleware.Service<RequestGuard>()("http/RequestGuard", {
  error: [MalformedJson, ValidationFailed, PayloadTooLarge]
}) {}

/** `X-CSRF-Token` must carry a valid `<expire>:<hmac>` token; checked before the body is read. */
export class CsrfProtected extends HttpApiMiddleware.Service<CsrfProtected>()("http/CsrfProtected", {
  error: CsrfFailed
}) {}

/** Opaque, client-chosen (the web app uses a UUID); bounded so it is a sane map key. */
const SessionId = Schema.String.pipe(Schema.check(Schema.isBetweenLength(1, 200)))
const JobId = Schema.String

export const JobStatusBody = Schema.Struct({
  job_id: Schema.String,
  status: JobStatusLiteral,
  subject: Schema.NullOr(Subject),
  confidence: Schema.NullOr(Schema.Number),
  safe_text: Schema.NullOr(Schema.String),
  tts_ready: Schema.Boolean,
  error_message: Schema.NullOr(Schema.String),
  /** additions to the reference: stage timings and tokens of the answered turn; null until it is complete */
  latency: Schema.NullOr(TurnLatency),
  usage: Schema.NullOr(UsageSummary),
  /** addition: why the turn went to a teacher (safety category, severity, evidence); null when it did not */
  finding: Schema.NullOr(SafetyFinding)
})

/** Declared for the OpenAPI document; the handlers write these bodies themselves as they stream. */
const ServerSentEvents = HttpApiSchema.StreamUint8Array({ contentType: "text/event-stream" })

export class SystemGroup extends HttpApiGroup.make("system", { topLevel: true }).add(
  HttpApiEndpoint.get("health", "/health", {
    success: Schema.Struct({ status: Schema.Literal("ok"), version: Schema.Literal("b") })
  }),
  HttpApiEndpoint.get("info", "/api", {
    success: Schema.Struct({ service: Schema.String, docs: Schema.String, health: Schema.String })
  }),
  HttpApiEndpoint.get("csrfToken", "/csrf/token", {
    success: Schema.Struct({ token: Schema.String, ttl: Schema.Number })
  }),
  // what the page may offer before anyone clicks; /health keeps the reference's exact shape
  HttpApiEndpoint.get("config", "/config", {
    success: Schema.Struct({ realtime: Schema.Boolean, livekit: Schema.Boolean })
  })
) {}

export class TelemetryGroup extends HttpApiGroup.make("telemetry").add(
  HttpApiEndpoint.post("events", "/events", {
    payload: Schema.Struct({
      session_id: Schema.String,
      event_name: Schema.String.pipe(Schema.check(Schema.isBetweenLength(1, 200))),
      attributes: Schema.optionalKey(Schema.Record(Schema.String, Schema.Union([Schema.String, Schema.Number, Schema.Boolean])))
    }),
    success: Schema.Struct({ ok: Schema.Literal(true) }),
    error: RateLimitedResponse
  })
) {}

export class SessionGroup extends HttpApiGroup.make("session").add(
  HttpApiEndpoint.post("token", "/session/token", {
    query: { session_id: SessionId },
    success: Schema.Struct({
      client_secret: Schema.Struct({ value: Schema.String, expires_at: Schema.Number }),
      session_id: Schema.String,
      model: Schema.String,
      voice: Schema.String
    }),
    error: [RealtimeUnavailable, SessionTokenFailed, RateLimitedResponse]
  }).middleware(CsrfProtected),
  HttpApiEndpoint.post("close", "/session/:session_id/close", {
    params: { session_id: SessionId },
    // the body is optional (an empty body decodes as null); a client's report is kept next to ours
    payload: [
      Schema.Struct({
        session_report: Schema.optionalKey(Schema.NullOr(Schema.Record(Schema.String, Schema.Unknown)))
      }),
      Schema.Null
    ],
    success: Schema.Struct({
      session_id: Schema.String,
      closed: Schema.Literal(true),
      report: SessionReport,
      client_report: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown))
    })
  }).middleware(CsrfProtected),
  HttpApiEndpoint.get("events", "/session/:session_id/events", {
    params: { session_id: SessionId },
    success: ServerSentEvents
  })
) {}

export class OrchestrateGroup extends HttpApiGroup.make("orchestrate").add(
  HttpApiEndpoint.post("dispatch", "/orchestrate", {
    payload: Schema.Struct({
      session_id: SessionId,
      student_text: Schema.Trim.pipe(Schema.check(Schema.isBetweenLength(1, MAX_STUDENT_TEXT)))
    }),
    success: Schema.Struct({ job_id: Schema.String }),
    error: RateLimitedResponse
  }).middleware(CsrfProtected),
  HttpApiEndpoint.get("status", "/orchestrate/:job_id", {
    params: { job_id: JobId },
    success: JobStatusBody,
    error: [JobNotFound, JobStoreUnavailable]
  }),
  HttpApiEndpoint.post("wait", "/orchestrate/:job_id/wait", {
    params: { job_id: JobId },
    query: {
      timeout: Schema.optional(Schema.Finite.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0))))
    },
    success: JobStatusBody,
    error: [JobNotFound, JobTimedOut, JobStoreUnavailable]
  }).middleware(CsrfProtected),
  HttpApiEndpoint.get("events", "/orchestrate/:job_id/events", {
    params: { job_id: JobId },
    success: ServerSentEvents,
    error: [JobNotFound, JobStoreUnavailable]
  })
) {}

export class SpeechGroup extends HttpApiGroup.make("tts").add(
  HttpApiEndpoint.post("stream", "/tts/stream", {
    payload: Schema.Struct({
      job_id: JobId,
      voice: Schema.optionalKey(Schema.String.pipe(Schema.check(Schema.isBetweenLength(1, 64))))
    }),
    success: HttpApiSchema.StreamUint8Array({ contentType: "audio/pcm" }),
    error: [JobNotFound, JobFailed, JobNotReady, RateLimitedResponse, JobStoreUnavailable]
  }).middleware(CsrfProtected)
) {}

export class TeacherGroup extends HttpApiGroup.make("teacher").add(
  HttpApiEndpoint.post("escalate", "/escalate", {
    payload: Schema.Struct({
      session_id: SessionId,
      reason: Schema.String.pipe(Schema.check(Schema.isBetweenLength(1, 2_000))),
      ws_base_url: Schema.optionalKey(Schema.NullOr(Schema.String.pipe(Schema.check(Schema.isPattern(/^wss?:\/\/\S+$/)))))
    }),
    success: Schema.Struct({ teacher_ws_url: Schema.String, session_id: Schema.String }),
    error: RateLimitedResponse
  }).middleware(CsrfProtected)
) {}

/** Version A's student token on this server, so one web origin serves both versions. */
export class LiveKitGroup extends HttpApiGroup.make("livekit").add(
  HttpApiEndpoint.get("token", "/livekit/token", {
    query: LiveKitTokenQuery.fields,
    success: StudentTokenResponse,
    error: [LiveKitUnavailable, RateLimitedResponse]
  }).middleware(CsrfProtected)
) {}

export class TutorApi extends HttpApi.make("voice-ai-tutor-b")
  .add(SystemGroup)
  .add(TelemetryGroup)
  .add(SessionGroup)
  .add(OrchestrateGroup)
  .add(SpeechGroup)
  .add(TeacherGroup)
  .add(LiveKitGroup)
  .middleware(RequestGuard)
  .annotateMerge(OpenApi.annotations({
    title: "Voice AI Tutor — Version B Backend",
    version: "0.1.0",
    description: `Teacher WebSocket: GET /ws/teacher/{session_id}?token=<grant from /escalate>. Default voice: ${DEFAULT_VOICE}.`
  }))
{}
