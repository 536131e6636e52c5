import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Schema } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { TestClock } from "effect/testing"
import { createHmac, randomUUID } from "node:crypto"
import type { LiveKitSettings } from "../../src/agent/config.ts"
import { LIMITS_PER_MINUTE } from "../../src/http/rateLimit.ts"
import { dispatch, post, SCRIPTED_REALTIME_KEY, scriptedRealtime, type Student, testServer, waitFor } from "./harness.ts"
import { claimSession, newTeacher } from "./teachers.ts"

/*
 * Who may use a student session: the session's own credential (bearer token or the HttpOnly
 * cookie named for the session) and, for writes, a CSRF token issued for that same session.
 * Everyone else gets a refusal that says nothing of the session: not the student's words, not the
 * tutor's answer, not the teacher's link.
 */

const livekit: LiveKitSettings = {
  url: "wss://livekit.example.test",
  apiKey: "APItestkey",
  apiSecret: Redacted.make("test-livekit-secret-that-is-long-enough")
}

const NO_CREDENTIAL = { detail: "This needs the session's credential: open a session with POST /session" }
const NOT_THIS_SESSION = { detail: "This credential is not for this session" }
const JOB_NOT_FOUND = { detail: "Job not found" }
const CSRF_FAILED = { detail: "CSRF check failed" }

const STUDENT_TEXT = "What is 25% of 80?"
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** A student session as a browser gets it: the JSON of `POST /session` and the cookie it set. */
interface Opened extends Student {
  /** `name=value` exactly as the server set it, ready for a `Cookie` header */
  readonly cookie: string
  readonly setCookie: string
}

/** The OPEN_LIMIT sessions a minute one address may open (src/http/rateLimit.ts). */
const OPEN_LIMIT = LIMITS_PER_MINUTE.sessionOpen

const decodeJsonText = <A>(schema: Schema.Decoder<A>, text: string) => Schema.decodeUnknownEffect(Schema.fromJsonString(schema))(text)

const Opening = Schema.Struct({
  session_id: Schema.String,
  token: Schema.String,
  expires_at: Schema.Number,
  csrf_token: Schema.String,
  csrf_ttl: Schema.Number
})

const openSession = (headers: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const response = yield* HttpClient.execute(HttpClientRequest.post("/session").pipe(HttpClientRequest.setHeaders(headers)))
    expect(response.status).toBe(200)
    const body = yield* Schema.decodeUnknownEffect(Opening)(yield* response.json)
    const setCookie = response.headers["set-cookie"] ?? ""
    return {
      sessionId: body.session_id,
      token: body.token,
      csrf: body.csrf_token,
      setCookie,
      cookie: setCookie.split(";")[0]?.trim() ?? ""
    } satisfies Opened
  })

interface Call {
  readonly method: "GET" | "POST"
  readonly path: string
  readonly body?: unknown
}

interface Answer {
  readonly status: number
  readonly contentType: string
  /** the body of a JSON answer; streams (SSE, audio) are not read */
  readonly text: string
}

/** Sends a request with exactly the given credential headers; only JSON bodies are read. */
const send = (call: Call, headers: Record<string, string>) =>
  Effect.gen(function*() {
    const base = call.method === "GET" ? HttpClientRequest.get(call.path) : HttpClientRequest.post(call.path)
    const withHeaders = HttpClientRequest.setHeaders(base, headers)
    const request = call.body === undefined
      ? withHeaders
      : HttpClientRequest.bodyText(withHeaders, JSON.stringify(call.body), "application/json")
    const response = yield* HttpClient.execute(request)
    const contentType = response.headers["content-type"] ?? ""
    const text = contentType.includes("application/json") ? yield* response.text : ""
    return { status: response.status, contentType, text } satisfies Answer
  })

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const csrfHeader = (token: string) => ({ "x-csrf-token": token })

