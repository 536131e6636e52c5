import { Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { AuditEntry, Teacher, Teachers } from "../../services/Teachers.ts"
import { type TeacherRepository, teachersOver } from "../teacherAccounts.ts"
import { EpochMillisFromDate } from "./rows.ts"

const TeacherRow = Schema.Struct({ ...Teacher.fields, createdAt: EpochMillisFromDate })
const SessionRow = Schema.Struct({ teacherId: Schema.String, issuedAt: EpochMillisFromDate, expiresAt: EpochMillisFromDate })
const AuditRow = Schema.Struct({ ...AuditEntry.fields, at: EpochMillisFromDate })
const TeacherId = Schema.Struct({ teacherId: Schema.String })

const teacherColumns = `id::text AS "id", name, email, role, created_at AS "createdAt"`

/**
 * Teacher accounts on the database. A failing database fails the request (a 500): a teacher is
 * never let into a child's session with its audit row unwritten.
 */
export const teachersSql: Layer.Layer<Teachers, never, SqlClient.SqlClient> = Layer.effect(
  Teachers,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const byEmail = SqlSchema.findOneOption({
      Request: Schema.String,
      Result: TeacherRow,
      execute: (email) => sql`SELECT ${sql.unsafe(teacherColumns)} FROM teachers WHERE email = ${email}`
    })
    const byId = SqlSchema.findOneOption({
      Request: Schema.String,
      Result: TeacherRow,
      execute: (id) => sql`SELECT ${sql.unsafe(teacherColumns)} FROM teachers WHERE id::text = ${id}`
    })
    const all = SqlSchema.findAll({
      Request: Schema.Void,
      Result: TeacherRow,
      execute: () => sql`SELECT ${sql.unsafe(teacherColumns)} FROM teachers ORDER BY created_at, email`
    })
    const consume = SqlSchema.findOneOption({
      Request: Schema.Struct({ hash: Schema.String, now: Schema.Number }),
      Result: TeacherId,
      execute: ({ hash, now }) => sql`
        UPDATE teacher_sign_in_links SET used_at = ${new Date(now)}
        WHERE token_hash = ${hash} AND used_at IS NULL AND expires_at > ${new Date(now)}
        RETURNING teacher_id::text AS "teacherId"`
    })
    const session = SqlSchema.findOneOption({
      Request: Schema.Struct({ hash: Schema.String, now: Schema.Number }),
      Result: SessionRow,
      execute: ({ hash, now }) => sql`
        SELECT teacher_id::text AS "teacherId", issued_at AS "issuedAt", expires_at AS "expiresAt"
        FROM teacher_sessions WHERE token_hash = ${hash} AND expires_at > ${new Date(now)}`
    })
    const audit = SqlSchema.findAll({
      Request: Schema.String,
      Result: AuditRow,
      execute: (sessionId) => sql`
        SELECT teacher_id::text AS "teacherId", session_id AS "sessionId", action, created_at AS "at"
        FROM teacher_audit WHERE session_id = ${sessionId} ORDER BY seq`
    })

    const repository: TeacherRepository = {
      insertTeacher: (teacher) =>
        sql`INSERT INTO teachers (id, name, email, role, created_at)
            VALUES (${teacher.id}::uuid, ${teacher.name}, ${teacher.email}, ${teacher.role}, ${new Date(teacher.createdAt)})
            ON CONFLICT (email) DO NOTHING RETURNING id`.pipe(Effect.map((rows) => rows.length === 1), Effect.orDie),
      teacherByEmail: (email) => Effect.orDie(byEmail(email)),
      teacherById: (id) => Effect.orDie(byId(id)),
      teachers: Effect.orDie(all(undefined)),
      deleteTeacher: (id) => Effect.orDie(sql`DELETE FROM teachers WHERE id::text = ${id}`),
      insertLink: (hash, teacherId, expiresAt) =>
        Effect.orDie(sql`INSERT INTO teacher_sign_in_links (token_hash, teacher_id, expires_at)
          VALUES (${hash}, ${teacherId}::uuid, ${new Date(expiresAt)})`),
      consumeLink: (hash, now) => consume({ hash, now }).pipe(Effect.map(Option.map((row) => row.teacherId)), Effect.orDie),
      insertSession: (hash, stored) =>
        Effect.orDie(sql`INSERT INTO teacher_sessions (token_hash, teacher_id, issued_at, expires_at)
          VALUES (${hash}, ${stored.teacherId}::uuid, ${new Date(stored.issuedAt)}, ${new Date(stored.expiresAt)})`),
      sessionByHash: (hash, now) => Effect.orDie(session({ hash, now })),
      expireSession: (hash, at) =>
        Effect.orDie(sql`UPDATE teacher_sessions SET expires_at = LEAST(expires_at, ${new Date(at)}) WHERE token_hash = ${hash}`),
      insertAudit: (entry) =>
        Effect.orDie(sql`INSERT INTO teacher_audit (teacher_id, session_id, action, created_at)
          VALUES (${entry.teacherId}::uuid, ${entry.sessionId}, ${entry.action}, ${new Date(entry.at)})`),
      auditOf: (sessionId) => Effect.orDie(audit(sessionId))
    }
    return teachersOver(repository)
  })
)
