import { Clock, Duration, Effect, Layer, Redacted } from "effect"
import { createHmac, timingSafeEqual } from "node:crypto"
import { TeacherAccess } from "../services/Escalation.ts"
import { ServerConfig } from "./config.ts"

/** Lifetime of a CSRF token (reference: 300 s). */
export const CSRF_TTL_SECONDS = 300

const hmacHex = (secret: Redacted.Redacted<string>, message: string) =>
  createHmac("sha256", Redacted.value(secret)).update(message, "utf8").digest("hex")

const nowSeconds = Effect.map(Clock.currentTimeMillis, (millis) => Math.floor(millis / 1000))

/** `<expire>:<hex hmac of message(expire)>`: a stateless token that proves it was issued here. */
const issue = (secret: Redacted.Redacted<string>, message: (expire: number) => string, ttlSeconds: number) =>
  Effect.map(nowSeconds, (now) => {
    const expire = now + ttlSeconds
    return `${expire}:${hmacHex(secret, message(expire))}`
  })

/** Valid while the clock has not passed `expire` (still valid during its expiry second) and the MAC matches. */
const verify = (secret: Redacted.Redacted<string>, message: (expire: number) => string, token: string) =>
  Effect.map(nowSeconds, (now) => {
    const separator = token.indexOf(":")
    const expireText = token.slice(0, separator)
    if (separator < 1 || !/^\d+$/.test(expireText)) return false
    const expire = Number(expireText)
    if (now > expire) return false
    const given = Buffer.from(token.slice(separator + 1), "utf8")
    const expected = Buffer.from(hmacHex(secret, message(expire)), "utf8")
    return given.length === expected.length && timingSafeEqual(given, expected)
  })

/** CSRF tokens exactly as the reference: the MAC covers the expiry alone. */
export const issueCsrfToken = (secret: Redacted.Redacted<string>) => issue(secret, String, CSRF_TTL_SECONDS)

export const verifyCsrfToken = (secret: Redacted.Redacted<string>, token: string) => verify(secret, String, token)

/** A teacher grant is bound to one session: the MAC covers the session id and the expiry. */
const grantMessage = (sessionId: string) => (expire: number) => `teacher:${sessionId}:${expire}`

export const verifyTeacherGrant = (secret: Redacted.Redacted<string>, sessionId: string, token: string) =>
  verify(secret, grantMessage(sessionId), token)

/** Version B's teacher access: `<ws base>/ws/teacher/<session>?token=<signed, expiring grant>`. */
export const TeacherAccessSigned = Layer.effect(
  TeacherAccess,
  Effect.gen(function*() {
    const config = yield* ServerConfig
    const ttlSeconds = Math.floor(Duration.toSeconds(config.teacherGrantTtl))
    return TeacherAccess.of({
      grant: Effect.fn("TeacherAccess.grant")(function*(sessionId, options) {
        const token = yield* issue(config.teacherSecret, grantMessage(sessionId), ttlSeconds)
        const base = (options?.baseUrl ?? config.publicWsUrl).replace(/\/+$/, "")
        return `${base}/ws/teacher/${encodeURIComponent(sessionId)}?token=${encodeURIComponent(token)}`
      })
    })
  })
)
