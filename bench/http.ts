/**
 * The load client: plain `node:http` over keep-alive sockets, so what it measures is the server,
 * not a client library. Every exchange is an Effect; interrupting it destroys the request.
 */
import { Effect, Schema } from "effect"
import { Agent, request as httpRequest } from "node:http"
import { monotonicMs } from "./protocol.ts"

export class ClientError extends Schema.TaggedError<ClientError>()("ClientError", { message: Schema.String }) {}

export interface Request {
  readonly method: "GET" | "POST"
  readonly path: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: unknown
}

/** What a response consumer says after each chunk: keep reading, or hang up now. */
export type Next = "more" | "stop"

export interface Exchanged {
  readonly status: number
  /** monotonic times: request written, status line received, response ended (or hung up) */
  readonly startedAt: number
  readonly headersAt: number
  readonly endedAt: number
}

const agent = new Agent({ keepAlive: true, maxSockets: Infinity })

/**
 * One HTTP exchange with the server at `origin`; `consume` sees every body chunk with its arrival
 * time and may end the exchange early (e.g. an SSE stream once the wanted event came).
 */
export const exchange = (
  origin: URL,
  request: Request,
  consume: (chunk: Buffer, at: number) => Next
): Effect.Effect<Exchanged, ClientError> =>
  Effect.callback<Exchanged, ClientError>((resume, signal) => {
    const body = request.body === undefined ? undefined : JSON.stringify(request.body)
    const startedAt = monotonicMs()
    const req = httpRequest({
      agent,
      host: origin.hostname,
      port: origin.port,
      method: request.method,
      path: request.path,
      signal,
      headers: {
        ...request.headers,
        ...(body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
      }
    }, (res) => {
      const headersAt = monotonicMs()
      let finished = false
      const finish = () => {
        if (finished) return
        finished = true
        resume(Effect.succeed({ status: res.statusCode ?? 0, startedAt, headersAt, endedAt: monotonicMs() }))
      }
      res.on("data", (chunk: Buffer) => {
        if (finished) return
        if (consume(chunk, monotonicMs()) === "stop") {
          finish()
          req.destroy()
        }
      })
      res.on("end", finish)
      res.on("error", (error) => {
        if (!finished) resume(Effect.fail(new ClientError({ message: `${request.path}: ${error.message}` })))
        finished = true
      })
    })
    req.on("error", (error) => resume(Effect.fail(new ClientError({ message: `${request.path}: ${error.message}` }))))
    req.end(body)
  })

/** An exchange whose whole body is kept, as text. */
export const send = (origin: URL, request: Request) =>
  Effect.suspend(() => {
    const parts: Array<Buffer> = []
    return Effect.map(
      exchange(origin, request, (chunk) => {
        parts.push(chunk)
        return "more"
      }),
      (exchanged) => ({ ...exchanged, body: Buffer.concat(parts).toString("utf8") })
    )
  })
