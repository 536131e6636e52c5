import { Effect, Layer } from "effect"
import { Realtime, RealtimeNotConfigured } from "../../services/Realtime.ts"

/** Without an OpenAI key there is no Realtime: the student page falls back to typed questions and backend audio. */
export const RealtimeUnavailable = Layer.succeed(
  Realtime,
  Realtime.of({
    available: false,
    mintSession: () =>
      Effect.fail(new RealtimeNotConfigured({ detail: "OpenAI Realtime is not configured: set OPENAI_API_KEY" }))
  })
)
