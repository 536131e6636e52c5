/**
 * Tiny runtime decoders for everything the page receives (HTTP bodies, SSE data, WebSocket and
 * data-channel messages): nothing from the network is trusted by a type assertion.
 * A full schema library would be most of the bundle for a handful of shapes.
 */

export class DecodeError extends Error {
  override readonly name = "DecodeError"
}

export type Decoder<T> = (input: unknown, path: string) => T

export type Decoded<D> = D extends Decoder<infer T> ? T : never

const fail = (path: string, expected: string, input: unknown): never => {
  throw new DecodeError(`${path}: expected ${expected}, got ${input === null ? "null" : typeof input}`)
}

export const isRecord = (input: unknown): input is Record<string, unknown> =>
  typeof input === "object" && input !== null && !Array.isArray(input)

export const string: Decoder<string> = (input, path) => (typeof input === "string" ? input : fail(path, "string", input))

export const number: Decoder<number> = (input, path) =>
  typeof input === "number" && Number.isFinite(input) ? input : fail(path, "number", input)

export const boolean: Decoder<boolean> = (input, path) =>
  typeof input === "boolean" ? input : fail(path, "boolean", input)

export const literal = <const L extends ReadonlyArray<string>>(...values: L): Decoder<L[number]> =>
  (input, path) => {
    const match = values.find((value) => value === input)
    return match ?? fail(path, values.join(" | "), input)
  }

export const nullable = <T>(decoder: Decoder<T>): Decoder<T | null> => (input, path) =>
  input === null ? null : decoder(input, path)

/** An absent or null field reads as `undefined`. */
export const optional = <T>(decoder: Decoder<T>): Decoder<T | undefined> => (input, path) =>
  input === undefined || input === null ? undefined : decoder(input, path)

export const array = <T>(decoder: Decoder<T>): Decoder<ReadonlyArray<T>> => (input, path) =>
  Array.isArray(input) ? input.map((item: unknown, index) => decoder(item, `${path}[${index}]`)) : fail(path, "array", input)

/** A JSON object; extra fields are ignored so the server may add some without breaking the page. */
export const object = <S extends Record<string, Decoder<unknown>>>(shape: S): Decoder<{ readonly [K in keyof S]: Decoded<S[K]> }> =>
  (input, path) => {
    if (!isRecord(input)) return fail(path, "object", input)
    const out: Record<string, unknown> = {}
    for (const [key, decoder] of Object.entries(shape)) out[key] = decoder(input[key], `${path}.${key}`)
    // every key of `shape` was decoded by its own decoder just above
    return out as { readonly [K in keyof S]: Decoded<S[K]> }
  }

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string }

export const decode = <T>(decoder: Decoder<T>, input: unknown): Result<T> => {
  try {
    return { ok: true, value: decoder(input, "$") }
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) }
  }
}

export const decodeJson = <T>(decoder: Decoder<T>, text: string): Result<T> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return { ok: false, error: "not JSON" }
  }
  return decode(decoder, parsed)
}
