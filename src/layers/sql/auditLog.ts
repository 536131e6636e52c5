import { Duration, Effect, Layer, Queue, Ref, Stream, SubscriptionRef } from "effect"
import { type AuditEntry, AuditLog, type AuditStats, Store, type StoreError } from "../../services/Store.ts"
import { cappedBackoff } from "./rows.ts"

export interface AuditLogOptions {
  /** entries waiting for the database at most; beyond that they are dropped and counted */
  readonly capacity: number
  /** entries written per transaction at most */
  readonly batchSize: number
  /** first wait after a transient failure; doubles up to `retryCap` */
  readonly retryBase: Duration.Input
  readonly retryCap: Duration.Input
  /** how long shutdown waits for the queue to drain */
  readonly shutdownTimeout: Duration.Input
}

const defaults: AuditLogOptions = {
  capacity: 10_000,
  batchSize: 100,
  retryBase: Duration.millis(100),
  retryCap: Duration.seconds(10),
  shutdownTimeout: Duration.seconds(5)
}

type Counters = Omit<AuditStats, "pending">

const pendingOf = (counters: Counters) => counters.accepted - counters.written - counters.failed

/**
 * The write-behind queue in front of `Store.write`. One writer fiber takes what is queued in
 * batches; a transient failure (database unreachable) retries the same batch with capped
 * backoff for as long as it takes, while new entries wait in the bounded queue; an entry the
 * database refuses for good is isolated from its batch, logged and counted as failed.
 */
export const auditLog = (options: Partial<AuditLogOptions> = {}): Layer.Layer<AuditLog, never, Store> =>
  Layer.effect(
    AuditLog,
    Effect.gen(function*() {
      const { batchSize, capacity, retryBase, retryCap, shutdownTimeout } = { ...defaults, ...options }
      const store = yield* Store
      const queue = yield* Queue.dropping<AuditEntry>(capacity)
      const counters = yield* SubscriptionRef.make<Counters>({ accepted: 0, written: 0, failed: 0, dropped: 0, retries: 0 })
      /** drops not yet reported in the log */
      const unreported = yield* Ref.make(0)
      const unreachable = yield* Ref.make(false)

      const count = (change: (counters: Counters) => Counters) => SubscriptionRef.update(counters, change)

      const reportDrops = Effect.gen(function*() {
        const dropped = yield* Ref.getAndSet(unreported, 0)
        if (dropped > 0) {
          const total = (yield* SubscriptionRef.get(counters)).dropped
          yield* Effect.logWarning(`audit log: dropped ${dropped} entries while the queue was full (${total} in total)`)
        }
      })

      const attempt = (batch: ReadonlyArray<AuditEntry>) =>
        store.write(batch).pipe(
          Effect.tapError((error: StoreError) =>
            error.transient
              ? Effect.gen(function*() {
                yield* count((c) => ({ ...c, retries: c.retries + 1 }))
                if (!(yield* Ref.getAndSet(unreachable, true))) {
                  yield* Effect.logWarning(`audit log: database unreachable, retrying with backoff: ${error.message}`)
                }
              })
              : Effect.void
          ),
          Effect.retry({ while: (error) => error.transient, schedule: cappedBackoff(retryBase, retryCap) }),
          Effect.tap(() =>
            Effect.gen(function*() {
              if (yield* Ref.getAndSet(unreachable, false)) {
                yield* Effect.logInfo(`audit log: database reachable again, ${pendingOf(yield* SubscriptionRef.get(counters))} entries pending`)
              }
            })
          )
        )

      const writeBatch = (batch: ReadonlyArray<AuditEntry>): Effect.Effect<void> =>
        attempt(batch).pipe(
          Effect.matchEffect({
            onSuccess: () => count((c) => ({ ...c, written: c.written + batch.length })),
            onFailure: (error) =>
              batch.length > 1
                // one bad entry must not take its batch with it
                ? Effect.forEach(batch, (entry) => writeBatch([entry]), { discard: true })
                : Effect.logError(`audit log: entry refused by the database: ${error.message}`).pipe(
                  Effect.annotateLogs({ entry: JSON.stringify(batch[0]) }),
                  Effect.andThen(count((c) => ({ ...c, failed: c.failed + 1 })))
                )
          })
        )

      yield* Queue.takeBetween(queue, 1, batchSize).pipe(
        Effect.flatMap(writeBatch),
        Effect.andThen(reportDrops),
        Effect.forever,
        Effect.forkScoped
      )

      const flush = Effect.gen(function*() {
        const target = (yield* SubscriptionRef.get(counters)).accepted
        yield* SubscriptionRef.changes(counters).pipe(
          Stream.takeUntil((c) => c.written + c.failed >= target),
          Stream.runDrain
        )
      })

      // registered after the writer was forked, so it runs while the writer is still alive
      yield* Effect.addFinalizer(() =>
        Effect.gen(function*() {
          yield* flush.pipe(Effect.timeoutOption(shutdownTimeout))
          yield* reportDrops
          const left = pendingOf(yield* SubscriptionRef.get(counters))
          if (left > 0) yield* Effect.logError(`audit log: ${left} entries not written at shutdown (database unreachable)`)
        })
      )

      return AuditLog.of({
        // no span per entry: this runs for every transcript line and sentence verdict on the request path
        record: (entry) =>
          Effect.gen(function*() {
            if (yield* Queue.offer(queue, entry)) {
              yield* count((c) => ({ ...c, accepted: c.accepted + 1 }))
              return
            }
            yield* count((c) => ({ ...c, dropped: c.dropped + 1 }))
            if ((yield* Ref.getAndUpdate(unreported, (n) => n + 1)) === 0) {
              yield* Effect.logWarning(`audit log: queue full (${capacity} entries), dropping; the count follows`)
            }
          }),
        flush: flush.pipe(Effect.withSpan("AuditLog.flush")),
        stats: Effect.map(SubscriptionRef.get(counters), (c) => ({ ...c, pending: pendingOf(c) }))
      })
    })
  )
