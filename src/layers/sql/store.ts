import { DateTime, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, type SqlError, SqlSchema } from "effect/sql"
import {
  type AuditEntry,
  LearningSession,
  type SessionClosed,
  NewEscalation,
  Store,
  StoreError,
  StoredEscalation,
  StoredGuardrailEvent,
  StoredRouting,
  StoredTurn
} from "../../services/Store.ts"
import { bySeverityFirst, SessionReport } from "../../services/Sessions.ts"
import { Subject } from "../../services/Specialists.ts"
import { EpochMillisFromDate, isTransient, isUuid } from "./rows.ts"

// Row schemas: the domain types with the `TIMESTAMPTZ` columns decoded from the driver's `Date`.
const TurnRow = Schema.Struct({ ...StoredTurn.fields, at: EpochMillisFromDate })
const RoutingRow = Schema.Struct({ ...StoredRouting.fields, at: EpochMillisFromDate })
const GuardrailRow = Schema.Struct({ ...StoredGuardrailEvent.fields, at: EpochMillisFromDate })
const EscalationRow = Schema.Struct({
  ...StoredEscalation.fields,
  claimedAt: Schema.NullOr(EpochMillisFromDate),
  resolvedAt: Schema.NullOr(EpochMillisFromDate),
  at: EpochMillisFromDate
})
const SessionRow = Schema.Struct({
  ...LearningSession.fields,
  startedAt: EpochMillisFromDate,
  endedAt: Schema.NullOr(EpochMillisFromDate)
})
const ReportCounts = Schema.Struct({
  turns: Schema.Number,
  subjects: Schema.Array(Subject),
  escalated: Schema.Boolean,
  guardrailFlags: Schema.Number
})
const ReportLatency = SessionReport.fields.latency_ms
const ReportUsage = SessionReport.fields.usage

const escalationColumns = `id::text AS "id", session_id AS "sessionId", version::text AS "version", trigger, reason,
  claimed_by::text AS "claimedBy", claimed_at AS "claimedAt", resolved_at AS "resolvedAt",
  resolution_note AS "resolutionNote",
  CASE WHEN category IS NULL THEN NULL
    ELSE jsonb_build_object('category', category, 'severity', severity, 'evidence', evidence) END AS "finding",
  created_at AS "at"`

/**
 * Stage → column of `turn_latencies`. The report's p50 is the lower median (`percentile_disc`),
 * as the in-memory sessions compute it, so both back ends report the same figures.
 */
const latencyStages = {
  classify: "classify_ms",
  first_token: "first_token_ms",
  first_sentence: "first_sentence_ms",
  total: "total_ms"
} as const satisfies Record<keyof typeof ReportLatency.fields, string>

const latencySelect = Object.entries(latencyStages)
  .map(([stage, column]) =>
    `jsonb_build_object('samples', count(${column})::int,
      'p50', percentile_disc(0.5) WITHIN GROUP (ORDER BY ${column}), 'max', max(${column})) AS "${stage}"`
  )
  .join(",\n")

/** The score of what was flagged (the highest flagged category's), not of an unflagged category. */
const flaggedScore = (categories: ReadonlyArray<string>, scores: Readonly<Record<string, number>>): number =>
  Math.max(0, ...categories.map((category) => scores[category] ?? 0))

const storeError = (operation: string) => (error: SqlError.SqlError | Schema.SchemaError) =>
  new StoreError({ operation, message: error.message, transient: isTransient(error) })

