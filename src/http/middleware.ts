import { ByteSize, Cause, Effect, Layer, Option, SchemaIssue, type Types } from "effect"
import { HttpIncomingMessage, HttpRouter, HttpServerError, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiError } from "effect/http-api"
import { randomUUID } from "node:crypto"
import { Teachers } from "../services/Teachers.ts"
import { CsrfProtected, RequestGuard, StudentAuth, TeacherAuth } from "./api.ts"
import { ServerConfig } from "./config.ts"
import { CsrfFailed, MalformedJson, MAX_BODY_BYTES, PayloadTooLarge, ValidationFailed, type ValidationIssue } from "./errors.ts"
import { CsrfBinding, csrfSessionOf, readStudentCaller, StudentCaller } from "./studentAuth.ts"
import { requireTeacher, SignedInTeacher } from "./teacherAuth.ts"

export const CSRF_HEADER = "x-csrf-token"
export const REQUEST_ID_HEADER = "x-request-id"

/** FastAPI's names for the request slots, so `loc` reads like the reference's 422s. */
const slotName = (kind: HttpApiError.HttpApiSchemaError["kind"]) => {
  switch (kind) {
    case "Payload":
      return "body"
    case "Query":
      return "query"
    case "Params":
      return "path"
    default:
      return "header"
  }
}

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

const toValidationIssues = (error: HttpApiError.HttpApiSchemaError): ReadonlyArray<ValidationIssue> =>
  formatIssues(error.cause.issue).issues.map((issue) => ({
    loc: [
      slotName(error.kind),
      ...(issue.path ?? []).map((segment) => {
        const key = typeof segment === "object" ? segment.key : segment
        return typeof key === "number" ? key : String(key)
      })
    ],
    msg: issue.message,
    type: issue.message === "Missing key" ? "missing" : "value_error"
  }))

/** An empty body is not malformed: it is missing, which the schema reports field by field. */
const isJsonOrEmpty = (text: string) => {
  if (text.length === 0) return true
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** The platform reports an oversized body as a defect of reading it. */
const isBodyTooLarge = (defect: unknown) =>
  HttpServerError.isHttpServerError(defect) && defect.reason._tag === "RequestParseError" &&
  defect.reason.reason === "BodyTooLarge"

/**
 * 413 for bodies over 64 KiB (by header, or counted while reading), 400 for a body that is not
 * JSON, 422 with FastAPI's `{"detail": [{loc, msg, type}]}` for anything the schemas reject.
 */
export const RequestGuardLive = Layer.succeed(
  RequestGuard,
  RequestGuard.of((httpEffect) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (Number(request.headers["content-length"]) > MAX_BODY_BYTES) return yield* PayloadTooLarge.error()
      return yield* httpEffect.pipe(
        Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(MAX_BODY_BYTES)),
        Effect.catch((error): Effect.Effect<never, Types.unhandled | MalformedJson | ValidationFailed> => {
          if (!HttpApiError.HttpApiSchemaError.is(error)) return Effect.fail(error)
          return Effect.gen(function*() {
            // the body is cached by the platform, so reading it again costs nothing
            if (error.kind === "Payload" && !isJsonOrEmpty(yield* Effect.orDie(request.text))) {
              return yield* MalformedJson.error()
            }
            return yield* new ValidationFailed({ detail: toValidationIssues(error) })
          })
        }),
        Effect.catchDefect((defect) => isBodyTooLarge(defect) ? PayloadTooLarge.error() : Effect.die(defect))
      )
    })
  )
)

/** Checked before the body is decoded: a forged request is a 403 even when its body is wrong too. */
export const CsrfProtectedLive = Layer.effect(
  CsrfProtected,
  Effect.gen(function*() {
    const { csrfSecret } = yield* ServerConfig
    return CsrfProtected.of((httpEffect) =>
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const token = request.headers[CSRF_HEADER]
        const session = token === undefined ? Option.none<string>() : yield* csrfSessionOf(csrfSecret, token)
        if (Option.isNone(session)) return yield* CsrfFailed.error()
        return yield* Effect.provideService(httpEffect, CsrfBinding, CsrfBinding.of({ sessionId: session.value }))
      })
    )
  })
)

/** A signed-in teacher or 401; a due rotation of the cookie's token happens on the way. */
export const TeacherAuthLive = Layer.effect(
  TeacherAuth,
  Effect.gen(function*() {
    const context = yield* Effect.context<Teachers | ServerConfig>()
    return TeacherAuth.of((httpEffect) =>
      Effect.flatMap(
        Effect.provideContext(requireTeacher, context),
        (teacher) => Effect.provideService(httpEffect, SignedInTeacher, teacher)
      )
    )
  })
)

/** Hands the handler the sessions whose credentials came with the request; the handler decides. */
export const StudentAuthLive = Layer.effect(
  StudentAuth,
  Effect.gen(function*() {
    const { studentSecret } = yield* ServerConfig
    return StudentAuth.of((httpEffect) =>
      Effect.flatMap(readStudentCaller(studentSecret), (caller) => Effect.provideService(httpEffect, StudentCaller, caller))
    )
  })
)

/**
 * Every response carries an `X-Request-Id`; every 5xx is logged with it; unknown routes and
 * unexpected failures answer JSON like the reference, never a stack trace.
 */
export const ErrorBoundary = HttpRouter.middleware((httpEffect) =>
  Effect.suspend(() => {
    const requestId = randomUUID()
    return respond(httpEffect, requestId).pipe(Effect.annotateLogs({ requestId }))
  }), { global: true })

const respond = Effect.fnUntraced(
  function*(httpEffect: Effect.Effect<HttpServerResponse.HttpServerResponse, unknown>, requestId: string) {
    const request = yield* HttpServerRequest.HttpServerRequest
    const response = yield* httpEffect.pipe(
      Effect.catchCause((cause) => {
        if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
        const failure = Cause.findErrorOption(cause)
        if (
          failure._tag === "Some" && HttpServerError.isHttpServerError(failure.value) &&
          failure.value.reason._tag === "RouteNotFound"
        ) {
          return Effect.succeed(HttpServerResponse.jsonUnsafe({ detail: "Not Found" }, { status: 404 }))
        }
        return Effect.as(
          Effect.logError("unhandled failure", cause),
          HttpServerResponse.jsonUnsafe({ detail: "Internal Server Error", request_id: requestId }, { status: 500 })
        )
      })
    )
    // routes that answer a bare 404 (e.g. static files for an unknown path) still answer JSON
    if (response.status === 404 && response.body._tag === "Empty") {
      return HttpServerResponse.jsonUnsafe({ detail: "Not Found" }, {
        status: 404,
        headers: { [REQUEST_ID_HEADER]: requestId }
      })
    }
    if (response.status >= 500) {
      const line = `${request.method} ${request.url} answered ${response.status}`
      // 503 is a known, configured state (e.g. no Realtime without keys), not a fault
      yield* response.status === 503 ? Effect.logWarning(line) : Effect.logError(line)
    }
    return HttpServerResponse.setHeader(response, REQUEST_ID_HEADER, requestId)
  }
)
