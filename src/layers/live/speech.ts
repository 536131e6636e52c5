import { Effect, Layer, Stream } from "effect"
import { Speech } from "../../services/Speech.ts"
import { OpenAiClient } from "./clients.ts"
import { LiveConfig } from "./config.ts"

const make = Effect.gen(function*() {
  const openai = yield* OpenAiClient
  const { models } = yield* LiveConfig
  const operation = "Speech.synthesize"

  /** The PCM body, refusing a 200 that carries a JSON or text document instead of audio. */
  const audioBody = Effect.fnUntraced(function*(response: Response) {
    const contentType = response.headers.get("content-type") ?? ""
    if (response.body === null || /^(application\/json|text\/)/i.test(contentType)) {
      return yield* openai.fail(operation, "invalid_response", `expected PCM audio, got ${contentType || "an empty body"}`)
    }
    return response.body
  })

  const synthesize = (text: string, voice: string) =>
    Stream.unwrap(Effect.gen(function*() {
      const response = yield* openai.open(
        operation,
        (client, options) =>
          client.audio.speech.create({ model: models.tts, voice, input: text, response_format: "pcm" }, options)
      )
      // relayed chunk by chunk as the bytes arrive, never buffered whole
      return openai.events(operation, yield* audioBody(response))
    })).pipe(Stream.withSpan(operation, { attributes: { voice, characters: text.length } }))

  return Speech.of({ synthesize })
})

/** Text to speech over OpenAI `audio.speech` with raw 24 kHz PCM output. */
export const SpeechLive = Layer.effect(Speech, make).pipe(
  Layer.provide(OpenAiClient.layer),
  Layer.provide(LiveConfig.layer)
)
