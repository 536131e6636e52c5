import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { LiveKitConfig } from "../../agent/config.ts"
import { studentTokenResponse } from "../../agent/tokens.ts"
import { TutorApi } from "../api.ts"
import { ServerConfig } from "../config.ts"
import { LiveKitUnavailable } from "../errors.ts"
import { RateLimits } from "../rateLimit.ts"
import { requireStudentWrite } from "../studentAuth.ts"

export const LiveKitRoutes = HttpApiBuilder.group(TutorApi, "livekit", Effect.fn(function*(handlers) {
  const { livekit } = yield* ServerConfig
  const limits = yield* RateLimits
  return handlers.handleAll({
    // CSRF and the query are checked before this runs; a server without LiveKit has no token to
    // ration, so it answers 503 before the limit counts (the page asks once per load)
    token: Effect.fn("LiveKit.token")(function*({ query }) {
      yield* requireStudentWrite(query.session_id)
      if (livekit === undefined) return yield* LiveKitUnavailable.error()
      yield* limits.consume("livekitToken")
      return yield* studentTokenResponse(query).pipe(
        Effect.provideService(LiveKitConfig, livekit),
        // the query was decoded with this same schema before the handler ran
        Effect.catchTag("SchemaError", Effect.die)
      )
    })
  })
}))
