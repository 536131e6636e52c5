import type { TeacherHelp } from "../student/useStudentChannel.ts"

/** Tells the student a teacher was alerted, then that one joined, or what to do when nobody came yet. */
export function EscalationBanner({ help, onDismiss }: { help: TeacherHelp; onDismiss: () => void }) {
  return (
    <section class="card banner" data-testid="escalation-banner" data-state={help.joined ? "joined" : "alerted"} role="status">
      <header class="tradeoff-header">
        <strong>👩‍🏫 {help.joined ? "A teacher has joined" : "A teacher has been alerted"}</strong>
        <button type="button" class="icon-button" aria-label="Dismiss" onClick={onDismiss}>✕</button>
      </header>
      <p>
        {help.joined
          ? "A teacher is with your session now and can send you messages here."
          : "A teacher will look at your session as soon as they can."}
      </p>
      {help.fallback && <p class="notice" role="alert" data-testid="escalation-fallback">{help.fallback}</p>}
    </section>
  )
}
