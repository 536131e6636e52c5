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

/** A field newer servers add: absent (an older server) reads as `null`, present must decode. */
export const optional = <T>(decoder: Decoder<T>): Decoder<T | null> => (input, path) =>
  input === undefined ? null : decoder(input, path)

/** A JSON array whose every item must decode. */
export const array = <T>(decoder: Decoder<T>): Decoder<ReadonlyArray<T>> => (input, path) => {
  if (!Array.isArray(input)) return fail(path, "array", input)
  const items: ReadonlyArray<unknown> = input
  return items.map((item, index) => decoder(item, `${path}[${index}]`))
}

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

/** JSON text to a value; text that is not JSON reads as `undefined`, which no decoder accepts. */
export const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export const decodeJson = <T>(decoder: Decoder<T>, text: string): Result<T> => decode(decoder, parseJson(text))
