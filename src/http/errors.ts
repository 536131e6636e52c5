import { Schema } from "effect"
import { HttpApiSchema } from "effect/http-api"

/*
 * Error responses of the Version B API. Bodies are the reference's (FastAPI) shapes —
 * `{"detail": ...}` and, for rate limits, `{"error": ...}` — with no `_tag` on the wire;
 * each class carries its status so the OpenAPI document lists it.
 */

const detail = <const L extends string>(text: L) => ({ detail: Schema.Literal(text) })

export class JobNotFound extends Schema.Error<JobNotFound>("JobNotFound")(detail("Job not found"), {
  httpApiStatus: 404
}) {
  static readonly error = () => new JobNotFound({ detail: "Job not found" })
}

/** The job is not this instance's and its database cannot be reached right now. */
export class JobStoreUnavailable extends Schema.Error<JobStoreUnavailable>("JobStoreUnavailable")(
  detail("Job store unavailable, try again shortly"),
  { httpApiStatus: 503 }
) {
  static readonly error = () => new JobStoreUnavailable({ detail: "Job store unavailable, try again shortly" })
}

export class JobNotReady extends Schema.Error<JobNotReady>("JobNotReady")(detail("Job not ready for TTS"), {
  httpApiStatus: 409
}) {
  static readonly error = () => new JobNotReady({ detail: "Job not ready for TTS" })
}

/** The job ended in error; the detail is its error message (reference: or "Job failed"). */
export class JobFailed extends Schema.Error<JobFailed>("JobFailed")({ detail: Schema.String }, {
  httpApiStatus: 422
}) {}

export class JobTimedOut extends Schema.Error<JobTimedOut>("JobTimedOut")(detail("Job timed out"), {
  httpApiStatus: 408
}) {
  static readonly error = () => new JobTimedOut({ detail: "Job timed out" })
}

export class CsrfFailed extends Schema.Error<CsrfFailed>("CsrfFailed")(detail("CSRF check failed"), {
  httpApiStatus: 403
}) {
  static readonly error = () => new CsrfFailed({ detail: "CSRF check failed" })
}

export class SessionTokenFailed
  extends Schema.Error<SessionTokenFailed>("SessionTokenFailed")(detail("Failed to create session token"), {
    httpApiStatus: 500
  })
{
  static readonly error = () => new SessionTokenFailed({ detail: "Failed to create session token" })
}

/** No Realtime provider (no OpenAI key): the student page falls back to typed input. */
export class RealtimeUnavailable extends Schema.Error<RealtimeUnavailable>("RealtimeUnavailable")({
  detail: Schema.String,
  error: Schema.Literal("RealtimeNotConfigured")
}, { httpApiStatus: 503 }) {}

/** No LiveKit project configured: this server cannot mint Version A room tokens. */
export class LiveKitUnavailable extends Schema.Error<LiveKitUnavailable>("LiveKitUnavailable")(
  detail("LiveKit is not configured on this server"),
  { httpApiStatus: 503 }
) {
  static readonly error = () => new LiveKitUnavailable({ detail: "LiveKit is not configured on this server" })
}

export class MalformedJson extends Schema.Error<MalformedJson>("MalformedJson")(detail("Malformed JSON body"), {
  httpApiStatus: 400
}) {
  static readonly error = () => new MalformedJson({ detail: "Malformed JSON body" })
}

export const MAX_BODY_BYTES = 64 * 1024

export class PayloadTooLarge extends Schema.Error<PayloadTooLarge>("PayloadTooLarge")(
  detail(`Request body larger than ${MAX_BODY_BYTES} bytes`),
  { httpApiStatus: 413 }
) {
  static readonly error = () => new PayloadTooLarge({ detail: `Request body larger than ${MAX_BODY_BYTES} bytes` })
}

/** One problem with the request, as FastAPI reports it. */
export const ValidationIssue = Schema.Struct({
  loc: Schema.Array(Schema.Union([Schema.String, Schema.Number])),
  msg: Schema.String,
  type: Schema.String
})
export type ValidationIssue = typeof ValidationIssue.Type

