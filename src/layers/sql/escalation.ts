import { Clock, Effect, Layer, Option, PubSub, Schema, Stream } from "effect"
import { randomUUID } from "node:crypto"
import {
  byUrgency,
  type ClaimOutcome,
  Escalation,
  type EscalationRecord,
  escalationNotice,
  StudentMessage,
  studentNotice,
  TeacherMessage
} from "../../services/Escalation.ts"
import { AuditLog, type NewEscalation, type SessionVersion, Store, type StoredEscalation } from "../../services/Store.ts"
import { escalationMemory } from "../memory/escalation.ts"
import { Broadcast } from "./broadcast.ts"

export interface EscalationSqlOptions {
  /** which front door raises escalations here (the `escalation_events.version` column) */
  readonly version: SessionVersion
}

const defaults: EscalationSqlOptions = { version: "b" }

/** A message on its way to the teachers or the student of one session, or "the inbox changed", on any instance. */
const Envelope = Schema.Union([
  Schema.Struct({ to: Schema.Literal("teachers"), sessionId: Schema.String, message: TeacherMessage }),
  Schema.Struct({ to: Schema.Literal("student"), sessionId: Schema.String, message: StudentMessage }),
  Schema.Struct({ to: Schema.Literal("inbox") })
])
type Envelope = typeof Envelope.Type
const decodeEnvelope = Schema.decodeUnknownOption(Schema.fromJsonString(Envelope))

const toRecord = (row: StoredEscalation): EscalationRecord => ({
  id: row.id,
  sessionId: row.sessionId,
  reason: row.reason,
  trigger: row.trigger,
  ...(row.finding === null ? {} : { finding: row.finding }),
  raisedAt: row.at,
  claimedBy: row.claimedBy,
  claimedAt: row.claimedAt,
  resolvedAt: row.resolvedAt,
  resolutionNote: row.resolutionNote
})

/**
 * Escalation on the database, for several server instances. `raise` writes an
 * `escalation_events` row (so the inbox of any instance, after any restart, shows it until a
 * teacher resolves it) and then notifies; claims are atomic updates of that row. Every teacher/student message goes through `Broadcast`
 * (LISTEN/NOTIFY on PostgreSQL, a PubSub in process on the embedded database) and each instance
 * hands what it hears to its own sockets through the in-memory per-session channels.
 */
