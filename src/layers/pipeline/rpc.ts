import { Rpc, RpcGroup } from "effect/rpc"
import { TurnRequest } from "../../tutor/answerTurn.ts"
import { TurnEvent } from "../../tutor/events.ts"

/** What a turn worker process serves: one turn in, its events out as they happen. */
export class TurnRpcs extends RpcGroup.make(
  Rpc.make("AnswerTurn", { payload: TurnRequest, success: TurnEvent, stream: true })
) {}
