import { useEffect, useRef } from "preact/hooks"
import { capitalise } from "../content.ts"

export interface Turn {
  readonly id: string
  readonly speaker: string
  readonly text: string
}

const SPEAKER_CLASSES = new Set(["student", "orchestrator", "math", "history", "english", "teacher"])

/** The tutor's lines are labelled with the specialist that answered, as in the reference. */
export const speakerLabel = (speaker: string, subject: string | null): string =>
  speaker !== "tutor" ? speaker : subject === "math" || subject === "history" || subject === "english" ? subject : "tutor"

/** The conversation so far; follows the newest line as turns arrive. */
export function TranscriptPanel({ turns }: { turns: ReadonlyArray<Turn> }) {
  const list = useRef<HTMLOListElement>(null)
  const last = turns.at(-1)
  useEffect(() => {
    const element = list.current
    if (element) element.scrollTop = element.scrollHeight
  }, [turns.length, last?.text])
  return (
    <section class="card" aria-labelledby="transcript-heading">
      <h2 id="transcript-heading" class="card-title">Transcript</h2>
      {turns.length === 0
        ? <p class="muted">Conversation will appear here...</p>
        : (
          <ol class="transcript" ref={list} data-testid="transcript" aria-live="polite">
            {turns.map((turn) => (
              <li key={turn.id} class="turn" data-speaker={turn.speaker}>
                <span class={`speaker speaker-${SPEAKER_CLASSES.has(turn.speaker) ? turn.speaker : "other"}`}>
                  {capitalise(turn.speaker)}:
                </span>{" "}
                {turn.text}
              </li>
            ))}
          </ol>
        )}
    </section>
  )
}