/** A session with history: a question answered, a teacher called; and another student. */
const history = Effect.gen(function*() {
  const owner = yield* openSession()
  const other = yield* openSession()
  const jobId = yield* dispatch(owner, STUDENT_TEXT)
  const answer = (yield* waitFor(owner, jobId)).safe_text ?? ""
  expect(answer.length).toBeGreaterThan(0)
  const escalated = yield* post("/escalate", { session_id: owner.sessionId, reason: "Needs a teacher" }, { as: owner })
  expect(escalated.status).toBe(200)
  // whatever the escalation answers with (a teacher link, an escalation id) is the owner's alone
  const escalation = yield* Schema.decodeUnknownEffect(Schema.Struct({
    teacher_ws_url: Schema.optionalKey(Schema.String),
    escalation_id: Schema.optionalKey(Schema.String)
  }))(escalated.body)
  const teacherLinks = [escalation.teacher_ws_url, escalation.escalation_id].filter((text) => text !== undefined)
  // what must never reach anyone but the owner
  const secrets = [STUDENT_TEXT, answer, ...teacherLinks, "/ws/teacher/", owner.token, SCRIPTED_REALTIME_KEY]
  // teachers reach a session through the teacher routes only: one claimed it, one did not
  const claimer = yield* newTeacher("Ada")
  const bystander = yield* newTeacher("Bob")
  yield* claimSession(claimer, owner.sessionId)
  return { owner, other, jobId, answer, secrets, claimer, bystander }
})

type History = Effect.Success<typeof history>

interface Route {
  readonly name: string
  /** a session route names its session; a job route names a job */
  readonly kind: "session" | "job"
  readonly csrf: boolean
  readonly call: (ids: { readonly sessionId: string; readonly jobId: string }) => Call
  /** what the owner's answer carries, proving the refusals are checked for something that is there */
  readonly reveals?: (history: History) => string
  /** the owner's answer is a stream of this type */
  readonly streams?: string
}

const routes: ReadonlyArray<Route> = [
  {
    name: "POST /orchestrate",
    kind: "session",
    csrf: true,
    call: ({ sessionId }) => ({ method: "POST", path: "/orchestrate", body: { session_id: sessionId, student_text: "And 50% of 80?" } })
  },
  {
    name: "POST /session/token",
    kind: "session",
    csrf: true,
    call: ({ sessionId }) => ({ method: "POST", path: `/session/token?session_id=${sessionId}` }),
    reveals: () => SCRIPTED_REALTIME_KEY
  },
  {
    name: "GET /session/{id}/events",
    kind: "session",
    csrf: false,
    call: ({ sessionId }) => ({ method: "GET", path: `/session/${sessionId}/events` }),
    streams: "text/event-stream"
  },
  {
    name: "POST /escalate",
    kind: "session",
    csrf: true,
    call: ({ sessionId }) => ({ method: "POST", path: "/escalate", body: { session_id: sessionId, reason: "Still stuck" } })
  },
  {
    name: "GET /livekit/token",
    kind: "session",
    csrf: true,
    call: ({ sessionId }) => ({ method: "GET", path: `/livekit/token?session_id=${sessionId}` })
  },
  {
    name: "POST /events",
    kind: "session",
    csrf: false,
    call: ({ sessionId }) => ({ method: "POST", path: "/events", body: { session_id: sessionId, event_name: "page.view" } })
  },
  {
    name: "GET /csrf/token",
    kind: "session",
    csrf: false,
    call: ({ sessionId }) => ({ method: "GET", path: `/csrf/token?session_id=${sessionId}` })
  },
  {
    name: "POST /session/{id}/close",
    kind: "session",
    csrf: true,
    call: ({ sessionId }) => ({ method: "POST", path: `/session/${sessionId}/close`, body: {} }),
    // the report quotes the student's question in its routing decisions
    reveals: () => STUDENT_TEXT
  },
  {
    name: "GET /orchestrate/{job}",
    kind: "job",
    csrf: false,
    call: ({ jobId }) => ({ method: "GET", path: `/orchestrate/${jobId}` }),
    reveals: ({ answer }) => answer
  },
  {
    name: "POST /orchestrate/{job}/wait",
    kind: "job",
    csrf: true,
    call: ({ jobId }) => ({ method: "POST", path: `/orchestrate/${jobId}/wait?timeout=5` }),
    reveals: ({ answer }) => answer
  },
  {
    name: "GET /orchestrate/{job}/events",
    kind: "job",
    csrf: false,
    call: ({ jobId }) => ({ method: "GET", path: `/orchestrate/${jobId}/events` }),
    streams: "text/event-stream"
  },
  {
    name: "POST /tts/stream",
    kind: "job",
    csrf: true,
    call: ({ jobId }) => ({ method: "POST", path: "/tts/stream", body: { job_id: jobId } }),
    streams: "audio/pcm"
  }
]

const server = () => testServer({ realtime: scriptedRealtime, settings: { livekit } })

