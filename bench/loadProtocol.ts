/** What the bench and its load process say to each other, decoded on both sides. */
import { Schema } from "effect"

/** A student session's credential and CSRF token, as `POST /session` hands them out. */
export const StudentPass = Schema.Struct({ bearer: Schema.String, csrf: Schema.String })
export type StudentPass = typeof StudentPass.Type

/** One open-loop step the load process runs: `count` dispatches, one every `1000 / rate` ms. */
export const LoadStep = Schema.Struct({
  type: Schema.Literal("orchestrate"),
  origin: Schema.String,
  /** dispatch `i` speaks for session `<label>-<i>`, with these credentials */
  passes: Schema.Record(Schema.String, StudentPass),
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

/** One spoken turn as the web app runs it (see `serverTurn`), its speech read as a remote client would. */
export const SpokenTurn = Schema.Struct({
  type: Schema.Literal("spokenTurn"),
  origin: Schema.String,
  pass: StudentPass,
  address: Schema.String,
  sessionId: Schema.String,
  question: Schema.String,
  /** hang up at the first audio byte instead of reading the whole answer */
  untilFirstAudio: Schema.Boolean
})
export type SpokenTurn = typeof SpokenTurn.Type

export const LoadCommand = Schema.Union([LoadStep, SpokenTurn])
export type LoadCommand = typeof LoadCommand.Type

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

/** A read of speech bytes: where it ends in the concatenated stream, and when (monotonic ms) it arrived. */
export const Arrival = Schema.Struct({ endOffset: Schema.Number, at: Schema.Number })
export type Arrival = typeof Arrival.Type

export const LoadReply = Schema.Union([
  Schema.Struct({ type: Schema.Literal("orchestrated"), results: LoadResult }),
  Schema.Struct({
    type: Schema.Literal("spoken"),
    /** monotonic ms at which the dispatch was written */
    startedAt: Schema.Number,
    arrivals: Schema.Array(Arrival)
  }),
  Schema.Struct({ type: Schema.Literal("failed"), message: Schema.String })
])
export type LoadReply = typeof LoadReply.Type
