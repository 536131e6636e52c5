import { capitalise, SUGGESTED_QUESTIONS, type SuggestedQuestion } from "../content.ts"

export function SuggestedQuestions({ onSelect }: { onSelect: (question: SuggestedQuestion) => void }) {
  return (
    <section class="card" aria-labelledby="suggested-heading">
      <h2 id="suggested-heading" class="card-title">Try asking...</h2>
      <ul class="questions">
        {SUGGESTED_QUESTIONS.map((question) => (
          <li key={question.text}>
            <button
              type="button"
              class={`question subject-${question.subject}`}
              data-testid="suggested-question"
              onClick={() => onSelect(question)}
            >
              <span class="question-subject">{capitalise(question.subject)}:</span> {question.text}
            </button>
          </li>
        ))}
      </ul>
    </section>
  )
}