describe("student access: each session route and job route × {no credential, another student's, teachers (claimed or not), the session's own}", () => {
  for (const route of routes) {
    const refusedByOthers = route.kind === "session" ? [403, NOT_THIS_SESSION] : [404, JOB_NOT_FOUND]
    it.live(`${route.name}: none → 401, another student → ${refusedByOthers[0]}, own (bearer or cookie) → 200; refusals leak nothing`, () =>
      Effect.gen(function*() {
        const history_ = yield* history
        const { jobId, other, owner, secrets } = history_
        const call = route.call({ sessionId: owner.sessionId, jobId })
        const ownCsrf = route.csrf ? csrfHeader(owner.csrf) : {}
        const refusals: Array<readonly [string, Answer]> = []
        const refused = (who: string, answer: Answer) => {
          refusals.push([who, answer])
          return [answer.status, JSON.parse(answer.text)]
        }

        // no credential, even with the session's CSRF token (as if it had leaked)
        const none = yield* send(call, ownCsrf)
        expect(refused("none", none)).toEqual([401, NO_CREDENTIAL])
        // no credential and no CSRF token: the CSRF check answers first where there is one
        const bare = yield* send(call, {})
        expect(refused("bare", bare)).toEqual(route.csrf ? [403, CSRF_FAILED] : [401, NO_CREDENTIAL])

        // another student, with everything that student legitimately holds
        const otherCsrf = route.csrf ? csrfHeader(other.csrf) : {}
        const byOther = yield* send(call, { ...bearer(other.token), ...otherCsrf })
        expect(refused("other (bearer)", byOther)).toEqual(refusedByOthers)
        const byOtherCookie = yield* send(call, { cookie: other.cookie, ...otherCsrf })
        expect(refused("other (cookie)", byOtherCookie)).toEqual(refusedByOthers)
        if (route.kind === "job") {
          // someone else's job answers exactly as a job that does not exist
          const missing = yield* send(route.call({ sessionId: other.sessionId, jobId: randomUUID() }), {
            ...bearer(other.token),
            ...otherCsrf
          })
          expect([missing.status, missing.text]).toEqual([byOther.status, byOther.text])
          // and so it does to the owner
          const ownMissing = yield* send(route.call({ sessionId: owner.sessionId, jobId: randomUUID() }), {
            ...bearer(owner.token),
            ...ownCsrf
          })
          expect([ownMissing.status, ownMissing.text]).toEqual([byOther.status, byOther.text])
        }

        // a teacher's cookie is no student credential, claimed or not: the student routes stay closed to it
        const refusedToTeachers = route.csrf ? [403, CSRF_FAILED] : [401, NO_CREDENTIAL]
        for (const [who, teacher] of [["teacher without a claim", history_.bystander], ["the teacher who claimed", history_.claimer]] as const) {
          expect([who, ...refused(who, yield* send(call, { cookie: teacher.cookie }))]).toEqual([who, ...refusedToTeachers])
        }

        // nothing of the session in any refusal
        for (const [who, answer] of refusals) {
          for (const secret of secrets) expect([who, answer.text.includes(secret)]).toEqual([who, false])
        }

        // the owner, by bearer token and by the cookie the server set
        const own = yield* send(call, { ...bearer(owner.token), ...ownCsrf })
        expect([own.status, own.contentType.split(";")[0]]).toEqual([200, route.streams ?? "application/json"])
        if (route.reveals !== undefined) expect(own.text).toContain(route.reveals(history_))
        const ownCookie = yield* send(call, { cookie: owner.cookie, ...ownCsrf })
        expect(ownCookie.status).toBe(200)
      }).pipe(Effect.provide(server())))
  }
})

/** The attributes of a Set-Cookie header, lower-cased, without the name=value pair. */
const attributes = (setCookie: string) =>
  setCookie.split(";").slice(1).map((attribute) => attribute.trim().toLowerCase())

