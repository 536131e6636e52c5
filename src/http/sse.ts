import { Duration, Stream } from "effect"
import { HttpServerResponse } from "effect/http"

/** One Server-Sent Event with a JSON payload. */
export const sseEvent = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

/** A comment line every 15 s keeps proxies and browsers from closing an idle stream. */
export const keepAlive = Stream.tick(Duration.seconds(15)).pipe(Stream.drop(1), Stream.map(() => ": keep-alive\n\n"))

export const sseResponse = <E>(events: Stream.Stream<string, E>) =>
  HttpServerResponse.stream(Stream.encodeText(events), {
    contentType: "text/event-stream",
    // no proxy buffering: each event must reach the browser when it happens
    headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
  })
