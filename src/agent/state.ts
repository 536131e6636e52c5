import type { AnswerSubject } from "../services/Specialists.ts"

/**
 * What the agents of one room remember between turns. LiveKit keeps it as the session's
 * `userData`, so it survives handoffs between agents. Decisions read the counters and flags here,
 * never the wording of a model's output (the reference's rule, which its code never applied).
 */
export class SessionState {
  readonly sessionId: string
  readonly roomName: string
  /**
   * Student utterances handed from one agent to the next that the receiving agent still owes an
   * answer: the receiver answers in `onEnter` instead of waiting for the next user turn.
   */
  private skipNextUserTurns = 0
  turnCount = 0
  escalated = false
  currentSubject: AnswerSubject | null = null

  constructor(sessionId: string, roomName: string) {
    this.sessionId = sessionId
    this.roomName = roomName
  }

  get pendingHandovers(): number {
    return this.skipNextUserTurns
  }

  /** True while a handed-over utterance is waiting for its answer. */
  shouldSkipTurn(): boolean {
    return this.skipNextUserTurns > 0
  }

  /** An utterance was handed to another agent (routing stacks: two routings, two answers owed). */
  markRouting(): void {
    this.skipNextUserTurns++
  }

  /** Takes one owed answer; false (and the counter stays at 0) when nothing was owed. */
  consumeSkip(): boolean {
    if (this.skipNextUserTurns === 0) return false
    this.skipNextUserTurns--
    return true
  }

  /** A student turn ended; returns its 1-based number. */
  countStudentTurn(): number {
    return ++this.turnCount
  }
}
