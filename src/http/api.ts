import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, OpenApi } from "effect/http-api"
import { SafetyCategory, SafetyFinding, Severity } from "../domain/safety.ts"
import { LiveKitTokenQuery, StudentTokenResponse } from "../agent/tokens.ts"
import { JobStatus as JobStatusLiteral } from "../services/JobStore.ts"
import { EscalationTrigger } from "../services/Escalation.ts"
import { SessionReport, Speaker } from "../services/Sessions.ts"
import { TeacherAction, TeacherRole } from "../services/Teachers.ts"
import { DEFAULT_VOICE } from "../services/Speech.ts"
import { Subject } from "../services/Specialists.ts"
import { UsageSummary } from "../services/Usage.ts"
import { TurnLatency } from "../tutor/events.ts"
import {
  AdminOnly,
  AlreadyClaimed,
  ClaimRequired,
  CsrfFailed,
  EscalationNotFound,
  JobFailed,
  JobNotFound,
  JobNotReady,
  JobStoreUnavailable,
  JobTimedOut,
  LiveKitUnavailable,
  MalformedJson,
  NotThisSession,
  PayloadTooLarge,
  RateLimitedResponse,
  RealtimeUnavailable,
  SessionTokenFailed,
  SignInLinkInvalid,
  TeacherSignInRequired,
  Unauthenticated,
  ValidationFailed
} from "./errors.ts"
import { CsrfBinding, StudentCaller } from "./studentAuth.ts"
import { SignedInTeacher } from "./teacherAuth.ts"

/*
 * The Version B HTTP API, schema first: paths, bodies, statuses and error texts of the reference
 * (REFERENCE_BEHAVIOUR §2) plus the additions of SPEC §4. The OpenAPI document is derived from it.
 */

export const MAX_STUDENT_TEXT = 2_000

/** Bodies over 64 KiB → 413, malformed JSON → 400, anything not matching the schema → 422 (FastAPI style). */
export class RequestGuard extends HttpApiMiddleware.Service<RequestGuard>()("http/RequestGuard", {
  error: [MalformedJson, ValidationFailed, PayloadTooLarge]
}) {}

/**
 * `X-CSRF-Token` must carry a valid token of some session; checked before the body is read. The
 * handler then checks it is the session the request is about (`requireStudentWrite`).
 */
export class CsrfProtected extends HttpApiMiddleware.Service<CsrfProtected, { provides: CsrfBinding }>()(
  "http/CsrfProtected",
  { error: CsrfFailed }
) {}

/**
 * Reads the student credentials of the request (session cookies, bearer token). Every
 * session-scoped route has it; its handler says which session it needs (`requireStudent`):
 * none given → 401, only others' → 403.
 */
export class StudentAuth extends HttpApiMiddleware.Service<StudentAuth, { provides: StudentCaller }>()(
  "http/StudentAuth",
  { error: [Unauthenticated, NotThisSession] }
) {}

/**
 * A signed-in teacher (the `tutor_teacher` cookie, HttpOnly and SameSite=Strict, so another site
 * can neither read nor send it); 401 otherwise. The cookie's token rotates as it is used.
 */
export class TeacherAuth extends HttpApiMiddleware.Service<TeacherAuth, { provides: SignedInTeacher }>()(
  "http/TeacherAuth",
  { error: TeacherSignInRequired }
) {}

/**
 * Text the server stores or passes on: bounded, and without NUL, which PostgreSQL cannot store (one
 * such character once made a whole batch of other students' rows fail). Refused with a 422.
 */
export const StorableText = (min: number, max: number) =>
  Schema.String.pipe(
    Schema.check(Schema.isBetweenLength(min, max)),
    Schema.check(Schema.isPattern(/^[^\u0000]*$/, { message: "must not contain NUL characters" }))
  )

/** Opened by the server (`POST /session`); bounded so a forged one is a sane map key. */
const SessionId = StorableText(1, 200)

/** What opening a session gives: the credential (also set as a cookie) and a first CSRF token. */
export const OpenedSession = Schema.Struct({
  session_id: Schema.String,
  /** `Authorization: Bearer <token>` for API clients; the web app uses the HttpOnly cookie */
  token: Schema.String,
  expires_at: Schema.Number,
  csrf_token: Schema.String,
  csrf_ttl: Schema.Number
})
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
    query: { session_id: SessionId },
    success: Schema.Struct({ token: Schema.String, ttl: Schema.Number })
  }).middleware(StudentAuth),
  // what the page may offer before anyone clicks; /health keeps the reference's exact shape
  HttpApiEndpoint.get("config", "/config", {
    success: Schema.Struct({ realtime: Schema.Boolean, livekit: Schema.Boolean })
  })
) {}

