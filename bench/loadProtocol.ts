import { Schema } from "effect"

/** One open-loop step the load process runs: `count` dispatches, one every `1000 / rate` ms. */
export const LoadStep = Schema.Struct({
  origin: Schema.String,
  csrf: Schema.String,
  rate: Schema.Number,
  count: Schema.Number,
  /** a fresh client address for every `requestsPerAddress` dispatches, in order */
  addresses: Schema.Array(Schema.String),
  requestsPerAddress: Schema.Number,
  timeoutMs: Schema.Number,
  question: Schema.String,
  label: Schema.String
})
export type LoadStep = typeof LoadStep.Type

/**
 * Per dispatch: latency from its scheduled moment, how late the load process sent it, and the job
 * id, or null when it failed or timed out.
 */
export const LoadResult = Schema.Array(Schema.Struct({
  latency: Schema.Number,
  lateBy: Schema.Number,
  jobId: Schema.NullOr(Schema.String)
}))
export type LoadResult = typeof LoadResult.Type
