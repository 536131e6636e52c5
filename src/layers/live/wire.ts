/**
 * The parts of the providers' payloads the live layers rely on, decoded at the edge so a payload
 * of the wrong shape becomes a typed `invalid_response` instead of an `undefined` further in.
 * Structs ignore the fields they do not name.
 */
import { Schema } from "effect"

// ---- OpenAI chat completions

export const ChatCompletion = Schema.Struct({
  choices: Schema.NonEmptyArray(Schema.Struct({
    message: Schema.Struct({ content: Schema.NullOr(Schema.String) })
  }))
})

export const completionText = (completion: typeof ChatCompletion.Type): string =>
  (completion.choices[0].message.content ?? "").trim()

export const ChatCompletionChunk = Schema.Struct({
  choices: Schema.Array(Schema.Struct({
    delta: Schema.optional(Schema.Struct({ content: Schema.optional(Schema.NullOr(Schema.String)) })),
    finish_reason: Schema.optional(Schema.NullOr(Schema.String))
  }))
})

// ---- Anthropic messages

export const AnthropicMessage = Schema.Struct({
  content: Schema.Array(Schema.Struct({ type: Schema.String, text: Schema.optional(Schema.String) }))
})

export const messageText = (message: typeof AnthropicMessage.Type): string =>
  message.content.flatMap((block) => block.type === "text" && block.text !== undefined ? [block.text] : []).join("").trim()

export const AnthropicStreamEvent = Schema.Struct({
  type: Schema.String,
  delta: Schema.optional(Schema.Struct({ type: Schema.optional(Schema.String), text: Schema.optional(Schema.String) }))
})

// ---- OpenAI Realtime

export const RealtimeClientSecret = Schema.Struct({
  value: Schema.String.pipe(Schema.check(Schema.isNonEmpty())),
  expires_at: Schema.Number
})

// ---- streamed text, whatever the provider

/** One decoded stream event: a text delta (possibly empty) and whether it ends the answer. */
export interface TextEvent {
  readonly text: string
  readonly final: boolean
}

export const chatChunkEvent = (chunk: typeof ChatCompletionChunk.Type): TextEvent => ({
  text: chunk.choices.map((choice) => choice.delta?.content ?? "").join(""),
  final: chunk.choices.some((choice) => choice.finish_reason !== undefined && choice.finish_reason !== null)
})

export const anthropicEvent = (event: typeof AnthropicStreamEvent.Type): TextEvent => ({
  text: event.type === "content_block_delta" && event.delta?.type === "text_delta" ? event.delta.text ?? "" : "",
  final: event.type === "message_stop"
})