export class TelemetryGroup extends HttpApiGroup.make("telemetry").add(
  HttpApiEndpoint.post("events", "/events", {
    payload: Schema.Struct({
      session_id: SessionId,
      event_name: StorableText(1, 200),
      attributes: Schema.optionalKey(Schema.Record(Schema.String, Schema.Union([Schema.String, Schema.Number, Schema.Boolean])))
    }),
    success: Schema.Struct({ ok: Schema.Literal(true) }),
    error: RateLimitedResponse
  }).middleware(StudentAuth)
) {}

export class SessionGroup extends HttpApiGroup.make("session").add(
  HttpApiEndpoint.post("open", "/session", {
    success: OpenedSession,
    error: RateLimitedResponse
  }),
  HttpApiEndpoint.post("token", "/session/token", {
    query: { session_id: SessionId },
    success: Schema.Struct({
      client_secret: Schema.Struct({ value: Schema.String, expires_at: Schema.Number }),
      session_id: Schema.String,
      model: Schema.String,
      voice: Schema.String
    }),
    error: [RealtimeUnavailable, SessionTokenFailed, RateLimitedResponse]
  }).middleware(CsrfProtected).middleware(StudentAuth),
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
  }).middleware(CsrfProtected).middleware(StudentAuth),
  HttpApiEndpoint.get("events", "/session/:session_id/events", {
    params: { session_id: SessionId },
    success: ServerSentEvents
  }).middleware(StudentAuth)
) {}

export class OrchestrateGroup extends HttpApiGroup.make("orchestrate").add(
  HttpApiEndpoint.post("dispatch", "/orchestrate", {
    payload: Schema.Struct({
      session_id: SessionId,
      student_text: Schema.Trim.pipe(Schema.decodeTo(StorableText(1, MAX_STUDENT_TEXT)))
    }),
    success: Schema.Struct({ job_id: Schema.String }),
    error: RateLimitedResponse
  }).middleware(CsrfProtected).middleware(StudentAuth),
  HttpApiEndpoint.get("status", "/orchestrate/:job_id", {
    params: { job_id: JobId },
    success: JobStatusBody,
    error: [JobNotFound, JobStoreUnavailable]
  }).middleware(StudentAuth),
  HttpApiEndpoint.post("wait", "/orchestrate/:job_id/wait", {
    params: { job_id: JobId },
    query: {
      timeout: Schema.optional(Schema.Finite.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0))))
    },
    success: JobStatusBody,
    error: [JobNotFound, JobTimedOut, JobStoreUnavailable]
  }).middleware(CsrfProtected).middleware(StudentAuth),
  HttpApiEndpoint.get("events", "/orchestrate/:job_id/events", {
    params: { job_id: JobId },
    success: ServerSentEvents,
    error: [JobNotFound, JobStoreUnavailable]
  }).middleware(StudentAuth)
) {}

export class SpeechGroup extends HttpApiGroup.make("tts").add(
  HttpApiEndpoint.post("stream", "/tts/stream", {
    payload: Schema.Struct({
      job_id: JobId,
      voice: Schema.optionalKey(StorableText(1, 64))
    }),
    success: HttpApiSchema.StreamUint8Array({ contentType: "audio/pcm" }),
    error: [JobNotFound, JobFailed, JobNotReady, RateLimitedResponse, JobStoreUnavailable]
  }).middleware(CsrfProtected).middleware(StudentAuth)
) {}

export class TeacherGroup extends HttpApiGroup.make("teacher").add(
  HttpApiEndpoint.post("escalate", "/escalate", {
    payload: Schema.Struct({
      session_id: SessionId,
      reason: StorableText(1, 2_000)
    }),
    // never a teacher link: the student learns that teachers were alerted, nothing more
    success: Schema.Struct({ session_id: Schema.String, escalation_id: Schema.String, state: Schema.Literal("pending") }),
    error: RateLimitedResponse
  }).middleware(CsrfProtected).middleware(StudentAuth)
) {}

export const TeacherProfile = Schema.Struct({ name: Schema.String, email: Schema.String, role: TeacherRole })

/** One escalation in the teachers' inbox. */
export const InboxItem = Schema.Struct({
  escalation_id: Schema.String,
  session_id: Schema.String,
  reason: Schema.String,
  trigger: EscalationTrigger,
  /** null on escalations from before the safety taxonomy */
  category: Schema.NullOr(SafetyCategory),
  severity: Schema.NullOr(Severity),
  raised_at: Schema.Number,
  waiting_seconds: Schema.Number,
  state: Schema.Literals(["open", "claimed", "resolved"]),
  /** the name of the teacher who claimed it */
  claimed_by: Schema.NullOr(Schema.String),
  /** claimed by the teacher asking */
  mine: Schema.Boolean
})
export type InboxItem = typeof InboxItem.Type

