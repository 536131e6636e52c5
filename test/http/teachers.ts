import { Effect, Option, Schema } from "effect"
import { Cookies, HttpClient, HttpClientRequest } from "effect/http"
import { InboxItem } from "../../src/http/api.ts"
import { TEACHER_COOKIE } from "../../src/http/teacherAuth.ts"
import { type TeacherRole, Teachers } from "../../src/services/Teachers.ts"
import { connectTeacher, read } from "./harness.ts"

/** A teacher signed in through the API: the cookie their browser would hold. */
export interface SignedIn {
  readonly id: string
  readonly name: string
  readonly cookie: string
}

/** `POST /api/teacher/sign-in` with a link's token: the reply and the teacher cookie it set, if any. */
export const signInWith = (token: string) =>
  Effect.gen(function*() {
    const response = yield* HttpClient.execute(
      HttpClientRequest.post("/api/teacher/sign-in").pipe(HttpClientRequest.bodyJsonUnsafe({ token }))
    )
    const cookie = Cookies.getValue(response.cookies, TEACHER_COOKIE)
    return { reply: yield* read(response), cookie: Option.filter(cookie, (value) => value.length > 0) }
  })

/** A new teacher account (created as the CLI would), signed in with its one-time link. */
export const newTeacher = (name: string, role: TeacherRole = "teacher") =>
  Effect.gen(function*() {
    const teachers = yield* Teachers
    const email = `${name.toLowerCase().replaceAll(" ", ".")}@school.example`
    const { link, teacher } = yield* Effect.orDie(teachers.add({ name, email, role }))
    const { cookie } = yield* signInWith(link.token)
    return { id: teacher.id, name, cookie: `${TEACHER_COOKIE}=${Option.getOrThrow(cookie)}` } satisfies SignedIn
  })

const withTeacher = (as: SignedIn | undefined) => HttpClientRequest.setHeaders(as === undefined ? {} : { cookie: as.cookie })

export const teacherGet = (path: string, as?: SignedIn) =>
  Effect.flatMap(HttpClient.execute(HttpClientRequest.get(path).pipe(withTeacher(as))), read)

export const teacherPost = (path: string, body: unknown, as?: SignedIn) =>
  Effect.flatMap(
    HttpClient.execute(HttpClientRequest.post(path).pipe(withTeacher(as), HttpClientRequest.bodyJsonUnsafe(body ?? {}))),
    read
  )

const Inbox = Schema.Struct({ escalations: Schema.Array(InboxItem) })

export const inbox = (as: SignedIn) =>
  Effect.flatMap(teacherGet("/api/teacher/escalations", as), (reply) => Schema.decodeUnknownEffect(Inbox)(reply.body))

/** The first open escalation of the session in the teacher's inbox, claimed. */
export const claimSession = (as: SignedIn, sessionId: string) =>
  Effect.gen(function*() {
    const open = (yield* inbox(as)).escalations.find((item) => item.session_id === sessionId && item.state === "open")
    if (open === undefined) return yield* Effect.die(new Error(`no open escalation of ${sessionId}`))
    const reply = yield* teacherPost(`/api/teacher/escalations/${open.escalation_id}/claim`, {}, as)
    return { reply, escalationId: open.escalation_id }
  })

const Grant = Schema.Struct({ ws_url: Schema.String })

/** A socket grant for the session, as the teacher's page asks for one. */
export const socketGrant = (as: SignedIn, sessionId: string) =>
  Effect.gen(function*() {
    const reply = yield* teacherPost(`/api/teacher/sessions/${sessionId}/socket`, {}, as)
    const url = new URL((yield* Schema.decodeUnknownEffect(Grant)(reply.body)).ws_url)
    return `${url.pathname}${url.search}`
  })

/** The teacher's live socket on a claimed session, opened with a fresh grant and their cookie. */
export const openSocket = (as: SignedIn, sessionId: string) =>
  Effect.flatMap(socketGrant(as, sessionId), (path) => connectTeacher(path, { cookie: as.cookie }))
