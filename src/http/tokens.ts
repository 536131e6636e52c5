import { Duration, Effect, Layer, type Redacted } from "effect"
import { TeacherAccess } from "../services/Escalation.ts"
import { issueSigned, signedTeacherAccess, verifySigned } from "../services/signing.ts"
import { ServerConfig } from "./config.ts"

/** Lifetime of a CSRF token (reference: 300 s). */
export const CSRF_TTL_SECONDS = 300

/** CSRF tokens exactly as the reference: the MAC covers the expiry alone. */
export const issueCsrfToken = (secret: Redacted.Redacted<string>) => issueSigned(secret, String, CSRF_TTL_SECONDS)

export const verifyCsrfToken = (secret: Redacted.Redacted<string>, token: string) => verifySigned(secret, String, token)

/** Version B's teacher access: `<ws base>/ws/teacher/<session>?token=<signed, expiring grant>`. */
export const TeacherAccessSigned = Layer.effect(
  TeacherAccess,
  Effect.gen(function*() {
    const config = yield* ServerConfig
    return signedTeacherAccess({
      secret: config.teacherSecret,
      wsBaseUrl: config.publicWsUrl,
      ttlSeconds: Math.floor(Duration.toSeconds(config.teacherGrantTtl))
    })
  })
)
