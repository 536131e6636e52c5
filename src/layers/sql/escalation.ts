import { Clock, Duration, Effect, Layer, Option, Schema, Stream } from "effect"
import { randomUUID } from "node:crypto"
import {
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
  /** an escalation stays pending for late teachers this long (the teacher grant's lifetime) */
  readonly pendingTtl: Duration.Input
}

const defaults: EscalationSqlOptions = { version: "b", pendingTtl: Duration.hours(1) }

/** A message on its way to the teachers or the student of one session, on any instance. */
const Envelope = Schema.Union([
  Schema.Struct({ to: Schema.Literal("teachers"), sessionId: Schema.String, message: TeacherMessage }),
  Schema.Struct({ to: Schema.Literal("student"), sessionId: Schema.String, message: StudentMessage })
])
type Envelope = typeof Envelope.Type
const decodeEnvelope = Schema.decodeUnknownOption(Schema.fromJsonString(Envelope))

/**
 * `teacher_ws_url` holds the signed teacher-socket link and `teacher_token` Version A's LiveKit
 * room link (which carries the teacher's LiveKit token), so the existing columns suffice.
 */
const toRecord = (row: StoredEscalation): EscalationRecord => ({
  id: row.id,
  sessionId: row.sessionId,
  reason: row.reason,
  trigger: row.trigger,
  teacherUrl: row.teacherWsUrl ?? "",
  ...(row.teacherToken === null ? {} : { liveKitUrl: row.teacherToken }),
  ...(row.finding === null ? {} : { finding: row.finding }),
  raisedAt: row.at
})

/**
 * Escalation on the database, for several server instances. `raise` writes an
 * `escalation_events` row (so a teacher who connects later, to any instance, after any restart,
 * finds it pending) and then notifies. Every teacher/student message goes through `Broadcast`
 * (LISTEN/NOTIFY on PostgreSQL, a PubSub in process on the embedded database) and each instance
 * hands what it hears to its own sockets through the in-memory per-session channels.
 */
export const escalationSql = (
  options: Partial<EscalationSqlOptions> = {}
): Layer.Layer<Escalation, never, Store | AuditLog | Broadcast> =>
  Layer.effect(
    Escalation,
    Effect.gen(function*() {
      const { pendingTtl, version } = { ...defaults, ...options }
      const pendingMillis = Duration.toMillis(Duration.fromInputUnsafe(pendingTtl))
      // this instance's sockets: the in-memory implementation, used only for its local fan-out
      const local = yield* Escalation
      const store = yield* Store
      const audit = yield* AuditLog
      const broadcast = yield* Broadcast

      const deliver = (envelope: Envelope) =>
        envelope.to === "teachers"
          ? local.toTeachers(envelope.sessionId, envelope.message)
          : local.toStudent(envelope.sessionId, envelope.message)

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

      const send = (envelope: Envelope) => {
        const payload = JSON.stringify(envelope)
        // what cannot cross instances still reaches this instance's sockets, and the loss is logged
        const localOnly = (why: string) =>
          Effect.andThen(
            Effect.logWarning(`escalation: ${why}; delivered on this instance only`).pipe(
              Effect.annotateLogs({ sessionId: envelope.sessionId, type: envelope.message.type })
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
            teacherToken: input.liveKitUrl ?? null,
            // an agent without the signing secret has no socket link: stored as absent, not as ""
            teacherWsUrl: input.teacherUrl === "" ? null : input.teacherUrl,
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
          const record = toRecord({ ...raised, acknowledgedAt: null })
          yield* send({ to: "teachers", sessionId: input.sessionId, message: escalationNotice(record) })
          yield* send({ to: "student", sessionId: input.sessionId, message: studentNotice(record) })
          yield* Effect.logInfo("escalation raised").pipe(
            Effect.annotateLogs({ sessionId: input.sessionId, trigger: input.trigger, reason: input.reason })
          )
          return record
        }),
        pending: Effect.fn("Escalation.pending")(function*(sessionId) {
          const now = yield* Clock.currentTimeMillis
          return yield* store.pendingEscalations(sessionId, now - pendingMillis).pipe(
            Effect.map((rows) => rows.map(toRecord)),
            Effect.catchTag("StoreError", (error) =>
              Effect.as(Effect.logError(`escalation: pending escalations unavailable: ${error.message}`), []))
          )
        }),
        acknowledge: Effect.fn("Escalation.acknowledge")(function*(id) {
          const now = yield* Clock.currentTimeMillis
          // a lost acknowledgement only means a later teacher is told once more
          yield* store.acknowledgeEscalation(id, now).pipe(
            Effect.catchTag("StoreError", (error) =>
              error.transient
                ? audit.record({ _tag: "EscalationAcknowledged", id, at: now })
                : Effect.logWarning(`escalation: acknowledgement not stored: ${error.message}`))
          )
        }),
        toTeachers: (sessionId, message) => send({ to: "teachers", sessionId, message }),
        toStudent: (sessionId, message) => send({ to: "student", sessionId, message }),
        teacherFeed: local.teacherFeed,
        studentFeed: local.studentFeed
      })
    })
  ).pipe(Layer.provide(escalationMemory()))
