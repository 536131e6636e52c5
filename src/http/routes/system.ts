import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Realtime } from "../../services/Realtime.ts"
import { TutorApi } from "../api.ts"
import { ServerConfig } from "../config.ts"
import { RateLimits } from "../rateLimit.ts"
import { CSRF_TTL_SECONDS, issueCsrfToken, requireStudent } from "../studentAuth.ts"

export const SystemRoutes = HttpApiBuilder.group(TutorApi, "system", Effect.fn(function*(handlers) {
  const { csrfSecret, livekit } = yield* ServerConfig
  const realtime = yield* Realtime
  return handlers.handleAll({
    config: () => Effect.succeed({ realtime: realtime.available, livekit: livekit !== undefined }),
    health: () => Effect.succeed({ status: "ok", version: "b" } as const),
    // the reference served this at `/`, which is kept free for the web app
    info: () => Effect.succeed({ service: "version-b-backend", docs: "/openapi.json", health: "/health" }),
    csrfToken: Effect.fn("System.csrfToken")(function*({ query }) {
      yield* requireStudent(query.session_id)
      return { token: yield* issueCsrfToken(csrfSecret, query.session_id), ttl: CSRF_TTL_SECONDS }
    })
  })
}))

export const TelemetryRoutes = HttpApiBuilder.group(TutorApi, "telemetry", Effect.fn(function*(handlers) {
  const limits = yield* RateLimits
  return handlers.handleAll({
    // a browser event becomes a span carrying the same session id as the turn spans (SPEC §10)
    events: Effect.fn("Telemetry.events")(function*({ payload }) {
      yield* requireStudent(payload.session_id)
      yield* limits.consume("events")
      const attributes = Object.fromEntries(
        Object.entries(payload.attributes ?? {}).map(([key, value]) => [`frontend.${key}`, value])
      )
      yield* Effect.withSpan(Effect.void, `frontend.${payload.event_name}`, {
        attributes: { ...attributes, "session.id": payload.session_id, source: "frontend" }
      })
      return { ok: true } as const
    })
  })
}))