/** `Store` over any `SqlClient` speaking PostgreSQL: the real server and the embedded PGlite alike. */
export const storeSql: Layer.Layer<Store, never, SqlClient.SqlClient> = Layer.effect(
  Store,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const insertEscalationRow = (escalation: NewEscalation) => sql`
      INSERT INTO escalation_events (id, session_id, version, trigger, reason, category, severity, evidence, created_at)
      VALUES (${escalation.id}::uuid, ${escalation.sessionId}, ${escalation.version}, ${escalation.trigger},
              ${escalation.reason}, ${escalation.finding?.category ?? null}, ${escalation.finding?.severity ?? null},
              ${JSON.stringify(escalation.finding?.evidence ?? [])}::jsonb, ${new Date(escalation.at)})`

    const writeOne = (entry: AuditEntry) => {
      switch (entry._tag) {
        case "SessionStarted":
          return sql`
            INSERT INTO learning_sessions (session_id, version, student_id, room_name, session_token, started_at)
            VALUES (${entry.sessionId}, ${entry.version}, ${entry.studentId}, ${entry.roomName}, ${entry.sessionToken},
                    ${new Date(entry.at)})
            ON CONFLICT (session_id) DO NOTHING`
        case "TurnSpoken":
          // the transaction-scoped lock makes "next index of this session" safe across instances
          return Effect.andThen(
            sql`SELECT pg_advisory_xact_lock(hashtext(${entry.sessionId}))`,
            sql`
              INSERT INTO transcript_turns (session_id, speaker, text, subject, turn_index, created_at)
              SELECT ${entry.sessionId}, ${entry.speaker}, ${entry.text}, ${entry.subject},
                     COALESCE(MAX(turn_index) + 1, 0), ${new Date(entry.at)}
              FROM transcript_turns WHERE session_id = ${entry.sessionId}`
          )
        case "RoutingDecided":
          return sql`
            INSERT INTO routing_decisions
              (session_id, from_agent, to_agent, confidence, transcript_excerpt, latency_ms, fallback, created_at)
            VALUES (${entry.sessionId}, ${entry.fromAgent}, ${entry.toAgent}, ${entry.confidence}, ${entry.excerpt},
                    ${Math.round(entry.latencyMs)}, ${entry.fallback}, ${new Date(entry.at)})`
        case "GuardrailFlagged":
          return sql`
            INSERT INTO guardrail_events (session_id, sentence_index, action, original_text, rewritten_text,
              categories_flagged, category_scores, flagged, confidence, created_at)
            VALUES (${entry.sessionId}, ${entry.sentenceIndex}, ${entry.action}, ${entry.original}, ${entry.replacement},
                    ${entry.categories}, ${JSON.stringify(entry.scores)}::jsonb, ${entry.action !== "passed"},
                    ${flaggedScore(entry.categories, entry.scores)}, ${new Date(entry.at)})`
        case "LatencyMeasured":
          return sql`
            INSERT INTO turn_latencies
              (session_id, classify_ms, first_token_ms, first_sentence_ms, first_audio_ms, total_ms,
               input_tokens, output_tokens, estimated_cost_usd, created_at)
            VALUES (${entry.sessionId}, ${entry.classifyMs}, ${entry.firstTokenMs}, ${entry.firstSentenceMs},
                    ${entry.firstAudioMs}, ${entry.totalMs}, ${entry.inputTokens}, ${entry.outputTokens},
                    ${entry.estimatedCostUsd}, ${new Date(entry.at)})`
        case "EscalationRaised":
          // the first attempt may have landed after all
          return sql`${insertEscalationRow(entry)} ON CONFLICT (id) DO NOTHING`
        case "SessionClosed":
          // queued after the session's other entries, so the report covers them
          return Effect.asVoid(close(entry))
      }
    }

    const transcript = SqlSchema.findAll({
      Request: Schema.String,
      Result: TurnRow,
      execute: (sessionId) => sql`
        SELECT turn_index AS "turnIndex", speaker, text, subject, created_at AS "at"
        FROM transcript_turns WHERE session_id = ${sessionId} ORDER BY turn_index`
    })
    const routingDecisions = SqlSchema.findAll({
      Request: Schema.String,
      Result: RoutingRow,
      execute: (sessionId) => sql`
        SELECT from_agent AS "fromAgent", to_agent AS "toAgent", confidence, latency_ms AS "latencyMs",
               transcript_excerpt AS "excerpt", fallback, created_at AS "at"
        FROM routing_decisions WHERE session_id = ${sessionId} ORDER BY created_at, seq`
    })
    const guardrailEvents = SqlSchema.findAll({
      Request: Schema.String,
      Result: GuardrailRow,
      execute: (sessionId) => sql`
        SELECT sentence_index AS "sentenceIndex", action, original_text AS "original", rewritten_text AS "replacement",
               categories_flagged AS "categories", category_scores AS "scores", flagged, confidence, created_at AS "at"
        FROM guardrail_events WHERE session_id = ${sessionId} ORDER BY created_at, seq`
    })
    const session = SqlSchema.findOneOption({
      Request: Schema.String,
      Result: SessionRow,
      execute: (sessionId) => sql`
        SELECT session_id AS "sessionId", version::text AS "version", student_id AS "studentId", room_name AS "roomName",
               session_token AS "sessionToken", started_at AS "startedAt", ended_at AS "endedAt", session_report AS "report"
        FROM learning_sessions WHERE session_id = ${sessionId}`
    })
    const reportCounts = SqlSchema.findOne({
      Request: Schema.String,
      Result: ReportCounts,
      execute: (sessionId) => sql`
        SELECT
          (SELECT count(*)::int FROM transcript_turns WHERE session_id = ${sessionId}) AS "turns",
          (SELECT COALESCE(array_agg(subject ORDER BY first_index), '{}')
             FROM (SELECT subject, min(turn_index) AS first_index FROM transcript_turns
                   WHERE session_id = ${sessionId} AND subject IS NOT NULL GROUP BY subject) AS seen) AS "subjects",
          EXISTS (SELECT 1 FROM escalation_events WHERE session_id = ${sessionId}) AS "escalated",
          (SELECT count(*)::int FROM guardrail_events WHERE session_id = ${sessionId} AND flagged) AS "guardrailFlags"`
    })
    const reportLatency = SqlSchema.findOne({
      Request: Schema.String,
      Result: ReportLatency,
      execute: (sessionId) => sql`SELECT ${sql.unsafe(latencySelect)} FROM turn_latencies WHERE session_id = ${sessionId}`
    })
    // sums as float8: the driver returns bigint and numeric as strings; one NULL cost makes the total
    // unknown, as in the in-memory sessions (SUM alone would skip it)
    const reportUsage = SqlSchema.findOne({
      Request: Schema.String,
      Result: ReportUsage,
      execute: (sessionId) => sql`
        SELECT COALESCE(sum(input_tokens), 0)::float8 AS "input_tokens",
               COALESCE(sum(output_tokens), 0)::float8 AS "output_tokens",
               CASE WHEN count(*) = count(estimated_cost_usd) THEN COALESCE(sum(estimated_cost_usd), 0) END
                 AS "estimated_cost_usd"
        FROM turn_latencies WHERE session_id = ${sessionId}`
    })
    const insertEscalation = SqlSchema.findOne({
      Request: NewEscalation,
      Result: EscalationRow,
      execute: (escalation) => sql`
        ${insertEscalationRow(escalation)}
        RETURNING ${sql.unsafe(escalationColumns)}`
    })
    const escalationById = SqlSchema.findOneOption({
      Request: Schema.String,
      Result: EscalationRow,
      execute: (id) => sql`SELECT ${sql.unsafe(escalationColumns)} FROM escalation_events WHERE id = ${id}::uuid`
    })
    const claim = SqlSchema.findOneOption({
      Request: Schema.Struct({ id: Schema.String, teacherId: Schema.String, at: Schema.Number }),
      Result: EscalationRow,
      execute: ({ at, id, teacherId }) => sql`
        UPDATE escalation_events SET claimed_by = ${teacherId}::uuid, claimed_at = COALESCE(claimed_at, ${new Date(at)})
        WHERE id = ${id}::uuid AND resolved_at IS NULL AND (claimed_by IS NULL OR claimed_by = ${teacherId}::uuid)
        RETURNING ${sql.unsafe(escalationColumns)}`
    })
    const resolve = SqlSchema.findOneOption({
      Request: Schema.Struct({ id: Schema.String, teacherId: Schema.String, note: Schema.String, at: Schema.Number }),
      Result: EscalationRow,
      execute: ({ at, id, note, teacherId }) => sql`
        UPDATE escalation_events SET resolved_at = ${new Date(at)}, resolution_note = ${note}
        WHERE id = ${id}::uuid AND resolved_at IS NULL AND claimed_by = ${teacherId}::uuid
        RETURNING ${sql.unsafe(escalationColumns)}`
    })
    const escalationsOf = SqlSchema.findAll({
      Request: Schema.String,
      Result: EscalationRow,
      execute: (sessionId) => sql`
        SELECT ${sql.unsafe(escalationColumns)} FROM escalation_events WHERE session_id = ${sessionId} ORDER BY created_at, seq`
    })
    const open = SqlSchema.findAll({
      Request: Schema.NullOr(Schema.String),
      Result: EscalationRow,
      execute: (sessionId) => sql`
        SELECT ${sql.unsafe(escalationColumns)} FROM escalation_events
        WHERE resolved_at IS NULL ${sessionId === null ? sql`` : sql`AND session_id = ${sessionId}`}
        ORDER BY created_at, seq`
    })

    const close = ({ at, sessionId, version }: Omit<SessionClosed, "_tag">) =>
      Effect.gen(function*() {
        const report = yield* buildReport(sessionId, at)
        yield* sql`
          INSERT INTO learning_sessions (session_id, version, started_at, ended_at, session_report)
          VALUES (${sessionId}, ${version}, ${new Date(at)}, ${new Date(at)}, ${JSON.stringify(report)}::jsonb)
          ON CONFLICT (session_id) DO UPDATE
          SET ended_at = EXCLUDED.ended_at, session_report = EXCLUDED.session_report`
        return report
      })

    const buildReport = (sessionId: string, at: number) =>
      Effect.gen(function*() {
        const counts = yield* reportCounts(sessionId)
        const routing = yield* routingDecisions(sessionId)
        const report: SessionReport = {
          turns: counts.turns,
          subjects: counts.subjects,
          escalated: counts.escalated,
          guardrail_flags: counts.guardrailFlags,
          routing_decisions: routing.map((decision) => ({
            to: decision.toAgent,
            confidence: decision.confidence,
            fallback: decision.fallback,
            excerpt: decision.excerpt
          })),
          escalations: bySeverityFirst((yield* escalationsOf(sessionId)).map((escalation) => ({
            reason: escalation.reason,
            trigger: escalation.trigger,
            category: escalation.finding?.category ?? null,
            severity: escalation.finding?.severity ?? null,
            evidence: escalation.finding?.evidence ?? []
          }))),
          latency_ms: yield* reportLatency(sessionId),
          usage: yield* reportUsage(sessionId),
          closed_at: DateTime.formatIso(DateTime.makeUnsafe(at))
        }
        return report
        // aggregates without GROUP BY always return one row
      }).pipe(Effect.catchTag("NoSuchElementError", Effect.die))

    return Store.of({
      write: Effect.fn("Store.write")(function*(entries) {
        yield* Effect.annotateCurrentSpan({ "store.entries": entries.length })
        yield* Effect.forEach(entries, writeOne, { discard: true }).pipe(
          sql.withTransaction,
          Effect.mapError(storeError("Store.write"))
        )
      }),
      closeSession: Effect.fn("Store.closeSession")(function*(closing) {
        return yield* close(closing).pipe(Effect.mapError(storeError("Store.closeSession")))
      }),
      session: Effect.fn("Store.session")(function*(sessionId) {
        return yield* session(sessionId).pipe(Effect.mapError(storeError("Store.session")))
      }),
      transcript: Effect.fn("Store.transcript")(function*(sessionId) {
        return yield* transcript(sessionId).pipe(Effect.mapError(storeError("Store.transcript")))
      }),
      routingDecisions: Effect.fn("Store.routingDecisions")(function*(sessionId) {
        return yield* routingDecisions(sessionId).pipe(Effect.mapError(storeError("Store.routingDecisions")))
      }),
      guardrailEvents: Effect.fn("Store.guardrailEvents")(function*(sessionId) {
        return yield* guardrailEvents(sessionId).pipe(Effect.mapError(storeError("Store.guardrailEvents")))
      }),
      recordEscalation: Effect.fn("Store.recordEscalation")(function*(escalation) {
        return yield* insertEscalation(escalation).pipe(
          // INSERT … RETURNING returns the row it inserted
          Effect.catchTag("NoSuchElementError", Effect.die),
          Effect.mapError(storeError("Store.recordEscalation"))
        )
      }),
      escalation: Effect.fn("Store.escalation")(function*(id) {
        if (!isUuid(id)) return Option.none()
        return yield* escalationById(id).pipe(Effect.mapError(storeError("Store.escalation")))
      }),
      openEscalations: Effect.fn("Store.openEscalations")(function*(sessionId) {
        return yield* open(sessionId ?? null).pipe(Effect.mapError(storeError("Store.openEscalations")))
      }),
      claimEscalation: Effect.fn("Store.claimEscalation")(function*(id, teacherId, at) {
        if (!isUuid(id) || !isUuid(teacherId)) return Option.none()
        return yield* claim({ id, teacherId, at }).pipe(Effect.mapError(storeError("Store.claimEscalation")))
      }),
      resolveEscalation: Effect.fn("Store.resolveEscalation")(function*(input) {
        if (!isUuid(input.id) || !isUuid(input.teacherId)) return Option.none()
        return yield* resolve(input).pipe(Effect.mapError(storeError("Store.resolveEscalation")))
      })
    })
  })
)
