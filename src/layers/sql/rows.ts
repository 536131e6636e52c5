import { Duration, Effect, Schedule, Schema, SchemaGetter } from "effect"
import type { SqlError } from "effect/sql"

/**
 * A `TIMESTAMPTZ` column (the driver decodes it to a `Date`) as the epoch milliseconds the
 * domain types use; encoding gives back the `Date` the driver binds as `timestamptz`.
 */
export const EpochMillisFromDate = Schema.Date.pipe(Schema.decodeTo(Schema.Number, {
  decode: SchemaGetter.transform((date: Date) => date.getTime()),
  encode: SchemaGetter.transform((millis: number) => new Date(millis))
}))

/** Ids of rows keyed by `UUID` columns; anything else cannot name a row and is not sent to the server. */
export const isUuid = Schema.is(Schema.String.check(Schema.isUUID()))

/** Exponential backoff from `base`, never waiting longer than `cap` between attempts. */
export const cappedBackoff = (base: Duration.Input, cap: Duration.Input) =>
  Schedule.exponential(base).pipe(
    Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, Duration.fromInputUnsafe(cap))))
  )

/** Connection errors and the like (the driver's own judgement); constraint or syntax errors are not. */
export const isTransient = (error: SqlError.SqlError | Schema.SchemaError): boolean =>
  error._tag === "SqlError" && error.isRetryable

/**
 * For start-up work the store cannot go on without (the job store's restart recovery): ride out
 * a short outage, then fail loudly as a defect rather than pretend it worked.
 */
export const retryBrieflyOrDie = <A, E extends SqlError.SqlError | Schema.SchemaError, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, never, R> =>
  effect.pipe(
    Effect.retry({ while: isTransient, schedule: cappedBackoff("50 millis", "1 second"), times: 5 }),
    Effect.orDie
  )
