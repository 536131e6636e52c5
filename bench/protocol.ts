/**
 * What the benchmark and its provider-stub child process say to each other, decoded on both
 * sides. Times are read from the system-wide monotonic clock, so both processes compare them.
 */
import { Schema } from "effect"

/** Milliseconds on CLOCK_MONOTONIC (system-wide on Linux), with nanosecond resolution. */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6

/** Latencies the stub plays, and the answer it streams. */
export const StubScript = Schema.Struct({
  classifierMs: Schema.Number,
  firstTokenMs: Schema.Number,
  chunkMs: Schema.Number,
  moderationMs: Schema.Number,
  ttsMs: Schema.Number,
  /** delay between two PCM chunks of one speech response */
  ttsChunkMs: Schema.Number,
  /** what the classifier answers, e.g. `history 0.95` */
  classifierReply: Schema.String,
  /** the specialist's answer; each sentence is streamed as one chunk */
  sentences: Schema.Array(Schema.String)
})
export type StubScript = typeof StubScript.Type

const Env = Schema.Struct({
  OPENAI_API_KEY: Schema.String,
  ANTHROPIC_API_KEY: Schema.String,
  OPENAI_BASE_URL: Schema.String,
  ANTHROPIC_BASE_URL: Schema.String
})
export type StubEnv = typeof Env.Type

/**
 * One relayed upstream PCM chunk: where it ends in the concatenated speech bytes, when it left,
 * and whether it was the first of its speech response (a sentence's first audio, after the
 * provider's silence).
 */
export const SendStamp = Schema.Struct({ endOffset: Schema.Number, sentAt: Schema.Number, opensResponse: Schema.Boolean })
export type SendStamp = typeof SendStamp.Type

export const ChildMessage = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("listening"),
    /** the SDKs straight at the stub */
    env: Env,
    /** OpenAI through the stamping forwarder (speech chunks are stamped as they are sent on) */
    stampedEnv: Env
  }),
  Schema.Struct({ type: Schema.Literal("stamps"), stamps: Schema.Array(SendStamp) })
])
export type ChildMessage = typeof ChildMessage.Type

export const ParentMessage = Schema.Struct({ type: Schema.Literal("takeStamps") })
export type ParentMessage = typeof ParentMessage.Type
