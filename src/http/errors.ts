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
