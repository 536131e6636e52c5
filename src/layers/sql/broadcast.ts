import { PgClient } from "@effect/sql-pg"
import { Context, Deferred, Duration, Effect, Layer, PubSub, Queue, Schedule, type Scope, Stream } from "effect"
import type { SqlError } from "effect/sql"

/**
 * Fan-out between the server instances that share one database: a payload published by any of
 * them reaches the subscribers of all of them, the publisher included. Delivery is best effort
 * (what is published while a listener reconnects is missed), so anything that must survive is
 * written to a table first and the broadcast only says "look now".
 */
export class Broadcast extends Context.Service<Broadcast, {
  readonly publish: (payload: string) => Effect.Effect<void, SqlError.SqlError>
  /** payloads published after the subscription is taken, until the scope closes */
  readonly subscribe: Effect.Effect<Stream.Stream<string>, never, Scope.Scope>
  /** payloads longer than this (in UTF-8 bytes) cannot be broadcast */
  readonly maxPayloadBytes: number
}>()("tutor/sql/Broadcast") {}

/** How many payloads a slow subscriber may lag behind before it loses the oldest. */
const SUBSCRIBER_BUFFER = 1024

/** One instance on its own (the embedded database lives in this process anyway). */
export const broadcastInProcess: Layer.Layer<Broadcast> = Layer.effect(
  Broadcast,
  Effect.gen(function*() {
    const hub = yield* Effect.acquireRelease(PubSub.sliding<string>(SUBSCRIBER_BUFFER), PubSub.shutdown)
    return Broadcast.of({
      publish: (payload) => Effect.asVoid(PubSub.publish(hub, payload)),
      subscribe: Effect.map(PubSub.subscribe(hub), Stream.fromSubscription),
      maxPayloadBytes: Number.POSITIVE_INFINITY
    })
  })
)

/** PostgreSQL's NOTIFY payload limit is 8000 bytes; keep a margin for the protocol's own bytes. */
const NOTIFY_PAYLOAD_LIMIT = 7900

/**
 * Postgres `LISTEN/NOTIFY` on one channel. Each instance holds one listening connection and
 * relays to its local subscribers; a dropped connection is re-listened with backoff. The layer
 * is ready only once the first `LISTEN` is confirmed, so nothing notified afterwards is missed.
 */
export const broadcastPostgres = (channel: string): Layer.Layer<Broadcast, never, PgClient.PgClient> =>
  Layer.effect(
    Broadcast,
    Effect.gen(function*() {
      const pg = yield* PgClient.PgClient
      const hub = yield* Effect.acquireRelease(PubSub.sliding<string>(SUBSCRIBER_BUFFER), PubSub.shutdown)
      const listening = yield* Deferred.make<void>()

      const relay = Effect.scoped(Effect.gen(function*() {
        const notifications = yield* pg.listen(channel)
        yield* Deferred.succeed(listening, undefined)
        return yield* Queue.take(notifications).pipe(
          Effect.flatMap((notification) => PubSub.publish(hub, notification.payload)),
          Effect.forever
        )
      }))
      yield* relay.pipe(
        Effect.tapError((error) => Effect.logWarning(`broadcast: LISTEN ${channel} lost, re-listening`, error.message)),
        Effect.retry(Schedule.exponential("100 millis").pipe(
          Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, Duration.seconds(5))))
        )),
        Effect.forkScoped
      )
      yield* Deferred.await(listening)

      return Broadcast.of({
        publish: (payload) => pg.notify(channel, payload),
        subscribe: Effect.map(PubSub.subscribe(hub), Stream.fromSubscription),
        maxPayloadBytes: NOTIFY_PAYLOAD_LIMIT
      })
    })
  )
