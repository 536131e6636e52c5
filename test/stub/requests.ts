/**
 * Schemas for what the SDKs send to the provider stub, so tests can assert on recorded requests
 * without casting their untyped JSON bodies.
 */
import { Schema } from "effect"

const Message = Schema.Struct({ role: Schema.String, content: Schema.String })

export const ChatRequest = Schema.Struct({
  model: Schema.String,
  messages: Schema.Array(Message),
  stream: Schema.optional(Schema.Boolean),
  temperature: Schema.optional(Schema.Number),
  max_tokens: Schema.optional(Schema.Number)
})

export const AnthropicRequest = Schema.Struct({
  model: Schema.String,
  max_tokens: Schema.Number,
  system: Schema.optional(Schema.String),
  messages: Schema.Array(Message),
  stream: Schema.optional(Schema.Boolean)
})

export const ModerationRequest = Schema.Struct({ model: Schema.String, input: Schema.String })

export const SpeechRequest = Schema.Struct({
  model: Schema.String,
  voice: Schema.String,
  input: Schema.String,
  response_format: Schema.String
})

export const RealtimeSecretRequest = Schema.Struct({
  session: Schema.Struct({
    type: Schema.Literal("realtime"),
    model: Schema.String,
    instructions: Schema.String,
    audio: Schema.Struct({
      input: Schema.Struct({ transcription: Schema.Struct({ model: Schema.String }) }),
      output: Schema.Struct({ voice: Schema.String })
    }),
    tools: Schema.Array(Schema.Struct({
      type: Schema.Literal("function"),
      name: Schema.String,
      description: Schema.String,
      parameters: Schema.Struct({
        type: Schema.Literal("object"),
        properties: Schema.Record(Schema.String, Schema.Struct({ type: Schema.String })),
        required: Schema.Array(Schema.String)
      })
    })),
    tool_choice: Schema.String
  })
})
