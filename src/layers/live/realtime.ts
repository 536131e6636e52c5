import { Effect, Layer } from "effect"
import { DISPATCH_TOOL_NAME, Realtime, RealtimeNotConfigured } from "../../services/Realtime.ts"
import { OpenAiClient } from "./clients.ts"
import { LiveConfig } from "./config.ts"
import { RealtimeClientSecret } from "./wire.ts"

/**
 * The Realtime voice never answers and never speaks words of its own: every message goes to our
 * orchestrator (safety check first), whose guarded answer the browser plays while the Realtime
 * voice is muted. The page asks the voice for fixed filler lines only, word for word, so nothing a
 * child hears from it went unchecked.
 */
export const REALTIME_INSTRUCTIONS = [
  "You are the voice of an AI tutor for school students (math, history and English).",
  `Never answer or reply yourself. Whenever the student says or types anything at all, call the ${DISPATCH_TOOL_NAME} tool with the student's exact words as student_text, and say nothing.`,
  "The answer is checked, produced and spoken by the tutoring backend.",
  "Speak only when you are asked to say a given line, and then say exactly that line and nothing else."
].join("\n")

export const DISPATCH_TOOL = {
  type: "function",
  name: DISPATCH_TOOL_NAME,
  description: "Send the student's question to the backend orchestrator which classifies and routes to the correct specialist.",
  parameters: {
    type: "object",
    properties: { student_text: { type: "string", description: "The student's question or statement" } },
    required: ["student_text"]
  }
} as const

const make = Effect.gen(function*() {
  const openai = yield* OpenAiClient
  const { models, realtimeVoice } = yield* LiveConfig

  const mintSession = Effect.fn("Realtime.mintSession")(function*(sessionId: string) {
    const operation = "Realtime.mintSession"
    yield* Effect.annotateCurrentSpan({ "session.id": sessionId, model: models.realtime })
    if (!openai.configured) return yield* new RealtimeNotConfigured({ detail: "OPENAI_API_KEY is not set" })
    const response = yield* openai.call(
      operation,
      (client, options) =>
        client.realtime.clientSecrets.create({
          session: {
            type: "realtime",
            model: models.realtime,
            instructions: REALTIME_INSTRUCTIONS,
            audio: {
              // transcripts of the student's speech feed the teacher's view and the session record
              input: { transcription: { model: models.transcription } },
              output: { voice: realtimeVoice }
            },
            tools: [DISPATCH_TOOL],
            tool_choice: "auto"
          }
        }, options)
    )
    const secret = yield* openai.decode(operation, RealtimeClientSecret)(response)
    return { clientSecret: secret.value, expiresAt: secret.expires_at, model: models.realtime, voice: realtimeVoice }
  })

  return Realtime.of({ available: true, mintSession })
})

/** Mints ephemeral OpenAI Realtime client secrets; without OPENAI_API_KEY, `RealtimeNotConfigured`. */
export const RealtimeLive = Layer.effect(Realtime, make).pipe(
  Layer.provide(OpenAiClient.layer),
  Layer.provide(LiveConfig.layer)
)