describe("student credentials", () => {
  it.live("POST /session sets an HttpOnly, SameSite=Strict, Path=/ cookie named for the session; close expires it", () =>
    Effect.gen(function*() {
      const student = yield* openSession()
      expect(student.cookie).toMatch(new RegExp(`^tutor_session_${student.sessionId}=.+`))
      expect(attributes(student.setCookie)).toEqual(expect.arrayContaining(["httponly", "samesite=strict", "path=/"]))
      expect(attributes(student.setCookie)).toContain("max-age=43200")
      // served over plain HTTP (no trusted proxy saying https), so not Secure
      expect(attributes(student.setCookie)).not.toContain("secure")
      // the cookie alone (no bearer) opens the session
      const fresh = yield* send({ method: "GET", path: `/csrf/token?session_id=${student.sessionId}` }, { cookie: student.cookie })
      expect(fresh.status).toBe(200)
      const closing = yield* HttpClient.execute(
        HttpClientRequest.post(`/session/${student.sessionId}/close`).pipe(
          HttpClientRequest.setHeaders({ cookie: student.cookie, ...csrfHeader(student.csrf) })
        )
      )
      expect(closing.status).toBe(200)
      const cleared = closing.headers["set-cookie"] ?? ""
      expect(cleared).toMatch(new RegExp(`^tutor_session_${student.sessionId}=;`))
      expect(attributes(cleared)).toEqual(expect.arrayContaining(["httponly", "samesite=strict", "path=/", "max-age=0"]))
    }).pipe(Effect.provide(testServer())))

  it.live("behind a trusted proxy serving HTTPS the cookie is Secure too", () =>
    Effect.gen(function*() {
      const student = yield* openSession({ "x-forwarded-proto": "https" })
      expect(attributes(student.setCookie)).toEqual(expect.arrayContaining(["secure", "httponly", "samesite=strict", "path=/"]))
    }).pipe(Effect.provide(testServer({ settings: { trustProxy: true } }))))

  it.live("a cookie speaks only for the session it is named after; two tabs' cookies speak for both", () =>
    Effect.gen(function*() {
      const a = yield* openSession()
      const b = yield* openSession()
      const jobOfA = yield* dispatch(a, STUDENT_TEXT)
      const jobOfB = yield* dispatch(b, STUDENT_TEXT)
      const csrfOf = (sessionId: string) => ({ method: "GET", path: `/csrf/token?session_id=${sessionId}` }) as const
      const job = (jobId: string) => ({ method: "GET", path: `/orchestrate/${jobId}` }) as const
      const bValue = b.cookie.slice(b.cookie.indexOf("=") + 1)

      // A's cookie name carrying B's (valid) token: good for neither session
      const misnamed = { cookie: `tutor_session_${a.sessionId}=${bValue}` }
      const refusals = [
        [yield* send(csrfOf(a.sessionId), misnamed), 403, NOT_THIS_SESSION],
        [yield* send(csrfOf(b.sessionId), misnamed), 403, NOT_THIS_SESSION],
        [yield* send(job(jobOfA), misnamed), 404, JOB_NOT_FOUND],
        [yield* send(job(jobOfB), misnamed), 404, JOB_NOT_FOUND]
      ] as const
      for (const [answer, status, body] of refusals) expect([answer.status, JSON.parse(answer.text)]).toEqual([status, body])
      // nor does the token count under a name without the prefix
      const unprefixed = yield* send(csrfOf(b.sessionId), { cookie: `${b.sessionId}=${bValue}` })
      expect([unprefixed.status, JSON.parse(unprefixed.text)]).toEqual([401, NO_CREDENTIAL])

      // a browser with two student tabs sends both cookies: each session is its own
      const both = { cookie: `${a.cookie}; ${b.cookie}` }
      for (const call of [csrfOf(a.sessionId), csrfOf(b.sessionId), job(jobOfA), job(jobOfB)]) {
        expect([call.path, (yield* send(call, both)).status]).toEqual([call.path, 200])
      }
      // and a cookie of B beside A's bearer token adds B, nothing more
      const c = yield* openSession()
      const mixed = { ...bearer(a.token), cookie: b.cookie }
      expect((yield* send(csrfOf(a.sessionId), mixed)).status).toBe(200)
      expect((yield* send(csrfOf(b.sessionId), mixed)).status).toBe(200)
      expect((yield* send(csrfOf(c.sessionId), mixed)).status).toBe(403)
    }).pipe(Effect.provide(testServer())))

  it.live("a CSRF token of session A is refused on every write for session B, even with B's credential (or both)", () =>
    Effect.gen(function*() {
      const a = yield* openSession()
      const b = yield* openSession()
      const jobOfB = yield* dispatch(b, STUDENT_TEXT)
      yield* waitFor(b, jobOfB)
      // one from GET /csrf/token as well as the first one POST /session gave
      const freshOfA = (yield* decodeJsonText(
        Schema.Struct({ token: Schema.String }),
        (yield* send({ method: "GET", path: `/csrf/token?session_id=${a.sessionId}` }, bearer(a.token))).text
      )).token
      const writesForB: ReadonlyArray<Call> = [
        { method: "POST", path: "/orchestrate", body: { session_id: b.sessionId, student_text: "And 50% of 80?" } },
        { method: "POST", path: `/session/token?session_id=${b.sessionId}` },
        { method: "POST", path: "/escalate", body: { session_id: b.sessionId, reason: "help" } },
        { method: "GET", path: `/livekit/token?session_id=${b.sessionId}` },
        { method: "POST", path: `/orchestrate/${jobOfB}/wait?timeout=5` },
        { method: "POST", path: "/tts/stream", body: { job_id: jobOfB } },
        // last: the control below closes the session
        { method: "POST", path: `/session/${b.sessionId}/close`, body: {} }
      ]
      for (const call of writesForB) {
        for (const token of [a.csrf, freshOfA]) {
          for (const credentials of [bearer(b.token), { cookie: b.cookie }, { ...bearer(a.token), cookie: b.cookie }]) {
            const answer = yield* send(call, { ...credentials, ...csrfHeader(token) })
            expect([call.path, answer.status, JSON.parse(answer.text)]).toEqual([call.path, 403, CSRF_FAILED])
          }
        }
        // B's own token opens it
        expect([call.path, (yield* send(call, { ...bearer(b.token), ...csrfHeader(b.csrf) })).status]).toEqual([call.path, 200])
      }
    }).pipe(Effect.provide(server())))

  it.live("a tampered credential is refused (403 on session routes, 404 on jobs), never accepted", () =>
    Effect.gen(function*() {
      const owner = yield* openSession()
      const other = yield* openSession()
      const jobId = yield* dispatch(owner, STUDENT_TEXT)
      // <session id>:<expire>:<hmac>
      const [expire = "", mac = ""] = owner.token.slice(owner.sessionId.length + 1).split(":")
      expect(owner.token).toBe(`${owner.sessionId}:${expire}:${mac}`)
      const [otherExpire = "", otherMac = ""] = other.token.split(":").slice(-2)
      const flip = (text: string) => text.slice(0, -1) + (text.endsWith("0") ? "1" : "0")
      const tampered = {
        "MAC changed": `${owner.sessionId}:${expire}:${flip(mac)}`,
        "expiry pushed back": `${owner.sessionId}:${Number(expire) + 3600}:${mac}`,
        "another session's signature": `${owner.sessionId}:${otherExpire}:${otherMac}`,
        "signed with another key": `${owner.sessionId}:${expire}:${
          createHmac("sha256", "another-student-secret").update(`student:${owner.sessionId}:${expire}`).digest("hex")
        }`,
        "the session's CSRF token": owner.csrf,
        "session id only": owner.sessionId,
        "garbage": "not-a-credential"
      }
      const sessionRead = { method: "GET", path: `/csrf/token?session_id=${owner.sessionId}` } as const
      const sessionWrite = {
        method: "POST",
        path: "/orchestrate",
        body: { session_id: owner.sessionId, student_text: "And 50% of 80?" }
      } as const
      const jobRead = { method: "GET", path: `/orchestrate/${jobId}` } as const
      for (const [name, token] of Object.entries(tampered)) {
        for (const credentials of [bearer(token), { cookie: `tutor_session_${owner.sessionId}=${token}` }]) {
          const read = yield* send(sessionRead, credentials)
          expect([name, read.status, JSON.parse(read.text)]).toEqual([name, 403, NOT_THIS_SESSION])
          const write = yield* send(sessionWrite, { ...credentials, ...csrfHeader(owner.csrf) })
          expect([name, write.status, JSON.parse(write.text)]).toEqual([name, 403, NOT_THIS_SESSION])
          const job = yield* send(jobRead, credentials)
          expect([name, job.status, JSON.parse(job.text)]).toEqual([name, 404, JOB_NOT_FOUND])
        }
      }
      // an empty bearer is no credential at all
      const empty = yield* send(sessionRead, { authorization: "Bearer " })
      expect([empty.status, JSON.parse(empty.text)]).toEqual([401, NO_CREDENTIAL])
      // the untouched credential still works
      expect((yield* send(sessionRead, bearer(owner.token))).status).toBe(200)
      expect((yield* send(jobRead, bearer(owner.token))).status).toBe(200)
    }).pipe(Effect.provide(testServer())))

  // it.effect: the server runs on the TestClock, so the school day can pass in an instant
  it.effect("a credential expires after 12 hours: refused from then on, by bearer and by cookie", () =>
    Effect.gen(function*() {
      const owner = yield* openSession()
      const jobId = yield* dispatch(owner, STUDENT_TEXT)
      const sessionRead = { method: "GET", path: `/csrf/token?session_id=${owner.sessionId}` } as const
      const events = { method: "GET", path: `/session/${owner.sessionId}/events` } as const
      const jobRead = { method: "GET", path: `/orchestrate/${jobId}` } as const
      const statuses = Effect.gen(function*() {
        const all: Array<number> = []
        for (const credentials of [bearer(owner.token), { cookie: owner.cookie }]) {
          for (const call of [sessionRead, events, jobRead]) all.push((yield* send(call, credentials)).status)
        }
        return all
      })
      expect(yield* statuses).toEqual([200, 200, 200, 200, 200, 200])
      // still valid during its last second
      yield* TestClock.adjust("12 hours")
      expect((yield* send(sessionRead, bearer(owner.token))).status).toBe(200)
      yield* TestClock.adjust("1 second")
      expect(yield* statuses).toEqual([403, 403, 404, 403, 403, 404])
      // the page opens a new session and carries on
      const next = yield* openSession()
      expect((yield* send({ method: "GET", path: `/csrf/token?session_id=${next.sessionId}` }, bearer(next.token))).status)
        .toBe(200)
    }).pipe(Effect.provide(testServer())))
})

