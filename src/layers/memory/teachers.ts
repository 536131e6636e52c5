import { Effect, Layer, Option } from "effect"
import { type AuditEntry, type Teacher, Teachers } from "../../services/Teachers.ts"
import { type StoredSession, type TeacherRepository, teachersOver } from "../teacherAccounts.ts"

interface Link {
  readonly teacherId: string
  readonly expiresAt: number
  used: boolean
}

/** Teacher accounts in process memory, lost on restart: the fast HTTP tests run on it. */
export const teachersMemory = (): Layer.Layer<Teachers> =>
  Layer.sync(Teachers, () => {
    const teachers = new Map<string, Teacher>()
    const links = new Map<string, Link>()
    const sessions = new Map<string, StoredSession>()
    const audit: Array<AuditEntry> = []
    const repository: TeacherRepository = {
      insertTeacher: (teacher) =>
        Effect.sync(() => {
          if ([...teachers.values()].some((known) => known.email === teacher.email)) return false
          teachers.set(teacher.id, teacher)
          return true
        }),
      teacherByEmail: (email) => Effect.sync(() => Option.fromNullishOr([...teachers.values()].find((t) => t.email === email))),
      teacherById: (id) => Effect.sync(() => Option.fromNullishOr(teachers.get(id))),
      teachers: Effect.sync(() => [...teachers.values()].toSorted((a, b) => a.createdAt - b.createdAt)),
      deleteTeacher: (id) =>
        Effect.sync(() => {
          teachers.delete(id)
          for (const [hash, link] of links) if (link.teacherId === id) links.delete(hash)
          for (const [hash, session] of sessions) if (session.teacherId === id) sessions.delete(hash)
        }),
      insertLink: (hash, teacherId, expiresAt) => Effect.sync(() => void links.set(hash, { teacherId, expiresAt, used: false })),
      consumeLink: (hash, now) =>
        Effect.sync(() => {
          const link = links.get(hash)
          if (link === undefined || link.used || link.expiresAt < now) return Option.none()
          link.used = true
          return Option.some(link.teacherId)
        }),
      insertSession: (hash, session) => Effect.sync(() => void sessions.set(hash, session)),
      sessionByHash: (hash, now) =>
        Effect.sync(() => Option.filter(Option.fromNullishOr(sessions.get(hash)), (session) => session.expiresAt > now)),
      expireSession: (hash, at) =>
        Effect.sync(() => {
          const session = sessions.get(hash)
          if (session !== undefined) sessions.set(hash, { ...session, expiresAt: at })
        }),
      insertAudit: (entry) => Effect.sync(() => void audit.push(entry)),
      auditOf: (sessionId) => Effect.sync(() => audit.filter((entry) => entry.sessionId === sessionId))
    }
    return teachersOver(repository)
  })