export const escalationSql = (
  options: Partial<EscalationSqlOptions> = {}
): Layer.Layer<Escalation, never, Store | AuditLog | Broadcast> =>
  Layer.effect(
    Escalation,
    Effect.gen(function*() {
      const { version } = { ...defaults, ...options }
      // this instance's sockets: the in-memory implementation, used only for its local fan-out
      const local = yield* Escalation
      const store = yield* Store
      const audit = yield* AuditLog
      const broadcast = yield* Broadcast
      const inbox = yield* Effect.acquireRelease(PubSub.sliding<void>(64), PubSub.shutdown)

      const deliver = (envelope: Envelope) => {
        switch (envelope.to) {
          case "teachers":
            return local.toTeachers(envelope.sessionId, envelope.message)
          case "student":
            return local.toStudent(envelope.sessionId, envelope.message)
          case "inbox":
            return Effect.asVoid(PubSub.publish(inbox, undefined))
        }
      }

      // subscribed before the layer is ready: nothing broadcast after start-up is missed
      const heard = yield* broadcast.subscribe
      yield* heard.pipe(
        Stream.runForEach((payload) =>
          Option.match(decodeEnvelope(payload), {
            onNone: () => Effect.logWarning("escalation: ignored a broadcast that is not an envelope", payload.slice(0, 200)),
            onSome: deliver
          })
        ),
        Effect.forkScoped
      )

      // an inbox that cannot be read is an error to see, not an empty inbox to trust
      const openRows = (sessionId?: string) => Effect.orDie(store.openEscalations(sessionId))

      const send = (envelope: Envelope) => {
        const payload = JSON.stringify(envelope)
        // what cannot cross instances still reaches this instance's sockets, and the loss is logged
        const localOnly = (why: string) =>
          Effect.andThen(
            Effect.logWarning(`escalation: ${why}; delivered on this instance only`).pipe(
              Effect.annotateLogs(envelope.to === "inbox" ? {} : { sessionId: envelope.sessionId, type: envelope.message.type })
            ),
            deliver(envelope)
          )
        return Buffer.byteLength(payload) > broadcast.maxPayloadBytes
          ? localOnly(`message of ${Buffer.byteLength(payload)} bytes is too large to broadcast`)
          : broadcast.publish(payload).pipe(
            Effect.catchTag("SqlError", (error) => localOnly(`broadcast failed (${error.message})`))
          )
      }

      return Escalation.of({
        raise: Effect.fn("Escalation.raise")(function*(input) {
          const raised: NewEscalation = {
            id: randomUUID(),
            sessionId: input.sessionId,
            version,
            trigger: input.trigger,
            reason: input.reason,
            finding: input.finding,
            at: yield* Clock.currentTimeMillis
          }
          // the teachers online hear of it either way; late ones find it once its row is written
          yield* store.recordEscalation(raised).pipe(
            Effect.catchTag("StoreError", (error) =>
              error.transient
                ? Effect.andThen(
                  Effect.logWarning(`escalation: database unreachable, its row is queued: ${error.message}`),
                  audit.record({ _tag: "EscalationRaised", ...raised })
                )
                : Effect.logError(`escalation: not stored, teachers online are still notified: ${error.message}`))
          )
          const record = toRecord({ ...raised, claimedBy: null, claimedAt: null, resolvedAt: null, resolutionNote: null })
          yield* send({ to: "inbox" })
          yield* send({ to: "teachers", sessionId: input.sessionId, message: escalationNotice(record) })
          yield* send({ to: "student", sessionId: input.sessionId, message: studentNotice(record) })
          yield* Effect.logInfo("escalation raised").pipe(
            Effect.annotateLogs({ sessionId: input.sessionId, trigger: input.trigger, reason: input.reason })
          )
          return record
        }),
        open: Effect.map(openRows(), (rows) => byUrgency(rows.map(toRecord))),
        pending: (sessionId) =>
          Effect.map(openRows(sessionId), (rows) => rows.filter((row) => row.claimedBy === null).map(toRecord)),
        get: (id) => Effect.map(Effect.orDie(store.escalation(id)), Option.map(toRecord)),
        claim: Effect.fn("Escalation.claim")(function*(id, teacherId) {
          const now = yield* Clock.currentTimeMillis
          // a claim must be the database's word: with the database away it fails (a 500) rather than guess
          const claimed = yield* Effect.orDie(store.claimEscalation(id, teacherId, now))
          if (Option.isSome(claimed)) {
            const record = toRecord(claimed.value)
            yield* send({ to: "inbox" })
            yield* send({ to: "student", sessionId: record.sessionId, message: { type: "teacher_joined" } })
            return { _tag: "Claimed", record } satisfies ClaimOutcome
          }
          const known = yield* Effect.orDie(store.escalation(id))
          return Option.isSome(known) ? { _tag: "Taken" } satisfies ClaimOutcome : { _tag: "Missing" } satisfies ClaimOutcome
        }),
        resolve: Effect.fn("Escalation.resolve")(function*(id, teacherId, note) {
          const at = yield* Clock.currentTimeMillis
          const resolved = yield* Effect.orDie(store.resolveEscalation({ id, teacherId, note, at }))
          if (Option.isSome(resolved)) {
            yield* send({ to: "inbox" })
            return "Resolved"
          }
          return Option.isSome(yield* Effect.orDie(store.escalation(id))) ? "NotYours" : "Missing"
        }),
        holdsClaim: (sessionId, teacherId) =>
          Effect.map(openRows(sessionId), (rows) => rows.some((row) => row.claimedBy === teacherId)),
        inboxChanges: Effect.map(PubSub.subscribe(inbox), Stream.fromSubscription),
        toTeachers: (sessionId, message) => send({ to: "teachers", sessionId, message }),
        toStudent: (sessionId, message) => send({ to: "student", sessionId, message }),
        teacherFeed: local.teacherFeed,
        studentFeed: local.studentFeed
      })
    })
  ).pipe(Layer.provide(escalationMemory()))
