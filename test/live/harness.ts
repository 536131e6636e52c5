import { assert } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Fiber, Layer, Schema, type Scope } from "effect"
import type { ProviderError, ProviderFailureReason } from "../../src/services/ProviderError.ts"
import { ProviderStub, type ProviderStubApi, type RouteName } from "../stub/providerStub.ts"

/**
 * A fresh provider stub for one test and the live layer under test built against it, through the
 * real SDKs. `env` adds to or overrides the stub's keys and base URLs; process.env is never read.
 */
export const liveAgainstStub = <I, S, E>(
  service: Context.Key<I, S>,
  layer: Layer.Layer<I, E>,
  env: Readonly<Record<string, string>> = {}
): Effect.Effect<{ readonly stub: ProviderStubApi; readonly service: S }, E, Scope.Scope> =>
  Effect.gen(function*() {
    const stub = yield* ProviderStub.acquire()
    const config = ConfigProvider.layer(ConfigProvider.fromUnknown({ ...stub.env, ...env }))
    const context = yield* Layer.build(layer.pipe(Layer.provide(config)))
    return { stub, service: Context.get(context, service) }
  })

/** Asserts the failure reason (showing the whole error when it differs); returns the error for more checks. */
export const expectReason = (error: ProviderError, reason: ProviderFailureReason): ProviderError => {
  assert.strictEqual(error.reason, reason, error.message)
  return error
}

/** The JSON body of the route's `index`-th recorded request, decoded with `schema`. */
export const sentBody = <A>(stub: ProviderStubApi, route: RouteName, schema: Schema.Decoder<A>, index = 0) =>
  Effect.gen(function*() {
    const request = yield* Effect.promise(() => stub.received(route, index))
    return yield* Schema.decodeUnknownEffect(schema)(request.body)
  })

/**
 * Runs `effect` in a fiber, waits until the stub has received its request (and `afterMs` more),
 * interrupts the fiber and reports how the stub saw the exchange end.
 */
export const interruptMidRequest = <A, E>(stub: ProviderStubApi, route: RouteName, effect: Effect.Effect<A, E>, afterMs = 0) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(effect)
    const request = yield* Effect.promise(() => stub.received(route))
    if (afterMs > 0) yield* Effect.sleep(afterMs)
    yield* Fiber.interrupt(fiber)
    return yield* Effect.promise(() => request.settled)
  })