describe("POST /session", () => {
  it.live("opens sessions with unique, random (v4 UUID) ids the client cannot choose", () =>
    Effect.gen(function*() {
      const opened = yield* Effect.forEach(Array.from({ length: 20 }), () => openSession())
      const ids = opened.map((student) => student.sessionId)
      for (const id of ids) expect(id).toMatch(UUID_V4)
      expect(new Set(ids).size).toBe(ids.length)
      expect(new Set(opened.map((student) => student.token)).size).toBe(ids.length)
      // each credential names its own session
      for (const student of opened) expect(student.token.startsWith(`${student.sessionId}:`)).toBe(true)
      // a session id a client asks for is not given
      const asked = yield* send({ method: "POST", path: "/session?session_id=chosen", body: { session_id: "chosen" } }, {})
      expect(asked.status).toBe(200)
      const given = (yield* decodeJsonText(Schema.Struct({ session_id: Schema.String }), asked.text)).session_id
      expect(given).toMatch(UUID_V4)
      expect(ids).not.toContain(given)
    }).pipe(Effect.provide(testServer())))

  it.live("is rate limited per address (a class behind one school address fits), then 429 with Retry-After; open sessions keep working", () =>
    Effect.gen(function*() {
      const opened = yield* Effect.forEach(Array.from({ length: OPEN_LIMIT }), () => openSession())
      const limited = yield* HttpClient.execute(HttpClientRequest.post("/session"))
      expect([limited.status, yield* limited.json]).toEqual([429, { error: `Rate limit exceeded: ${OPEN_LIMIT} per 1 minute` }])
      expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0)
      expect(Number(limited.headers["retry-after"])).toBeLessThanOrEqual(60)
      // no cookie on a refusal
      expect(limited.headers["set-cookie"]).toBeUndefined()
      const last = opened.at(-1)
      expect(last).toBeDefined()
      if (last !== undefined) {
        expect((yield* send({ method: "GET", path: `/csrf/token?session_id=${last.sessionId}` }, bearer(last.token))).status)
          .toBe(200)
      }
    }).pipe(Effect.provide(testServer())))

  it.live("behind TRUST_PROXY=1 each X-Forwarded-For client has its own window", () =>
    Effect.gen(function*() {
      const from = (address: string) =>
        Effect.map(
          HttpClient.execute(HttpClientRequest.post("/session").pipe(
            HttpClientRequest.setHeaders({ "x-forwarded-for": `${address}, 10.0.0.1` })
          )),
          (response) => response.status
        )
      for (let i = 0; i < OPEN_LIMIT; i++) expect(yield* from("203.0.113.7")).toBe(200)
      expect(yield* from("203.0.113.7")).toBe(429)
      expect(yield* from("198.51.100.2")).toBe(200)
    }).pipe(Effect.provide(testServer({ settings: { trustProxy: true } }))))
})
