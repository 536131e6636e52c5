import { Context, Duration, Effect, Layer, Option } from "effect"
import { HttpServerRequest } from "effect/http"
import { RateLimiter } from "effect/persistence"
import { ServerConfig } from "./config.ts"
import { RateLimited } from "./errors.ts"

/** Requests per minute per client address: the reference's 20/30/10, plus the routes it left open. */
export const LIMITS_PER_MINUTE = {
  orchestrate: 20,
  tts: 30,
  escalate: 10,
  sessionToken: 10,
  livekitToken: 10,
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
  readonly consume: (route: LimitedRoute) => Effect.Effect<void, RateLimited, HttpServerRequest.HttpServerRequest>
}>()("http/RateLimits") {}

/** The client's address: the first `X-Forwarded-For` hop behind a trusted proxy, else the peer. */
const clientAddress = (request: HttpServerRequest.HttpServerRequest, trustProxy: boolean) => {
  const forwarded = trustProxy ? request.headers["x-forwarded-for"]?.split(",")[0]?.trim() : undefined
  return forwarded !== undefined && forwarded.length > 0
    ? forwarded
    : Option.getOrElse(request.remoteAddress, () => UNKNOWN_CLIENT)
}

/** In-memory windows (per process); the memory store reads `Clock`, so tests can move time. */
export const RateLimitsMemory = Layer.effect(
  RateLimits,
  Effect.gen(function*() {
    const limiter = yield* RateLimiter.RateLimiter
    const { trustProxy } = yield* ServerConfig
    return RateLimits.of({
      consume: Effect.fn("RateLimits.consume")(function*(route) {
        const request = yield* HttpServerRequest.HttpServerRequest
        const limit = LIMITS_PER_MINUTE[route]
        yield* limiter.consume({
          key: `${route}:${clientAddress(request, trustProxy)}`,
          limit,
          window: "1 minute",
          algorithm: "fixed-window",
          onExceeded: "fail"
        }).pipe(
          Effect.catchTag("RateLimiterError", ({ reason }) =>
            reason._tag === "RateLimitExceeded"
              ? Effect.fail(
                new RateLimited({ limit, retryAfterSeconds: Math.ceil(Duration.toSeconds(reason.retryAfter)) })
              )
              // a broken limiter store must not take the API down with it
              : Effect.logError("rate limiter store failed; request allowed", reason.message))
        )
      })
    })
  })
).pipe(Layer.provide(RateLimiter.layer.pipe(Layer.provide(RateLimiter.layerStoreMemory))))
