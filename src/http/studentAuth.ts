import { Context, Effect, Option, type Redacted } from "effect"
import { HttpServerRequest } from "effect/http"
import { type JobNotFound as NoSuchJob, JobStore, type JobStoreUnavailable as StoreAway } from "../services/JobStore.ts"
import { issueBound, verifyBound } from "../services/signing.ts"
import { CsrfFailed, JobNotFound, JobStoreUnavailable, NotThisSession, Unauthenticated } from "./errors.ts"

/*
 * Who is calling a session-scoped route. A student session is opened by the server
 * (`POST /session`) and gets a credential: `<session id>:<expire>:<hmac>`, signed with the
 * server's student key. The web app holds it in an HttpOnly cookie named for its session (two
 * tabs, two sessions, two cookies); API clients send it as `Authorization: Bearer`. CSRF tokens
 * are bound to one session the same way, so a token of one session is refused on another.
 */

/** A student session lasts a school day; the page opens a new one after that. */
export const SESSION_TTL_SECONDS = 12 * 60 * 60
export const STUDENT_COOKIE_PREFIX = "tutor_session_"
const CREDENTIAL_PURPOSE = "student"
const CSRF_PURPOSE = "csrf"

/** Lifetime of a CSRF token (reference: 300 s). */
export const CSRF_TTL_SECONDS = 300

export const issueCredential = (secret: Redacted.Redacted<string>, sessionId: string) =>
  issueBound(secret, CREDENTIAL_PURPOSE, sessionId, SESSION_TTL_SECONDS)

export const issueCsrfToken = (secret: Redacted.Redacted<string>, sessionId: string) =>
  issueBound(secret, CSRF_PURPOSE, sessionId, CSRF_TTL_SECONDS)

/** The session a CSRF token was issued for, when it is one of ours and unexpired. */
export const csrfSessionOf = (secret: Redacted.Redacted<string>, token: string) => verifyBound(secret, CSRF_PURPOSE, token)

/** The student sessions whose valid credentials this request carries. */
export class StudentCaller extends Context.Service<StudentCaller, {
  readonly sessions: ReadonlySet<string>
  /** some credential was presented, valid or not: 403 rather than 401 when it is not for the session */
  readonly presented: boolean
}>()("http/StudentCaller") {}

/** The session the request's (valid) CSRF token was issued for. */
export class CsrfBinding extends Context.Service<CsrfBinding, { readonly sessionId: string }>()("http/CsrfBinding") {}

const BEARER = /^Bearer\s+(\S+)$/i

/** Reads and checks every student credential of the request: the bearer token and the session cookies. */
export const readStudentCaller = Effect.fn("StudentAuth.read")(function*(secret: Redacted.Redacted<string>) {
  const request = yield* HttpServerRequest.HttpServerRequest
  const bearer = BEARER.exec(request.headers["authorization"] ?? "")?.[1]
  const cookies = Object.entries(request.cookies).filter(([name]) => name.startsWith(STUDENT_COOKIE_PREFIX))
  const presented = [
    ...(bearer === undefined ? [] : [{ token: bearer, named: null }]),
    ...cookies.map(([name, token]) => ({ token, named: name.slice(STUDENT_COOKIE_PREFIX.length) }))
  ]
  const sessions = new Set<string>()
  for (const { named, token } of presented) {
    const session = yield* verifyBound(secret, CREDENTIAL_PURPOSE, token)
    // a cookie only speaks for the session it is named after
    if (Option.isSome(session) && (named === null || named === session.value)) sessions.add(session.value)
  }
  return StudentCaller.of({ sessions, presented: presented.length > 0 })
})

/** The caller holds this session's credential: otherwise 401 (none given) or 403 (not this one). */
export const requireStudent = Effect.fn("StudentAuth.require")(function*(sessionId: string) {
  const caller = yield* StudentCaller
  if (caller.sessions.has(sessionId)) return
  return yield* caller.presented ? NotThisSession.error() : Unauthenticated.error()
})

/** As `requireStudent`, and the CSRF token was issued for this same session. */
export const requireStudentWrite = Effect.fn("StudentAuth.requireWrite")(function*(sessionId: string) {
  yield* requireStudent(sessionId)
  const binding = yield* CsrfBinding
  if (binding.sessionId !== sessionId) return yield* CsrfFailed.error()
})

/** The store's "no such job" as the reference's 404 body; a store it cannot reach as a 503. */
export const jobLookup = <A, R>(effect: Effect.Effect<A, NoSuchJob | StoreAway, R>) =>
  Effect.mapError(effect, (error) => error._tag === "JobNotFound" ? JobNotFound.error() : JobStoreUnavailable.error())

/**
 * A job of one of the caller's sessions. Someone else's job answers exactly as a job that does
 * not exist (404), so a job id says nothing to anyone but its own student.
 */
export const ownJob = Effect.fn("StudentAuth.ownJob")(function*(jobId: string) {
  const caller = yield* StudentCaller
  if (!caller.presented) return yield* Unauthenticated.error()
  const jobs = yield* JobStore
  const job = yield* jobLookup(jobs.get(jobId))
  if (!caller.sessions.has(job.sessionId)) return yield* JobNotFound.error()
  return job
})

/** As `ownJob`, for a request that changes something: its CSRF token must be of the job's session. */
export const ownJobWrite = Effect.fn("StudentAuth.ownJobWrite")(function*(jobId: string) {
  const job = yield* ownJob(jobId)
  const binding = yield* CsrfBinding
  if (binding.sessionId !== job.sessionId) return yield* CsrfFailed.error()
  return job
})
