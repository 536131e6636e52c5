import { Cause, Clock, Effect, Schema, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { isFinished, type Job, JobStore } from "../../services/JobStore.ts"
import { DEFAULT_VOICE, PCM_FORMAT, Speech } from "../../services/Speech.ts"
import { TutorApi } from "../api.ts"
import { JobFailed, JobNotReady } from "../errors.ts"
import { JobDispatcher } from "../lifecycle.ts"
import { RateLimits } from "../rateLimit.ts"
import { ownJobWrite } from "../studentAuth.ts"

/** The job ended in error while its speech was streaming: what was spoken stays, the rest never comes. */
class AnswerAborted extends Schema.TaggedError<AnswerAborted>()("AnswerAborted", { message: Schema.String }) {}

export const AUDIO_HEADERS = {
  "x-audio-sample-rate": String(PCM_FORMAT.sampleRate),
  "x-audio-channels": String(PCM_FORMAT.channels),
  "x-audio-bit-depth": String(PCM_FORMAT.bitDepth)
} as const

/** The safe sentences of a job, each once and in order, as the guardrail releases them. */
const releasedSentences = (snapshots: Stream.Stream<Job>) =>
  Stream.suspend(() => {
    let sent = 0
    return Stream.flatMap(snapshots, (job) => {
      const fresh = Stream.fromIterable(job.sentences.slice(sent))
      sent = job.sentences.length
      return job.status === "error"
        ? Stream.concat(fresh, Stream.fail(new AnswerAborted({ message: job.errorMessage ?? "Job failed" })))
        : fresh
    })
  })

export const SpeechRoutes = HttpApiBuilder.group(TutorApi, "tts", Effect.fn(function*(handlers) {
  const jobs = yield* JobStore
  const speech = yield* Speech
  const dispatcher = yield* JobDispatcher
  const limits = yield* RateLimits

  /** A speech failure ends the job too: nobody hears the rest, so generating it is wasted. */
  const failJob = (jobId: string, message: string) =>
    Effect.gen(function*() {
      yield* dispatcher.cancel(jobId)
      const now = yield* Clock.currentTimeMillis
      yield* Effect.ignore(jobs.update(jobId, (job) => ({
        ...job,
        status: "error",
        ttsReady: false,
        errorMessage: message,
        completedAt: job.completedAt ?? now
      })))
    })

  return handlers.handleAll({
    stream: Effect.fn("Speech.stream")(function*({ payload }) {
      const job = yield* ownJobWrite(payload.job_id)
      yield* limits.consume("tts")
      if (job.status === "error") return yield* new JobFailed({ detail: job.errorMessage ?? "Job failed" })
      if (job.status === "pending" || (isFinished(job) && (!job.ttsReady || !job.safeText))) {
        return yield* JobNotReady.error()
      }
      const voice = payload.voice ?? DEFAULT_VOICE
      const audio = releasedSentences(Stream.orDie(jobs.watch(job.id))).pipe(
        // one sentence at a time, in order; each chunk is relayed the moment it arrives
        Stream.flatMap((sentence) => speech.synthesize(sentence, voice)),
        Stream.tapCause((cause) =>
          Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.gen(function*() {
            yield* Effect.logError("tts stream ended early", job.id, cause)
            const failure = Cause.findErrorOption(cause)
            // an upstream (speech provider) failure: the job gets its `error` event here
            if (failure._tag === "Some" && failure.value._tag === "ProviderError") {
              yield* failJob(job.id, `Speech failed: ${failure.value.message}`)
            }
          })
        )
      )
      // a failed body aborts the connection, so a client can tell a cut answer from a finished one
      return HttpServerResponse.stream(audio, { contentType: "audio/pcm", headers: AUDIO_HEADERS })
    })
  })
}))