const EscalationParams = { escalation_id: Schema.String.pipe(Schema.check(Schema.isBetweenLength(1, 100))) }
const SessionParams = { session_id: SessionId }

/** Signing in: anonymous, limited per address and per account. */
export class TeacherSignInGroup extends HttpApiGroup.make("teacherSignIn").add(
  HttpApiEndpoint.post("signIn", "/api/teacher/sign-in", {
    payload: Schema.Struct({ token: StorableText(1, 200) }),
    success: TeacherProfile,
    error: [SignInLinkInvalid, RateLimitedResponse]
  })
) {}

/** The signed-in teacher's inbox and the sessions they claimed. */
export class TeacherInboxGroup extends HttpApiGroup.make("teacherInbox").add(
  HttpApiEndpoint.get("me", "/api/teacher/me", { success: TeacherProfile }),
  HttpApiEndpoint.post("signOut", "/api/teacher/sign-out", { success: Schema.Struct({ signed_out: Schema.Literal(true) }) }),
  HttpApiEndpoint.get("inbox", "/api/teacher/escalations", {
    success: Schema.Struct({ escalations: Schema.Array(InboxItem) })
  }),
  HttpApiEndpoint.get("inboxEvents", "/api/teacher/escalations/events", { success: ServerSentEvents }),
  HttpApiEndpoint.post("claim", "/api/teacher/escalations/:escalation_id/claim", {
    params: EscalationParams,
    success: InboxItem,
    error: [AlreadyClaimed, EscalationNotFound]
  }),
  HttpApiEndpoint.post("resolve", "/api/teacher/escalations/:escalation_id/resolve", {
    params: EscalationParams,
    payload: Schema.Struct({ note: Schema.Trim.pipe(Schema.decodeTo(StorableText(1, 2_000))) }),
    success: InboxItem,
    error: [ClaimRequired, EscalationNotFound]
  }),
  HttpApiEndpoint.get("session", "/api/teacher/sessions/:session_id", {
    params: SessionParams,
    success: Schema.Struct({
      session_id: Schema.String,
      transcript: Schema.Array(Schema.Struct({
        speaker: Speaker,
        text: Schema.String,
        subject: Schema.NullOr(Schema.String),
        at: Schema.Number
      })),
      escalations: Schema.Array(InboxItem)
    }),
    error: ClaimRequired
  }),
  /** who read, messaged or claimed the session, oldest first: for admins (a safeguarding lead) */
  HttpApiEndpoint.get("audit", "/api/teacher/sessions/:session_id/audit", {
    params: SessionParams,
    success: Schema.Struct({
      entries: Schema.Array(Schema.Struct({
        teacher: Schema.String,
        action: TeacherAction,
        at: Schema.Number
      }))
    }),
    error: AdminOnly
  }),
  HttpApiEndpoint.post("socket", "/api/teacher/sessions/:session_id/socket", {
    params: SessionParams,
    success: Schema.Struct({ ws_url: Schema.String, expires_in: Schema.Number }),
    error: ClaimRequired
  }),
  HttpApiEndpoint.post("room", "/api/teacher/sessions/:session_id/livekit", {
    params: SessionParams,
    success: Schema.Struct({ url: Schema.String, room: Schema.String, token: Schema.String }),
    error: [ClaimRequired, LiveKitUnavailable]
  })
).middleware(TeacherAuth) {}

/** Version A's student token on this server, so one web origin serves both versions. */
export class LiveKitGroup extends HttpApiGroup.make("livekit").add(
  HttpApiEndpoint.get("token", "/livekit/token", {
    query: LiveKitTokenQuery.fields,
    success: StudentTokenResponse,
    error: [LiveKitUnavailable, RateLimitedResponse]
  }).middleware(CsrfProtected).middleware(StudentAuth)
) {}

export class TutorApi extends HttpApi.make("voice-ai-tutor-b")
  .add(SystemGroup)
  .add(TelemetryGroup)
  .add(SessionGroup)
  .add(OrchestrateGroup)
  .add(SpeechGroup)
  .add(TeacherGroup)
  .add(TeacherSignInGroup)
  .add(TeacherInboxGroup)
  .add(LiveKitGroup)
  .middleware(RequestGuard)
  .annotateMerge(OpenApi.annotations({
    title: "Voice AI Tutor — Version B Backend",
    version: "0.1.0",
    description:
      `Teacher WebSocket: GET /ws/teacher/{session_id}?token=<grant from POST /api/teacher/sessions/{id}/socket>. Default voice: ${DEFAULT_VOICE}.`
  }))
{}
