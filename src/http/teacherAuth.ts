import { Clock, Config, Context, Effect, Layer, Option } from "effect"
import { HttpServerRequest } from "effect/http"
import { type Teacher, Teachers, type TeacherSession } from "../services/Teachers.ts"
import { setCredentialCookie } from "./cookies.ts"
import { SharedDatabaseUrl } from "../layers/sql/database.ts"
import { TeacherSignInRequired } from "./errors.ts"

/** The signed-in teacher's browser session: HttpOnly, SameSite=Strict, never readable by scripts. */
export const TEACHER_COOKIE = "tutor_teacher"

/** The teacher a request is signed in as (provided by the `TeacherAuth` middleware). */
export class SignedInTeacher extends Context.Service<SignedInTeacher, Teacher>()("http/SignedInTeacher") {}

/** Sets (or, with `null`, clears) the teacher cookie on the response of the current request. */
export const setTeacherCookie = Effect.fn("TeacherAuth.setCookie")(function*(session: TeacherSession | null) {
  const now = yield* Clock.currentTimeMillis
  yield* setCredentialCookie(TEACHER_COOKIE, session?.token ?? "", session === null ? 0 : (session.expiresAt - now) / 1000)
})

/** The teacher of the request's cookie, its token rotated (and the new cookie set) when due. */
export const readSignedInTeacher = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const token = request.cookies[TEACHER_COOKIE]
  if (token === undefined || token.length === 0) return Option.none<Teacher>()
  const teachers = yield* Teachers
  const session = yield* teachers.session(token)
  if (Option.isNone(session)) return Option.none<Teacher>()
  if (session.value.rotated) yield* setTeacherCookie(session.value)
  return Option.some(session.value.teacher)
})

/** For routes that need a signed-in teacher: 401 otherwise. */
export const requireTeacher = Effect.flatMap(readSignedInTeacher, Option.match({
  onNone: () => Effect.fail(TeacherSignInRequired.error()),
  onSome: Effect.succeed
}))

/** Where a one-time link signs a teacher in: the token rides in the fragment, which no server or log sees. */
export const signInUrl = (publicUrl: string, token: string) => `${publicUrl.replace(/\/+$/, "")}/teacher/sign-in#${token}`

/** The base URL of the web app for links printed to people (`PUBLIC_URL`, else this server on localhost). */
export const PublicUrl = Config.String("PUBLIC_URL").pipe(
  Config.orElse(() => Config.map(Config.Port("PORT").pipe(Config.withDefault(8001)), (port) => `http://localhost:${port}`))
)

export const DEMO_TEACHER = { name: "Demo Teacher", email: "demo.teacher@example.invalid", role: "teacher" } as const

/**
 * At start-up: how a teacher gets in. On the embedded database only (a demo on one machine), a
 * demo teacher is created once and a fresh one-time link is printed on every start; on a real
 * database nothing is created, and the log says how to create the first teacher.
 */
export const teacherSignInNotice = Layer.effectDiscard(Effect.gen(function*() {
  const teachers = yield* Teachers
  const publicUrl = yield* PublicUrl
  const embedded = Option.isNone(yield* SharedDatabaseUrl)
  const known = yield* teachers.list
  if (!embedded) {
    if (known.length === 0) {
      yield* Effect.logWarning(
        "no teacher accounts yet, so escalations reach nobody: create one with `npm run tutor -- teacher add --name \"…\" --email …`"
      )
    }
    return
  }
  const demo = known.find((teacher) => teacher.email === DEMO_TEACHER.email)
  const link = demo === undefined
    ? (yield* Effect.orDie(teachers.add(DEMO_TEACHER))).link
    : yield* Effect.orDie(teachers.issueLink(DEMO_TEACHER.email))
  yield* Effect.logWarning(
    `DEMO ONLY (embedded database): sign in as "${DEMO_TEACHER.name}" with this one-time link: ${signInUrl(publicUrl, link.token)}` +
      " — for a school, use DATABASE_URL and create real accounts with `npm run tutor -- teacher add`"
  )
}))