export class ValidationFailed extends Schema.Error<ValidationFailed>("ValidationFailed")({
  detail: Schema.Array(ValidationIssue)
}, { httpApiStatus: 422 }) {}

export class RateLimited extends Schema.Error<RateLimited>("RateLimited")({
  limit: Schema.Number,
  retryAfterSeconds: Schema.Number
}) {}

/** 429 `{"error": "Rate limit exceeded: N per 1 minute"}` with `Retry-After` (seconds). */
export const RateLimitedResponse = RateLimited.pipe(HttpApiSchema.encodeToWithHeaders({
  body: Schema.Struct({ error: Schema.String }).pipe(HttpApiSchema.status(429)),
  headers: { "retry-after": Schema.String }
}, {
  decode: ({ body, headers }) =>
    new RateLimited({
      limit: Number(/\d+/.exec(body.error)?.[0] ?? 0),
      retryAfterSeconds: Number(headers["retry-after"])
    }),
  encode: (error) => ({
    body: { error: `Rate limit exceeded: ${error.limit} per 1 minute` },
    headers: { "retry-after": String(error.retryAfterSeconds) }
  })
}))

const NO_CREDENTIAL = "This needs the session's credential: open a session with POST /session"

/** A session-scoped route called with no student credential at all. */
export class Unauthenticated extends Schema.Error<Unauthenticated>("Unauthenticated")(detail(NO_CREDENTIAL), {
  httpApiStatus: 401
}) {
  static readonly error = () => new Unauthenticated({ detail: NO_CREDENTIAL })
}

const NOT_THIS_SESSION = "This credential is not for this session"

/** Credentials were given, none of them for this session (whether it exists is not said). */
export class NotThisSession extends Schema.Error<NotThisSession>("NotThisSession")(detail(NOT_THIS_SESSION), {
  httpApiStatus: 403
}) {
  static readonly error = () => new NotThisSession({ detail: NOT_THIS_SESSION })
}

const TEACHER_SIGN_IN = "Sign in as a teacher first"

/** A teacher route without a valid, unexpired teacher session cookie. */
export class TeacherSignInRequired extends Schema.Error<TeacherSignInRequired>("TeacherSignInRequired")(
  detail(TEACHER_SIGN_IN),
  { httpApiStatus: 401 }
) {
  static readonly error = () => new TeacherSignInRequired({ detail: TEACHER_SIGN_IN })
}

const BAD_LINK = "This sign-in link does not work: it was already used, has expired or is incomplete. Ask for a new one."

export class SignInLinkInvalid extends Schema.Error<SignInLinkInvalid>("SignInLinkInvalid")(detail(BAD_LINK), {
  httpApiStatus: 401
}) {
  static readonly error = () => new SignInLinkInvalid({ detail: BAD_LINK })
}

const NO_CLAIM = "Claim one of this session's escalations first"

/** A signed-in teacher without a claim on the session (and not an admin). */
export class ClaimRequired extends Schema.Error<ClaimRequired>("ClaimRequired")(detail(NO_CLAIM), { httpApiStatus: 403 }) {
  static readonly error = () => new ClaimRequired({ detail: NO_CLAIM })
}

const TAKEN = "Another teacher has already claimed this escalation"

export class AlreadyClaimed extends Schema.Error<AlreadyClaimed>("AlreadyClaimed")(detail(TAKEN), { httpApiStatus: 409 }) {
  static readonly error = () => new AlreadyClaimed({ detail: TAKEN })
}

const NO_ESCALATION = "Escalation not found"

export class EscalationNotFound extends Schema.Error<EscalationNotFound>("EscalationNotFound")(detail(NO_ESCALATION), {
  httpApiStatus: 404
}) {
  static readonly error = () => new EscalationNotFound({ detail: NO_ESCALATION })
}

const ADMINS = "Only an admin teacher may see this"

export class AdminOnly extends Schema.Error<AdminOnly>("AdminOnly")(detail(ADMINS), { httpApiStatus: 403 }) {
  static readonly error = () => new AdminOnly({ detail: ADMINS })
}
