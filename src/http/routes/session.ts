import { Effect, Stream } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Escalation, studentNotice } from "../../services/Escalation.ts"
import { Realtime } from "../../services/Realtime.ts"
import { Sessions } from "../../services/Sessions.ts"
import { TutorApi } from "../api.ts"
import { RealtimeUnavailable, SessionTokenFailed } from "../errors.ts"
import { ServerShutdown } from "../lifecycle.ts"
import { RateLimits } from "../rateLimit.ts"
import { keepAlive, sseEvent, sseResponse } from "../sse.ts"

/** How much of the ephemeral key the session record keeps (reference: first 20 characters). */
const RECORDED_KEY_PREFIX = 20

export const SessionRoutes = HttpApiBuilder.group(TutorApi, "session", Effect.fn(function*(handlers) {
  const realtime = yield* Realtime
  const sessions = yield* Sessions
  const escalation = yield* Escalation
  const limits = yield* RateLimits
  const shutdown = yield* ServerShutdown

  return handlers.handleAll({
    token: Effect.fn("Session.token")(function*({ query }) {
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
      const report = yield* sessions.close(params.session_id)
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
      const events = Stream.unwrap(Effect.gen(function*() {
        const live = yield* escalation.studentFeed(sessionId)
        const pending = yield* escalation.pending(sessionId)
        const current = Stream.fromIterable(pending.map((record) => sseEvent("escalation", studentNotice(record))))
        return Stream.concat(current, Stream.map(live, (message) => sseEvent(message.type, message)))
      })).pipe(
        Stream.merge(keepAlive),
        Stream.interruptWhen(shutdown.signal)
      )
      return sseResponse(Stream.concat(Stream.succeed(": connected\n\n"), events))
    })
  })
}))
