/**
 * The parts of the providers' payloads the live layers rely on, decoded at the edge so a payload
 * of the wrong shape becomes a typed `invalid_response` instead of an `undefined` further in.
 * Structs ignore the fields they do not name.
 */
import { Schema } from "effect"

// ---- OpenAI chat completions

const ChatUsage = Schema.Struct({ prompt_tokens: Schema.Number, completion_tokens: Schema.Number })

export const ChatCompletion = Schema.Struct({
  choices: Schema.NonEmptyArray(Schema.Struct({
    message: Schema.Struct({ content: Schema.NullOr(Schema.String) })
  })),
  usage: Schema.optional(Schema.NullOr(ChatUsage))
})

export const completionText = (completion: typeof ChatCompletion.Type): string =>
  (completion.choices[0].message.content ?? "").trim()

export const ChatCompletionChunk = Schema.Struct({
  choices: Schema.Array(Schema.Struct({
    delta: Schema.optional(Schema.Struct({ content: Schema.optional(Schema.NullOr(Schema.String)) })),
    finish_reason: Schema.optional(Schema.NullOr(Schema.String))
  })),
  /** only on the last chunk, when the request asked for `stream_options.include_usage` */
  usage: Schema.optional(Schema.NullOr(ChatUsage))
})

// ---- Anthropic messages

const AnthropicUsage = Schema.Struct({
  input_tokens: Schema.optional(Schema.NullOr(Schema.Number)),
  output_tokens: Schema.optional(Schema.NullOr(Schema.Number))
})

export const AnthropicMessage = Schema.Struct({
  content: Schema.Array(Schema.Struct({ type: Schema.String, text: Schema.optional(Schema.String) })),
  usage: Schema.optional(AnthropicUsage)
})

export const messageText = (message: typeof AnthropicMessage.Type): string =>
  message.content.flatMap((block) => block.type === "text" && block.text !== undefined ? [block.text] : []).join("").trim()

export const AnthropicStreamEvent = Schema.Struct({
  type: Schema.String,
  delta: Schema.optional(Schema.Struct({ type: Schema.optional(Schema.String), text: Schema.optional(Schema.String) })),
  /** `message_start` carries the input tokens */
  message: Schema.optional(Schema.Struct({ usage: Schema.optional(AnthropicUsage) })),
  /** `message_delta` carries the output tokens so far */
  usage: Schema.optional(AnthropicUsage)
})

// ---- OpenAI Realtime

export const RealtimeClientSecret = Schema.Struct({
  value: Schema.String.pipe(Schema.check(Schema.isNonEmpty())),
  expires_at: Schema.Number
})

// ---- streamed text, whatever the provider

/** Tokens reported by a stream event; a provider reports input and output in different events. */
export interface ReportedTokens {
  readonly inputTokens?: number
  readonly outputTokens?: number
}

/** One decoded stream event: a text delta (possibly empty), whether it ends the answer, and any token counts. */
export interface TextEvent {
  readonly text: string
  readonly final: boolean
  readonly tokens?: ReportedTokens
}

const tokens = (input: number | null | undefined, output: number | null | undefined): ReportedTokens => ({
  ...(input === null || input === undefined ? {} : { inputTokens: input }),
  ...(output === null || output === undefined ? {} : { outputTokens: output })
})

export const chatUsage = (usage: typeof ChatUsage.Type | null | undefined): ReportedTokens | undefined =>
  usage === null || usage === undefined ? undefined : tokens(usage.prompt_tokens, usage.completion_tokens)

export const anthropicUsage = (usage: typeof AnthropicUsage.Type | undefined): ReportedTokens | undefined =>
  usage === undefined ? undefined : tokens(usage.input_tokens, usage.output_tokens)

export const chatChunkEvent = (chunk: typeof ChatCompletionChunk.Type): TextEvent => {
  const reported = chatUsage(chunk.usage)
  return {
    text: chunk.choices.map((choice) => choice.delta?.content ?? "").join(""),
    final: chunk.choices.some((choice) => choice.finish_reason !== undefined && choice.finish_reason !== null),
    ...(reported === undefined ? {} : { tokens: reported })
  }
}

export const anthropicEvent = (event: typeof AnthropicStreamEvent.Type): TextEvent => {
  const reported = event.type === "message_start"
    ? anthropicUsage(event.message?.usage)
    : event.type === "message_delta"
    ? anthropicUsage(event.usage)
    : undefined
  return {
    text: event.type === "content_block_delta" && event.delta?.type === "text_delta" ? event.delta.text ?? "" : "",
    final: event.type === "message_stop",
    ...(reported === undefined ? {} : { tokens: reported })
  }
}
