import { Duration, Effect, Layer } from "effect"
import { TeacherAccess } from "../services/Escalation.ts"
import { signedTeacherAccess } from "../services/signing.ts"
import { ServerConfig } from "./config.ts"

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
