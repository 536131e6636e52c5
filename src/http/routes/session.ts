import { Clock, Duration, Effect, Schedule, Stream } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { randomUUID } from "node:crypto"
import { Escalation, studentNotice } from "../../services/Escalation.ts"
import { Realtime } from "../../services/Realtime.ts"
import { Sessions } from "../../services/Sessions.ts"
import { TutorApi } from "../api.ts"
import { ServerConfig } from "../config.ts"
import { setCredentialCookie } from "../cookies.ts"
import { RealtimeUnavailable, SessionTokenFailed } from "../errors.ts"
import { ServerShutdown } from "../lifecycle.ts"
import { RateLimits } from "../rateLimit.ts"
import { keepAlive, sseEvent, sseResponse } from "../sse.ts"
import {
  CSRF_TTL_SECONDS,
  issueCredential,
  issueCsrfToken,
  requireStudent,
  requireStudentWrite,
  SESSION_TTL_SECONDS,
  STUDENT_COOKIE_PREFIX
} from "../studentAuth.ts"

/** How much of the ephemeral key the session record keeps (reference: first 20 characters). */
const RECORDED_KEY_PREFIX = 20

export const SessionRoutes = HttpApiBuilder.group(TutorApi, "session", Effect.fn(function*(handlers) {
  const realtime = yield* Realtime
  const sessions = yield* Sessions
  const escalation = yield* Escalation
  const limits = yield* RateLimits
  const shutdown = yield* ServerShutdown
  const { csrfSecret, fallbackMessages, studentSecret, teacherFallbackAfter } = yield* ServerConfig
  const fallbackMillis = Duration.toMillis(teacherFallbackAfter)

  /**
   * An escalation nobody has claimed in time gets the student the fallback message (once per
   * escalation and page): a child is never left waiting on a teacher who is not coming.
   */
  const fallbacks = (sessionId: string) =>
    Stream.suspend(() => {
      const told = new Set<string>()
      const every = Duration.max(Duration.millis(100), Duration.min(teacherFallbackAfter, Duration.seconds(5)))
      return Stream.fromSchedule(Schedule.spaced(every)).pipe(
        Stream.mapEffect(() =>
          Effect.gen(function*() {
            const now = yield* Clock.currentTimeMillis
            const due = (yield* escalation.pending(sessionId)).filter((record) =>
              !told.has(record.id) && now - record.raisedAt >= fallbackMillis)
            due.forEach((record) => told.add(record.id))
            return due.map((record) =>
              sseEvent("fallback", {
                type: "fallback",
                text: record.finding?.severity === "urgent" ? fallbackMessages.urgent : fallbackMessages.standard
              }))
          })),
        Stream.flatMap(Stream.fromIterable)
      )
    })

  const setSessionCookie = (sessionId: string, value: string, maxAgeSeconds: number) =>
    setCredentialCookie(`${STUDENT_COOKIE_PREFIX}${sessionId}`, value, maxAgeSeconds)

  return handlers.handleAll({
    open: Effect.fn("Session.open")(function*() {
      yield* limits.consume("sessionOpen")
      const sessionId = randomUUID()
      const token = yield* issueCredential(studentSecret, sessionId)
      yield* setSessionCookie(sessionId, token, SESSION_TTL_SECONDS)
      return {
        session_id: sessionId,
        token,
        // the credential's own expiry (`<id>:<expire>:<mac>`), not a second reading of the clock
        expires_at: Number(token.split(":").at(-2)),
        csrf_token: yield* issueCsrfToken(csrfSecret, sessionId),
        csrf_ttl: CSRF_TTL_SECONDS
      }
    }),
    token: Effect.fn("Session.token")(function*({ query }) {
      yield* requireStudentWrite(query.session_id)
      yield* limits.consume("sessionToken")
      const session = yield* realtime.mintSession(query.session_id).pipe(
        Effect.catchTags({
          RealtimeNotConfigured: (error) =>
            Effect.fail(new RealtimeUnavailable({ detail: error.detail, error: "RealtimeNotConfigured" })),
          ProviderError: (error) =>
            Effect.andThen(Effect.logError("Realtime session could not be minted", error.message), SessionTokenFailed.error())
        })
      )
      // queued for the audit log, never awaited by the student
      yield* sessions.record(query.session_id, {
        _tag: "Started",
        sessionToken: session.clientSecret.slice(0, RECORDED_KEY_PREFIX),
        roomName: null
      })
      return {
        client_secret: { value: session.clientSecret, expires_at: session.expiresAt },
        session_id: query.session_id,
        model: session.model,
        voice: session.voice
      }
    }),
    close: Effect.fn("Session.close")(function*({ params, payload }) {
      yield* requireStudentWrite(params.session_id)
      const report = yield* sessions.close(params.session_id)
      // the page is done with it; a bearer token simply expires
      yield* setSessionCookie(params.session_id, "", 0)
      const clientReport = payload?.session_report
      return {
        session_id: params.session_id,
        closed: true,
        report,
        // the reference used the client's report when it sent a non-empty one; it is kept beside ours
        ...(clientReport === undefined || clientReport === null || Object.keys(clientReport).length === 0
          ? {}
          : { client_report: clientReport })
      } as const
    }),
    // the student page's channel from the teacher side: pending escalations first, then live
    events: Effect.fn("Session.events")(function*({ params }) {
      const sessionId = params.session_id
      yield* requireStudent(sessionId)
      const events = Stream.unwrap(Effect.gen(function*() {
        const live = yield* escalation.studentFeed(sessionId)
        const pending = yield* escalation.pending(sessionId)
        const current = Stream.fromIterable(pending.map((record) => sseEvent("escalation", studentNotice(record))))
        return Stream.concat(current, Stream.merge(Stream.map(live, (message) => sseEvent(message.type, message)), fallbacks(sessionId)))
      })).pipe(
        Stream.merge(keepAlive),
        Stream.interruptWhen(shutdown.signal)
      )
      return sseResponse(Stream.concat(Stream.succeed(": connected\n\n"), events))
    })
  })
}))
