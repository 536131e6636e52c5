import { Clock, Context, Duration, Effect, Layer, Option } from "effect"
import { HttpServerRequest } from "effect/http"
import { ServerConfig } from "./config.ts"
import { RateLimited } from "./errors.ts"

/** Requests per minute per client address: the reference's 20/30/10, plus the routes it left open. */
export const LIMITS_PER_MINUTE = {
  orchestrate: 20,
  tts: 30,
  escalate: 10,
  sessionToken: 10,
  livekitToken: 10,
  /** a whole class behind one school address opens its pages at once; a session costs no state */
  sessionOpen: 300,
  teacherSignIn: 10,
  /** sign-in attempts for one teacher account, from anywhere */
  teacherSignInAccount: 5,
  events: 120
} as const
export type LimitedRoute = keyof typeof LIMITS_PER_MINUTE

/** The reference fell back to this when the peer address was unknown. */
const UNKNOWN_CLIENT = "127.0.0.1"

/**
 * Per-client fixed windows of one minute. Called by the handlers after CSRF and body
 * validation, so only well-formed, authorised requests count (the reference's order).
 */
export class RateLimits extends Context.Service<RateLimits, {
  /** counts per client address, or per `key` when given (e.g. a teacher account) */
  readonly consume: (route: LimitedRoute, key?: string) => Effect.Effect<void, RateLimited, HttpServerRequest.HttpServerRequest>
}>()("http/RateLimits") {}

/** The client's address: the first `X-Forwarded-For` hop behind a trusted proxy, else the peer. */
const clientAddress = (request: HttpServerRequest.HttpServerRequest, trustProxy: boolean) => {
  const forwarded = trustProxy ? request.headers["x-forwarded-for"]?.split(",")[0]?.trim() : undefined
  return forwarded !== undefined && forwarded.length > 0
    ? forwarded
    : Option.getOrElse(request.remoteAddress, () => UNKNOWN_CLIENT)
}

const WINDOW_MILLIS = 60_000

/** One client's window on one route: it opens with the client's first request. */
interface Window {
  readonly openedAt: number
  count: number
}

/**
 * In-memory fixed windows (per process), read from `Clock` so tests can move time. A window is
 * dropped once it has closed, so a public server does not keep one per route and address it
 * ever saw (effect's memory limiter store never forgets a key).
 */
export const RateLimitsMemory = Layer.effect(
  RateLimits,
  Effect.gen(function*() {
    const { trustProxy } = yield* ServerConfig
    // every read-modify-write below is one synchronous step, so a plain Map is atomic here
    const windows = new Map<string, Window>()
    const sweep = Effect.map(Clock.currentTimeMillis, (now) => {
      for (const [key, window] of windows) if (now - window.openedAt >= WINDOW_MILLIS) windows.delete(key)
    })
    yield* Effect.sleep(Duration.millis(WINDOW_MILLIS)).pipe(Effect.andThen(sweep), Effect.forever, Effect.forkScoped)
    return RateLimits.of({
      consume: Effect.fn("RateLimits.consume")(function*(route, key) {
        const request = yield* HttpServerRequest.HttpServerRequest
        const limit = LIMITS_PER_MINUTE[route]
        const windowKey = `${route}:${key ?? clientAddress(request, trustProxy)}`
        const now = yield* Clock.currentTimeMillis
        const open = windows.get(windowKey)
        const window = open === undefined || now - open.openedAt >= WINDOW_MILLIS ? { openedAt: now, count: 0 } : open
        windows.set(windowKey, window)
        if (window.count >= limit) {
          return yield* new RateLimited({
            limit,
            retryAfterSeconds: Math.max(1, Math.ceil((window.openedAt + WINDOW_MILLIS - now) / 1000))
          })
        }
        window.count++
      })
    })
  })
)
