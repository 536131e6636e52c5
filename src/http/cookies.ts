import { Effect } from "effect"
import { HttpEffect, HttpServerRequest, HttpServerResponse } from "effect/http"
import { ServerConfig } from "./config.ts"

/**
 * Sets a credential cookie on the response of the current request: HttpOnly (no script reads it),
 * SameSite=Strict (no other site sends it), for the whole origin, and `Secure` once a trusted
 * proxy says the request came over HTTPS. A max age of 0 clears it.
 */
export const setCredentialCookie = Effect.fn("Cookies.setCredential")(function*(name: string, value: string, maxAgeSeconds: number) {
  const request = yield* HttpServerRequest.HttpServerRequest
  const { trustProxy } = yield* ServerConfig
  const secure = trustProxy && request.headers["x-forwarded-proto"] === "https"
  yield* HttpEffect.appendPreResponseHandler((_, response) =>
    Effect.orDie(HttpServerResponse.setCookie(response, name, value, {
      httpOnly: true,
      sameSite: "strict",
      path: "/",
      secure,
      maxAge: `${Math.max(0, Math.floor(maxAgeSeconds))} seconds`
    })))
})
